/*-------------------------------------------------------------------------
 * pkt_store.c
 *		From decoded frames to counters, top talkers and rows in packets.
 *
 * One PktRun serves a live capture (in its worker) and a file load (in
 * the calling backend) alike: pkt_run_account() decodes a frame and
 * counts it, keeping IP packets as pending rows; pkt_run_write() sends
 * a batch of them to packets in one SPI statement (COPY or INSERT), and
 * once committed they are summed for the per-minute summaries, which
 * pkt_run_write_summaries() upserts every few seconds; the run ledger
 * (pkt_runs) moves with every batch; pkt_run_publish() copies
 * counters and top talkers into the run's shared slot.  The caller owns
 * transactions and error handling.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <net/if.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "port/pg_bswap.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/acl.h"
#include "catalog/pg_authid.h"
#include "utils/rel.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pktcapture.h"
#include "pkt_copy.h"

/*
 * Timestamps a pcap header may carry that timestamptz can hold (from
 * 1970 to the year 294276; libpcap's time_t is 64 bits).
 */
#define PKT_MAX_UNIX_SECONDS INT64CONST(9223371331200)

static void owner_execute(PktRun *run, SPIPlanPtr plan, const char *sql, int nargs,
						  Oid *argtypes, Datum *args, const char *nulls, int expected,
						  long tcount);

/* Schema and owner of an extension (PostgreSQL 15 exports neither). */
static void
extension_info(Oid extoid, Oid *nspoid, Oid *owner)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	*nspoid = *owner = InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		*nspoid = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		*owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static Oid
extension_oid(void)
{
	Oid			extoid = get_extension_oid("pktcapture", true);

	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pktcapture\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pktcapture.")));
	return extoid;
}

/* The quoted name of the schema of this database's pktcapture. */
char *
pkt_ext_schema(void)
{
	Oid			nspoid;
	Oid			owner;

	extension_info(extension_oid(), &nspoid, &owner);
	return pstrdup(quote_identifier(get_namespace_name(nspoid)));
}

/*
 * The schema-qualified, quoted name of one of the tables of this
 * database's pktcapture extension; sets *relid.
 */
char *
pkt_ext_relname(const char *table, Oid *relid)
{
	Oid			nspoid;
	Oid			owner;
	char	   *nspname;

	extension_info(extension_oid(), &nspoid, &owner);
	nspname = get_namespace_name(nspoid);
	*relid = get_relname_relid(table, nspoid);
	if (!OidIsValid(*relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s.%s\" does not exist", nspname, table),
				 errhint("Recreate the extension: DROP EXTENSION pktcapture; CREATE EXTENSION pktcapture;")));
	return quote_qualified_identifier(nspname, table);
}

/*
 * The extension the run was opened in must still be there: after DROP
 * EXTENSION and CREATE EXTENSION, packets and pkt_runs are other tables
 * whose run ids name other runs.  Same error as a table that is gone.
 */
void
pkt_run_check_extension(PktRun *run)
{
	if (run->run_id > 0 &&
		get_extension_oid("pktcapture", true) != run->ext_oid)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("extension pktcapture was dropped since run %d started", run->run_id)));
}

/*
 * Fill *ip, whatever it held, with the host address of the given IP
 * version whose bytes are at addr.
 */
void
pkt_set_inet(inet *ip, int ip_version, const uint8 *addr)
{
	int			alen = ip_version == 4 ? 4 : 16;

	/* a 4-byte header first: ip_family() and the rest look past the header */
	SET_VARSIZE(ip, VARHDRSZ);
	ip_family(ip) = ip_version == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
	ip_bits(ip) = alen * 8;
	memcpy(ip_addr(ip), addr, alen);
	SET_INET_VARSIZE(ip);
}

void
pkt_run_init(PktRun *run, int slotno, uint32 generation, int linktype,
			 const char *ifname)
{
	memset(run, 0, sizeof(*run));
	run->cxt = CurrentMemoryContext;
	run->slotno = slotno;
	run->generation = generation;
	run->linktype = linktype;
	run->ifname = ifname;
	run->batch = pkt_batch_size;
	run->copy_rows = 1;
	run->last_summary_at = GetCurrentTimestamp();
	run->cap = pkt_batch_size;
	run->rows = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(PktRow) * (Size) run->cap);
	run->top_src = pkt_topk_init(MemoryContextAllocHuge(CurrentMemoryContext,
														pkt_topk_size(pkt_top_capacity)),
								 pkt_top_capacity, pg_prng_uint64(&pg_global_prng_state));
	run->top_dst = pkt_topk_init(MemoryContextAllocHuge(CurrentMemoryContext,
														pkt_topk_size(pkt_top_capacity)),
								 pkt_top_capacity, pg_prng_uint64(&pg_global_prng_state));
	run->flush_cxt = AllocSetContextCreate(CurrentMemoryContext,
										   "pktcapture batch",
										   ALLOCSET_DEFAULT_SIZES);
	run->sum_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "pktcapture summaries",
										 ALLOCSET_DEFAULT_SIZES);
}

static void
addr_key(int ip_version, const uint8 *addr, uint8 *key)
{
	memset(key, 0, PKT_TOPK_KEYLEN);
	key[0] = ip_version;
	memcpy(key + 1, addr, ip_version == 4 ? 4 : 16);
}

/*
 * Make room for one more pending row: reuse the space of rows already
 * written, else grow up to pktcapture.max_pending_rows.  False if full.
 */
static bool
make_room(PktRun *run)
{
	int			pending = run->nrows - run->first;

	if (run->nrows < run->cap)
		return true;
	if (run->first > 0)
	{
		memmove(run->rows, run->rows + run->first, sizeof(PktRow) * (Size) pending);
		run->first = 0;
		run->nrows = pending;
		return true;
	}
	if (run->cap < pkt_max_pending_rows)
	{
		int			newcap = (int) Min((int64) run->cap * 2, (int64) pkt_max_pending_rows);

		run->rows = repalloc_huge(run->rows, sizeof(PktRow) * (Size) newcap);
		run->cap = newcap;
		return true;
	}
	return false;
}

/*
 * Decode and count one frame; keep it as a pending row if it is an IP
 * packet, or count it as not stored if the rows in hand are at their
 * bound.
 */
void
pkt_run_account(PktRun *run, const struct timeval *tv, uint32 caplen,
				uint32 len, const u_char *data)
{
	PktInfo		info;
	PktResult	r;
	PktRow	   *row;
	uint8		key[PKT_TOPK_KEYLEN];
	int64		sec;

	r = pkt_decode(run->linktype, data, caplen, &info);
	sec = pkt_pcap_seconds(tv->tv_sec);
	if (r == PKT_IP &&
		(sec < 0 || sec > PKT_MAX_UNIX_SECONDS ||
		 tv->tv_usec < 0 || tv->tv_usec >= USECS_PER_SEC))
	{
		/* counted once, as malformed; bad_time only feeds pkt_stats' note */
		run->c.bad_time++;
		r = PKT_MALFORMED;
	}
	run->c.frames++;
	run->c.frame_bytes += len;
	run->c.result_packets[r]++;
	run->c.result_bytes[r] += len;
	if (r != PKT_IP)
		return;

	run->c.proto_packets[info.ip_proto]++;
	run->c.proto_bytes[info.ip_proto] += len;
	if (info.flags & PKT_F_L4_TRUNCATED)
		run->c.l4_truncated++;
	if (!run->topk_from_sums)
	{
		addr_key(info.ip_version, info.src, key);
		pkt_topk_add(run->top_src, key, len);
		addr_key(info.ip_version, info.dst, key);
		pkt_topk_add(run->top_dst, key, len);
		run->top_dirty = true;
	}

	if (!make_room(run))
	{
		run->c.not_stored++;
		return;
	}
	if (run->nrows == run->first)
		run->first_row_at = GetCurrentTimestamp();
	row = &run->rows[run->nrows++];
	row->ts = ((TimestampTz) sec -
			   ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) * USECS_PER_SEC +
		tv->tv_usec;
	row->len = len;
	row->caplen = caplen;
	row->info = info;
	run->c.pending++;
}

/* ------------------------------------------------------------------------
 * Writing a batch.
 *
 * Rows go in through SPI, by one of two statements, measured against
 * each other and against the alternatives on 1 M rows (bench/run.sh):
 *
 * COPY, where it may be used (see copy_allowed()): the batch is written
 * to a temporary file in COPY's binary format (pkt_copy.c) and read by
 *
 *	 COPY packets (capture_time, src_ip, ...) FROM '<file>' (FORMAT binary)
 *
 * which inserts rows a page at a time (heap_multi_insert), as psql's
 * \copy does; about 30% less time than the INSERT below.
 *
 * INSERT ... SELECT, with a plan kept for the whole run, the SELECT
 * reading the batch held in C through set-returning functions, one per
 * column, run in lockstep by the executor's ProjectSet node:
 *
 *	 INSERT INTO packets (capture_time, src_ip, ...)
 *	 SELECT pkt_batch_timestamptz($1, 0), pkt_batch_inet($1, 1), ...
 *
 * where $1 is a random token naming the batch this backend is writing
 * right now; any other value is an error, so the functions read nothing
 * but the batch of the statement they are part of.  unnest() over arrays
 * materializes every array in a tuplestore first; multi-row VALUES
 * initializes an expression per value at every execution; this form does
 * neither.  Upserts (ON CONFLICT) can only take this form.
 *
 * Either way every row goes through the executor: defaults, generated
 * columns, constraints, indexes and triggers.
 * ------------------------------------------------------------------------
 */
typedef struct PktBatchRef
{
	int			ncols;
	int			nrows;
	const Datum *values;		/* row-major */
	const char *nulls;			/* ' ' or 'n' */
} PktBatchRef;

typedef struct PktBatchStmt PktBatchStmt;

struct PktBatchStmt
{
	char	   *sql;			/* INSERT ... SELECT over the batch functions */
	char	   *copy_head;		/* "COPY t (cols) FROM ", or NULL: INSERT only */
	char	   *table;			/* the table written, quoted */
	Oid			relid;
	int			ncols;
	const Oid  *types;
	bool		as_owner;		/* pktcapture's bookkeeping: owner's rights */
	SPIPlanPtr	plan;
};

/* the batch being written by this backend, and the token that names it */
static const PktBatchRef *current_batch = NULL;
static int64 current_token = 0;

PG_FUNCTION_INFO_V1(pkt_batch_column);

/*
 * pkt_batch_<type>(token bigint, column int) RETURNS SETOF <type>:
 * column 'column' of every row of the batch being written, in order.
 */
Datum
pkt_batch_column(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	const PktBatchRef *batch;

	if (SRF_IS_FIRSTCALL())
	{
		int64		token = PG_GETARG_INT64(0);
		int			col = PG_GETARG_INT32(1);

		if (current_batch == NULL || token != current_token ||
			col < 0 || col >= current_batch->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("pkt_batch functions are internal to pktcapture's writer")));
		funcctx = SRF_FIRSTCALL_INIT();
		funcctx->max_calls = current_batch->nrows;
		funcctx->user_fctx = (void *) current_batch;
		funcctx->attinmeta = (void *) (intptr_t) col;	/* the column, kept per call */
	}
	funcctx = SRF_PERCALL_SETUP();
	batch = (const PktBatchRef *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		size_t		k = funcctx->call_cntr * batch->ncols +
			(int) (intptr_t) funcctx->attinmeta;

		if (batch->nulls[k] == 'n')
			SRF_RETURN_NEXT_NULL(funcctx);
		SRF_RETURN_NEXT(funcctx, batch->values[k]);
	}
	SRF_RETURN_DONE(funcctx);
}

static const char *
batch_function(Oid type)
{
	switch (type)
	{
		case TIMESTAMPTZOID:
			return "pkt_batch_timestamptz";
		case INETOID:
			return "pkt_batch_inet";
		case INT2OID:
			return "pkt_batch_int2";
		case INT4OID:
			return "pkt_batch_int4";
		case INT8OID:
			return "pkt_batch_int8";
		case TEXTOID:
			return "pkt_batch_text";
	}
	elog(ERROR, "no batch function for type %u", type);
	return NULL;
}

/*
 * A statement writing batches into table (quoted, schema-qualified) with
 * the given columns: "INSERT INTO t (cols) SELECT s.pkt_batch_<type>($1,
 * 0), ... <tail>", and without a tail (no ON CONFLICT) also its COPY form.
 */
static PktBatchStmt *
batch_stmt_create(MemoryContext cxt, const char *table, Oid relid,
				  const char *cols, const char *tail,
				  int ncols, const Oid *types, bool as_owner)
{
	PktBatchStmt *st = MemoryContextAllocZero(cxt, sizeof(PktBatchStmt));
	char	   *schema = pkt_ext_schema();
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s AS s (%s) SELECT ", table, cols);
	for (int c = 0; c < ncols; c++)
		appendStringInfo(&sql, "%s%s.%s($1, %d)", c ? ", " : "", schema,
						 batch_function(types[c]), c);
	appendStringInfoString(&sql, tail);
	st->sql = MemoryContextStrdup(cxt, sql.data);
	if (tail[0] == '\0')
	{
		resetStringInfo(&sql);
		appendStringInfo(&sql, "COPY %s (%s) FROM ", table, cols);
		st->copy_head = MemoryContextStrdup(cxt, sql.data);
	}
	pfree(sql.data);
	st->table = MemoryContextStrdup(cxt, table);
	st->relid = relid;
	st->ncols = ncols;
	st->types = types;
	st->as_owner = as_owner;
	return st;
}

/*
 * May this statement take its COPY form?  COPY FROM a file needs the
 * privileges of pg_read_server_files (pkt_load's callers have them, so
 * has a superuser), and would bypass what only INSERT honours: rules,
 * and row-level security policies.  Asked at every batch, as these can
 * change during a run.
 */
static bool
copy_allowed(PktRun *run, PktBatchStmt *st)
{
	Relation	rel;
	bool		plain;

	if (st->copy_head == NULL || pkt_write_method != PKT_WRITE_AUTO)
		return false;
	if (!has_privs_of_role(st->as_owner ? run->owner : GetUserId(),
						   ROLE_PG_READ_SERVER_FILES))
		return false;
	rel = try_table_open(st->relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s was dropped", st->table)));
	plain = !rel->rd_rel->relhasrules && !rel->rd_rel->relrowsecurity;
	table_close(rel, AccessShareLock);
	return plain;
}

/* Add rows to a spool file, for spool_copy(). */
static void
spool_append(PktRun *run, PktBatchStmt *st, PktSpool *sp, int nrows,
			 Datum *values, char *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);	/* the spool's */

	pkt_spool_append(sp, st->ncols, st->types, nrows, values, nulls);
	MemoryContextSwitchTo(old);
}

/* COPY the rows of a spool file into the statement's table; empty it. */
static void
spool_copy(PktRun *run, PktBatchStmt *st, PktSpool *sp)
{
	int64		nrows = sp->nrows;
	char	   *volatile path = NULL;
	char	   *sql;

	/* whatever happens, the next rows start a new file */
	PG_TRY();
	{
		path = pkt_spool_finish(sp);
	}
	PG_CATCH();
	{
		pkt_spool_reset(sp);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pkt_spool_reset(sp);
	sql = psprintf("%s%s (FORMAT binary)", st->copy_head, quote_literal_cstr(path));
	if (st->as_owner)
		owner_execute(run, NULL, sql, 0, NULL, NULL, NULL, SPI_OK_UTILITY, 0);
	else
	{
		int			ret = SPI_execute(sql, false, 0);

		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "COPY into packets failed: %s", SPI_result_code_string(ret));
	}
	/* fewer when a BEFORE trigger skipped rows, as INSERT would */
	if (SPI_processed > (uint64) nrows)
		elog(ERROR, "COPY stored " UINT64_FORMAT " of " INT64_FORMAT " rows",
			 SPI_processed, nrows);
	pfree(sql);
}

/* INSERT (or upsert) nrows rows of values (row-major). */
static void
batch_insert(PktRun *run, PktBatchStmt *st, int nrows, Datum *values, char *nulls)
{
	PktBatchRef batch;
	Datum		arg;
	Oid			argtype = INT8OID;
	const PktBatchRef *save_batch = current_batch;
	int64		save_token = current_token;

	if (nrows == 0)
		return;
	if (st->plan == NULL)
	{
		st->plan = SPI_prepare(st->sql, 1, &argtype);
		if (st->plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", st->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(st->plan) != 0)
			elog(ERROR, "could not keep a plan");
	}
	batch.ncols = st->ncols;
	batch.nrows = nrows;
	batch.values = values;
	batch.nulls = nulls;
	current_batch = &batch;
	current_token = (int64) pg_prng_uint64(&pg_global_prng_state);
	arg = Int64GetDatum(current_token);
	PG_TRY();
	{
		if (st->as_owner)
			owner_execute(run, st->plan, NULL, 1, NULL, &arg, NULL, SPI_OK_INSERT, 0);
		else
		{
			int			ret = SPI_execute_plan(st->plan, &arg, NULL, false, 0);

			if (ret != SPI_OK_INSERT)
				elog(ERROR, "insert into packets failed: %s", SPI_result_code_string(ret));
		}
	}
	PG_FINALLY();
	{
		/* a trigger may have written a batch of its own meanwhile */
		current_batch = save_batch;
		current_token = save_token;
	}
	PG_END_TRY();
}

/* Write nrows rows of values (row-major) by COPY if it may, else INSERT. */
static void
batch_execute(PktRun *run, PktBatchStmt *st, int nrows, Datum *values, char *nulls)
{
	if (nrows > 0 && copy_allowed(run, st))
	{
		spool_append(run, st, &run->sum_spool, nrows, values, nulls);
		spool_copy(run, st, &run->sum_spool);
	}
	else
		batch_insert(run, st, nrows, values, nulls);
}

static void
batch_stmt_free(PktBatchStmt *st)
{
	if (st != NULL && st->plan != NULL)
	{
		SPI_freeplan(st->plan);
		st->plan = NULL;
	}
}

#define NCOLS 13

static const Oid packets_types[NCOLS] = {
	TIMESTAMPTZOID,				/* capture_time */
	INETOID,					/* src_ip */
	INETOID,					/* dst_ip */
	INT2OID,					/* ip_version */
	INT2OID,					/* ip_proto */
	INT4OID,					/* src_port */
	INT4OID,					/* dst_port */
	INT2OID,					/* tcp_flags */
	INT4OID,					/* packet_size */
	INT4OID,					/* captured_size */
	INT2OID,					/* vlan_id */
	TEXTOID,					/* interface */
	INT4OID,					/* run_id */
};

static const Oid summary_types[7] = {
	TIMESTAMPTZOID, INT4OID, INT2OID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID
};
static const Oid summary_addr_types[7] = {
	TIMESTAMPTZOID, INT4OID, INETOID, INT8OID, INT8OID, INT8OID, INT8OID
};

/*
 * The statements of a run.  Every name is schema-qualified and every
 * operator is pg_catalog's, so no search_path can change what they do.
 */
#define PLUS " OPERATOR(pg_catalog.+) "

static void
prepare_statements(PktRun *run)
{
	Oid			packets_id;
	Oid			summary_id;
	Oid			summary_addr_id;
	char	   *packets = pkt_ext_relname("packets", &packets_id);
	char	   *summary = pkt_ext_relname("pkt_summary", &summary_id);
	char	   *summary_addr = pkt_ext_relname("pkt_summary_addr", &summary_addr_id);
	Oid			nspoid;
	const char *summary_cols = "minute, run_id, ip_proto, packets, bytes, first_seen, last_seen";
	const char *summary_addr_cols = "minute, run_id, addr, src_packets, src_bytes, "
		"dst_packets, dst_bytes";

	if (!OidIsValid(run->owner))
		extension_info(extension_oid(), &nspoid, &run->owner);

	run->insert = batch_stmt_create(run->cxt, packets, packets_id,
									"capture_time, src_ip, dst_ip, ip_version, ip_proto, "
									"src_port, dst_port, tcp_flags, packet_size, "
									"captured_size, vlan_id, interface, run_id",
									"", NCOLS, packets_types, false);
	run->summary = batch_stmt_create(run->cxt, summary, summary_id, summary_cols,
									 " ON CONFLICT (minute, run_id, ip_proto) DO UPDATE SET "
									 "packets = s.packets" PLUS "excluded.packets, "
									 "bytes = s.bytes" PLUS "excluded.bytes, "
									 "first_seen = LEAST(s.first_seen, excluded.first_seen), "
									 "last_seen = GREATEST(s.last_seen, excluded.last_seen)",
									 7, summary_types, true);
	run->summary_new = batch_stmt_create(run->cxt, summary, summary_id, summary_cols,
										 "", 7, summary_types, true);
	run->summary_addr = batch_stmt_create(run->cxt, summary_addr, summary_addr_id,
										  summary_addr_cols,
										  " ON CONFLICT (minute, run_id, addr) DO UPDATE SET "
										  "src_packets = s.src_packets" PLUS "excluded.src_packets, "
										  "src_bytes = s.src_bytes" PLUS "excluded.src_bytes, "
										  "dst_packets = s.dst_packets" PLUS "excluded.dst_packets, "
										  "dst_bytes = s.dst_bytes" PLUS "excluded.dst_bytes",
										  7, summary_addr_types, true);
	run->summary_addr_new = batch_stmt_create(run->cxt, summary_addr, summary_addr_id,
											  summary_addr_cols, "", 7,
											  summary_addr_types, true);
}

/*
 * Interface name of a row: the capture's, or for "any" the one its Linux
 * cooked v2 ifindex names now.  Rows from files have none.
 */
static bool
row_ifname(PktRun *run, const PktRow *row, char *buf)
{
	int32		ifindex = row->info.ifindex;

	if (run->ifname == NULL)
		return false;
	if (strcmp(run->ifname, "any") != 0)
	{
		strlcpy(buf, run->ifname, IF_NAMESIZE);
		return true;
	}
	if (!(row->info.flags & PKT_F_IFINDEX) || ifindex <= 0)
		return false;
	for (int i = 0; i < run->nifnames; i++)
	{
		if (run->ifindex[i] == ifindex)
		{
			strlcpy(buf, run->ifname_of[i], IF_NAMESIZE);
			return buf[0] != '\0';
		}
	}
	if (if_indextoname(ifindex, buf) == NULL)
		buf[0] = '\0';
	if (run->nifnames < lengthof(run->ifindex))
	{
		run->ifindex[run->nifnames] = ifindex;
		strlcpy(run->ifname_of[run->nifnames], buf, IF_NAMESIZE);
		run->nifnames++;
	}
	return buf[0] != '\0';
}

/* ------------------------------------------------------------------------
 * Per-minute summaries behind pkt_report(), summed here from the rows
 * committed and upserted every pktcapture.summary_interval, with the
 * ledger's summarized_id in the same transaction: the id below which every
 * row of the run is in the summaries and above which none is, so that
 * pkt_report() adds the rest from packets and never disagrees with them.
 * Minutes are aligned on 2000-01-01 00:00 UTC, as date_bin('1 minute', t,
 * '2000-01-01 00:00+00') would.
 *
 * The sums are kept in simplehash tables keyed by a hash seeded per run,
 * so addresses chosen by an attacker cannot make long probe chains.  They
 * are written sorted in the order of the tables' primary keys, so the
 * btree inserts walk the index from left to right instead of at random.
 * ------------------------------------------------------------------------
 */
typedef struct ProtoKey
{
	TimestampTz minute;
	int32		proto;
} ProtoKey;

typedef struct ProtoSum
{
	ProtoKey	key;
	char		status;			/* simplehash's */
	int64		packets;
	int64		bytes;
	TimestampTz first;
	TimestampTz last;
} ProtoSum;

/*
 * An address in a minute.  A minute's microseconds are a multiple of
 * 60,000,000, so of 256: the low byte holds the address family (0 IPv4,
 * 1 IPv6), which also orders IPv4 before IPv6 within a minute, as inet
 * does.  24 bytes, so that an AddrSum fills one 64-byte cache line.
 */
typedef struct AddrKey
{
	int64		minute_family;
	uint8		addr[16];		/* an IPv4 address in the first 4, then zeros */
} AddrKey;

#define KEY_IPV6 1
#define key_minute(k) ((TimestampTz) ((k)->minute_family & ~(int64) 0xff))
#define key_family(k) (((k)->minute_family & KEY_IPV6) ? 6 : 4)

typedef struct AddrSum
{
	AddrKey		key;
	char		status;			/* simplehash's */
	int64		src_packets;	/* sent by the address */
	int64		src_bytes;
	int64		dst_packets;	/* received */
	int64		dst_bytes;
} AddrSum;

StaticAssertDecl(sizeof(AddrSum) == 64, "an AddrSum fills a cache line");

/* a seeded hash of three words */
static inline uint32
sum_hash(uint64 seed, uint64 a, uint64 b, uint64 c)
{
	return (uint32) pkt_mix64(pkt_mix64(pkt_mix64(seed ^ a) ^ b) ^ c);
}

static inline uint32
proto_hash(uint64 seed, TimestampTz minute, int32 proto)
{
	return sum_hash(seed, (uint64) minute, (uint64) proto, 0);
}

static inline uint32
addr_hash(uint64 seed, const AddrKey *k)
{
	uint64		a;
	uint64		b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return sum_hash(seed, (uint64) k->minute_family, a, b);
}

#define SH_PREFIX protosum
#define SH_ELEMENT_TYPE ProtoSum
#define SH_KEY_TYPE ProtoKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) proto_hash(*(uint64 *) (tb)->private_data, (k).minute, (k).proto)
#define SH_EQUAL(tb, a, b) ((a).minute == (b).minute && (a).proto == (b).proto)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define SH_PREFIX addrsum
#define SH_ELEMENT_TYPE AddrSum
#define SH_KEY_TYPE AddrKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) addr_hash(*(uint64 *) (tb)->private_data, &(k))
#define SH_EQUAL(tb, a, b) (memcmp(&(a), &(b), sizeof(AddrKey)) == 0)
#define SH_SCOPE static inline
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * The address sums' array starts on a cache line, so that each AddrSum
 * takes one line: a lookup misses the cache at most once.  The pointer
 * palloc returned is kept in front of the array.
 */
static inline void *
addrsum_allocate(addrsum_hash *tb, Size size)
{
	char	   *raw = MemoryContextAllocExtended(tb->ctx,
												 size + PG_CACHE_LINE_SIZE + sizeof(void *),
												 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	char	   *data = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE, raw + sizeof(void *));

	((void **) data)[-1] = raw;
	return data;
}

static inline void
addrsum_free(addrsum_hash *tb, void *pointer)
{
	pfree(((void **) pointer)[-1]);
}

/* sums held before they are written, so a load's memory stays bounded */
#define PKT_SUMMARY_MAX_GROUPS 200000

static TimestampTz
minute_of(TimestampTz ts)
{
	const int64 m = 60 * USECS_PER_SEC;

	return ts - ((ts % m) + m) % m;
}

static inline void
addr_key_set(AddrKey *key, TimestampTz minute, int ip_version, const uint8 *addr)
{
	memset(key, 0, sizeof(AddrKey));
	key->minute_family = minute | (ip_version == 4 ? 0 : KEY_IPV6);
	memcpy(key->addr, addr, ip_version == 4 ? 4 : 16);
}

/* The sums of key (whose hash is given), new ones zero. */
static inline AddrSum *
addr_sum(addrsum_hash *h, AddrKey key, uint32 hash)
{
	AddrSum    *sum;
	bool		found;

	sum = addrsum_insert_hash(h, key, hash, &found);
	if (!found)
		sum->src_packets = sum->src_bytes = sum->dst_packets = sum->dst_bytes = 0;
	return sum;
}

static void
summaries_create(PktRun *run)
{
	run->sum_seed = pg_prng_uint64(&pg_global_prng_state);
	run->sum_protos = protosum_create(run->sum_cxt, 64, &run->sum_seed);
	/* as large as last time: growing rehashes every entry */
	run->sum_addrs = addrsum_create(run->sum_cxt, Max(1024, run->sum_addrs_hint),
									&run->sum_seed);
}

/*
 * Forget the sums not yet written: their transaction was rolled back
 * with the rows they counted.
 */
void
pkt_run_discard_summaries(PktRun *run)
{
	if (run->sum_addrs != NULL)
		run->sum_addrs_hint = Min(run->sum_addrs->members, PKT_SUMMARY_MAX_GROUPS);
	MemoryContextReset(run->sum_cxt);
	/* made again when rows come (zeroing megabytes for nothing costs) */
	run->sum_protos = NULL;
	run->sum_addrs = NULL;
}

/*
 * Rows are summed in groups: the hash of every address of a group first,
 * fetching the table's buckets for them ahead of use, then the sums.  A
 * table of 100,000 addresses is larger than the caches, and most lookups
 * would otherwise wait for memory one after the other.
 */
#define SUM_GROUP 16

#ifdef __GNUC__
#define pkt_prefetch(p) __builtin_prefetch(p)
#else
#define pkt_prefetch(p) ((void) 0)
#endif

static void
accumulate_summaries(PktRun *run, const PktRow *rows, int n)
{
	protosum_hash *protos;
	addrsum_hash *addrs;
	uint64		seed;

	if (run->sum_protos == NULL)
		summaries_create(run);
	seed = run->sum_seed;		/* the tables' own */
	protos = run->sum_protos;
	addrs = run->sum_addrs;
	for (int g = 0; g < n; g += SUM_GROUP)
	{
		int			m = Min(SUM_GROUP, n - g);
		AddrKey		keys[2 * SUM_GROUP];
		uint32		hashes[2 * SUM_GROUP];

		for (int i = 0; i < m; i++)
		{
			const PktRow *row = &rows[g + i];
			TimestampTz minute = minute_of(row->ts);

			addr_key_set(&keys[2 * i], minute, row->info.ip_version, row->info.src);
			addr_key_set(&keys[2 * i + 1], minute, row->info.ip_version, row->info.dst);
			for (int k = 2 * i; k <= 2 * i + 1; k++)
			{
				hashes[k] = addr_hash(seed, &keys[k]);
				pkt_prefetch(&addrs->data[addrsum_initial_bucket(addrs, hashes[k])]);
			}
		}
		for (int i = 0; i < m; i++)
		{
			const PktRow *row = &rows[g + i];
			ProtoSum   *psum;
			AddrSum    *asum;
			bool		found;

			psum = protosum_insert(protos,
								   (ProtoKey) {key_minute(&keys[2 * i]), row->info.ip_proto},
								   &found);
			if (!found)
			{
				psum->packets = psum->bytes = 0;
				psum->first = psum->last = row->ts;
			}
			psum->packets++;
			psum->bytes += row->len;
			psum->first = Min(psum->first, row->ts);
			psum->last = Max(psum->last, row->ts);
			asum = addr_sum(addrs, keys[2 * i], hashes[2 * i]);
			asum->src_packets++;
			asum->src_bytes += row->len;
			asum = addr_sum(addrs, keys[2 * i + 1], hashes[2 * i + 1]);
			asum->dst_packets++;
			asum->dst_bytes += row->len;
		}
	}
}

/*
 * A file load counts top talkers from its per-minute sums as it writes
 * them (every row it reads is stored, in one transaction): a few updates
 * per address and minute instead of two per packet.
 */
static void
topk_add_sums(PktRun *run, const AddrSum *a)
{
	uint8		key[PKT_TOPK_KEYLEN];

	addr_key(key_family(&a->key), a->key.addr, key);
	if (a->src_packets > 0)
		pkt_topk_add_n(run->top_src, key, a->src_packets, a->src_bytes);
	if (a->dst_packets > 0)
		pkt_topk_add_n(run->top_dst, key, a->dst_packets, a->dst_bytes);
	run->top_dirty = true;
}

/* primary key order of pkt_summary: minute, (run_id,) ip_proto */
static int
proto_cmp(const void *a, const void *b)
{
	const ProtoSum *x = *(ProtoSum *const *) a;
	const ProtoSum *y = *(ProtoSum *const *) b;

	if (x->key.minute != y->key.minute)
		return x->key.minute < y->key.minute ? -1 : 1;
	return x->key.proto - y->key.proto;
}

/*
 * An address sum's place in the primary key order of pkt_summary_addr:
 * minute, (run_id,) addr, where inet orders IPv4 before IPv6, then by the
 * address bytes.  Sorted by value, without following the pointers into
 * the table.
 */
typedef struct AddrOrder
{
	int64		minute_family;
	uint64		hi;				/* address bytes 0-7, as a big-endian number */
	uint64		lo;				/* bytes 8-15 */
	AddrSum    *sum;
} AddrOrder;

static inline int
addr_order_cmp(const AddrOrder *x, const AddrOrder *y)
{
	if (x->minute_family != y->minute_family)
		return x->minute_family < y->minute_family ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

#define ST_SORT addr_order_sort
#define ST_ELEMENT_TYPE AddrOrder
#define ST_COMPARE(a, b) addr_order_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Write the sums of the rows committed since the summaries were last
 * written, in the caller's transaction, whose pkt_ledger_update() then
 * moves the run's summarized_id: rows of the run with a larger id are not
 * yet in the summaries, and pkt_report() reads them from packets.  Done
 * every pktcapture.summary_interval rather than with every batch: summing
 * a few seconds of traffic gives far fewer rows than summing each batch.
 */
void
pkt_run_write_summaries(PktRun *run)
{
	protosum_iterator pit;
	addrsum_iterator ait;
	ProtoSum  **protos;
	AddrOrder  *order;
	PktBatchStmt *st;
	InetSlot   *ips;
	ProtoSum   *p;
	AddrSum    *a;
	Datum	   *values;
	char	   *nulls;
	int			n;
	MemoryContext old;

	if (run->sums_abandoned)
		return;					/* summarized_id stays */
	/* with nothing held, every row stored is in the summaries */
	run->sums_in_xact = true;
	if (run->sum_protos == NULL || run->sum_protos->members == 0)
		return;
	if (run->insert == NULL)
		prepare_statements(run);
	old = MemoryContextSwitchTo(run->flush_cxt);

	/* protocols */
	protos = palloc(sizeof(ProtoSum *) * run->sum_protos->members);
	n = 0;
	protosum_start_iterate(run->sum_protos, &pit);
	while ((p = protosum_iterate(run->sum_protos, &pit)) != NULL)
		protos[n++] = p;
	qsort(protos, n, sizeof(ProtoSum *), proto_cmp);
	values = palloc(sizeof(Datum) * 7 * n);
	nulls = palloc(7 * n);
	memset(nulls, ' ', 7 * n);
	for (int i = 0; i < n; i++)
	{
		Datum	   *v = values + 7 * i;

		p = protos[i];
		v[0] = TimestampTzGetDatum(p->key.minute);
		v[1] = Int32GetDatum(run->run_id);
		v[2] = Int16GetDatum((int16) p->key.proto);
		v[3] = Int64GetDatum(p->packets);
		v[4] = Int64GetDatum(p->bytes);
		v[5] = TimestampTzGetDatum(p->first);
		v[6] = TimestampTzGetDatum(p->last);
	}
	/*
	 * A run's first sums cannot meet a row of its own (its run_id is new),
	 * so they are plain inserts; later ones may add to a minute already
	 * written, and upsert.
	 */
	batch_execute(run, run->summaries_written ? run->summary : run->summary_new,
				  n, values, nulls);

	/* addresses */
	order = palloc(sizeof(AddrOrder) * run->sum_addrs->members);
	n = 0;
	addrsum_start_iterate(run->sum_addrs, &ait);
	while ((a = addrsum_iterate(run->sum_addrs, &ait)) != NULL)
	{
		AddrOrder  *o = &order[n++];

		o->minute_family = a->key.minute_family;
		memcpy(&o->hi, a->key.addr, 8);
		memcpy(&o->lo, a->key.addr + 8, 8);
		o->hi = pg_ntoh64(o->hi);
		o->lo = pg_ntoh64(o->lo);
		o->sum = a;
	}
	addr_order_sort(order, n);
	if (run->topk_from_sums)
		for (int i = 0; i < n; i++)
			topk_add_sums(run, order[i].sum);
	st = run->summaries_written ? run->summary_addr : run->summary_addr_new;
	if (n > 0 && copy_allowed(run, st))
	{
		/* encoded straight from the sums, as for packets */
		StringInfo	buf;

		MemoryContextSwitchTo(run->cxt);	/* the spool's */
		buf = pkt_spool_add_begin(&run->sum_spool);
		for (int i = 0; i < n; i++)
		{
			a = order[i].sum;
			enlargeStringInfo(buf, PKT_COPY_ROW_ROOM(7));
			pkt_copy_row(buf, 7);
			pkt_copy_int8(buf, key_minute(&a->key));
			pkt_copy_int4(buf, run->run_id);
			pkt_copy_inet(buf, key_family(&a->key), a->key.addr);
			pkt_copy_int8(buf, a->src_packets);
			pkt_copy_int8(buf, a->src_bytes);
			pkt_copy_int8(buf, a->dst_packets);
			pkt_copy_int8(buf, a->dst_bytes);
		}
		pkt_spool_add_end(&run->sum_spool, n);
		MemoryContextSwitchTo(run->flush_cxt);
		spool_copy(run, st, &run->sum_spool);
	}
	else
	{
		values = palloc(sizeof(Datum) * 7 * n);
		nulls = palloc(7 * n);
		memset(nulls, ' ', 7 * n);
		ips = palloc(sizeof(InetSlot) * n);
		for (int i = 0; i < n; i++)
		{
			Datum	   *v = values + 7 * i;

			a = order[i].sum;
			pkt_set_inet(&ips[i].ip, key_family(&a->key), a->key.addr);
			v[0] = TimestampTzGetDatum(key_minute(&a->key));
			v[1] = Int32GetDatum(run->run_id);
			v[2] = InetPGetDatum(&ips[i].ip);
			v[3] = Int64GetDatum(a->src_packets);
			v[4] = Int64GetDatum(a->src_bytes);
			v[5] = Int64GetDatum(a->dst_packets);
			v[6] = Int64GetDatum(a->dst_bytes);
		}
		batch_insert(run, st, n, values, nulls);
	}
	run->summaries_written = true;
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->flush_cxt);
}

/*
 * The rows of packets, as the writer's statements list their columns
 * (prepare_statements()): encoded straight from the decoded packets for
 * COPY, or as Datums for INSERT.  load.sql checks that both store the
 * same rows.
 */
static void
spool_packets(PktRun *run, const PktRow *rows, int n)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);	/* the spool's */
	StringInfo	s = pkt_spool_add_begin(&run->spool);
	int			lastifindex = -1;
	char		ifname[IF_NAMESIZE];
	int			ifnamelen = -1;	/* -1: NULL */

	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		const PktInfo *info = &row->info;

		if (i == 0 || info->ifindex != lastifindex)
		{
			lastifindex = info->ifindex;
			ifnamelen = row_ifname(run, row, ifname) ? strlen(ifname) : -1;
		}
		enlargeStringInfo(s, PKT_COPY_ROW_ROOM(NCOLS));
		pkt_copy_row(s, NCOLS);
		pkt_copy_int8(s, row->ts);
		pkt_copy_inet(s, info->ip_version, info->src);
		pkt_copy_inet(s, info->ip_version, info->dst);
		pkt_copy_int2(s, info->ip_version);
		pkt_copy_int2(s, info->ip_proto);
		if (info->flags & PKT_F_PORTS)
		{
			pkt_copy_int4(s, info->src_port);
			pkt_copy_int4(s, info->dst_port);
		}
		else
		{
			pkt_copy_null(s);
			pkt_copy_null(s);
		}
		if (info->flags & PKT_F_TCP_FLAGS)
			pkt_copy_int2(s, info->tcp_flags);
		else
			pkt_copy_null(s);
		pkt_copy_int4(s, (int32) Min(row->len, PG_INT32_MAX));
		pkt_copy_int4(s, (int32) Min(row->caplen, PG_INT32_MAX));
		if (info->flags & PKT_F_VLAN)
			pkt_copy_int2(s, info->vlan_id);
		else
			pkt_copy_null(s);
		if (ifnamelen >= 0)
			pkt_copy_text(s, ifname, ifnamelen, 1);
		else
			pkt_copy_null(s);
		pkt_copy_int4(s, run->run_id);
	}
	pkt_spool_add_end(&run->spool, n);
	MemoryContextSwitchTo(old);
}

static void
insert_packets(PktRun *run, const PktRow *rows, int n)
{
	Datum	   *values;
	char	   *nulls;
	InetSlot   *addrs;
	int			lastifindex = -1;
	Datum		lastifname = (Datum) 0;
	bool		lastifnull = true;

	if (run->batch_values == NULL)
	{
		/* once per run: allocating per batch costs page faults */
		run->batch_values = MemoryContextAllocHuge(run->cxt,
												   sizeof(Datum) * NCOLS * (Size) run->batch);
		run->batch_nulls = MemoryContextAllocHuge(run->cxt, NCOLS * (Size) run->batch);
		run->batch_addrs = MemoryContextAllocHuge(run->cxt,
												  sizeof(InetSlot) * 2 * (Size) run->batch);
	}
	values = run->batch_values;
	nulls = run->batch_nulls;
	addrs = run->batch_addrs;
	memset(nulls, ' ', NCOLS * (Size) n);
	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		const PktInfo *info = &row->info;
		inet	   *src = &addrs[2 * i].ip;
		inet	   *dst = &addrs[2 * i + 1].ip;
		Datum	   *v = values + (Size) NCOLS * i;
		char	   *nl = nulls + (Size) NCOLS * i;

		pkt_set_inet(src, info->ip_version, info->src);
		pkt_set_inet(dst, info->ip_version, info->dst);

		v[0] = TimestampTzGetDatum(row->ts);
		v[1] = InetPGetDatum(src);
		v[2] = InetPGetDatum(dst);
		v[3] = Int16GetDatum(info->ip_version);
		v[4] = Int16GetDatum(info->ip_proto);
		v[5] = Int32GetDatum(info->src_port);
		v[6] = Int32GetDatum(info->dst_port);
		if (!(info->flags & PKT_F_PORTS))
			nl[5] = nl[6] = 'n';
		v[7] = Int16GetDatum(info->tcp_flags);
		if (!(info->flags & PKT_F_TCP_FLAGS))
			nl[7] = 'n';
		v[8] = Int32GetDatum((int32) Min(row->len, PG_INT32_MAX));
		v[9] = Int32GetDatum((int32) Min(row->caplen, PG_INT32_MAX));
		v[10] = Int16GetDatum(info->vlan_id);
		if (!(info->flags & PKT_F_VLAN))
			nl[10] = 'n';
		if (i == 0 || info->ifindex != lastifindex)
		{
			char		name[IF_NAMESIZE];

			lastifindex = info->ifindex;
			lastifnull = !row_ifname(run, row, name);
			lastifname = lastifnull ? (Datum) 0 : CStringGetTextDatum(name);
		}
		v[11] = lastifname;
		if (lastifnull)
			nl[11] = 'n';
		v[12] = Int32GetDatum(run->run_id);
	}
	batch_insert(run, run->insert, n, values, nulls);
}

/*
 * Write up to one batch of pending rows, and move the ledger.  The caller
 * has connected SPI inside a transaction with an active snapshot, and
 * calls pkt_run_committed() once it commits, pkt_run_aborted() if it does
 * not (the rows then stay pending, to be tried again).
 */
void
pkt_run_write(PktRun *run)
{
	int			n = Min(run->nrows - run->first, run->batch);
	const PktRow *rows = run->rows + run->first;
	MemoryContext old;
	TimestampTz start;
	int64		stored = 0;

	if (n == 0)
		return;
	pkt_run_check_extension(run);
	start = GetCurrentTimestamp();
	run->nifnames = 0;			/* interfaces come and go: look again */
	if (run->insert == NULL)
		prepare_statements(run);
	old = MemoryContextSwitchTo(run->flush_cxt);

	/*
	 * COPY goes through the spool file, which is copied into packets once
	 * it holds run->copy_rows rows: at once for a live capture; for a file
	 * load a million rows at a time.  Inside pkt_load, statements of
	 * 10,000 rows measured 30% slower than one of a million, and even
	 * statements of 200,000 were 20-30% slower (pg_stat_statements), though
	 * alone they ran as fast as one.  Rows in the spool are still pending.
	 */
	if (run->spool.nrows > 0 || copy_allowed(run, run->insert))
	{
		spool_packets(run, rows, n);
		if (run->spool.nrows >= run->copy_rows)
		{
			stored = run->spool.nrows;
			spool_copy(run, run->insert, &run->spool);
		}
	}
	else
	{
		insert_packets(run, rows, n);
		stored = n;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->flush_cxt);

	/* the ledger moves in the same transaction as the rows it counts */
	if (stored > 0)
		pkt_ledger_update(run, run->c.stored + stored, NULL, NULL);

	run->inflight = n;
	run->inflight_stored = stored;
	run->last_flush_at = GetCurrentTimestamp();
	run->last_flush_ms = (double) (run->last_flush_at - start) / 1000.0;
}

/*
 * The transaction of the last pkt_run_write() or pkt_run_write_summaries()
 * committed: its rows are stored, and summed until the next summaries are
 * written; or the summaries written are in the table.
 */
void
pkt_run_committed(PktRun *run)
{
	if (run->sums_in_xact)
	{
		pkt_run_discard_summaries(run);
		run->sums_in_xact = false;
		run->last_summary_at = GetCurrentTimestamp();
	}
	if (run->inflight > 0)
	{
		if (!run->sums_abandoned)
			accumulate_summaries(run, run->rows + run->first, run->inflight);
		run->first += run->inflight;
		if (run->first == run->nrows)
			run->first = run->nrows = 0;
	}
	run->c.stored += run->inflight_stored;
	run->c.pending -= run->inflight_stored;
	run->inflight = 0;
	run->inflight_stored = 0;
}

/*
 * The summaries could not be written and the sums held reached their
 * bound: drop them and write no more for this run.  Its summarized_id
 * stays where it is, so pkt_report() reads the rows above it from packets.
 */
void
pkt_run_abandon_summaries(PktRun *run)
{
	pkt_run_discard_summaries(run);
	run->sums_abandoned = true;
}

/* It did not: the rows are still pending, the sums still to write. */
void
pkt_run_aborted(PktRun *run)
{
	run->inflight = 0;
	run->inflight_stored = 0;
	run->sums_in_xact = false;
}

/*
 * Are summaries due: pktcapture.summary_interval has passed since they
 * were last written, or the sums held are at their bound?
 */
bool
pkt_run_summaries_due(PktRun *run, TimestampTz now)
{
	if (run->sums_abandoned || run->sum_protos == NULL || run->sum_protos->members == 0)
		return false;
	return pkt_run_summaries_full(run) ||
		now >= TimestampTzPlusMilliseconds(run->last_summary_at, pkt_summary_interval_ms);
}

/* Are the sums held at their bound (memory stays bounded)? */
bool
pkt_run_summaries_full(PktRun *run)
{
	return run->sum_addrs != NULL && run->sum_addrs->members > PKT_SUMMARY_MAX_GROUPS;
}

/*
 * COPY the rows left in the spool file into packets (a file load, at its
 * end: see pkt_run_write()).
 */
void
pkt_run_flush(PktRun *run)
{
	int64		n = run->spool.nrows;

	if (n == 0)
		return;
	spool_copy(run, run->insert, &run->spool);
	run->c.stored += n;
	run->c.pending -= n;
}

/*
 * Packets and bytes per second over the last PKT_RATE_WINDOW_MS, from the
 * samples taken at each publish.
 */
static void
recent_rate(PktRun *run, TimestampTz now, double *pps, double *Bps)
{
	int			oldest = -1;
	uint64		packets = run->c.result_packets[PKT_IP];
	uint64		bytes = run->c.result_bytes[PKT_IP];
	double		secs;

	run->sample_at[run->sample_next] = now;
	run->sample_packets[run->sample_next] = packets;
	run->sample_bytes[run->sample_next] = bytes;
	run->sample_next = (run->sample_next + 1) % PKT_RATE_SAMPLES;
	if (run->nsamples < PKT_RATE_SAMPLES)
		run->nsamples++;

	/* the oldest sample still inside the window */
	for (int i = 0; i < run->nsamples; i++)
	{
		int			k = (run->sample_next - run->nsamples + i + PKT_RATE_SAMPLES) % PKT_RATE_SAMPLES;

		if (run->sample_at[k] >= now - PKT_RATE_WINDOW_MS * INT64CONST(1000))
		{
			oldest = k;
			break;
		}
	}
	*pps = *Bps = 0;
	if (oldest < 0 || run->sample_at[oldest] >= now)
		return;
	secs = (double) (now - run->sample_at[oldest]) / USECS_PER_SEC;
	*pps = (double) (packets - run->sample_packets[oldest]) / secs;
	*Bps = (double) (bytes - run->sample_bytes[oldest]) / secs;
}

/* Copy counters, and top talkers if asked, into the run's slot. */
void
pkt_run_publish(PktRun *run, bool with_top)
{
	PktSharedTop src;
	PktSharedTop dst;
	PktSlot    *slot;
	TimestampTz now = GetCurrentTimestamp();
	double		pps;
	double		Bps;

	if (with_top && run->top_dirty)
	{
		src.n = pkt_topk_top(run->top_src, src.items, PKT_TOP_SHARED);
		src.approximate = pkt_topk_is_approximate(run->top_src);
		src.error_bound = pkt_topk_error_bound(run->top_src);
		dst.n = pkt_topk_top(run->top_dst, dst.items, PKT_TOP_SHARED);
		dst.approximate = pkt_topk_is_approximate(run->top_dst);
		dst.error_bound = pkt_topk_error_bound(run->top_dst);
	}

	recent_rate(run, now, &pps, &Bps);

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(run->slotno, run->generation);
	if (slot != NULL)
	{
		memcpy(&slot->c, &run->c, sizeof(PktCounters));
		slot->rate_pps = pps;
		slot->rate_Bps = Bps;
		slot->last_flush_at = run->last_flush_at;
		slot->last_flush_ms = run->last_flush_ms;
		/* while writes fail, pkt_status says why; a stop may set its own */
		if (slot->state == PKT_STATE_RUNNING || run->last_error[0] != '\0')
			strlcpy(slot->error, run->last_error, sizeof(slot->error));
		if (with_top && run->top_dirty)
		{
			slot->top_src = src;
			slot->top_dst = dst;
		}
	}
	LWLockRelease(pkt_shared->lock);
	if (with_top)
		run->top_dirty = false;
	run->last_publish_at = now;
}

/* ------------------------------------------------------------------------
 * The run ledger, table pkt_runs: one row per capture or load, written in
 * the transactions that write its rows, so that it never disagrees with
 * them, even after a crash.
 * ------------------------------------------------------------------------
 */

/*
 * The ledger is the extension's own bookkeeping: it is written with the
 * extension owner's rights, as a SECURITY DEFINER function would, so a
 * role that may capture needs no privilege on pkt_runs.
 */
static void
owner_execute(PktRun *run, SPIPlanPtr plan, const char *sql, int nargs,
			  Oid *argtypes, Datum *args, const char *nulls, int expected,
			  long tcount)
{
	Oid			save_userid;
	int			save_sec;
	volatile int ret = 0;
	int			save_nestlevel;

	Assert(OidIsValid(run->owner));
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(run->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* as a SECURITY DEFINER function with SET search_path would */
	save_nestlevel = NewGUCNestLevel();
	PG_TRY();
	{
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		if (plan != NULL)
			ret = SPI_execute_plan(plan, args, nulls, false, tcount);
		else
			ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, tcount);
	}
	PG_FINALLY();
	{
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	if (ret != expected)
		elog(ERROR, "could not update pktcapture's bookkeeping: %s",
			 SPI_result_code_string(ret));
}

static void
ledger_execute(PktRun *run, const char *sql, int nargs, Oid *argtypes, Datum *args,
			   const char *nulls, int expected, long tcount)
{
	owner_execute(run, NULL, sql, nargs, argtypes, args, nulls, expected, tcount);
}

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

/*
 * Open the ledger row of a run; mark "interrupted" the runs of this
 * database left "running" by a process that is gone.  The caller has
 * connected SPI inside a transaction.
 */
void
pkt_ledger_open(PktRun *run, const char *kind, const char *source,
				const char *filter)
{
	Oid			relid;
	char	   *relname = pkt_ext_relname("pkt_runs", &relid);
	StringInfoData sql;
	Datum		live[64];
	int			nlive = 0;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[5] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, REGCLASSOID};
	bool		isnull;
	PktSlot    *myslot;
	Oid			nspoid;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	for (int i = 0; i < pkt_shared->nslots && nlive < lengthof(live); i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];

		if (slot->dboid == MyDatabaseId && slot->run_id > 0 &&
			(slot->state == PKT_STATE_STARTING || slot->state == PKT_STATE_RUNNING ||
			 slot->state == PKT_STATE_STOPPING))
			live[nlive++] = Int32GetDatum(slot->run_id);
	}
	LWLockRelease(pkt_shared->lock);

	extension_info(extension_oid(), &nspoid, &run->owner);
	/*
	 * Runs left "running" by a process that is gone: their last rows are
	 * added to the summaries, then they are marked interrupted.
	 */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT %s.pkt_summary_catch_up(pg_catalog.array_agg(run_id)) FROM %s "
					 "WHERE state = 'running' AND run_id <> ALL ($1) "
					 "AND summarized_id IS NOT NULL HAVING pg_catalog.count(*) > 0",
					 pkt_ext_schema(), relname);
	args[0] = PointerGetDatum(construct_array(live, nlive, INT4OID, 4, true, TYPALIGN_INT));
	ledger_execute(run, sql.data, 1, (Oid[]) {INT4ARRAYOID}, args, NULL, SPI_OK_SELECT, 0);
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s SET state = 'interrupted' "
					 "WHERE state = 'running' AND run_id <> ALL ($1)", relname);
	ledger_execute(run, sql.data, 1, (Oid[]) {INT4ARRAYOID}, args, NULL, SPI_OK_UPDATE, 0);

	/*
	 * Every row of the run will get an id above the sequence's last value
	 * now: none of them is in the summaries yet.
	 */
	run->id_seq = packets_id_sequence();
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s (kind, source, filter, started_at, state, summarized_id) "
					 "VALUES ($1, $2, $3, $4, 'running', "
					 "coalesce(pg_catalog.pg_sequence_last_value($5), 0)) RETURNING run_id",
					 relname);
	args[0] = CStringGetTextDatum(kind);
	args[1] = CStringGetTextDatum(source);
	args[2] = filter ? CStringGetTextDatum(filter) : (Datum) 0;
	nulls[2] = filter ? ' ' : 'n';
	args[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	args[4] = ObjectIdGetDatum(run->id_seq);
	ledger_execute(run, sql.data, 5, argtypes, args, nulls, SPI_OK_INSERT_RETURNING, 1);
	run->run_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
	/* in the slot before it commits: no other start takes it for a dead run */
	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	myslot = pkt_slot_lookup(run->slotno, run->generation);
	if (myslot != NULL)
		myslot->run_id = run->run_id;
	LWLockRelease(pkt_shared->lock);
	run->ext_oid = extension_oid();
	pfree(sql.data);
}

/*
 * Bring the ledger row up to date: rows_stored as given, the other
 * counters as they are now; with a state, the run ends.
 */
void
pkt_ledger_update(PktRun *run, uint64 rows_stored, const char *state,
				  const char *error)
{
	const PktCounters *c = &run->c;
	Oid			relid;
	char	   *relname;
	Datum		args[17];
	char		nulls[17];
	Oid			argtypes[17];

	if (run->run_id <= 0)
		return;
	pkt_run_check_extension(run);
	if (run->ledger_sql == NULL)
	{
		StringInfoData sql;

		relname = pkt_ext_relname("pkt_runs", &relid);
		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "UPDATE %s SET frames = $2, packets = $3, bytes = $4, rows_stored = $5, "
						 "kernel_dropped = $6, interface_dropped = $7, truncated = $8, "
						 "malformed = $9, unsupported = $10, not_ip = $11, not_stored = $12, "
						 "state = coalesce($13, state), "
						 "stopped_at = CASE WHEN $13 IS NULL THEN stopped_at ELSE $14 END, "
						 "error = coalesce($15, error), "
						 "summarized_id = CASE $16 WHEN 0 THEN summarized_id "
						 "WHEN 1 THEN pg_catalog.currval($17) END "
						 "WHERE run_id = $1", relname);
		run->ledger_sql = MemoryContextStrdup(run->cxt, sql.data);
		pfree(sql.data);
	}

	memset(nulls, ' ', sizeof(nulls));
	argtypes[0] = INT4OID;
	args[0] = Int32GetDatum(run->run_id);
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
	 * summarized_id: unchanged, unless summaries were written in this
	 * transaction: then the last id this session gave a row, or, when the
	 * run ends with them, NULL (every row is in the summaries).
	 */
	argtypes[15] = INT4OID;
	args[15] = Int32GetDatum(!run->sums_in_xact ? 0 : state == NULL ? 1 : 2);
	argtypes[16] = REGCLASSOID;
	args[16] = ObjectIdGetDatum(run->id_seq);

	ledger_execute(run, run->ledger_sql, 17, argtypes, args, nulls, SPI_OK_UPDATE, 0);
}

/* Free what a run keeps beyond its memory context: its saved plans. */
void
pkt_run_release(PktRun *run)
{
	batch_stmt_free(run->insert);
	batch_stmt_free(run->summary);
	batch_stmt_free(run->summary_addr);
	batch_stmt_free(run->summary_new);
	batch_stmt_free(run->summary_addr_new);
	pkt_spool_close(&run->spool);
	pkt_spool_close(&run->sum_spool);
}
