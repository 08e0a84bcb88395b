/*
 * pktop_screen.c: curses for the full-screen view.  Every text is drawn
 * clipped to the screen and to a width, so a layout that does not fit
 * loses columns, never wraps.
 */
#define _XOPEN_SOURCE_EXTENDED 1	/* curses' wide-character functions */
#define NCURSES_WIDECHAR 1

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pktop_format.h"
#include "pktop_screen.h"

static bool utf8;
static bool colors;
static int	W,
			H;

/* Curses in the mode pktop wants; false when the terminal cannot be used. */
bool
scr_start(bool use_utf8)
{
	utf8 = use_utf8;
	if (initscr() == NULL)
		return false;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && getenv("NO_COLOR") == NULL)
	{
		colors = true;
		start_color();
		use_default_colors();
		init_pair(C_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(C_TITLE_OK, COLOR_GREEN, COLOR_BLUE);
		init_pair(C_TITLE_WARN, COLOR_YELLOW, COLOR_BLUE);
		init_pair(C_TITLE_BAD, COLOR_WHITE, COLOR_RED);
		init_pair(C_HEAD, COLOR_CYAN, -1);
		init_pair(C_BAR, COLOR_GREEN, -1);
		init_pair(C_BAR2, COLOR_CYAN, -1);
		init_pair(C_LOSS, COLOR_RED, -1);
		init_pair(C_APPROX, COLOR_YELLOW, -1);
		init_pair(C_ERROR, COLOR_WHITE, COLOR_RED);
		init_pair(C_CHART, COLOR_MAGENTA, -1);
		init_pair(C_GOOD, COLOR_GREEN, -1);
	}
	return true;
}

void
scr_end(void)
{
	endwin();
}

/* The screen's size now; drawing is clipped to it until the next call. */
void
scr_measure(int *w, int *h)
{
	getmaxyx(stdscr, H, W);
	*w = W;
	*h = H;
}

/* Box drawing, bars and dots where the terminal has UTF-8. */
const char *
scr_glyph(const char *utf8_text, const char *ascii_text)
{
	return utf8 ? utf8_text : ascii_text;
}

attr_t
scr_attr(int pair, attr_t extra)
{
	if (colors && pair > 0)
		return COLOR_PAIR(pair) | extra;
	/* without colors: what the color meant, in attributes */
	switch (pair)
	{
		case C_TITLE:
		case C_TITLE_OK:
		case C_TITLE_WARN:
		case C_TITLE_BAD:
		case C_ERROR:
			return A_REVERSE | extra;
		case C_HEAD:
		case C_LOSS:
			return A_BOLD | extra;
		default:
			return extra;
	}
}

/* Draws s at (y, x), clipped to maxw columns and to the screen. */
int
scr_put_n(int y, int x, int maxw, attr_t a, const char *s)
{
	wchar_t		wbuf[512];
	mbstate_t	st;
	int			n = 0,
				w = 0;

	if (y < 0 || y >= H || x >= W || maxw <= 0)
		return 0;
	if (x < 0)
		x = 0;
	if (x + maxw > W)
		maxw = W - x;
	memset(&st, 0, sizeof(st));
	while (*s && n < (int) (sizeof(wbuf) / sizeof(wbuf[0])) - 1)
	{
		wchar_t		wc;
		size_t		len = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int			cw;

		if (len == (size_t) -1 || len == (size_t) -2)
		{
			memset(&st, 0, sizeof(st));
			wc = L'?';
			len = 1;
		}
		if (len == 0)
			break;
		cw = wcwidth(wc);
		if (cw < 0)
		{
			wc = L'?';
			cw = 1;
		}
		if (w + cw > maxw)
			break;
		wbuf[n++] = wc;
		w += cw;
		s += len;
	}
	wbuf[n] = L'\0';
	attron(a);
	mvaddnwstr(y, x, wbuf, n);
	attroff(a);
	return w;
}

int
scr_put(int y, int x, attr_t a, const char *s)
{
	return scr_put_n(y, x, W - x, a, s);
}

/* Right-aligned so that the text ends just before column xend. */
void
scr_put_r(int y, int xend, attr_t a, const char *s)
{
	int			w = fmt_width(s);

	scr_put_n(y, xend - w, w, a, s);
}

void
scr_header(int y, int x, const char *title)
{
	scr_put(y, x, scr_attr(C_HEAD, A_BOLD), title);
}

/* Fills row y with spaces in attribute a (for bars across the screen). */
void
scr_fill_row(int y, attr_t a)
{
	if (y < 0 || y >= H)
		return;
	attron(a);
	mvhline(y, 0, ' ', W);
	attroff(a);
}

void
scr_vline(int y0, int y1, int x)
{
	for (int y = y0; y <= y1; y++)
		scr_put(y, x, A_DIM, scr_glyph("│", "|"));
}

/* A horizontal bar of width w, filled to frac, with eighths in UTF-8. */
void
scr_bar(int y, int x, int w, double frac, int pair)
{
	static const char *eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	char		buf[1024];
	int			cells,
				rest,
				o = 0;

	if (w <= 0 || y >= H)
		return;
	if (!isfinite(frac) || frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	cells = (int) (frac * w * 8 + 0.5);
	rest = cells % 8;
	cells /= 8;
	if (cells == 0 && rest == 0 && frac > 0)
		rest = 1;				/* never invisible when not zero */
	for (int i = 0; i < cells && o < (int) sizeof(buf) - 8; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s", scr_glyph("█", "#"));
	if (rest && cells < w)
		o += snprintf(buf + o, sizeof(buf) - o, "%s",
					  utf8 ? eighths[rest] : (rest >= 4 ? "#" : "|"));
	buf[o] = '\0';
	scr_put_n(y, x, w, scr_attr(pair, 0), buf);
}
