/*-------------------------------------------------------------------------
 * pkt_maint.h
 *		Transactions of a background worker's own, and the rounds of
 *		partition maintenance that captures and hubs run (pkt_maint.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_MAINT_H
#define PKT_MAINT_H

#include "datatype/timestamp.h"
#include "utils/elog.h"

#include "pkt_guard.h"
#include "pkt_partition.h"

/* A background worker's transaction, connected to SPI, with a snapshot. */
extern void pkt_xact_begin(void);
extern void pkt_xact_commit(void);
extern ErrorData *pkt_xact_abort(MemoryContext cxt);

/* Who maintains, and when it last did or logged. */
typedef struct PktMaint
{
	char		who[300];		/* for the log: interface "eth0", the hub */
	TimestampTz maintained_at;	/* last round */
	TimestampTz logged_at;		/* last failed step logged */
	TimestampTz checkpoint_at;	/* last checkpoint asked for by a disk guard */
} PktMaint;

extern void pkt_maint_init(PktMaint *m, const char *who);
extern int	pkt_maint_step(PktMaint *m, int (*fn) (void *arg), void *arg, const char *what);
extern bool pkt_maint_due(const PktMaint *m, TimestampTz now);
extern void pkt_maint_round(PktMaint *m);
extern int	pkt_maint_drop_oldest(PktMaint *m, PktTable *table, int64 *rows);
extern void pkt_maint_checkpoint(PktMaint *m);

/*
 * What a disk guard guards, for its one policy (pkt_maint_make_room): whose
 * rows, for the log; what happens to them while it holds; how it holds
 * their flow, if it does more than not store them.
 */
typedef struct PktGuardRows
{
	const char *rows;			/* "rows from interface \"eth0\"" */
	const char *hold_hint;		/* the errhint of the warning that it holds */
	bool		(*hold) (void *arg, bool hold);	/* false if switching failed */
	void	   *arg;
	const uint64 *not_stored;	/* counted while it held; NULL: not counted */
} PktGuardRows;

extern int	pkt_maint_make_room(PktMaint *m, PktGuard *g, int64 bytes,
								const PktGuardRows *gr);

#endif							/* PKT_MAINT_H */
