/*-------------------------------------------------------------------------
 * pktcapture.h
 *		Shared declarations of the pktcapture extension.
 *
 * Shared memory holds plain data only: one PktSlot per capture (running,
 * or the last one on that interface or file), guarded by one LWLock.
 * A condition variable tells waiting backends when a slot changes state.
 *-------------------------------------------------------------------------
 */
#ifndef PKTCAPTURE_H
#define PKTCAPTURE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "lib/stringinfo.h"
#include "storage/fd.h"
#include "storage/lwlock.h"
#include "utils/inet.h"

#include <net/if.h>
#include <pcap/pcap.h>

#include "pkt_decode.h"
#include "pkt_topk.h"

#define PKT_NAME_LEN	256		/* interface name, or file path as shown */
#define PKT_FILTER_LEN	1024	/* BPF filter text */
#define PKT_ERROR_LEN	256
#define PKT_TOP_SHARED	10		/* top talkers published per direction */
#define PKT_RATE_WINDOW_MS 5000 /* "last few seconds" of the rates */
#define PKT_RATE_SAMPLES 32		/* ring of publish-time samples */
#define PKT_LOAD_COPY_ROWS 1000000	/* rows per COPY statement of a file load */
#define PKT_LOAD_READ_BUFFER (1024 * 1024)	/* stdio buffer of a file load */

typedef enum PktOpenError
{
	PKT_OPEN_OK = 0,
	PKT_OPEN_NO_DEVICE,
	PKT_OPEN_PERM,
	PKT_OPEN_FILTER,
	PKT_OPEN_SETUP,				/* the worker could not prepare its writes */
	PKT_OPEN_OTHER
} PktOpenError;

typedef enum PktState
{
	PKT_STATE_FREE = 0,
	PKT_STATE_STARTING,			/* worker registered, pcap not yet open */
	PKT_STATE_RUNNING,
	PKT_STATE_STOPPING,			/* stop requested, rows being written */
	PKT_STATE_STOPPED,
	PKT_STATE_FAILED
} PktState;

/* Counters of one capture; the invariants are in README "Statistics". */
typedef struct PktCounters
{
	uint64		frames;			/* every frame libpcap handed us */
	uint64		frame_bytes;
	uint64		result_packets[PKT_NRESULTS];	/* by PktResult */
	uint64		result_bytes[PKT_NRESULTS];
	uint64		stored;			/* rows committed */
	uint64		pending;		/* rows decoded, not yet committed */
	uint64		not_stored;		/* rows given up on */
	uint64		bad_time;		/* IP packets whose timestamp is out of range */
	uint64		l4_truncated;	/* stored, but without ports */
	uint64		kernel_dropped; /* pcap_stats ps_drop */
	uint64		if_dropped;		/* pcap_stats ps_ifdrop */
	uint64		proto_packets[256];
	uint64		proto_bytes[256];
} PktCounters;

typedef struct PktSharedTop
{
	int			n;
	bool		approximate;
	uint64		error_bound;
	PktTopKItem items[PKT_TOP_SHARED];
} PktSharedTop;

typedef struct PktSlot
{
	PktState	state;
	bool		is_file;		/* pkt_load rather than a live capture */
	bool		autostart;		/* started by the launcher, which restarts it */
	bool		stop_requested;
	uint32		generation;		/* bumped at each reuse of the slot */
	int32		run_id;			/* its row in pkt_runs */
	int			pid;
	Oid			dboid;
	Oid			roleoid;
	char		name[PKT_NAME_LEN];
	char		filter[PKT_FILTER_LEN];
	int			snaplen;
	int			buffer_kb;
	bool		promisc;
	int			linktype;
	TimestampTz started_at;
	TimestampTz stopped_at;
	TimestampTz last_flush_at;
	double		last_flush_ms;
	PktOpenError open_error;	/* why a worker could not start */
	char		error[PKT_ERROR_LEN];
	PktCounters c;
	PktSharedTop top_src;
	PktSharedTop top_dst;
	double		rate_pps;		/* IP packets/s over the last PKT_RATE_WINDOW_MS */
	double		rate_Bps;		/* their bytes/s */
} PktSlot;

typedef struct PktShared
{
	LWLock	   *lock;
	ConditionVariable cv;
	int			nslots;
	PktSlot		slots[FLEXIBLE_ARRAY_MEMBER];
} PktShared;

/* GUCs */
extern int	pkt_max_captures;
extern int	pkt_batch_size;
extern int	pkt_flush_interval_ms;
extern int	pkt_snaplen;
extern int	pkt_buffer_kb;
extern bool pkt_promiscuous;
extern int	pkt_log_interval_s;
extern int	pkt_top_capacity;
extern int	pkt_max_pending_rows;
extern int	pkt_write_method;
extern int	pkt_summary_interval_ms;
extern int	pkt_worker_nice;

/* pktcapture.write_method */
typedef enum PktWriteMethod
{
	PKT_WRITE_AUTO,				/* COPY where allowed, else INSERT */
	PKT_WRITE_INSERT			/* INSERT ... SELECT only */
} PktWriteMethod;

extern PktShared *pkt_shared;

/*
 * Room for an inet: inet itself is 22 bytes with no alignment, and its
 * 4-byte length word must be aligned (also in arrays of them).
 */
typedef union InetSlot
{
	inet		ip;
	int32		align;
} InetSlot;

/*
 * What one capture (live or file) keeps in its own memory: the counters
 * and top talkers it publishes, and the rows not yet written.
 */
typedef struct PktRow
{
	TimestampTz ts;
	uint32		len;			/* bytes on the wire */
	uint32		caplen;
	PktInfo		info;
} PktRow;

/* A temporary file holding a batch in COPY's binary format (pkt_copy.c) */
typedef struct PktSpool
{
	File		file;			/* 0 until first written */
	off_t		size;			/* bytes of data in it */
	int64		nrows;			/* rows in it */
	StringInfoData buf;			/* what is being encoded */
} PktSpool;

typedef struct PktRun
{
	int			slotno;
	uint32		generation;
	int32		run_id;			/* pkt_runs row, 0 if none */
	Oid			ext_oid;		/* the pktcapture extension of that pkt_runs */
	Oid			owner;			/* its owner, who writes the bookkeeping */
	Oid			id_seq;			/* the sequence of packets.id */
	char	   *ledger_sql;
	MemoryContext cxt;			/* where the run's own allocations live */
	int			linktype;
	const char *ifname;			/* live capture: interface of every row */
	PktCounters c;
	PktTopK    *top_src;
	PktTopK    *top_dst;
	bool		top_dirty;
	bool		topk_from_sums; /* count top talkers from the summaries */
	PktRow	   *rows;			/* pending rows are rows[first .. nrows) */
	int			first;
	int			nrows;
	int			cap;			/* allocated; grows while writes fail */
	int			batch;			/* rows per statement */
	MemoryContext flush_cxt;	/* reset after each batch */
	Datum	   *batch_values;	/* one batch of rows as values, kept for the run */
	char	   *batch_nulls;
	InetSlot   *batch_addrs;
	PktSpool	spool;			/* rows for COPY into packets */
	int64		copy_rows;		/* COPY them once the spool holds this many */
	PktSpool	sum_spool;		/* summaries for COPY */
	MemoryContext sum_cxt;		/* summaries not yet written */
	struct protosum_hash *sum_protos;	/* simplehash tables (pkt_store.c) */
	struct addrsum_hash *sum_addrs;
	uint64		sum_seed;
	uint32		sum_addrs_hint; /* address sums held last time */
	struct PktBatchStmt *insert;	/* prepared statements (pkt_store.c) */
	struct PktBatchStmt *summary;
	struct PktBatchStmt *summary_addr;
	struct PktBatchStmt *summary_new;	/* the same without ON CONFLICT */
	struct PktBatchStmt *summary_addr_new;
	bool		summaries_written;	/* once, later sums may meet earlier ones */
	bool		sums_in_xact;	/* summaries written in the open transaction */
	bool		sums_abandoned; /* given up: pkt_report reads packets */
	TimestampTz last_summary_at;
	int			inflight;		/* rows of the transaction not yet committed */
	int64		inflight_stored;	/* of which in packets (not in the spool) */
	TimestampTz first_row_at;	/* when the oldest pending row was added */
	TimestampTz last_publish_at;
	/* samples for the recent rate: (time, IP packets, IP bytes) */
	int			nsamples;
	int			sample_next;
	TimestampTz sample_at[PKT_RATE_SAMPLES];
	uint64		sample_packets[PKT_RATE_SAMPLES];
	uint64		sample_bytes[PKT_RATE_SAMPLES];
	TimestampTz last_flush_at;
	double		last_flush_ms;
	char		last_error[PKT_ERROR_LEN];	/* of the batch that keeps failing */
	/* interface names by ifindex, for "any"; emptied at each batch */
	int			nifnames;
	int32		ifindex[16];
	char		ifname_of[16][IF_NAMESIZE];
} PktRun;

/* pkt_store.c */
extern void pkt_run_init(PktRun *run, int slotno, uint32 generation,
						 int linktype, const char *ifname);
extern void pkt_run_account(PktRun *run, const struct timeval *ts,
							uint32 caplen, uint32 len, const u_char *data);
extern void pkt_run_write(PktRun *run);
extern void pkt_run_committed(PktRun *run);
extern void pkt_run_aborted(PktRun *run);
extern bool pkt_run_summaries_due(PktRun *run, TimestampTz now);
extern bool pkt_run_summaries_full(PktRun *run);
extern void pkt_run_abandon_summaries(PktRun *run);
extern void pkt_run_flush(PktRun *run);
extern void pkt_run_check_extension(PktRun *run);
extern void pkt_run_write_summaries(PktRun *run);
extern void pkt_run_discard_summaries(PktRun *run);
extern void pkt_run_publish(PktRun *run, bool with_top);
extern void pkt_run_release(PktRun *run);
extern char *pkt_ext_relname(const char *table, Oid *relid);
extern char *pkt_ext_schema(void);
extern void pkt_set_inet(inet *ip, int ip_version, const uint8 *addr);
extern void pkt_ledger_open(PktRun *run, const char *kind, const char *source,
							const char *filter);
extern void pkt_ledger_update(PktRun *run, uint64 rows_stored, const char *state,
							  const char *error);

/* pkt_copy.c */
extern StringInfo pkt_spool_add_begin(PktSpool *sp);
extern void pkt_spool_add_end(PktSpool *sp, int nrows);
extern void pkt_spool_append(PktSpool *sp, int ncols, const Oid *types, int nrows,
							 const Datum *values, const char *nulls);
extern char *pkt_spool_finish(PktSpool *sp);
extern void pkt_spool_reset(PktSpool *sp);
extern void pkt_spool_close(PktSpool *sp);

/* pktcapture.c */
extern PktSlot *pkt_slot_lookup(int slotno, uint32 generation);
extern void pkt_slot_finish(int slotno, uint32 generation, PktState state,
							const char *error);
extern void pkt_require_loaded(void);
extern int	pkt_capture_launch(const char *ifname, const char *filter, bool autostart,
							   uint32 *generation, BackgroundWorkerHandle **handle,
							   pid_t *pid);
extern bool pkt_slot_is_active(const PktSlot *slot);

/* pkt_launcher.c */
extern char *pkt_autostart;
extern char *pkt_autostart_filter;
extern char *pkt_database;
extern char *pkt_role;
extern void pkt_launcher_register(void);
extern PGDLLEXPORT void pkt_launcher_main(Datum main_arg);

/* pkt_worker.c */
extern PGDLLEXPORT void pkt_worker_main(Datum main_arg);
extern pcap_t *pkt_open_live(const PktSlot *cfg, PktOpenError *err,
							 char *msg, size_t msglen);
extern void pkt_report_open_error(PktOpenError err, const char *ifname,
								  const char *filter, const char *msg);

#endif							/* PKTCAPTURE_H */
