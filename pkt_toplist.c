/*-------------------------------------------------------------------------
 * pkt_toplist.c
 *		Bounded, mergeable summaries of the addresses of a time bucket.
 *
 * The summaries behind pkt_report() keep, per bucket (a minute, an hour
 * or a day of a run) and direction, a list of at most 2k addresses: the
 * k that sent (or received) most packets and the k with most bytes, each
 * with an upper bound of its packets and bytes and how much that bound
 * may overcount, and for every address not listed one bound of its
 * packets and one of its bytes (other_packets, other_bytes).  A list
 * made from an exact count of every address of the bucket is exact
 * (errors 0); one made from a Space-Saving counter (pkt_topk.c) carries
 * its error bounds.
 *
 * Lists merge (Agarwal et al., "Mergeable Summaries", PODS 2012): the
 * bounds of an address in the union of two buckets are the sums of its
 * bounds in each, where an address a list does not hold counts as that
 * list's other_packets (upper bound) and 0 (lower bound).  Trimming the
 * merged list back to 2k addresses raises other_* to the largest bound
 * dropped.  So a window's top talkers come from merging its buckets,
 * exact where every bucket knew them exactly (as on skewed traffic, whose
 * heavy hitters every bucket lists), and otherwise with a stated bound.
 * pkt_report() does the same merge in SQL over the stored lists.
 *
 * Bytes.  A Space-Saving counter ranks by packets; for an address that
 * entered it by replacing another (error e > 0), it knows the bytes of
 * the packets counted since, and that at most e packets came before,
 * each at most the largest packet of the bucket (max_len): its bytes lie
 * in [since, since + e * max_len].
 *-------------------------------------------------------------------------
 */
#include "pkt_toplist.h"

#include <stdlib.h>
#include <string.h>

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(((const PktTopEntry *) a)->key, ((const PktTopEntry *) b)->key,
				  PKT_TOPK_KEYLEN);
}

/* most packets first, ties by key: does e[a] come before e[b]? */
static inline bool
before_by_packets(const PktTopEntry *e, uint32_t a, uint32_t b)
{
	if (e[a].packets != e[b].packets)
		return e[a].packets > e[b].packets;
	return memcmp(e[a].key, e[b].key, PKT_TOPK_KEYLEN) < 0;
}

/* most bytes first, ties by key */
static inline bool
before_by_bytes(const PktTopEntry *e, uint32_t a, uint32_t b)
{
	if (e[a].bytes != e[b].bytes)
		return e[a].bytes > e[b].bytes;
	return memcmp(e[a].key, e[b].key, PKT_TOPK_KEYLEN) < 0;
}

static inline void
swap_idx(uint32_t *a, uint32_t *b)
{
	uint32_t	t = *a;

	*a = *b;
	*b = t;
}

/*
 * Mark keep the k entries of e[0..n) that come first by packets (with
 * by_bytes: by bytes): quickselect over their indices, O(n) on average.
 * The order is total (ties broken by key), so the k are always the same.
 */
static void
mark_first(PktTopEntry *e, uint32_t *idx, uint32_t n, uint32_t k, bool by_bytes)
{
	uint32_t	lo = 0;
	uint32_t	hi = n;			/* the k-th lies in [lo, hi) */

#define BEFORE(a, b) (by_bytes ? before_by_bytes(e, a, b) : before_by_packets(e, a, b))
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	while (hi - lo > 1)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		uint32_t	store = lo;

		/* median of three as the pivot, at hi - 1 */
		if (BEFORE(idx[mid], idx[lo]))
			swap_idx(&idx[mid], &idx[lo]);
		if (BEFORE(idx[hi - 1], idx[lo]))
			swap_idx(&idx[hi - 1], &idx[lo]);
		if (BEFORE(idx[mid], idx[hi - 1]))
			swap_idx(&idx[mid], &idx[hi - 1]);
		for (uint32_t i = lo; i < hi - 1; i++)
			if (BEFORE(idx[i], idx[hi - 1]))
				swap_idx(&idx[i], &idx[store++]);
		swap_idx(&idx[store], &idx[hi - 1]);
		/* idx[lo..store) come before the pivot, idx[store+1..hi) after */
		if (store + 1 == k || store == k)
			break;
		if (store > k)
			hi = store;
		else
			lo = store + 1;
	}
#undef BEFORE
	for (uint32_t i = 0; i < k; i++)
		e[idx[i]].keep = 1;
}

/*
 * Keep the k entries with most packets and the k with most bytes of the
 * n in e, in key order, into out (room for 2k); what is dropped raises
 * the bounds of the addresses not listed.  e is in key order if sorted;
 * w has room for n indices.  Returns how many are kept.
 */
static uint32_t
trim(PktTopEntry *e, uint32_t n, uint32_t k, bool sorted, uint32_t *idx, PktTopEntry *out,
	 uint64_t *other_packets, uint64_t *other_bytes)
{
	uint32_t	kept = 0;

	for (uint32_t i = 0; i < n; i++)
		e[i].keep = n <= k;
	if (n > k)
	{
		mark_first(e, idx, n, k, false);
		mark_first(e, idx, n, k, true);
	}
	for (uint32_t i = 0; i < n; i++)
	{
		if (e[i].keep)
			out[kept++] = e[i];
		else
		{
			if (e[i].packets > *other_packets)
				*other_packets = e[i].packets;
			if (e[i].bytes > *other_bytes)
				*other_bytes = e[i].bytes;
		}
	}
	if (!sorted)
		qsort(out, kept, sizeof(PktTopEntry), key_cmp);
	return kept;
}

/*
 * The list of a bucket counted by the Space-Saving counter tk, whose
 * largest packet had max_len bytes.  w has room for every entry of the
 * counter (pkt_topk_count()).
 */
void
pkt_toplist_from_topk(PktTopList *out, uint32_t k, PktTopK *tk, uint64_t max_len,
					  PktTopScratch *w)
{
	PktTopEntry *scratch = w->e;
	uint32_t	n = pkt_topk_count(tk);
	/* an address not in the counter has at most its smallest count */
	uint64_t	floor = pkt_topk_error_bound(tk);

	for (uint32_t i = 0; i < n; i++)
	{
		PktTopKItem item;

		pkt_topk_get(tk, i, &item);
		memcpy(scratch[i].key, item.key, PKT_TOPK_KEYLEN);
		scratch[i].packets = item.packets;
		scratch[i].packets_error = item.error;
		scratch[i].bytes_error = item.error * max_len;
		scratch[i].bytes = item.bytes + scratch[i].bytes_error;
	}
	out->other_packets = floor;
	out->other_bytes = floor * max_len;
	out->n = trim(scratch, n, k, false, w->idx, out->e, &out->other_packets, &out->other_bytes);
}

/*
 * acc becomes the union of acc and b (the buckets of both), trimmed to k;
 * w has room for acc->n + b->n entries.
 */
void
pkt_toplist_merge(PktTopList *acc, uint32_t k, const PktTopList *b, PktTopScratch *w)
{
	PktTopEntry *scratch = w->e;
	uint32_t	i = 0;
	uint32_t	j = 0;
	uint32_t	n = 0;

	while (i < acc->n || j < b->n)
	{
		PktTopEntry *m = &scratch[n++];
		int			c;

		if (i == acc->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = memcmp(acc->e[i].key, b->e[j].key, PKT_TOPK_KEYLEN);
		if (c == 0)
		{
			*m = acc->e[i++];
			m->packets += b->e[j].packets;
			m->bytes += b->e[j].bytes;
			m->packets_error += b->e[j].packets_error;
			m->bytes_error += b->e[j].bytes_error;
			j++;
		}
		else if (c < 0)
		{
			/* not in b: there, between 0 and b's bound */
			*m = acc->e[i++];
			m->packets += b->other_packets;
			m->bytes += b->other_bytes;
			m->packets_error += b->other_packets;
			m->bytes_error += b->other_bytes;
		}
		else
		{
			*m = b->e[j++];
			m->packets += acc->other_packets;
			m->bytes += acc->other_bytes;
			m->packets_error += acc->other_packets;
			m->bytes_error += acc->other_bytes;
		}
	}
	acc->other_packets += b->other_packets;
	acc->other_bytes += b->other_bytes;
	acc->n = trim(scratch, n, k, true, w->idx, acc->e, &acc->other_packets, &acc->other_bytes);
}

void
pkt_toplist_copy(PktTopList *dst, const PktTopList *src)
{
	dst->n = src->n;
	dst->other_packets = src->other_packets;
	dst->other_bytes = src->other_bytes;
	memcpy(dst->e, src->e, sizeof(PktTopEntry) * src->n);
}

/* Does the list hold every address of its buckets, exactly? */
bool
pkt_toplist_exact(const PktTopList *l)
{
	if (l->other_packets != 0 || l->other_bytes != 0)
		return false;
	for (uint32_t i = 0; i < l->n; i++)
		if (l->e[i].packets_error != 0 || l->e[i].bytes_error != 0)
			return false;
	return true;
}
