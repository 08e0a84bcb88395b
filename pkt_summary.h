/*-------------------------------------------------------------------------
 * pkt_summary.h
 *		The per-minute summaries behind pkt_report() (pkt_summary.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_SUMMARY_H
#define PKT_SUMMARY_H

#include "pkt_topk.h"
#include "pkt_writer.h"

/* The sums of one run's committed rows not yet written. */
typedef struct PktSums
{
	MemoryContext cxt;			/* the run's: statements, spool */
	MemoryContext sum_cxt;		/* the sums */
	MemoryContext batch_cxt;	/* reset after each write */
	struct protosum_hash *protos;	/* simplehash tables (pkt_summary.c) */
	struct addrsum_hash *addrs;
	uint64		seed;
	uint32		addrs_hint;		/* address sums held last time */
	PktBatchStmt *summary;		/* upserts */
	PktBatchStmt *summary_addr;
	PktBatchStmt *summary_new;	/* the same without ON CONFLICT */
	PktBatchStmt *summary_addr_new;
	PktSpool	spool;
	PktTopK    *top_src;		/* top talkers counted from the sums, or NULL */
	PktTopK    *top_dst;
	bool		top_dirty;		/* they changed */
	bool		written;		/* once, later sums may meet earlier ones */
	bool		in_xact;		/* written in the open transaction */
	bool		abandoned;		/* given up: pkt_report reads packets */
	TimestampTz last_at;		/* last written */
} PktSums;

extern void pkt_sums_init(PktSums *s, MemoryContext cxt, PktTopK *top_src,
						  PktTopK *top_dst);
extern void pkt_sums_add(PktSums *s, const PktRow *rows, int n);
extern bool pkt_sums_due(PktSums *s, TimestampTz now);
extern bool pkt_sums_full(PktSums *s);
extern void pkt_sums_write(PktSums *s, int32 run_id, Oid owner);
extern void pkt_sums_committed(PktSums *s);
extern void pkt_sums_aborted(PktSums *s);
extern void pkt_sums_abandon(PktSums *s);
extern void pkt_sums_release(PktSums *s);

#endif							/* PKT_SUMMARY_H */
