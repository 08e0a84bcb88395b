/*
 * pktop_snap.h: one refresh's worth of pkt_stats() and pkt_status(), read
 * from the text of result rows as libpq returns it.  No libpq here: a row
 * is an array of strings, NULL for SQL NULL, so tests need no server.
 */
#ifndef PKTOP_SNAP_H
#define PKTOP_SNAP_H

#include <stdbool.h>

#define SNAP_MAX_PROTO	256
#define SNAP_MAX_TOP	16
#define SNAP_MAX_MISC	16
#define SNAP_ITEM_LEN	64
#define SNAP_NOTE_LEN	160

/* Both views show the first TOP_SHOWN talkers of each direction. */
#define TOP_SHOWN		5

/* The columns of pktop_db.c's pkt_stats query, in its order */
enum
{
	STATS_SECTION, STATS_ITEM, STATS_PACKETS, STATS_BYTES, STATS_SHARE, STATS_NOTE,
	STATS_NCOLS
};

/* The columns of pktop_db.c's pkt_status query, in its order */
enum
{
	STATUS_STATE, STATUS_KIND, STATUS_FILTER, STATUS_ERROR, STATUS_PID,
	STATUS_STARTED, STATUS_STOPPED, STATUS_UPTIME, STATUS_BATCH_MS,
	STATUS_NCOLS
};

/* One row of pkt_stats, every field nullable. */
typedef struct Row
{
	char		item[SNAP_ITEM_LEN];
	bool		has_packets,
				has_bytes,
				has_share;
	long long	packets,
				bytes;
	double		share;
	char		note[SNAP_NOTE_LEN];
} Row;

/* What one refresh read from the server. */
typedef struct Snap
{
	bool		has_stats;		/* pkt_stats returned rows for the capture */
	bool		has_total,
				has_rate5,
				has_rate_all;
	Row			total,
				rate5,
				rate_all;
	Row			proto[SNAP_MAX_PROTO];
	int			nproto;
	Row			src[SNAP_MAX_TOP];
	int			nsrc;
	Row			dst[SNAP_MAX_TOP];
	int			ndst;
	Row			capture[SNAP_MAX_MISC];
	int			ncapture;
	Row			loss[SNAP_MAX_MISC];
	int			nloss;

	bool		has_status;
	char		state[24];
	char		kind[16];
	char		filter[256];
	char		error[256];
	char		started[32];	/* local time, HH:MM:SS or date */
	char		stopped[32];
	bool		has_pid;
	long long	pid;
	bool		has_uptime;
	double		uptime;			/* seconds */
	bool		has_batch_ms;
	double		batch_ms;
} Snap;

/* Reading: clear, then every pkt_stats row, then the pkt_status row. */
extern bool snap_parse_ll(const char *s, long long *out);
extern bool snap_parse_double(const char *s, double *out);
extern void snap_clear(Snap *s);
extern void snap_add_stats_row(Snap *s, const char *const *fields, bool utf8);
extern void snap_set_status(Snap *s, const char *const *fields, bool utf8);

/* What the views ask of a snapshot */
extern bool snap_active(const Snap *s);
extern bool snap_any_loss(const Snap *s);
extern bool snap_top_approx(const Snap *s, long long *max_error);
extern void snap_proto_rest(const Snap *s, int from, long long *packets,
							long long *bytes, double *share);

#endif							/* PKTOP_SNAP_H */
