/*-------------------------------------------------------------------------
 * pkt_ledger.h
 *		The run ledger, table pkt_runs (pkt_ledger.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_LEDGER_H
#define PKT_LEDGER_H

#include "pkt_shmem.h"

/* One run's row in pkt_runs, and what writing it needs. */
typedef struct PktLedger
{
	PktSlotRef	slot;			/* the run's slot, which shows its run id */
	int32		run_id;			/* pkt_runs row, 0 if none */
	Oid			ext_oid;		/* the pktcapture extension of that pkt_runs */
	Oid			owner;			/* its owner, who writes the bookkeeping */
	Oid			id_seq;			/* the sequence of packets.id */
	MemoryContext cxt;
	char	   *update_sql;
} PktLedger;

/* What an update does to the run's summarized_id */
typedef enum PktSummarized
{
	PKT_SUMMARIZED_KEEP,		/* unchanged */
	PKT_SUMMARIZED_NOW,			/* every row stored so far is in the summaries */
	PKT_SUMMARIZED_ALL			/* and the run ends: none is left out */
} PktSummarized;

extern void pkt_ledger_init(PktLedger *l, MemoryContext cxt, PktSlotRef slot);
extern void pkt_ledger_open(PktLedger *l, const char *kind, const char *source,
							const char *filter,
							int linktype, int frame_snaplen);
extern void pkt_ledger_update(PktLedger *l, const PktCounters *c, uint64 rows_stored,
							  const char *state, const char *error,
							  PktSummarized summarized);
extern void pkt_ledger_check_extension(const PktLedger *l);

#endif							/* PKT_LEDGER_H */
