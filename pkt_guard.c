/*-------------------------------------------------------------------------
 * pkt_guard.c
 *		The disk guard: is there room for a batch on the filesystems of
 *		packets' tablespace and of pg_wal, above pktcapture.min_free_space?
 *
 * A capture must never fill the server's disk: the other tables of the
 * database must stay writable, the ledger's writes must fit, and WAL must
 * always find room (the server PANICs when it cannot write WAL).  Before
 * each batch, the writer asks whether the batch fits above the reserve on
 * both filesystems (statvfs: the space the postgres user may use), with
 * PKT_GUARD_ROW_BYTES a row.  If not, the capture drops its oldest
 * partitions (pkt_partition.c) and, with none left, stops storing rows,
 * counting them as not stored by the disk guard, until space returns.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/statvfs.h>

#include "catalog/pg_tablespace_d.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "miscadmin.h"

#include "pkt_guard.h"
#include "pkt_guc.h"

/*
 * The directory of a tablespace (0: the database's), relative to the data
 * directory.
 */
void
pkt_guard_init(PktGuard *g, Oid tablespace)
{
	if (!OidIsValid(tablespace))
		tablespace = MyDatabaseTableSpace;
	if (tablespace == DEFAULTTABLESPACE_OID || !OidIsValid(tablespace))
		strlcpy(g->table_dir, "base", sizeof(g->table_dir));
	else
		snprintf(g->table_dir, sizeof(g->table_dir), "pg_tblspc/%u", tablespace);
	g->free = INT64_MAX;
	g->wal_tight = false;
	g->state = PKT_GUARD_OK;
}

/*
 * Bytes above the reserve on the filesystem of path; INT64_MAX if unknown.
 * A guard that holds wants a margin above it too, a quarter of the reserve
 * up to PKT_GUARD_RESUME_BYTES: space that comes back by the few MB (a
 * checkpoint recycling WAL) would end the hold for a moment, and the next
 * batch would start another.
 */
static int64
free_above_reserve(const char *path, bool holding)
{
	struct statvfs st;
	double		total;
	double		avail;
	double		reserve;

	if (statvfs(path, &st) != 0)
		return INT64_MAX;
	total = (double) st.f_blocks * st.f_frsize;
	avail = (double) st.f_bavail * st.f_frsize;
	reserve = Max(pkt_min_free_fraction * total, (double) pkt_min_free_bytes);
	if (holding)
		reserve += Min(reserve / 4, (double) PKT_GUARD_RESUME_BYTES);
	return (int64) (avail - reserve);
}

/* Bytes above the reserve on the filesystem of path (the spool's). */
int64
pkt_guard_free(const char *path)
{
	return free_above_reserve(path, false);
}

/*
 * Is there room for bytes more on both filesystems (with the margin of a
 * guard that holds)?  g says how much.
 */
bool
pkt_guard_room(PktGuard *g, int64 bytes)
{
	bool		holding = g->state == PKT_GUARD_HOLDING;
	int64		table = free_above_reserve(g->table_dir, holding);
	int64		wal = free_above_reserve(XLOGDIR, holding);

	/*
	 * The batch's WAL may start a new segment, which takes wal_segment_size
	 * at once: counted with full frames, a capture went 2 MB below the
	 * reserve when one was made.
	 */
	if (wal != INT64_MAX)
		wal -= wal_segment_size;

	g->wal_tight = wal < table;
	g->free = Min(table, wal);
	return g->free >= bytes;
}

const char *
pkt_guard_state_name(int state)
{
	switch (state)
	{
		case PKT_GUARD_OK:
			return "ok";
		case PKT_GUARD_DROPPING:
			return "dropping partitions";
		case PKT_GUARD_HOLDING:
			return "not storing";
	}
	return "unknown";
}
