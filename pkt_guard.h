/*-------------------------------------------------------------------------
 * pkt_guard.h
 *		The disk guard: free space on the filesystems a capture writes to
 *		(pkt_guard.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_GUARD_H
#define PKT_GUARD_H

/* Bytes a row may take on disk: heap, indexes and WAL, full pages included. */
#define PKT_GUARD_ROW_BYTES 512

/*
 * Bytes on disk per byte of a frame kept: once in the heap, once in the
 * WAL, and room for the full pages a checkpoint makes the WAL take again.
 * Counted once, a capture of full frames went 3 MB below the guard's
 * reserve (the retention suite's guard-frames section).
 */
#define PKT_GUARD_FRAME_FACTOR 3

/* At most this much above the reserve before a guard that holds lets rows in */
#define PKT_GUARD_RESUME_BYTES ((int64) 64 * 1024 * 1024)

typedef enum PktGuardState
{
	PKT_GUARD_OK = 0,
	PKT_GUARD_DROPPING,			/* dropping the oldest partitions for space */
	PKT_GUARD_HOLDING			/* nothing left to drop: rows are not stored */
} PktGuardState;

/* Where a run's rows go, what the last check found, and what it did. */
typedef struct PktGuard
{
	char		table_dir[64];	/* of packets' tablespace, relative to the data directory */
	int64		free;			/* bytes above the reserve, on the tighter filesystem */
	bool		wal_tight;		/* pg_wal's is that one */
	PktGuardState state;
} PktGuard;

extern void pkt_guard_init(PktGuard *g, Oid tablespace);
extern bool pkt_guard_room(PktGuard *g, int64 bytes);
extern const char *pkt_guard_state_name(int state);
extern int64 pkt_guard_free(const char *path);

#endif							/* PKT_GUARD_H */
