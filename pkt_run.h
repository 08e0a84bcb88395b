/*-------------------------------------------------------------------------
 * pkt_run.h
 *		One capture or load: from decoded frames to counters, rows, sums and
 *		its ledger row (pkt_run.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_RUN_H
#define PKT_RUN_H

#include <sys/time.h>

#include "pkt_flow.h"
#include "pkt_guard.h"
#include "pkt_ledger.h"
#include "pkt_partition.h"
#include "pkt_shmem.h"
#include "pkt_summary.h"
#include "pkt_topk.h"
#include "pkt_writer.h"

#define PKT_RATE_WINDOW_MS 5000 /* "last few seconds" of the rates */
#define PKT_RATE_SAMPLES 32		/* ring of publish-time samples */

typedef struct PktRun
{
	PktSlotRef	slot;
	MemoryContext cxt;			/* where the run's own allocations live */
	int			linktype;
	PktCounters c;
	PktTopK    *top_src;
	PktTopK    *top_dst;
	bool		top_dirty;
	bool		topk_from_sums; /* top talkers counted from the summaries */
	/* pending rows are rows[first .. nrows) */
	PktRow	   *rows;
	/*
	 * The frames of the pending rows (pktcapture.frame_snaplen), a ring:
	 * a row's frame at frame_at (mod the size), bytes from the oldest
	 * pending row's frame_at to frame_head in use.
	 */
	int			frame_snaplen;	/* 0: frames are not kept */
	uint8	   *frame_ring;
	uint64		frame_ring_size;
	uint64		frame_head;
	int			first;
	int			nrows;
	int			cap;			/* allocated; grows while writes fail */
	int			batch;			/* rows per statement */
	TimestampTz first_row_at;	/* when the oldest pending row was added */
	TimestampTz flow_start;		/* flow interval of the last row added */
	int			flow_breaks;	/* changes of flow interval in pending rows */
	int			inflight;		/* rows of the transaction not yet committed */
	int64		inflight_stored;	/* of which in packets (not in the spool) */
	int			inflight_rejected;	/* of which with no partition */
	PktWriter	writer;
	PktParts	parts;			/* the partitions of packets it knows of */
	PktSums		sums;
	PktFlows	flows;
	PktLedger	ledger;
	PktGuard	guard;
	TimestampTz last_publish_at;
	/* samples for the recent rate: (time, IP packets, IP bytes) */
	int			nsamples;
	int			sample_next;
	TimestampTz sample_at[PKT_RATE_SAMPLES];
	uint64		sample_packets[PKT_RATE_SAMPLES];
	uint64		sample_bytes[PKT_RATE_SAMPLES];
	TimestampTz last_flush_at;
	double		last_flush_ms;
	char		last_error[PKT_ERROR_LEN];	/* of the writes that keep failing */
} PktRun;

/* rows decoded and not yet committed */
static inline int
pkt_run_pending(const PktRun *run)
{
	return run->nrows - run->first;
}

extern void pkt_run_init(PktRun *run, PktSlotRef slot, int linktype, const char *ifname);
extern void pkt_run_set_copy_rows(PktRun *run, int64 copy_rows);
extern void pkt_run_keep_frames(PktRun *run, int snaplen);
extern bool pkt_run_batch_due(const PktRun *run);
extern void pkt_run_open(PktRun *run, const char *kind, const char *source,
						 const char *filter);
extern int64 pkt_run_room_bytes(const PktRun *run, int nrows);
extern void pkt_run_refuse(PktRun *run, int nrows);
extern void pkt_run_account(PktRun *run, const struct timeval *ts,
							uint32 caplen, uint32 len, const u_char *data);
extern void pkt_run_write(PktRun *run);
extern void pkt_run_write_summaries(PktRun *run);
extern void pkt_run_write_flows(PktRun *run);
extern bool pkt_run_summaries_due(PktRun *run, TimestampTz now);
extern void pkt_run_close(PktRun *run);
extern void pkt_run_give_up_flows(PktRun *run);
extern void pkt_run_update_ledger(PktRun *run, const char *state, const char *error);
extern void pkt_run_flush(PktRun *run);
extern void pkt_run_committed(PktRun *run);
extern void pkt_run_aborted(PktRun *run);
extern void pkt_run_give_up_pending(PktRun *run);
extern void pkt_run_set_kernel_drops(PktRun *run, uint64 dropped, uint64 if_dropped);
extern void pkt_run_set_error(PktRun *run, const char *fmt,...) pg_attribute_printf(2, 3);
extern void pkt_run_publish(PktRun *run, bool with_top);
extern void pkt_run_release(PktRun *run);

#endif							/* PKT_RUN_H */
