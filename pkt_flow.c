/*-------------------------------------------------------------------------
 * pkt_flow.c
 *		Conversations per interval, bounded and exact: the rows of flows.
 *
 * A conversation is the traffic both ways between two endpoints: the key
 * is the interface, the VLAN, the protocol, the two addresses and the
 * two ports, in either order.  A run keeps one record per conversation
 * per interval (pktcapture.flow_interval, aligned on pktcapture's epoch,
 * pkt_bucket.h), so that a long connection has a record in every interval
 * it is active and any window of whole intervals sums exactly: flows are
 * added from the rows a run commits (pkt_run.c), so the packets and bytes
 * of a run's flows are those of its rows in packets.
 *
 * The initiator of a record (its src) is the sender of a TCP SYN, or the
 * receiver of a SYN+ACK; failing those, the initiator of the same
 * conversation in an earlier interval (the other one open, or a table of
 * the last N to 2N conversations of the intervals closed: a long
 * connection keeps its direction across quiet intervals); failing that,
 * the sender of the first packet.
 *
 * Memory and rows are bounded by pktcapture.flow_capacity (N), whatever
 * arrives: an interval keeps at most N conversations apart.  The packets
 * of a conversation beyond them are folded into a record per server
 * (address, port, protocol, VLAN, interface; the server is the receiver
 * of the packet that would have started it), with the distinct initiators
 * folded in estimated by a HyperLogLog (lib/hyperloglog.h); beyond N / 4
 * of those, into one overflow record.  Folded packets are counted
 * (pkt_runs.flow_folded), so an interval holds at most N + N / 4 + 1
 * records of a run (within the contract's 2N).  Rows of an interval
 * already written (a file out of order) open
 * it again as another part, whose capacity is what the interval's earlier
 * parts left (remembered for the last USED_MAX intervals closed; a part of
 * an interval forgotten since keeps no conversation or server apart).
 *
 * An interval is written when it closes: a newer one needs its place
 * (MAX_OPEN are open at once, for rows a little out of order), the run
 * ends, or, for a live capture, its end has passed by the clock.  Closed
 * intervals stay in memory until their write commits: at most MAX_CLOSED,
 * holding at most twice the open intervals' bound and a batch of rows'
 * records (a file load writes them once it holds half that, or
 * PKT_FLOWS_LOAD_INTERVALS intervals, and its batches of rows span as many
 * at most, so it never reaches either), beyond which the oldest is given
 * up and its packets counted as lost (pkt_runs.flow_lost): flows never
 * hold more memory than that, whatever the writes do.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/hyperloglog.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_catalog.h"
#include "pkt_flow.h"
#include "pkt_guc.h"
#include "pkt_inet.h"

#define MAX_OPEN 2				/* intervals open at once */
#define MAX_CLOSED 4096			/* closed, not yet written */
#define FOLD_CAP(n) ((n) / 4)	/* folded records an interval holds */
#define USED_MAX 65536			/* closed intervals whose capacity is remembered */
#define HLL_BWIDTH 7			/* 128 registers: about 9% standard error */
#define LIVE_GRACE_MS 5000		/* a live interval closes this long after its end */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10

/* key flags */
#define K_PORTS 0x01
#define K_VLAN 0x02
#define K_IFINDEX 0x04

/*
 * A conversation: endpoint a is the smaller (address, port), so both
 * directions find the same key.  A folded record's key has the server as
 * a, and b zero.  Every byte is set (padding too): keys are hashed and
 * compared as bytes.
 */
typedef struct FlowKey
{
	uint8		a[16];
	uint8		b[16];
	uint16		a_port;
	uint16		b_port;
	uint16		vlan;
	uint8		ip_version;
	uint8		ip_proto;
	uint8		kflags;
	uint8		pad[3];
	int32		ifindex;
} FlowKey;

/* Packets, bytes, flags and times of a record: [0] a to b, [1] b to a. */
typedef struct FlowCounts
{
	TimestampTz first;
	TimestampTz last;
	uint64		packets[2];
	uint64		bytes[2];
	uint16		flags[2];
} FlowCounts;

typedef struct FlowEntry
{
	FlowKey		key;
	uint32		hash;
	char		status;
	bool		a_is_src;		/* a initiated it */
	bool		by_syn;			/* known from the handshake */
	FlowCounts	n;
} FlowEntry;

/* A folded record: the traffic of one server beyond the conversations kept. */
typedef struct FoldEntry
{
	FlowKey		key;
	uint32		hash;
	char		status;
	FlowCounts	n;
	hyperLogLogState sources;
} FoldEntry;

static inline uint32
key_hash(const FlowKey *k)
{
	return hash_bytes((const unsigned char *) k, sizeof(FlowKey));
}

#define SH_PREFIX flowtab
#define SH_ELEMENT_TYPE FlowEntry
#define SH_KEY_TYPE FlowKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) key_hash(&(k))
#define SH_EQUAL(tb, x, y) (memcmp(&(x), &(y), sizeof(FlowKey)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, e) (e)->hash
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define SH_PREFIX foldtab
#define SH_ELEMENT_TYPE FoldEntry
#define SH_KEY_TYPE FlowKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) key_hash(&(k))
#define SH_EQUAL(tb, x, y) (memcmp(&(x), &(y), sizeof(FlowKey)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, e) (e)->hash
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* What the parts of an interval written so far used of its capacity. */
typedef struct FlowUsed
{
	TimestampTz start;
	char		status;
	uint32		conv;
	uint32		fold;			/* folded records */
	uint32		overflow;		/* overflow records */
} FlowUsed;

#define SH_PREFIX usedtab
#define SH_ELEMENT_TYPE FlowUsed
#define SH_KEY_TYPE TimestampTz
#define SH_KEY start
#define SH_HASH_KEY(tb, k) murmurhash32((uint32) (k) ^ (uint32) ((uint64) (k) >> 32))
#define SH_EQUAL(tb, x, y) ((x) == (y))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Who initiated a conversation written in an earlier interval. */
typedef struct FlowOrient
{
	FlowKey		key;
	uint32		hash;
	char		status;
	bool		a_is_src;
	bool		by_syn;
} FlowOrient;

#define SH_PREFIX orienttab
#define SH_ELEMENT_TYPE FlowOrient
#define SH_KEY_TYPE FlowKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) key_hash(&(k))
#define SH_EQUAL(tb, x, y) (memcmp(&(x), &(y), sizeof(FlowKey)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, e) (e)->hash
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* One part of one interval of a run. */
typedef struct FlowInterval
{
	dlist_node	node;
	TimestampTz start;
	bool		open;
	bool		in_xact;		/* written in the open transaction */
	MemoryContext cxt;			/* its tables, and nothing else */
	flowtab_hash *conv;
	foldtab_hash *fold;
	uint32		conv_cap;		/* conversations it may keep apart */
	uint32		fold_cap;		/* folded records it may hold */
	bool		has_overflow;
	FlowCounts	overflow;
	hyperLogLogState overflow_sources;
	uint64		packets;		/* every packet it holds */
} FlowInterval;

void
pkt_flows_init(PktFlows *f, MemoryContext cxt, bool live)
{
	memset(f, 0, sizeof(*f));
	f->cxt = cxt;
	f->live = live;
	f->capacity = (uint32) pkt_flow_capacity;
	f->enabled = f->capacity > 0;
	f->interval = (int64) pkt_flow_interval_s * USECS_PER_SEC;
	dlist_init(&f->intervals);
	if (!f->enabled)
		return;
	/*
	 * Twice the open intervals' records, closing, and those of a batch of
	 * rows: a file load writes at half of it (pkt_flows_batch_due), so one
	 * batch more never reaches it.
	 */
	f->max_closed_records = 2 * ((uint64) MAX_OPEN * (f->capacity + FOLD_CAP(f->capacity) + 1) +
								 (uint64) pkt_batch_size);
	f->batch_cxt = AllocSetContextCreate(cxt, "pktcapture flows batch",
										 ALLOCSET_DEFAULT_SIZES);
	f->used = usedtab_create(cxt, 64, NULL);
	f->used_order = MemoryContextAlloc(cxt, sizeof(TimestampTz) * USED_MAX);
	f->orient = orienttab_create(cxt, 256, NULL);
	f->orient_old = orienttab_create(cxt, 256, NULL);
}

static uint32
interval_fold_rows(const FlowInterval *iv)
{
	return (iv->fold ? iv->fold->members : 0) + (iv->has_overflow ? 1 : 0);
}

/*
 * Is an interval the run has no record of one it may have written and
 * forgotten (beyond USED_MAX intervals)?
 */
static bool
forgotten(PktFlows *f, TimestampTz start)
{
	return f->used_evicted && start <= f->used_evicted_max;
}

static uint64
interval_records(const FlowInterval *iv)
{
	return (uint64) iv->conv->members + interval_fold_rows(iv);
}

/*
 * Remember what a closing part used, for a later part of its interval:
 * the last USED_MAX intervals, the oldest remembered forgotten first.
 */
static void
remember_used(PktFlows *f, FlowInterval *iv)
{
	bool		found;
	FlowUsed   *u = usedtab_lookup(f->used, iv->start);

	if (u == NULL)
	{
		if (f->used->members >= USED_MAX)
		{
			TimestampTz old = f->used_order[f->used_next];

			(void) usedtab_delete(f->used, old);
			f->used_evicted = true;
			f->used_evicted_max = Max(f->used_evicted_max, old);
		}
		f->used_order[f->used_next] = iv->start;
		f->used_next = (f->used_next + 1) % USED_MAX;
		u = usedtab_insert(f->used, iv->start, &found);
		u->conv = u->fold = u->overflow = 0;
	}
	u->conv += iv->conv->members;
	u->fold += iv->fold ? iv->fold->members : 0;
	u->overflow += iv->has_overflow ? 1 : 0;
}

static FlowInterval *
interval_new(PktFlows *f, TimestampTz start)
{
	FlowInterval *iv = MemoryContextAllocZero(f->cxt, sizeof(FlowInterval));
	FlowUsed   *u = usedtab_lookup(f->used, start);
	bool		lost = u == NULL && forgotten(f, start);
	uint32		conv_used = u ? u->conv : lost ? f->capacity : 0;
	uint32		fold_used = u ? u->fold : lost ? FOLD_CAP(f->capacity) : 0;

	iv->start = start;
	iv->open = true;
	iv->cxt = AllocSetContextCreate(f->cxt, "pktcapture flows interval",
									ALLOCSET_SMALL_SIZES);
	/* small at first: a sparse file has many intervals of few conversations */
	iv->conv = flowtab_create(iv->cxt, 16, NULL);
	iv->fold = NULL;			/* made by the first packet folded */
	iv->conv_cap = f->capacity > conv_used ? f->capacity - conv_used : 0;
	/* a quarter of the capacity for folded records, beside the overflow */
	iv->fold_cap = FOLD_CAP(f->capacity) > fold_used ? FOLD_CAP(f->capacity) - fold_used : 0;
	dlist_push_tail(&f->intervals, &iv->node);
	f->nopen++;
	return iv;
}

static void
interval_free(PktFlows *f, FlowInterval *iv)
{
	if (f->last == iv)
		f->last = NULL;
	dlist_delete(&iv->node);
	MemoryContextDelete(iv->cxt);
	pfree(iv);
}

/*
 * Give the oldest closed interval up (not written, and not being
 * written): its packets are counted as lost.
 */
static bool
give_up_oldest(PktFlows *f)
{
	dlist_iter	it;

	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (iv->open || iv->in_xact)
			continue;
		f->lost += iv->packets;
		f->nclosed--;
		f->closed_records -= interval_records(iv);
		interval_free(f, iv);
		return true;
	}
	return false;
}

static void remember_orientation(PktFlows *f, FlowInterval *iv);

static void
close_interval(PktFlows *f, FlowInterval *iv)
{
	Assert(iv->open);
	iv->open = false;
	remember_used(f, iv);
	remember_orientation(f, iv);
	f->nopen--;
	f->nclosed++;
	f->closed_records += interval_records(iv);
	if (f->last == iv)
		f->last = NULL;
	/* memory stays bounded whatever the writes do */
	while ((f->nclosed > MAX_CLOSED || f->closed_records > f->max_closed_records) &&
		   give_up_oldest(f))
		;
}

/* The open part of the interval starting at start, opened if need be. */
static FlowInterval *
open_interval(PktFlows *f, TimestampTz start)
{
	dlist_iter	it;
	FlowInterval *oldest = NULL;

	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (!iv->open)
			continue;
		if (iv->start == start)
			return iv;
		if (oldest == NULL || iv->start < oldest->start)
			oldest = iv;
	}
	if (f->nopen >= MAX_OPEN)
		close_interval(f, oldest);
	return interval_new(f, start);
}

static void
counts_add(FlowCounts *n, int dir, const PktRow *row)
{
	if (n->packets[0] + n->packets[1] == 0)
		n->first = n->last = row->ts;
	n->first = Min(n->first, row->ts);
	n->last = Max(n->last, row->ts);
	n->packets[dir]++;
	n->bytes[dir] += row->len;
	if (row->info.flags & PKT_F_TCP_FLAGS)
		n->flags[dir] |= row->info.tcp_flags;
}

/*
 * The key of a row's conversation; *dir is 0 if its sender is endpoint a,
 * 1 if b.
 */
static void
row_key(const PktRow *row, FlowKey *k, int *dir)
{
	const PktInfo *in = &row->info;
	int			alen = in->ip_version == 4 ? 4 : 16;
	uint16		sp = 0;
	uint16		dp = 0;
	int			c;

	memset(k, 0, sizeof(*k));
	k->ip_version = in->ip_version;
	k->ip_proto = in->ip_proto;
	if (in->flags & PKT_F_PORTS)
	{
		k->kflags |= K_PORTS;
		sp = in->src_port;
		dp = in->dst_port;
	}
	if (in->flags & PKT_F_VLAN)
	{
		k->kflags |= K_VLAN;
		k->vlan = in->vlan_id;
	}
	if (in->flags & PKT_F_IFINDEX)
	{
		k->kflags |= K_IFINDEX;
		k->ifindex = in->ifindex;
	}
	c = memcmp(in->src, in->dst, alen);
	if (c < 0 || (c == 0 && sp <= dp))
	{
		memcpy(k->a, in->src, alen);
		memcpy(k->b, in->dst, alen);
		k->a_port = sp;
		k->b_port = dp;
		*dir = 0;
	}
	else
	{
		memcpy(k->a, in->dst, alen);
		memcpy(k->b, in->src, alen);
		k->a_port = dp;
		k->b_port = sp;
		*dir = 1;
	}
}

/* A folded record's key: the server (address, port) as endpoint a. */
static void
fold_key(const FlowKey *conv, bool server_is_a, FlowKey *k)
{
	*k = *conv;
	if (!server_is_a)
	{
		memcpy(k->a, conv->b, sizeof(k->a));
		k->a_port = conv->b_port;
	}
	memset(k->b, 0, sizeof(k->b));
	k->b_port = 0;
}

/* An address's hash for the HyperLogLog of initiators. */
static uint32
addr_hash(const uint8 *addr, int ip_version)
{
	return hash_bytes(addr, ip_version == 4 ? 4 : 16);
}

/* A row no conversation kept apart can take: fold it. */
static void
fold_row(PktFlows *f, FlowInterval *iv, const PktRow *row, const FlowKey *k, int dir)
{
	FlowKey		fk;
	FoldEntry  *e;
	bool		found;
	int			sender_is_a = dir == 0;

	f->folded++;
	if (iv->fold == NULL)
		iv->fold = foldtab_create(iv->cxt, 16, NULL);
	/* a reply from a server already folded is that record's reverse */
	fold_key(k, sender_is_a, &fk);
	e = foldtab_lookup(iv->fold, fk);
	if (e != NULL)
	{
		counts_add(&e->n, 1, row);
		return;
	}
	fold_key(k, !sender_is_a, &fk);
	e = foldtab_lookup(iv->fold, fk);
	if (e == NULL && iv->fold->members < iv->fold_cap)
	{
		MemoryContext old = MemoryContextSwitchTo(iv->cxt);

		e = foldtab_insert(iv->fold, fk, &found);
		memset(&e->n, 0, sizeof(e->n));
		initHyperLogLog(&e->sources, HLL_BWIDTH);
		MemoryContextSwitchTo(old);
	}
	if (e != NULL)
	{
		counts_add(&e->n, 0, row);
		addHyperLogLog(&e->sources, addr_hash(row->info.src, row->info.ip_version));
		return;
	}
	if (!iv->has_overflow)
	{
		MemoryContext old = MemoryContextSwitchTo(iv->cxt);

		iv->has_overflow = true;
		memset(&iv->overflow, 0, sizeof(iv->overflow));
		initHyperLogLog(&iv->overflow_sources, HLL_BWIDTH);
		MemoryContextSwitchTo(old);
	}
	counts_add(&iv->overflow, 0, row);
	addHyperLogLog(&iv->overflow_sources, addr_hash(row->info.src, row->info.ip_version));
}

/*
 * Who initiated a new record, from its first row and the latest interval
 * before its own that is still in memory.
 */
static void
orient(PktFlows *f, FlowInterval *iv, FlowEntry *e, int dir)
{
	FlowInterval *prev = NULL;
	dlist_iter	it;
	FlowEntry  *p = NULL;
	FlowOrient *o;

	e->a_is_src = dir == 0;
	e->by_syn = false;
	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *x = dlist_container(FlowInterval, node, it.cur);

		/* closed intervals are in the orientation tables already */
		if (x->open && x->start < iv->start &&
			(prev == NULL || x->start > prev->start))
			prev = x;
	}
	if (prev != NULL)
		p = flowtab_lookup(prev->conv, e->key);
	if (p != NULL)
	{
		e->a_is_src = p->a_is_src;
		e->by_syn = p->by_syn;
	}
	else if ((o = orienttab_lookup(f->orient, e->key)) != NULL ||
			 (o = orienttab_lookup(f->orient_old, e->key)) != NULL)
	{
		e->a_is_src = o->a_is_src;
		e->by_syn = o->by_syn;
	}
}

/*
 * Remember who initiated the conversations of an interval closing, for
 * the intervals after it: the last N conversations at least, 2N at most
 * (two tables: when the newer is full, it becomes the older and the
 * older, emptied, the newer).
 */
static void
remember_orientation(PktFlows *f, FlowInterval *iv)
{
	flowtab_iterator it;
	FlowEntry  *e;

	flowtab_start_iterate(iv->conv, &it);
	while ((e = flowtab_iterate(iv->conv, &it)) != NULL)
	{
		FlowOrient *o;
		bool		found;

		if (f->orient->members >= Max(f->capacity, 1) &&
			orienttab_lookup(f->orient, e->key) == NULL)
		{
			struct orienttab_hash *older = f->orient_old;

			orienttab_reset(older);
			f->orient_old = f->orient;
			f->orient = older;
		}
		o = orienttab_insert(f->orient, e->key, &found);
		o->a_is_src = e->a_is_src;
		o->by_syn = e->by_syn;
	}
}

/* A TCP handshake says who initiated, whatever came first. */
static void
orient_by_syn(FlowEntry *e, const PktRow *row, int dir)
{
	uint16		fl;

	if (e->by_syn || row->info.ip_proto != 6 || !(row->info.flags & PKT_F_TCP_FLAGS))
		return;
	fl = row->info.tcp_flags;
	if ((fl & TH_SYN) == 0)
		return;
	/* a SYN's sender initiates; a SYN+ACK's receiver does */
	e->a_is_src = (fl & TH_ACK) ? dir == 1 : dir == 0;
	e->by_syn = true;
}

/* Add n rows just committed (those flagged not stored are not). */
void
pkt_flows_add(PktFlows *f, const PktRow *rows, int n)
{
	if (!f->enabled)
		return;
	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		TimestampTz start;
		FlowInterval *iv = f->last;
		FlowKey		k;
		FlowEntry  *e;
		int			dir;
		bool		found;

		if (row->info.flags & PKT_F_NOT_STORED)
			continue;
		start = pkt_bucket_start(row->ts, f->interval);
		if (iv == NULL || iv->start != start)
		{
			iv = open_interval(f, start);
			f->last = iv;
		}
		iv->packets++;
		row_key(row, &k, &dir);
		e = flowtab_lookup(iv->conv, k);
		if (e == NULL)
		{
			if (iv->conv->members >= iv->conv_cap)
			{
				fold_row(f, iv, row, &k, dir);
				continue;
			}
			e = flowtab_insert(iv->conv, k, &found);
			memset(&e->n, 0, sizeof(e->n));
			orient(f, iv, e, dir);
		}
		orient_by_syn(e, row, dir);
		counts_add(&e->n, dir, row);
	}
}

/*
 * Close what time has closed: a live capture's intervals whose end has
 * passed by the clock.  Returns true if closed intervals wait to be
 * written.
 */
bool
pkt_flows_tick(PktFlows *f, TimestampTz now)
{
	dlist_iter	it;

	if (!f->enabled)
		return false;
	if (f->live)
	{
		dlist_foreach(it, &f->intervals)
		{
			FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

			if (iv->open &&
				now >= TimestampTzPlusMilliseconds(iv->start + f->interval, LIVE_GRACE_MS))
				close_interval(f, iv);
		}
	}
	return pkt_flows_waiting(f);
}

/*
 * Should a file load write its closed intervals now: enough of them that
 * one statement writes many (or memory asks)?
 */
bool
pkt_flows_batch_due(const PktFlows *f)
{
	return f->nclosed >= PKT_FLOWS_LOAD_INTERVALS ||
		f->closed_records >= f->max_closed_records / 2;
}

/* Do closed intervals wait to be written? */
bool
pkt_flows_waiting(const PktFlows *f)
{
	dlist_iter	it;

	dlist_foreach(it, &((PktFlows *) f)->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (!iv->open)
			return true;
	}
	return false;
}

/* The run ends: every interval closes. */
void
pkt_flows_close_all(PktFlows *f)
{
	dlist_iter	it;

	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (iv->open)
			close_interval(f, iv);
	}
	f->last = NULL;
}

/* ------------------------------------------------------------------------
 * Writing.
 * ------------------------------------------------------------------------
 */
#define FLOW_NCOLS 18

static const Oid flow_types[FLOW_NCOLS] = {
	TIMESTAMPTZOID, TIMESTAMPTZOID, INETOID, INETOID, INT2OID, INT4OID, INT4OID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT2OID, INT2OID, INT2OID, TEXTOID,
	INT4OID, BOOLOID, INT4OID
};

/* The rows being written. */
typedef struct FlowRows
{
	PktWriter  *w;
	int32		run_id;
	Datum	   *v;
	char	   *nulls;
	InetSlot   *addrs;
	int			n;
} FlowRows;

/*
 * One row: its src is endpoint src_side of k (0: a, 1: b), its dst the
 * other, either left NULL if not with_src or with_dst; its forward counts
 * are c's [fwd].  sources < 0: NULL.
 */
static void
emit(FlowRows *r, const FlowKey *k, const FlowCounts *c, int src_side, int fwd,
	 bool with_src, bool with_dst, bool folded, int64 sources)
{
	Datum	   *v = r->v + FLOW_NCOLS * r->n;
	char	   *nl = r->nulls + FLOW_NCOLS * r->n;
	const uint8 *addr[2] = {k->a, k->b};
	uint16		port[2] = {k->a_port, k->b_port};
	int			s = src_side;
	int			d = 1 - src_side;
	int			cf = fwd;
	int			cr = 1 - fwd;
	char		ifname[IF_NAMESIZE];
	bool		tcp = k->ip_proto == 6;

	memset(nl, ' ', FLOW_NCOLS);
	v[0] = TimestampTzGetDatum(c->first);
	v[1] = TimestampTzGetDatum(c->last);
	if (with_src)
	{
		pkt_set_inet(&r->addrs[2 * r->n].ip, k->ip_version, addr[s]);
		v[2] = InetPGetDatum(&r->addrs[2 * r->n].ip);
	}
	else
		nl[2] = 'n';
	if (with_dst)
	{
		pkt_set_inet(&r->addrs[2 * r->n + 1].ip, k->ip_version, addr[d]);
		v[3] = InetPGetDatum(&r->addrs[2 * r->n + 1].ip);
		v[4] = Int16GetDatum((int16) k->ip_proto);
	}
	else
		nl[3] = nl[4] = 'n';
	if (with_src && (k->kflags & K_PORTS))
		v[5] = Int32GetDatum((int32) port[s]);
	else
		nl[5] = 'n';
	if (with_dst && (k->kflags & K_PORTS))
		v[6] = Int32GetDatum((int32) port[d]);
	else
		nl[6] = 'n';
	v[7] = Int64GetDatum((int64) c->packets[cf]);
	v[8] = Int64GetDatum((int64) c->bytes[cf]);
	v[9] = Int64GetDatum((int64) c->packets[cr]);
	v[10] = Int64GetDatum((int64) c->bytes[cr]);
	if (tcp && with_dst)
	{
		v[11] = Int16GetDatum((int16) c->flags[cf]);
		v[12] = Int16GetDatum((int16) c->flags[cr]);
	}
	else
		nl[11] = nl[12] = 'n';
	if (with_dst && (k->kflags & K_VLAN))
		v[13] = Int16GetDatum((int16) k->vlan);
	else
		nl[13] = 'n';
	if (pkt_writer_ifname(r->w, (k->kflags & K_IFINDEX) != 0, k->ifindex, ifname))
		v[14] = CStringGetTextDatum(ifname);
	else
		nl[14] = 'n';
	v[15] = Int32GetDatum(r->run_id);
	v[16] = BoolGetDatum(folded);
	if (sources >= 0)
		v[17] = Int32GetDatum((int32) Min(sources, (int64) PG_INT32_MAX));
	else
		nl[17] = 'n';
	r->n++;
}

static int64
estimate(hyperLogLogState *h)
{
	return (int64) (estimateHyperLogLog(h) + 0.5);
}

static void
emit_interval(FlowRows *r, FlowInterval *iv)
{
	flowtab_iterator it;
	foldtab_iterator fit;
	FlowEntry  *e;
	FoldEntry  *fe;

	flowtab_start_iterate(iv->conv, &it);
	while ((e = flowtab_iterate(iv->conv, &it)) != NULL)
		emit(r, &e->key, &e->n, e->a_is_src ? 0 : 1, e->a_is_src ? 0 : 1,
			 true, true, false, -1);
	if (iv->fold != NULL)
		foldtab_start_iterate(iv->fold, &fit);
	while (iv->fold != NULL && (fe = foldtab_iterate(iv->fold, &fit)) != NULL)
		emit(r, &fe->key, &fe->n, 1, 0, false, true, true, Max(estimate(&fe->sources), 1));
	if (iv->has_overflow)
	{
		FlowKey		none;

		memset(&none, 0, sizeof(none));
		emit(r, &none, &iv->overflow, 0, 0, false, false, true,
			 Max(estimate(&iv->overflow_sources), 1));
	}
	iv->in_xact = true;
}

/*
 * The partitions of flows the days of these intervals need, made as the
 * owner if missing; the SQL is asked only for a day other than the last
 * one it made sure of (since the last write that failed).
 */
static void
make_partitions(PktFlows *f, Oid owner)
{
	Datum	   *days = palloc(sizeof(Datum) * (f->nclosed + 1));
	int			n = 0;
	dlist_iter	it;
	Oid			argtype = TIMESTAMPTZARRAYOID;
	Datum		arg;
	char	   *sql;
	TimestampTz last = 0;

	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);
		TimestampTz day = pkt_bucket_start(iv->start, USECS_PER_DAY);

		if (iv->open || iv->in_xact || n > f->nclosed)
			continue;
		if (f->day_known && day == f->known_day)
			continue;
		days[n++] = TimestampTzGetDatum(iv->start);
		last = day;
	}
	if (n == 0)
		return;
	sql = psprintf("SELECT %s.pkt_flow_partitions_make($1)", pkt_ext_schema());
	arg = PointerGetDatum(construct_array(days, n, TIMESTAMPTZOID, 8, true, TYPALIGN_DOUBLE));
	pkt_owner_execute(owner, NULL, sql, 1, &argtype, &arg, NULL, SPI_OK_SELECT, 0);
	f->day_known = true;
	f->known_day = last;
}

/*
 * Write the closed intervals in the caller's transaction, as the owner;
 * pkt_flows_committed() or pkt_flows_aborted() follows.
 */
void
pkt_flows_write(PktFlows *f, PktWriter *w, int32 run_id, Oid owner)
{
	MemoryContext old;
	dlist_iter	it;
	uint64		nrows = 0;
	FlowRows	r;

	if (!f->enabled || !pkt_flows_waiting(f))
		return;
	old = MemoryContextSwitchTo(f->batch_cxt);
	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (!iv->open && !iv->in_xact)
			nrows += iv->conv->members + interval_fold_rows(iv);
	}
	make_partitions(f, owner);
	if (f->stmt == NULL)
	{
		Oid			relid;
		char	   *table = pkt_ext_relname("flows", &relid);

		MemoryContextSwitchTo(old);
		f->stmt = pkt_stmt_create(f->cxt, table, relid,
								  "first_seen, last_seen, src_ip, dst_ip, ip_proto, "
								  "src_port, dst_port, packets, bytes, reverse_packets, "
								  "reverse_bytes, tcp_flags, reverse_tcp_flags, vlan_id, "
								  "interface, run_id, folded, sources",
								  "", FLOW_NCOLS, flow_types, owner);
		MemoryContextSwitchTo(f->batch_cxt);
	}
	memset(&r, 0, sizeof(r));
	r.w = w;
	r.run_id = run_id;
	r.v = MemoryContextAllocHuge(f->batch_cxt, sizeof(Datum) * FLOW_NCOLS * Max(nrows, 1));
	r.nulls = MemoryContextAllocHuge(f->batch_cxt, FLOW_NCOLS * Max(nrows, 1));
	r.addrs = MemoryContextAllocHuge(f->batch_cxt, sizeof(InetSlot) * 2 * Max(nrows, 1));
	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (!iv->open && !iv->in_xact)
			emit_interval(&r, iv);
	}
	Assert(r.n == nrows);
	pkt_stmt_insert(f->stmt, r.n, r.v, r.nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(f->batch_cxt);
	f->in_xact = true;
	f->xact_rows = r.n;
}

/* The write committed: its intervals are in flows, and go. */
void
pkt_flows_committed(PktFlows *f)
{
	dlist_mutable_iter it;

	if (!f->in_xact)
		return;
	dlist_foreach_modify(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (!iv->in_xact)
			continue;
		iv->in_xact = false;
		f->nclosed--;
		f->closed_records -= interval_records(iv);
		interval_free(f, iv);
	}
	f->rows += f->xact_rows;
	f->xact_rows = 0;
	f->in_xact = false;
}

/* It did not: the intervals are to be written again. */
void
pkt_flows_aborted(PktFlows *f)
{
	dlist_iter	it;

	/* the day's partition may be what failed (dropped meanwhile) */
	f->day_known = false;
	dlist_foreach(it, &f->intervals)
		dlist_container(FlowInterval, node, it.cur)->in_xact = false;
	f->in_xact = false;
	f->xact_rows = 0;
}

/* The run ends without its last flows: their packets are counted lost. */
void
pkt_flows_give_up(PktFlows *f)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		f->lost += iv->packets;
		if (iv->open)
			f->nopen--;
		else
			f->nclosed--;
		interval_free(f, iv);
	}
	f->closed_records = 0;
	f->in_xact = false;
	f->xact_rows = 0;
}

/* most bytes both ways first */
static int
shared_cmp(const void *x, const void *y)
{
	const PktSharedFlow *a = x;
	const PktSharedFlow *b = y;
	uint64		ta = a->bytes[0] + a->bytes[1];
	uint64		tb = b->bytes[0] + b->bytes[1];

	return ta > tb ? -1 : ta < tb ? 1 : 0;
}

static void
shared_flow(PktSharedFlow *out, const FlowEntry *e)
{
	const FlowKey *k = &e->key;
	int			s = e->a_is_src ? 0 : 1;

	memset(out, 0, sizeof(*out));
	out->ip_version = k->ip_version;
	out->ip_proto = k->ip_proto;
	out->has_ports = (k->kflags & K_PORTS) != 0;
	memcpy(out->src, s == 0 ? k->a : k->b, 16);
	memcpy(out->dst, s == 0 ? k->b : k->a, 16);
	out->src_port = s == 0 ? k->a_port : k->b_port;
	out->dst_port = s == 0 ? k->b_port : k->a_port;
	out->ifindex = (k->kflags & K_IFINDEX) ? k->ifindex : 0;
	out->first_seen = e->n.first;
	out->last_seen = e->n.last;
	out->packets[0] = e->n.packets[s];
	out->packets[1] = e->n.packets[1 - s];
	out->bytes[0] = e->n.bytes[s];
	out->bytes[1] = e->n.bytes[1 - s];
}

/*
 * The busiest conversations of the newest open interval, for the slot:
 * one pass keeping the PKT_FLOWS_SHARED largest (sorted after each
 * replacement of the smallest, which is rare once the list is full).
 */
void
pkt_flows_shared(PktFlows *f, PktSharedFlows *out)
{
	FlowInterval *newest = NULL;
	dlist_iter	it;
	flowtab_iterator fit;
	FlowEntry  *e;

	out->n = 0;
	out->interval_start = 0;
	if (!f->enabled)
		return;
	dlist_foreach(it, &f->intervals)
	{
		FlowInterval *iv = dlist_container(FlowInterval, node, it.cur);

		if (iv->open && (newest == NULL || iv->start > newest->start))
			newest = iv;
	}
	if (newest == NULL)
		return;
	out->interval_start = newest->start;
	flowtab_start_iterate(newest->conv, &fit);
	while ((e = flowtab_iterate(newest->conv, &fit)) != NULL)
	{
		uint64		total = e->n.bytes[0] + e->n.bytes[1];

		if (out->n < PKT_FLOWS_SHARED)
		{
			shared_flow(&out->items[out->n++], e);
			if (out->n == PKT_FLOWS_SHARED)
				qsort(out->items, out->n, sizeof(PktSharedFlow), shared_cmp);
			continue;
		}
		if (total <= out->items[PKT_FLOWS_SHARED - 1].bytes[0] +
			out->items[PKT_FLOWS_SHARED - 1].bytes[1])
			continue;
		shared_flow(&out->items[PKT_FLOWS_SHARED - 1], e);
		qsort(out->items, out->n, sizeof(PktSharedFlow), shared_cmp);
	}
	if (out->n < PKT_FLOWS_SHARED)
		qsort(out->items, out->n, sizeof(PktSharedFlow), shared_cmp);
}

/* Free what the flows keep beyond their memory context. */
void
pkt_flows_release(PktFlows *f)
{
	pkt_stmt_free(f->stmt);
}
