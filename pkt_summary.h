/*-------------------------------------------------------------------------
 * pkt_summary.h
 *		The summaries behind pkt_report(): per minute, hour and day, exact
 *		traffic per protocol and bounded top talkers (pkt_summary.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_SUMMARY_H
#define PKT_SUMMARY_H

#include "lib/ilist.h"

#include "pkt_shmem.h"
#include "pkt_toplist.h"
#include "pkt_writer.h"

/* The summaries of one run: its buckets in memory, and how to write them. */
typedef struct PktSums
{
	MemoryContext cxt;			/* the run's: buckets, statements */
	MemoryContext batch_cxt;	/* reset after each write */
	uint32		k;				/* pktcapture.summary_top at the run's start */
	uint32		capacity;		/* pktcapture.summary_capacity, likewise */
	uint64		seed;
	dlist_head	buckets;		/* every bucket held, open or not yet written */
	int			nopen[3];		/* open buckets by span */
	int			nclosed;		/* closed, not yet written */
	int32		next_part;
	uint64		clock;			/* for least recently used */
	struct SumBucket *last;		/* the minute the last row went to */
	slist_head	free_counters;	/* Space-Saving counters to reuse */
	PktTopScratch scratch;		/* room for a counter's or two lists' entries */
	bool		run_lists;		/* keep the run's own lists (for pkt_stats) */
	PktTopList	run_top[2];		/* of every closed minute: sources, destinations */
	bool		top_dirty;		/* run_top changed */
	PktBatchStmt *protos_stmt;
	PktBatchStmt *top_stmt;
	bool		in_xact;		/* written in the open transaction */
	bool		abandoned;		/* given up: pkt_report reads packets */
	TimestampTz last_at;		/* last written */
} PktSums;

extern void pkt_sums_init(PktSums *s, MemoryContext cxt, bool run_lists);
extern void pkt_sums_add(PktSums *s, const PktRow *rows, int n);
extern bool pkt_sums_due(PktSums *s, TimestampTz now);
extern bool pkt_sums_full(PktSums *s);
extern void pkt_sums_close_all(PktSums *s);
extern void pkt_sums_write(PktSums *s, int32 run_id, Oid owner);
extern void pkt_sums_committed(PktSums *s);
extern void pkt_sums_aborted(PktSums *s);
extern void pkt_sums_abandon(PktSums *s);
extern void pkt_sums_shared_top(PktSums *s, PktSharedTop *src, PktSharedTop *dst);
extern void pkt_sums_release(PktSums *s);

#endif							/* PKT_SUMMARY_H */
