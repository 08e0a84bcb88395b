/*-------------------------------------------------------------------------
 * pkt_partition.c
 *		The partitions of packets: routing a batch's rows to partitions
 *		that exist, counting their rows per run, and the maintenance that
 *		makes partitions ahead and drops them (retention, disk guard).
 *
 * packets is partitioned by range of capture_time, one partition per
 * pktcapture.partition_span (aligned on pkt_bucket.h's epoch).  The
 * partitions of now and of the next pktcapture.partitions_ahead spans are
 * made ahead by the captures' maintenance, off the hot path; a batch with
 * rows of another time (a capture file of 2009) has their partitions made
 * by its writer first, up to pktcapture.max_partitions, beyond which its
 * rows are counted as not stored.  A partition is made apart and attached
 * (packets is locked in SHARE UPDATE EXCLUSIVE mode only: inserts and
 * queries go on); dropping one locks packets in ACCESS EXCLUSIVE mode, so
 * it is tried within a short lock_timeout and tried again later rather
 * than keep captures and queries waiting behind it.  The SQL of these
 * steps is in the extension's script (pkt_partition_create() and the
 * others), run with the extension owner's rights.
 *
 * The writer counts each batch's rows per partition and run in
 * pkt_partition_rows, in the batch's transaction, so that a partition's
 * drop knows what it removes from each run without reading it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_partition.h"

#define MAX_MISSING 1024		/* partitions one batch may ask for */

/*
 * The start of the span of pktcapture.partition_span that holds t, as
 * pkt_partition_create() counts them (pkt_bucket.h).
 */
TimestampTz
pkt_span_start(TimestampTz t)
{
	return pkt_bucket_start(t, (int64) pkt_partition_span_min * 60 * USECS_PER_SEC);
}

void
pkt_parts_init(PktParts *p, MemoryContext cxt)
{
	memset(p, 0, sizeof(*p));
	p->cxt = cxt;
	p->last = -1;
}

/* The known range holding t, or -1. */
static int
find_range(PktParts *p, TimestampTz t)
{
	int			lo = 0;
	int			hi = p->n;

	if (p->last >= 0 && p->ranges[p->last].start <= t && t < p->ranges[p->last].end)
		return p->last;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (p->ranges[mid].end <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->n && p->ranges[lo].start <= t)
		return p->last = lo;
	return -1;
}

static void
add_range(PktParts *p, TimestampTz start, TimestampTz end)
{
	int			i;

	if (find_range(p, start) >= 0)
		return;
	if (p->n == p->cap)
	{
		p->cap = Max(16, p->cap * 2);
		p->ranges = p->ranges ?
			repalloc(p->ranges, sizeof(PktPartRange) * p->cap) :
			MemoryContextAlloc(p->cxt, sizeof(PktPartRange) * p->cap);
	}
	for (i = p->n; i > 0 && p->ranges[i - 1].start > start; i--)
		p->ranges[i] = p->ranges[i - 1];
	p->ranges[i].start = start;
	p->ranges[i].end = end;
	p->n++;
	p->last = -1;
}

/* Add the ranges (range_start, range_end) a query of the caller returned. */
static void
add_result_ranges(PktParts *p)
{
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		null1;
		bool		null2;
		Datum		s = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &null1);
		Datum		e = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null2);

		if (!null1 && !null2)
			add_range(p, DatumGetTimestampTz(s), DatumGetTimestampTz(e));
	}
}

static int
ts_cmp(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return x < y ? -1 : x > y;
}

/*
 * Make sure every row of the batch has its partition, making those that
 * are missing; flag with PKT_F_NOT_STORED the rows that cannot have one
 * (pktcapture.max_partitions).  In the caller's transaction, connected to
 * SPI.  Returns the rows flagged.
 */
int
pkt_parts_route(PktParts *p, PktRow *rows, int n, Oid owner)
{
	TimestampTz *missing = NULL;
	int			nmissing = 0;
	int			rejected = 0;

	if (p->n == 0)
	{
		/* what there is, at first and after a failed batch */
		char	   *sql = psprintf("SELECT range_start, range_end FROM %s.pkt_partitions "
								   "WHERE dropped_at IS NULL", pkt_ext_schema());

		pkt_owner_execute(owner, NULL, sql, 0, NULL, NULL, NULL, SPI_OK_SELECT, 0);
		add_result_ranges(p);
	}
	for (int i = 0; i < n; i++)
	{
		TimestampTz t = rows[i].ts;

		rows[i].info.flags &= ~PKT_F_NOT_STORED;
		if (find_range(p, t) >= 0)
			continue;
		if (missing == NULL)
			missing = palloc(sizeof(TimestampTz) * MAX_MISSING);
		t = pkt_span_start(t);
		if (nmissing < MAX_MISSING && (nmissing == 0 || missing[nmissing - 1] != t))
			missing[nmissing++] = t;
	}
	if (nmissing > 0)
	{
		Datum		arg;
		Oid			argtype = TIMESTAMPTZARRAYOID;
		char	   *sql = psprintf("SELECT * FROM %s.pkt_partition_create($1)", pkt_ext_schema());
		Datum	   *d = palloc(sizeof(Datum) * nmissing);
		int			nd = 0;

		qsort(missing, nmissing, sizeof(TimestampTz), ts_cmp);
		for (int i = 0; i < nmissing; i++)
			if (i == 0 || missing[i] != missing[i - 1])
				d[nd++] = TimestampTzGetDatum(missing[i]);
		arg = PointerGetDatum(construct_array(d, nd, TIMESTAMPTZOID, 8, true, TYPALIGN_DOUBLE));
		pkt_owner_execute(owner, NULL, sql, 1, &argtype, &arg, NULL, SPI_OK_SELECT, 0);
		add_result_ranges(p);
	}
	for (int i = 0; i < n && nmissing > 0; i++)
	{
		if (find_range(p, rows[i].ts) < 0)
		{
			rows[i].info.flags |= PKT_F_NOT_STORED;
			rejected++;
		}
	}
	return rejected;
}

static const Oid count_types[3] = {TIMESTAMPTZOID, INT4OID, INT8OID};

/*
 * Add the batch's stored rows (those not flagged) to pkt_partition_rows, per
 * partition, in the caller's transaction.
 */
void
pkt_parts_count(PktParts *p, const PktRow *rows, int n, int32 run_id, Oid owner)
{
	int64	   *counts = palloc0(sizeof(int64) * Max(p->n, 1));
	Datum	   *values;
	char	   *nulls;
	int			nrows = 0;

	for (int i = 0; i < n; i++)
	{
		int			r;

		if (rows[i].info.flags & PKT_F_NOT_STORED)
			continue;
		r = find_range(p, rows[i].ts);
		Assert(r >= 0);
		counts[r]++;
	}
	values = palloc(sizeof(Datum) * 3 * Max(p->n, 1));
	nulls = palloc(3 * Max(p->n, 1));
	memset(nulls, ' ', 3 * Max(p->n, 1));
	for (int r = 0; r < p->n; r++)
	{
		if (counts[r] == 0)
			continue;
		values[3 * nrows] = TimestampTzGetDatum(p->ranges[r].start);
		values[3 * nrows + 1] = Int32GetDatum(run_id);
		values[3 * nrows + 2] = Int64GetDatum(counts[r]);
		nrows++;
	}
	if (nrows == 0)
		return;
	if (p->count_stmt == NULL)
	{
		Oid			relid;
		char	   *relname = pkt_ext_relname("pkt_partition_rows", &relid);

		p->count_stmt = pkt_stmt_create(p->cxt, relname, relid, "range_start, run_id, rows",
										" ON CONFLICT (range_start, run_id) DO UPDATE SET "
										"rows = s.rows OPERATOR(pg_catalog.+) excluded.rows",
										3, count_types, owner);
	}
	pkt_stmt_insert(p->count_stmt, nrows, values, nulls);
}

/* The partitions may have changed (a batch failed): look again next time. */
void
pkt_parts_forget(PktParts *p)
{
	p->n = 0;
	p->last = -1;
}

void
pkt_parts_release(PktParts *p)
{
	pkt_stmt_free(p->count_stmt);
}

/* ------------------------------------------------------------------------
 * Maintenance: each function runs one step in the caller's transaction
 * (connected to SPI), as the extension's owner.
 * ------------------------------------------------------------------------
 */

/* SELECT schema.func(args) as the owner; the first column of its first row. */
static Datum
owner_call(const char *call, int nargs, Oid *argtypes, Datum *args, bool *isnull)
{
	char	   *sql = psprintf("SELECT %s.%s", pkt_ext_schema(), call);

	pkt_owner_execute(pkt_ext_owner(), NULL, sql, nargs, argtypes, args, NULL,
					  SPI_OK_SELECT, 0);
	*isnull = true;
	if (SPI_processed == 0)
		return (Datum) 0;
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

/* Partitions of now and of the next spans; returns how many were made. */
int
pkt_parts_ahead(void)
{
	bool		isnull;
	Datum		d = owner_call("pkt_partitions_ahead()", 0, NULL, NULL, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/* The SQL functions that keep each table's partitions. */
static const struct
{
	const char *expired;
	const char *drop;
	const char *drop_oldest;
}			table_fn[] = {
	[PKT_TABLE_PACKETS] = {"pkt_partitions_expired()", "pkt_partition_drop($1, $2)",
	"pkt_partition_drop_oldest($1, $2)"},
	[PKT_TABLE_FLOWS] = {"pkt_flow_partitions_expired()", "pkt_flow_partition_drop($1, $2)",
	"pkt_flow_partition_drop_oldest($1, $2)"},
};

/*
 * The partitions of the table past its retention (pktcapture.retention,
 * pktcapture.flow_retention), oldest first (palloc'd names).
 */
List *
pkt_parts_expired(PktTable t)
{
	char	   *sql = psprintf("SELECT * FROM %s.%s", pkt_ext_schema(), table_fn[t].expired);
	List	   *names = NIL;

	pkt_owner_execute(pkt_ext_owner(), NULL, sql, 0, NULL, NULL, NULL, SPI_OK_SELECT, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (name != NULL)
			names = lappend(names, name);
	}
	return names;
}

/*
 * Drop one partition (why: 'retention' or 'disk guard'); returns the rows
 * it held.  An error (lock_timeout) leaves it for later.
 */
int64
pkt_parts_drop(PktTable t, const char *relname, const char *why)
{
	Oid			argtypes[2] = {NAMEOID, TEXTOID};
	Datum		args[2];
	bool		isnull;
	Datum		d;

	args[0] = DirectFunctionCall1(namein, CStringGetDatum(relname));
	args[1] = CStringGetTextDatum(why);
	d = owner_call(table_fn[t].drop, 2, argtypes, args, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Drop the oldest partition holding rows that ends before before; false if
 * there is none.  *rows: the rows it held.
 */
bool
pkt_parts_drop_oldest(PktTable t, TimestampTz before, const char *why, int64 *rows)
{
	Oid			argtypes[2] = {TIMESTAMPTZOID, TEXTOID};
	Datum		args[2];
	bool		isnull;
	Datum		d;

	args[0] = TimestampTzGetDatum(before);
	args[1] = CStringGetTextDatum(why);
	d = owner_call(table_fn[t].drop_oldest, 2, argtypes, args, &isnull);
	*rows = isnull ? 0 : DatumGetInt64(d);
	return !isnull;
}

/* Summaries past pktcapture.summary_retention; returns the rows removed. */
int64
pkt_summaries_expire(void)
{
	bool		isnull;
	Datum		d = owner_call("pkt_summaries_expire()", 0, NULL, NULL, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}
