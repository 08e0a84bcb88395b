/*-------------------------------------------------------------------------
 * pkt_toplist.h
 *		Bounded, mergeable summaries of the addresses of a time bucket:
 *		the top talkers with bounds on their counts (pkt_toplist.c).
 *
 * Pure code, as pkt_topk.h: the caller provides the memory.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_TOPLIST_H
#define PKT_TOPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt_topk.h"

/*
 * One address of a list.  Its true packets lie in [packets -
 * packets_error, packets], its true bytes in [bytes - bytes_error, bytes].
 */
typedef struct PktTopEntry
{
	uint8_t		key[PKT_TOPK_KEYLEN];	/* pkt_topk_key() */
	uint8_t		keep;			/* pkt_toplist.c's own, while trimming */
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	packets_error;
	uint64_t	bytes_error;
} PktTopEntry;

/*
 * The addresses of one direction of a bucket: at most 2k of them, the k
 * with most packets and the k with most bytes, in key order.  An address
 * not listed sent (or received) at most other_packets packets and
 * other_bytes bytes in the bucket.
 */
typedef struct PktTopList
{
	uint32_t	n;
	uint64_t	other_packets;
	uint64_t	other_bytes;
	PktTopEntry *e;				/* room for 2k entries, the caller's */
} PktTopList;

/* Working room for n entries: the caller's memory. */
typedef struct PktTopScratch
{
	PktTopEntry *e;				/* n entries */
	uint32_t   *idx;			/* n indices */
} PktTopScratch;

extern void pkt_toplist_from_topk(PktTopList *out, uint32_t k, PktTopK *tk,
								  uint64_t max_len, PktTopScratch *w);
extern void pkt_toplist_merge(PktTopList *acc, uint32_t k, const PktTopList *b,
							  PktTopScratch *w);
extern void pkt_toplist_copy(PktTopList *dst, const PktTopList *src);
extern bool pkt_toplist_exact(const PktTopList *l);

#endif							/* PKT_TOPLIST_H */
