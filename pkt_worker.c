/*-------------------------------------------------------------------------
 * pkt_worker.c
 *		The capture background worker: one per live capture.
 *
 * What the worker owns: its pcap handle, and its PktRun (exact counters,
 * top talkers, rows not yet written, sums not yet written) in its own
 * memory.  What lives in shared memory: its slot (pkt_shmem.c), which it
 * alone writes while the capture runs (a backend only asks it to stop),
 * through pkt_shmem.c's functions, which take the slots' lock for the
 * length of a copy.  A reader (pkt_stats, pkt_status) sees the counters
 * as last published: every PKT_PUBLISH_MS, and once more at the end.
 *
 * One loop, no threads: it waits on its latch, the pcap descriptor and
 * postmaster death in one long-lived WaitEventSet; reads what the kernel
 * has; writes a batch through SPI when it holds pktcapture.batch_size
 * rows or its oldest row has waited pktcapture.flush_interval, in one
 * transaction with the ledger; writes its summaries every
 * pktcapture.summary_interval; publishes its counters.
 *
 * A batch that fails (table locked past lock_timeout, disk full, a
 * column altered, a cancel) does not end the worker: the error is logged
 * once with its context, the rows stay in hand, and the batch is retried
 * with exponential backoff while capture goes on.  Rows beyond
 * pktcapture.max_pending_rows are counted as not stored.  If the packets
 * table is gone (DROP TABLE, DROP EXTENSION) the capture stops cleanly.
 *
 * SIGTERM (pkt_stop, server shutdown) ends the loop: the worker drains
 * the kernel buffer, writes every row in hand (retrying for a bounded
 * time), publishes its final statistics, records the end of the run in
 * the ledger, marks its slot stopped and exits.  Its exit callback ends
 * the slot whatever else ends the process.  libpcap's settings are
 * explained in pkt_pcap.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/resource.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/bgwriter.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_maint.h"
#include "pkt_pcap.h"
#include "pkt_run.h"
#include "pkt_spooler.h"

#define PKT_PUBLISH_MS			250
#define PKT_RETRY_MIN_MS		100
#define PKT_RETRY_MAX_MS		5000
#define PKT_STOP_RETRY_MS		10000	/* how long the last write may retry */

PGDLLEXPORT void pkt_worker_main(Datum main_arg);

/* the capture this process serves, for the exit callback */
static PktSlotRef my_slot = {-1, 0};

/* state of the writer's retries */
typedef struct Backoff
{
	int			failures;		/* consecutive failed attempts */
	int			delay_ms;
	TimestampTz retry_at;
} Backoff;

typedef struct Worker
{
	PktSlot		cfg;			/* the slot as it was when the worker took it */
	const char *ifname;
	pcap_t	   *p;				/* the kernel's frames, without a spool */
	bool		spooling;		/* with one: frames read back from its files */
	PktSpoolReader spool;
	TimestampTz spool_held_until;	/* stopping: when failing writes stop holding it */
	PktRun		run;
	Backoff		rows;
	Backoff		sums;			/* the summaries' transactions */
	bool		table_gone;
	bool		failed;			/* the capture itself failed */
	char		error[PCAP_ERRBUF_SIZE];
	uint64		logged_stored;	/* rows stored at the last progress line */
	TimestampTz logged_at;
	PktMaint	maint;			/* partitions ahead, retention, the disk guard's drops */
	char		guard_rows[300];	/* for the disk guard's log: rows from interface "eth0" */
	MemoryContext cxt;			/* the run's */
} Worker;

/* Exit callback: whatever ends this process, the slot says so. */
static void
pkt_worker_on_exit(int code, Datum arg)
{
	LWLockReleaseAll();
	pkt_slot_finish(my_slot, PKT_STATE_FAILED, 0,
					"the capture worker exited unexpectedly");
}

static bool
is_table_gone(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_UNDEFINED_TABLE ||
		sqlerrcode == ERRCODE_UNDEFINED_OBJECT ||
		sqlerrcode == ERRCODE_UNDEFINED_SCHEMA;
}

/*
 * Sleep ms, whatever sets the latch meanwhile (a stop is already under
 * way); postmaster death ends the process.
 */
static void
worker_sleep(long ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Is there room for nrows more rows on disk?  The disk guard's policy
 * (pkt_maint_make_room) answers: 1 yes, 0 not to be stored, -1 try again
 * shortly.
 */
static int
worker_room(Worker *w, int nrows)
{
	PktGuardRows gr = {w->guard_rows,
		"Rows are counted as not stored by the disk guard until space returns; storing resumes by itself.",
	NULL, NULL, &w->run.c.not_stored_disk};

	return pkt_maint_make_room(&w->maint, &w->run.guard,
							   pkt_run_room_bytes(&w->run, nrows), &gr);
}

/* Log a failed write once, then once a minute while it keeps failing. */
static void
log_write_failure(Worker *w, bool summaries, const ErrorData *edata, int nbatch)
{
	Backoff    *b = summaries ? &w->sums : &w->rows;

	if (b->failures != 0 && b->failures % (60000 / PKT_RETRY_MAX_MS) != 0)
		return;
	if (summaries)
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pktcapture: could not write the summaries of interface \"%s\": %s",
						w->ifname, edata->message),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("The sums are kept in memory and retried; pkt_report() reads the rows from packets meanwhile.")));
	else
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pktcapture: could not write %d rows to packets from interface \"%s\": %s",
						nbatch, w->ifname, edata->message),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("The rows are kept in memory (up to pktcapture.max_pending_rows = %d) and retried; %d attempts failed so far.",
						 pkt_max_pending_rows, b->failures + 1)));
}

/* A write failed: when to try again, and what pkt_status says meanwhile. */
static void
write_failed(Worker *w, bool summaries, const ErrorData *edata, int nbatch)
{
	PktRun	   *run = &w->run;
	Backoff    *b = summaries ? &w->sums : &w->rows;

	if (is_table_gone(edata->sqlerrcode))
	{
		w->table_gone = true;
		ereport(LOG,
				(errmsg("pktcapture: table packets is gone, stopping the capture on interface \"%s\"",
						w->ifname),
				 errdetail("%s", edata->message),
				 errhint("CREATE EXTENSION pktcapture, then start the capture again.")));
		return;
	}
	b->delay_ms = b->failures == 0 ? PKT_RETRY_MIN_MS :
		Min(b->delay_ms * 2, PKT_RETRY_MAX_MS);
	log_write_failure(w, summaries, edata, nbatch);
	b->failures++;
	b->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), b->delay_ms);
	pkt_run_set_error(run, "writing %s failed %d times, retrying: %s",
					  summaries ? "summaries" : "rows", b->failures, edata->message);
	if (summaries && pkt_sums_full(&run->sums))
	{
		/* memory stays bounded: the sums go, the rows stay */
		pkt_sums_abandon(&run->sums);
		ereport(WARNING,
				(errmsg("pktcapture: the capture on interface \"%s\" no longer writes summaries",
						w->ifname),
				 errdetail("Its sums reached their bound while the summaries could not be written."),
				 errhint("pkt_report() reads the rows of this capture from packets; SELECT pkt_summary_rebuild() after it stops makes the summaries whole again.")));
	}
}

/*
 * One transaction: a batch of rows, or the summaries of the rows committed
 * since they were last written.  Returns false if it failed; the rows stay
 * pending (the sums held) and w says when to try again.
 */
static bool
worker_transaction(Worker *w, bool summaries)
{
	PktRun	   *run = &w->run;
	MemoryContext oldcxt = CurrentMemoryContext;
	int			nbatch = Min(pkt_run_pending(run), run->batch);
	volatile bool ok = true;

	PG_TRY();
	{
		pkt_xact_begin();
		if (summaries)
		{
			pgstat_report_activity(STATE_RUNNING, "pktcapture: writing summaries");
			pkt_run_write_summaries(run);
			pkt_run_update_ledger(run, NULL, NULL);
		}
		else
		{
			pgstat_report_activity(STATE_RUNNING, "pktcapture: writing rows to packets");
			pkt_run_write(run);
		}
		pkt_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata = pkt_xact_abort(oldcxt);

		pkt_run_aborted(run);
		ok = false;
		write_failed(w, summaries, edata, nbatch);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (!ok)
		return false;
	pkt_run_committed(run);
	pkt_run_set_error(run, NULL);
	if (summaries)
		w->sums.failures = 0;
	else if (w->rows.failures > 0)
	{
		ereport(LOG,
				(errmsg("pktcapture: writing rows from interface \"%s\" again after %d failed attempts",
						w->ifname, w->rows.failures)));
		w->rows.failures = 0;
	}
	return true;
}

/* Are the summaries due, and not waiting for a retry after a failure? */
static bool
summaries_due(Worker *w, TimestampTz now)
{
	return pkt_run_summaries_due(&w->run, now) &&
		(w->sums.failures == 0 || now >= w->sums.retry_at);
}

/*
 * Write every row in hand, one transaction per batch, then the summaries
 * if they are due.  Returns false if a transaction failed.
 */
static bool
worker_write(Worker *w)
{
	while (pkt_run_pending(&w->run) > 0 && !w->table_gone)
	{
		int			n = Min(pkt_run_pending(&w->run), w->run.batch);
		int			room = worker_room(w, n);

		if (room < 0)
		{
			/* a drop could not get its lock: keep the rows, try shortly */
			w->rows.failures = Max(w->rows.failures, 1);
			w->rows.delay_ms = PKT_RETRY_MIN_MS;
			w->rows.retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														   PKT_RETRY_MIN_MS);
			return false;
		}
		if (room == 0)
		{
			pkt_run_refuse(&w->run, n);
			continue;
		}
		if (!worker_transaction(w, false))
			return false;
	}
	if (!w->table_gone && summaries_due(w, GetCurrentTimestamp()) &&
		!worker_transaction(w, true))
		return false;
	return !w->table_gone;
}

/*
 * Is a write due now: a full batch, or the oldest row waited long enough,
 * or summaries held long enough?
 */
static bool
write_due(Worker *w, TimestampTz now)
{
	PktRun	   *run = &w->run;
	int			pending = pkt_run_pending(run);

	if (w->table_gone)
		return false;
	if (pending == 0)
		return summaries_due(w, now);
	if (w->rows.failures > 0)
		return now >= w->rows.retry_at;
	return pkt_run_batch_due(run) ||
		now >= TimestampTzPlusMilliseconds(run->first_row_at, pkt_flush_interval_ms);
}

/*
 * The run's last ledger update: its final counters and state, with the
 * last summaries if with_summaries.  Returns false if it failed.
 */
static bool
close_ledger(Worker *w, const char *state, const char *error, bool with_summaries)
{
	PktRun	   *run = &w->run;
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		pkt_xact_begin();
		if (with_summaries)
			pkt_run_write_summaries(run);
		pkt_run_update_ledger(run, state, error);
		pkt_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata = pkt_xact_abort(oldcxt);
		int			level = is_table_gone(edata->sqlerrcode) ? LOG : WARNING;

		pkt_run_aborted(run);
		ok = false;
		if (with_summaries)
			ereport(level,
					(errmsg("pktcapture: could not record the end of run %d in pkt_runs with its last summaries: %s",
							run->ledger.run_id, edata->message)));
		else
			ereport(level,
					(errmsg("pktcapture: could not record the end of run %d in pkt_runs: %s",
							run->ledger.run_id, edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	if (ok)
		pkt_run_committed(run);
	return ok;
}

static void
worker_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	Worker	   *w = (Worker *) user;
	PktRun	   *run = &w->run;

	if (pkt_run_batch_due(run) && w->rows.failures == 0)
		worker_write(w);
	pkt_run_account(run, &h->ts, h->caplen, h->len, bytes);
	w->spool.last_ts = h->ts;
}

/*
 * While batches fail (a lock, a full disk), frames wait in the spool
 * rather than as rows in memory, up to the spool's bound; at the end of a
 * capture, only for as long as its last writes may retry.
 */
static bool
spool_held(Worker *w)
{
	return w->rows.failures > 0 && pkt_run_pending(&w->run) >= w->run.batch &&
		(w->spool_held_until == 0 || GetCurrentTimestamp() < w->spool_held_until);
}

/*
 * With a spool: read back what the spooler has closed, at most a few
 * batches' worth.  Returns false if the spooler failed and every frame
 * it spooled has been read (w->error says why), or a segment could not
 * be read.
 */
static bool
worker_read_spool(Worker *w)
{
	PktSpoolReader *r = &w->spool;

	for (int i = 0; i < 8 && !spool_held(w); i++)
	{
		int			n = pkt_spooler_dispatch(r, w->run.batch, worker_packet, (u_char *) w,
										   w->error, sizeof(w->error));

		if (n < 0)
			return false;
		if (n == 0)
			break;
	}
	if (pkt_spooler_done(r) && !r->reading.stop)
	{
		strlcpy(w->error, r->spooler.error[0] ? r->spooler.error :
				"the spooler ended", sizeof(w->error));
		return false;
	}
	return true;
}

/*
 * Read what the kernel has ready, at most a few batches' worth, so the
 * loop keeps answering its latch under any load.  Returns false if the
 * capture failed (interface gone).
 */
static bool
worker_read(Worker *w)
{
	if (w->spooling)
		return worker_read_spool(w);
	for (int i = 0; i < 8; i++)
	{
		int			n = pcap_dispatch(w->p, w->run.batch, worker_packet, (u_char *) w);

		if (n < 0)
		{
			strlcpy(w->error, pcap_geterr(w->p), sizeof(w->error));
			return false;
		}
		if (n == 0)
			break;
	}
	return true;
}

static void
worker_kernel_stats(Worker *w)
{
	struct pcap_stat ps;

	if (w->spooling)
	{
		pkt_spooler_refresh(&w->spool);
		pkt_run_set_kernel_drops(&w->run, w->spool.spooler.kernel_dropped,
								 w->spool.spooler.if_dropped);
		return;
	}
	if (pcap_stats(w->p, &ps) == 0)
	{
		pkt_run_set_kernel_drops(&w->run, ps.ps_drop, ps.ps_ifdrop);
	}
}

/* One line every pktcapture.log_interval while rows are stored. */
static void
worker_log_progress(Worker *w)
{
	PktRun	   *run = &w->run;
	TimestampTz now = GetCurrentTimestamp();
	long		secs;
	int			usecs;

	if (pkt_log_interval_s <= 0 ||
		now < TimestampTzPlusMilliseconds(w->logged_at, pkt_log_interval_s * 1000))
		return;
	if (run->c.stored != w->logged_stored)
	{
		TimestampDifference(w->logged_at, now, &secs, &usecs);
		ereport(LOG,
				(errmsg("pktcapture: interface \"%s\": " UINT64_FORMAT " rows stored, " UINT64_FORMAT " in the last %ld s (%.0f rows/s)",
						w->ifname, run->c.stored, run->c.stored - w->logged_stored, secs,
						(double) (run->c.stored - w->logged_stored) / Max(secs + usecs / 1e6, 0.001)),
				 errdetail("Frames seen: " UINT64_FORMAT "; kernel drops: " UINT64_FORMAT "; rows not stored: " UINT64_FORMAT "; rows pending: " UINT64_FORMAT ".",
						   run->c.frames, run->c.kernel_dropped, run->c.not_stored,
						   run->c.pending)));
		w->logged_stored = run->c.stored;
	}
	w->logged_at = now;
}

/*
 * Give the worker the CPU priority of pktcapture.worker_nice (a process
 * may lower its own priority, not raise it back without CAP_SYS_NICE).
 */
static void
worker_set_nice(const char *ifname)
{
	static int	applied = 0;
	static int	refused = -1;

	if (pkt_worker_nice == applied || pkt_worker_nice == refused)
		return;
	if (setpriority(PRIO_PROCESS, 0, pkt_worker_nice) != 0)
	{
		refused = pkt_worker_nice;
		ereport(LOG,
				(errmsg("pktcapture: could not set the priority of the capture on interface \"%s\" to nice %d: %m",
						ifname, pkt_worker_nice),
				 errhint("A lower pktcapture.worker_nice takes effect when the capture starts again.")));
		return;
	}
	applied = pkt_worker_nice;
	refused = -1;
}

/*
 * Open the capture; if it cannot be opened, the slot says why (for
 * pkt_start) and the worker exits.
 */
static void
worker_open(Worker *w)
{
	PktOpenError err;
	char		msg[PCAP_ERRBUF_SIZE + 256];

	if (w->cfg.cfg.spool_mb > 0)
	{
		w->spooling = true;
		if (pkt_spooler_open(&w->spool, my_slot, w->ifname, &err, msg, sizeof(msg)))
			return;
	}
	else
	{
		w->p = pkt_open_live(&w->cfg.cfg, &err, msg, sizeof(msg));
		if (w->p != NULL)
			return;
	}
	pkt_slot_finish(my_slot, PKT_STATE_FAILED, err, msg);
	ereport(LOG,
			(errmsg("pktcapture: could not capture on interface \"%s\": %s",
					w->ifname, msg)));
	proc_exit(0);
}

/*
 * The table must be there before we say the capture runs; the run's
 * ledger row is written then.  If that fails, the slot says why (for
 * pkt_start) and the worker exits.  Returns the table's name.
 */
static char *
worker_prepare(Worker *w, MemoryContext runcxt)
{
	char	   *relname = NULL;
	Oid			relid;

	PG_TRY();
	{
		pkt_xact_begin();
		relname = pkt_ext_relname("packets", &relid);
		relname = MemoryContextStrdup(runcxt, relname);
		pkt_run_open(&w->run, "live", w->ifname,
					 w->cfg.cfg.filter[0] ? w->cfg.cfg.filter : NULL);
		pkt_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata = pkt_xact_abort(runcxt);

		pkt_slot_finish(my_slot, PKT_STATE_FAILED, PKT_OPEN_SETUP, edata->message);
		ereport(LOG,
				(errmsg("pktcapture: the capture on interface \"%s\" could not start: %s",
						w->ifname, edata->message)));
		proc_exit(0);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(runcxt);
	return relname;
}

static void
log_started(Worker *w, const char *relname)
{
	const PktCaptureConfig *cfg = &w->cfg.cfg;
	const char *linkname = pcap_datalink_val_to_name(w->run.linktype);

	if (cfg->filter[0] != '\0')
		ereport(LOG,
				(errmsg("pktcapture: capture started on interface \"%s\" with filter \"%s\"",
						cfg->name, cfg->filter),
				 errdetail("Link type %s, snap length %d bytes (%d kept), buffer %d kB, promiscuous mode %s.",
						   linkname ? linkname : "unknown", cfg->snaplen, cfg->frame_snaplen,
						   cfg->buffer_kb, cfg->promisc ? "on" : "off")));
	else
		ereport(LOG,
				(errmsg("pktcapture: capture started on interface \"%s\"", cfg->name),
				 errdetail("Link type %s, snap length %d bytes (%d kept), buffer %d kB, promiscuous mode %s.",
						   linkname ? linkname : "unknown", cfg->snaplen, cfg->frame_snaplen,
						   cfg->buffer_kb, cfg->promisc ? "on" : "off")));
	ereport(LOG,
			(errmsg("pktcapture: table %s is ready for rows from interface \"%s\"",
					relname, cfg->name)));
	if (!pkt_dlt_supported(w->run.linktype))
		ereport(WARNING,
				(errmsg("pktcapture: link type %d of interface \"%s\" is not supported",
						w->run.linktype, cfg->name),
				 errdetail("Its frames are counted as \"unsupported link type\" and not stored.")));
}

/*
 * The capture: until a stop is asked for, the capture fails, or the
 * table is gone.
 */
static void
worker_loop(Worker *w)
{
	PktRun	   *run = &w->run;
	WaitEventSet *wes;

	/* with a spool, the spooler sets our latch when it closes a segment */
	wes = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	if (!w->spooling)
		AddWaitEventToSet(wes, WL_SOCKET_READABLE, pcap_get_selectable_fd(w->p), NULL, NULL);
	AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	w->logged_at = GetCurrentTimestamp();
	pgstat_report_activity(STATE_IDLE, NULL);

	while (!ShutdownRequestPending && !w->table_gone)
	{
		WaitEvent	events[3];
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz deadline = TimestampTzPlusMilliseconds(run->last_publish_at, PKT_PUBLISH_MS);

		if (pkt_run_pending(run) > 0)
			deadline = Min(deadline, w->rows.failures > 0 ? w->rows.retry_at :
						   TimestampTzPlusMilliseconds(run->first_row_at,
													   pkt_flush_interval_ms));
		/* rows behind the spool: catch up without sleeping */
		if (w->spooling && pkt_spooler_backlog(&w->spool) && !spool_held(w))
			deadline = now;
		(void) WaitEventSetWait(wes, TimestampDifferenceMilliseconds(now, deadline),
								events, lengthof(events), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);

		/*
		 * A cancel (pg_cancel_backend) aborts a batch being written, which
		 * is then retried; between batches there is nothing to cancel, and
		 * an ERROR here would end the worker with rows in hand.
		 */
		if (QueryCancelPending)
		{
			QueryCancelPending = false;
			ereport(LOG,
					(errmsg("pktcapture: cancel request ignored between batches"),
					 errhint("SELECT pkt_stop('%s') stops the capture.", w->ifname)));
		}
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			worker_set_nice(w->ifname);
		}

		if (!worker_read(w))
		{
			w->failed = true;
			ereport(LOG,
					(errmsg("pktcapture: capture on interface \"%s\" failed: %s",
							w->ifname, w->error)));
			break;
		}

		now = GetCurrentTimestamp();
		if (write_due(w, now))
			worker_write(w);
		if (pkt_maint_due(&w->maint, now))
			pkt_maint_round(&w->maint);
		if (now >= TimestampTzPlusMilliseconds(run->last_publish_at, PKT_PUBLISH_MS))
		{
			worker_kernel_stats(w);
			pkt_run_publish(run, true);
		}
		worker_log_progress(w);
	}
	FreeWaitEventSet(wes);
}

/*
 * Stopping with a spool: the spooler puts what the kernel holds in a last
 * segment and ends; every segment is read, its rows written as batches
 * fall due.  Unless the table is gone: then no row can be stored.
 */
static void
worker_finish_spool(Worker *w)
{
	PktSpoolReader *r = &w->spool;

	pkt_spooler_stop(r);
	w->spool_held_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PKT_STOP_RETRY_MS);
	/* pkt_spooler_dispatch() reads the spooler's state when out of segments */
	while (!w->table_gone)
	{
		if (!worker_read_spool(w))
		{
			w->failed = true;
			break;
		}
		if (pkt_spooler_done(r))
			break;
		if (!pkt_spooler_backlog(r) || spool_held(w))
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 PKT_RETRY_MIN_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		if (pkt_run_pending(&w->run) > 0 && w->rows.failures == 0 &&
			write_due(w, GetCurrentTimestamp()))
			worker_write(w);
		if (GetCurrentTimestamp() >= TimestampTzPlusMilliseconds(w->run.last_publish_at,
																 PKT_PUBLISH_MS))
		{
			worker_kernel_stats(w);
			pkt_run_publish(&w->run, true);
		}
	}
	pkt_spooler_refresh(r);
	if (r->spooler.state == PKT_SPOOL_FAILED && r->spooler.error[0] != '\0' && !w->failed)
	{
		w->failed = true;
		strlcpy(w->error, r->spooler.error, sizeof(w->error));
	}
}

/*
 * Stopping: drain the kernel buffer, write every row in hand (retrying
 * for a bounded time), record the end of the run.
 */
static void
worker_finish(Worker *w)
{
	PktRun	   *run = &w->run;
	const char *state;
	const char *error;
	TimestampTz give_up;

	pkt_slot_set_stopping(my_slot);
	pgstat_report_activity(STATE_RUNNING, "pktcapture: stopping");

	/*
	 * Packets the kernel holds in a block it has not handed over yet
	 * appear within one timeout: read twice around it.
	 */
	if (w->spooling)
		worker_finish_spool(w);
	else if (!w->failed && !w->table_gone)
	{
		for (int pass = 0; pass < 2; pass++)
		{
			while (pcap_dispatch(w->p, run->batch, worker_packet, (u_char *) w) > 0)
				;
			if (pass == 0)
				worker_sleep(PKT_PCAP_TIMEOUT_MS + 50);
		}
	}
	worker_kernel_stats(w);
	state = (w->failed || w->table_gone) ? "failed" : "stopped";
	error = w->failed ? w->error : w->table_gone ? "table packets was dropped" : NULL;

	give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PKT_STOP_RETRY_MS);
	while (!worker_write(w) && !w->table_gone && GetCurrentTimestamp() < give_up)
		worker_sleep(w->rows.delay_ms);
	pkt_run_give_up_pending(run);
	pkt_run_publish(run, true);
	if (w->spooling)
		pkt_spooler_close(&w->spool);
	else
		pcap_close(w->p);

	/*
	 * The end of the run in the ledger, with the last summaries; if these
	 * cannot be written, without them (pkt_report then reads the rows they
	 * miss from packets, pkt_summary_rebuild() adds them).  packets may be
	 * gone and pkt_runs still there (DROP TABLE packets).
	 */
	pkt_run_close(run);
	if (!close_ledger(w, state, error, true))
	{
		pkt_run_give_up_flows(run);
		(void) close_ledger(w, state, error, false);
	}

	ereport(LOG,
			(errmsg("pktcapture: capture stopped on interface \"%s\": " UINT64_FORMAT " packets (" UINT64_FORMAT " bytes), " UINT64_FORMAT " rows stored",
					w->ifname, run->c.result_packets[PKT_IP], run->c.result_bytes[PKT_IP],
					run->c.stored),
			 errdetail("Frames seen: " UINT64_FORMAT "; kernel drops: " UINT64_FORMAT "; interface drops: " UINT64_FORMAT "; truncated: " UINT64_FORMAT "; malformed: " UINT64_FORMAT "; not IP: " UINT64_FORMAT "; unsupported: " UINT64_FORMAT "; rows not stored: " UINT64_FORMAT ".",
					   run->c.frames, run->c.kernel_dropped, run->c.if_dropped,
					   run->c.result_packets[PKT_TRUNCATED],
					   run->c.result_packets[PKT_MALFORMED],
					   run->c.result_packets[PKT_NOT_IP],
					   run->c.result_packets[PKT_UNSUPPORTED], run->c.not_stored)));

	pkt_slot_finish(my_slot, (w->failed || w->table_gone) ? PKT_STATE_FAILED : PKT_STATE_STOPPED,
					0, error);
}

void
pkt_worker_main(Datum main_arg)
{
	Worker	   *w;
	MemoryContext runcxt;
	char	   *relname;

	my_slot.slotno = DatumGetInt32(main_arg);
	memcpy(&my_slot.generation, MyBgworkerEntry->bgw_extra, sizeof(my_slot.generation));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	runcxt = AllocSetContextCreate(TopMemoryContext, "pktcapture run",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(runcxt);
	w = palloc0(sizeof(Worker));
	w->cxt = runcxt;
	if (!pkt_slot_attach(my_slot, MyProcPid, &w->cfg))
		proc_exit(0);			/* the slot was taken back before we ran */
	before_shmem_exit(pkt_worker_on_exit, (Datum) 0);
	/* a stop asked for before we had a PID to be told */
	if (w->cfg.stop_requested)
		ShutdownRequestPending = true;
	w->ifname = w->cfg.cfg.name;
	{
		char		who[PKT_NAME_LEN + 16];

		snprintf(who, sizeof(who), "interface \"%s\"", w->ifname);
		pkt_maint_init(&w->maint, who);
		snprintf(w->guard_rows, sizeof(w->guard_rows), "rows from %s", who);
	}

	BackgroundWorkerInitializeConnectionByOid(w->cfg.dboid, w->cfg.roleoid, 0);
	pkt_worker_search_path();
	pgstat_report_appname("pktcapture");
	worker_set_nice(w->ifname);

	/*
	 * A lock held on packets for long must not stop reading the kernel
	 * buffer: give up on the batch quickly, keep the rows, retry.
	 */
	SetConfigOption("lock_timeout", "1000", PGC_SUSET, PGC_S_OVERRIDE);

	worker_open(w);
	/* connecting left us in TopMemoryContext */
	MemoryContextSwitchTo(runcxt);
	pkt_run_init(&w->run, my_slot,
				 w->spooling ? w->spool.spooler.linktype : pcap_datalink(w->p), w->ifname);
	pkt_run_keep_frames(&w->run, w->cfg.cfg.frame_snaplen);
	relname = worker_prepare(w, runcxt);
	pkt_slot_set_linktype(my_slot, w->run.linktype);
	/* the partitions of now and ahead, before the first rows */
	pkt_maint_round(&w->maint);
	pkt_slot_set_running(my_slot);
	log_started(w, relname);

	worker_loop(w);
	worker_finish(w);
	proc_exit(0);
}
