/*-------------------------------------------------------------------------
 * pkt_capture.c
 *		Starting and stopping live captures: a slot and a background
 *		worker per capture.
 *
 * pkt_capture_start() (pkt_start) checks everything it can in the calling
 * backend (the interface exists, the server may capture on it, the BPF
 * filter compiles, the caller may insert into packets), claims a slot,
 * launches one dynamic background worker for it (pkt_worker.c) and waits
 * until the worker has its pcap handle open.  The autostart launcher
 * (pkt_launcher.c) launches workers the same way.  pkt_capture_stop()
 * (pkt_stop) asks workers to stop and waits until each has written its
 * rows and published its final statistics.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <net/if.h>

#include "miscadmin.h"
#include "postmaster/bgworker.h"

#include "pkt_capture.h"
#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_pcap.h"

/*
 * A capture whose start failed after its worker was registered: stop the
 * worker, end the slot.
 */
static void
capture_abandon(PktSlotRef ref, BackgroundWorkerHandle *handle)
{
	pkt_slot_request_stop(ref);
	TerminateBackgroundWorker(handle);
	pkt_slot_finish(ref, PKT_STATE_FAILED, PKT_OPEN_OK,
					"pkt_start was cancelled before the capture opened");
}

/*
 * Claim a slot for a live capture and start its worker; returns once the
 * worker process runs (it may still be opening pcap), with its handle and
 * PID.  Serves pkt_start and the autostart launcher.
 */
PktSlotRef
pkt_capture_launch(const char *ifname, const char *filter, bool autostart,
				   BackgroundWorkerHandle **handle, pid_t *pid)
{
	BackgroundWorker worker;
	PktCaptureConfig cfg;
	PktSlotRef	ref;
	BgwHandleStatus status;

	memset(&cfg, 0, sizeof(cfg));
	strlcpy(cfg.name, ifname, sizeof(cfg.name));
	if (filter != NULL)
		strlcpy(cfg.filter, filter, sizeof(cfg.filter));
	cfg.snaplen = Max(pkt_snaplen, pkt_frame_snaplen);
	cfg.frame_snaplen = pkt_frame_snaplen;
	cfg.buffer_kb = pkt_buffer_kb;
	cfg.promisc = pkt_promiscuous;
	cfg.spool_mb = pkt_spool_mb;
	ref = pkt_slot_claim(&cfg, false, autostart);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pktcapture %s", ifname);
	strlcpy(worker.bgw_type, "pktcapture", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(ref.slotno);
	memcpy(worker.bgw_extra, &ref.generation, sizeof(ref.generation));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, handle))
	{
		pkt_slot_finish(ref, PKT_STATE_FAILED, PKT_OPEN_OK,
						"no background worker slot was free");
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the capture worker for interface \"%s\"", ifname),
				 errdetail("No background worker slot is free."),
				 errhint("Raise max_worker_processes (it counts every capture) and restart the server.")));
	}
	PG_TRY();
	{
		status = WaitForBackgroundWorkerStartup(*handle, pid);
	}
	PG_CATCH();
	{
		/* cancelled: the caller gets an error, so no capture may go on */
		capture_abandon(ref, *handle);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (status != BGWH_STARTED)
	{
		pkt_slot_finish(ref, PKT_STATE_FAILED, PKT_OPEN_OK,
						"the background worker did not start");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the capture worker for interface \"%s\"", ifname),
				 errhint("The server log may say why.")));
	}
	return ref;
}

/*
 * The slot of a launched capture, once it is no longer starting.  The
 * worker's handle, which no reused PID can fool, tells whether the worker
 * exited before it said anything.
 */
static PktSlot *
wait_opened(PktSlotRef ref, BackgroundWorkerHandle *handle)
{
	PktSlot    *slot = palloc(sizeof(PktSlot));

	pkt_slots_wait_prepare();
	for (;;)
	{
		pid_t		pid;

		if (!pkt_slot_read(ref, slot))
		{
			/* taken back: it ended long ago */
			memset(slot, 0, sizeof(PktSlot));
			slot->state = PKT_STATE_FAILED;
			break;
		}
		if (slot->state != PKT_STATE_STARTING)
			break;
		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pkt_slot_finish(ref, PKT_STATE_FAILED, PKT_OPEN_OK,
							"the capture worker exited while starting");
			continue;
		}
		pkt_slots_wait(1000);
	}
	pkt_slots_wait_cancel();
	return slot;
}

/*
 * Start capturing on interface ifname with an optional BPF filter;
 * returns the worker's PID once the capture is open, or raises the error
 * that says why it could not open.
 */
int
pkt_capture_start(const char *ifname, const char *filter)
{
	PktCaptureConfig probe;
	pcap_t	   *p;
	PktOpenError err;
	char		msg[PCAP_ERRBUF_SIZE + 256];
	PktSlotRef	ref;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	PktSlot    *volatile slot = NULL;

	if (strlen(ifname) == 0 || strlen(ifname) >= IF_NAMESIZE ||
		(strcmp(ifname, "any") != 0 && if_nametoindex(ifname) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capture interface \"%s\" does not exist", ifname),
				 errhint("The interfaces are: %s.", pkt_interface_list())));
	if (filter != NULL && strlen(filter) >= PKT_FILTER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("capture filter is too long"),
				 errdetail("The limit is %d bytes.", PKT_FILTER_LEN - 1)));

	pkt_check_ext_version();

	/* open once here, so that every error reaches the caller directly */
	memset(&probe, 0, sizeof(probe));
	strlcpy(probe.name, ifname, sizeof(probe.name));
	if (filter != NULL)
		strlcpy(probe.filter, filter, sizeof(probe.filter));
	probe.snaplen = pkt_snaplen;
	probe.buffer_kb = 1024;		/* a probe: no need for the real buffer */
	probe.promisc = false;
	p = pkt_open_live(&probe, &err, msg, sizeof(msg));
	if (p == NULL)
		pkt_report_open_error(err, ifname, filter, msg);
	pcap_close(p);

	ref = pkt_capture_launch(ifname, filter, false, &handle, &pid);

	/* wait until the worker has its capture open, or has given up */
	PG_TRY();
	{
		slot = wait_opened(ref, handle);
	}
	PG_CATCH();
	{
		capture_abandon(ref, handle);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (slot->state == PKT_STATE_FAILED)
		pkt_report_open_error(slot->open_error == PKT_OPEN_OK ? PKT_OPEN_OTHER :
							  (PktOpenError) slot->open_error,
							  ifname, filter, slot->pub.error);
	return (int) pid;
}

/*
 * Stop the live capture on interface ifname, or all of them, of those the
 * caller owns (pkt_slot_owned); returns once every stopped worker has
 * written its rows and published its final statistics, with the number
 * of captures stopped.
 */
int
pkt_capture_stop(const char *ifname)
{
	PktSlotRef *refs = palloc(sizeof(PktSlotRef) * pkt_slots_count());
	int			nslots;
	PktSlot    *slots = pkt_slots_copy(ifname, &nslots);
	Oid		   *roles = palloc(sizeof(Oid) * Max(nslots, 1));
	int			nroles = 0;
	int			nstop;

	/* the roles whose captures are the caller's, looked up outside the lock */
	for (int i = 0; i < nslots; i++)
	{
		bool		listed = false;

		for (int r = 0; r < nroles && !listed; r++)
			listed = roles[r] == slots[i].roleoid;
		if (!listed && pkt_slot_owned(&slots[i]))
			roles[nroles++] = slots[i].roleoid;
	}
	nstop = pkt_slots_request_stop(ifname, MyDatabaseId, roles, nroles, refs);
	if (nstop == 0)
	{
		if (ifname != NULL)
			ereport(NOTICE,
					(errmsg("no capture is running on interface \"%s\"", ifname)));
		return 0;
	}

	/* SIGTERM again each second: a worker that had no PID yet is told too */
	pkt_slots_wait_prepare();
	while (pkt_slots_signal_stop(refs, nstop) > 0)
		pkt_slots_wait(1000);
	pkt_slots_wait_cancel();
	return nstop;
}
