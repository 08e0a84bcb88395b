/*-------------------------------------------------------------------------
 * pkt_summary.c
 *		The summaries behind pkt_report(): for every minute, hour and day
 *		of a run, exact packets and bytes per protocol (pkt_summary), and
 *		bounded lists of top talkers per direction (pkt_summary_top).
 *
 * Space and cost are bounded by time and packets, never by how many
 * addresses the traffic has: a bucket holds one row per protocol seen
 * (at most 256) and, per direction, one row whose arrays list at most 2k
 * addresses (pktcapture.summary_top = k; pkt_toplist.c says what a list
 * promises and how lists merge).  A report over any window reads a
 * bounded number of buckets: whole days, whole hours at its edges, whole
 * minutes at theirs.
 *
 * In memory, a run holds the buckets it is filling ("open"): a few
 * minutes, each counting its addresses in two Space-Saving counters of
 * pktcapture.summary_capacity addresses (exact until that many), and the
 * hours and days they belong to.  When a minute closes (a newer one
 * needs its place, or the run ends), its counters become lists, which
 * are merged into its hour's and its day's.  Rows of a time whose bucket
 * is no longer open (a capture file out of order) open it again, as a
 * new part: a bucket of a run may have several parts, each holding
 * different rows, and reports add them up.
 *
 * Every pktcapture.summary_interval the run writes the buckets that
 * changed, each part whole (an upsert replacing the part's rows), in a
 * transaction whose ledger update moves the run's summarized_id: every
 * row of the run up to it is in the summaries, none above, and
 * pkt_report() reads those from packets.  A part written is the sum of
 * every row committed to it so far, so a write that fails is simply
 * written again.  Closed buckets stay in memory until their write
 * commits; at most MAX_CLOSED of them, beyond which (writes keep
 * failing) the run gives its summaries up and pkt_report() reads its
 * rows from packets (summarized_id stays).
 *
 * Buckets start at whole spans from pktcapture's one epoch (pkt_bucket.h),
 * as date_bin(span, t, pkt_bucket_epoch()) does in SQL.  Parts written by a run are numbered from
 * 1; the SQL functions that sum rows of packets (a crash's catch-up, a
 * rebuild) write parts -1 and 0.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_inet.h"
#include "pkt_summary.h"

#define NSPANS 3
#define SPAN_MINUTE 0
#define SPAN_HOUR 1
#define SPAN_DAY 2

static const int64 span_usecs[NSPANS] = {
	INT64CONST(60) * USECS_PER_SEC,
	INT64CONST(3600) * USECS_PER_SEC,
	INT64CONST(86400) * USECS_PER_SEC
};
static const char *const span_text[NSPANS] = {"1 minute", "1 hour", "1 day"};

/*
 * Buckets open at once, per span: a few minutes, so that rows a little
 * out of order (a file merged from several captures) find theirs.
 */
static const int max_open[NSPANS] = {4, 2, 2};

#define MAX_CLOSED 256			/* closed buckets not yet written */
#define NDIRS 2					/* sources, destinations */
static const char *const dir_text[NDIRS] = {"source", "destination"};

typedef struct ProtoSum
{
	int64		packets;
	int64		bytes;
	TimestampTz first;
	TimestampTz last;
} ProtoSum;

/* two Space-Saving counters (sources, destinations), reused across minutes */
typedef struct Counter
{
	slist_node	node;
	PktTopK    *tk[NDIRS];
} Counter;

typedef struct SumBucket
{
	dlist_node	node;
	int			span;
	TimestampTz start;
	int32		part;
	bool		open;			/* rows may still come */
	bool		dirty;			/* changed since last written */
	bool		in_xact;		/* written in the open transaction */
	uint64		used;			/* clock of its last use */
	uint32		max_len;		/* largest packet, bytes on the wire */
	struct SumBucket *up[2];	/* a minute: its hour and day */
	int			nminutes;		/* an hour or day: its open minutes */
	Counter    *counter;		/* an open minute: its addresses */
	PktTopList	list[NDIRS];	/* a closed minute's; an hour's or day's closed minutes */
	PktTopList	now[NDIRS];		/* while writing: the lists as they are */
	ProtoSum	protos[256];
} SumBucket;

static int64
floor_to(TimestampTz t, int span)
{
	return pkt_bucket_start(t, span_usecs[span]);
}

static void
list_alloc(PktSums *s, PktTopList *l)
{
	l->n = 0;
	l->other_packets = l->other_bytes = 0;
	l->e = MemoryContextAlloc(s->cxt, sizeof(PktTopEntry) * 2 * s->k);
}

/*
 * The summaries of a run.  With run_lists, the run also keeps lists of
 * its whole span, for pkt_stats (a file load, which counts no top talkers
 * of its own).
 */
void
pkt_sums_init(PktSums *s, MemoryContext cxt, bool run_lists)
{
	Size		nscratch;

	memset(s, 0, sizeof(*s));
	s->cxt = cxt;
	s->batch_cxt = AllocSetContextCreate(cxt, "pktcapture summary batch",
										 ALLOCSET_DEFAULT_SIZES);
	s->k = pkt_summary_top;
	s->capacity = pkt_summary_capacity;
	s->seed = pg_prng_uint64(&pg_global_prng_state);
	dlist_init(&s->buckets);
	slist_init(&s->free_counters);
	s->next_part = 1;
	s->last_at = GetCurrentTimestamp();
	nscratch = Max((Size) s->capacity, (Size) 8 * s->k);
	s->scratch.e = MemoryContextAllocHuge(cxt, sizeof(PktTopEntry) * nscratch);
	s->scratch.idx = MemoryContextAllocHuge(cxt, sizeof(uint32) * nscratch);
	s->run_lists = run_lists;
	if (run_lists)
		for (int d = 0; d < NDIRS; d++)
			list_alloc(s, &s->run_top[d]);
}

static Counter *
counter_get(PktSums *s)
{
	Counter    *c;

	if (!slist_is_empty(&s->free_counters))
		c = slist_container(Counter, node, slist_pop_head_node(&s->free_counters));
	else
	{
		c = MemoryContextAlloc(s->cxt, sizeof(Counter));
		for (int d = 0; d < NDIRS; d++)
			c->tk[d] = MemoryContextAllocHuge(s->cxt, pkt_topk_size(s->capacity));
	}
	for (int d = 0; d < NDIRS; d++)
		c->tk[d] = pkt_topk_init(c->tk[d], s->capacity, s->seed);
	return c;
}

static SumBucket *
bucket_new(PktSums *s, int span, TimestampTz start)
{
	SumBucket  *b = MemoryContextAllocZero(s->cxt, sizeof(SumBucket));

	b->span = span;
	b->start = start;
	b->part = s->next_part++;
	b->open = true;
	b->used = ++s->clock;
	for (int d = 0; d < NDIRS; d++)
	{
		list_alloc(s, &b->list[d]);
		list_alloc(s, &b->now[d]);
	}
	dlist_push_tail(&s->buckets, &b->node);
	s->nopen[span]++;
	return b;
}

static void
bucket_free(PktSums *s, SumBucket *b)
{
	if (s->last == b)
		s->last = NULL;
	dlist_delete(&b->node);
	for (int d = 0; d < NDIRS; d++)
	{
		pfree(b->list[d].e);
		pfree(b->now[d].e);
	}
	pfree(b);
}

/* Add the protocols of a minute to its hour's or day's. */
static void
protos_add(ProtoSum *to, const ProtoSum *from)
{
	for (int p = 0; p < 256; p++)
	{
		if (from[p].packets == 0)
			continue;
		if (to[p].packets == 0)
		{
			to[p].first = from[p].first;
			to[p].last = from[p].last;
		}
		to[p].packets += from[p].packets;
		to[p].bytes += from[p].bytes;
		to[p].first = Min(to[p].first, from[p].first);
		to[p].last = Max(to[p].last, from[p].last);
	}
}

static void close_bucket(PktSums *s, SumBucket *b);

/*
 * No more rows for this bucket.  A minute's counters become its lists,
 * which join its hour's and its day's; an hour or a day first closes its
 * open minutes.
 */
static void
close_bucket(PktSums *s, SumBucket *b)
{
	Assert(b->open);
	if (b->span == SPAN_MINUTE)
	{
		for (int d = 0; d < NDIRS; d++)
			pkt_toplist_from_topk(&b->list[d], s->k, b->counter->tk[d], b->max_len,
								  &s->scratch);
		slist_push_head(&s->free_counters, &b->counter->node);
		b->counter = NULL;
		for (int u = 0; u < 2; u++)
		{
			SumBucket  *up = b->up[u];

			protos_add(up->protos, b->protos);
			for (int d = 0; d < NDIRS; d++)
				pkt_toplist_merge(&up->list[d], s->k, &b->list[d], &s->scratch);
			up->max_len = Max(up->max_len, b->max_len);
			up->nminutes--;
			up->dirty = true;
		}
		if (s->run_lists)
		{
			for (int d = 0; d < NDIRS; d++)
				pkt_toplist_merge(&s->run_top[d], s->k, &b->list[d], &s->scratch);
			s->top_dirty = true;
		}
	}
	else
	{
		dlist_mutable_iter it;

		dlist_foreach_modify(it, &s->buckets)
		{
			SumBucket  *m = dlist_container(SumBucket, node, it.cur);

			if (m->open && m->span == SPAN_MINUTE && m->up[b->span - 1] == b)
				close_bucket(s, m);
		}
		Assert(b->nminutes == 0);
	}
	b->open = false;
	b->dirty = true;
	s->nopen[b->span]--;
	s->nclosed++;
}

/* The open bucket of the span starting at start, opened if it is not. */
static SumBucket *
open_bucket(PktSums *s, int span, TimestampTz start)
{
	dlist_iter	it;
	SumBucket  *lru = NULL;

	dlist_foreach(it, &s->buckets)
	{
		SumBucket  *b = dlist_container(SumBucket, node, it.cur);

		if (!b->open || b->span != span)
			continue;
		if (b->start == start)
		{
			b->used = ++s->clock;
			return b;
		}
		if (lru == NULL || b->used < lru->used)
			lru = b;
	}
	if (s->nopen[span] >= max_open[span])
		close_bucket(s, lru);
	return bucket_new(s, span, start);
}

/* The open minute bucket of the minute starting at start. */
static SumBucket *
minute_bucket(PktSums *s, TimestampTz start)
{
	dlist_iter	it;
	SumBucket  *hour;
	SumBucket  *day;
	SumBucket  *b;

	dlist_foreach(it, &s->buckets)
	{
		b = dlist_container(SumBucket, node, it.cur);
		if (b->open && b->span == SPAN_MINUTE && b->start == start)
			return b;
	}
	/* its hour and day first: opening them may close older minutes */
	hour = open_bucket(s, SPAN_HOUR, floor_to(start, SPAN_HOUR));
	day = open_bucket(s, SPAN_DAY, floor_to(start, SPAN_DAY));
	b = open_bucket(s, SPAN_MINUTE, start);
	b->counter = counter_get(s);
	b->up[0] = hour;
	b->up[1] = day;
	hour->nminutes++;
	day->nminutes++;
	return b;
}

/* Sum n rows just committed. */
void
pkt_sums_add(PktSums *s, const PktRow *rows, int n)
{
	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		TimestampTz minute = floor_to(row->ts, SPAN_MINUTE);
		SumBucket  *b = s->last;
		ProtoSum   *ps;
		uint8		key[PKT_TOPK_KEYLEN];

		if (row->info.flags & PKT_F_NOT_STORED)
			continue;
		if (b == NULL || !b->open || b->start != minute)
		{
			b = minute_bucket(s, minute);
			s->last = b;
		}
		b->used = ++s->clock;
		b->dirty = b->up[0]->dirty = b->up[1]->dirty = true;
		ps = &b->protos[row->info.ip_proto];
		if (ps->packets == 0)
			ps->first = ps->last = row->ts;
		ps->packets++;
		ps->bytes += row->len;
		ps->first = Min(ps->first, row->ts);
		ps->last = Max(ps->last, row->ts);
		b->max_len = Max(b->max_len, row->len);
		pkt_topk_key(key, row->info.ip_version, row->info.src);
		pkt_topk_add(b->counter->tk[0], key, row->len);
		pkt_topk_key(key, row->info.ip_version, row->info.dst);
		pkt_topk_add(b->counter->tk[1], key, row->len);
	}
}

/* Close every open bucket: the run ends (minutes first, as closing does). */
void
pkt_sums_close_all(PktSums *s)
{
	for (int span = SPAN_MINUTE; span < NSPANS; span++)
	{
		dlist_iter	it;

		dlist_foreach(it, &s->buckets)
		{
			SumBucket  *b = dlist_container(SumBucket, node, it.cur);

			if (b->open && b->span == span)
				close_bucket(s, b);
		}
	}
	s->last = NULL;
}

static bool
any_dirty(PktSums *s)
{
	dlist_iter	it;

	dlist_foreach(it, &s->buckets)
	{
		if (dlist_container(SumBucket, node, it.cur)->dirty)
			return true;
	}
	return false;
}

/*
 * Are summaries due: pktcapture.summary_interval has passed since they
 * were last written and something changed, or the closed buckets held
 * are at their bound?
 */
bool
pkt_sums_due(PktSums *s, TimestampTz now)
{
	if (s->abandoned)
		return false;
	return pkt_sums_full(s) ||
		(now >= TimestampTzPlusMilliseconds(s->last_at, pkt_summary_interval_ms) &&
		 any_dirty(s));
}

/* Are the closed buckets held at their bound (memory stays bounded)? */
bool
pkt_sums_full(PktSums *s)
{
	return s->nclosed >= MAX_CLOSED;
}

/* ------------------------------------------------------------------------
 * Writing.
 * ------------------------------------------------------------------------
 */
#define PROTO_NCOLS 9
#define TOP_NCOLS 12

static const Oid proto_types[PROTO_NCOLS] = {
	INTERVALOID, TIMESTAMPTZOID, INT4OID, INT4OID, INT2OID, INT8OID, INT8OID,
	TIMESTAMPTZOID, TIMESTAMPTZOID
};
static const Oid top_types[TOP_NCOLS] = {
	INTERVALOID, TIMESTAMPTZOID, INT4OID, INT4OID, TEXTOID, INT8OID, INT8OID,
	INETARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID
};

/*
 * The statements writing the summaries, with the owner's rights: each
 * replaces a part's rows.  Every name is schema-qualified, so no
 * search_path can change what they do.  The rows' sensor is the column's
 * default, this server's pktcapture.sensor.
 */
static void
prepare_statements(PktSums *s, Oid owner)
{
	Oid			protos_id;
	Oid			top_id;
	char	   *protos = pkt_ext_relname("pkt_summary", &protos_id);
	char	   *top = pkt_ext_relname("pkt_summary_top", &top_id);

	s->protos_stmt = pkt_stmt_create(s->cxt, protos, protos_id,
									 "span, bucket, run_id, part, ip_proto, packets, bytes, "
									 "first_seen, last_seen",
									 " ON CONFLICT (span, bucket, sensor, run_id, part, ip_proto) DO UPDATE SET "
									 "packets = excluded.packets, bytes = excluded.bytes, "
									 "first_seen = excluded.first_seen, last_seen = excluded.last_seen",
									 PROTO_NCOLS, proto_types, owner);
	s->top_stmt = pkt_stmt_create(s->cxt, top, top_id,
								  "span, bucket, run_id, part, direction, other_packets, "
								  "other_bytes, addrs, packets, bytes, packets_error, bytes_error",
								  " ON CONFLICT (span, bucket, sensor, run_id, part, direction) DO UPDATE SET "
								  "other_packets = excluded.other_packets, "
								  "other_bytes = excluded.other_bytes, addrs = excluded.addrs, "
								  "packets = excluded.packets, bytes = excluded.bytes, "
								  "packets_error = excluded.packets_error, "
								  "bytes_error = excluded.bytes_error",
								  TOP_NCOLS, top_types, owner);
}

/*
 * A bucket's lists and protocols as they are now (in b->now, and in
 * protos): an open minute's from its counters; an open hour's or day's
 * from its closed minutes and, merged in, its open minutes' (whose
 * b->now the caller made first).
 */
static void
bucket_now(PktSums *s, SumBucket *b, ProtoSum *protos)
{
	dlist_iter	it;

	memcpy(protos, b->protos, sizeof(b->protos));
	if (b->span == SPAN_MINUTE && b->open)
	{
		for (int d = 0; d < NDIRS; d++)
			pkt_toplist_from_topk(&b->now[d], s->k, b->counter->tk[d], b->max_len,
								  &s->scratch);
		return;
	}
	for (int d = 0; d < NDIRS; d++)
		pkt_toplist_copy(&b->now[d], &b->list[d]);
	if (b->span == SPAN_MINUTE || b->nminutes == 0)
		return;
	dlist_foreach(it, &s->buckets)
	{
		SumBucket  *m = dlist_container(SumBucket, node, it.cur);

		if (!m->open || m->span != SPAN_MINUTE || m->up[b->span - 1] != b)
			continue;
		protos_add(protos, m->protos);
		for (int d = 0; d < NDIRS; d++)
			pkt_toplist_merge(&b->now[d], s->k, &m->now[d], &s->scratch);
	}
}

static Datum
span_datum(int span)
{
	return DirectFunctionCall3(interval_in, CStringGetDatum(span_text[span]),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static Datum
int8_array(const PktTopList *l, size_t field_offset)
{
	Datum	   *v = palloc(sizeof(Datum) * Max(l->n, 1));

	for (uint32 i = 0; i < l->n; i++)
		v[i] = Int64GetDatum((int64) *(const uint64 *) ((const char *) &l->e[i] + field_offset));
	return PointerGetDatum(construct_array(v, l->n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

static Datum
inet_array(const PktTopList *l)
{
	InetSlot   *ips = palloc(sizeof(InetSlot) * Max(l->n, 1));
	Datum	   *v = palloc(sizeof(Datum) * Max(l->n, 1));

	for (uint32 i = 0; i < l->n; i++)
	{
		pkt_set_inet(&ips[i].ip, l->e[i].key[0], l->e[i].key + 1);
		v[i] = InetPGetDatum(&ips[i].ip);
	}
	return PointerGetDatum(construct_array(v, l->n, INETOID, -1, false, TYPALIGN_INT));
}

/* The rows of the summaries being written. */
typedef struct SumRows
{
	Datum		spans[NSPANS];
	int32		run_id;
	Datum	   *pv;				/* protocols: PROTO_NCOLS values a row */
	char	   *pn;
	int			np;
	Datum	   *tv;				/* top talkers: TOP_NCOLS values a row */
	char	   *tn;
	int			nt;
} SumRows;

/* The rows of bucket b, whose lists are b->now and protocols protos. */
static void
emit(SumRows *r, SumBucket *b, const ProtoSum *protos)
{
	for (int p = 0; p < 256; p++)
	{
		Datum	   *v = r->pv + PROTO_NCOLS * r->np;

		if (protos[p].packets == 0)
			continue;
		v[0] = r->spans[b->span];
		v[1] = TimestampTzGetDatum(b->start);
		v[2] = Int32GetDatum(r->run_id);
		v[3] = Int32GetDatum(b->part);
		v[4] = Int16GetDatum((int16) p);
		v[5] = Int64GetDatum(protos[p].packets);
		v[6] = Int64GetDatum(protos[p].bytes);
		v[7] = TimestampTzGetDatum(protos[p].first);
		v[8] = TimestampTzGetDatum(protos[p].last);
		r->np++;
	}
	for (int d = 0; d < NDIRS; d++)
	{
		Datum	   *v = r->tv + TOP_NCOLS * r->nt;
		const PktTopList *l = &b->now[d];

		v[0] = r->spans[b->span];
		v[1] = TimestampTzGetDatum(b->start);
		v[2] = Int32GetDatum(r->run_id);
		v[3] = Int32GetDatum(b->part);
		v[4] = CStringGetTextDatum(dir_text[d]);
		v[5] = Int64GetDatum((int64) l->other_packets);
		v[6] = Int64GetDatum((int64) l->other_bytes);
		v[7] = inet_array(l);
		v[8] = int8_array(l, offsetof(PktTopEntry, packets));
		v[9] = int8_array(l, offsetof(PktTopEntry, bytes));
		v[10] = int8_array(l, offsetof(PktTopEntry, packets_error));
		v[11] = int8_array(l, offsetof(PktTopEntry, bytes_error));
		r->nt++;
	}
	b->in_xact = true;
}

/*
 * Write the buckets that changed since they were last written, each part
 * whole, in the caller's transaction, whose ledger update must then move
 * the run's summarized_id (pkt_run_update_ledger()).
 */
void
pkt_sums_write(PktSums *s, int32 run_id, Oid owner)
{
	MemoryContext old;
	dlist_iter	it;
	int			nbuckets = 0;
	ProtoSum   *protos;
	SumRows		r;

	if (s->abandoned)
		return;					/* summarized_id stays */
	/* with nothing changed, every row stored is in the summaries */
	s->in_xact = true;
	dlist_foreach(it, &s->buckets)
	{
		if (dlist_container(SumBucket, node, it.cur)->dirty)
			nbuckets++;
	}
	if (nbuckets == 0)
		return;
	if (s->protos_stmt == NULL)
		prepare_statements(s, owner);
	old = MemoryContextSwitchTo(s->batch_cxt);
	memset(&r, 0, sizeof(r));
	for (int span = 0; span < NSPANS; span++)
		r.spans[span] = span_datum(span);
	r.run_id = run_id;
	r.pv = palloc(sizeof(Datum) * PROTO_NCOLS * 256 * nbuckets);
	r.pn = palloc(PROTO_NCOLS * 256 * nbuckets);
	r.tv = palloc(sizeof(Datum) * TOP_NCOLS * NDIRS * nbuckets);
	r.tn = palloc(TOP_NCOLS * NDIRS * nbuckets);
	memset(r.pn, ' ', PROTO_NCOLS * 256 * nbuckets);
	memset(r.tn, ' ', TOP_NCOLS * NDIRS * nbuckets);
	protos = palloc(sizeof(ProtoSum) * 256);

	/* open minutes first: the open hours and days merge them in */
	dlist_foreach(it, &s->buckets)
	{
		SumBucket  *b = dlist_container(SumBucket, node, it.cur);

		if (!b->open || b->span != SPAN_MINUTE)
			continue;
		bucket_now(s, b, protos);
		if (b->dirty)
			emit(&r, b, protos);
	}
	dlist_foreach(it, &s->buckets)
	{
		SumBucket  *b = dlist_container(SumBucket, node, it.cur);

		if (!b->dirty || (b->open && b->span == SPAN_MINUTE))
			continue;
		bucket_now(s, b, protos);
		emit(&r, b, protos);
	}
	pkt_stmt_insert(s->protos_stmt, r.np, r.pv, r.pn);
	pkt_stmt_insert(s->top_stmt, r.nt, r.tv, r.tn);
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->batch_cxt);
}

/*
 * The transaction of the last pkt_sums_write() committed: what it wrote
 * is in the tables, and closed buckets written are forgotten.
 */
void
pkt_sums_committed(PktSums *s)
{
	dlist_mutable_iter it;

	if (!s->in_xact)
		return;
	dlist_foreach_modify(it, &s->buckets)
	{
		SumBucket  *b = dlist_container(SumBucket, node, it.cur);

		if (!b->in_xact)
			continue;
		b->in_xact = false;
		b->dirty = false;
		if (!b->open)
		{
			s->nclosed--;
			bucket_free(s, b);
		}
	}
	s->in_xact = false;
	s->last_at = GetCurrentTimestamp();
}

/* It did not: every bucket it wrote is to write again. */
void
pkt_sums_aborted(PktSums *s)
{
	dlist_iter	it;

	dlist_foreach(it, &s->buckets)
		dlist_container(SumBucket, node, it.cur)->in_xact = false;
	s->in_xact = false;
}

/*
 * The summaries could not be written and the closed buckets held reached
 * their bound: drop them all and write no more for this run.  Its
 * summarized_id stays where it is, so pkt_report() reads the rows above
 * it from packets.
 */
void
pkt_sums_abandon(PktSums *s)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &s->buckets)
	{
		SumBucket  *b = dlist_container(SumBucket, node, it.cur);

		if (b->counter != NULL)
			slist_push_head(&s->free_counters, &b->counter->node);
		bucket_free(s, b);
	}
	memset(s->nopen, 0, sizeof(s->nopen));
	s->nclosed = 0;
	s->last = NULL;
	s->abandoned = true;
}

/* most packets first, ties by key */
static int
entry_cmp(const void *a, const void *b)
{
	const PktTopEntry *x = a;
	const PktTopEntry *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return memcmp(x->key, y->key, PKT_TOPK_KEYLEN);
}

static void
shared_top(PktSums *s, const PktTopList *l, PktSharedTop *out)
{
	PktTopEntry *e = s->scratch.e;

	memcpy(e, l->e, sizeof(PktTopEntry) * l->n);
	qsort(e, l->n, sizeof(PktTopEntry), entry_cmp);
	out->n = Min((int) l->n, PKT_TOP_SHARED);
	out->approximate = !pkt_toplist_exact(l);
	out->error_bound = 0;
	for (int i = 0; i < out->n; i++)
	{
		memcpy(out->items[i].key, e[i].key, PKT_TOPK_KEYLEN);
		out->items[i].packets = e[i].packets;
		out->items[i].bytes = e[i].bytes;
		out->items[i].error = e[i].packets_error;
		out->error_bound = Max(out->error_bound, e[i].packets_error);
	}
}

/* The run's top talkers from its closed minutes (with run_lists). */
void
pkt_sums_shared_top(PktSums *s, PktSharedTop *src, PktSharedTop *dst)
{
	Assert(s->run_lists);
	shared_top(s, &s->run_top[0], src);
	shared_top(s, &s->run_top[1], dst);
	s->top_dirty = false;
}

/* Free what the summaries keep beyond their memory context. */
void
pkt_sums_release(PktSums *s)
{
	pkt_stmt_free(s->protos_stmt);
	pkt_stmt_free(s->top_stmt);
}
