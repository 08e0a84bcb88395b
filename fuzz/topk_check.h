/*-------------------------------------------------------------------------
 * topk_check.h
 *		Check a pkt_topk counter against exact reference counts.
 *
 * The caller keeps the true count of every key it added (any way it
 * likes) and passes them as an array of FuzzTrueCount.  Checked, for N
 * packets added to a counter of capacity C (see pkt_topk.c's header):
 *	- pkt_topk_count() == min(distinct keys, C); approximate iff
 *	  distinct keys > C;
 *	- pkt_topk_top() returns min(n, count) distinct stored keys, most
 *	  packets first, ties by key; top(k) is a prefix of top(all);
 *	- every reported count >= the true count, count - error <= the true
 *	  count, error <= error bound;
 *	- error 0 (never evicted, and always in exact mode): packets and
 *	  bytes equal to the truth; otherwise bytes at most the truth (those
 *	  of the packets since the key entered the table).
 *	- the stored counts sum to N; error_bound * C <= N;
 *	- every key with true count > N/C is stored.
 *-------------------------------------------------------------------------
 */
#ifndef TOPK_CHECK_H
#define TOPK_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt_topk.h"
#include "fuzz_check.h"


typedef struct FuzzTrueCount
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint64_t	packets;		/* 0: key never added (slot unused) */
	uint64_t	bytes;
} FuzzTrueCount;

#define TOPK_CHECK_MAXOUT 64	/* pkt_topk_top() returns at most 64 */

static inline const FuzzTrueCount *
topk_find_true(const FuzzTrueCount *truth, size_t ntruth, const uint8_t *key)
{
	for (size_t i = 0; i < ntruth; i++)
		if (truth[i].packets && memcmp(truth[i].key, key, PKT_TOPK_KEYLEN) == 0)
			return &truth[i];
	return NULL;
}

/* topn: how many items to ask for in the partial top-n check (1..64) */
static inline void
topk_check(PktTopK *tk, uint32_t capacity, const FuzzTrueCount *truth,
		   size_t ntruth, int topn)
{
	PktTopKItem all[TOPK_CHECK_MAXOUT];
	PktTopKItem part[TOPK_CHECK_MAXOUT];
	uint64_t	n = 0;
	uint64_t	distinct = 0;
	uint64_t	sum = 0;
	uint64_t	minpk = UINT64_MAX;
	uint64_t	bound = pkt_topk_error_bound(tk);
	uint32_t	count = pkt_topk_count(tk);
	int			nall;
	int			npart;
	int			want;

	if (capacity < 1)
		capacity = 1;
	for (size_t i = 0; i < ntruth; i++)
		if (truth[i].packets)
		{
			n += truth[i].packets;
			distinct++;
		}

	FUZZ_CHECK(count == (distinct < capacity ? distinct : capacity),
			   "count %u, distinct %llu, capacity %u", count,
			   (unsigned long long) distinct, capacity);
	FUZZ_CHECK(pkt_topk_is_approximate(tk) == (distinct > capacity),
			   "approximate %d with %llu distinct keys, capacity %u",
			   (int) pkt_topk_is_approximate(tk), (unsigned long long) distinct,
			   capacity);
	FUZZ_CHECK(pkt_topk_is_approximate(tk) || bound == 0,
			   "exact counter with error bound %llu", (unsigned long long) bound);
	FUZZ_CHECK(bound * capacity <= n, "error bound %llu > N/C = %llu/%u",
			   (unsigned long long) bound, (unsigned long long) n, capacity);

	want = count < TOPK_CHECK_MAXOUT ? (int) count : TOPK_CHECK_MAXOUT;
	nall = pkt_topk_top(tk, all, TOPK_CHECK_MAXOUT);
	FUZZ_CHECK(nall == want, "top(64) gave %d items, expected %d", nall, want);
	FUZZ_CHECK(pkt_topk_top(tk, part, 0) == 0, "top(0) gave items");
	/* asking for more than 64 still writes at most 64 (ASan: part[64]) */
	FUZZ_CHECK(pkt_topk_top(tk, part, 1000) == nall, "top(1000) gave another count");
	FUZZ_CHECK(pkt_topk_top(tk, part, -1) == 0, "top(-1) gave items");

	for (int i = 0; i < nall; i++)
	{
		const FuzzTrueCount *t = topk_find_true(truth, ntruth, all[i].key);
		uint64_t	tp = t ? t->packets : 0;
		uint64_t	tb = t ? t->bytes : 0;

		if (i > 0)
		{
			int			c = memcmp(all[i - 1].key, all[i].key, PKT_TOPK_KEYLEN);

			FUZZ_CHECK(all[i - 1].packets > all[i].packets ||
					   (all[i - 1].packets == all[i].packets && c < 0),
					   "top not sorted at %d: %llu then %llu (key cmp %d)", i,
					   (unsigned long long) all[i - 1].packets,
					   (unsigned long long) all[i].packets, c);
		}
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(memcmp(all[j].key, all[i].key, PKT_TOPK_KEYLEN) != 0,
					   "key reported twice (items %d and %d)", j, i);
		FUZZ_CHECK(t != NULL, "item %d: a key never added is stored", i);
		FUZZ_CHECK(all[i].packets >= tp, "item %d: %llu packets < true %llu", i,
				   (unsigned long long) all[i].packets, (unsigned long long) tp);
		FUZZ_CHECK(all[i].error <= all[i].packets, "item %d: error %llu > count %llu",
				   i, (unsigned long long) all[i].error,
				   (unsigned long long) all[i].packets);
		FUZZ_CHECK(all[i].packets - all[i].error <= tp,
				   "item %d: count %llu - error %llu > true %llu", i,
				   (unsigned long long) all[i].packets,
				   (unsigned long long) all[i].error, (unsigned long long) tp);
		/*
		 * bytes are those counted since the key entered the table: never
		 * more than its true bytes (a lower bound)
		 */
		FUZZ_CHECK(all[i].bytes <= tb, "item %d: %llu bytes > true %llu", i,
				   (unsigned long long) all[i].bytes, (unsigned long long) tb);
		/* never evicted (error 0): packets and bytes both exact */
		if (all[i].error == 0)
			FUZZ_CHECK(all[i].packets == tp && all[i].bytes == tb,
					   "item %d: error 0 but %llu/%llu vs true %llu/%llu", i,
					   (unsigned long long) all[i].packets,
					   (unsigned long long) all[i].bytes,
					   (unsigned long long) tp, (unsigned long long) tb);
		FUZZ_CHECK(all[i].error <= bound, "item %d: error %llu > bound %llu", i,
				   (unsigned long long) all[i].error, (unsigned long long) bound);
		if (!pkt_topk_is_approximate(tk))
			FUZZ_CHECK(all[i].error == 0 && all[i].packets == tp && all[i].bytes == tb,
					   "item %d: exact mode but %llu/%llu (error %llu) vs true %llu/%llu",
					   i, (unsigned long long) all[i].packets,
					   (unsigned long long) all[i].bytes,
					   (unsigned long long) all[i].error,
					   (unsigned long long) tp, (unsigned long long) tb);
		sum += all[i].packets;
		if (all[i].packets < minpk)
			minpk = all[i].packets;
	}

	/* only when the table was returned whole */
	if (count <= TOPK_CHECK_MAXOUT)
	{
		FUZZ_CHECK(sum == n, "stored counts sum to %llu, N = %llu",
				   (unsigned long long) sum, (unsigned long long) n);
		if (pkt_topk_is_approximate(tk))
			FUZZ_CHECK(bound == minpk, "error bound %llu, smallest count %llu",
					   (unsigned long long) bound, (unsigned long long) minpk);
		for (size_t i = 0; i < ntruth; i++)
		{
			int			found = 0;

			if (truth[i].packets * capacity <= n)
				continue;
			for (int j = 0; j < nall && !found; j++)
				found = memcmp(all[j].key, truth[i].key, PKT_TOPK_KEYLEN) == 0;
			FUZZ_CHECK(found, "a key with %llu of %llu packets (> N/%u) is missing",
					   (unsigned long long) truth[i].packets,
					   (unsigned long long) n, capacity);
		}
	}

	if (topn < 1)
		topn = 1;
	if (topn > TOPK_CHECK_MAXOUT)
		topn = TOPK_CHECK_MAXOUT;
	npart = pkt_topk_top(tk, part, topn);
	FUZZ_CHECK(npart == (topn < nall ? topn : nall), "top(%d) gave %d of %d",
			   topn, npart, nall);
	for (int i = 0; i < npart; i++)
		FUZZ_CHECK(memcmp(part[i].key, all[i].key, PKT_TOPK_KEYLEN) == 0 &&
				   part[i].packets == all[i].packets && part[i].bytes == all[i].bytes &&
				   part[i].error == all[i].error,
				   "top(%d) is not a prefix of top(64) at item %d", topn, i);
}

#endif							/* TOPK_CHECK_H */
