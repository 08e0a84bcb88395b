/*-------------------------------------------------------------------------
 * toplist_test.c
 *		The bounded top-talker lists of the summaries (pkt_toplist.c) against
 *		exact counts, outside the server.
 *
 * For streams of packets (skewed like real traffic, and spoofed sources
 * as in a SYN flood), split into buckets: each bucket is counted by a
 * Space-Saving counter (pkt_topk.c), made into a list, and the lists are
 * merged as hours and days are.  Checked against the exact counts of
 * every address, computed here by sorting:
 *	- every listed address's true packets and bytes lie within its bounds,
 *	  and are equal to them when its errors are 0;
 *	- every address not listed has at most other_packets packets and
 *	  other_bytes bytes;
 *	- a list holds at most 2k addresses;
 *	- on skewed traffic, the top 5 of the merged list are the true top 5,
 *	  exactly; in a flood, the one heavy hitter is listed.
 * Exits 1 on the first failure.  Usage: toplist_test [seed]
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt_toplist.h"

typedef struct Pkt
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint32_t	len;
} Pkt;

typedef struct Truth
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint64_t	packets;
	uint64_t	bytes;
} Truth;

static int	checks = 0;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { printf("not ok - " __VA_ARGS__); printf("\n"); exit(1); } \
} while (0)

static uint64_t rng = 42;

static uint64_t
next_random(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return pkt_mix64(rng);
}

static int
pkt_key_cmp(const void *a, const void *b)
{
	return memcmp(((const Pkt *) a)->key, ((const Pkt *) b)->key, PKT_TOPK_KEYLEN);
}

/* exact counts of packets[0..n), sorted by key; returns how many keys */
static size_t
exact_counts(Pkt *pkts, size_t n, Truth *out)
{
	size_t		m = 0;

	qsort(pkts, n, sizeof(Pkt), pkt_key_cmp);
	for (size_t i = 0; i < n; i++)
	{
		if (m == 0 || memcmp(out[m - 1].key, pkts[i].key, PKT_TOPK_KEYLEN) != 0)
		{
			memcpy(out[m].key, pkts[i].key, PKT_TOPK_KEYLEN);
			out[m].packets = out[m].bytes = 0;
			m++;
		}
		out[m - 1].packets++;
		out[m - 1].bytes += pkts[i].len;
	}
	return m;
}

static const PktTopEntry *
find(const PktTopList *l, const uint8_t *key)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (memcmp(l->e[i].key, key, PKT_TOPK_KEYLEN) == 0)
			return &l->e[i];
	return NULL;
}

/* The list's promises against the truth of its buckets. */
static void
check_list(const char *what, const PktTopList *l, uint32_t k, const Truth *t, size_t nt)
{
	CHECK(l->n <= 2 * k, "%s: %u entries > 2k = %u", what, l->n, 2 * k);
	for (uint32_t i = 1; i < l->n; i++)
		CHECK(memcmp(l->e[i - 1].key, l->e[i].key, PKT_TOPK_KEYLEN) < 0,
			  "%s: entries not in key order at %u", what, i);
	for (size_t i = 0; i < nt; i++)
	{
		const PktTopEntry *e = find(l, t[i].key);

		if (e == NULL)
		{
			CHECK(t[i].packets <= l->other_packets && t[i].bytes <= l->other_bytes,
				  "%s: an address not listed has %" PRIu64 " packets, %" PRIu64
				  " bytes > bounds %" PRIu64 ", %" PRIu64, what, t[i].packets,
				  t[i].bytes, l->other_packets, l->other_bytes);
			continue;
		}
		CHECK(e->packets >= t[i].packets && e->packets - e->packets_error <= t[i].packets,
			  "%s: true packets %" PRIu64 " outside [%" PRIu64 " - %" PRIu64 "]", what,
			  t[i].packets, e->packets - e->packets_error, e->packets);
		CHECK(e->bytes >= t[i].bytes && e->bytes - e->bytes_error <= t[i].bytes,
			  "%s: true bytes %" PRIu64 " outside [%" PRIu64 " - %" PRIu64 "]", what,
			  t[i].bytes, e->bytes - e->bytes_error, e->bytes);
	}
	/* nothing listed that never came */
	for (uint32_t i = 0; i < l->n; i++)
	{
		bool		seen = false;

		for (size_t j = 0; j < nt && !seen; j++)
			seen = memcmp(t[j].key, l->e[i].key, PKT_TOPK_KEYLEN) == 0;
		CHECK(seen, "%s: entry %u is an address never counted", what, i);
	}
}

static int
truth_by_packets(const void *a, const void *b)
{
	const Truth *x = a;
	const Truth *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return memcmp(x->key, y->key, PKT_TOPK_KEYLEN);
}

static int
entry_by_packets(const void *a, const void *b)
{
	const PktTopEntry *x = a;
	const PktTopEntry *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return memcmp(x->key, y->key, PKT_TOPK_KEYLEN);
}

/*
 * nbuckets buckets of per_bucket packets each, from addresses drawn by
 * draw(); counted with capacity, lists of k.  Returns the merged list's
 * top 5 compared with the truth (for skewed traffic).
 */
static void
run(const char *name, int nbuckets, int per_bucket, uint32_t capacity, uint32_t k,
	void (*draw) (uint8_t *key, uint32_t *len), bool skewed)
{
	size_t		total = (size_t) nbuckets * per_bucket;
	Pkt		   *all = malloc(sizeof(Pkt) * total);
	Pkt		   *bucket = malloc(sizeof(Pkt) * per_bucket);
	Truth	   *truth = malloc(sizeof(Truth) * total);
	size_t		nscratch = capacity > 8 * k ? capacity : 8 * k;
	PktTopEntry *scratch = malloc(sizeof(PktTopEntry) * nscratch);
	PktTopScratch w = {scratch, malloc(sizeof(uint32_t) * nscratch)};
	PktTopK    *tk = malloc(pkt_topk_size(capacity));
	PktTopList	merged = {0, 0, 0, malloc(sizeof(PktTopEntry) * 2 * k)};
	PktTopList	one = {0, 0, 0, malloc(sizeof(PktTopEntry) * 2 * k)};
	size_t		nt;
	char		what[128];

	for (int b = 0; b < nbuckets; b++)
	{
		uint32_t	max_len = 0;

		pkt_topk_init(tk, capacity, next_random());
		for (int i = 0; i < per_bucket; i++)
		{
			Pkt		   *p = &all[(size_t) b * per_bucket + i];

			draw(p->key, &p->len);
			bucket[i] = *p;
			if (p->len > max_len)
				max_len = p->len;
			pkt_topk_add(tk, p->key, p->len);
		}
		pkt_toplist_from_topk(&one, k, tk, max_len, &w);
		nt = exact_counts(bucket, per_bucket, truth);
		snprintf(what, sizeof(what), "%s bucket %d", name, b);
		check_list(what, &one, k, truth, nt);
		if (b == 0)
			pkt_toplist_copy(&merged, &one);
		else
			pkt_toplist_merge(&merged, k, &one, &w);
	}
	nt = exact_counts(all, total, truth);
	snprintf(what, sizeof(what), "%s merged", name);
	check_list(what, &merged, k, truth, nt);
	printf("ok - %s: %d buckets of %d packets, %zu addresses, capacity %u, k %u: "
		   "every bound holds (list %u, others <= %" PRIu64 " packets)\n",
		   name, nbuckets, per_bucket, nt, capacity, k, merged.n, merged.other_packets);

	qsort(truth, nt, sizeof(Truth), truth_by_packets);
	memcpy(scratch, merged.e, sizeof(PktTopEntry) * merged.n);
	qsort(scratch, merged.n, sizeof(PktTopEntry), entry_by_packets);
	if (skewed)
	{
		for (int i = 0; i < 5; i++)
			CHECK(memcmp(scratch[i].key, truth[i].key, PKT_TOPK_KEYLEN) == 0 &&
				  scratch[i].packets == truth[i].packets && scratch[i].packets_error == 0 &&
				  scratch[i].bytes == truth[i].bytes && scratch[i].bytes_error == 0,
				  "%s: top %d is not the true one, exactly", name, i + 1);
		printf("ok - %s: the top 5 of the merged list are the true top 5, exact\n", name);
	}
	else
	{
		/* the flood's one heavy hitter stands out */
		CHECK(memcmp(scratch[0].key, truth[0].key, PKT_TOPK_KEYLEN) == 0,
			  "%s: the heavy hitter is not first", name);
		printf("ok - %s: the heavy hitter (%" PRIu64 " of %zu packets) is first, "
			   "at most %" PRIu64 " packets too many\n", name, truth[0].packets, total,
			   scratch[0].packets_error);
	}
	free(all);
	free(bucket);
	free(truth);
	free(scratch);
	free(w.idx);
	free(tk);
	free(merged.e);
	free(one.e);
}

/* 65,536 hosts drawn Zipf-like (exponent 1), IPv4 and IPv6 */
static double zipf_cdf[65536];

static void
draw_zipf(uint8_t *key, uint32_t *len)
{
	double		u = (double) (next_random() >> 11) / 9007199254740992.0;
	int			lo = 0;
	int			hi = 65535;
	uint8_t		addr[16] = {0};

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	addr[0] = 198;
	addr[1] = 18;
	addr[2] = lo >> 8;
	addr[3] = lo & 0xff;
	pkt_topk_key(key, lo % 7 == 3 ? 6 : 4, addr);
	*len = 60 + (uint32_t) (next_random() % 1455);
}

/* a SYN flood: random sources over 10.0.0.0/8, one in eight from a heavy hitter */
static void
draw_spoofed(uint8_t *key, uint32_t *len)
{
	uint8_t		addr[16] = {0};
	uint64_t	r = next_random();

	if (r % 8 == 0)
	{
		addr[0] = 192;
		addr[1] = 0;
		addr[2] = 2;
		addr[3] = 1;
	}
	else
	{
		addr[0] = 10;
		addr[1] = (r >> 8) & 0xff;
		addr[2] = (r >> 16) & 0xff;
		addr[3] = (r >> 24) & 0xff;
	}
	pkt_topk_key(key, 4, addr);
	*len = 60;
}

int
main(int argc, char **argv)
{
	double		sum = 0;
	double		partial = 0;

	if (argc > 1)
		rng = strtoull(argv[1], NULL, 10);
	for (int i = 0; i < 65536; i++)
		sum += 1.0 / (i + 1);
	for (int i = 0; i < 65536; i++)
	{
		partial += 1.0 / (i + 1);
		zipf_cdf[i] = partial / sum;
	}
	/* exact buckets (fewer addresses than the capacity), lists trimmed */
	run("skewed, exact minutes", 60, 1500, 4096, 16, draw_zipf, true);
	/* minutes beyond the capacity: Space-Saving bounds */
	run("skewed, approximate minutes", 60, 20000, 1024, 16, draw_zipf, true);
	/* tiny lists: bounds must still hold */
	run("skewed, k 1", 30, 5000, 64, 1, draw_zipf, false);
	run("spoofed sources", 20, 20000, 1024, 16, draw_spoofed, false);
	printf("toplist: %d checks passed\n", checks);
	return 0;
}
