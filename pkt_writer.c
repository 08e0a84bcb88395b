/*-------------------------------------------------------------------------
 * pkt_writer.c
 *		Writing batches of rows through SPI: COPY from a spool file where
 *		allowed, else INSERT ... SELECT; and the rows of packets.
 *
 * Rows go in through SPI by one of two statements:
 *
 * COPY, where it may be used (see pkt_stmt_copy_allowed()): the batch is
 * written to a temporary file in COPY's binary format (pkt_copy.c) and
 * read by
 *
 *	 COPY packets (capture_time, src_ip, ...) FROM '<file>' (FORMAT binary)
 *
 * which inserts rows a page at a time (heap_multi_insert), as psql's
 * \copy does.
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
 * would materialize every array in a tuplestore first, and multi-row
 * VALUES initializes an expression per value at every execution; this
 * form does neither.  Upserts (ON CONFLICT) can only take this form.
 *
 * Either way every row goes through the executor: defaults, generated
 * columns, constraints, indexes and triggers.  docs/performance.md has
 * what each form costs.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_writer.h"

typedef struct PktBatchRef
{
	int			ncols;
	int			nrows;
	const Datum *values;		/* row-major */
	const char *nulls;			/* ' ' or 'n' */
} PktBatchRef;

struct PktBatchStmt
{
	char	   *sql;			/* INSERT ... SELECT over the batch functions */
	char	   *copy_head;		/* "COPY t (cols) FROM ", or NULL: INSERT only */
	char	   *table;			/* the table written, quoted */
	Oid			relid;
	int			ncols;
	const Oid  *types;
	Oid			as_owner;		/* pktcapture's bookkeeping: the owner, else 0 */
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
		case INTERVALOID:
			return "pkt_batch_interval";
		case INETARRAYOID:
			return "pkt_batch_inets";
		case INT8ARRAYOID:
			return "pkt_batch_int8s";
		case BOOLOID:
			return "pkt_batch_bool";
		case BYTEAOID:
			return "pkt_batch_bytea";
	}
	elog(ERROR, "no batch function for type %u", type);
	return NULL;
}

/*
 * A statement writing batches into table (quoted, schema-qualified) with
 * the given columns: "INSERT INTO t (cols) SELECT s.pkt_batch_<type>($1,
 * 0), ... <tail>", and without a tail (no ON CONFLICT) also its COPY form.
 * With as_owner, it runs with the rights of that role (the extension's
 * owner).
 */
PktBatchStmt *
pkt_stmt_create(MemoryContext cxt, const char *table, Oid relid,
				const char *cols, const char *tail,
				int ncols, const Oid *types, Oid as_owner)
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
bool
pkt_stmt_copy_allowed(PktBatchStmt *st)
{
	Relation	rel;
	bool		plain;

	if (st->copy_head == NULL || pkt_write_method != PKT_WRITE_AUTO)
		return false;
	if (!has_privs_of_role(OidIsValid(st->as_owner) ? st->as_owner : GetUserId(),
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

/* COPY the rows of a spool file into the statement's table; empty it. */
void
pkt_stmt_copy(PktBatchStmt *st, PktSpool *sp)
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
	if (OidIsValid(st->as_owner))
		pkt_owner_execute(st->as_owner, NULL, sql, 0, NULL, NULL, NULL, SPI_OK_UTILITY, 0);
	else
	{
		int			ret = SPI_execute(sql, false, 0);

		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "COPY into %s failed: %s", st->table, SPI_result_code_string(ret));
	}
	/* fewer when a BEFORE trigger skipped rows, as INSERT would */
	if (SPI_processed > (uint64) nrows)
		elog(ERROR, "COPY stored " UINT64_FORMAT " of " INT64_FORMAT " rows",
			 SPI_processed, nrows);
	pfree(sql);
}

/* INSERT (or upsert) nrows rows of values (row-major). */
void
pkt_stmt_insert(PktBatchStmt *st, int nrows, Datum *values, char *nulls)
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
		if (OidIsValid(st->as_owner))
			pkt_owner_execute(st->as_owner, st->plan, NULL, 1, NULL, &arg, NULL,
							  SPI_OK_INSERT, 0);
		else
		{
			int			ret = SPI_execute_plan(st->plan, &arg, NULL, false, 0);

			if (ret != SPI_OK_INSERT)
				elog(ERROR, "insert into %s failed: %s", st->table,
					 SPI_result_code_string(ret));
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

/* Write nrows rows of values (row-major) by COPY through sp if it may, else INSERT. */
void
pkt_stmt_execute(PktBatchStmt *st, PktSpool *sp, int nrows, Datum *values, char *nulls)
{
	if (nrows > 0 && pkt_stmt_copy_allowed(st))
	{
		pkt_spool_append(sp, st->ncols, st->types, nrows, values, nulls);
		pkt_stmt_copy(st, sp);
	}
	else
		pkt_stmt_insert(st, nrows, values, nulls);
}

void
pkt_stmt_free(PktBatchStmt *st)
{
	if (st != NULL && st->plan != NULL)
	{
		SPI_freeplan(st->plan);
		st->plan = NULL;
	}
}

/* ------------------------------------------------------------------------
 * The rows of packets.
 * ------------------------------------------------------------------------
 */
#define NCOLS 14

static const char packets_cols[] =
"capture_time, src_ip, dst_ip, ip_version, ip_proto, src_port, dst_port, "
"tcp_flags, packet_size, captured_size, vlan_id, interface, run_id, frame";

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
	BYTEAOID,					/* frame */
};

/* The frame kept of a row, in the run's ring; NULL if none. */
static const uint8 *
row_frame(const PktWriter *w, const PktRow *row)
{
	if (row->frame_len == 0 || w->frame_ring == NULL)
		return NULL;
	return w->frame_ring + row->frame_at % w->frame_ring_size;
}

/*
 * A writer of batches of at most batch rows; COPY (where allowed) goes
 * through the spool file, copied into packets once it holds copy_rows
 * rows (1: at every batch).
 */
void
pkt_writer_init(PktWriter *w, MemoryContext cxt, const char *ifname, int batch,
				int64 copy_rows)
{
	memset(w, 0, sizeof(*w));
	w->cxt = cxt;
	w->batch_cxt = AllocSetContextCreate(cxt, "pktcapture batch", ALLOCSET_DEFAULT_SIZES);
	w->ifname = ifname;
	w->batch = batch;
	w->copy_rows = copy_rows;
	pkt_spool_init(&w->spool, cxt);
}

/*
 * The interface of a row or a conversation: the capture's, or for "any"
 * the one its Linux cooked v2 ifindex names now (has_ifindex).  Rows from
 * files have none.  False if none; else buf (IF_NAMESIZE) holds it.
 */
bool
pkt_writer_ifname(PktWriter *w, bool has_ifindex, int32 ifindex, char *buf)
{
	if (w->ifname == NULL)
		return false;
	if (strcmp(w->ifname, "any") != 0)
	{
		strlcpy(buf, w->ifname, IF_NAMESIZE);
		return true;
	}
	if (!has_ifindex || ifindex <= 0)
		return false;
	for (int i = 0; i < w->nifnames; i++)
	{
		if (w->ifindex[i] == ifindex)
		{
			strlcpy(buf, w->ifname_of[i], IF_NAMESIZE);
			return buf[0] != '\0';
		}
	}
	/* a name the kernel gives is bytes: stored only if valid text here */
	if (if_indextoname(ifindex, buf) == NULL || !pg_verifymbstr(buf, strlen(buf), true))
		buf[0] = '\0';
	if (w->nifnames < lengthof(w->ifindex))
	{
		w->ifindex[w->nifnames] = ifindex;
		strlcpy(w->ifname_of[w->nifnames], buf, IF_NAMESIZE);
		w->nifnames++;
	}
	return buf[0] != '\0';
}

static bool
row_ifname(PktWriter *w, const PktRow *row, char *buf)
{
	return pkt_writer_ifname(w, (row->info.flags & PKT_F_IFINDEX) != 0, row->info.ifindex, buf);
}

/*
 * The rows, as the statement lists their columns: encoded straight from
 * the decoded packets for COPY, or as Datums for INSERT.  load.sql checks
 * that both store the same rows.
 */
static void
spool_packets(PktWriter *w, const PktRow *rows, int n, int32 run_id)
{
	StringInfo	s = pkt_spool_add_begin(&w->spool);
	int			lastifindex = -1;
	char		ifname[IF_NAMESIZE];
	int			ifnamelen = -1;	/* -1: NULL */
	int			stored = 0;
	const uint8 *frame;

	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		const PktInfo *info = &row->info;

		if (info->flags & PKT_F_NOT_STORED)
			continue;
		stored++;
		if (stored == 1 || info->ifindex != lastifindex)
		{
			lastifindex = info->ifindex;
			ifnamelen = row_ifname(w, row, ifname) ? strlen(ifname) : -1;
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
			pkt_copy_text(s, ifname, ifnamelen, 2);
		else
			pkt_copy_null(s);
		pkt_copy_int4(s, run_id);
		frame = row_frame(w, row);
		if (frame != NULL)
		{
			pkt_copy_bytea(s, frame, row->frame_len, 0);
			w->spool_frame_bytes += row->frame_len;
		}
		else
			pkt_copy_null(s);
	}
	pkt_spool_add_end(&w->spool, stored);
}

static int
insert_packets(PktWriter *w, const PktRow *rows, int n, int32 run_id)
{
	Datum	   *values;
	char	   *nulls;
	InetSlot   *addrs;
	int			lastifindex = -1;
	Datum		lastifname = (Datum) 0;
	bool		lastifnull = true;
	int			stored = 0;
	const uint8 *frame;

	if (w->values == NULL)
	{
		/* once per run: allocating per batch costs page faults */
		w->values = MemoryContextAllocHuge(w->cxt, sizeof(Datum) * NCOLS * (Size) w->batch);
		w->nulls = MemoryContextAllocHuge(w->cxt, NCOLS * (Size) w->batch);
		w->addrs = MemoryContextAllocHuge(w->cxt, sizeof(InetSlot) * 2 * (Size) w->batch);
	}
	values = w->values;
	nulls = w->nulls;
	addrs = w->addrs;
	memset(nulls, ' ', NCOLS * (Size) n);
	for (int r = 0; r < n; r++)
	{
		const PktRow *row = &rows[r];
		const PktInfo *info = &row->info;
		int			i = stored;
		inet	   *src = &addrs[2 * i].ip;
		inet	   *dst = &addrs[2 * i + 1].ip;
		Datum	   *v = values + (Size) NCOLS * i;
		char	   *nl = nulls + (Size) NCOLS * i;

		if (info->flags & PKT_F_NOT_STORED)
			continue;
		stored++;

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
			lastifnull = !row_ifname(w, row, name);
			lastifname = lastifnull ? (Datum) 0 : CStringGetTextDatum(name);
		}
		v[11] = lastifname;
		if (lastifnull)
			nl[11] = 'n';
		v[12] = Int32GetDatum(run_id);
		frame = row_frame(w, row);
		if (frame != NULL)
		{
			bytea	   *b = palloc(VARHDRSZ + row->frame_len);

			SET_VARSIZE(b, VARHDRSZ + row->frame_len);
			memcpy(VARDATA(b), frame, row->frame_len);
			v[13] = PointerGetDatum(b);
		}
		else
			nl[13] = 'n';
	}
	pkt_stmt_insert(w->stmt, stored, values, nulls);
	return stored;
}

/*
 * Write n rows (at most one batch) into packets, but those flagged
 * PKT_F_NOT_STORED, in the caller's transaction: by INSERT, or into the
 * spool file for COPY, which is copied into packets once it holds
 * copy_rows rows.  Returns the rows this call put into the table (rows in
 * the spool are not yet).
 */
int64
pkt_writer_write(PktWriter *w, const PktRow *rows, int n, int32 run_id)
{
	MemoryContext old;
	int64		stored = 0;

	Assert(n <= w->batch);
	if (n == 0)
		return 0;
	w->nifnames = 0;			/* interfaces come and go: look again */
	if (w->stmt == NULL)
	{
		Oid			relid;
		char	   *relname = pkt_ext_relname("packets", &relid);

		w->stmt = pkt_stmt_create(w->cxt, relname, relid, packets_cols, "", NCOLS,
								  packets_types, pkt_ext_owner());
	}
	old = MemoryContextSwitchTo(w->batch_cxt);
	if (w->spool.nrows > 0 || pkt_stmt_copy_allowed(w->stmt))
	{
		spool_packets(w, rows, n, run_id);
		if (w->spool.nrows >= w->copy_rows)
			stored = pkt_writer_flush(w);
	}
	else
	{
		stored = insert_packets(w, rows, n, run_id);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->batch_cxt);
	return stored;
}

/* COPY the rows in the spool file into packets; returns how many. */
int64
pkt_writer_flush(PktWriter *w)
{
	int64		n = w->spool.nrows;

	if (n > 0)
	{
		/* the spool starts again whatever COPY does */
		w->spool_frame_bytes = 0;
		pkt_stmt_copy(w->stmt, &w->spool);
	}
	return n;
}

/* Free what the writer keeps beyond its memory context. */
void
pkt_writer_release(PktWriter *w)
{
	pkt_stmt_free(w->stmt);
	pkt_spool_close(&w->spool);
}
