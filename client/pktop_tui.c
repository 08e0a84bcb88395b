/*
 * pktop_tui.c: the full-screen view.
 *
 * From bottom to top: the help line, a message line (an error, the end
 * of the capture, approximate counts), and above them one of two
 * layouts.  The narrow one (60x16 to 109 columns) stacks traffic and
 * capture, the protocols, the top talkers, the live conversations and
 * the loss counters, giving spare rows to more protocols first, then to
 * the conversations, then to a packets/s chart.  The wide one (from 110
 * columns) puts traffic, capture and loss side by side, charts bits/s
 * beside packets/s, and gives the conversations their rows before the
 * charts.
 */
#define _XOPEN_SOURCE_EXTENDED 1	/* curses' wide-character functions */
#define NCURSES_WIDECHAR 1

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pktop_format.h"
#include "pktop_panels.h"
#include "pktop_screen.h"
#include "pktop_tui.h"

#define MIN_W		60
#define MIN_H		16
#define WIDE_W		110			/* the wide layout from here */
#define WIDE_BLOCK	8			/* rows of its traffic | capture | loss */
#define CHART_MAX	24			/* rows a chart takes at most */

static bool no_stop;			/* what q does, for the help line */
static int	W,
			H;

bool
tui_start(bool utf8, bool no_stop_opt)
{
	no_stop = no_stop_opt;
	return scr_start(utf8);
}

void
tui_end(void)
{
	scr_end();
}

/* Waits up to wait_ms for a key. */
TuiKey
tui_wait_key(int wait_ms)
{
	int			ch;

	timeout(wait_ms);
	ch = getch();
	if (ch == 'q' || ch == 'Q' || ch == 3 /* ^C in raw mode */ )
		return TUI_QUIT;
	if (ch == 'd' || ch == 'D')
		return TUI_DETACH;
	if (ch == 12 /* ^L */ )
		clearok(stdscr, TRUE);
	if (ch == ' ' || ch == 'r' || ch == 12)
		return TUI_REFRESH;
	if (ch == KEY_RESIZE)
		return TUI_RESIZE;
	return TUI_NONE;
}

/* ------------------------------------------------------------------ */
/* title, help and message lines                                      */
/* ------------------------------------------------------------------ */

/* The capture's filter in the title, where it fits before the clock. */
static void
draw_title_filter(const Model *m, int x)
{
	int			room = W - x - 2 - 10;
	char		g[256],
				f[300];

	if (!m->have_snap || !m->snap.filter[0] || room <= 16)
		return;
	fmt_shorten(g, sizeof(g), m->snap.filter, room - 10, scr_glyph("…", "~"));
	snprintf(f, sizeof(f), "  filter: %s", g);
	scr_put_n(0, x, room, scr_attr(C_TITLE, 0), f);
}

static void
draw_title(const Model *m)
{
	char		buf[128];
	char		up[48];
	int			x = 0;
	const char *state = m->have_snap && m->snap.has_status ? m->snap.state : "unknown";
	int			spair = C_TITLE_WARN;
	time_t		now = time(NULL);
	struct tm	tm;

	if (m->stale)
		state = "no server";
	else if (strcmp(state, "running") == 0)
		spair = C_TITLE_OK;
	else if (strcmp(state, "failed") == 0 || strcmp(state, "unknown") == 0)
		spair = C_TITLE_BAD;
	scr_fill_row(0, scr_attr(C_TITLE, 0));
	x += scr_put(0, x, scr_attr(C_TITLE, A_BOLD), " pktop ");
	x += scr_put(0, x, scr_attr(C_TITLE, 0), scr_glyph("│ ", "| "));
	x += scr_put(0, x, scr_attr(C_TITLE, A_BOLD), m->iface);
	x += scr_put(0, x, scr_attr(C_TITLE, 0), "  ");
	snprintf(buf, sizeof(buf), "%s %s", scr_glyph("●", "*"), state);
	x += scr_put(0, x, scr_attr(m->stale ? C_TITLE_BAD : spair, A_BOLD), buf);
	fmt_duration(up, sizeof(up), m->have_snap && m->snap.has_uptime, m->snap.uptime);
	snprintf(buf, sizeof(buf), "  up %s", up);
	x += scr_put(0, x, scr_attr(C_TITLE, 0), buf);
	draw_title_filter(m, x);
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
	scr_put_r(0, W, scr_attr(C_TITLE, 0), buf);
}

static void
draw_help(const Model *m, int y)
{
	char		buf[200];
	const char *dot = scr_glyph("·", "-");

	if (no_stop)
		snprintf(buf, sizeof(buf), " q quit (the capture keeps running)  %s  space refresh", dot);
	else
		snprintf(buf, sizeof(buf), " q quit & stop the capture  %s  d detach (keep capturing)  %s  space refresh",
				 dot, dot);
	scr_put(y, 0, A_DIM, buf);
	if (m->fetched_at[0] && W - fmt_width(buf) > 24)
	{
		char		r[64];

		snprintf(r, sizeof(r), "updated %s ", m->fetched_at);
		scr_put_r(y, W, A_DIM, r);
	}
}

/* How the message line looks */
typedef enum Message
{
	MSG_NONE,
	MSG_ALARM,					/* a bar across: no server, no capture, failed */
	MSG_ENDED,					/* the capture stopped */
	MSG_WORKER,					/* the worker's error text */
	MSG_APPROX,					/* approximate top talkers */
} Message;

/* The approximate top talkers' note: how far off the counts may be. */
static Message
approx_message(const Snap *s, char *buf, size_t len)
{
	long long	maxerr;
	char		n[32];

	if (!snap_top_approx(s, &maxerr))
		return MSG_NONE;
	if (maxerr > 0)
	{
		fmt_exact(n, sizeof(n), maxerr);
		snprintf(buf, len, " ~ approximate top talker: its count may be up to %s packets too high", n);
	}
	else
		snprintf(buf, len, " ~ approximate top talker counts (more distinct addresses than counted exactly)");
	return MSG_APPROX;
}

/* The message line's text, the most urgent first. */
static Message
message(const Model *m, char *buf, size_t len)
{
	const Snap *s = &m->snap;

	if (m->stale && m->errmsg[0])
	{
		char		since[16];
		struct tm	tm;

		localtime_r(&m->err_since, &tm);
		strftime(since, sizeof(since), "%H:%M:%S", &tm);
		snprintf(buf, len, " %s %s (since %s, retrying every second; numbers shown are the last read)",
				 scr_glyph("⚠", "!"), m->errmsg, since);
		return MSG_ALARM;
	}
	if (!m->have_snap)
		return MSG_NONE;
	if (!s->has_stats)
	{
		snprintf(buf, len, " no capture named \"%s\" on this server: start one with SELECT pkt_start('%s')",
				 m->iface, m->iface);
		return MSG_ALARM;
	}
	if (s->has_status && strcmp(s->state, "failed") == 0)
	{
		snprintf(buf, len, " capture failed%s%s", s->error[0] ? ": " : "", s->error);
		return MSG_ALARM;
	}
	if (s->has_status && strcmp(s->state, "stopped") == 0)
	{
		snprintf(buf, len, " capture stopped%s%s: these statistics are final",
				 s->stopped[0] ? " at " : "", s->stopped);
		return MSG_ENDED;
	}
	if (s->error[0])
	{
		snprintf(buf, len, " %s", s->error);
		return MSG_WORKER;
	}
	return approx_message(s, buf, len);
}

static void
draw_message(const Model *m, int y)
{
	char		buf[600];

	switch (message(m, buf, sizeof(buf)))
	{
		case MSG_ALARM:
			scr_fill_row(y, scr_attr(C_ERROR, A_BOLD));
			scr_put(y, 0, scr_attr(C_ERROR, A_BOLD), buf);
			break;
		case MSG_ENDED:
			scr_put(y, 0, scr_attr(C_APPROX, A_BOLD), buf);
			break;
		case MSG_WORKER:
			scr_put(y, 0, scr_attr(C_LOSS, A_BOLD), buf);
			break;
		case MSG_APPROX:
			scr_put(y, 0, scr_attr(C_APPROX, 0), buf);
			break;
		case MSG_NONE:
			break;
	}
}

/* ------------------------------------------------------------------ */
/* layouts                                                            */
/* ------------------------------------------------------------------ */

/*
 * Rows the conversations panel wants: its header and the busiest 5 of a
 * running capture (the same rows however many there are yet, so that
 * the layout does not jump), else a line that says why there are none.
 */
static int
conv_want(const Model *m)
{
	const Snap *s = &m->snap;

	if (s->flows_state == SNAP_FLOWS_UNREAD)
		return 0;
	if (s->flows_state == SNAP_FLOWS_READ && (s->nflows > 0 || snap_active(s)))
		return 1 + TOP_SHOWN;
	return 2;
}

/* Where the wide layout puts things */
typedef struct Wide
{
	int			tw;				/* traffic panel width, from column 1 */
	int			cx,				/* capture panel */
				cw;
	int			lx,				/* loss panel */
				lw;
	int			prows;			/* protocol rows */
	int			conv;			/* conversation rows, 0: none */
	int			chart;			/* chart rows, 0: sparklines instead */
} Wide;

/*
 * Protocols take the rows to spare first, then the conversations (a
 * blank row, their header and one at least), then the charts.
 */
static Wide
wide_layout(int proto_want, int conv_rows)
{
	Wide		l = {.cw = 28};
	int			fixed = 1 + 1 + WIDE_BLOCK + 1 + 1 + 1 + 6 + 2;
	int			room = H - fixed;
	int			rest;

	l.tw = W - 2 - 32 - l.cw - 6;
	if (l.tw > 80)
		l.tw = 80;
	l.cx = 1 + l.tw + 3;
	l.lx = l.cx + l.cw + 3;
	l.lw = W - 1 - l.lx;
	l.prows = proto_want < room ? proto_want : room;
	if (l.prows < 1)
		l.prows = 1;
	rest = room - l.prows;
	if (conv_rows > 0 && rest >= 3)
	{
		l.conv = rest - 1 < conv_rows ? rest - 1 : conv_rows;
		rest -= 1 + l.conv;
	}
	if (rest >= 5)
		l.chart = rest - 1 > CHART_MAX ? CHART_MAX : rest - 1;
	return l;
}

static void
draw_wide(const Model *m)
{
	Wide		l = wide_layout(m->snap.nproto > 0 ? m->snap.nproto : 1, conv_want(m));
	int			y = 2;

	panel_traffic(m, y, 1, l.tw);
	panel_avg_size(m, y + 3, 1, l.tw);
	if (!l.chart)
		panel_sparklines(m, y + 5, 1, l.tw);
	scr_vline(y, y + WIDE_BLOCK - 1, l.cx - 2);
	panel_capture(m, y, l.cx, l.cw, true);
	scr_vline(y, y + WIDE_BLOCK - 1, l.lx - 2);
	panel_loss_column(m, y, l.lx, l.lw);
	y += WIDE_BLOCK + 1;
	if (l.chart)
	{
		int			hw = (W - 5) / 2;
		Series		pps = panel_series_pps(m),
					bps = panel_series_bps(m);

		panel_chart(y, 1, hw, l.chart, &pps);
		panel_chart(y, 1 + hw + 3, W - 2 - hw - 3, l.chart, &bps);
		y += l.chart + 1;
	}
	panel_protocols(m, y, 1, W - 2, l.prows);
	y += 1 + l.prows + 1;
	y += panel_talkers(m, y, W) + 1;
	if (l.conv)
		panel_conversations(m, y, 1, W - 2, l.conv);
}

/* Where the narrow layout puts things */
typedef struct Narrow
{
	int			lossrows;		/* the loss counters, flowed */
	int			prows;			/* protocol rows */
	int			conv;			/* conversation rows, 0: none */
	int			chart;			/* chart rows, 0: a sparkline instead */
	int			nblank;			/* blank rows between sections, up to 4 */
	bool		title_gap;		/* a blank row under the title */
} Narrow;

/*
 * Rows to spare go to the blank rows between sections, then to more
 * protocols, then to the conversations (their header and one at least),
 * then to a chart; a 3-row chart rather than 3 empty rows.
 */
static Narrow
narrow_layout(int proto_want, int lossrows, int conv_rows)
{
	Narrow		l = {.lossrows = lossrows, .nblank = 4};
	int			fixed = 1 + 4 + 1 + 6 + lossrows + 2;
	int			room = H - fixed;

	if (room < proto_want + l.nblank)
		l.nblank = room - proto_want;
	if (l.nblank < 0)
		l.nblank = 0;
	l.prows = room - l.nblank;
	if (l.prows > proto_want)
	{
		int			extra = l.prows - proto_want;

		l.prows = proto_want;
		if (conv_rows > 0 && extra >= 2)
		{
			l.conv = extra < conv_rows ? extra : conv_rows;
			extra -= l.conv;
		}
		if (extra >= 4)
			l.chart = extra - 1 > CHART_MAX ? CHART_MAX : extra - 1;
	}
	if (l.prows < 1)
		l.prows = 1;
	l.title_gap = l.nblank > 0;
	if (!l.chart && room - l.nblank - l.prows - l.conv == 3 && l.title_gap)
	{
		/* the title bar has its color: no blank row needed under it */
		l.chart = 3;
		l.title_gap = false;
	}
	return l;
}

static void
draw_narrow(const Model *m)
{
	Narrow		l = narrow_layout(m->snap.nproto > 0 ? m->snap.nproto : 1,
								  panel_loss_flow(m, 0, 1, W - 2, true), conv_want(m));
	Series		pps = panel_series_pps(m);
	int			tw = 54,
				capx = tw + 2;
	int			y = 1 + l.title_gap;
	int			conv;

	panel_traffic(m, y, 1, tw);
	if (!l.chart)
	{
		scr_put(y + 3, 2, A_DIM, "history");
		panel_sparkline(y + 3, 10, tw - 10, &pps);
	}
	scr_vline(y, y + 3, capx);
	panel_capture(m, y, capx + 2, W - capx - 3 > 26 ? 26 : W - capx - 3, false);
	y += 4 + (l.nblank > 1);
	if (l.chart)
	{
		panel_chart(y, 1, W - 2, l.chart, &pps);
		y += l.chart + 1;
	}
	panel_protocols(m, y, 1, W - 2, l.prows);
	y += 1 + l.prows + (l.nblank > 2);
	y += panel_talkers(m, y, W);
	y += (l.nblank > 3);
	/* below 78 columns the talkers take 6 rows more than planned */
	conv = H - 2 - l.lossrows - y < l.conv ? H - 2 - l.lossrows - y : l.conv;
	if (conv >= 2)
	{
		panel_conversations(m, y, 1, W - 2, conv);
		y += conv;
	}
	if (y + l.lossrows <= H - 2)
		panel_loss_flow(m, y, 1, W - 2, false);
}

static void
draw_too_small(void)
{
	char		buf[96];

	erase();
	snprintf(buf, sizeof(buf), "pktop needs at least %dx%d (this is %dx%d)", MIN_W, MIN_H, W, H);
	scr_put(H / 2, 0, A_BOLD, buf);
	scr_put(H / 2 + 1, 0, A_DIM, "q quits");
	refresh();
}

/* The whole screen, at its current size. */
void
tui_draw(const Model *m)
{
	scr_measure(&W, &H);
	if (W < MIN_W || H < MIN_H)
	{
		draw_too_small();
		return;
	}
	erase();
	draw_title(m);
	draw_help(m, H - 1);
	draw_message(m, H - 2);
	if (!m->have_snap)
		scr_put(2, 1, A_DIM, "connecting...");
	else if (W >= WIDE_W)
		draw_wide(m);
	else
		draw_narrow(m);
	refresh();
}
