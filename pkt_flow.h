/*-------------------------------------------------------------------------
 * pkt_flow.h
 *		Conversations per interval, bounded and exact: the table flows
 *		(pkt_flow.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_FLOW_H
#define PKT_FLOW_H

#include "lib/ilist.h"

#include "pkt_shmem.h"
#include "pkt_writer.h"

/*
 * A file load writes the conversations of this many closed intervals at
 * once, and its batches of rows span this many intervals at most: a sparse
 * file (a week of a few packets a minute) is not written in small batches.
 */
#define PKT_FLOWS_LOAD_INTERVALS 1024

/* The conversations of one run: its intervals in memory, and how to write them. */
typedef struct PktFlows
{
	MemoryContext cxt;			/* the run's */
	MemoryContext batch_cxt;	/* reset after each write */
	bool		enabled;		/* pktcapture.flow_capacity > 0 at the start */
	bool		live;			/* intervals also close by the clock */
	int64		interval;		/* pktcapture.flow_interval, microseconds */
	uint32		capacity;		/* pktcapture.flow_capacity at the start */
	dlist_head	intervals;		/* open ones, then closed not yet written */
	int			nopen;
	int			nclosed;
	uint64		closed_records; /* records the closed intervals hold */
	uint64		max_closed_records; /* beyond which the oldest is given up */
	struct FlowInterval *last;	/* the interval the last row went to */
	/* capacity already used by intervals closed before (reopened parts) */
	struct usedtab_hash *used;
	TimestampTz *used_order;	/* the intervals remembered, in that order */
	int			used_next;
	bool		used_evicted;	/* some were forgotten */
	TimestampTz used_evicted_max;	/* the latest of them */
	struct orienttab_hash *orient;	/* who initiated, of conversations written */
	PktBatchStmt *stmt;
	bool		day_known;		/* known_day's partition is there */
	TimestampTz known_day;
	bool		in_xact;		/* written in the open transaction */
	uint64		xact_rows;		/* rows written in it */
	uint64		folded;			/* packets folded so far */
	uint64		lost;			/* packets of records that could not be written */
	uint64		rows;			/* rows committed */
} PktFlows;

extern void pkt_flows_init(PktFlows *f, MemoryContext cxt, bool live);
extern void pkt_flows_add(PktFlows *f, const PktRow *rows, int n);
extern bool pkt_flows_tick(PktFlows *f, TimestampTz now);
extern bool pkt_flows_waiting(const PktFlows *f);
extern bool pkt_flows_batch_due(const PktFlows *f);
extern void pkt_flows_close_all(PktFlows *f);
extern void pkt_flows_write(PktFlows *f, PktWriter *w, int32 run_id, Oid owner);
extern void pkt_flows_committed(PktFlows *f);
extern void pkt_flows_aborted(PktFlows *f);
extern void pkt_flows_give_up(PktFlows *f);
extern void pkt_flows_shared(PktFlows *f, PktSharedFlows *out);
extern void pkt_flows_release(PktFlows *f);

#endif							/* PKT_FLOW_H */
