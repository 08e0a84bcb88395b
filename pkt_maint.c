/*-------------------------------------------------------------------------
 * pkt_maint.c
 *		Transactions of a background worker's own, and the rounds of
 *		partition maintenance that captures and hubs run.
 *
 * A capture worker (pkt_worker.c) and a hub's worker (pkt_hub.c) keep the
 * partitions of packets the same way, every pktcapture.maintenance_interval:
 * the partitions of now and of the next spans are made, old summaries
 * trimmed, and the partitions past pktcapture.retention dropped, each
 * drop in a transaction of its own that waits PKT_DROP_LOCK_TIMEOUT at
 * most for packets' lock (captures and queries are not kept waiting
 * behind it; it is tried again at the next round).  Their disk guards
 * drop the oldest partition through pkt_maint_drop_oldest.  A step that
 * fails is logged once, then once a minute while steps keep failing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "postmaster/bgwriter.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_guc.h"
#include "pkt_maint.h"
#include "pkt_partition.h"

#define PKT_DROP_LOCK_TIMEOUT	"200"	/* ms a partition's drop may wait for packets */
#define PKT_STEP_LOG_EVERY_MS	60000
#define PKT_CHECKPOINT_EVERY_MS	10000	/* asked for while pg_wal's disk is short */

void
pkt_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
pkt_xact_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* After an error in a transaction: abort it, return what the error was. */
ErrorData *
pkt_xact_abort(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	return edata;
}

void
pkt_maint_init(PktMaint *m, const char *who)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->who, who, sizeof(m->who));
}

/*
 * A step in a transaction of its own: fn(arg).  Returns fn's result, or
 * -1 if it failed.
 */
int
pkt_maint_step(PktMaint *m, int (*fn) (void *arg), void *arg, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int result = -1;

	PG_TRY();
	{
		pkt_xact_begin();
		pgstat_report_activity(STATE_RUNNING, what);
		result = fn(arg);
		pkt_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata = pkt_xact_abort(oldcxt);
		TimestampTz now = GetCurrentTimestamp();

		if (now >= TimestampTzPlusMilliseconds(m->logged_at, PKT_STEP_LOG_EVERY_MS))
		{
			ereport(LOG,
					(errmsg("pktcapture: %s failed for %s: %s", what, m->who, edata->message),
					 errhint("It is tried again later.")));
			m->logged_at = now;
		}
		FreeErrorData(edata);
		result = -1;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

bool
pkt_maint_due(const PktMaint *m, TimestampTz now)
{
	return now >= TimestampTzPlusMilliseconds(m->maintained_at,
											  pkt_maintenance_interval_s * 1000);
}

static int
step_ahead(void *arg)
{
	int			made = pkt_parts_ahead();
	int64		removed = pkt_summaries_expire();

	if (removed > 0)
		ereport(LOG,
				(errmsg("pktcapture: " INT64_FORMAT " summary rows past pktcapture.summary_retention removed",
						removed)));
	return made;
}

/* the names of a table's partitions past retention, in the caller's context */
typedef struct ExpiredArg
{
	PktTable	table;
	MemoryContext cxt;
	List	   *names;
} ExpiredArg;

static int
step_expired(void *arg)
{
	ExpiredArg *e = arg;
	List	   *names = pkt_parts_expired(e->table);
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(e->cxt);

	foreach(lc, names)
		e->names = lappend(e->names, pstrdup(lfirst(lc)));
	MemoryContextSwitchTo(old);
	return 0;
}

/* a partition to drop */
typedef struct DropArg
{
	PktTable	table;
	const char *relname;		/* this one, or the oldest before 'before' */
	TimestampTz before;
	const char *why;
	int64		rows;
} DropArg;

static int
step_drop(void *arg)
{
	DropArg    *d = arg;

	/* the table locked ACCESS EXCLUSIVE: wait little, try again later */
	(void) set_config_option("lock_timeout", PKT_DROP_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (d->relname != NULL)
	{
		d->rows = pkt_parts_drop(d->table, d->relname, d->why);
		return 1;
	}
	return pkt_parts_drop_oldest(d->table, d->before, d->why, &d->rows) ? 1 : 0;
}

/*
 * Drop the table's partitions past its retention, each in a transaction
 * of its own; false if a step failed.
 */
static bool
drop_expired(PktMaint *m, PktTable table)
{
	ExpiredArg	e = {table, CurrentMemoryContext, NIL};
	ListCell   *lc;
	bool		ok = true;

	if (pkt_maint_step(m, step_expired, &e, "listing partitions past retention") < 0)
		return false;
	foreach(lc, e.names)
	{
		DropArg		d = {table, lfirst(lc), 0, "retention", 0};

		if (pkt_maint_step(m, step_drop, &d, "dropping a partition past retention") < 0)
		{
			ok = false;
			break;
		}
		ereport(LOG,
				(errmsg("pktcapture: partition %s dropped (retention): " INT64_FORMAT " rows",
						d.relname, d.rows)));
	}
	list_free_deep(e.names);
	return ok;
}

/*
 * A round of maintenance: the partitions of now and of the next spans,
 * old summaries trimmed, and the partitions of packets past
 * pktcapture.retention and of flows past pktcapture.flow_retention
 * dropped, each drop in a transaction of its own.
 */
void
pkt_maint_round(PktMaint *m)
{
	m->maintained_at = GetCurrentTimestamp();
	if (pkt_maint_step(m, step_ahead, NULL, "making partitions ahead") < 0)
		return;
	if (drop_expired(m, PKT_TABLE_PACKETS))
		(void) drop_expired(m, PKT_TABLE_FLOWS);
}

/*
 * For a disk guard: drop the oldest partition of packets holding rows,
 * before the one of now; with none left, the oldest partition of flows,
 * before today's (flows are kept longer: they go last).  Returns 1 if one
 * was dropped (*table: of which table, *rows: what it held), 0 if there
 * is none left, -1 if the drop failed (try again shortly).
 */
int
pkt_maint_drop_oldest(PktMaint *m, PktTable *table, int64 *rows)
{
	TimestampTz now = GetCurrentTimestamp();
	DropArg		d = {PKT_TABLE_PACKETS, NULL, pkt_span_start(now), "disk guard", 0};
	int			r = pkt_maint_step(m, step_drop, &d, "dropping the oldest partition for space");

	if (r == 0)
	{
		d.table = PKT_TABLE_FLOWS;
		d.before = pkt_bucket_start(now, USECS_PER_DAY);
		r = pkt_maint_step(m, step_drop, &d, "dropping the oldest partition of flows for space");
	}
	*table = d.table;
	*rows = d.rows;
	return r;
}

/*
 * No room and nothing left to drop: the guard holds, saying so once.
 * Returns 0, or -1 if stopping the rows' flow failed (try again).
 */
static int
guard_hold(PktMaint *m, PktGuard *g, const PktGuardRows *gr)
{
	if (g->state != PKT_GUARD_HOLDING)
	{
		if (gr->hold && !gr->hold(gr->arg, true))
			return -1;
		ereport(WARNING,
				(errmsg("pktcapture: the disk guard stops storing %s", gr->rows),
				 m ?
				 errdetail("Free space is below pktcapture.min_free_space (%s) and no partition of packets or flows is left to drop.",
						   pkt_min_free_space) :
				 errdetail("Free space is below pktcapture.min_free_space (%s).", pkt_min_free_space),
				 errhint("%s", gr->hold_hint)));
		g->state = PKT_GUARD_HOLDING;
	}
	if (m && g->wal_tight)
		pkt_maint_checkpoint(m);
	return 0;
}

/* WAL waits for a checkpoint to be recycled: ask for one, now and then. */
void
pkt_maint_checkpoint(PktMaint *m)
{
	TimestampTz now = GetCurrentTimestamp();

	if (now >= TimestampTzPlusMilliseconds(m->checkpoint_at, PKT_CHECKPOINT_EVERY_MS))
	{
		RequestCheckpoint(CHECKPOINT_IMMEDIATE);
		m->checkpoint_at = now;
	}
}

/*
 * The disk guard's policy, the same for captures, loads and hubs: is there
 * room for bytes more above pktcapture.min_free_space?  If not, the oldest
 * partitions (before the one of now) go, one a transaction, until there
 * is; with none left (or m NULL: a load, whose partitions stay locked to
 * its end, drops none) the guard holds: rows are not stored (gr->hold
 * stops their flow too) and a WARNING says so once; while pg_wal is the
 * tight filesystem, a checkpoint is asked for now and then.  Once room is
 * back, with the holding guard's margin, the hold ends, logged once.
 * Returns 1 if there is room, 0 if the guard holds, -1 if a step failed
 * (try again shortly).
 */
int
pkt_maint_make_room(PktMaint *m, PktGuard *g, int64 bytes, const PktGuardRows *gr)
{
	while (!pkt_guard_room(g, bytes))
	{
		int64		rows = 0;
		PktTable	table = PKT_TABLE_PACKETS;
		int			r = m ? pkt_maint_drop_oldest(m, &table, &rows) : 0;

		if (r < 0)
			return -1;
		if (r == 0)
			return guard_hold(m, g, gr);
		/* a drop while holding ends the hold only once there is room */
		if (g->state != PKT_GUARD_HOLDING)
			g->state = PKT_GUARD_DROPPING;
		ereport(LOG,
				(errmsg("pktcapture: the disk guard dropped the oldest partition of %s (" INT64_FORMAT " rows) for %s",
						table == PKT_TABLE_FLOWS ? "flows" : "packets", rows, gr->rows),
				 errdetail("Free space was below pktcapture.min_free_space (%s).", pkt_min_free_space)));
	}
	if (g->state == PKT_GUARD_HOLDING)
	{
		if (gr->hold && !gr->hold(gr->arg, false))
			return -1;
		ereport(LOG,
				(errmsg("pktcapture: the disk guard lets %s in again", gr->rows),
				 gr->not_stored ?
				 errdetail(UINT64_FORMAT " rows were not stored meanwhile.", *gr->not_stored) : 0));
	}
	g->state = PKT_GUARD_OK;
	return 1;
}
