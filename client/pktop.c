/*
 * pktop: the live terminal view of a pktcapture capture.
 *
 *   pktop [-i INTERFACE] [-n] [--no-stop] [--duration SECONDS]
 *         [--start INTERFACE [--filter BPF]]
 *
 * Connects with the standard libpq environment (PGHOST, PGPORT,
 * PGDATABASE, PGUSER, PGPASSWORD, ...), reads pkt_stats() and pkt_status()
 * once a second and draws them full screen with ncurses: totals and rates,
 * protocols with bars, the top 5 sources and destinations, the capture and
 * loss counters (highlighted when non-zero), and a packets/s history when
 * the terminal has room.  q or Ctrl+C stops the capture (pkt_stop), leaves
 * the full screen and prints the final statistics on stdout.
 *
 * When stdout is not a terminal, or with -n, it prints a plain-text
 * snapshot every second instead, for logs and CI.
 *
 * Nothing the server sends is trusted to be well formed: NULLs, missing
 * rows, unknown sections, huge or negative numbers are all displayed
 * without crashing, and a server that goes away is reconnected to.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <libpq-fe.h>

#include "pktop_db.h"
#include "pktop_format.h"
#include "pktop_model.h"
#include "pktop_plain.h"
#include "pktop_snap.h"

#define PKTOP_VERSION "1.0"

/* ------------------------------------------------------------------ */
/* options and global state                                           */
/* ------------------------------------------------------------------ */

static const char *opt_iface;
static const char *opt_start;
static const char *opt_filter;
static bool opt_plain;
static bool opt_no_stop;
static double opt_duration;		/* 0: until q or a signal */

static volatile sig_atomic_t got_signal;
static bool utf8;
static bool tui;
static bool colors;

static PGconn *conn;
static Model model;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* ------------------------------------------------------------------ */
/* reading the server                                                 */
/* ------------------------------------------------------------------ */

/* One refresh: read the server into the model, or note why not. */
static void
refresh_data(void)
{
	static Snap fresh;
	char		why[MODEL_ERR_LEN];
	double		t = now_mono();

	if (db_fetch(conn, model.iface, utf8, &fresh, why, sizeof(why)))
		model_update(&model, &fresh, t, time(NULL));
	else
		model_fail(&model, why, time(NULL));
}

/* ------------------------------------------------------------------ */
/* drawing                                                            */
/* ------------------------------------------------------------------ */

enum
{
	C_TITLE = 1, C_TITLE_OK, C_TITLE_WARN, C_TITLE_BAD, C_HEAD, C_BAR,
	C_BAR2, C_LOSS, C_APPROX, C_ERROR, C_CHART, C_GOOD
};

static int W,
			H;

static attr_t
attr_of(int pair, attr_t extra)
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
static int
put_n(int y, int x, int maxw, attr_t a, const char *s)
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

static int
put(int y, int x, attr_t a, const char *s)
{
	return put_n(y, x, W - x, a, s);
}

/* Right-aligned so that the text ends just before column xend. */
static void
put_r(int y, int xend, attr_t a, const char *s)
{
	int			w = fmt_width(s);

	put_n(y, xend - w, w, a, s);
}

/* A horizontal bar of width w, filled to frac, with eighths in UTF-8. */
static void
draw_bar(int y, int x, int w, double frac, int pair)
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
		o += snprintf(buf + o, sizeof(buf) - o, "%s", utf8 ? "█" : "#");
	if (rest && cells < w)
		o += snprintf(buf + o, sizeof(buf) - o, "%s", utf8 ? eighths[rest] : (rest >= 4 ? "#" : "|"));
	buf[o] = '\0';
	put_n(y, x, w, attr_of(pair, 0), buf);
}

static void
header(int y, int x, const char *title)
{
	put(y, x, attr_of(C_HEAD, A_BOLD), title);
}

/* Fills row y with spaces in attribute a (for bars across the screen). */
static void
fill_row(int y, attr_t a)
{
	if (y < 0 || y >= H)
		return;
	attron(a);
	mvhline(y, 0, ' ', W);
	attroff(a);
}

static void
draw_title(void)
{
	char		buf[128];
	char		up[48];
	int			x = 0;
	const char *state = model.have_snap && model.snap.has_status ? model.snap.state : "unknown";
	int			spair = C_TITLE_WARN;
	time_t		now = time(NULL);
	struct tm	tm;

	if (model.stale)
		state = "no server";
	else if (strcmp(state, "running") == 0)
		spair = C_TITLE_OK;
	else if (strcmp(state, "failed") == 0 || strcmp(state, "unknown") == 0)
		spair = C_TITLE_BAD;
	fill_row(0, attr_of(C_TITLE, 0));
	x += put(0, x, attr_of(C_TITLE, A_BOLD), " pktop ");
	x += put(0, x, attr_of(C_TITLE, 0), utf8 ? "│ " : "| ");
	x += put(0, x, attr_of(C_TITLE, A_BOLD), model.iface);
	x += put(0, x, attr_of(C_TITLE, 0), "  ");
	snprintf(buf, sizeof(buf), "%s %s", utf8 ? "●" : "*", state);
	x += put(0, x, attr_of(model.stale ? C_TITLE_BAD : spair, A_BOLD), buf);
	fmt_duration(up, sizeof(up), model.have_snap && model.snap.has_uptime, model.snap.uptime);
	snprintf(buf, sizeof(buf), "  up %s", up);
	x += put(0, x, attr_of(C_TITLE, 0), buf);
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
	/* the filter, where it fits before the clock */
	if (model.have_snap && model.snap.filter[0])
	{
		int			room = W - x - 2 - 10;
		char		f[300];

		if (room > 16)
		{
			char		g[256];

			fmt_shorten(g, sizeof(g), model.snap.filter, room - 10, utf8 ? "…" : "~");
			snprintf(f, sizeof(f), "  filter: %s", g);
			put_n(0, x, room, attr_of(C_TITLE, 0), f);
		}
	}
	put_r(0, W, attr_of(C_TITLE, 0), buf);
}

static void
draw_help(int y)
{
	char		buf[200];
	const char *dot = utf8 ? "·" : "-";

	if (opt_no_stop)
		snprintf(buf, sizeof(buf), " q quit (the capture keeps running)  %s  space refresh", dot);
	else
		snprintf(buf, sizeof(buf), " q quit & stop the capture  %s  d detach (keep capturing)  %s  space refresh",
				 dot, dot);
	put(y, 0, A_DIM, buf);
	if (model.fetched_at[0] && W - fmt_width(buf) > 24)
	{
		char		r[64];

		snprintf(r, sizeof(r), "updated %s ", model.fetched_at);
		put_r(y, W, A_DIM, r);
	}
}

/* The message line: an error, the end of the capture, or a note. */
static void
draw_message(int y)
{
	char		buf[600];

	if (model.stale && model.errmsg[0])
	{
		char		since[16];
		struct tm	tm;

		localtime_r(&model.err_since, &tm);
		strftime(since, sizeof(since), "%H:%M:%S", &tm);
		snprintf(buf, sizeof(buf), " %s %s (since %s, retrying every second; numbers shown are the last read)",
				 utf8 ? "⚠" : "!", model.errmsg, since);
		fill_row(y, attr_of(C_ERROR, A_BOLD));
		put(y, 0, attr_of(C_ERROR, A_BOLD), buf);
		return;
	}
	if (!model.have_snap)
		return;
	if (!model.snap.has_stats)
	{
		snprintf(buf, sizeof(buf), " no capture named \"%s\" on this server: start one with SELECT pkt_start('%s')",
				 model.iface, model.iface);
		fill_row(y, attr_of(C_ERROR, A_BOLD));
		put(y, 0, attr_of(C_ERROR, A_BOLD), buf);
		return;
	}
	if (model.snap.has_status && strcmp(model.snap.state, "failed") == 0)
	{
		snprintf(buf, sizeof(buf), " capture failed%s%s", model.snap.error[0] ? ": " : "", model.snap.error);
		fill_row(y, attr_of(C_ERROR, A_BOLD));
		put(y, 0, attr_of(C_ERROR, A_BOLD), buf);
		return;
	}
	if (model.snap.has_status && strcmp(model.snap.state, "stopped") == 0)
	{
		snprintf(buf, sizeof(buf), " capture stopped%s%s: these statistics are final",
				 model.snap.stopped[0] ? " at " : "", model.snap.stopped);
		put(y, 0, attr_of(C_APPROX, A_BOLD), buf);
		return;
	}
	if (model.snap.error[0])
	{
		snprintf(buf, sizeof(buf), " %s", model.snap.error);
		put(y, 0, attr_of(C_LOSS, A_BOLD), buf);
		return;
	}
	{
		long long	maxerr;

		if (snap_top_approx(&model.snap, &maxerr))
		{
			if (maxerr > 0)
			{
				char		n[32];

				fmt_exact(n, sizeof(n), maxerr);
				snprintf(buf, sizeof(buf), " ~ approximate top talker: its count may be up to %s packets too high", n);
			}
			else
				snprintf(buf, sizeof(buf), " ~ approximate top talker counts (more distinct addresses than counted exactly)");
			put(y, 0, attr_of(C_APPROX, 0), buf);
		}
	}
}

/* Traffic: total, last 5 s and since start, packets and bits. */
static void
draw_traffic(int y, int x, int w)
{
	char		a[48],
				b[48],
				c[48];
	/* three right-aligned columns after the label, on the tables' grid */
	int			c2 = x + 24,
				c3 = x + 24 + (w - 24) / 2,
				c4 = x + w;
	attr_t		num = model.stale ? A_DIM : A_BOLD;

	header(y, x, "TRAFFIC");
	put_r(y, c2, A_DIM, "total");
	put_r(y, c3, A_DIM, "last 5 s");
	put_r(y, c4, A_DIM, "since start");

	put(y + 1, x + 1, 0, "packets");
	if (model.snap.has_total && model.snap.total.has_packets)
	{
		fmt_total(a, sizeof(a), model.snap.total.packets);
	}
	else
		snprintf(a, sizeof(a), "-");
	if (model.snap.has_rate5 && model.snap.rate5.has_packets)
		fmt_pkt_rate(b, sizeof(b), (double) model.snap.rate5.packets);
	else
		snprintf(b, sizeof(b), "-");
	if (model.snap.has_rate_all && model.snap.rate_all.has_packets)
		fmt_pkt_rate(c, sizeof(c), (double) model.snap.rate_all.packets);
	else
		snprintf(c, sizeof(c), "-");
	put_r(y + 1, c2, num, a);
	put_r(y + 1, c3, num, b);
	put_r(y + 1, c4, num, c);

	put(y + 2, x + 1, 0, "data");
	if (model.snap.has_total && model.snap.total.has_bytes)
		fmt_bytes(a, sizeof(a), model.snap.total.bytes);
	else
		snprintf(a, sizeof(a), "-");
	if (model.snap.has_rate5 && model.snap.rate5.has_bytes)
		fmt_bits_rate(b, sizeof(b), model.snap.rate5.bytes);
	else
		snprintf(b, sizeof(b), "-");
	if (model.snap.has_rate_all && model.snap.rate_all.has_bytes)
		fmt_bits_rate(c, sizeof(c), model.snap.rate_all.bytes);
	else
		snprintf(c, sizeof(c), "-");
	put_r(y + 2, c2, num, a);
	put_r(y + 2, c3, num, b);
	put_r(y + 2, c4, num, c);
}

/* A one-row sparkline of a history, newest on the right. */
static void
draw_sparkline(int y, int x, int w, const double *hist)
{
	static const char *lv[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char *lva[] = {" ", ".", ".", "-", "-", "=", "=", "#", "#"};
	double		max = 0;
	int			n = model.hist_n < w ? model.hist_n : w;
	char		buf[2048];
	int			o = 0;

	if (w <= 0)
		return;
	for (int i = MODEL_HISTORY - n; i < MODEL_HISTORY; i++)
		if (!isnan(hist[i]) && hist[i] > max)
			max = hist[i];
	for (int i = 0; i < w - n; i++)
		buf[o++] = ' ';
	for (int i = MODEL_HISTORY - n; i < MODEL_HISTORY && o < (int) sizeof(buf) - 8; i++)
	{
		int			l = 0;

		if (!isnan(hist[i]) && max > 0)
			l = (int) ceil(hist[i] / max * 8.0);
		if (l < 0)
			l = 0;
		if (l > 8)
			l = 8;
		if (!isnan(hist[i]) && hist[i] > 0 && l == 0)
			l = 1;
		o += snprintf(buf + o, sizeof(buf) - o, "%s", utf8 ? lv[l] : lva[l]);
	}
	buf[o] = '\0';
	put_n(y, x, w, attr_of(C_CHART, 0), buf);
}

/*
 * A chart of h rows (title included) of a history, one column a second,
 * newest on the right, with its scale; unit "pkt/s" or "bit/s".
 */
static void
draw_chart(int y, int x, int w, int h, const double *hist, const char *title,
		   const char *unit, int pair)
{
	static const char *lv[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	double		max = 0,
				last = NAN;
	int			axis = 10;
	int			cols = w - axis;
	int			n;
	char		lab[48],
				t[96];

	if (h < 2 || cols < 10)
		return;
	n = model.hist_n < cols ? model.hist_n : cols;
	for (int i = MODEL_HISTORY - n; i < MODEL_HISTORY; i++)
		if (!isnan(hist[i]))
		{
			if (hist[i] > max)
				max = hist[i];
			last = hist[i];
		}
	snprintf(t, sizeof(t), "%s", title);
	header(y, x, t);
	{
		char		v[48],
					now[80];

		if (strcmp(unit, "pkt/s") == 0)
			fmt_pkt_rate(v, sizeof(v), isnan(last) ? 0 : last);
		else
			fmt_si(v, sizeof(v), isnan(last) ? 0 : last, unit);
		snprintf(now, sizeof(now), "last %d s  %s  now %s", n, utf8 ? "·" : "-", isnan(last) ? "-" : v);
		put_r(y, x + w, A_DIM, now);
	}
	h -= 1;						/* rows for bars */
	fmt_si(lab, sizeof(lab), max, "");
	put_r(y + 1, x + axis - 1, A_DIM, lab);
	put_r(y + h, x + axis - 1, A_DIM, "0");
	for (int r = 0; r < h; r++)
		put(y + 1 + r, x + axis - 1, A_DIM, utf8 ? "┤" : "|");
	for (int i = 0; i < n; i++)
	{
		double		v = hist[MODEL_HISTORY - n + i];
		int			cx = x + axis + (cols - n) + i;
		int			eighths;

		if (isnan(v) || max <= 0)
			continue;
		eighths = (int) ceil(v / max * h * 8);
		if (v > 0 && eighths == 0)
			eighths = 1;
		for (int r = 0; r < h && eighths > 0; r++)
		{
			int			l = eighths >= 8 ? 8 : eighths;

			put_n(y + h - r, cx, 1, attr_of(pair, 0), utf8 ? lv[l] : (l >= 4 ? "#" : "."));
			eighths -= l;
		}
	}
}

/* Capture counters, one per row: frames seen, rows stored, rows pending. */
static int
draw_capture(int y, int x, int w, bool details)
{
	char		v[48];
	int			r = 1;

	header(y, x, "CAPTURE");
	for (int i = 0; i < model.snap.ncapture && i < 3; i++, r++)
	{
		const Row  *row = &model.snap.capture[i];

		put_n(y + r, x + 1, w - 1, 0, row->item);
		if (row->has_packets)
			fmt_exact(v, sizeof(v), row->packets);
		else
			snprintf(v, sizeof(v), "-");
		put_r(y + r, x + w, model.stale ? A_DIM : A_BOLD, v);
	}
	if (details)
	{
		r++;
		if (model.snap.started[0])
		{
			put(y + r, x + 1, 0, "started");
			put_r(y + r, x + w, 0, model.snap.started);
			r++;
		}
		if (model.snap.has_pid)
		{
			put(y + r, x + 1, 0, "worker pid");
			snprintf(v, sizeof(v), "%lld", model.snap.pid);
			put_r(y + r, x + w, 0, v);
			r++;
		}
		if (model.snap.has_batch_ms)
		{
			put(y + r, x + 1, 0, "last batch");
			snprintf(v, sizeof(v), "%.1f ms", model.snap.batch_ms);
			put_r(y + r, x + w, 0, v);
			r++;
		}
	}
	return r;
}

/* Loss counters as a column: label and value per row. */
static void
draw_loss_column(int y, int x, int w)
{
	char		v[48];

	header(y, x, snap_any_loss(&model.snap) ? "LOSS" : "LOSS  none");
	if (snap_any_loss(&model.snap))
		put(y, x, attr_of(C_LOSS, A_BOLD), "LOSS");
	for (int i = 0; i < model.snap.nloss; i++)
	{
		const Row  *row = &model.snap.loss[i];
		bool		bad = row->has_packets && row->packets != 0;
		attr_t		a = bad ? attr_of(C_LOSS, A_BOLD) : A_DIM;

		put_n(y + 1 + i, x + 1, w - 1, a, row->item);
		if (row->has_packets)
			fmt_exact(v, sizeof(v), row->packets);
		else
			snprintf(v, sizeof(v), "-");
		put_r(y + 1 + i, x + w, a, v);
	}
}

/* Loss counters flowed on lines: "LOSS  kernel dropped 0 · ...". */
static int
draw_loss_flow(int y, int x, int w, bool measure)
{
	int			cx = x + 6,
				rows = 1;
	char		v[48],
				cell[128];
	const char *sep = utf8 ? " · " : " | ";

	if (!measure)
	{
		put(y, x, snap_any_loss(&model.snap) ? attr_of(C_LOSS, A_BOLD) : attr_of(C_HEAD, A_BOLD), "LOSS");
	}
	for (int i = 0; i < model.snap.nloss; i++)
	{
		const Row  *row = &model.snap.loss[i];
		bool		bad = row->has_packets && row->packets != 0;
		int			cw;

		if (row->has_packets)
			fmt_count(v, sizeof(v), row->packets);
		else
			snprintf(v, sizeof(v), "-");
		snprintf(cell, sizeof(cell), "%s %s", row->item, v);
		cw = fmt_width(cell) + (i + 1 < model.snap.nloss ? 3 : 0);
		if (cx + cw > x + w && cx > x + 6)
		{
			rows++;
			cx = x + 6;
			y++;
		}
		if (!measure)
		{
			int			lw = fmt_width(row->item);

			put(y, cx, bad ? attr_of(C_LOSS, A_BOLD) : A_DIM, row->item);
			put(y, cx + lw + 1, bad ? attr_of(C_LOSS, A_BOLD | A_UNDERLINE) : 0, v);
			if (i + 1 < model.snap.nloss)
				put(y, cx + fmt_width(cell), A_DIM, sep);
		}
		cx += cw;
	}
	return rows;
}

/* The protocol table: name, packets, bytes, share, bar. */
static void
draw_protocols(int y, int x, int w, int rows)
{
	char		p[48],
				b[48],
				s[48];
	int			cp = x + 24,	/* end of the packets column */
				cb = cp + 8,
				cs = cb + 6;
	int			bx = cs + 2,
				bw = x + w - bx;
	int			shown = model.snap.nproto;

	header(y, x, "PROTOCOL");
	put_r(y, cp, A_DIM, "packets");
	put_r(y, cb, A_DIM, "bytes");
	put_r(y, cs, A_DIM, "share");
	if (model.snap.nproto == 0)
	{
		put(y + 1, x + 1, A_DIM, "no IP packets yet");
		return;
	}
	if (shown > rows)
		shown = rows - 1;		/* the last row sums up the rest */
	for (int i = 0; i < shown; i++)
	{
		const Row  *r = &model.snap.proto[i];
		char		name[32];

		snprintf(name, sizeof(name), "%s", r->item);
		put_n(y + 1 + i, x + 1, cp - x - 9, A_BOLD, name);	/* 15 columns */
		if (r->has_packets)
			fmt_count(p, sizeof(p), r->packets);
		else
			snprintf(p, sizeof(p), "-");
		if (r->has_bytes)
			fmt_bytes(b, sizeof(b), r->bytes);
		else
			snprintf(b, sizeof(b), "-");
		fmt_share(s, sizeof(s), r->has_share, r->share);
		put_r(y + 1 + i, cp, 0, p);
		put_r(y + 1 + i, cb, 0, b);
		put_r(y + 1 + i, cs, A_BOLD, s);
		if (bw >= 4)
			draw_bar(y + 1 + i, bx, bw, r->has_share ? r->share / 100.0 : 0, C_BAR);
	}
	if (shown < model.snap.nproto)
	{
		long long	pk,
					by;
		double		sh;
		char		name[48];

		snap_proto_rest(&model.snap, shown, &pk, &by, &sh);
		snprintf(name, sizeof(name), "+%d more", model.snap.nproto - shown);
		fmt_count(p, sizeof(p), pk);
		fmt_bytes(b, sizeof(b), by);
		fmt_share(s, sizeof(s), true, sh);
		put(y + 1 + shown, x + 1, A_DIM, name);
		put_r(y + 1 + shown, cp, A_DIM, p);
		put_r(y + 1 + shown, cb, A_DIM, b);
		put_r(y + 1 + shown, cs, A_DIM, s);
		if (bw >= 4)
			draw_bar(y + 1 + shown, bx, bw, sh / 100.0, C_BAR);
	}
}

/* Top talkers of one direction: address, packets, bytes, share, bar. */
static void
draw_top(int y, int x, int w, const char *title, const Row *rows, int n, int pair)
{
	int			aw = 15;		/* address column */
	int			fixed = w >= 45 ? 1 + 10 + 9 + 7 : 1 + 8 + 8 + 6;
	int			bar;
	char		p[48],
				b[48],
				s[48],
				a[64];

	for (int i = 0; i < n && i < TOP_SHOWN; i++)
	{
		int			l = (int) strlen(rows[i].item);

		if (l > aw)
			aw = l;
	}
	if (aw > 39)
		aw = 39;
	if (aw > w - fixed)
		aw = w - fixed;
	if (aw < 7)
		aw = 7;
	bar = w - (aw + fixed) - 1;
	header(y, x, title);
	{
		int			cp = x + 1 + aw + (w >= 45 ? 10 : 8),
					cb = cp + (w >= 45 ? 9 : 8),
					cs = cb + (w >= 45 ? 7 : 6);

		put_r(y, cp, A_DIM, "packets");
		put_r(y, cb, A_DIM, "bytes");
		put_r(y, cs, A_DIM, "share");
		if (n == 0)
			put(y + 1, x + 1, A_DIM, "none yet");
		for (int i = 0; i < n && i < TOP_SHOWN; i++)
		{
			const Row  *r = &rows[i];
			bool		approx = r->note[0] != '\0';
			attr_t		na = approx ? attr_of(C_APPROX, 0) : 0;

			fmt_shorten(a, sizeof(a), r->item, aw, utf8 ? "…" : "~");
			put_n(y + 1 + i, x + 1, aw, i == 0 ? A_BOLD : 0, a);
			if (r->has_packets)
			{
				char		q[40];

				fmt_count(q, sizeof(q), r->packets);
				snprintf(p, sizeof(p), "%s%s", approx ? "~" : "", q);
			}
			else
				snprintf(p, sizeof(p), "-");
			if (r->has_bytes)
				fmt_bytes(b, sizeof(b), r->bytes);
			else
				snprintf(b, sizeof(b), "-");
			fmt_share(s, sizeof(s), r->has_share, r->share);
			put_r(y + 1 + i, cp, na, p);
			put_r(y + 1 + i, cb, na, b);
			put_r(y + 1 + i, cs, na | A_BOLD, s);
			if (bar >= 4)
				draw_bar(y + 1 + i, cs + 2, bar, r->has_share ? r->share / 100.0 : 0, pair);
		}
	}
}

static void
draw_vline(int y0, int y1, int x)
{
	for (int y = y0; y <= y1; y++)
		put(y, x, A_DIM, utf8 ? "│" : "|");
}

static void
draw_too_small(void)
{
	char		buf[96];

	erase();
	snprintf(buf, sizeof(buf), "pktop needs at least 60x16 (this is %dx%d)", W, H);
	put(H / 2, 0, A_BOLD, buf);
	put(H / 2 + 1, 0, A_DIM, "q quits");
	refresh();
}

static void
draw(void)
{
	int			y;
	int			proto_want;
	int			lossrows;
	int			room;
	int			nblank = 4;

	getmaxyx(stdscr, H, W);
	if (W < 60 || H < 16)
	{
		draw_too_small();
		return;
	}
	erase();
	draw_title();
	draw_help(H - 1);
	draw_message(H - 2);
	if (!model.have_snap)
	{
		put(2, 1, A_DIM, "connecting...");
		refresh();
		return;
	}

	proto_want = model.snap.nproto > 0 ? model.snap.nproto : 1;

	if (W >= 110)
	{
		/*
		 * Wide: traffic | capture | loss side by side; packets/s and bits/s
		 * charts side by side in the rows to spare; protocols with long
		 * bars; top talkers side by side with bars.
		 */
		int			lw = 32,	/* loss panel */
					cw = 28,	/* capture panel */
					tw = W - 2 - lw - cw - 6;
		int			block = 8;
		int			fixed = 1 + 1 + block + 1 + 1 + 1 + 6 + 2;
		int			prows,
					chart = 0;
		int			tx = 1,
					cx,
					lx;

		if (tw > 80)
			tw = 80;
		cx = tx + tw + 3;
		lx = cx + cw + 3;
		lw = W - 1 - lx;
		room = H - fixed;
		prows = proto_want < room ? proto_want : room;
		if (prows < 1)
			prows = 1;
		if (room - prows >= 5)
			chart = room - prows - 1 > 24 ? 24 : room - prows - 1;
		y = 2;
		draw_traffic(y, tx, tw);
		{
			char		a[48],
						b[48],
						c[48];
			int			c2 = tx + 24,
						c3 = tx + 24 + (tw - 24) / 2,
						c4 = tx + tw;

			put(y + 3, tx + 1, 0, "avg size");
			snprintf(a, sizeof(a), "-");
			snprintf(b, sizeof(b), "-");
			snprintf(c, sizeof(c), "-");
			if (model.snap.has_total && model.snap.total.has_packets && model.snap.total.packets > 0 && model.snap.total.has_bytes)
				fmt_si(a, sizeof(a), (double) model.snap.total.bytes / model.snap.total.packets, "B");
			if (model.snap.has_rate5 && model.snap.rate5.has_packets && model.snap.rate5.packets > 0 && model.snap.rate5.has_bytes)
				fmt_si(b, sizeof(b), (double) model.snap.rate5.bytes / model.snap.rate5.packets, "B");
			if (model.snap.has_rate_all && model.snap.rate_all.has_packets && model.snap.rate_all.packets > 0 && model.snap.rate_all.has_bytes)
				fmt_si(c, sizeof(c), (double) model.snap.rate_all.bytes / model.snap.rate_all.packets, "B");
			put_r(y + 3, c2, 0, a);
			put_r(y + 3, c3, 0, b);
			put_r(y + 3, c4, 0, c);
			if (!chart)
			{
				put(y + 5, tx + 1, A_DIM, "pkt/s");
				draw_sparkline(y + 5, tx + 10, tw - 10, model.hist_pps);
				put(y + 6, tx + 1, A_DIM, "bit/s");
				draw_sparkline(y + 6, tx + 10, tw - 10, model.hist_bps);
			}
		}
		draw_vline(y, y + block - 1, cx - 2);
		draw_capture(y, cx, cw, true);
		draw_vline(y, y + block - 1, lx - 2);
		draw_loss_column(y, lx, lw);
		y += block + 1;
		if (chart)
		{
			int			hw = (W - 5) / 2;

			draw_chart(y, 1, hw, chart, model.hist_pps, "PACKETS/S", "pkt/s", C_CHART);
			draw_chart(y, 1 + hw + 3, W - 2 - hw - 3, chart, model.hist_bps, "BITS/S", "bit/s", C_BAR2);
			y += chart + 1;
		}
		draw_protocols(y, 1, W - 2, prows);
		y += 1 + prows + 1;
		{
			int			pw = (W - 4) / 2;

			draw_top(y, 1, pw, "TOP SOURCES", model.snap.src, model.snap.nsrc, C_BAR);
			draw_top(y, 1 + pw + 2, W - pw - 4, "TOP DESTINATIONS", model.snap.dst, model.snap.ndst, C_BAR2);
		}
		refresh();
		return;
	}

	/* Narrow: the 80x24 layout, more rows for protocols and a chart. */
	lossrows = draw_loss_flow(0, 1, W - 2, true);
	{
		int			fixed = 1 + 4 + 1 + 6 + lossrows + 2;
		int			prows,
					chart = 0;
		bool		title_gap;

		room = H - fixed;
		if (room < proto_want + nblank)
			nblank = room - proto_want;
		if (nblank < 0)
			nblank = 0;
		prows = room - nblank;
		if (prows > proto_want)
		{
			int			extra = prows - proto_want;

			prows = proto_want;
			if (extra >= 4)
				chart = extra - 1 > 24 ? 24 : extra - 1;
		}
		if (prows < 1)
			prows = 1;
		title_gap = nblank > 0;
		if (!chart && room - nblank - prows == 3 && title_gap)
		{
			/* a 3-row chart rather than 3 empty rows: the title bar has its color */
			chart = 3;
			title_gap = false;
		}

		y = 1 + title_gap;
		{
			int			tw = 54;
			int			capx = tw + 2;

			draw_traffic(y, 1, tw);
			if (!chart)
			{
				put(y + 3, 2, A_DIM, "history");
				draw_sparkline(y + 3, 10, tw - 10, model.hist_pps);
			}
			draw_vline(y, y + 3, capx);
			draw_capture(y, capx + 2, W - capx - 3 > 26 ? 26 : W - capx - 3, false);
		}
		y += 4 + (nblank > 1);
		if (chart)
		{
			draw_chart(y, 1, W - 2, chart, model.hist_pps, "PACKETS/S", "pkt/s", C_CHART);
			y += chart + 1;
		}
		draw_protocols(y, 1, W - 2, prows);
		y += 1 + prows + (nblank > 2);
		if (W >= 78)
		{
			int			pw = (W - 4) / 2;

			draw_top(y, 1, pw, "TOP SOURCES", model.snap.src, model.snap.nsrc, C_BAR);
			draw_top(y, 1 + pw + 2, W - pw - 4, "TOP DESTINATIONS", model.snap.dst, model.snap.ndst, C_BAR2);
			y += 6;
		}
		else
		{
			draw_top(y, 1, W - 2, "TOP SOURCES", model.snap.src, model.snap.nsrc, C_BAR);
			y += 6;
			draw_top(y, 1, W - 2, "TOP DESTINATIONS", model.snap.dst, model.snap.ndst, C_BAR2);
			y += 6;
		}
		y += (nblank > 3);
		if (y + lossrows <= H - 2)
			draw_loss_flow(y, 1, W - 2, false);
	}
	refresh();
}

/* ------------------------------------------------------------------ */
/* main                                                               */
/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: pktop [OPTION]...\n"
			"The live terminal view of a pktcapture capture.\n\n"
			"  -i, --interface NAME   the capture to show (default: the one running)\n"
			"      --start NAME       start a capture on NAME first (pkt_start)\n"
			"      --filter BPF       its BPF filter, with --start\n"
			"  -n, --plain            plain text, one snapshot a second (the default\n"
			"                         when stdout is not a terminal)\n"
			"      --no-stop          leave the capture running when quitting\n"
			"      --duration SECS    quit by itself after SECS seconds, as q does\n"
			"  -h, --help             this help\n"
			"      --version          the version\n\n"
			"Connects as libpq does: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD...\n"
			"Keys: q (or Ctrl+C) stops the capture, prints the final statistics and\n"
			"quits; d quits and leaves the capture running; space refreshes now.\n"
			"NO_COLOR=1 turns colors off.\n");
}

static void
die(const char *fmt,...)
	__attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt,...)
{
	va_list		ap;

	if (tui)
		endwin();
	fprintf(stderr, "pktop: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (conn)
		PQfinish(conn);
	exit(1);
}

/* The capture to show: -i, --start's, or the single running one. */
static const char *
choose_capture(void)
{
	static LiveCaptures live;
	char		err[4096];

	if (opt_iface)
		return opt_iface;
	if (opt_start)
		return opt_start;
	if (!db_live_captures(conn, &live, err, sizeof(err)))
		die("%s", err);
	if (live.nlive == 0)
		die("no capture is running: start one with pktop --start IFACE [--filter BPF]\n"
			"       or SELECT pkt_start('IFACE'); -i IFACE shows one that ended");
	if (live.nlive > 1)
		die("%d captures are running (%s): choose one with -i", live.nlive, live.names);
	return live.first;
}

/* Connects, starts the capture if asked to, and picks the one to show. */
static const char *
connect_and_start(void)
{
	char		err[4096];

	conn = db_connect(err, sizeof(err));
	if (conn == NULL)
		die("cannot connect to the database: %s", err);
	if (opt_start)
	{
		if (!db_start(conn, opt_start, opt_filter, err, sizeof(err)))
			die("%s", err);
		fprintf(stderr, "pktop: capture started on %s%s%s\n", opt_start,
				opt_filter ? " with filter " : "", opt_filter ? opt_filter : "");
	}
	return choose_capture();
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"plain", no_argument, NULL, 'n'},
		{"no-stop", no_argument, NULL, 'S'},
		{"duration", required_argument, NULL, 'D'},
		{"start", required_argument, NULL, 's'},
		{"filter", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	struct sigaction sa;
	double		t0,
				next;
	bool		detach = false;
	bool		ok = true;

	setlocale(LC_ALL, "");
	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

	while ((c = getopt_long(argc, argv, "i:nh", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'i':
				opt_iface = optarg;
				break;
			case 'n':
				opt_plain = true;
				break;
			case 'S':
				opt_no_stop = true;
				break;
			case 'D':
				{
					char	   *end;

					opt_duration = strtod(optarg, &end);
					if (end == optarg || *end != '\0' || !(opt_duration > 0) || opt_duration > 1e9)
						die("--duration wants a positive number of seconds, not \"%s\"", optarg);
					break;
				}
			case 's':
				opt_start = optarg;
				break;
			case 'f':
				opt_filter = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			case 'V':
				printf("pktop %s\n", PKTOP_VERSION);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "pktop: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (opt_filter && !opt_start)
		die("--filter goes with --start INTERFACE");

	model_init(&model, connect_and_start());

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* no SA_RESTART: wake up the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	tui = !opt_plain && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (tui)
	{
		const char *term = getenv("TERM");

		if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
			tui = false;
	}
	if (tui)
	{
		if (initscr() == NULL)
			die("cannot initialize the terminal");
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
	}

	t0 = now_mono();
	next = t0;
	while (!got_signal)
	{
		double		t = now_mono();
		int			wait_ms;

		if (opt_duration > 0 && t - t0 >= opt_duration)
			break;
		if (t >= next)
		{
			refresh_data();
			if (tui)
				draw();
			else
				plain_snapshot(stdout, &model, time(NULL));
			next += 1.0;
			if (next <= t)
				next = t + 1.0;
			continue;
		}
		wait_ms = (int) ((next - t) * 1000) + 1;
		if (opt_duration > 0 && (t0 + opt_duration - t) * 1000 < wait_ms)
			wait_ms = (int) ((t0 + opt_duration - t) * 1000) + 1;
		if (wait_ms > 200)
			wait_ms = 200;		/* signals are seen within 200 ms */
		if (tui)
		{
			int			ch;

			timeout(wait_ms);
			ch = getch();
			if (ch == 'q' || ch == 'Q' || ch == 3 /* ^C in raw mode */ )
				break;
			if ((ch == 'd' || ch == 'D') && !opt_no_stop)
			{
				detach = true;
				break;
			}
			if (ch == ' ' || ch == 'r' || ch == 12 /* ^L */ )
			{
				if (ch == 12)
					clearok(stdscr, TRUE);
				next = t;
			}
			else if (ch == KEY_RESIZE)
				draw();
		}
		else
		{
			struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
		}
	}

	if (tui)
		endwin();
	/* a second Ctrl+C does not wait for pkt_stop */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (got_signal == SIGHUP)
		signal(SIGHUP, SIG_IGN);

	if (opt_no_stop || detach)
	{
		refresh_data();
		if (model.stale)
		{
			fprintf(stderr, "pktop: %s\n", model.errmsg);
			ok = false;
		}
		plain_final(stdout, &model, "Statistics (the capture keeps running)");
		fprintf(stderr, "pktop: the capture on %s keeps running: SELECT pkt_stop('%s') stops it\n",
				model.iface, model.iface);
	}
	else
	{
		char		err[4096];

		fprintf(stderr, "pktop: stopping the capture on %s (every remaining row is written first)\n",
				model.iface);
		if (!db_stop(conn, model.iface, utf8, err, sizeof(err)))
		{
			fprintf(stderr, "pktop: %s\n", err);
			ok = false;
		}
		refresh_data();
		if (model.stale)
		{
			fprintf(stderr, "pktop: %s\n", model.errmsg);
			ok = false;
		}
		plain_final(stdout, &model,
					ok ? "Final statistics" : "Last statistics read (the capture may not be stopped)");
	}
	PQfinish(conn);
	return ok ? 0 : 1;
}
