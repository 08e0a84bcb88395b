/*-------------------------------------------------------------------------
 * pkt_worker.c
 *		The capture background worker: one per live capture.
 *
 * What the worker owns: its pcap handle, its PktRun (exact counters, top
 * talkers, rows not yet written) in its own memory, and its slot in
 * shared memory, which it alone writes while the capture runs (backends
 * only set stop_requested).  One loop, no threads: it waits on its latch,
 * the pcap descriptor and postmaster death in one long-lived
 * WaitEventSet; reads what the kernel has; writes a batch through SPI
 * when it holds pktcapture.batch_size rows or its oldest row has waited
 * pktcapture.flush_interval; publishes its counters every quarter
 * second.
 *
 * A batch that fails (table locked past lock_timeout, disk full, a
 * column altered, a cancel) does not kill the worker: the error is
 * logged once with its context, the rows stay in hand, and the batch is
 * retried with exponential backoff while capture goes on.  Rows beyond
 * pktcapture.max_pending_rows are counted as not stored.  If the packets
 * table is gone (DROP TABLE, DROP EXTENSION) the capture stops cleanly.
 *
 * SIGTERM (pkt_stop, server shutdown) ends the loop: the worker drains
 * the kernel buffer, writes every row in hand, publishes its final
 * statistics, marks the slot stopped and exits.
 *
 * libpcap settings, chosen for throughput without losing packets:
 * - snap length pktcapture.snaplen (128): headers only, so the kernel
 *   copies little and payloads, which may carry secrets, are never read;
 * - buffer pktcapture.buffer_size (256 MB): with TPACKET_V3 and the
 *   headers-only snap length it holds over a million frames, so a burst of
 *   a million packets at tcpreplay's full speed (about 190 000/s here,
 *   faster than the worker writes rows while sharing 2 cores with the
 *   sender) waits in the kernel instead of being dropped: the benchmark
 *   drops 13% of such a burst with 64 MB and none with 256 MB;
 * - timeout PKT_PCAP_TIMEOUT_MS, not immediate mode: the kernel hands
 *   over whole blocks, at most 100 ms late, which costs one wakeup per
 *   block instead of one per packet;
 * - non-blocking, because the WaitEventSet does the waiting;
 * - microsecond timestamps, the precision of timestamptz.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <net/if.h>
#include <sys/resource.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pktcapture.h"

#define PKT_PCAP_TIMEOUT_MS		100
#define PKT_PUBLISH_MS			250
#define PKT_RETRY_MIN_MS		100
#define PKT_RETRY_MAX_MS		5000
#define PKT_STOP_RETRY_MS		10000	/* how long the last write may retry */

static volatile sig_atomic_t got_sigterm = false;

/* the capture this process serves, for the exit callback */
static int	my_slotno = -1;
static uint32 my_generation = 0;

/* state of the writer's retries */
typedef struct Backoff
{
	int			failures;		/* consecutive failed attempts */
	int			delay_ms;
	TimestampTz retry_at;
} Backoff;

typedef struct WriteState
{
	Backoff		rows;
	Backoff		sums;			/* the summaries' transactions */
	bool		table_gone;
} WriteState;

static void
pkt_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/*
 * Open a live capture as configured in cfg.  On failure returns NULL and
 * says why in *err and msg.
 */
pcap_t *
pkt_open_live(const PktSlot *cfg, PktOpenError *err, char *msg, size_t msglen)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_t	   *p;
	int			rc;

	*err = PKT_OPEN_OK;
	errbuf[0] = '\0';
	p = pcap_create(cfg->name, errbuf);
	if (p == NULL)
	{
		*err = PKT_OPEN_OTHER;
		strlcpy(msg, errbuf, msglen);
		return NULL;
	}
	pcap_set_snaplen(p, cfg->snaplen);
	pcap_set_promisc(p, cfg->promisc ? 1 : 0);
	pcap_set_timeout(p, PKT_PCAP_TIMEOUT_MS);
	pcap_set_buffer_size(p, cfg->buffer_kb * 1024);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);

	rc = pcap_activate(p);
	if (rc < 0)
	{
		const char *why = pcap_geterr(p);

		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			*err = PKT_OPEN_NO_DEVICE;
		else if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
			*err = PKT_OPEN_PERM;
		else
			*err = PKT_OPEN_OTHER;
		strlcpy(msg, (why && why[0]) ? why : pcap_statustostr(rc), msglen);
		pcap_close(p);
		return NULL;
	}

	/*
	 * "any" offers Linux cooked v1 and v2; only v2 carries the interface
	 * index that names each row's interface.  libpcap 1.10 defaults to v1.
	 * (Before the filter: it is compiled for the link type.)
	 */
	{
		int		   *dlts;
		int			ndlts = pcap_list_datalinks(p, &dlts);

		for (int i = 0; i < ndlts; i++)
		{
			if (dlts[i] == DLT_LINUX_SLL2)
			{
				(void) pcap_set_datalink(p, DLT_LINUX_SLL2);
				break;
			}
		}
		if (ndlts > 0)
			pcap_free_datalinks(dlts);
	}

	if (cfg->filter[0] != '\0')
	{
		struct bpf_program prog;

		if (pcap_compile(p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		{
			*err = PKT_OPEN_FILTER;
			strlcpy(msg, pcap_geterr(p), msglen);
			pcap_close(p);
			return NULL;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc < 0)
		{
			*err = PKT_OPEN_OTHER;
			strlcpy(msg, pcap_geterr(p), msglen);
			pcap_close(p);
			return NULL;
		}
	}
	if (pcap_setnonblock(p, 1, errbuf) < 0)
	{
		*err = PKT_OPEN_OTHER;
		strlcpy(msg, errbuf, msglen);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Turn a failure of pkt_open_live() into the caller's ERROR. */
void
pkt_report_open_error(PktOpenError err, const char *ifname, const char *filter,
					  const char *msg)
{
	switch (err)
	{
		case PKT_OPEN_NO_DEVICE:
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("capture interface \"%s\" does not exist", ifname),
					 errdetail("libpcap reports: %s", msg),
					 errhint("SELECT * FROM pkt_interfaces() lists the interfaces.")));
			break;
		case PKT_OPEN_PERM:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to capture on interface \"%s\"", ifname),
					 errdetail("libpcap reports: %s", msg),
					 errhint("The PostgreSQL server needs the CAP_NET_RAW capability. "
							 "For the Debian service, run \"systemctl edit postgresql@15-main\", "
							 "add \"[Service]\" and \"AmbientCapabilities=CAP_NET_RAW\", "
							 "then restart it; the README's section \"Privileges\" has the details.")));
			break;
		case PKT_OPEN_FILTER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture filter \"%s\"", filter ? filter : ""),
					 errdetail("libpcap reports: %s", msg),
					 errhint("The filter uses tcpdump's syntax, described in pcap-filter(7).")));
			break;
		case PKT_OPEN_SETUP:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the capture worker for interface \"%s\" could not start", ifname),
					 errdetail("%s", msg),
					 errhint("The server log has the details.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not capture on interface \"%s\"", ifname),
					 errdetail("%s", msg)));
			break;
	}
}

/* Exit callback: whatever ends this process, the slot says so. */
static void
pkt_worker_on_exit(int code, Datum arg)
{
	LWLockReleaseAll();
	pkt_slot_finish(my_slotno, my_generation, PKT_STATE_FAILED,
					"the capture worker exited unexpectedly");
}

static bool
is_table_gone(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_UNDEFINED_TABLE ||
		sqlerrcode == ERRCODE_UNDEFINED_OBJECT ||
		sqlerrcode == ERRCODE_UNDEFINED_SCHEMA;
}

/* A transaction of the worker's, connected to SPI, with a snapshot. */
static void
worker_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
worker_xact_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * One transaction: a batch of rows, or the summaries of the rows committed
 * since they were last written.  Returns false if it failed; the rows stay
 * pending (the sums held) and ws says when to try again.
 */
static bool
worker_transaction(PktRun *run, WriteState *ws, const char *ifname, bool summaries)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	int			nbatch = Min(run->nrows - run->first, run->batch);
	volatile bool ok = true;

	PG_TRY();
	{
		worker_xact_begin();
		if (summaries)
		{
			pgstat_report_activity(STATE_RUNNING, "pktcapture: writing summaries");
			pkt_run_write_summaries(run);
			pkt_ledger_update(run, run->c.stored, NULL, NULL);
		}
		else
		{
			pgstat_report_activity(STATE_RUNNING, "pktcapture: writing rows to packets");
			pkt_run_write(run);
		}
		worker_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		TimestampTz now;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pkt_run_aborted(run);
		ok = false;
		now = GetCurrentTimestamp();

		if (is_table_gone(edata->sqlerrcode))
		{
			ws->table_gone = true;
			ereport(LOG,
					(errmsg("pktcapture: table packets is gone, stopping the capture on interface \"%s\"",
							ifname),
					 errdetail("%s", edata->message),
					 errhint("CREATE EXTENSION pktcapture, then start the capture again.")));
		}
		else
		{
			Backoff    *b = summaries ? &ws->sums : &ws->rows;

			b->delay_ms = b->failures == 0 ? PKT_RETRY_MIN_MS :
				Min(b->delay_ms * 2, PKT_RETRY_MAX_MS);
			/* log the first failure, then one line a minute */
			if (b->failures == 0 || b->failures % (60000 / PKT_RETRY_MAX_MS) == 0)
			{
				if (summaries)
					ereport(WARNING,
							(errcode(edata->sqlerrcode),
							 errmsg("pktcapture: could not write the summaries of interface \"%s\": %s",
									ifname, edata->message),
							 edata->detail ? errdetail("%s", edata->detail) : 0,
							 errhint("The sums are kept in memory and retried; pkt_report() reads the rows from packets meanwhile.")));
				else
					ereport(WARNING,
							(errcode(edata->sqlerrcode),
							 errmsg("pktcapture: could not write %d rows to packets from interface \"%s\": %s",
									nbatch, ifname, edata->message),
							 edata->detail ? errdetail("%s", edata->detail) : 0,
							 errhint("The rows are kept in memory (up to pktcapture.max_pending_rows = %d) and retried; %d attempts failed so far.",
									 pkt_max_pending_rows, b->failures + 1)));
			}
			b->failures++;
			b->retry_at = TimestampTzPlusMilliseconds(now, b->delay_ms);
			snprintf(run->last_error, sizeof(run->last_error),
					 "writing %s failed %d times, retrying: %s",
					 summaries ? "summaries" : "rows", b->failures, edata->message);
			if (summaries && pkt_run_summaries_full(run))
			{
				/* memory stays bounded: the sums go, the rows stay */
				pkt_run_abandon_summaries(run);
				ereport(WARNING,
						(errmsg("pktcapture: the capture on interface \"%s\" no longer writes summaries",
								ifname),
						 errdetail("Its sums reached their bound while the summaries could not be written."),
						 errhint("pkt_report() reads the rows of this capture from packets; SELECT pkt_summary_rebuild() after it stops makes the summaries whole again.")));
			}
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (!ok)
		return false;
	pkt_run_committed(run);
	run->last_error[0] = '\0';
	if (summaries)
		ws->sums.failures = 0;
	else if (ws->rows.failures > 0)
	{
		ereport(LOG,
				(errmsg("pktcapture: writing rows from interface \"%s\" again after %d failed attempts",
						ifname, ws->rows.failures)));
		ws->rows.failures = 0;
	}
	return true;
}

/* Are the summaries due, and not waiting for a retry after a failure? */
static bool
summaries_due(PktRun *run, const WriteState *ws, TimestampTz now)
{
	return pkt_run_summaries_due(run, now) &&
		(ws->sums.failures == 0 || now >= ws->sums.retry_at);
}

/*
 * Write every row in hand, one transaction per batch, then the summaries
 * if they are due.  Returns false if a transaction failed.
 */
static bool
worker_write(PktRun *run, WriteState *ws, const char *ifname)
{
	while (run->nrows - run->first > 0 && !ws->table_gone)
	{
		if (!worker_transaction(run, ws, ifname, false))
			return false;
	}
	if (!ws->table_gone && summaries_due(run, ws, GetCurrentTimestamp()) &&
		!worker_transaction(run, ws, ifname, true))
		return false;
	return !ws->table_gone;
}

/*
 * The run's last ledger update: its final counters and state, with the
 * last summaries if with_summaries.  Returns false if it failed.
 */
static bool
close_ledger(PktRun *run, const char *state, const char *error, bool with_summaries)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		worker_xact_begin();
		if (with_summaries)
			pkt_run_write_summaries(run);
		pkt_ledger_update(run, run->c.stored, state, error);
		worker_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pkt_run_aborted(run);
		ok = false;
		ereport(is_table_gone(edata->sqlerrcode) ? LOG : WARNING,
				(errmsg("pktcapture: could not record the end of run %d in pkt_runs%s: %s",
						run->run_id, with_summaries ? " with its last summaries" : "",
						edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	if (ok)
		pkt_run_committed(run);
	return ok;
}

/*
 * The end of the run in the ledger, with the last summaries; if these
 * cannot be written, without them (pkt_report then reads the rows they
 * miss from packets, pkt_summary_rebuild() adds them).
 */
static void
worker_close_ledger(PktRun *run, const char *state, const char *error)
{
	/* packets may be gone and pkt_runs still there (DROP TABLE packets) */
	if (!close_ledger(run, state, error, true))
		(void) close_ledger(run, state, error, false);
}

/*
 * Is a write due now: a full batch, or the oldest row waited long enough,
 * or summaries held long enough?
 */
static bool
write_due(PktRun *run, const WriteState *ws, TimestampTz now)
{
	int			pending = run->nrows - run->first;

	if (ws->table_gone)
		return false;
	if (pending == 0)
		return summaries_due(run, ws, now);
	if (ws->rows.failures > 0)
		return now >= ws->rows.retry_at;
	return pending >= run->batch ||
		now >= TimestampTzPlusMilliseconds(run->first_row_at, pkt_flush_interval_ms);
}

typedef struct WorkerCtx
{
	PktRun	   *run;
	WriteState *ws;
	const char *ifname;
} WorkerCtx;

static void
worker_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	WorkerCtx  *ctx = (WorkerCtx *) user;
	PktRun	   *run = ctx->run;

	if (run->nrows - run->first >= run->batch && ctx->ws->rows.failures == 0)
		worker_write(run, ctx->ws, ctx->ifname);
	pkt_run_account(run, &h->ts, h->caplen, h->len, bytes);
}

/*
 * Read what the kernel has ready, at most a few batches' worth, so the
 * loop keeps answering its latch under any load.  Returns false if the
 * capture failed (interface gone).
 */
static bool
worker_read(pcap_t *p, WorkerCtx *ctx, char *error, size_t errlen)
{
	for (int i = 0; i < 8; i++)
	{
		int			n = pcap_dispatch(p, ctx->run->batch, worker_packet, (u_char *) ctx);

		if (n < 0)
		{
			strlcpy(error, pcap_geterr(p), errlen);
			return false;
		}
		if (n == 0)
			break;
	}
	return true;
}

static void
worker_kernel_stats(pcap_t *p, PktRun *run)
{
	struct pcap_stat ps;

	if (pcap_stats(p, &ps) == 0)
	{
		run->c.kernel_dropped = ps.ps_drop;
		run->c.if_dropped = ps.ps_ifdrop;
	}
}

static void
worker_log_progress(PktRun *run, const char *ifname, uint64 *last_stored,
					TimestampTz *last_log)
{
	TimestampTz now = GetCurrentTimestamp();
	long		secs;
	int			usecs;

	if (pkt_log_interval_s <= 0 ||
		now < TimestampTzPlusMilliseconds(*last_log, pkt_log_interval_s * 1000))
		return;
	if (run->c.stored != *last_stored)
	{
		TimestampDifference(*last_log, now, &secs, &usecs);
		ereport(LOG,
				(errmsg("pktcapture: interface \"%s\": " UINT64_FORMAT " rows stored, " UINT64_FORMAT " in the last %ld s (%.0f rows/s)",
						ifname, run->c.stored, run->c.stored - *last_stored, secs,
						(double) (run->c.stored - *last_stored) / Max(secs + usecs / 1e6, 0.001)),
				 errdetail("Frames seen: " UINT64_FORMAT "; kernel drops: " UINT64_FORMAT "; rows not stored: " UINT64_FORMAT "; rows pending: " UINT64_FORMAT ".",
						   run->c.frames, run->c.kernel_dropped, run->c.not_stored,
						   run->c.pending)));
		*last_stored = run->c.stored;
	}
	*last_log = now;
}

/*
 * The table must be there before we say the capture runs; the run's
 * ledger row is written then.  If that fails, the slot says why (for
 * pkt_start) and the worker exits.  Returns the table's name.
 */
static char *
worker_prepare(PktRun *run, const PktSlot *cfg, MemoryContext runcxt)
{
	char	   *relname = NULL;
	Oid			relid;
	PktSlot    *slot;

	PG_TRY();
	{
		worker_xact_begin();
		relname = pkt_ext_relname("packets", &relid);
		relname = MemoryContextStrdup(runcxt, relname);
		pkt_ledger_open(run, "live", cfg->name, cfg->filter[0] ? cfg->filter : NULL);
		worker_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(runcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
		slot = pkt_slot_lookup(my_slotno, my_generation);
		if (slot != NULL)
			slot->open_error = PKT_OPEN_SETUP;
		LWLockRelease(pkt_shared->lock);
		pkt_slot_finish(my_slotno, my_generation, PKT_STATE_FAILED, edata->message);
		ereport(LOG,
				(errmsg("pktcapture: the capture on interface \"%s\" could not start: %s",
						cfg->name, edata->message)));
		proc_exit(0);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(runcxt);
	return relname;
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

void
pkt_worker_main(Datum main_arg)
{
	PktSlot		cfg;
	PktSlot    *slot;
	pcap_t	   *p;
	PktOpenError err;
	char		msg[PCAP_ERRBUF_SIZE + 256];
	char		error[PCAP_ERRBUF_SIZE] = "";
	PktRun		run;
	WriteState	ws;
	WorkerCtx	ctx;
	WaitEventSet *wes;
	MemoryContext runcxt;
	uint64		last_stored = 0;
	TimestampTz last_log;
	bool		failed = false;
	char	   *relname;

	my_slotno = DatumGetInt32(main_arg);
	memcpy(&my_generation, MyBgworkerEntry->bgw_extra, sizeof(my_generation));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, pkt_sigterm);
	BackgroundWorkerUnblockSignals();

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	slot = pkt_slot_lookup(my_slotno, my_generation);
	if (slot != NULL)
		memcpy(&cfg, slot, sizeof(PktSlot));
	LWLockRelease(pkt_shared->lock);
	if (slot == NULL)
		proc_exit(0);			/* the slot was taken back before we ran */

	before_shmem_exit(pkt_worker_on_exit, (Datum) 0);
	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(my_slotno, my_generation);
	if (slot != NULL)
		slot->pid = MyProcPid;
	LWLockRelease(pkt_shared->lock);

	BackgroundWorkerInitializeConnectionByOid(cfg.dboid, cfg.roleoid, 0);
	pgstat_report_appname("pktcapture");
	worker_set_nice(cfg.name);

	/*
	 * A lock held on packets for long must not stop reading the kernel
	 * buffer: give up on the batch quickly, keep the rows, retry.
	 */
	SetConfigOption("lock_timeout", "1000", PGC_SUSET, PGC_S_OVERRIDE);

	p = pkt_open_live(&cfg, &err, msg, sizeof(msg));
	if (p == NULL)
	{
		LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
		slot = pkt_slot_lookup(my_slotno, my_generation);
		if (slot != NULL)
			slot->open_error = err;
		LWLockRelease(pkt_shared->lock);
		pkt_slot_finish(my_slotno, my_generation, PKT_STATE_FAILED, msg);
		ereport(LOG,
				(errmsg("pktcapture: could not capture on interface \"%s\": %s",
						cfg.name, msg)));
		proc_exit(0);
	}

	runcxt = AllocSetContextCreate(TopMemoryContext, "pktcapture run",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(runcxt);
	pkt_run_init(&run, my_slotno, my_generation, pcap_datalink(p), cfg.name);
	memset(&ws, 0, sizeof(ws));
	ctx.run = &run;
	ctx.ws = &ws;
	ctx.ifname = cfg.name;

	relname = worker_prepare(&run, &cfg, runcxt);

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(my_slotno, my_generation);
	if (slot != NULL)
	{
		slot->run_id = run.run_id;
		slot->linktype = run.linktype;
		if (slot->state == PKT_STATE_STARTING)
			slot->state = slot->stop_requested ? PKT_STATE_STOPPING : PKT_STATE_RUNNING;
	}
	LWLockRelease(pkt_shared->lock);
	ConditionVariableBroadcast(&pkt_shared->cv);

	ereport(LOG,
			(errmsg("pktcapture: capture started on interface \"%s\"%s%s%s",
					cfg.name, cfg.filter[0] ? " with filter \"" : "",
					cfg.filter, cfg.filter[0] ? "\"" : ""),
			 errdetail("Link type %s, snap length %d bytes, buffer %d kB, promiscuous mode %s.",
					   pcap_datalink_val_to_name(run.linktype) ?
					   pcap_datalink_val_to_name(run.linktype) : "unknown",
					   cfg.snaplen, cfg.buffer_kb, cfg.promisc ? "on" : "off")));
	ereport(LOG,
			(errmsg("pktcapture: table %s is ready for rows from interface \"%s\"",
					relname, cfg.name)));
	if (!pkt_dlt_supported(run.linktype))
		ereport(WARNING,
				(errmsg("pktcapture: link type %d of interface \"%s\" is not supported",
						run.linktype, cfg.name),
				 errdetail("Its frames are counted as \"unsupported link type\" and not stored.")));

	wes = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wes, WL_SOCKET_READABLE, pcap_get_selectable_fd(p), NULL, NULL);
	AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	last_log = GetCurrentTimestamp();
	pgstat_report_activity(STATE_IDLE, NULL);

	while (!got_sigterm && !ws.table_gone)
	{
		WaitEvent	events[3];
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz deadline = TimestampTzPlusMilliseconds(run.last_publish_at, PKT_PUBLISH_MS);
		long		timeout;

		if (run.nrows - run.first > 0)
		{
			TimestampTz due = ws.rows.failures > 0 ? ws.rows.retry_at :
				TimestampTzPlusMilliseconds(run.first_row_at, pkt_flush_interval_ms);

			deadline = Min(deadline, due);
		}
		timeout = deadline > now ? (long) ((deadline - now + 999) / 1000) : 0;

		(void) WaitEventSetWait(wes, timeout, events, lengthof(events),
								PG_WAIT_EXTENSION);
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
					 errhint("SELECT pkt_stop('%s') stops the capture.", cfg.name)));
		}
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			worker_set_nice(cfg.name);
		}

		if (!worker_read(p, &ctx, error, sizeof(error)))
		{
			failed = true;
			ereport(LOG,
					(errmsg("pktcapture: capture on interface \"%s\" failed: %s",
							cfg.name, error)));
			break;
		}

		now = GetCurrentTimestamp();
		if (write_due(&run, &ws, now))
			worker_write(&run, &ws, cfg.name);
		if (now >= TimestampTzPlusMilliseconds(run.last_publish_at, PKT_PUBLISH_MS))
		{
			worker_kernel_stats(p, &run);
			pkt_run_publish(&run, true);
		}
		worker_log_progress(&run, cfg.name, &last_stored, &last_log);
	}

	/*
	 * Stopping.  Packets the kernel holds in a block it has not handed
	 * over yet appear within one timeout: read twice around it.
	 */
	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(my_slotno, my_generation);
	if (slot != NULL && slot->state == PKT_STATE_RUNNING)
		slot->state = PKT_STATE_STOPPING;
	LWLockRelease(pkt_shared->lock);
	pgstat_report_activity(STATE_RUNNING, "pktcapture: stopping");

	if (!failed && !ws.table_gone)
	{
		for (int pass = 0; pass < 2; pass++)
		{
			int			n;

			while ((n = pcap_dispatch(p, run.batch, worker_packet, (u_char *) &ctx)) > 0)
				;
			if (pass == 0)
				pg_usleep((PKT_PCAP_TIMEOUT_MS + 50) * 1000L);
		}
	}
	worker_kernel_stats(p, &run);

	/* the last write may retry for a bounded time, then gives up */
	{
		TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  PKT_STOP_RETRY_MS);

		while (!worker_write(&run, &ws, cfg.name) && !ws.table_gone &&
			   GetCurrentTimestamp() < give_up)
			pg_usleep(ws.rows.delay_ms * 1000L);
	}
	if (run.nrows - run.first > 0)
	{
		run.c.not_stored += run.nrows - run.first;
		run.c.pending = 0;
		run.first = run.nrows = 0;
	}
	pkt_run_publish(&run, true);
	pcap_close(p);
	worker_close_ledger(&run, failed ? "failed" : (ws.table_gone ? "failed" : "stopped"),
						failed ? error : (ws.table_gone ? "table packets was dropped" : NULL));

	ereport(LOG,
			(errmsg("pktcapture: capture stopped on interface \"%s\": " UINT64_FORMAT " packets (" UINT64_FORMAT " bytes), " UINT64_FORMAT " rows stored",
					cfg.name, run.c.result_packets[PKT_IP], run.c.result_bytes[PKT_IP],
					run.c.stored),
			 errdetail("Frames seen: " UINT64_FORMAT "; kernel drops: " UINT64_FORMAT "; interface drops: " UINT64_FORMAT "; truncated: " UINT64_FORMAT "; malformed: " UINT64_FORMAT "; not IP: " UINT64_FORMAT "; unsupported: " UINT64_FORMAT "; rows not stored: " UINT64_FORMAT ".",
					   run.c.frames, run.c.kernel_dropped, run.c.if_dropped,
					   run.c.result_packets[PKT_TRUNCATED],
					   run.c.result_packets[PKT_MALFORMED],
					   run.c.result_packets[PKT_NOT_IP],
					   run.c.result_packets[PKT_UNSUPPORTED], run.c.not_stored)));

	pkt_slot_finish(my_slotno, my_generation,
					(failed || ws.table_gone) ? PKT_STATE_FAILED : PKT_STATE_STOPPED,
					failed ? error : (ws.table_gone ? "table packets was dropped" : NULL));
	proc_exit(0);
}
