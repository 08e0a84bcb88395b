/*
 * pktop_snap.c: a snapshot read from pkt_stats(), pkt_status() and
 * pkt_flows_live() rows.
 *
 * Nothing the server sends is trusted to be well formed: a NULL, a word
 * where a number belongs, a number out of range, an unknown section, more
 * rows than fit, control characters or invalid UTF-8 in a name all leave
 * a snapshot the views can draw.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktop_format.h"
#include "pktop_snap.h"

/* A bigint column; false for NULL or no number.  Out of range clamps. */
bool
snap_parse_ll(const char *s, long long *out)
{
	char	   *end;

	if (s == NULL)
		return false;
	*out = strtoll(s, &end, 10);
	return end != s;
}

/* A float8 column; false for NULL, no number, NaN or infinity. */
bool
snap_parse_double(const char *s, double *out)
{
	char	   *end;

	if (s == NULL)
		return false;
	*out = strtod(s, &end);
	return end != s && isfinite(*out);
}

static void
read_row(Row *row, const char *const *f, bool utf8)
{
	memset(row, 0, sizeof(*row));
	fmt_sanitize(row->item, sizeof(row->item), f[STATS_ITEM], utf8);
	row->has_packets = snap_parse_ll(f[STATS_PACKETS], &row->packets);
	row->has_bytes = snap_parse_ll(f[STATS_BYTES], &row->bytes);
	row->has_share = snap_parse_double(f[STATS_SHARE], &row->share);
	fmt_sanitize(row->note, sizeof(row->note), f[STATS_NOTE], utf8);
}

/* Appends a row to a list; rows past max are dropped. */
static void
add_row(Row *rows, int *n, int max, const char *const *f, bool utf8)
{
	if (*n < max)
		read_row(&rows[(*n)++], f, utf8);
}

static bool
is(const char *field, const char *word)
{
	return field != NULL && strcmp(field, word) == 0;
}

void
snap_clear(Snap *s)
{
	memset(s, 0, sizeof(*s));
}

/* One row of pkt_stats: STATS_NCOLS fields. */
void
snap_add_stats_row(Snap *s, const char *const *f, bool utf8)
{
	const char *sec = f[STATS_SECTION];

	if (is(sec, "total"))
	{
		/* a new capture of the same name: keep the newest (last) */
		snap_clear(s);
		s->has_total = true;
		read_row(&s->total, f, utf8);
	}
	else if (is(sec, "rate") && is(f[STATS_ITEM], "last 5 s"))
	{
		s->has_rate5 = true;
		read_row(&s->rate5, f, utf8);
	}
	else if (is(sec, "rate") && is(f[STATS_ITEM], "since start"))
	{
		s->has_rate_all = true;
		read_row(&s->rate_all, f, utf8);
	}
	else if (is(sec, "protocol"))
		add_row(s->proto, &s->nproto, SNAP_MAX_PROTO, f, utf8);
	else if (is(sec, "top_source"))
		add_row(s->src, &s->nsrc, SNAP_MAX_TOP, f, utf8);
	else if (is(sec, "top_destination"))
		add_row(s->dst, &s->ndst, SNAP_MAX_TOP, f, utf8);
	else if (is(sec, "capture"))
		add_row(s->capture, &s->ncapture, SNAP_MAX_MISC, f, utf8);
	else if (is(sec, "loss"))
		add_row(s->loss, &s->nloss, SNAP_MAX_MISC, f, utf8);
	/* any row, even of a section unknown to this version, is a capture */
	s->has_stats = true;
}

/* The row of pkt_status for the capture: STATUS_NCOLS fields. */
void
snap_set_status(Snap *s, const char *const *f, bool utf8)
{
	s->has_status = true;
	fmt_sanitize(s->state, sizeof(s->state), f[STATUS_STATE], utf8);
	fmt_sanitize(s->kind, sizeof(s->kind), f[STATUS_KIND], utf8);
	fmt_sanitize(s->filter, sizeof(s->filter), f[STATUS_FILTER], utf8);
	fmt_sanitize(s->error, sizeof(s->error), f[STATUS_ERROR], utf8);
	s->has_pid = snap_parse_ll(f[STATUS_PID], &s->pid);
	fmt_sanitize(s->started, sizeof(s->started), f[STATUS_STARTED], utf8);
	fmt_sanitize(s->stopped, sizeof(s->stopped), f[STATUS_STOPPED], utf8);
	s->has_uptime = snap_parse_double(f[STATUS_UPTIME], &s->uptime);
	s->has_batch_ms = snap_parse_double(f[STATUS_BATCH_MS], &s->batch_ms);
	s->has_spool = snap_parse_double(f[STATUS_LAG], &s->lag) &&
		snap_parse_ll(f[STATUS_SPOOL_FRAMES], &s->spool_frames) &&
		snap_parse_ll(f[STATUS_SPOOL_BYTES], &s->spool_bytes);
}

/* The capture runs, or is about to start or stop. */
bool
snap_active(const Snap *s)
{
	return s->has_status &&
		(strcmp(s->state, "running") == 0 || strcmp(s->state, "starting") == 0 ||
		 strcmp(s->state, "stopping") == 0);
}

bool
snap_any_loss(const Snap *s)
{
	for (int i = 0; i < s->nloss; i++)
		if (s->loss[i].has_packets && s->loss[i].packets != 0)
			return true;
	return false;
}

/* The largest "at most N" of the shown talkers' notes, into *max. */
static void
max_error(const Row *rows, int n, long long *max)
{
	for (int i = 0; i < n && i < TOP_SHOWN; i++)
	{
		const char *p = strstr(rows[i].note, "at most ");
		long long	e = p ? strtoll(p + 8, NULL, 10) : 0;

		if (e > *max)
			*max = e;
	}
}

static bool
any_note(const Row *rows, int n)
{
	for (int i = 0; i < n && i < TOP_SHOWN; i++)
		if (rows[i].note[0])
			return true;
	return false;
}

/*
 * Whether a shown top talker's count is approximate (the server notes
 * it); *max_error is the largest bound the notes give, 0 when none does.
 */
bool
snap_top_approx(const Snap *s, long long *max_error_out)
{
	*max_error_out = 0;
	if (!any_note(s->src, s->nsrc) && !any_note(s->dst, s->ndst))
		return false;
	max_error(s->src, s->nsrc, max_error_out);
	max_error(s->dst, s->ndst, max_error_out);
	return true;
}

/* a + b for counts of zero or more, held at LLONG_MAX. */
static long long
add_count(long long a, long long b)
{
	return b > LLONG_MAX - a ? LLONG_MAX : a + b;
}

/*
 * The protocols from index from on, summed up for one table row; unknown
 * and negative counts count 0, a sum past LLONG_MAX holds there.
 */
void
snap_proto_rest(const Snap *s, int from, long long *packets, long long *bytes,
				double *share)
{
	*packets = 0;
	*bytes = 0;
	*share = 0;
	for (int i = from; i < s->nproto; i++)
	{
		const Row  *r = &s->proto[i];

		if (r->has_packets && r->packets > 0)
			*packets = add_count(*packets, r->packets);
		if (r->has_bytes && r->bytes > 0)
			*bytes = add_count(*bytes, r->bytes);
		*share += r->has_share ? r->share : 0;
	}
}

/* ------------------------------------------------------------------ */
/* live conversations                                                 */
/* ------------------------------------------------------------------ */

/*
 * What pkt_flows_live gave this refresh: SNAP_FLOWS_READ before its rows,
 * or why there are none (note: the extension's version for MISSING, NULL
 * when it is not installed; the error for FAILED).
 */
void
snap_set_flows(Snap *s, SnapFlows state, const char *note, bool utf8)
{
	s->flows_state = state;
	s->nflows = 0;
	s->has_flows_interval = false;
	s->flows_from[0] = '\0';
	fmt_sanitize(s->flows_note, sizeof(s->flows_note), note, utf8);
}

/*
 * One row of pkt_flows_live: FLOWS_NCOLS fields.  The interval is the
 * first row's: every row of a capture has the same.
 */
void
snap_add_flow_row(Snap *s, const char *const *f, bool utf8)
{
	Flow	   *fl;

	if (s->nflows >= SNAP_MAX_FLOWS)
		return;
	if (s->nflows == 0)
	{
		fmt_sanitize(s->flows_from, sizeof(s->flows_from), f[FLOWS_FROM], utf8);
		s->has_flows_interval = snap_parse_double(f[FLOWS_INTERVAL], &s->flows_interval);
	}
	fl = &s->flows[s->nflows++];
	memset(fl, 0, sizeof(*fl));
	fmt_sanitize(fl->src, sizeof(fl->src), f[FLOWS_SRC], utf8);
	fmt_sanitize(fl->dst, sizeof(fl->dst), f[FLOWS_DST], utf8);
	fmt_sanitize(fl->proto, sizeof(fl->proto), f[FLOWS_PROTO], utf8);
	fl->has_src_port = snap_parse_ll(f[FLOWS_SRC_PORT], &fl->src_port);
	fl->has_dst_port = snap_parse_ll(f[FLOWS_DST_PORT], &fl->dst_port);
	fl->has_packets[0] = snap_parse_ll(f[FLOWS_PACKETS], &fl->packets[0]);
	fl->has_bytes[0] = snap_parse_ll(f[FLOWS_BYTES], &fl->bytes[0]);
	fl->has_packets[1] = snap_parse_ll(f[FLOWS_REV_PACKETS], &fl->packets[1]);
	fl->has_bytes[1] = snap_parse_ll(f[FLOWS_REV_BYTES], &fl->bytes[1]);
}

/* The same conversation: addresses, ports and protocol, as shown. */
bool
snap_flow_same(const Flow *a, const Flow *b)
{
	return strcmp(a->src, b->src) == 0 && strcmp(a->dst, b->dst) == 0 &&
		strcmp(a->proto, b->proto) == 0 &&
		a->has_src_port == b->has_src_port && a->has_dst_port == b->has_dst_port &&
		(!a->has_src_port || a->src_port == b->src_port) &&
		(!a->has_dst_port || a->dst_port == b->dst_port);
}

/*
 * An address as written with a port: 10.0.0.1:53, [2001:db8::1]:53 (v6:
 * the address as given has a colon), or alone.
 */
static void
endpoint(char *buf, size_t len, const char *addr, bool v6, bool has_port, long long port)
{
	if (!has_port)
		snprintf(buf, len, "%s", addr);
	else if (v6)
		snprintf(buf, len, "[%s]:%lld", addr, port);
	else
		snprintf(buf, len, "%s:%lld", addr, port);
}

/*
 * How much of room the two addresses, a and b bytes long, each get: a
 * short one all it needs, the rest to the other, else half each.
 */
static void
split_room(int room, int a, int b, int *aw, int *bw)
{
	if (a <= room / 2)
		*aw = a;
	else if (b <= room / 2)
		*aw = room - b;
	else
		*aw = room - room / 2;
	*bw = room - *aw;
}

/*
 * "10.0.0.1:40000 -> 10.0.0.2:443 TCP", in w columns when it is longer:
 * the addresses shortened around mark (fmt_shorten), ports and protocol
 * kept.
 */
void
snap_flow_name(char *buf, size_t len, const Flow *f, int w, const char *mark)
{
	char		src[SNAP_ADDR_LEN + 24],
				dst[SNAP_ADDR_LEN + 24],
				a[SNAP_ADDR_LEN],
				b[SNAP_ADDR_LEN];
	int			sl = (int) strlen(f->src),
				dl = (int) strlen(f->dst),
				aw,
				bw,
				whole;

	bool		v6src = strchr(f->src, ':') != NULL,
				v6dst = strchr(f->dst, ':') != NULL;

	endpoint(src, sizeof(src), f->src, v6src, f->has_src_port, f->src_port);
	endpoint(dst, sizeof(dst), f->dst, v6dst, f->has_dst_port, f->dst_port);
	whole = snprintf(buf, len, "%s -> %s %s", src, dst, f->proto);
	if (whole <= w)
		return;
	split_room(w - (whole - sl - dl), sl, dl, &aw, &bw);
	fmt_shorten(a, sizeof(a), f->src, aw, mark);
	fmt_shorten(b, sizeof(b), f->dst, bw, mark);
	endpoint(src, sizeof(src), a, v6src, f->has_src_port, f->src_port);
	endpoint(dst, sizeof(dst), b, v6dst, f->has_dst_port, f->dst_port);
	snprintf(buf, len, "%s -> %s %s", src, dst, f->proto);
}

/* What the views say where no conversation is listed, and why. */
void
snap_flows_note(const Snap *s, char *buf, size_t len)
{
	switch (s->flows_state)
	{
		case SNAP_FLOWS_UNREAD:
			snprintf(buf, len, "not read");
			break;
		case SNAP_FLOWS_READ:
			snprintf(buf, len, "%s", snap_active(s) ? "none yet" :
					 "none: only a running capture has live conversations");
			break;
		case SNAP_FLOWS_MISSING:
			if (s->flows_note[0])
				snprintf(buf, len, "conversations need pktcapture 1.6 (pkt_flows_live);"
						 " this database has %s", s->flows_note);
			else
				snprintf(buf, len, "conversations need pktcapture 1.6 (pkt_flows_live)");
			break;
		case SNAP_FLOWS_FAILED:
			snprintf(buf, len, "pkt_flows_live failed: %s", s->flows_note);
			break;
	}
}
