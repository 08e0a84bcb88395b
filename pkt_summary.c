/*-------------------------------------------------------------------------
 * pkt_summary.c
 *		The per-minute summaries behind pkt_report(): packets and bytes
 *		per minute, run and protocol (pkt_summary), and per minute, run and
 *		address (pkt_summary_addr).
 *
 * A run sums its committed rows here (pkt_sums_add) and upserts the sums
 * every pktcapture.summary_interval (pkt_sums_write), in a transaction
 * whose ledger update moves the run's summarized_id: the id below which
 * every row of the run is in the summaries and above which none is, so
 * that pkt_report() adds the rest from packets and never disagrees with
 * them.  Minutes are aligned on 2000-01-01 00:00 UTC, as date_bin('1
 * minute', t, '2000-01-01 00:00+00') would.
 *
 * The sums are kept in simplehash tables keyed by a hash seeded per run,
 * so addresses chosen by an attacker cannot make long probe chains.  They
 * are written sorted in the order of the tables' primary keys, so the
 * btree inserts walk the index from left to right instead of at random.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_summary.h"

typedef struct ProtoKey
{
	TimestampTz minute;
	int32		proto;
} ProtoKey;

typedef struct ProtoSum
{
	ProtoKey	key;
	char		status;			/* simplehash's */
	int64		packets;
	int64		bytes;
	TimestampTz first;
	TimestampTz last;
} ProtoSum;

/*
 * An address in a minute.  A minute's microseconds are a multiple of
 * 60,000,000, so of 256: the low byte holds the address family (0 IPv4,
 * 1 IPv6), which also orders IPv4 before IPv6 within a minute, as inet
 * does.  24 bytes, so that an AddrSum fills one 64-byte cache line.
 */
typedef struct AddrKey
{
	int64		minute_family;
	uint8		addr[16];		/* an IPv4 address in the first 4, then zeros */
} AddrKey;

#define KEY_IPV6 1
#define key_minute(k) ((TimestampTz) ((k)->minute_family & ~(int64) 0xff))
#define key_family(k) (((k)->minute_family & KEY_IPV6) ? 6 : 4)

typedef struct AddrSum
{
	AddrKey		key;
	char		status;			/* simplehash's */
	int64		src_packets;	/* sent by the address */
	int64		src_bytes;
	int64		dst_packets;	/* received */
	int64		dst_bytes;
} AddrSum;

StaticAssertDecl(sizeof(AddrSum) == 64, "an AddrSum fills a cache line");

/* a seeded hash of three words */
static inline uint32
sum_hash(uint64 seed, uint64 a, uint64 b, uint64 c)
{
	return (uint32) pkt_mix64(pkt_mix64(pkt_mix64(seed ^ a) ^ b) ^ c);
}

static inline uint32
proto_hash(uint64 seed, TimestampTz minute, int32 proto)
{
	return sum_hash(seed, (uint64) minute, (uint64) proto, 0);
}

static inline uint32
addr_hash(uint64 seed, const AddrKey *k)
{
	uint64		a;
	uint64		b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return sum_hash(seed, (uint64) k->minute_family, a, b);
}

#define SH_PREFIX protosum
#define SH_ELEMENT_TYPE ProtoSum
#define SH_KEY_TYPE ProtoKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) proto_hash(*(uint64 *) (tb)->private_data, (k).minute, (k).proto)
#define SH_EQUAL(tb, a, b) ((a).minute == (b).minute && (a).proto == (b).proto)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define SH_PREFIX addrsum
#define SH_ELEMENT_TYPE AddrSum
#define SH_KEY_TYPE AddrKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) addr_hash(*(uint64 *) (tb)->private_data, &(k))
#define SH_EQUAL(tb, a, b) (memcmp(&(a), &(b), sizeof(AddrKey)) == 0)
#define SH_SCOPE static inline
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * The address sums' array starts on a cache line, so that each AddrSum
 * takes one line: a lookup misses the cache at most once.  The pointer
 * palloc returned is kept in front of the array.
 */
static inline void *
addrsum_allocate(addrsum_hash *tb, Size size)
{
	char	   *raw = MemoryContextAllocExtended(tb->ctx,
												 size + PG_CACHE_LINE_SIZE + sizeof(void *),
												 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	char	   *data = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE, raw + sizeof(void *));

	((void **) data)[-1] = raw;
	return data;
}

static inline void
addrsum_free(addrsum_hash *tb, void *pointer)
{
	pfree(((void **) pointer)[-1]);
}

/* sums held before they are written, so a load's memory stays bounded */
#define PKT_SUMMARY_MAX_GROUPS 200000

static TimestampTz
minute_of(TimestampTz ts)
{
	const int64 m = 60 * USECS_PER_SEC;

	return ts - ((ts % m) + m) % m;
}

static inline void
addr_key_set(AddrKey *key, TimestampTz minute, int ip_version, const uint8 *addr)
{
	memset(key, 0, sizeof(AddrKey));
	key->minute_family = minute | (ip_version == 4 ? 0 : KEY_IPV6);
	memcpy(key->addr, addr, ip_version == 4 ? 4 : 16);
}

/* The sums of key (whose hash is given), new ones zero. */
static inline AddrSum *
addr_sum(addrsum_hash *h, AddrKey key, uint32 hash)
{
	AddrSum    *sum;
	bool		found;

	sum = addrsum_insert_hash(h, key, hash, &found);
	if (!found)
		sum->src_packets = sum->src_bytes = sum->dst_packets = sum->dst_bytes = 0;
	return sum;
}

static void
summaries_create(PktSums *s)
{
	s->seed = pg_prng_uint64(&pg_global_prng_state);
	s->protos = protosum_create(s->sum_cxt, 64, &s->seed);
	/* as large as last time: growing rehashes every entry */
	s->addrs = addrsum_create(s->sum_cxt, Max(1024, s->addrs_hint),
									&s->seed);
}

/* Forget the sums held: they are written, or given up. */
static void
discard(PktSums *s)
{
	if (s->addrs != NULL)
		s->addrs_hint = Min(s->addrs->members, PKT_SUMMARY_MAX_GROUPS);
	MemoryContextReset(s->sum_cxt);
	/* made again when rows come (zeroing megabytes for nothing costs) */
	s->protos = NULL;
	s->addrs = NULL;
}

/*
 * Rows are summed in groups: the hash of every address of a group first,
 * fetching the table's buckets for them ahead of use, then the sums.  A
 * table of 100,000 addresses is larger than the caches, and most lookups
 * would otherwise wait for memory one after the other.
 */
#define SUM_GROUP 16

#ifdef __GNUC__
#define pkt_prefetch(p) __builtin_prefetch(p)
#else
#define pkt_prefetch(p) ((void) 0)
#endif

/* Sum n rows just committed. */
void
pkt_sums_add(PktSums *s, const PktRow *rows, int n)
{
	protosum_hash *protos;
	addrsum_hash *addrs;
	uint64		seed;

	if (s->protos == NULL)
		summaries_create(s);
	seed = s->seed;		/* the tables' own */
	protos = s->protos;
	addrs = s->addrs;
	for (int g = 0; g < n; g += SUM_GROUP)
	{
		int			m = Min(SUM_GROUP, n - g);
		AddrKey		keys[2 * SUM_GROUP];
		uint32		hashes[2 * SUM_GROUP];

		for (int i = 0; i < m; i++)
		{
			const PktRow *row = &rows[g + i];
			TimestampTz minute = minute_of(row->ts);

			addr_key_set(&keys[2 * i], minute, row->info.ip_version, row->info.src);
			addr_key_set(&keys[2 * i + 1], minute, row->info.ip_version, row->info.dst);
			for (int k = 2 * i; k <= 2 * i + 1; k++)
			{
				hashes[k] = addr_hash(seed, &keys[k]);
				pkt_prefetch(&addrs->data[addrsum_initial_bucket(addrs, hashes[k])]);
			}
		}
		for (int i = 0; i < m; i++)
		{
			const PktRow *row = &rows[g + i];
			ProtoSum   *psum;
			AddrSum    *asum;
			bool		found;

			psum = protosum_insert(protos,
								   (ProtoKey) {key_minute(&keys[2 * i]), row->info.ip_proto},
								   &found);
			if (!found)
			{
				psum->packets = psum->bytes = 0;
				psum->first = psum->last = row->ts;
			}
			psum->packets++;
			psum->bytes += row->len;
			psum->first = Min(psum->first, row->ts);
			psum->last = Max(psum->last, row->ts);
			asum = addr_sum(addrs, keys[2 * i], hashes[2 * i]);
			asum->src_packets++;
			asum->src_bytes += row->len;
			asum = addr_sum(addrs, keys[2 * i + 1], hashes[2 * i + 1]);
			asum->dst_packets++;
			asum->dst_bytes += row->len;
		}
	}
}

/* Count the sums of an address in the run's top talkers. */
static void
topk_add_sums(PktSums *s, const AddrSum *a)
{
	uint8		key[PKT_TOPK_KEYLEN];

	pkt_topk_key(key, key_family(&a->key), a->key.addr);
	if (a->src_packets > 0)
		pkt_topk_add_n(s->top_src, key, a->src_packets, a->src_bytes);
	if (a->dst_packets > 0)
		pkt_topk_add_n(s->top_dst, key, a->dst_packets, a->dst_bytes);
	s->top_dirty = true;
}

/* primary key order of pkt_summary: minute, (run_id,) ip_proto */
static int
proto_cmp(const void *a, const void *b)
{
	const ProtoSum *x = *(ProtoSum *const *) a;
	const ProtoSum *y = *(ProtoSum *const *) b;

	if (x->key.minute != y->key.minute)
		return x->key.minute < y->key.minute ? -1 : 1;
	return x->key.proto - y->key.proto;
}

/*
 * An address sum's place in the primary key order of pkt_summary_addr:
 * minute, (run_id,) addr, where inet orders IPv4 before IPv6, then by the
 * address bytes.  Sorted by value, without following the pointers into
 * the table.
 */
typedef struct AddrOrder
{
	int64		minute_family;
	uint64		hi;				/* address bytes 0-7, as a big-endian number */
	uint64		lo;				/* bytes 8-15 */
	AddrSum    *sum;
} AddrOrder;

static inline int
addr_order_cmp(const AddrOrder *x, const AddrOrder *y)
{
	if (x->minute_family != y->minute_family)
		return x->minute_family < y->minute_family ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

#define ST_SORT addr_order_sort
#define ST_ELEMENT_TYPE AddrOrder
#define ST_COMPARE(a, b) addr_order_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"


static const Oid summary_types[7] = {
	TIMESTAMPTZOID, INT4OID, INT2OID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID
};
static const Oid summary_addr_types[7] = {
	TIMESTAMPTZOID, INT4OID, INETOID, INT8OID, INT8OID, INT8OID, INT8OID
};

/*
 * The statements writing the summaries, with the owner's rights.  Every
 * name is schema-qualified and every operator is pg_catalog's, so no
 * search_path can change what they do.
 */
#define PLUS " OPERATOR(pg_catalog.+) "

static void
prepare_statements(PktSums *s, Oid owner)
{
	Oid			summary_id;
	Oid			summary_addr_id;
	char	   *summary = pkt_ext_relname("pkt_summary", &summary_id);
	char	   *summary_addr = pkt_ext_relname("pkt_summary_addr", &summary_addr_id);
	const char *summary_cols = "minute, run_id, ip_proto, packets, bytes, first_seen, last_seen";
	const char *summary_addr_cols = "minute, run_id, addr, src_packets, src_bytes, "
		"dst_packets, dst_bytes";

	s->summary = pkt_stmt_create(s->cxt, summary, summary_id, summary_cols,
								 " ON CONFLICT (minute, run_id, ip_proto) DO UPDATE SET "
								 "packets = s.packets" PLUS "excluded.packets, "
								 "bytes = s.bytes" PLUS "excluded.bytes, "
								 "first_seen = LEAST(s.first_seen, excluded.first_seen), "
								 "last_seen = GREATEST(s.last_seen, excluded.last_seen)",
								 7, summary_types, owner);
	s->summary_new = pkt_stmt_create(s->cxt, summary, summary_id, summary_cols,
									 "", 7, summary_types, owner);
	s->summary_addr = pkt_stmt_create(s->cxt, summary_addr, summary_addr_id,
									  summary_addr_cols,
									  " ON CONFLICT (minute, run_id, addr) DO UPDATE SET "
									  "src_packets = s.src_packets" PLUS "excluded.src_packets, "
									  "src_bytes = s.src_bytes" PLUS "excluded.src_bytes, "
									  "dst_packets = s.dst_packets" PLUS "excluded.dst_packets, "
									  "dst_bytes = s.dst_bytes" PLUS "excluded.dst_bytes",
									  7, summary_addr_types, owner);
	s->summary_addr_new = pkt_stmt_create(s->cxt, summary_addr, summary_addr_id,
										  summary_addr_cols, "", 7,
										  summary_addr_types, owner);
}

/*
 * Write the sums of the rows committed since the summaries were last
 * written, in the caller's transaction, whose pkt_ledger_update() then
 * moves the run's summarized_id: rows of the run with a larger id are not
 * yet in the summaries, and pkt_report() reads them from packets.  Done
 * every pktcapture.summary_interval rather than with every batch: summing
 * a few seconds of traffic gives far fewer rows than summing each batch.
 */
void
pkt_sums_write(PktSums *s, int32 run_id, Oid owner)
{
	protosum_iterator pit;
	addrsum_iterator ait;
	ProtoSum  **protos;
	AddrOrder  *order;
	PktBatchStmt *st;
	InetSlot   *ips;
	ProtoSum   *p;
	AddrSum    *a;
	Datum	   *values;
	char	   *nulls;
	int			n;
	MemoryContext old;

	if (s->abandoned)
		return;					/* summarized_id stays */
	/* with nothing held, every row stored is in the summaries */
	s->in_xact = true;
	if (s->protos == NULL || s->protos->members == 0)
		return;
	if (s->summary == NULL)
		prepare_statements(s, owner);
	old = MemoryContextSwitchTo(s->batch_cxt);

	/* protocols */
	protos = palloc(sizeof(ProtoSum *) * s->protos->members);
	n = 0;
	protosum_start_iterate(s->protos, &pit);
	while ((p = protosum_iterate(s->protos, &pit)) != NULL)
		protos[n++] = p;
	qsort(protos, n, sizeof(ProtoSum *), proto_cmp);
	values = palloc(sizeof(Datum) * 7 * n);
	nulls = palloc(7 * n);
	memset(nulls, ' ', 7 * n);
	for (int i = 0; i < n; i++)
	{
		Datum	   *v = values + 7 * i;

		p = protos[i];
		v[0] = TimestampTzGetDatum(p->key.minute);
		v[1] = Int32GetDatum(run_id);
		v[2] = Int16GetDatum((int16) p->key.proto);
		v[3] = Int64GetDatum(p->packets);
		v[4] = Int64GetDatum(p->bytes);
		v[5] = TimestampTzGetDatum(p->first);
		v[6] = TimestampTzGetDatum(p->last);
	}
	/*
	 * A run's first sums cannot meet a row of its own (its run_id is new),
	 * so they are plain inserts; later ones may add to a minute already
	 * written, and upsert.
	 */
	pkt_stmt_execute(s->written ? s->summary : s->summary_new, &s->spool,
					 n, values, nulls);

	/* addresses */
	order = palloc(sizeof(AddrOrder) * s->addrs->members);
	n = 0;
	addrsum_start_iterate(s->addrs, &ait);
	while ((a = addrsum_iterate(s->addrs, &ait)) != NULL)
	{
		AddrOrder  *o = &order[n++];

		o->minute_family = a->key.minute_family;
		memcpy(&o->hi, a->key.addr, 8);
		memcpy(&o->lo, a->key.addr + 8, 8);
		o->hi = pg_ntoh64(o->hi);
		o->lo = pg_ntoh64(o->lo);
		o->sum = a;
	}
	addr_order_sort(order, n);
	if (s->top_src != NULL)
		for (int i = 0; i < n; i++)
			topk_add_sums(s, order[i].sum);
	st = s->written ? s->summary_addr : s->summary_addr_new;
	if (n > 0 && pkt_stmt_copy_allowed(st))
	{
		/* encoded straight from the sums, as for packets */
		StringInfo	buf;

		buf = pkt_spool_add_begin(&s->spool);
		for (int i = 0; i < n; i++)
		{
			a = order[i].sum;
			enlargeStringInfo(buf, PKT_COPY_ROW_ROOM(7));
			pkt_copy_row(buf, 7);
			pkt_copy_int8(buf, key_minute(&a->key));
			pkt_copy_int4(buf, run_id);
			pkt_copy_inet(buf, key_family(&a->key), a->key.addr);
			pkt_copy_int8(buf, a->src_packets);
			pkt_copy_int8(buf, a->src_bytes);
			pkt_copy_int8(buf, a->dst_packets);
			pkt_copy_int8(buf, a->dst_bytes);
		}
		pkt_spool_add_end(&s->spool, n);
		pkt_stmt_copy(st, &s->spool);
	}
	else
	{
		values = palloc(sizeof(Datum) * 7 * n);
		nulls = palloc(7 * n);
		memset(nulls, ' ', 7 * n);
		ips = palloc(sizeof(InetSlot) * n);
		for (int i = 0; i < n; i++)
		{
			Datum	   *v = values + 7 * i;

			a = order[i].sum;
			pkt_set_inet(&ips[i].ip, key_family(&a->key), a->key.addr);
			v[0] = TimestampTzGetDatum(key_minute(&a->key));
			v[1] = Int32GetDatum(run_id);
			v[2] = InetPGetDatum(&ips[i].ip);
			v[3] = Int64GetDatum(a->src_packets);
			v[4] = Int64GetDatum(a->src_bytes);
			v[5] = Int64GetDatum(a->dst_packets);
			v[6] = Int64GetDatum(a->dst_bytes);
		}
		pkt_stmt_insert(st, n, values, nulls);
	}
	s->written = true;
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->batch_cxt);
}


/*
 * A run's summaries; with top_src and top_dst, its top talkers are
 * counted from its sums as they are written (a file load: every row it
 * reads is stored, in one transaction), a few updates per address and
 * minute instead of two per packet.
 */
void
pkt_sums_init(PktSums *s, MemoryContext cxt, PktTopK *top_src, PktTopK *top_dst)
{
	memset(s, 0, sizeof(*s));
	s->cxt = cxt;
	s->sum_cxt = AllocSetContextCreate(cxt, "pktcapture summaries", ALLOCSET_DEFAULT_SIZES);
	s->batch_cxt = AllocSetContextCreate(cxt, "pktcapture summary batch",
										 ALLOCSET_DEFAULT_SIZES);
	s->top_src = top_src;
	s->top_dst = top_dst;
	s->last_at = GetCurrentTimestamp();
	pkt_spool_init(&s->spool, cxt);
}

/*
 * Are summaries due: pktcapture.summary_interval has passed since they
 * were last written, or the sums held are at their bound?
 */
bool
pkt_sums_due(PktSums *s, TimestampTz now)
{
	if (s->abandoned || s->protos == NULL || s->protos->members == 0)
		return false;
	return pkt_sums_full(s) ||
		now >= TimestampTzPlusMilliseconds(s->last_at, pkt_summary_interval_ms);
}

/* Are the sums held at their bound (memory stays bounded)? */
bool
pkt_sums_full(PktSums *s)
{
	return s->addrs != NULL && s->addrs->members > PKT_SUMMARY_MAX_GROUPS;
}

/* The transaction of the last pkt_sums_write() committed. */
void
pkt_sums_committed(PktSums *s)
{
	if (s->in_xact)
	{
		discard(s);
		s->in_xact = false;
		s->last_at = GetCurrentTimestamp();
	}
}

/* It did not: the sums are still to write. */
void
pkt_sums_aborted(PktSums *s)
{
	s->in_xact = false;
}

/*
 * The summaries could not be written and the sums held reached their
 * bound: drop them and write no more for this run.  Its summarized_id
 * stays where it is, so pkt_report() reads the rows above it from packets.
 */
void
pkt_sums_abandon(PktSums *s)
{
	discard(s);
	s->abandoned = true;
}

/* Free what the summaries keep beyond their memory context. */
void
pkt_sums_release(PktSums *s)
{
	pkt_stmt_free(s->summary);
	pkt_stmt_free(s->summary_addr);
	pkt_stmt_free(s->summary_new);
	pkt_stmt_free(s->summary_addr_new);
	pkt_spool_close(&s->spool);
}
