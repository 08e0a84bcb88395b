/*-------------------------------------------------------------------------
 * pkt_run.c
 *		One capture or load: from decoded frames to counters, pending rows,
 *		batches, sums and its ledger row, and what it publishes.
 *
 * One PktRun serves a live capture (in its worker) and a file load (in
 * the calling backend) alike: pkt_run_account() decodes a frame and
 * counts it, keeping IP packets as pending rows; pkt_run_write() sends a
 * batch of them to packets (pkt_writer.c) and moves the ledger
 * (pkt_ledger.c) in the same transaction; once that commits, the rows
 * are summed for the summaries (pkt_summary.c), which
 * pkt_run_write_summaries() writes every few seconds; pkt_run_publish()
 * copies counters and top talkers into the run's slot (pkt_shmem.c).
 * The caller owns transactions and error handling, and tells the run
 * whether each transaction committed (pkt_run_committed) or not
 * (pkt_run_aborted: its rows stay pending, to be tried again).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_partition.h"
#include "pkt_run.h"

/*
 * Timestamps a pcap header may carry that timestamptz can hold (from
 * 1970 to the year 294276; libpcap's time_t is 64 bits).
 */
#define PKT_MAX_UNIX_SECONDS INT64CONST(9223371331200)

static uint64 frames_in_use(const PktRun *run);

static PktTopK *
topk_create(MemoryContext cxt)
{
	return pkt_topk_init(MemoryContextAllocHuge(cxt, pkt_topk_size(pkt_top_capacity)),
						 pkt_top_capacity, pg_prng_uint64(&pg_global_prng_state));
}

/*
 * A run whose slot is given, reading frames of the link type; ifname is
 * the interface of a live capture, NULL for a file.  A live capture
 * counts its top talkers packet by packet; a file load (every row it
 * reads is stored, in one transaction) takes them from its summaries.
 * Its memory is CurrentMemoryContext, which must outlive the run's
 * transactions.
 */
void
pkt_run_init(PktRun *run, PktSlotRef slot, int linktype, const char *ifname)
{
	memset(run, 0, sizeof(*run));
	run->cxt = CurrentMemoryContext;
	run->slot = slot;
	run->linktype = linktype;
	run->batch = pkt_batch_size;
	run->cap = pkt_batch_size;
	run->rows = MemoryContextAllocHuge(run->cxt, sizeof(PktRow) * (Size) run->cap);
	run->topk_from_sums = ifname == NULL;
	if (!run->topk_from_sums)
	{
		run->top_src = topk_create(run->cxt);
		run->top_dst = topk_create(run->cxt);
	}
	pkt_writer_init(&run->writer, run->cxt, ifname, run->batch, 1);
	pkt_parts_init(&run->parts, run->cxt);
	pkt_sums_init(&run->sums, run->cxt, run->topk_from_sums);
	pkt_flows_init(&run->flows, run->cxt, ifname != NULL);
	pkt_ledger_init(&run->ledger, run->cxt, slot);
	pkt_guard_init(&run->guard, InvalidOid);
}

/*
 * The run begins: its ledger row, and the filesystems of packets for the
 * disk guard.  The caller has connected SPI inside a transaction.
 */
void
pkt_run_open(PktRun *run, const char *kind, const char *source, const char *filter)
{
	Oid			relid;

	pkt_ledger_open(&run->ledger, kind, source, filter, run->linktype, run->frame_snaplen);
	(void) pkt_ext_relname("packets", &relid);
	pkt_guard_init(&run->guard, get_rel_tablespace(relid));
}

/*
 * The room on disk that nrows more rows need, with those waiting in the
 * writer's spool, and the frames of both: for the disk guard.
 */
int64
pkt_run_room_bytes(const PktRun *run, int nrows)
{
	return ((int64) nrows + run->writer.spool.nrows) * PKT_GUARD_ROW_BYTES +
		((int64) frames_in_use(run) + run->writer.spool_frame_bytes) * PKT_GUARD_FRAME_FACTOR;
}

/*
 * The disk guard holds off: the first nrows pending rows are not stored,
 * and counted apart.
 */
void
pkt_run_refuse(PktRun *run, int nrows)
{
	nrows = Min(nrows, pkt_run_pending(run));
	run->c.not_stored_disk += nrows;
	run->c.pending -= nrows;
	run->first += nrows;
	if (run->first == run->nrows)
		run->first = run->nrows = 0;
}

/*
 * Keep the first snaplen bytes of each IP packet's frame in its row
 * (packets.frame); 0 keeps none.  Before pkt_run_open().
 */
void
pkt_run_keep_frames(PktRun *run, int snaplen)
{
	run->frame_snaplen = snaplen;
	if (snaplen <= 0 || run->frame_ring != NULL)
		return;
	/* room for two frames at least, however small the setting */
	run->frame_ring_size = Max((uint64) pkt_frame_memory_kb * 1024, (uint64) snaplen * 4);
	run->frame_ring = MemoryContextAllocHuge(run->cxt, run->frame_ring_size);
	run->writer.frame_ring = run->frame_ring;
	run->writer.frame_ring_size = run->frame_ring_size;
}

/* Bytes of the frame ring the pending rows hold. */
static uint64
frames_in_use(const PktRun *run)
{
	if (pkt_run_pending(run) == 0)
		return 0;
	return run->frame_head - run->rows[run->first].frame_at;
}

/*
 * Is a batch due by size: a batch of rows, or frames filling half of the
 * memory they may wait in?
 */
bool
pkt_run_batch_due(const PktRun *run)
{
	return pkt_run_pending(run) >= run->batch ||
		(run->frame_ring != NULL && frames_in_use(run) >= run->frame_ring_size / 2);
}

/*
 * Copy n bytes of a frame into the ring for the row being added (not yet
 * pending); its position in *at.  False if there is no room: the rows
 * before it still wait with theirs.
 */
static bool
frame_put(PktRun *run, const u_char *data, uint32 n, uint64 *at)
{
	uint64		size = run->frame_ring_size;
	uint64		head = run->frame_head;
	uint64		used = frames_in_use(run);
	uint64		off = head % size;

	/* a frame is contiguous: skip the end of the ring if it does not fit */
	if (off + n > size)
	{
		used += size - off;
		head += size - off;
		off = 0;
	}
	if (used + n > size)
		return false;
	memcpy(run->frame_ring + off, data, n);
	*at = head;
	run->frame_head = head + n;
	return true;
}

/* A file load: it COPYs copy_rows rows a statement. */
void
pkt_run_set_copy_rows(PktRun *run, int64 copy_rows)
{
	run->writer.copy_rows = copy_rows;
}

/*
 * Make room for one more pending row: reuse the space of rows already
 * written, else grow up to pktcapture.max_pending_rows.  False if full.
 */
static bool
make_room(PktRun *run)
{
	int			pending = pkt_run_pending(run);

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
	sec = pkt_pcap_seconds(tv->tv_sec);
	if (r == PKT_IP &&
		(sec < 0 || sec > PKT_MAX_UNIX_SECONDS ||
		 tv->tv_usec < 0 || tv->tv_usec >= USECS_PER_SEC))
	{
		/* counted once, as malformed; bad_time only feeds pkt_stats' note */
		run->c.bad_time++;
		r = PKT_MALFORMED;
	}
	run->c.frames++;
	run->c.frame_bytes += len;
	run->c.result_packets[r]++;
	run->c.result_bytes[r] += len;
	if (r != PKT_IP)
		return;

	run->c.proto_packets[info.ip_proto]++;
	run->c.proto_bytes[info.ip_proto] += len;
	if (info.flags & PKT_F_L4_TRUNCATED)
		run->c.l4_truncated++;
	if (!run->topk_from_sums)
	{
		pkt_topk_key(key, info.ip_version, info.src);
		pkt_topk_add(run->top_src, key, len);
		pkt_topk_key(key, info.ip_version, info.dst);
		pkt_topk_add(run->top_dst, key, len);
		run->top_dirty = true;
	}

	if (!make_room(run))
	{
		run->c.not_stored++;
		return;
	}
	if (run->nrows == run->first)
		run->first_row_at = GetCurrentTimestamp();
	row = &run->rows[run->nrows];
	row->frame_len = 0;
	row->frame_at = run->frame_head;
	if (run->frame_snaplen > 0)
	{
		uint32		n = Min(caplen, (uint32) run->frame_snaplen);

		if (frame_put(run, data, n, &row->frame_at))
			row->frame_len = n;
		else
			run->c.frames_not_kept++;
	}
	run->nrows++;
	row->ts = ((TimestampTz) sec -
			   ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) * USECS_PER_SEC +
		tv->tv_usec;
	row->len = len;
	row->caplen = caplen;
	row->info = info;
	run->c.pending++;
	if (run->flows.enabled && !run->flows.live)
	{
		/* only a file load cuts its batches at interval changes */
		TimestampTz start = pkt_bucket_start(row->ts, run->flows.interval);

		if (start != run->flow_start)
			run->flow_breaks++;
		run->flow_start = start;
	}
}

/*
 * Write up to one batch of pending rows, and move the ledger.  The caller
 * has connected SPI inside a transaction with an active snapshot, and
 * calls pkt_run_committed() once it commits, pkt_run_aborted() if it does
 * not.  Rows the writer holds in its spool file for a later COPY (a file
 * load) are still pending.
 */
void
pkt_run_write(PktRun *run)
{
	int			n = Min(pkt_run_pending(run), run->batch);
	TimestampTz start;
	int64		stored;
	int			rejected;

	if (n == 0)
		return;
	pkt_ledger_check_extension(&run->ledger);
	start = GetCurrentTimestamp();
	/* rows whose partition cannot be made are flagged, not written */
	rejected = pkt_parts_route(&run->parts, run->rows + run->first, n, run->ledger.owner);
	stored = pkt_writer_write(&run->writer, run->rows + run->first, n, run->ledger.run_id);
	pkt_parts_count(&run->parts, run->rows + run->first, n, run->ledger.run_id,
					run->ledger.owner);

	/* the ledger moves in the same transaction as the rows it counts */
	if (stored > 0)
		pkt_ledger_update(&run->ledger, &run->c, run->c.stored + stored, NULL, NULL,
						  PKT_SUMMARIZED_KEEP);

	run->flow_breaks = 0;
	run->inflight = n;
	run->inflight_stored = stored;
	run->inflight_rejected = rejected;
	run->last_flush_at = GetCurrentTimestamp();
	run->last_flush_ms = (double) (run->last_flush_at - start) / 1000.0;
}

/*
 * COPY the rows left in the writer's spool file into packets (a file
 * load, at its end).
 */
void
pkt_run_flush(PktRun *run)
{
	int64		n = pkt_writer_flush(&run->writer);

	run->c.stored += n;
	run->c.pending -= n;
}

/*
 * Write the sums of the rows committed since the summaries were last
 * written, in the caller's transaction; pkt_run_update_ledger() must
 * follow in it, to move the run's summarized_id.
 */
void
pkt_run_write_summaries(PktRun *run)
{
	pkt_sums_write(&run->sums, run->ledger.run_id, run->ledger.owner);
	pkt_run_write_flows(run);
}

/*
 * Write the conversations of the intervals closed, in the caller's
 * transaction (a file load writes them as they close, without the
 * summaries).
 */
void
pkt_run_write_flows(PktRun *run)
{
	pkt_flows_write(&run->flows, &run->writer, run->ledger.run_id, run->ledger.owner);
}

/*
 * Are the summaries or flows due (flows close by the clock here, for a
 * live capture)?
 */
bool
pkt_run_summaries_due(PktRun *run, TimestampTz now)
{
	bool		flows = pkt_flows_tick(&run->flows, now);

	return pkt_sums_due(&run->sums, now) || flows;
}

/* The run ends: its last buckets and intervals close, to be written. */
void
pkt_run_close(PktRun *run)
{
	pkt_sums_close_all(&run->sums);
	pkt_flows_close_all(&run->flows);
}

/* The flows' counters, as the open transaction will have them committed. */
static void
flow_counters(PktRun *run, bool with_xact)
{
	run->c.flow_rows = run->flows.rows + (with_xact ? run->flows.xact_rows : 0);
	run->c.flow_folded = run->flows.folded;
	run->c.flow_lost = run->flows.lost;
}

/* Its last flows could not be written: their packets are counted lost. */
void
pkt_run_give_up_flows(PktRun *run)
{
	pkt_flows_give_up(&run->flows);
	flow_counters(run, false);
}


/*
 * Bring the run's ledger row up to date with its counters; with a state,
 * the run ends.  After pkt_run_write_summaries() in the same transaction,
 * it also says which rows the summaries now hold.
 */
void
pkt_run_update_ledger(PktRun *run, const char *state, const char *error)
{
	flow_counters(run, true);
	pkt_ledger_update(&run->ledger, &run->c, run->c.stored, state, error,
					  !run->sums.in_xact ? PKT_SUMMARIZED_KEEP :
					  state == NULL ? PKT_SUMMARIZED_NOW : PKT_SUMMARIZED_ALL);
}

/*
 * The transaction of the last pkt_run_write() or pkt_run_write_summaries()
 * committed: its rows are stored, and summed until the next summaries are
 * written; or the summaries written are in the table.
 */
void
pkt_run_committed(PktRun *run)
{
	pkt_sums_committed(&run->sums);
	pkt_flows_committed(&run->flows);
	if (run->inflight > 0)
	{
		if (!run->sums.abandoned)
			pkt_sums_add(&run->sums, run->rows + run->first, run->inflight);
		pkt_flows_add(&run->flows, run->rows + run->first, run->inflight);
		run->first += run->inflight;
		if (run->first == run->nrows)
			run->first = run->nrows = 0;
	}
	run->c.stored += run->inflight_stored;
	run->c.pending -= run->inflight_stored + run->inflight_rejected;
	run->c.not_stored += run->inflight_rejected;
	run->inflight = 0;
	run->inflight_stored = 0;
	run->inflight_rejected = 0;
	flow_counters(run, false);
}

/* It did not: the rows are still pending, the sums still to write. */
void
pkt_run_aborted(PktRun *run)
{
	run->inflight = 0;
	run->inflight_stored = 0;
	run->inflight_rejected = 0;
	pkt_sums_aborted(&run->sums);
	pkt_flows_aborted(&run->flows);
	/* the partitions it knew of may be gone */
	pkt_parts_forget(&run->parts);
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

static void
shared_top(PktTopK *tk, PktSharedTop *out)
{
	out->n = pkt_topk_top(tk, out->items, PKT_TOP_SHARED);
	out->approximate = pkt_topk_is_approximate(tk);
	out->error_bound = pkt_topk_error_bound(tk);
}

/* Rows that could not be written before the end: counted as not stored. */
void
pkt_run_give_up_pending(PktRun *run)
{
	run->c.not_stored += pkt_run_pending(run);
	run->c.pending = 0;
	run->first = run->nrows = 0;
}

/* What the interface's kernel counters say (pcap_stats), for pkt_status. */
void
pkt_run_set_kernel_drops(PktRun *run, uint64 dropped, uint64 if_dropped)
{
	run->c.kernel_dropped = dropped;
	run->c.if_dropped = if_dropped;
}

/* The error of the writes that keep failing, for pkt_status; NULL: none. */
void
pkt_run_set_error(PktRun *run, const char *fmt,...)
{
	va_list		args;

	run->last_error[0] = '\0';
	if (fmt == NULL)
		return;
	va_start(args, fmt);
	vsnprintf(run->last_error, sizeof(run->last_error), fmt, args);
	va_end(args);
}

/* Copy counters, and top talkers if asked, into the run's slot. */
void
pkt_run_publish(PktRun *run, bool with_top)
{
	PktPublished pub;
	TimestampTz now = GetCurrentTimestamp();

	pub.c = run->c;
	recent_rate(run, now, &pub.rate_pps, &pub.rate_Bps);
	pub.last_flush_at = run->last_flush_at;
	pub.last_flush_ms = run->last_flush_ms;
	pub.guard_state = run->guard.state;
	pub.free_bytes = run->guard.free;
	strlcpy(pub.error, run->last_error, sizeof(pub.error));
	pub.with_top = with_top && (run->top_dirty || run->sums.top_dirty);
	pub.with_flows = with_top;
	if (with_top)
		pkt_flows_shared(&run->flows, &pub.flows);
	if (pub.with_top && run->topk_from_sums)
		pkt_sums_shared_top(&run->sums, &pub.top_src, &pub.top_dst);
	else if (pub.with_top)
	{
		shared_top(run->top_src, &pub.top_src);
		shared_top(run->top_dst, &pub.top_dst);
	}
	pkt_slot_publish(run->slot, &pub);
	if (with_top)
		run->top_dirty = false;
	run->last_publish_at = now;
}

/* Free what a run keeps beyond its memory context: saved plans, spool files. */
void
pkt_run_release(PktRun *run)
{
	pkt_writer_release(&run->writer);
	pkt_parts_release(&run->parts);
	pkt_sums_release(&run->sums);
	pkt_flows_release(&run->flows);
}
