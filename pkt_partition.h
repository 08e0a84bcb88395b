/*-------------------------------------------------------------------------
 * pkt_partition.h
 *		The partitions of packets: routing a batch's rows to partitions
 *		that exist, their rows per run, retention (pkt_partition.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_PARTITION_H
#define PKT_PARTITION_H

#include "datatype/timestamp.h"

#include "pkt_writer.h"

typedef struct PktPartRange
{
	TimestampTz start;
	TimestampTz end;
} PktPartRange;

/* The partitions a writer knows of, and its statement counting their rows. */
typedef struct PktParts
{
	MemoryContext cxt;
	PktPartRange *ranges;		/* sorted by start */
	int			n;
	int			cap;
	int			last;			/* the range the last row went to */
	PktBatchStmt *count_stmt;	/* pkt_partition_rows upsert */
} PktParts;

extern TimestampTz pkt_span_start(TimestampTz t);
extern void pkt_parts_init(PktParts *p, MemoryContext cxt);
extern int	pkt_parts_route(PktParts *p, PktRow *rows, int n, Oid owner);
extern void pkt_parts_count(PktParts *p, const PktRow *rows, int n, int32 run_id,
							Oid owner);
extern void pkt_parts_forget(PktParts *p);
extern void pkt_parts_release(PktParts *p);

/* maintenance, each in a transaction of its own (the caller's) */
extern int	pkt_parts_ahead(void);
/* The partitioned tables maintenance keeps: their partitions, by time. */
typedef enum PktTable
{
	PKT_TABLE_PACKETS,
	PKT_TABLE_FLOWS
} PktTable;

extern List *pkt_parts_expired(PktTable t);
extern int64 pkt_parts_drop(PktTable t, const char *relname, const char *why);
extern bool pkt_parts_drop_oldest(PktTable t, TimestampTz before, const char *why,
								  int64 *rows);
extern int64 pkt_summaries_expire(void);

#endif							/* PKT_PARTITION_H */
