/*-------------------------------------------------------------------------
 * pkt_ledger.c
 *		The run ledger, table pkt_runs: one row per capture or load.
 *
 * A run's row is written in the transactions that write its rows, so
 * that its counters never disagree with what packets holds, even after a
 * crash; a run whose process is gone is marked interrupted when the next
 * capture or load of the database starts.  It also holds summarized_id:
 * the rows of the run with a larger id are not yet in the summaries.
 * The ledger is written with the extension owner's rights.  Its rows are
 * this server's runs, of pktcapture.sensor; at a hub, the runs of its
 * sensors are beside them, under their names, written by replication.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_ledger.h"

/* The sequence of packets.id, whose values order the rows of a run. */
static Oid
packets_id_sequence(void)
{
	Oid			relid;
	Oid			seq;

	(void) pkt_ext_relname("packets", &relid);
	seq = getIdentitySequence(relid, get_attnum(relid, "id"), true);
	if (!OidIsValid(seq))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"id\" of table packets is not an identity column"),
				 errdetail("pktcapture orders the rows of a capture by their id."),
				 errhint("Recreate the extension: DROP EXTENSION pktcapture; CREATE EXTENSION pktcapture;")));
	return seq;
}

static void
ledger_execute(PktLedger *l, const char *sql, int nargs, Oid *argtypes, Datum *args,
			   const char *nulls, int expected, long tcount)
{
	pkt_owner_execute(l->owner, NULL, sql, nargs, argtypes, args, nulls, expected, tcount);
}

/* A run without a ledger row yet; what it keeps lives in cxt. */
void
pkt_ledger_init(PktLedger *l, MemoryContext cxt, PktSlotRef slot)
{
	memset(l, 0, sizeof(*l));
	l->slot = slot;
	l->cxt = cxt;
}

/*
 * Open the ledger row of the run; mark "interrupted" the runs of this
 * database left "running" by a process that is gone.  The caller has
 * connected SPI inside a transaction.
 */
void
pkt_ledger_open(PktLedger *l, const char *kind, const char *source, const char *filter,
				int linktype, int frame_snaplen)
{
	Oid			relid;
	char	   *relname = pkt_ext_relname("pkt_runs", &relid);
	StringInfoData sql;
	Datum		live[64];
	int32		live_ids[64];
	int			nlive;
	Datum		args[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[8] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, REGCLASSOID, TEXTOID,
	INT4OID, INT4OID};
	bool		isnull;

	pkt_check_ext_version();
	nlive = pkt_slots_active_runs(MyDatabaseId, live_ids, lengthof(live_ids));
	for (int i = 0; i < nlive; i++)
		live[i] = Int32GetDatum(live_ids[i]);
	l->owner = pkt_ext_owner();

	/*
	 * Runs left "running" by a process that is gone: their last rows are
	 * added to the summaries, then they are marked interrupted.
	 */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT %s.pkt_summary_catch_up(pg_catalog.array_agg(run_id)) FROM %s "
					 "WHERE sensor = $2 AND state = 'running' AND run_id <> ALL ($1) "
					 "AND summarized_id IS NOT NULL HAVING pg_catalog.count(*) > 0",
					 pkt_ext_schema(), relname);
	args[0] = PointerGetDatum(construct_array(live, nlive, INT4OID, 4, true, TYPALIGN_INT));
	args[1] = CStringGetTextDatum(pkt_sensor);
	ledger_execute(l, sql.data, 2, (Oid[]) {INT4ARRAYOID, TEXTOID}, args, NULL, SPI_OK_SELECT, 0);
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s SET state = 'interrupted' "
					 "WHERE sensor = $2 AND state = 'running' AND run_id <> ALL ($1)", relname);
	ledger_execute(l, sql.data, 2, (Oid[]) {INT4ARRAYOID, TEXTOID}, args, NULL, SPI_OK_UPDATE, 0);

	/*
	 * Every row of the run will get an id above the sequence's last value
	 * now: none of them is in the summaries yet.
	 */
	l->id_seq = packets_id_sequence();
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s (sensor, kind, source, filter, started_at, state, summarized_id, "
					 "linktype, frame_snaplen) "
					 "VALUES ($6, $1, $2, $3, $4, 'running', "
					 "coalesce(pg_catalog.pg_sequence_last_value($5), 0), $7, $8) RETURNING run_id",
					 relname);
	args[0] = CStringGetTextDatum(kind);
	args[1] = CStringGetTextDatum(source);
	args[2] = filter ? CStringGetTextDatum(filter) : (Datum) 0;
	nulls[2] = filter ? ' ' : 'n';
	args[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	args[4] = ObjectIdGetDatum(l->id_seq);
	args[5] = CStringGetTextDatum(pkt_sensor);
	args[6] = Int32GetDatum(linktype);
	args[7] = Int32GetDatum(frame_snaplen);
	ledger_execute(l, sql.data, 8, argtypes, args, nulls, SPI_OK_INSERT_RETURNING, 1);
	l->run_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	/* in the slot before it commits: no other start takes it for a dead run */
	pkt_slot_set_run_id(l->slot, l->run_id);
	l->ext_oid = pkt_ext_oid();
	pfree(sql.data);
}

/*
 * The extension the run was opened in must still be there: after DROP
 * EXTENSION and CREATE EXTENSION, packets and pkt_runs are other tables
 * whose run ids name other runs.  Same error as a table that is gone.
 */
void
pkt_ledger_check_extension(const PktLedger *l)
{
	if (l->run_id > 0 && get_extension_oid("pktcapture", true) != l->ext_oid)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("extension pktcapture was dropped since run %d started", l->run_id)));
}

/*
 * Bring the ledger row up to date: rows_stored as given, the other
 * counters as they are now; with a state, the run ends.
 */
void
pkt_ledger_update(PktLedger *l, const PktCounters *c, uint64 rows_stored,
				  const char *state, const char *error, PktSummarized summarized)
{
	Datum		args[23];
	char		nulls[23];
	Oid			argtypes[23];

	if (l->run_id <= 0)
		return;
	pkt_ledger_check_extension(l);
	if (l->update_sql == NULL)
	{
		StringInfoData sql;
		Oid			relid;
		char	   *relname = pkt_ext_relname("pkt_runs", &relid);

		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "UPDATE %s SET frames = $2, packets = $3, bytes = $4, rows_stored = $5, "
						 "kernel_dropped = $6, interface_dropped = $7, truncated = $8, "
						 "malformed = $9, unsupported = $10, not_ip = $11, not_stored = $12, "
						 "state = coalesce($13, state), "
						 "stopped_at = CASE WHEN $13 IS NULL THEN stopped_at ELSE $14 END, "
						 "error = coalesce($15, error), not_stored_disk = $18, "
						 "flow_rows = $20, flow_folded = $21, flow_lost = $22, frames_not_kept = $23, "
						 "summarized_id = CASE $16 WHEN 0 THEN summarized_id "
						 "WHEN 1 THEN pg_catalog.currval($17) END "
						 "WHERE run_id = $1 AND sensor = $19", relname);
		l->update_sql = MemoryContextStrdup(l->cxt, sql.data);
		pfree(sql.data);
	}

	memset(nulls, ' ', sizeof(nulls));
	argtypes[0] = INT4OID;
	args[0] = Int32GetDatum(l->run_id);
	for (int i = 1; i <= 11; i++)
		argtypes[i] = INT8OID;
	args[1] = Int64GetDatum((int64) c->frames);
	args[2] = Int64GetDatum((int64) c->result_packets[PKT_IP]);
	args[3] = Int64GetDatum((int64) c->result_bytes[PKT_IP]);
	args[4] = Int64GetDatum((int64) rows_stored);
	args[5] = Int64GetDatum((int64) c->kernel_dropped);
	args[6] = Int64GetDatum((int64) c->if_dropped);
	args[7] = Int64GetDatum((int64) c->result_packets[PKT_TRUNCATED]);
	args[8] = Int64GetDatum((int64) c->result_packets[PKT_MALFORMED]);
	args[9] = Int64GetDatum((int64) c->result_packets[PKT_UNSUPPORTED]);
	args[10] = Int64GetDatum((int64) c->result_packets[PKT_NOT_IP]);
	args[11] = Int64GetDatum((int64) c->not_stored);
	argtypes[12] = TEXTOID;
	args[12] = state ? CStringGetTextDatum(state) : (Datum) 0;
	nulls[12] = state ? ' ' : 'n';
	argtypes[13] = TIMESTAMPTZOID;
	args[13] = TimestampTzGetDatum(GetCurrentTimestamp());
	argtypes[14] = TEXTOID;
	args[14] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[14] = error ? ' ' : 'n';
	/*
	 * summarized_id: unchanged; or the last id this session gave a row
	 * (every row so far is in the summaries); or NULL (every row is).
	 */
	argtypes[15] = INT4OID;
	args[15] = Int32GetDatum(summarized == PKT_SUMMARIZED_KEEP ? 0 :
							 summarized == PKT_SUMMARIZED_NOW ? 1 : 2);
	argtypes[16] = REGCLASSOID;
	args[16] = ObjectIdGetDatum(l->id_seq);
	argtypes[17] = INT8OID;
	args[17] = Int64GetDatum((int64) c->not_stored_disk);
	argtypes[18] = TEXTOID;
	args[18] = CStringGetTextDatum(pkt_sensor);
	for (int i = 19; i <= 22; i++)
		argtypes[i] = INT8OID;
	args[19] = Int64GetDatum((int64) c->flow_rows);
	args[20] = Int64GetDatum((int64) c->flow_folded);
	args[21] = Int64GetDatum((int64) c->flow_lost);
	args[22] = Int64GetDatum((int64) c->frames_not_kept);

	ledger_execute(l, l->update_sql, 23, argtypes, args, nulls, SPI_OK_UPDATE, 0);
}
