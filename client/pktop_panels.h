/*
 * pktop_panels.h: the panels of the full-screen view.  Each draws a
 * Model's numbers in a box at (y, x), w columns wide, for pktop_tui.c's
 * layouts to place.
 */
#ifndef PKTOP_PANELS_H
#define PKTOP_PANELS_H

#include <stdbool.h>

#include "pktop_model.h"

/* One history to chart */
typedef struct Series
{
	const double *v;			/* MODEL_HISTORY samples, newest last */
	int			n;				/* of them taken */
	const char *title;
	const char *unit;			/* "pkt/s" or "bit/s" */
	int			pair;
} Series;

extern Series panel_series_pps(const Model *m);
extern Series panel_series_bps(const Model *m);

extern void panel_traffic(const Model *m, int y, int x, int w);
extern void panel_avg_size(const Model *m, int y, int x, int w);
extern void panel_sparkline(int y, int x, int w, const Series *s);
extern void panel_sparklines(const Model *m, int y, int x, int w);
extern void panel_chart(int y, int x, int w, int h, const Series *s);
extern void panel_capture(const Model *m, int y, int x, int w, bool details);
extern void panel_loss_column(const Model *m, int y, int x, int w);
extern int	panel_loss_flow(const Model *m, int y, int x, int w, bool measure);
extern void panel_protocols(const Model *m, int y, int x, int w, int rows);
extern int	panel_talkers(const Model *m, int y, int w);
extern void panel_conversations(const Model *m, int y, int x, int w, int rows);

#endif							/* PKTOP_PANELS_H */
