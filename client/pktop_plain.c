/*
 * pktop_plain.c: the plain-text view, for logs, CI and the final
 * statistics printed on stdout when pktop ends.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pktop_format.h"
#include "pktop_plain.h"

/* A rate row's packets/s and bits/s, 0 where the server gave none. */
static void
rates(const Row *r, char *pps, size_t ppslen, char *bps, size_t bpslen)
{
	fmt_pkt_rate(pps, ppslen, r->has_packets ? (double) r->packets : 0);
	fmt_bits_rate(bps, bpslen, r->has_bytes ? r->bytes : 0);
}

/* ------------------------------------------------------------------ */
/* one snapshot a second                                              */
/* ------------------------------------------------------------------ */

/* "   total      1,234 packets, 5.6 kB" and the rates, if any. */
static void
snapshot_totals(FILE *f, const Snap *s)
{
	char		a[48],
				b[48];

	fmt_exact(a, sizeof(a), s->has_total && s->total.has_packets ? s->total.packets : 0);
	fmt_bytes(b, sizeof(b), s->has_total && s->total.has_bytes ? s->total.bytes : 0);
	fprintf(f, "   total      %s packets, %s", a, b);
	if (s->has_rate5)
	{
		rates(&s->rate5, a, sizeof(a), b, sizeof(b));
		fprintf(f, "\n   rate       last 5 s %s, %s", a, b);
	}
	if (s->has_rate_all)
	{
		rates(&s->rate_all, a, sizeof(a), b, sizeof(b));
		fprintf(f, "%s since start %s, %s", s->has_rate5 ? ";" : "\n   rate      ", a, b);
	}
}

static void
snapshot_protocols(FILE *f, const Snap *s)
{
	char		a[48],
				b[48];

	fprintf(f, "\n   protocol  ");
	if (s->nproto == 0)
		fprintf(f, " -");
	for (int i = 0; i < s->nproto; i++)
	{
		fmt_exact(a, sizeof(a), s->proto[i].packets);
		fmt_share(b, sizeof(b), s->proto[i].has_share, s->proto[i].share);
		fprintf(f, "%s %s %s (%s)", i ? "," : "", s->proto[i].item, a, b);
	}
}

/* The shown talkers of one direction, "~" before approximate counts. */
static void
snapshot_talkers(FILE *f, const char *label, const Row *rows, int n)
{
	char		a[48];

	fprintf(f, "\n   %s   ", label);
	if (n == 0)
		fprintf(f, " -");
	for (int i = 0; i < n && i < TOP_SHOWN; i++)
	{
		fmt_exact(a, sizeof(a), rows[i].packets);
		fprintf(f, "%s %s %s%s", i ? "," : "", rows[i].item, rows[i].note[0] ? "~" : "", a);
	}
}

/*
 * A conversation on a line of its own: "10.0.0.1:40000 -> 10.0.0.2:443
 * TCP  -> 12 pkt 1.4 kB  <- 10 pkt 5.2 kB", then its rate when known.
 */
static void
snapshot_flow(FILE *f, const Flow *fl, const FlowRate *r)
{
	char		name[2 * SNAP_ADDR_LEN + 64],
				p[2][48],
				b[2][48],
				pps[48],
				bps[48];

	snap_flow_name(name, sizeof(name), fl, INT_MAX, "~");
	for (int d = 0; d < 2; d++)
	{
		fmt_or_dash(p[d], sizeof(p[d]), fl->has_packets[d], fl->packets[d], fmt_exact);
		fmt_or_dash(b[d], sizeof(b[d]), fl->has_bytes[d], fl->bytes[d], fmt_bytes);
	}
	fprintf(f, "\n               %s  -> %s pkt %s  <- %s pkt %s", name, p[0], b[0], p[1], b[1]);
	if (r->has)
	{
		fmt_pkt_rate(pps, sizeof(pps), r->pps);
		fmt_si(bps, sizeof(bps), r->bps, "bit/s");
		fprintf(f, "  %s, %s", pps, bps);
	}
}

/*
 * The busiest conversations of the open interval, or why there are none:
 * "top conv    interval from 09:08:00", then one a line.
 */
static void
snapshot_flows(FILE *f, const Model *m)
{
	const Snap *s = &m->snap;
	char		note[SNAP_NOTE_LEN + 96];

	if (s->flows_state == SNAP_FLOWS_UNREAD)
		return;
	fprintf(f, "\n   top conv   ");
	if (s->nflows == 0)
	{
		snap_flows_note(s, note, sizeof(note));
		fprintf(f, " %s", note);
		return;
	}
	fprintf(f, " interval from %s", s->flows_from[0] ? s->flows_from : "-");
	for (int i = 0; i < s->nflows && i < TOP_SHOWN; i++)
		snapshot_flow(f, &s->flows[i], &m->flow_rate[i]);
}

/* The capture counters, then the loss counters that are not zero. */
static void
snapshot_counters(FILE *f, const Snap *s)
{
	char		a[48];

	fprintf(f, "\n   capture   ");
	for (int i = 0; i < s->ncapture; i++)
	{
		fmt_exact(a, sizeof(a), s->capture[i].packets);
		fprintf(f, "%s%s %s", i ? ", " : " ", s->capture[i].item, a);
	}
	fprintf(f, "\n   loss      ");
	if (!snap_any_loss(s))
		fprintf(f, " none");
	for (int i = 0; i < s->nloss; i++)
	{
		if (!s->loss[i].has_packets || s->loss[i].packets == 0)
			continue;
		fmt_exact(a, sizeof(a), s->loss[i].packets);
		fprintf(f, " %s %s", s->loss[i].item, a);
	}
}

/* One compact snapshot, as of now, for logs. */
void
plain_snapshot(FILE *f, const Model *m, time_t now)
{
	const Snap *s = &m->snap;
	char		up[48],
				clock[16];
	struct tm	tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	if (m->stale)
	{
		fprintf(f, "%s %s: %s\n", clock, m->iface, m->errmsg);
		fflush(f);
		return;
	}
	fmt_duration(up, sizeof(up), s->has_uptime, s->uptime);
	if (s->has_spool)
	{
		char		n[24],
					b[24];

		fmt_count(n, sizeof(n), s->spool_frames);
		fmt_bytes(b, sizeof(b), s->spool_bytes);
		fprintf(f, "-- %s  %s  %s  up %s  spool lag %.1f s (%s frames, %s) --\n", clock,
				m->iface, s->has_status ? s->state : "no capture", up, s->lag, n, b);
	}
	else
		fprintf(f, "-- %s  %s  %s  up %s --\n", clock, m->iface,
				s->has_status ? s->state : "no capture", up);
	if (!s->has_stats)
	{
		fprintf(f, "   no statistics for \"%s\"\n", m->iface);
		fflush(f);
		return;
	}
	snapshot_totals(f, s);
	snapshot_protocols(f, s);
	snapshot_talkers(f, "top src", s->src, s->nsrc);
	snapshot_talkers(f, "top dst", s->dst, s->ndst);
	snapshot_flows(f, m);
	snapshot_counters(f, s);
	fprintf(f, "\n");
	fflush(f);
}

/* ------------------------------------------------------------------ */
/* the final statistics                                               */
/* ------------------------------------------------------------------ */

#define ITEM_W_MIN	22
#define ITEM_W_MAX	39

/* A table line in 80 columns, without trailing spaces. */
static void
print_cols(FILE *f, int item_w, const char *item, const char *p, const char *b,
		   const char *s, const char *note)
{
	char		line[512];

	snprintf(line, sizeof(line), "  %-*s %13s %16s %7s%s%s", item_w, item, p, b, s,
			 note && *note ? "  " : "", note ? note : "");
	fmt_rstrip(line);
	fprintf(f, "%s\n", line);
}

/* A row with exact numbers: bytes left out when unknown. */
static void
print_table_row(FILE *f, int item_w, const Row *r, bool share)
{
	char		p[48],
				b[48],
				s[48];

	fmt_or_dash(p, sizeof(p), r->has_packets, r->packets, fmt_exact);
	if (r->has_bytes)
		fmt_exact(b, sizeof(b), r->bytes);
	else
		b[0] = '\0';
	if (share)
		fmt_share(s, sizeof(s), r->has_share, r->share);
	else
		s[0] = '\0';
	print_cols(f, item_w, r->item, p, b, s, r->note);
}

static void
print_rows(FILE *f, int item_w, const Row *rows, int n, bool share)
{
	for (int i = 0; i < n; i++)
		print_table_row(f, item_w, &rows[i], share);
}

/* The item column: as wide as the longest name, 22 to 39 bytes. */
static int
widen(int item_w, const Row *rows, int n)
{
	for (int i = 0; i < n; i++)
	{
		int			l = (int) strlen(rows[i].item);

		if (l > item_w)
			item_w = l > ITEM_W_MAX ? ITEM_W_MAX : l;
	}
	return item_w;
}

/* "Final statistics for lo (stopped, ran 0:01:02, filter "udp"):" */
static void
final_heading(FILE *f, const Model *m, const char *title)
{
	const Snap *s = &m->snap;
	char		up[48];

	fmt_duration(up, sizeof(up), s->has_uptime, s->uptime);
	fprintf(f, "\n%s for %s", title, m->iface);
	if (s->has_status)
	{
		fprintf(f, " (%s, %s %s", s->state, snap_active(s) ? "up" : "ran", up);
		if (s->filter[0])
			fprintf(f, ", filter \"%s\"", s->filter);
		fprintf(f, ")");
	}
	fprintf(f, ":\n\n");
}

static void
final_totals(FILE *f, int item_w, const Snap *s)
{
	char		a[48],
				b[48];

	print_cols(f, item_w, "total", "packets", "bytes", "share", NULL);
	if (s->has_total)
	{
		Row			t = s->total;

		snprintf(t.item, sizeof(t.item), "IP packets");
		print_table_row(f, item_w, &t, false);
	}
	if (s->has_rate_all)
	{
		rates(&s->rate_all, a, sizeof(a), b, sizeof(b));
		print_cols(f, item_w, "rate since start", a, b, "", NULL);
	}
	if (s->has_rate5)
	{
		rates(&s->rate5, a, sizeof(a), b, sizeof(b));
		print_cols(f, item_w, "rate last 5 s", a, b, "", NULL);
	}
}

/* The final statistics, as plain text, in 80 columns. */
void
plain_final(FILE *f, const Model *m, const char *title)
{
	const Snap *s = &m->snap;
	int			item_w = ITEM_W_MIN;

	final_heading(f, m, title);
	if (!s->has_stats)
	{
		fprintf(f, "  no statistics for \"%s\" on this server\n", m->iface);
		fflush(f);
		return;
	}
	item_w = widen(item_w, s->proto, s->nproto);
	item_w = widen(item_w, s->src, s->nsrc);
	item_w = widen(item_w, s->dst, s->ndst);
	final_totals(f, item_w, s);
	fprintf(f, "\n  protocol\n");
	print_rows(f, item_w, s->proto, s->nproto, true);
	if (s->nproto == 0)
		fprintf(f, "  (no IP packets)\n");
	fprintf(f, "\n  top sources\n");
	print_rows(f, item_w, s->src, s->nsrc, true);
	fprintf(f, "\n  top destinations\n");
	print_rows(f, item_w, s->dst, s->ndst, true);
	fprintf(f, "\n  capture\n");
	print_rows(f, item_w, s->capture, s->ncapture, false);
	fprintf(f, "\n  %s\n", snap_any_loss(s) ? "loss (NOT ZERO)" : "loss");
	print_rows(f, item_w, s->loss, s->nloss, false);
	fflush(f);
}
