/*-------------------------------------------------------------------------
 * pkt_launcher.c
 *		Capture across server restarts: the autostart launcher.
 *
 * With pktcapture.autostart = 'eth0, eth1', a static background worker
 * connects to pktcapture.database (as pktcapture.role, or the bootstrap
 * superuser) when the server starts, and starts one capture worker per
 * listed interface, exactly as pkt_start() would.  It then watches their
 * slots once a second:
 *	- a capture that failed (interface gone, table locked out, ...) or
 *	  that was terminated without pkt_stop() is started again, after a
 *	  backoff that doubles from 5 s to 5 min while failures repeat;
 *	- a capture stopped with pkt_stop() stays stopped until the next
 *	  server start;
 *	- at shutdown the postmaster stops the launcher and the workers
 *	  alike, and the workers write their rows in hand.
 * The launcher owns nothing in shared memory but the 'autostart' mark on
 * the slots it claims.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "pkt_capture.h"
#include "pkt_guc.h"
#include "pkt_launcher.h"

#define LAUNCH_BACKOFF_MIN_MS	5000
#define LAUNCH_BACKOFF_MAX_MS	300000
#define LAUNCH_STABLE_MS		60000	/* a run this long resets the backoff */

PGDLLEXPORT void pkt_launcher_main(Datum main_arg);

typedef struct AutoCapture
{
	char	   *ifname;
	bool		launched;		/* slot and handle are those of a capture */
	PktSlotRef	slot;
	BackgroundWorkerHandle *handle;
	bool		done;			/* stopped with pkt_stop(): leave it */
	int			backoff_ms;
	TimestampTz next_try;
} AutoCapture;

void
pkt_launcher_register(void)
{
	BackgroundWorker worker;

	if (pkt_autostart == NULL || pkt_autostart[0] == '\0')
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pktcapture launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pktcapture launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* Try to start one capture; on failure, schedule the next try. */
static void
launch(AutoCapture *ac)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	pid_t		pid;
	const char *filter = (pkt_autostart_filter && pkt_autostart_filter[0]) ?
		pkt_autostart_filter : NULL;

	if (ac->handle != NULL)
	{
		pfree(ac->handle);		/* of the capture that ended */
		ac->handle = NULL;
	}
	PG_TRY();
	{
		ac->slot = pkt_capture_launch(ac->ifname, filter, true, &ac->handle, &pid);
		ac->launched = true;
		ereport(LOG,
				(errmsg("pktcapture: autostart: capture on interface \"%s\" launched (process %d)",
						ac->ifname, (int) pid)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ac->launched = false;
		ereport(LOG,
				(errmsg("pktcapture: autostart: could not launch the capture on interface \"%s\": %s",
						ac->ifname, edata->message),
				 errdetail("Next attempt in %d s.", ac->backoff_ms / 1000)));
		FreeErrorData(edata);
		ac->next_try = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ac->backoff_ms);
		ac->backoff_ms = Min(ac->backoff_ms * 2, LAUNCH_BACKOFF_MAX_MS);
	}
	PG_END_TRY();
}

/* Look at one capture's slot and decide whether it needs a new start. */
static void
watch(AutoCapture *ac, TimestampTz now)
{
	PktSlot		slot;
	bool		ended = false;
	bool		by_user = false;
	bool		stable = false;
	char		error[PKT_ERROR_LEN] = "";

	if (ac->done)
		return;
	if (ac->launched)
	{
		pid_t		pid;

		/* a worker that exited before it could say so, as its handle tells */
		if (GetBackgroundWorkerPid(ac->handle, &pid) == BGWH_STOPPED)
			pkt_slot_finish(ac->slot, PKT_STATE_FAILED, 0,
							"the capture worker exited without finishing");
		if (!pkt_slot_read(ac->slot, &slot))
			ended = true;
		else if (!pkt_slot_is_active(&slot))
		{
			ended = true;
			by_user = slot.stop_requested && slot.state == PKT_STATE_STOPPED;
			stable = slot.stopped_at - slot.started_at >= LAUNCH_STABLE_MS * INT64CONST(1000);
			strlcpy(error, slot.pub.error, sizeof(error));
		}
		if (!ended)
			return;
		if (by_user)
		{
			ereport(LOG,
					(errmsg("pktcapture: autostart: capture on interface \"%s\" was stopped with pkt_stop(); it stays stopped until the server restarts",
							ac->ifname)));
			ac->done = true;
			return;
		}
		if (stable)
			ac->backoff_ms = LAUNCH_BACKOFF_MIN_MS;
		if (error[0] != '\0')
			ereport(LOG,
					(errmsg("pktcapture: autostart: capture on interface \"%s\" ended: %s; starting it again in %d s",
							ac->ifname, error, ac->backoff_ms / 1000)));
		else
			ereport(LOG,
					(errmsg("pktcapture: autostart: capture on interface \"%s\" ended; starting it again in %d s",
							ac->ifname, ac->backoff_ms / 1000)));
		ac->launched = false;
		ac->next_try = TimestampTzPlusMilliseconds(now, ac->backoff_ms);
		ac->backoff_ms = Min(ac->backoff_ms * 2, LAUNCH_BACKOFF_MAX_MS);
		return;
	}
	if (now >= ac->next_try)
		launch(ac);
}

void
pkt_launcher_main(Datum main_arg)
{
	List	   *names;
	char	   *raw;
	AutoCapture *acs;
	int			n = 0;
	ListCell   *lc;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(pkt_database,
										 (pkt_role && pkt_role[0]) ? pkt_role : NULL, 0);
	pgstat_report_appname("pktcapture launcher");

	raw = pstrdup(pkt_autostart);
	if (!SplitGUCList(raw, ',', &names))
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in pktcapture.autostart: \"%s\"", pkt_autostart)));
	acs = palloc0(sizeof(AutoCapture) * Max(list_length(names), 1));
	foreach(lc, names)
	{
		acs[n].ifname = pstrdup((char *) lfirst(lc));
		acs[n].backoff_ms = LAUNCH_BACKOFF_MIN_MS;
		n++;
	}
	ereport(LOG,
			(errmsg("pktcapture: autostart launcher started for %d interface(s) in database \"%s\"",
					n, pkt_database)));

	while (!ShutdownRequestPending)
	{
		TimestampTz now = GetCurrentTimestamp();

		for (int i = 0; i < n; i++)
			watch(&acs[i], now);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
	proc_exit(0);
}
