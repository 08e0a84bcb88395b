/*
 * pktop_panels.c: the panels of the full-screen view, each drawn in the
 * box it is given: traffic, packets/s and bits/s charts, the capture and
 * loss counters, the protocol table, the top talkers, the live
 * conversations.
 */
#define _XOPEN_SOURCE_EXTENDED 1	/* curses' wide-character functions */
#define NCURSES_WIDECHAR 1

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pktop_format.h"
#include "pktop_panels.h"
#include "pktop_screen.h"

#define CHART_AXIS	10			/* columns of a chart's scale */

Series
panel_series_pps(const Model *m)
{
	return (Series) {m->hist_pps, m->hist_n, "PACKETS/S", "pkt/s", C_CHART};
}

Series
panel_series_bps(const Model *m)
{
	return (Series) {m->hist_bps, m->hist_n, "BITS/S", "bit/s", C_BAR2};
}

/* fmt_pkt_rate for fmt_or_dash */
static void
pkt_rate(char *buf, size_t len, long long pps)
{
	fmt_pkt_rate(buf, len, (double) pps);
}

/* ------------------------------------------------------------------ */
/* traffic and charts                                                 */
/* ------------------------------------------------------------------ */

/* A row of the traffic panel: a label and three right-aligned columns. */
static void
traffic_row(int y, int x, int w, const char *label, attr_t a,
			const char *total, const char *last5, const char *all)
{
	scr_put(y, x + 1, 0, label);
	scr_put_r(y, x + 24, a, total);
	scr_put_r(y, x + 24 + (w - 24) / 2, a, last5);
	scr_put_r(y, x + w, a, all);
}

/* Traffic: total, last 5 s and since start, packets and bits. */
void
panel_traffic(const Model *m, int y, int x, int w)
{
	const Snap *s = &m->snap;
	char		a[48],
				b[48],
				c[48];
	attr_t		num = m->stale ? A_DIM : A_BOLD;

	scr_header(y, x, "TRAFFIC");
	scr_put_r(y, x + 24, A_DIM, "total");
	scr_put_r(y, x + 24 + (w - 24) / 2, A_DIM, "last 5 s");
	scr_put_r(y, x + w, A_DIM, "since start");

	fmt_or_dash(a, sizeof(a), s->has_total && s->total.has_packets, s->total.packets, fmt_total);
	fmt_or_dash(b, sizeof(b), s->has_rate5 && s->rate5.has_packets, s->rate5.packets, pkt_rate);
	fmt_or_dash(c, sizeof(c), s->has_rate_all && s->rate_all.has_packets, s->rate_all.packets, pkt_rate);
	traffic_row(y + 1, x, w, "packets", num, a, b, c);

	fmt_or_dash(a, sizeof(a), s->has_total && s->total.has_bytes, s->total.bytes, fmt_bytes);
	fmt_or_dash(b, sizeof(b), s->has_rate5 && s->rate5.has_bytes, s->rate5.bytes, fmt_bits_rate);
	fmt_or_dash(c, sizeof(c), s->has_rate_all && s->rate_all.has_bytes, s->rate_all.bytes, fmt_bits_rate);
	traffic_row(y + 2, x, w, "data", num, a, b, c);
}

/* Bytes per packet of a row, "-" without packets. */
static void
avg_size(char *buf, size_t len, bool has, const Row *r)
{
	if (has && r->has_packets && r->packets > 0 && r->has_bytes)
		fmt_si(buf, len, (double) r->bytes / r->packets, "B");
	else
		snprintf(buf, len, "-");
}

/* The traffic panel's fourth row in the wide layout. */
void
panel_avg_size(const Model *m, int y, int x, int w)
{
	const Snap *s = &m->snap;
	char		a[48],
				b[48],
				c[48];

	avg_size(a, sizeof(a), s->has_total, &s->total);
	avg_size(b, sizeof(b), s->has_rate5, &s->rate5);
	avg_size(c, sizeof(c), s->has_rate_all, &s->rate_all);
	traffic_row(y, x, w, "avg size", 0, a, b, c);
}

/* A one-row sparkline of a history, newest on the right. */
void
panel_sparkline(int y, int x, int w, const Series *s)
{
	static const char *lv[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char *lva[] = {" ", ".", ".", "-", "-", "=", "=", "#", "#"};
	const double *hist = s->v;
	double		max = 0;
	int			n = s->n < w ? s->n : w;
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

		/* 0 < hist[i] <= max: no conversion out of int's range */
		if (!isnan(hist[i]) && hist[i] > 0 && max > 0)
			l = (int) ceil(hist[i] / max * 8.0);
		if (l > 8)
			l = 8;
		if (!isnan(hist[i]) && hist[i] > 0 && l == 0)
			l = 1;
		o += snprintf(buf + o, sizeof(buf) - o, "%s", scr_glyph(lv[l], lva[l]));
	}
	buf[o] = '\0';
	scr_put_n(y, x, w, scr_attr(C_CHART, 0), buf);
}

/* The wide layout's sparklines, when there is no room for charts. */
void
panel_sparklines(const Model *m, int y, int x, int w)
{
	Series		pps = panel_series_pps(m),
				bps = panel_series_bps(m);

	scr_put(y, x + 1, A_DIM, "pkt/s");
	panel_sparkline(y, x + 10, w - 10, &pps);
	scr_put(y + 1, x + 1, A_DIM, "bit/s");
	panel_sparkline(y + 1, x + 10, w - 10, &bps);
}

/* The chart's title line: "PACKETS/S    last 8 s · now 2.0 k pkt/s". */
static void
chart_title(int y, int x, int w, const Series *s, int n, double last)
{
	char		v[48],
				now[80];

	scr_header(y, x, s->title);
	if (strcmp(s->unit, "pkt/s") == 0)
		fmt_pkt_rate(v, sizeof(v), isnan(last) ? 0 : last);
	else
		fmt_si(v, sizeof(v), isnan(last) ? 0 : last, s->unit);
	snprintf(now, sizeof(now), "last %d s  %s  now %s", n, scr_glyph("·", "-"),
			 isnan(last) ? "-" : v);
	scr_put_r(y, x + w, A_DIM, now);
}

/* The scale left of h rows of bars from y: max at the top, 0 below. */
static void
chart_axis(int y, int x, int h, double max)
{
	char		lab[48];

	fmt_si(lab, sizeof(lab), max, "");
	scr_put_r(y, x + CHART_AXIS - 1, A_DIM, lab);
	scr_put_r(y + h - 1, x + CHART_AXIS - 1, A_DIM, "0");
	for (int r = 0; r < h; r++)
		scr_put(y + r, x + CHART_AXIS - 1, A_DIM, scr_glyph("┤", "|"));
}

/* The last n samples as columns from x, h rows from y, in eighths. */
static void
chart_bars(int y, int x, int h, const Series *s, int n, double max)
{
	static const char *lv[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

	for (int i = 0; i < n; i++)
	{
		double		v = s->v[MODEL_HISTORY - n + i];
		int			eighths;

		/* nothing to draw at 0 or below, nor to convert out of int's range */
		if (isnan(v) || v <= 0 || max <= 0)
			continue;
		eighths = (int) ceil(v / max * h * 8);
		if (eighths == 0)
			eighths = 1;
		for (int r = 0; r < h && eighths > 0; r++)
		{
			int			l = eighths >= 8 ? 8 : eighths;

			scr_put_n(y + h - 1 - r, x + i, 1, scr_attr(s->pair, 0),
					  scr_glyph(lv[l], l >= 4 ? "#" : "."));
			eighths -= l;
		}
	}
}

/*
 * A chart of h rows (title included) of a history, one column a second,
 * newest on the right, with its scale.
 */
void
panel_chart(int y, int x, int w, int h, const Series *s)
{
	int			cols = w - CHART_AXIS;
	int			n;
	double		max = 0,
				last = NAN;

	if (h < 2 || cols < 10)
		return;
	n = s->n < cols ? s->n : cols;
	for (int i = MODEL_HISTORY - n; i < MODEL_HISTORY; i++)
		if (!isnan(s->v[i]))
		{
			if (s->v[i] > max)
				max = s->v[i];
			last = s->v[i];
		}
	chart_title(y, x, w, s, n, last);
	chart_axis(y + 1, x, h - 1, max);
	chart_bars(y + 1, x + CHART_AXIS + (cols - n), h - 1, s, n, max);
}

/* ------------------------------------------------------------------ */
/* capture and loss counters                                          */
/* ------------------------------------------------------------------ */

/* A label and a right-aligned value, in the wide capture panel. */
static void
detail_row(int y, int x, int w, const char *label, const char *value)
{
	scr_put(y, x + 1, 0, label);
	scr_put_r(y, x + w, 0, value);
}

/* The wide capture panel's start time, worker PID and last batch time. */
static void
draw_capture_details(const Snap *s, int y, int x, int w)
{
	char		v[48];

	if (s->started[0])
		detail_row(y++, x, w, "started", s->started);
	if (s->has_pid)
	{
		snprintf(v, sizeof(v), "%lld", s->pid);
		detail_row(y++, x, w, "worker pid", v);
	}
	if (s->has_batch_ms)
	{
		snprintf(v, sizeof(v), "%.1f ms", s->batch_ms);
		detail_row(y++, x, w, "last batch", v);
	}
	if (s->has_spool)
	{
		char		n[24];

		fmt_count(n, sizeof(n), s->spool_frames);
		snprintf(v, sizeof(v), "%.1f s, %s", s->lag, n);
		detail_row(y++, x, w, "spool lag", v);
	}
}

/* Capture counters, one per row: frames seen, rows stored, rows pending. */
void
panel_capture(const Model *m, int y, int x, int w, bool details)
{
	const Snap *s = &m->snap;
	char		v[48];
	int			r = 1;

	scr_header(y, x, "CAPTURE");
	for (int i = 0; i < s->ncapture && i < 3; i++, r++)
	{
		const Row  *row = &s->capture[i];

		scr_put_n(y + r, x + 1, w - 1, 0, row->item);
		fmt_or_dash(v, sizeof(v), row->has_packets, row->packets, fmt_exact);
		scr_put_r(y + r, x + w, m->stale ? A_DIM : A_BOLD, v);
	}
	/* with a spool's line, the details take the blank line above them */
	if (details)
		draw_capture_details(s, y + r + (s->has_spool ? 0 : 1), x, w);
}

/* Loss counters as a column: label and value per row. */
void
panel_loss_column(const Model *m, int y, int x, int w)
{
	const Snap *s = &m->snap;
	char		v[48];

	scr_header(y, x, snap_any_loss(s) ? "LOSS" : "LOSS  none");
	if (snap_any_loss(s))
		scr_put(y, x, scr_attr(C_LOSS, A_BOLD), "LOSS");
	for (int i = 0; i < s->nloss; i++)
	{
		const Row  *row = &s->loss[i];
		bool		bad = row->has_packets && row->packets != 0;
		attr_t		a = bad ? scr_attr(C_LOSS, A_BOLD) : A_DIM;

		scr_put_n(y + 1 + i, x + 1, w - 1, a, row->item);
		fmt_or_dash(v, sizeof(v), row->has_packets, row->packets, fmt_exact);
		scr_put_r(y + 1 + i, x + w, a, v);
	}
}

/*
 * Loss counters flowed on lines: "LOSS  kernel dropped 0 · ...".  Returns
 * the rows it takes; with measure, draws nothing.
 */
int
panel_loss_flow(const Model *m, int y, int x, int w, bool measure)
{
	const Snap *s = &m->snap;
	int			cx = x + 6,
				rows = 1;
	char		v[48],
				cell[128];
	const char *sep = scr_glyph(" · ", " | ");

	if (!measure)
		scr_put(y, x, snap_any_loss(s) ? scr_attr(C_LOSS, A_BOLD) : scr_attr(C_HEAD, A_BOLD), "LOSS");
	for (int i = 0; i < s->nloss; i++)
	{
		const Row  *row = &s->loss[i];
		bool		bad = row->has_packets && row->packets != 0;
		int			cw;

		fmt_or_dash(v, sizeof(v), row->has_packets, row->packets, fmt_count);
		snprintf(cell, sizeof(cell), "%s %s", row->item, v);
		cw = fmt_width(cell) + (i + 1 < s->nloss ? 3 : 0);
		if (cx + cw > x + w && cx > x + 6)
		{
			rows++;
			cx = x + 6;
			y++;
		}
		if (!measure)
		{
			int			lw = fmt_width(row->item);

			scr_put(y, cx, bad ? scr_attr(C_LOSS, A_BOLD) : A_DIM, row->item);
			scr_put(y, cx + lw + 1, bad ? scr_attr(C_LOSS, A_BOLD | A_UNDERLINE) : 0, v);
			if (i + 1 < s->nloss)
				scr_put(y, cx + fmt_width(cell), A_DIM, sep);
		}
		cx += cw;
	}
	return rows;
}

/* ------------------------------------------------------------------ */
/* protocols and top talkers                                          */
/* ------------------------------------------------------------------ */

/* One line of the protocol table, formatted */
typedef struct ProtoLine
{
	char		name[32],
				packets[48],
				bytes[48],
				share[48];
	attr_t		name_a,
				num_a,
				share_a;
	double		frac;			/* of the bar */
} ProtoLine;

static void
proto_line(ProtoLine *l, const Row *r)
{
	snprintf(l->name, sizeof(l->name), "%s", r->item);
	fmt_or_dash(l->packets, sizeof(l->packets), r->has_packets, r->packets, fmt_count);
	fmt_or_dash(l->bytes, sizeof(l->bytes), r->has_bytes, r->bytes, fmt_bytes);
	fmt_share(l->share, sizeof(l->share), r->has_share, r->share);
	l->name_a = A_BOLD;
	l->num_a = 0;
	l->share_a = A_BOLD;
	l->frac = r->has_share ? r->share / 100.0 : 0;
}

/* The last line when the protocols do not all fit: "+N more", summed. */
static void
proto_rest_line(ProtoLine *l, const Snap *s, int from)
{
	long long	packets,
				bytes;
	double		share;

	snap_proto_rest(s, from, &packets, &bytes, &share);
	snprintf(l->name, sizeof(l->name), "+%d more", s->nproto - from);
	fmt_count(l->packets, sizeof(l->packets), packets);
	fmt_bytes(l->bytes, sizeof(l->bytes), bytes);
	fmt_share(l->share, sizeof(l->share), true, share);
	l->name_a = l->num_a = l->share_a = A_DIM;
	l->frac = share / 100.0;
}

/* Columns: name (15), packets to x + 24, bytes (8), share (6), bar. */
static void
draw_proto_line(int y, int x, int w, const ProtoLine *l)
{
	int			cp = x + 24,
				cb = cp + 8,
				cs = cb + 6;
	int			bx = cs + 2,
				bw = x + w - bx;

	scr_put_n(y, x + 1, cp - x - 9, l->name_a, l->name);
	scr_put_r(y, cp, l->num_a, l->packets);
	scr_put_r(y, cb, l->num_a, l->bytes);
	scr_put_r(y, cs, l->share_a, l->share);
	if (bw >= 4)
		scr_bar(y, bx, bw, l->frac, C_BAR);
}

/* The protocol table in rows lines: name, packets, bytes, share, bar. */
void
panel_protocols(const Model *m, int y, int x, int w, int rows)
{
	const Snap *s = &m->snap;
	int			shown = s->nproto;
	ProtoLine	l;

	scr_header(y, x, "PROTOCOL");
	scr_put_r(y, x + 24, A_DIM, "packets");
	scr_put_r(y, x + 24 + 8, A_DIM, "bytes");
	scr_put_r(y, x + 24 + 8 + 6, A_DIM, "share");
	if (s->nproto == 0)
	{
		scr_put(y + 1, x + 1, A_DIM, "no IP packets yet");
		return;
	}
	if (shown > rows)
		shown = rows - 1;		/* the last row sums up the rest */
	for (int i = 0; i < shown; i++)
	{
		proto_line(&l, &s->proto[i]);
		draw_proto_line(y + 1 + i, x, w, &l);
	}
	if (shown < s->nproto)
	{
		proto_rest_line(&l, s, shown);
		draw_proto_line(y + 1 + shown, x, w, &l);
	}
}

/* Columns of a top talkers table */
typedef struct TopCols
{
	int			aw;				/* address */
	int			cp,				/* where packets, bytes and share end */
				cb,
				cs;
	int			bar;			/* bar width */
} TopCols;

/*
 * The address column as wide as the longest shown address, 15 to 39
 * columns, within w; numbers in narrower columns below 45.
 */
static TopCols
top_cols(const Row *rows, int n, int x, int w)
{
	bool		roomy = w >= 45;
	int			fixed = roomy ? 1 + 10 + 9 + 7 : 1 + 8 + 8 + 6;
	TopCols		c = {.aw = 15};

	for (int i = 0; i < n && i < TOP_SHOWN; i++)
	{
		int			l = (int) strlen(rows[i].item);

		if (l > c.aw)
			c.aw = l;
	}
	if (c.aw > 39)
		c.aw = 39;
	if (c.aw > w - fixed)
		c.aw = w - fixed;
	if (c.aw < 7)
		c.aw = 7;
	c.bar = w - (c.aw + fixed) - 1;
	c.cp = x + 1 + c.aw + (roomy ? 10 : 8);
	c.cb = c.cp + (roomy ? 9 : 8);
	c.cs = c.cb + (roomy ? 7 : 6);
	return c;
}

/* One talker; approximate counts marked "~" and in their color. */
static void
draw_top_row(int y, int x, const TopCols *c, const Row *r, bool first, int pair)
{
	bool		approx = r->note[0] != '\0';
	attr_t		na = approx ? scr_attr(C_APPROX, 0) : 0;
	char		a[64],
				q[40],
				p[48],
				b[48],
				s[48];

	fmt_shorten(a, sizeof(a), r->item, c->aw, scr_glyph("…", "~"));
	scr_put_n(y, x + 1, c->aw, first ? A_BOLD : 0, a);
	if (r->has_packets)
	{
		fmt_count(q, sizeof(q), r->packets);
		snprintf(p, sizeof(p), "%s%s", approx ? "~" : "", q);
	}
	else
		snprintf(p, sizeof(p), "-");
	fmt_or_dash(b, sizeof(b), r->has_bytes, r->bytes, fmt_bytes);
	fmt_share(s, sizeof(s), r->has_share, r->share);
	scr_put_r(y, c->cp, na, p);
	scr_put_r(y, c->cb, na, b);
	scr_put_r(y, c->cs, na | A_BOLD, s);
	if (c->bar >= 4)
		scr_bar(y, c->cs + 2, c->bar, r->has_share ? r->share / 100.0 : 0, pair);
}

/* Top talkers of one direction: address, packets, bytes, share, bar. */
static void
draw_top(int y, int x, int w, const char *title, const Row *rows, int n, int pair)
{
	TopCols		c = top_cols(rows, n, x, w);

	scr_header(y, x, title);
	scr_put_r(y, c.cp, A_DIM, "packets");
	scr_put_r(y, c.cb, A_DIM, "bytes");
	scr_put_r(y, c.cs, A_DIM, "share");
	if (n == 0)
		scr_put(y + 1, x + 1, A_DIM, "none yet");
	for (int i = 0; i < n && i < TOP_SHOWN; i++)
		draw_top_row(y + 1 + i, x, &c, &rows[i], i == 0, pair);
}

/*
 * Sources and destinations across a screen w columns wide, side by side
 * from 78 columns, one above the other below; returns the rows taken.
 */
int
panel_talkers(const Model *m, int y, int w)
{
	const Snap *s = &m->snap;

	if (w >= 78)
	{
		int			pw = (w - 4) / 2;

		draw_top(y, 1, pw, "TOP SOURCES", s->src, s->nsrc, C_BAR);
		draw_top(y, 1 + pw + 2, w - pw - 4, "TOP DESTINATIONS", s->dst, s->ndst, C_BAR2);
		return 6;
	}
	draw_top(y, 1, w - 2, "TOP SOURCES", s->src, s->nsrc, C_BAR);
	draw_top(y + 6, 1, w - 2, "TOP DESTINATIONS", s->dst, s->ndst, C_BAR2);
	return 12;
}

/* ------------------------------------------------------------------ */
/* live conversations                                                 */
/* ------------------------------------------------------------------ */

/* Columns of the conversations table */
typedef struct ConvCols
{
	int			nw;				/* the conversation's name */
	int			cp[2],			/* where packets and bytes end, each way */
				cb[2];
	int			cr;				/* where the rate ends */
	bool		roomy;
} ConvCols;

/*
 * The name column as wide as the longest shown name, 20 columns at least,
 * within w; from 100 columns, wider numbers and the rate with its unit.
 * At 80 columns the name of an IPv4 conversation with ports fits whole.
 */
static ConvCols
conv_cols(const Snap *s, int x, int w)
{
	bool		roomy = w >= 100;
	int			pw = roomy ? 10 : 7,
				bw = roomy ? 9 : 8,
				rw = roomy ? 13 : 7;
	int			fixed = 1 + 2 * (pw + bw) + rw;
	ConvCols	c = {.nw = 20, .roomy = roomy};
	char		name[2 * SNAP_ADDR_LEN + 64];

	for (int i = 0; i < s->nflows && i < TOP_SHOWN; i++)
	{
		int			l;

		snap_flow_name(name, sizeof(name), &s->flows[i], INT_MAX, "~");
		l = (int) strlen(name);
		if (l > c.nw)
			c.nw = l;
	}
	if (c.nw > w - fixed)
		c.nw = w - fixed;
	if (c.nw < 7)
		c.nw = 7;
	c.cp[0] = x + 1 + c.nw + pw;
	c.cb[0] = c.cp[0] + bw;
	c.cp[1] = c.cb[0] + pw;
	c.cb[1] = c.cp[1] + bw;
	c.cr = c.cb[1] + rw;
	return c;
}

/* The header: title, the interval's start, the columns' names. */
static void
draw_conv_header(int y, int x, const ConvCols *c, const Snap *s)
{
	char		from[64];

	scr_header(y, x, "CONVERSATIONS");
	if (s->nflows == 0)
		return;
	snprintf(from, sizeof(from), "from %s", s->flows_from);
	if (s->flows_from[0] && x + 15 + fmt_width(from) < c->cp[0] - 8)
		scr_put(y, x + 15, A_DIM, from);
	scr_put_r(y, c->cp[0], A_DIM, c->roomy ? scr_glyph("→ packets", "-> packets") :
			  scr_glyph("→ pkts", "->pkts"));
	scr_put_r(y, c->cb[0], A_DIM, "bytes");
	scr_put_r(y, c->cp[1], A_DIM, c->roomy ? scr_glyph("← packets", "<- packets") :
			  scr_glyph("← pkts", "<-pkts"));
	scr_put_r(y, c->cb[1], A_DIM, "bytes");
	scr_put_r(y, c->cr, A_DIM, c->roomy ? "rate" : "bit/s");
}

/* One conversation: name, packets and bytes each way, rate. */
static void
draw_conv_row(int y, int x, const ConvCols *c, const Flow *f, const FlowRate *r, bool first)
{
	char		name[2 * SNAP_ADDR_LEN + 64],
				v[48];

	snap_flow_name(name, sizeof(name), f, c->nw, scr_glyph("…", "~"));
	scr_put_n(y, x + 1, c->nw, first ? A_BOLD : 0, name);
	for (int d = 0; d < 2; d++)
	{
		fmt_or_dash(v, sizeof(v), f->has_packets[d], f->packets[d], fmt_count);
		scr_put_r(y, c->cp[d], 0, v);
		fmt_or_dash(v, sizeof(v), f->has_bytes[d], f->bytes[d], fmt_bytes);
		scr_put_r(y, c->cb[d], 0, v);
	}
	if (r->has)
		fmt_si(v, sizeof(v), r->bps, c->roomy ? "bit/s" : "");
	else
		snprintf(v, sizeof(v), "-");
	scr_put_r(y, c->cr, A_BOLD, v);
}

/*
 * The busiest conversations of the capture's open interval in rows lines
 * (the header included), or why there are none.
 */
void
panel_conversations(const Model *m, int y, int x, int w, int rows)
{
	const Snap *s = &m->snap;
	ConvCols	c = conv_cols(s, x, w);
	char		note[SNAP_NOTE_LEN + 96];

	if (rows < 2)
		return;
	draw_conv_header(y, x, &c, s);
	if (s->nflows == 0)
	{
		snap_flows_note(s, note, sizeof(note));
		scr_put_n(y + 1, x + 1, w - 1, s->flows_state == SNAP_FLOWS_FAILED ?
				  scr_attr(C_LOSS, 0) : A_DIM, note);
		return;
	}
	for (int i = 0; i < s->nflows && i < TOP_SHOWN && i < rows - 1; i++)
		draw_conv_row(y + 1 + i, x, &c, &s->flows[i], &m->flow_rate[i], i == 0);
}
