/*-------------------------------------------------------------------------
 * pkt_hub.c
 *		A hub: the rows of many sensors in one database, received by
 *		PostgreSQL's logical replication.
 *
 * Each sensor publishes packets, the ledger, the summaries and the flows;
 * the hub subscribes to each (pkt_hub_add, in the SQL of version 1.3), one
 * subscription named "pktcapture:<sensor>".  What runs here:
 *
 *	- pkt_hub_rows, a BEFORE INSERT trigger on the hub's packets and flows,
 *	  in the processes of those subscriptions only: every row gets the
 *	  sensor's name as it arrives, whatever it held (the ledger and
 *	  summaries get it from pkt_hub_replace, through pkt_hub_origin).  In
 *	  the copy of a sensor's existing rows (a subscription's table sync), a
 *	  row the hub already holds is skipped: a sensor added again after its
 *	  slot was lost sends its rows again, and only the missing ones are kept.
 *
 *	- One worker per hub database ("pktcapture hub"), which keeps the
 *	  partitions of packets as a capture does (pkt_maint.c: partitions
 *	  ahead, retention), runs the disk guard of the rows received (the
 *	  oldest partitions dropped, then the subscriptions disabled until
 *	  space returns: the sensors keep the rows meanwhile, up to their
 *	  max_slot_wal_keep_size), and looks at each sensor once a minute,
 *	  logging what the hub missed when a sensor's slot was lost, and
 *	  subscribing to the flows of a sensor updated from 1.5 (a statement
 *	  that no SQL function may run).
 *	  pkt_hub_add starts it; at server start, a short-lived worker
 *	  ("pktcapture hubs") looks into each database for one.  A session
 *	  advisory lock makes it one per database.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/worker_internal.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guard.h"
#include "pkt_guc.h"
#include "pkt_hub.h"
#include "pkt_maint.h"
#include "pkt_shmem.h"

#define HUB_SUBSCRIPTION_PREFIX	"pktcapture:"
#define HUB_LOCK_KEY			0x706b7468	/* "pkth": the advisory lock's key */
#define HUB_TICK_MS				1000	/* the disk guard looks this often */
#define HUB_CHECK_MS			60000	/* and the sensors this often */
#define HUB_FLOWS_SOON_MS		10000	/* a sensor's flows, while they are about ready */
#define HUB_PROBE_WAIT_MS		5000	/* a database's probe, at server start */

PGDLLEXPORT void pkt_hubs_main(Datum main_arg);
PGDLLEXPORT void pkt_hub_main(Datum main_arg);

static bool hub_lock(bool keep);
static BackgroundWorkerHandle *hub_register(Oid dboid, bool notify);

/* ------------------------------------------------------------------------
 * The rows as they arrive.
 * ------------------------------------------------------------------------
 */

/*
 * Rows arrive: the hub's worker must run (after a crash of the server,
 * or if it was terminated).  Looked at once a minute of transactions.
 */
static void
hub_ensure_worker(void)
{
	static TimestampTz looked_at = 0;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (now < TimestampTzPlusMilliseconds(looked_at, HUB_CHECK_MS))
		return;
	looked_at = now;
	if (hub_lock(false))
		(void) hub_register(MyDatabaseId, false);
}

/* The sensor whose subscription this process applies, or NULL. */
static const char *
subscription_sensor(void)
{
	if (SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA ||
		MySubscription == NULL || MyLogicalRepWorker == NULL)
		return NULL;
	if (strncmp(MySubscription->name, HUB_SUBSCRIPTION_PREFIX,
				strlen(HUB_SUBSCRIPTION_PREFIX)) != 0)
		return NULL;
	return MySubscription->name + strlen(HUB_SUBSCRIPTION_PREFIX);
}

/* The first btree index of rel, or InvalidOid. */
static Oid
first_btree_index(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		bool		btree = index->rd_rel->relam == BTREE_AM_OID;

		index_close(index, AccessShareLock);
		if (btree)
		{
			found = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	return found;
}

/*
 * Is the row in slot tuple, column for column?  Generated columns aside:
 * a BEFORE trigger's tuple has them not computed yet.
 */
static bool
same_row(TupleDesc desc, HeapTuple tuple, TupleTableSlot *slot)
{
	slot_getallattrs(slot);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		isnull;
		Datum		value;

		if (att->attisdropped || att->attgenerated)
			continue;
		value = heap_getattr(tuple, i + 1, desc, &isnull);
		if (isnull != slot->tts_isnull[i] ||
			(!isnull && !datum_image_eq(value, slot->tts_values[i], att->attbyval, att->attlen)))
			return false;
	}
	return true;
}

/*
 * Does rel already hold tuple?  A partition of packets: a row of its
 * primary key.  A partition of flows, which has none: the same row, among
 * those its first btree index finds by its key's columns (a
 * conversation's source and first packet, NULL matching NULL).
 */
static bool
row_exists(Relation rel, HeapTuple tuple)
{
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	bool		whole = !OidIsValid(indexoid);
	Relation	index;
	ScanKeyData keys[INDEX_MAX_KEYS];
	int			nkeys;
	Snapshot	snap;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;

	if (whole)
		indexoid = first_btree_index(rel);
	if (!OidIsValid(indexoid))
		return false;
	index = index_open(indexoid, AccessShareLock);
	nkeys = IndexRelationGetNumberOfKeyAttributes(index);
	for (int i = 0; i < nkeys; i++)
	{
		AttrNumber	attno = index->rd_index->indkey.values[i];
		Oid			optype = index->rd_opcintype[i];
		Oid			eq = get_opfamily_member(index->rd_opfamily[i], optype, optype,
											 BTEqualStrategyNumber);
		bool		isnull = true;
		Datum		value = (Datum) 0;

		if (attno > 0)
			value = heap_getattr(tuple, attno, RelationGetDescr(rel), &isnull);
		if (attno <= 0 || !OidIsValid(eq) || (isnull && !whole))
		{
			index_close(index, AccessShareLock);
			return false;		/* a key column is never null here */
		}
		if (isnull)
			ScanKeyEntryInitialize(&keys[i], SK_ISNULL | SK_SEARCHNULL, i + 1, InvalidStrategy,
								   InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
		else
			ScanKeyEntryInitialize(&keys[i], 0, i + 1, BTEqualStrategyNumber, optype,
								   index->rd_indcollation[i], get_opcode(eq), value);
	}
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = index_beginscan(rel, index, snap, nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	slot = table_slot_create(rel, NULL);
	while ((found = index_getnext_slot(scan, ForwardScanDirection, slot)) &&
		   whole && !same_row(RelationGetDescr(rel), tuple, slot))
		;
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	UnregisterSnapshot(snap);
	index_close(index, AccessShareLock);
	return found;
}

/*
 * pkt_hub_rows(): BEFORE INSERT FOR EACH ROW on packets and flows, enabled ALWAYS
 * (it must fire in replication, whose session_replication_role is
 * replica).  Elsewhere it returns the row as it is.
 */
Datum
pkt_hub_trigger(FunctionCallInfo fcinfo)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	static char cached_for[NAMEDATALEN];
	static text *cached_name = NULL;
	const char *sensor;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			attnum;
	Datum		value;
	bool		null = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pkt_hub_rows() must be fired BEFORE INSERT FOR EACH ROW")));
	tuple = td->tg_trigtuple;
	sensor = subscription_sensor();
	if (sensor == NULL)
		return PointerGetDatum(tuple);

	desc = RelationGetDescr(td->tg_relation);
	attnum = SPI_fnumber(desc, "sensor");
	if (attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no text column \"sensor\"",
						RelationGetRelationName(td->tg_relation)),
				 errhint("pkt_hub_rows() is pktcapture's trigger on packets and flows.")));
	/*
	 * Every row is the subscription's sensor's, whatever it says: a sensor
	 * cannot attribute rows to another (nor a hub of hubs name the sensors
	 * behind it, which would need trust in the middle one).
	 */
	if (cached_name == NULL || strcmp(cached_for, sensor) != 0)
	{
		if (cached_name != NULL)
			pfree(cached_name);
		cached_name = (text *) MemoryContextAlloc(TopMemoryContext,
												  VARHDRSZ + strlen(sensor));
		SET_VARSIZE(cached_name, VARHDRSZ + strlen(sensor));
		memcpy(VARDATA(cached_name), sensor, strlen(sensor));
		strlcpy(cached_for, sensor, sizeof(cached_for));
	}
	value = PointerGetDatum(cached_name);
	tuple = heap_modify_tuple_by_cols(tuple, desc, 1, &attnum, &value, &null);
	hub_ensure_worker();
	if (am_tablesync_worker() && row_exists(td->tg_relation, tuple))
		return PointerGetDatum(NULL);
	return PointerGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(pkt_hub_origin);

/* pkt_hub_origin(): the sensor of the hub's subscription running this, or NULL */
Datum
pkt_hub_origin(PG_FUNCTION_ARGS)
{
	const char *sensor = subscription_sensor();

	if (sensor == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(sensor));
}

/* ------------------------------------------------------------------------
 * The hub's worker.
 * ------------------------------------------------------------------------
 */

/* The lock that makes one worker per database; true if taken (or free). */
static bool
hub_lock(bool keep)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, HUB_LOCK_KEY, 0, 1);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	if (!keep)
		LockRelease(&tag, ExclusiveLock, true);
	return true;
}

static BackgroundWorkerHandle *
hub_register(Oid dboid, bool notify)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* started again by pkt_hub_add, at server start, or by the rows arriving */
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_hub_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pktcapture hub of database %u", dboid);
	strlcpy(worker.bgw_type, "pktcapture hub", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = notify ? MyProcPid : 0;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/*
 * Start this database's hub worker, unless it runs; returns its PID, or
 * 0 if it was running.  For pkt_hub_add().
 */
int
pkt_hub_start(void)
{
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	pkt_require_loaded();
	if (!hub_lock(false))
		return 0;
	handle = hub_register(MyDatabaseId, true);
	if (handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the hub's worker: no background worker slot is free"),
				 errhint("Raise max_worker_processes (it counts captures, the hub's worker and logical replication's workers), then restart the server.")));
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the hub's worker did not start"),
				 errhint("The server log says why.")));
	return (int) pid;
}

typedef struct Hub
{
	PktMaint	maint;
	PktGuard	guard;			/* holding: the subscriptions are disabled */
	TimestampTz checked_at;
	TimestampTz flows_at;		/* last look for sensors' flows to take */
	bool		flows_soon;		/* some will be ready: look again soon */
	List	   *states;			/* "sensor\0state" of the last check */
	MemoryContext cxt;
} Hub;

typedef struct HubStart
{
	Oid			tablespace;		/* packets' */
	char		dbname[NAMEDATALEN];
} HubStart;

/* Is this database a hub: pktcapture 1.3 or later, with sensors? */
static int
step_is_hub(void *arg)
{
	Oid			relid;
	char	   *sensors;
	char	   *sql;

	/* names from the catalog, never from SQL text */
	if (!OidIsValid(get_extension_oid("pktcapture", true)) ||
		!OidIsValid(pkt_ext_table_oid("pkt_hub_sensors")))
		return 0;
	sensors = pkt_ext_relname("pkt_hub_sensors", &relid);
	(void) pkt_ext_relname("packets", &relid);
	((HubStart *) arg)->tablespace = get_rel_tablespace(relid);
	strlcpy(((HubStart *) arg)->dbname, get_database_name(MyDatabaseId), NAMEDATALEN);
	/* after the transaction of pkt_hub_add() that started this worker */
	sql = psprintf("LOCK TABLE %s IN SHARE MODE", sensors);
	if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock pkt_hub_sensors");
	sql = psprintf("SELECT 1 FROM %s LIMIT 1", sensors);
	if (SPI_execute(sql, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pkt_hub_sensors");
	if (SPI_processed == 0)
		return 0;
	/* a hub: its schema and version as a capture wants them */
	pkt_check_ext_version();
	/* its triggers, which pg_dump does not keep (a restored hub) */
	sql = psprintf("SELECT %s.pkt_hub_prepare()", pkt_ext_schema());
	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run pkt_hub_prepare()");
	return 1;
}

static int
step_hold(void *arg)
{
	bool		hold = *(bool *) arg;
	char	   *sql = psprintf("SELECT %s.pkt_hub_hold(%s)", pkt_ext_schema(),
							   hold ? "true" : "false");

	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run pkt_hub_hold()");
	return 1;
}

/* the disk guard holds the sensors' rows by disabling the subscriptions */
static bool
hub_hold(void *arg, bool hold)
{
	Hub		   *h = (Hub *) arg;

	return pkt_maint_step(&h->maint, step_hold, &hold,
						  hold ? "pktcapture hub: stopping the subscriptions for space" :
						  "pktcapture hub: resuming the subscriptions") > 0;
}

/*
 * The disk guard of the rows received, by the policy of every guard
 * (pkt_maint_make_room): while it holds, the subscriptions are disabled.
 */
static void
hub_guard(Hub *h)
{
	PktGuardRows gr = {"rows from the hub's sensors",
		"The subscriptions are enabled again when space returns; meanwhile each sensor keeps the rows in its replication slot, up to its max_slot_wal_keep_size.",
	hub_hold, h, NULL};

	(void) pkt_maint_make_room(&h->maint, &h->guard, 0, &gr);
}

/*
 * A sensor lost: pkt_hub_warn_lost() says so, as pkt_hub_status() does.
 * Its arguments are parameters, never SQL text.
 */
static void
warn_lost(const char *schema, const char *sensor, const char *state, const char *error)
{
	char	   *sql = psprintf("SELECT %s.pkt_hub_warn_lost($1, $2, $3)", schema);
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', error ? ' ' : 'n'};

	values[0] = CStringGetTextDatum(sensor);
	values[1] = CStringGetTextDatum(state);
	values[2] = error ? CStringGetTextDatum(error) : (Datum) 0;
	if (SPI_execute_with_args(sql, 3, types, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run pkt_hub_warn_lost()");
	pfree(sql);
}

/* what the last look at the sensors found, in the hub's context */
typedef struct CheckArg
{
	Hub		   *h;
	List	   *states;
	int			sensors;
} CheckArg;

static int
step_check(void *arg)
{
	CheckArg   *c = arg;
	char	   *schema;
	char	   *sql;
	SPITupleTable *tuptable;

	/* DROP EXTENSION: no longer a hub */
	if (!OidIsValid(get_extension_oid("pktcapture", true)))
		return 1;
	/* which states are lost or healthy, and the warning, are SQL's (one home) */
	schema = pkt_ext_schema();
	sql = psprintf("SELECT c.sensor, c.state, c.last_error, %s.pkt_hub_state_lost(c.state), "
				   "%s.pkt_hub_state_healthy(c.state) FROM %s.pkt_hub_check() c",
				   schema, schema, schema);
	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run pkt_hub_check()");
	c->sensors = (int) SPI_processed;
	tuptable = SPI_tuptable;
	for (uint64 i = 0; i < tuptable->numvals; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		char	   *sensor = SPI_getvalue(tup, tuptable->tupdesc, 1);
		char	   *state = SPI_getvalue(tup, tuptable->tupdesc, 2);
		char	   *error = SPI_getvalue(tup, tuptable->tupdesc, 3);
		bool		isnull;
		bool		lost = DatumGetBool(SPI_getbinval(tup, tuptable->tupdesc, 4, &isnull)) && !isnull;
		bool		healthy = DatumGetBool(SPI_getbinval(tup, tuptable->tupdesc, 5, &isnull)) && !isnull;
		char	   *was = NULL;
		ListCell   *lc;

		if (sensor == NULL || state == NULL)
			continue;
		foreach(lc, c->h->states)
			if (strcmp(lfirst(lc), sensor) == 0)
				was = (char *) lfirst(lc) + strlen(sensor) + 1;
		/* a change of state is logged once */
		if (was == NULL || strcmp(was, state) != 0)
		{
			if (lost)
				warn_lost(schema, sensor, state, error);
			else if (was != NULL && !healthy)
				ereport(LOG,
						(errmsg("pktcapture hub: sensor \"%s\" is %s", sensor, state),
						 error ? errdetail("%s", error) : 0));
			else if (was != NULL)
				ereport(LOG,
						(errmsg("pktcapture hub: sensor \"%s\" is %s again (was %s)", sensor, state, was)));
		}
		{
			MemoryContext old = MemoryContextSwitchTo(c->h->cxt);
			char	   *entry = palloc(strlen(sensor) + strlen(state) + 2);

			strcpy(entry, sensor);
			strcpy(entry + strlen(sensor) + 1, state);
			c->states = lappend(c->states, entry);
			MemoryContextSwitchTo(old);
		}
	}
	return 1;
}

/*
 * The subscriptions whose sensor's flows are to be taken now, in the
 * caller's context; soon: some others will be ready shortly.
 */
typedef struct FlowsArg
{
	MemoryContext cxt;
	List	   *subscriptions;
	bool		soon;
} FlowsArg;

static int
step_flows_pending(void *arg)
{
	FlowsArg   *f = arg;
	char	   *sql;

	if (!OidIsValid(get_extension_oid("pktcapture", true)))
		return 0;
	sql = psprintf("SELECT subname, ready FROM %s.pkt_hub_flows_pending()", pkt_ext_schema());
	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run pkt_hub_flows_pending()");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bool		isnull;
		bool		ready = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
													   2, &isnull)) && !isnull;
		MemoryContext old;

		if (name == NULL || !ready)
		{
			f->soon = true;
			continue;
		}
		old = MemoryContextSwitchTo(f->cxt);
		f->subscriptions = lappend(f->subscriptions, pstrdup(name));
		MemoryContextSwitchTo(old);
	}
	return (int) SPI_processed;
}

/*
 * ALTER SUBSCRIPTION subscription ADD PUBLICATION pktcapture_flows: it
 * copies the tables it adds, so PostgreSQL runs it only as a statement of
 * its own, never in a function or a transaction block; here, a transaction
 * of its own at top level, as a client's statement.  The statement is
 * built, not parsed: the name never becomes SQL text.
 */
static void
hub_add_flows(const char *subscription)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *what = psprintf("ALTER SUBSCRIPTION %s ADD PUBLICATION pktcapture_flows",
								quote_identifier(subscription));

	PG_TRY();
	{
		AlterSubscriptionStmt *alter = makeNode(AlterSubscriptionStmt);
		PlannedStmt *stmt = makeNode(PlannedStmt);

		alter->kind = ALTER_SUBSCRIPTION_ADD_PUBLICATION;
		alter->subname = pstrdup(subscription);
		alter->publication = list_make1(makeString("pktcapture_flows"));
		alter->options = NIL;	/* refresh: the flows the sensor holds are copied */
		stmt->commandType = CMD_UTILITY;
		stmt->utilityStmt = (Node *) alter;
		stmt->stmt_location = -1;
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, what);
		ProcessUtility(stmt, what, false, PROCESS_UTILITY_TOPLEVEL, NULL, NULL,
					   None_Receiver, NULL);
		PopActiveSnapshot();
		CommitTransactionCommand();
		ereport(LOG,
				(errmsg("pktcapture hub: subscription \"%s\" takes its sensor's flows: those it holds are copied, then new ones follow",
						subscription)));
	}
	PG_CATCH();
	{
		ErrorData  *edata = pkt_xact_abort(oldcxt);

		ereport(LOG,
				(errmsg("pktcapture hub: %s failed: %s", what, edata->message),
				 errhint("It is tried again at the next look at the sensors, in a minute.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	pfree(what);
}

/*
 * The sensors updated to 1.6 (or whose hub was) since they were added:
 * their flows are taken, at each look at the sensors, and more often
 * while some are about ready.
 */
static void
hub_take_flows(Hub *h)
{
	FlowsArg	f = {CurrentMemoryContext, NIL, false};
	ListCell   *lc;

	h->flows_at = GetCurrentTimestamp();
	h->flows_soon = false;
	if (pkt_maint_step(&h->maint, step_flows_pending, &f,
					   "pktcapture hub: looking for sensors' flows to take") <= 0)
		return;
	h->flows_soon = f.soon;
	foreach(lc, f.subscriptions)
		hub_add_flows(lfirst(lc));
	list_free_deep(f.subscriptions);
}

/* Look at each sensor; false if this database is no longer a hub. */
static bool
hub_check(Hub *h)
{
	CheckArg	c = {h, NIL, 0};

	h->checked_at = GetCurrentTimestamp();
	if (pkt_maint_step(&h->maint, step_check, &c, "pktcapture hub: looking at the sensors") < 0)
		return true;			/* logged; tried again at the next look */
	list_free_deep(h->states);
	h->states = c.states;
	if (c.sensors > 0)
		hub_take_flows(h);
	return c.sensors > 0;
}

void
pkt_hub_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	Hub			h;
	HubStart	start = {InvalidOid, ""};

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pkt_worker_search_path();
	pgstat_report_appname("pktcapture hub");

	memset(&h, 0, sizeof(h));
	h.cxt = AllocSetContextCreate(TopMemoryContext, "pktcapture hub", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(h.cxt);
	pkt_maint_init(&h.maint, "the hub");
	if (!hub_lock(true) ||
		pkt_maint_step(&h.maint, step_is_hub, &start, "pktcapture hub: looking for sensors") != 1)
		proc_exit(0);
	pkt_guard_init(&h.guard, start.tablespace);
	ereport(LOG, (errmsg("pktcapture: the hub's worker runs in database \"%s\"", start.dbname)));

	for (;;)
	{
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		hub_guard(&h);
		now = GetCurrentTimestamp();
		if (pkt_maint_due(&h.maint, now))
			pkt_maint_round(&h.maint);
		if (now >= TimestampTzPlusMilliseconds(h.checked_at, HUB_CHECK_MS) && !hub_check(&h))
		{
			ereport(LOG, (errmsg("pktcapture: the hub's worker stops: no sensor is left")));
			proc_exit(0);
		}
		if (h.flows_soon && now >= TimestampTzPlusMilliseconds(h.flows_at, HUB_FLOWS_SOON_MS))
			hub_take_flows(&h);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 HUB_TICK_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ------------------------------------------------------------------------
 * At server start: a hub worker for each database that is a hub.
 * ------------------------------------------------------------------------
 */
void
pkt_hubs_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_hubs_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pktcapture hubs", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pktcapture hubs", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* The databases one may connect to. */
static List *
database_list(void)
{
	List	   *oids = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext cxt = CurrentMemoryContext;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(cxt);
		oids = lappend_oid(oids, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return oids;
}

/*
 * One database at a time: its worker exits at once unless the database
 * is a hub; one that still runs after HUB_PROBE_WAIT_MS is left running.
 */
void
pkt_hubs_main(Datum main_arg)
{
	List	   *oids;
	ListCell   *lc;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	oids = database_list();
	foreach(lc, oids)
	{
		BackgroundWorkerHandle *handle = hub_register(lfirst_oid(lc), true);
		pid_t		pid;

		if (handle == NULL)
		{
			ereport(LOG,
					(errmsg("pktcapture: no background worker slot is free to look for a hub in database %u",
							lfirst_oid(lc)),
					 errhint("Raise max_worker_processes; SELECT pkt_hub_start() in a hub's database starts its worker.")));
			break;
		}
		if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
			continue;
		for (int waited = 0; waited < HUB_PROBE_WAIT_MS; waited += 50)
		{
			if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 50, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	proc_exit(0);
}
