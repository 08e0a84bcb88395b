/*
 * pktop_screen.h: the terminal under the full-screen view: start and end
 * of curses, colors (or what they meant, in attributes), UTF-8 text
 * clipped to the screen, bars.  Only pktop_screen.c and pktop_tui.c
 * include it; they ask for curses' wide-character functions first.
 */
#ifndef PKTOP_SCREEN_H
#define PKTOP_SCREEN_H

#include <stdbool.h>

#include <curses.h>

/* Color pairs */
enum
{
	C_TITLE = 1, C_TITLE_OK, C_TITLE_WARN, C_TITLE_BAD, C_HEAD, C_BAR,
	C_BAR2, C_LOSS, C_APPROX, C_ERROR, C_CHART, C_GOOD
};

extern bool scr_start(bool utf8);
extern void scr_end(void);
extern void scr_measure(int *w, int *h);
extern const char *scr_glyph(const char *utf8_text, const char *ascii_text);
extern attr_t scr_attr(int pair, attr_t extra);

extern int	scr_put_n(int y, int x, int maxw, attr_t a, const char *s);
extern int	scr_put(int y, int x, attr_t a, const char *s);
extern void scr_put_r(int y, int xend, attr_t a, const char *s);
extern void scr_header(int y, int x, const char *title);
extern void scr_fill_row(int y, attr_t a);
extern void scr_vline(int y0, int y1, int x);
extern void scr_bar(int y, int x, int w, double frac, int pair);

#endif							/* PKTOP_SCREEN_H */
