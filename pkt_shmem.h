/*-------------------------------------------------------------------------
 * pkt_shmem.h
 *		The capture slots in shared memory, and their lock (pkt_shmem.c).
 *
 * A slot holds plain data only (counters, names, a PID): never a pointer
 * or a file descriptor.  Every access goes through the functions below,
 * which take the lock themselves.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_SHMEM_H
#define PKT_SHMEM_H

#include "datatype/timestamp.h"

#include "pkt_decode.h"
#include "pkt_topk.h"

#define PKT_NAME_LEN	256		/* interface name, or file path as shown */
#define PKT_FILTER_LEN	1024	/* BPF filter text */
#define PKT_ERROR_LEN	256
#define PKT_TOP_SHARED	10		/* top talkers published per direction */

typedef enum PktState
{
	PKT_STATE_FREE = 0,
	PKT_STATE_STARTING,			/* worker registered, pcap not yet open */
	PKT_STATE_RUNNING,
	PKT_STATE_STOPPING,			/* stop requested, rows being written */
	PKT_STATE_STOPPED,
	PKT_STATE_FAILED
} PktState;

/* Counters of one capture; the invariants are in docs/statistics.md. */
typedef struct PktCounters
{
	uint64		frames;			/* every frame libpcap handed us */
	uint64		frame_bytes;
	uint64		result_packets[PKT_NRESULTS];	/* by PktResult */
	uint64		result_bytes[PKT_NRESULTS];
	uint64		stored;			/* rows committed */
	uint64		pending;		/* rows decoded, not yet committed */
	uint64		not_stored;		/* rows given up on */
	uint64		not_stored_disk;	/* IP packets the disk guard did not store */
	uint64		bad_time;		/* IP packets whose timestamp is out of range */
	uint64		l4_truncated;	/* stored, but without ports */
	uint64		kernel_dropped; /* pcap_stats ps_drop */
	uint64		if_dropped;		/* pcap_stats ps_ifdrop */
	uint64		flow_rows;		/* rows written to flows */
	uint64		flow_folded;	/* packets folded into aggregate records */
	uint64		flow_lost;		/* stored packets whose flow records went unwritten */
	uint64		frames_not_kept;	/* rows whose frame found no room to wait in */
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

#define PKT_FLOWS_SHARED 32		/* live conversations published */

/* A live conversation: addresses and ports of its initiator (src) first. */
typedef struct PktSharedFlow
{
	uint8_t		ip_version;
	uint8_t		ip_proto;
	bool		has_ports;
	uint8_t		src[16];
	uint8_t		dst[16];
	uint16_t	src_port;
	uint16_t	dst_port;
	int32_t		ifindex;		/* Linux cooked v2, or 0 */
	TimestampTz first_seen;
	TimestampTz last_seen;
	uint64_t	packets[2];		/* src to dst, dst to src */
	uint64_t	bytes[2];
} PktSharedFlow;

/* The busiest conversations of a run's newest open interval. */
typedef struct PktSharedFlows
{
	int			n;
	TimestampTz interval_start;
	PktSharedFlow items[PKT_FLOWS_SHARED];
} PktSharedFlows;

/* How a capture is set up, fixed when its slot is claimed. */
typedef struct PktCaptureConfig
{
	char		name[PKT_NAME_LEN];
	char		filter[PKT_FILTER_LEN];
	int			snaplen;		/* asked of the kernel: at least frame_snaplen */
	int			frame_snaplen;	/* bytes of each frame kept in packets.frame */
	int			buffer_kb;
	bool		promisc;
	int			spool_mb;		/* the spool's bound; 0: no spooler (pkt_spooler.c) */
} PktCaptureConfig;

typedef enum PktSpoolState
{
	PKT_SPOOL_NONE = 0,			/* the capture reads the kernel itself */
	PKT_SPOOL_STARTING,			/* the spooler is opening the interface */
	PKT_SPOOL_OPEN,
	PKT_SPOOL_ENDED,			/* every frame it read is in a closed segment */
	PKT_SPOOL_FAILED			/* error says why; what it spooled is there */
} PktSpoolState;

/* What a capture's spooler publishes (pkt_spooler.c); only it writes these. */
typedef struct PktSpooler
{
	PktSpoolState state;
	int			pid;
	int			procno;			/* its PGPROC, whose latch the reader sets */
	int			linktype;
	int			open_error;		/* a PktOpenError, when it could not open */
	bool		full;			/* at its bound: the kernel buffer fills */
	uint64		segments;		/* closed segments, numbered 1.. */
	uint64		frames;			/* frames written to them */
	uint64		bytes;			/* their bytes */
	uint64		kernel_dropped;
	uint64		if_dropped;
	uint64		full_waits;		/* times it stopped reading at its bound */
	TimestampTz first;			/* capture time of the first frame spooled */
	TimestampTz newest;			/* and of the newest */
	char		error[PKT_ERROR_LEN];
} PktSpooler;

/* What the capture worker has read back from its spool; only it writes these. */
typedef struct PktSpoolReading
{
	int			procno;			/* the worker's PGPROC */
	bool		stop;			/* the spooler is to close its last segment and end */
	uint64		segments;		/* read and removed */
	uint64		bytes;
	TimestampTz newest;			/* capture time of the newest frame read */
} PktSpoolReading;

/* What a capture publishes of itself while it runs. */
typedef struct PktPublished
{
	PktCounters c;
	double		rate_pps;		/* IP packets/s over the last few seconds */
	double		rate_Bps;		/* their bytes/s */
	TimestampTz last_flush_at;
	double		last_flush_ms;
	char		error[PKT_ERROR_LEN];	/* of the writes that keep failing */
	int			guard_state;	/* a PktGuardState */
	int64		free_bytes;		/* above the disk guard's reserve, at the last check */
	bool		with_top;		/* top_src and top_dst are new */
	PktSharedTop top_src;
	PktSharedTop top_dst;
	bool		with_flows;		/* flows is new */
	PktSharedFlows flows;
} PktPublished;

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
	PktCaptureConfig cfg;
	int			linktype;
	TimestampTz started_at;
	TimestampTz stopped_at;
	int			open_error;		/* a PktOpenError: why a worker could not start */
	PktPublished pub;			/* pub.error: also why it failed */
	PktSpooler	spooler;
	PktSpoolReading spool_read;
} PktSlot;

/* A slot as one capture knows it: a later reuse has another generation. */
typedef struct PktSlotRef
{
	int			slotno;
	uint32		generation;
} PktSlotRef;

extern void pkt_shmem_init(void);
extern void pkt_require_loaded(void);

/* the owner of a slot: a capture worker, or the backend running pkt_load */
extern PktSlotRef pkt_slot_claim(const PktCaptureConfig *cfg, bool is_file,
								 bool autostart);
extern bool pkt_slot_attach(PktSlotRef ref, int pid, PktSlot *copy);
extern void pkt_slot_set_run_id(PktSlotRef ref, int32 run_id);
extern void pkt_slot_set_linktype(PktSlotRef ref, int linktype);
extern void pkt_slot_set_running(PktSlotRef ref);
extern void pkt_slot_set_stopping(PktSlotRef ref);
extern void pkt_slot_publish(PktSlotRef ref, const PktPublished *pub);
extern void pkt_slot_finish(PktSlotRef ref, PktState state, int open_error,
							const char *error);
extern void pkt_slot_spool_reading(PktSlotRef ref, const PktSpoolReading *r);

/* a capture's spooler */
extern bool pkt_slot_spooler_publish(PktSlotRef ref, const PktSpooler *s,
									 PktSpoolReading *reading);

/* anyone */
extern bool pkt_slot_read(PktSlotRef ref, PktSlot *copy);
extern void pkt_slot_request_stop(PktSlotRef ref);
extern int	pkt_slots_request_stop(const char *name, Oid dboid, const Oid *roles,
								   int nroles, PktSlotRef *refs);
extern bool pkt_slot_owned(const PktSlot *slot);
extern bool pkt_slot_visible(const PktSlot *slot);
extern int	pkt_slots_signal_stop(const PktSlotRef *refs, int n);
extern PktSlot *pkt_slots_copy(const char *name, int *n);
extern int	pkt_slots_active_runs(Oid dboid, int32 *run_ids, int max);
extern int	pkt_slots_count(void);
extern bool pkt_slot_is_active(const PktSlot *slot);

/* waiting for a slot to change state */
extern void pkt_slots_wait_prepare(void);
extern void pkt_slots_wait(long timeout_ms);
extern void pkt_slots_wait_cancel(void);

#endif							/* PKT_SHMEM_H */
