/*
 * pktop_snap.h: one refresh's worth of pkt_stats(), pkt_status() and
 * pkt_flows_live(), read from the text of result rows as libpq returns
 * it.  No libpq here: a row is an array of strings, NULL for SQL NULL, so
 * tests need no server.
 */
#ifndef PKTOP_SNAP_H
#define PKTOP_SNAP_H

#include <stdbool.h>
#include <stddef.h>

#define SNAP_MAX_PROTO	256
#define SNAP_MAX_TOP	16
#define SNAP_MAX_MISC	16
#define SNAP_ITEM_LEN	64
#define SNAP_NOTE_LEN	160
#define SNAP_MAX_FLOWS	16		/* conversations read a refresh */
#define SNAP_ADDR_LEN	48		/* an IPv6 address takes 39 bytes at most */

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
	STATUS_LAG, STATUS_SPOOL_FRAMES, STATUS_SPOOL_BYTES,
	STATUS_NCOLS
};

/* The columns of pktop_db.c's pkt_flows_live query, in its order */
enum
{
	FLOWS_FROM, FLOWS_INTERVAL, FLOWS_SRC, FLOWS_DST, FLOWS_PROTO, FLOWS_SRC_PORT,
	FLOWS_DST_PORT, FLOWS_PACKETS, FLOWS_BYTES, FLOWS_REV_PACKETS, FLOWS_REV_BYTES,
	FLOWS_NCOLS
};

/* Whether a snapshot has the live conversations, or why not */
typedef enum SnapFlows
{
	SNAP_FLOWS_UNREAD,			/* not asked for */
	SNAP_FLOWS_READ,			/* pkt_flows_live's rows, if any */
	SNAP_FLOWS_MISSING,			/* no pkt_flows_live: pktcapture before 1.6 */
	SNAP_FLOWS_FAILED,			/* pkt_flows_live failed */
} SnapFlows;

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

/*
 * A live conversation of pkt_flows_live, every field nullable: src is
 * its initiator; [0] counts what src sent, [1] what came back.
 */
typedef struct Flow
{
	char		src[SNAP_ADDR_LEN],
				dst[SNAP_ADDR_LEN];
	char		proto[16];
	bool		has_src_port,
				has_dst_port;
	long long	src_port,
				dst_port;
	bool		has_packets[2],
				has_bytes[2];
	long long	packets[2],
				bytes[2];
} Flow;

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
	bool		has_spool;		/* a spool (pktcapture 1.8, spool_size set) */
	double		lag;			/* seconds the rows are behind the spool */
	long long	spool_frames;	/* frames spooled, not yet rows */
	long long	spool_bytes;

	SnapFlows	flows_state;
	char		flows_note[SNAP_NOTE_LEN];	/* the version (MISSING), why (FAILED) */
	char		flows_from[32]; /* the interval's start, local time */
	bool		has_flows_interval;
	double		flows_interval; /* the same, in seconds: which interval */
	Flow		flows[SNAP_MAX_FLOWS];	/* the busiest first */
	int			nflows;
} Snap;

/*
 * Reading: clear, then every pkt_stats row, then the pkt_status row, then
 * the state of the conversations and, when read, every pkt_flows_live row.
 */
extern bool snap_parse_ll(const char *s, long long *out);
extern bool snap_parse_double(const char *s, double *out);
extern void snap_clear(Snap *s);
extern void snap_add_stats_row(Snap *s, const char *const *fields, bool utf8);
extern void snap_set_status(Snap *s, const char *const *fields, bool utf8);
extern void snap_set_flows(Snap *s, SnapFlows state, const char *note, bool utf8);
extern void snap_add_flow_row(Snap *s, const char *const *fields, bool utf8);

/* What the views ask of a snapshot */
extern bool snap_active(const Snap *s);
extern bool snap_any_loss(const Snap *s);
extern bool snap_top_approx(const Snap *s, long long *max_error);
extern void snap_proto_rest(const Snap *s, int from, long long *packets,
							long long *bytes, double *share);
extern bool snap_flow_same(const Flow *a, const Flow *b);
extern void snap_flow_name(char *buf, size_t len, const Flow *f, int w, const char *mark);
extern void snap_flows_note(const Snap *s, char *buf, size_t len);

#endif							/* PKTOP_SNAP_H */
