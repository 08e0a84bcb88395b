/*-------------------------------------------------------------------------
 * pkt_store.c
 *		From decoded frames to counters, top talkers and rows in packets.
 *
 * One PktRun serves a live capture (in its worker) and a file load (in
 * the calling backend) alike: pkt_run_account() decodes a frame and
 * counts it, keeping IP packets as pending rows; pkt_run_write() sends
 * the pending rows to packets in one SPI statement over arrays, through
 * one plan kept for the whole run; pkt_run_publish() copies counters and
 * top talkers into the run's shared slot.  The caller owns transactions
 * and error handling.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <net/if.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pktcapture.h"

/*
 * Timestamps a pcap header may carry that timestamptz can hold (from
 * 1970 to the year 294276; libpcap's time_t is 64 bits).
 */
#define PKT_MAX_UNIX_SECONDS INT64CONST(9223371331200)

static void owner_execute(SPIPlanPtr plan, const char *sql, int nargs, Oid *argtypes,
						  Datum *args, const char *nulls, int expected, long tcount);

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
}

static void
addr_key(const PktInfo *info, const uint8 *addr, uint8 *key)
{
	memset(key, 0, PKT_TOPK_KEYLEN);
	key[0] = info->ip_version;
	memcpy(key + 1, addr, info->ip_version == 4 ? 4 : 16);
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
	run->c.frames++;
	run->c.frame_bytes += len;
	run->c.result_packets[r]++;
	run->c.result_bytes[r] += len;
	if (r != PKT_IP)
		return;

	sec = pkt_pcap_seconds(tv->tv_sec);
	if (sec < 0 || sec > PKT_MAX_UNIX_SECONDS ||
		tv->tv_usec < 0 || tv->tv_usec >= USECS_PER_SEC)
	{
		run->c.bad_time++;
		return;
	}

	run->c.proto_packets[info.ip_proto]++;
	run->c.proto_bytes[info.ip_proto] += len;
	if (info.flags & PKT_F_L4_TRUNCATED)
		run->c.l4_truncated++;
	addr_key(&info, info.src, key);
	pkt_topk_add(run->top_src, key, len);
	addr_key(&info, info.dst, key);
	pkt_topk_add(run->top_dst, key, len);
	run->top_dirty = true;

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

#define NCOLS 12

static const Oid col_types[NCOLS + 1] = {
	TIMESTAMPTZARRAYOID,		/* capture_time */
	INETARRAYOID,				/* src_ip */
	INETARRAYOID,				/* dst_ip */
	INT2ARRAYOID,				/* ip_version */
	INT2ARRAYOID,				/* ip_proto */
	INT4ARRAYOID,				/* src_port */
	INT4ARRAYOID,				/* dst_port */
	INT2ARRAYOID,				/* tcp_flags */
	INT4ARRAYOID,				/* packet_size */
	INT4ARRAYOID,				/* captured_size */
	INT2ARRAYOID,				/* vlan_id */
	TEXTARRAYOID,				/* interface */
	INT4OID,					/* run_id, the same for every row */
};

static SPIPlanPtr
prepare_insert(void)
{
	Oid			relid;
	char	   *relname = pkt_ext_relname("packets", &relid);
	StringInfoData sql;
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s (capture_time, src_ip, dst_ip, ip_version, ip_proto, "
					 "src_port, dst_port, tcp_flags, packet_size, captured_size, vlan_id, interface, "
					 "run_id) "
					 "SELECT u.*, $13 FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
					 "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
					 "pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
					 "pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
					 "pg_catalog.unnest($12)) AS u",
					 relname);
	plan = SPI_prepare(sql.data, NCOLS + 1, (Oid *) col_types);
	if (plan == NULL)
		elog(ERROR, "could not prepare insert into %s: %s", relname,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep the insert plan");
	pfree(sql.data);
	return plan;
}

static Datum
make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
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

/*
 * The per-minute summaries behind pkt_report(), from the arrays of the
 * batch just inserted, in the same transaction: they never disagree with
 * the rows.  Written with the extension owner's rights (pktcapture's own
 * bookkeeping).  Every name is schema-qualified and every operator is
 * pg_catalog's, so no search_path can change what these statements do.
 */
#define MINUTE_OF(col) \
	"pg_catalog.date_bin('1 minute'::pg_catalog.interval, " col ", " \
	"'2000-01-01 00:00:00+00'::pg_catalog.timestamptz)"
#define PLUS " OPERATOR(pg_catalog.+) "

static const Oid summary_types[6] = {
	TIMESTAMPTZARRAYOID, INETARRAYOID, INT4ARRAYOID, INT4OID, INETARRAYOID,
	INT2ARRAYOID
};

static SPIPlanPtr
prepare_summary(const char *table)
{
	Oid			relid;
	char	   *relname = pkt_ext_relname(table, &relid);
	StringInfoData sql;
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	if (strcmp(table, "pkt_summary") == 0)
		appendStringInfo(&sql,
						 "INSERT INTO %s AS s (minute, run_id, ip_proto, packets, bytes, first_seen, last_seen) "
						 "SELECT " MINUTE_OF("u.t") ", $4, u.p, pg_catalog.count(*), pg_catalog.sum(u.l), "
						 "pg_catalog.min(u.t), pg_catalog.max(u.t) "
						 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($6), pg_catalog.unnest($3)) "
						 "AS u(t, p, l) GROUP BY 1, 3 "
						 "ON CONFLICT (minute, run_id, ip_proto) DO UPDATE SET "
						 "packets = s.packets" PLUS "excluded.packets, "
						 "bytes = s.bytes" PLUS "excluded.bytes, "
						 "first_seen = LEAST(s.first_seen, excluded.first_seen), "
						 "last_seen = GREATEST(s.last_seen, excluded.last_seen)",
						 relname);
	else
		appendStringInfo(&sql,
						 "INSERT INTO %s AS s (minute, run_id, direction, addr, packets, bytes) "
						 "SELECT " MINUTE_OF("u.t") ", $4, d.dir, d.addr, pg_catalog.count(*), "
						 "pg_catalog.sum(u.l) "
						 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
						 "pg_catalog.unnest($5), pg_catalog.unnest($3)) AS u(t, src, dst, l) "
						 "CROSS JOIN LATERAL (VALUES ('s'::pg_catalog.\"char\", u.src), "
						 "('d'::pg_catalog.\"char\", u.dst)) AS d(dir, addr) "
						 "GROUP BY 1, 3, 4 "
						 "ON CONFLICT (minute, run_id, direction, addr) DO UPDATE SET "
						 "packets = s.packets" PLUS "excluded.packets, "
						 "bytes = s.bytes" PLUS "excluded.bytes",
						 relname);
	plan = SPI_prepare(sql.data, lengthof(summary_types), (Oid *) summary_types);
	if (plan == NULL)
		elog(ERROR, "could not prepare the update of %s: %s", relname,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep the summary plan");
	pfree(sql.data);
	return plan;
}

static void
write_summaries(PktRun *run, Datum *cols)
{
	Datum		args[6];

	if (run->summary_plan[0] == NULL)
	{
		run->summary_plan[0] = prepare_summary("pkt_summary");
		run->summary_plan[1] = prepare_summary("pkt_summary_addr");
	}
	args[0] = cols[0];			/* capture_time */
	args[1] = cols[1];			/* src_ip */
	args[2] = cols[8];			/* packet_size */
	args[3] = Int32GetDatum(run->run_id);
	args[4] = cols[2];			/* dst_ip */
	args[5] = cols[4];			/* ip_proto */
	owner_execute(run->summary_plan[0], NULL, 0, NULL, args, NULL, SPI_OK_INSERT, 0);
	owner_execute(run->summary_plan[1], NULL, 0, NULL, args, NULL, SPI_OK_INSERT, 0);
}

/*
 * Write up to one batch of pending rows in one statement.  The caller has
 * connected SPI inside a transaction with an active snapshot; an error
 * propagates with the rows still pending, so the caller may retry them.
 */
void
pkt_run_write(PktRun *run)
{
	int			n = Min(run->nrows - run->first, run->batch);
	const PktRow *rows = run->rows + run->first;
	MemoryContext old;
	Datum		args[NCOLS + 1];
	Datum	   *col[NCOLS];
	bool	   *colnull[NCOLS];
	inet	   *addrs;
	int			lastifindex = -1;
	Datum		lastifname = (Datum) 0;
	bool		lastifnull = true;
	TimestampTz start;
	int			ret;

	if (n == 0)
		return;
	start = GetCurrentTimestamp();
	run->nifnames = 0;			/* interfaces come and go: look again */
	if (run->plan == NULL)
		run->plan = prepare_insert();

	old = MemoryContextSwitchTo(run->flush_cxt);
	for (int c = 0; c < NCOLS; c++)
	{
		col[c] = palloc(sizeof(Datum) * n);
		colnull[c] = palloc0(sizeof(bool) * n);
	}
	addrs = palloc0(sizeof(inet) * 2 * (Size) n);

	for (int i = 0; i < n; i++)
	{
		const PktRow *row = &rows[i];
		const PktInfo *info = &row->info;
		inet	   *src = &addrs[2 * i];
		inet	   *dst = &addrs[2 * i + 1];
		int			alen = info->ip_version == 4 ? 4 : 16;

		ip_family(src) = ip_family(dst) =
			info->ip_version == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
		ip_bits(src) = ip_bits(dst) = alen * 8;
		memcpy(ip_addr(src), info->src, alen);
		memcpy(ip_addr(dst), info->dst, alen);
		SET_INET_VARSIZE(src);
		SET_INET_VARSIZE(dst);

		col[0][i] = TimestampTzGetDatum(row->ts);
		col[1][i] = InetPGetDatum(src);
		col[2][i] = InetPGetDatum(dst);
		col[3][i] = Int16GetDatum(info->ip_version);
		col[4][i] = Int16GetDatum(info->ip_proto);
		colnull[5][i] = colnull[6][i] = !(info->flags & PKT_F_PORTS);
		col[5][i] = Int32GetDatum(info->src_port);
		col[6][i] = Int32GetDatum(info->dst_port);
		colnull[7][i] = !(info->flags & PKT_F_TCP_FLAGS);
		col[7][i] = Int16GetDatum(info->tcp_flags);
		col[8][i] = Int32GetDatum((int32) Min(row->len, PG_INT32_MAX));
		col[9][i] = Int32GetDatum((int32) Min(row->caplen, PG_INT32_MAX));
		colnull[10][i] = !(info->flags & PKT_F_VLAN);
		col[10][i] = Int16GetDatum(info->vlan_id);

		if (i == 0 || info->ifindex != lastifindex)
		{
			char		name[IF_NAMESIZE];

			lastifindex = info->ifindex;
			lastifnull = !row_ifname(run, row, name);
			lastifname = lastifnull ? (Datum) 0 : CStringGetTextDatum(name);
		}
		col[11][i] = lastifname;
		colnull[11][i] = lastifnull;
	}

	args[0] = make_array(col[0], NULL, n, TIMESTAMPTZOID);
	args[1] = make_array(col[1], NULL, n, INETOID);
	args[2] = make_array(col[2], NULL, n, INETOID);
	args[3] = make_array(col[3], NULL, n, INT2OID);
	args[4] = make_array(col[4], NULL, n, INT2OID);
	args[5] = make_array(col[5], colnull[5], n, INT4OID);
	args[6] = make_array(col[6], colnull[6], n, INT4OID);
	args[7] = make_array(col[7], colnull[7], n, INT2OID);
	args[8] = make_array(col[8], NULL, n, INT4OID);
	args[9] = make_array(col[9], NULL, n, INT4OID);
	args[10] = make_array(col[10], colnull[10], n, INT2OID);
	args[11] = make_array(col[11], colnull[11], n, TEXTOID);
	args[12] = Int32GetDatum(run->run_id);
	MemoryContextSwitchTo(old);

	ret = SPI_execute_plan(run->plan, args, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "insert into packets failed: %s", SPI_result_code_string(ret));
	write_summaries(run, args);
	MemoryContextReset(run->flush_cxt);

	/* the ledger moves in the same transaction as the rows it counts */
	pkt_ledger_update(run, run->c.stored + n, NULL, NULL);

	run->c.stored += n;
	run->c.pending -= n;
	run->first += n;
	if (run->first == run->nrows)
		run->first = run->nrows = 0;
	run->last_flush_at = GetCurrentTimestamp();
	run->last_flush_ms = (double) (run->last_flush_at - start) / 1000.0;
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
owner_execute(SPIPlanPtr plan, const char *sql, int nargs, Oid *argtypes,
			  Datum *args, const char *nulls, int expected, long tcount)
{
	Oid			save_userid;
	int			save_sec;
	Oid			nspoid;
	Oid			owner;
	volatile int ret = 0;

	extension_info(extension_oid(), &nspoid, &owner);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (plan != NULL)
			ret = SPI_execute_plan(plan, args, nulls, false, tcount);
		else
			ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, tcount);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	if (ret != expected)
		elog(ERROR, "could not update pktcapture's bookkeeping: %s",
			 SPI_result_code_string(ret));
}

static void
ledger_execute(const char *sql, int nargs, Oid *argtypes, Datum *args,
			   const char *nulls, int expected, long tcount)
{
	owner_execute(NULL, sql, nargs, argtypes, args, nulls, expected, tcount);
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
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
	bool		isnull;

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

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s SET state = 'interrupted' "
					 "WHERE state = 'running' AND run_id <> ALL ($1)", relname);
	args[0] = PointerGetDatum(construct_array(live, nlive, INT4OID, 4, true, TYPALIGN_INT));
	ledger_execute(sql.data, 1, (Oid[]) {INT4ARRAYOID}, args, NULL, SPI_OK_UPDATE, 0);

	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s (kind, source, filter, started_at, state) "
					 "VALUES ($1, $2, $3, $4, 'running') RETURNING run_id", relname);
	args[0] = CStringGetTextDatum(kind);
	args[1] = CStringGetTextDatum(source);
	args[2] = filter ? CStringGetTextDatum(filter) : (Datum) 0;
	nulls[2] = filter ? ' ' : 'n';
	args[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	ledger_execute(sql.data, 4, argtypes, args, nulls, SPI_OK_INSERT_RETURNING, 1);
	run->run_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
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
	Datum		args[15];
	char		nulls[15];
	Oid			argtypes[15];

	if (run->run_id <= 0)
		return;
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
						 "error = coalesce($15, error) "
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
	args[8] = Int64GetDatum((int64) (c->result_packets[PKT_MALFORMED] + c->bad_time));
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

	ledger_execute(run->ledger_sql, 15, argtypes, args, nulls, SPI_OK_UPDATE, 0);
}

/* Free what a run keeps beyond its memory context: its saved plans. */
void
pkt_run_release(PktRun *run)
{
	if (run->plan)
		SPI_freeplan(run->plan);
	for (int i = 0; i < lengthof(run->summary_plan); i++)
	{
		if (run->summary_plan[i])
			SPI_freeplan(run->summary_plan[i]);
	}
	run->plan = run->summary_plan[0] = run->summary_plan[1] = NULL;
}
