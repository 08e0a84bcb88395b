/*-------------------------------------------------------------------------
 * pktcapture.c
 *		Module entry: GUCs, shared memory, and the SQL-callable functions.
 *
 * Design
 * ------
 * pkt_start() checks everything it can in the calling backend (the
 * interface exists, the server may capture on it, the BPF filter
 * compiles, the caller may insert into packets), claims a slot in shared
 * memory, launches one dynamic background worker for it (pkt_worker.c)
 * and waits until the worker has its pcap handle open.  The worker alone
 * owns the pcap handle, its rows in hand and its exact statistics; it
 * publishes a copy of the statistics into its slot.  pkt_load() runs the
 * same decoder and the same writer (pkt_store.c) in the calling backend,
 * and publishes into a slot of its own.
 *
 * Shared memory: PktShared, an array of pktcapture.max_captures slots,
 * guarded by one LWLock.  Writers (the owner of a slot; a backend that
 * claims or stops one) take it exclusively; readers (pkt_stats,
 * pkt_status) copy a slot under LW_SHARED and build their tuples after
 * releasing it, so they see each published snapshot whole.  A slot whose
 * capture ended keeps its final statistics until the slot is reused.
 * Every reuse bumps the slot's generation, so a late worker or a stale
 * reader never mistakes a new capture for its own.  A condition
 * variable wakes backends waiting for a worker to start or to stop.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inet.h"
#include "utils/timestamp.h"

#include "pktcapture.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* GUCs */
int			pkt_max_captures = 8;
int			pkt_batch_size = 50000;
int			pkt_flush_interval_ms = 500;
int			pkt_snaplen = 128;
int			pkt_buffer_kb = 262144;
bool		pkt_promiscuous = true;
int			pkt_log_interval_s = 10;
int			pkt_top_capacity = 65536;
int			pkt_max_pending_rows = 1000000;
int			pkt_write_method = PKT_WRITE_AUTO;
int			pkt_summary_interval_ms = 5000;
int			pkt_worker_nice = 0;

static const struct config_enum_entry write_method_options[] = {
	{"auto", PKT_WRITE_AUTO, false},
	{"insert", PKT_WRITE_INSERT, false},
	{NULL, 0, false}
};

PktShared  *pkt_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PG_FUNCTION_INFO_V1(pkt_start);
PG_FUNCTION_INFO_V1(pkt_stop);
PG_FUNCTION_INFO_V1(pkt_stats);
PG_FUNCTION_INFO_V1(pkt_status);
PG_FUNCTION_INFO_V1(pkt_interfaces);
PG_FUNCTION_INFO_V1(pkt_load);

static Size
pkt_shmem_size(void)
{
	return add_size(offsetof(PktShared, slots),
					mul_size(pkt_max_captures, sizeof(PktSlot)));
}

static void
pkt_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(pkt_shmem_size());
	RequestNamedLWLockTranche("pktcapture", 1);
}

static void
pkt_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pkt_shared = ShmemInitStruct("pktcapture", pkt_shmem_size(), &found);
	if (!found)
	{
		memset(pkt_shared, 0, pkt_shmem_size());
		pkt_shared->lock = &(GetNamedLWLockTranche("pktcapture"))->lock;
		ConditionVariableInit(&pkt_shared->cv);
		pkt_shared->nslots = pkt_max_captures;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("pktcapture.batch_size",
							"Rows written to packets in one statement.",
							NULL, &pkt_batch_size, 50000, 1, 1000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.flush_interval",
							"Longest time a captured row waits before it is written.",
							NULL, &pkt_flush_interval_ms, 500, 10, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.snaplen",
							"Bytes of each frame the kernel hands to the capture.",
							"The default covers link, IP and transport headers, so payloads are never read.",
							&pkt_snaplen, 128, 64, 262144,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.buffer_size",
							"Kernel capture buffer of each live capture.",
							"It absorbs bursts while a batch is being written.",
							&pkt_buffer_kb, 262144, 1024, 4194304,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomBoolVariable("pktcapture.promiscuous",
							 "Put the interface in promiscuous mode, as tcpdump does.",
							 NULL, &pkt_promiscuous, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.log_interval",
							"Time between the log lines about rows stored.",
							NULL, &pkt_log_interval_s, 10, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.top_capacity",
							"Distinct addresses counted exactly per direction before top talkers become approximate.",
							NULL, &pkt_top_capacity, 65536, 16, 16777216,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.max_pending_rows",
							"Rows a capture keeps in memory while the database refuses them.",
							NULL, &pkt_max_pending_rows, 1000000, 1000, 100000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.worker_nice",
							"CPU priority (nice value) of the capture workers.",
							"Higher values leave more CPU to the database's other clients when CPUs are short; the kernel buffer absorbs what the worker then reads later, and drops what it cannot hold.",
							&pkt_worker_nice, 0, 0, 19,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.summary_interval",
							"Time between the writes of a live capture's per-minute summaries.",
							"pkt_report() reads the rows stored since from packets; 0 writes them with every batch.",
							&pkt_summary_interval_ms, 5000, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomEnumVariable("pktcapture.write_method",
							 "How rows go into packets: auto (COPY where allowed, else INSERT) or insert.",
							 "COPY needs the privileges of pg_read_server_files, and a table without rules or row-level security.",
							 &pkt_write_method, PKT_WRITE_AUTO, write_method_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	/*
	 * Loaded later than shared_preload_libraries, the module can neither
	 * define PGC_POSTMASTER settings nor get shared memory; its functions
	 * then fail with a hint (pkt_require_loaded).
	 */
	if (!process_shared_preload_libraries_in_progress)
	{
		MarkGUCPrefixReserved("pktcapture");
		return;
	}
	DefineCustomIntVariable("pktcapture.max_captures",
							"Maximum number of captures and loads at once, running or kept for their statistics.",
							"Each live capture uses one background worker: keep max_worker_processes large enough.",
							&pkt_max_captures, 8, 1, 64,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pktcapture.autostart",
							   "Interfaces to capture from server start, comma-separated.",
							   "A capture that fails is started again; one stopped with pkt_stop() is not.",
							   &pkt_autostart, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pktcapture.autostart_filter",
							   "BPF filter of the autostarted captures.",
							   NULL, &pkt_autostart_filter, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pktcapture.database",
							   "Database whose packets table the autostarted captures fill.",
							   NULL, &pkt_database, "postgres", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pktcapture.role",
							   "Role the autostarted captures write as; empty for the bootstrap superuser.",
							   NULL, &pkt_role, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pktcapture");
	pkt_launcher_register();

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pkt_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pkt_shmem_startup;
}

void
pkt_require_loaded(void)
{
	if (pkt_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pktcapture must be loaded via shared_preload_libraries"),
				 errhint("Add pktcapture to shared_preload_libraries in postgresql.conf "
						 "(shared_preload_libraries = 'pktcapture') and restart the server.")));
}

/*
 * The slot, if it still belongs to the given capture.  Caller holds the
 * lock.
 */
PktSlot *
pkt_slot_lookup(int slotno, uint32 generation)
{
	PktSlot    *slot;

	if (slotno < 0 || slotno >= pkt_shared->nslots)
		return NULL;
	slot = &pkt_shared->slots[slotno];
	if (slot->generation != generation || slot->state == PKT_STATE_FREE)
		return NULL;
	return slot;
}

/* Mark a capture ended and wake whoever waits for it. */
void
pkt_slot_finish(int slotno, uint32 generation, PktState state, const char *error)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(slotno, generation);
	if (slot != NULL && slot->state != PKT_STATE_STOPPED &&
		slot->state != PKT_STATE_FAILED)
	{
		slot->state = state;
		slot->stopped_at = GetCurrentTimestamp();
		slot->pid = 0;
		if (error != NULL)
			strlcpy(slot->error, error, sizeof(slot->error));
	}
	LWLockRelease(pkt_shared->lock);
	ConditionVariableBroadcast(&pkt_shared->cv);
}

bool
pkt_slot_is_active(const PktSlot *slot)
{
	return slot->state == PKT_STATE_STARTING ||
		slot->state == PKT_STATE_RUNNING ||
		slot->state == PKT_STATE_STOPPING;
}

/*
 * Claim a slot for a new capture or load named 'name'.  An ended capture
 * of the same name gives up its slot first, then a free slot, then the
 * one that ended longest ago.  Returns the slot number, with the slot's
 * new generation in *generation.
 */
static int
pkt_slot_claim(const char *name, bool is_file, const char *filter,
			   uint32 *generation)
{
	int			found = -1;
	int			oldest = -1;
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < pkt_shared->nslots; i++)
	{
		slot = &pkt_shared->slots[i];
		if (slot->state == PKT_STATE_FREE)
		{
			if (found < 0)
				found = i;
			continue;
		}
		/* a process that died without a word (kill -9) holds nothing */
		if (pkt_slot_is_active(slot) && slot->pid > 0 &&
			kill(slot->pid, 0) != 0 && errno == ESRCH)
		{
			slot->state = PKT_STATE_FAILED;
			slot->pid = 0;
			slot->stopped_at = GetCurrentTimestamp();
			strlcpy(slot->error, "its process exited without finishing", sizeof(slot->error));
		}
		if (strcmp(slot->name, name) == 0 && slot->is_file == is_file)
		{
			if (pkt_slot_is_active(slot))
			{
				int			pid = slot->pid;

				LWLockRelease(pkt_shared->lock);
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_IN_USE),
						 is_file ?
						 errmsg("capture file \"%s\" is already being loaded", name) :
						 errmsg("capture on interface \"%s\" is already running", name),
						 errdetail("It is served by process %d.", pid),
						 is_file ? 0 :
						 errhint("Stop it first with SELECT pkt_stop('%s').", name)));
			}
			found = i;
			break;
		}
		if (!pkt_slot_is_active(slot) &&
			(oldest < 0 ||
			 slot->stopped_at < pkt_shared->slots[oldest].stopped_at))
			oldest = i;
	}
	if (found < 0)
		found = oldest;
	if (found < 0)
	{
		LWLockRelease(pkt_shared->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many captures running"),
				 errdetail("All %d capture slots are in use.", pkt_shared->nslots),
				 errhint("Stop a capture with pkt_stop(), or raise pktcapture.max_captures and restart the server.")));
	}

	slot = &pkt_shared->slots[found];
	*generation = slot->generation + 1;
	memset(slot, 0, sizeof(PktSlot));
	slot->generation = *generation;
	slot->state = is_file ? PKT_STATE_RUNNING : PKT_STATE_STARTING;
	slot->is_file = is_file;
	slot->pid = is_file ? MyProcPid : 0;
	slot->dboid = MyDatabaseId;
	slot->roleoid = GetUserId();
	strlcpy(slot->name, name, sizeof(slot->name));
	if (filter != NULL)
		strlcpy(slot->filter, filter, sizeof(slot->filter));
	slot->snaplen = pkt_snaplen;
	slot->buffer_kb = pkt_buffer_kb;
	slot->promisc = pkt_promiscuous;
	slot->started_at = GetCurrentTimestamp();
	LWLockRelease(pkt_shared->lock);
	return found;
}

/* The names of the capture interfaces, for hints. */
static char *
interface_list(void)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t  *devs;
	StringInfoData buf;

	initStringInfo(&buf);
	if (pcap_findalldevs(&devs, errbuf) != 0)
		return "(the list of interfaces could not be read)";
	for (pcap_if_t *d = devs; d != NULL; d = d->next)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", d->name);
	pcap_freealldevs(devs);
	return buf.data;
}

static void
check_insert_privilege(void)
{
	Oid			relid;
	char	   *relname;

	relname = pkt_ext_relname("packets", &relid);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to insert into table %s", relname),
				 errdetail("Rows are written as the role that starts the capture or the load."),
				 errhint("GRANT INSERT ON %s TO %s;", relname,
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}

/*
 * A capture whose pkt_start failed after its worker was registered: stop
 * the worker, free the slot.
 */
static void
pkt_capture_abandon(int slotno, uint32 generation, BackgroundWorkerHandle *handle)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = pkt_slot_lookup(slotno, generation);
	if (slot != NULL)
		slot->stop_requested = true;
	LWLockRelease(pkt_shared->lock);
	TerminateBackgroundWorker(handle);
	pkt_slot_finish(slotno, generation, PKT_STATE_FAILED,
					"pkt_start was cancelled before the capture opened");
}

/*
 * Claim a slot for a live capture and start its worker; returns the slot
 * number once the worker process runs (it may still be opening pcap).
 * Serves pkt_start and the autostart launcher.
 */
int
pkt_capture_launch(const char *ifname, const char *filter, bool autostart,
				   uint32 *generation, BackgroundWorkerHandle **handle, pid_t *pid)
{
	BackgroundWorker worker;
	int			slotno;
	BgwHandleStatus status;

	slotno = pkt_slot_claim(ifname, false, filter, generation);
	if (autostart)
	{
		LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
		pkt_shared->slots[slotno].autostart = true;
		LWLockRelease(pkt_shared->lock);
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pktcapture %s", ifname);
	strlcpy(worker.bgw_type, "pktcapture", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(worker.bgw_extra, generation, sizeof(*generation));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, handle))
	{
		pkt_slot_finish(slotno, *generation, PKT_STATE_FAILED,
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
		pkt_capture_abandon(slotno, *generation, *handle);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (status != BGWH_STARTED)
	{
		pkt_slot_finish(slotno, *generation, PKT_STATE_FAILED,
						"the background worker did not start");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the capture worker for interface \"%s\"", ifname),
				 errhint("The server log may say why.")));
	}
	return slotno;
}

/*
 * pkt_start(interface text, filter text DEFAULT NULL) RETURNS integer
 *
 * Starts capturing on the interface; returns the worker's PID once the
 * capture is open.
 */
Datum
pkt_start(PG_FUNCTION_ARGS)
{
	char	   *ifname;
	char	   *volatile filter = NULL;
	PktSlot		cfg;
	pcap_t	   *p;
	PktOpenError err;
	char		msg[PCAP_ERRBUF_SIZE + 256];
	int			slotno;
	uint32		generation;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	PktState	state;

	pkt_require_loaded();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("interface must not be null"),
				 errhint("SELECT * FROM pkt_interfaces() lists the interfaces.")));
	ifname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		filter = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (strlen(ifname) == 0 || strlen(ifname) >= IF_NAMESIZE ||
		(strcmp(ifname, "any") != 0 && if_nametoindex(ifname) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capture interface \"%s\" does not exist", ifname),
				 errhint("The interfaces are: %s.", interface_list())));
	if (filter != NULL && strlen(filter) >= PKT_FILTER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("capture filter is too long"),
				 errdetail("The limit is %d bytes.", PKT_FILTER_LEN - 1)));

	check_insert_privilege();

	/* open once here, so that every error reaches the caller directly */
	memset(&cfg, 0, sizeof(cfg));
	strlcpy(cfg.name, ifname, sizeof(cfg.name));
	if (filter != NULL)
		strlcpy(cfg.filter, filter, sizeof(cfg.filter));
	cfg.snaplen = pkt_snaplen;
	cfg.buffer_kb = 1024;		/* a probe: no need for the real buffer */
	cfg.promisc = false;
	p = pkt_open_live(&cfg, &err, msg, sizeof(msg));
	if (p == NULL)
		pkt_report_open_error(err, ifname, filter, msg);
	pcap_close(p);

	slotno = pkt_capture_launch(ifname, filter, false, &generation, &handle, &pid);

	/* wait until the worker has its capture open, or has given up */
	PG_TRY();
	{
		ConditionVariablePrepareToSleep(&pkt_shared->cv);
		for (;;)
		{
			PktSlot    *slot;
			pid_t		dummy;

			LWLockAcquire(pkt_shared->lock, LW_SHARED);
			slot = pkt_slot_lookup(slotno, generation);
			state = slot ? slot->state : PKT_STATE_FAILED;
			if (slot != NULL && state == PKT_STATE_FAILED)
			{
				err = slot->open_error;
				strlcpy(msg, slot->error, sizeof(msg));
			}
			LWLockRelease(pkt_shared->lock);
			if (state != PKT_STATE_STARTING)
				break;
			if (GetBackgroundWorkerPid(handle, &dummy) == BGWH_STOPPED)
			{
				pkt_slot_finish(slotno, generation, PKT_STATE_FAILED,
								"the capture worker exited while starting");
				continue;
			}
			ConditionVariableTimedSleep(&pkt_shared->cv, 1000, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
	}
	PG_CATCH();
	{
		pkt_capture_abandon(slotno, generation, handle);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (state == PKT_STATE_FAILED)
		pkt_report_open_error(err == PKT_OPEN_OK ? PKT_OPEN_OTHER : err,
							  ifname, filter, msg);
	PG_RETURN_INT32(pid);
}

/*
 * pkt_stop(interface text DEFAULT NULL) RETURNS integer
 *
 * Stops the capture on the interface, or all captures of this server.
 * Returns when every stopped worker has written its rows and published
 * its final statistics; the result is the number of captures stopped.
 */
Datum
pkt_stop(PG_FUNCTION_ARGS)
{
	char	   *ifname = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	int		   *slotnos = palloc(sizeof(int) * pkt_max_captures);
	uint32	   *gens = palloc(sizeof(uint32) * pkt_max_captures);
	int			nstop = 0;

	pkt_require_loaded();

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < pkt_shared->nslots; i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];

		if (slot->is_file || !pkt_slot_is_active(slot))
			continue;
		if (ifname != NULL && strcmp(slot->name, ifname) != 0)
			continue;
		slot->stop_requested = true;
		if (slot->state == PKT_STATE_RUNNING)
			slot->state = PKT_STATE_STOPPING;
		if (slot->pid > 0)
			kill(slot->pid, SIGTERM);
		slotnos[nstop] = i;
		gens[nstop] = slot->generation;
		nstop++;
	}
	LWLockRelease(pkt_shared->lock);

	if (nstop == 0)
	{
		if (ifname != NULL)
			ereport(NOTICE,
					(errmsg("no capture is running on interface \"%s\"", ifname)));
		PG_RETURN_INT32(0);
	}

	ConditionVariablePrepareToSleep(&pkt_shared->cv);
	for (;;)
	{
		bool		waiting = false;

		LWLockAcquire(pkt_shared->lock, LW_SHARED);
		for (int i = 0; i < nstop; i++)
		{
			PktSlot    *slot = pkt_slot_lookup(slotnos[i], gens[i]);

			if (slot == NULL || !pkt_slot_is_active(slot))
				continue;

			/*
			 * A worker that was never told (it had no PID yet) or that is
			 * gone without saying so must not keep us waiting.
			 */
			if (slot->pid > 0 && kill(slot->pid, 0) != 0 && errno == ESRCH)
			{
				LWLockRelease(pkt_shared->lock);
				pkt_slot_finish(slotnos[i], gens[i], PKT_STATE_FAILED,
								"the capture worker exited without finishing");
				LWLockAcquire(pkt_shared->lock, LW_SHARED);
				continue;
			}
			if (slot->pid > 0)
				kill(slot->pid, SIGTERM);
			waiting = true;
		}
		LWLockRelease(pkt_shared->lock);
		if (!waiting)
			break;
		ConditionVariableTimedSleep(&pkt_shared->cv, 1000, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	PG_RETURN_INT32(nstop);
}

/* Copies of the slots a reader asked for, taken under the shared lock. */
static PktSlot *
copy_slots(const char *name, int *nslots)
{
	PktSlot    *copy = palloc(sizeof(PktSlot) * pkt_max_captures);
	int			n = 0;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	for (int i = 0; i < pkt_shared->nslots; i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];

		if (slot->state == PKT_STATE_FREE)
			continue;
		if (name != NULL && strcmp(slot->name, name) != 0)
			continue;
		memcpy(&copy[n++], slot, sizeof(PktSlot));
	}
	LWLockRelease(pkt_shared->lock);

	/* oldest first, so output order is stable */
	for (int i = 1; i < n; i++)
	{
		for (int j = i; j > 0 && copy[j].started_at < copy[j - 1].started_at; j--)
		{
			PktSlot		tmp;

			memcpy(&tmp, &copy[j], sizeof(PktSlot));
			memcpy(&copy[j], &copy[j - 1], sizeof(PktSlot));
			memcpy(&copy[j - 1], &tmp, sizeof(PktSlot));
		}
	}
	*nslots = n;
	return copy;
}

static const char *
state_name(PktState state)
{
	switch (state)
	{
		case PKT_STATE_FREE:
			return "free";
		case PKT_STATE_STARTING:
			return "starting";
		case PKT_STATE_RUNNING:
			return "running";
		case PKT_STATE_STOPPING:
			return "stopping";
		case PKT_STATE_STOPPED:
			return "stopped";
		case PKT_STATE_FAILED:
			return "failed";
	}
	return "unknown";
}

/* The protocol as the packets table names it: TCP, UDP or the number. */
static void
protocol_label(int proto, char *buf, size_t len)
{
	if (proto == 6)
		strlcpy(buf, "TCP", len);
	else if (proto == 17)
		strlcpy(buf, "UDP", len);
	else
		snprintf(buf, len, "%d", proto);
}

static void
addr_label(const uint8 *key, char *buf, size_t len)
{
	InetSlot	ip;

	memset(&ip, 0, sizeof(ip));
	pkt_set_inet(&ip.ip, key[0], key + 1);
	strlcpy(buf, DatumGetCString(DirectFunctionCall1(inet_out, InetPGetDatum(&ip.ip))), len);
}

/* Builds the rows of pkt_stats for one capture. */
typedef struct StatsOut
{
	Tuplestorestate *ts;
	TupleDesc	desc;
	const char *name;
	uint64		total;			/* IP packets, for the shares */
} StatsOut;

#define STATS_NCOLS 7

static void
stats_row(StatsOut *out, const char *section, const char *item,
		  int64 packets, bool have_bytes, int64 bytes, bool have_share,
		  const char *note)
{
	Datum		values[STATS_NCOLS];
	bool		nulls[STATS_NCOLS];

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(out->name);
	values[1] = CStringGetTextDatum(section);
	values[2] = CStringGetTextDatum(item);
	values[3] = Int64GetDatum(packets);
	values[4] = Int64GetDatum(bytes);
	nulls[4] = !have_bytes;
	/* percent of all IP packets, to a tenth */
	nulls[5] = !have_share || out->total == 0;
	values[5] = Float8GetDatum(out->total == 0 ? 0 :
							   rint((double) packets * 1000.0 / (double) out->total) / 10.0);
	nulls[6] = note == NULL;
	values[6] = note ? CStringGetTextDatum(note) : (Datum) 0;
	tuplestore_putvalues(out->ts, out->desc, values, nulls);
}

static void
stats_top_rows(StatsOut *out, const char *section, const PktSharedTop *top)
{
	for (int i = 0; i < top->n && i < 5; i++)
	{
		char		label[64];
		char		note[128];

		addr_label(top->items[i].key, label, sizeof(label));
		if (top->items[i].error > 0)
			snprintf(note, sizeof(note),
					 "approximate: at most " UINT64_FORMAT " packets too many",
					 top->items[i].error);
		stats_row(out, section, label, (int64) top->items[i].packets,
				  true, (int64) top->items[i].bytes, true,
				  top->items[i].error > 0 ? note : NULL);
	}
}

/*
 * pkt_stats(interface text DEFAULT NULL)
 *	RETURNS TABLE (capture text, section text, item text, packets bigint,
 *				   bytes bigint, share float8, note text)
 *
 * The summary the original program printed, one line a row, for the
 * running capture or the last one, of one interface (or file) or all.
 * Rate rows hold packets and bytes per second.
 */
Datum
pkt_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	PktSlot    *slots;
	int			nslots;

	pkt_require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	slots = copy_slots(name, &nslots);

	for (int s = 0; s < nslots; s++)
	{
		const PktSlot *slot = &slots[s];
		const PktCounters *c = &slot->c;
		StatsOut	out;
		int			order[256];
		int			norder = 0;
		TimestampTz end;
		double		secs;

		out.ts = rsinfo->setResult;
		out.desc = rsinfo->setDesc;
		out.name = slot->name;
		out.total = c->result_packets[PKT_IP];

		stats_row(&out, "total", "packets", (int64) c->result_packets[PKT_IP],
				  true, (int64) c->result_bytes[PKT_IP], true, NULL);

		end = pkt_slot_is_active(slot) ? GetCurrentTimestamp() : slot->stopped_at;
		secs = (double) (end - slot->started_at) / USECS_PER_SEC;
		if (pkt_slot_is_active(slot))
			stats_row(&out, "rate", "last 5 s", (int64) rint(slot->rate_pps), true,
					  (int64) rint(slot->rate_Bps), false, "per second");
		if (secs > 0)
			stats_row(&out, "rate", "since start",
					  (int64) rint(c->result_packets[PKT_IP] / secs), true,
					  (int64) rint(c->result_bytes[PKT_IP] / secs), false, "per second");

		/* protocols, most packets first */
		for (int p = 0; p < 256; p++)
		{
			int			j;

			if (c->proto_packets[p] == 0)
				continue;
			for (j = norder; j > 0 && c->proto_packets[order[j - 1]] < c->proto_packets[p]; j--)
				order[j] = order[j - 1];
			order[j] = p;
			norder++;
		}
		for (int i = 0; i < norder; i++)
		{
			char		label[8];

			protocol_label(order[i], label, sizeof(label));
			stats_row(&out, "protocol", label, (int64) c->proto_packets[order[i]],
					  true, (int64) c->proto_bytes[order[i]], true, NULL);
		}

		stats_top_rows(&out, "top_source", &slot->top_src);
		stats_top_rows(&out, "top_destination", &slot->top_dst);

		stats_row(&out, "capture", "frames seen", (int64) c->frames, true,
				  (int64) c->frame_bytes, false, NULL);
		stats_row(&out, "capture", "rows stored", (int64) c->stored, false, 0, false, NULL);
		stats_row(&out, "capture", "rows pending", (int64) c->pending, false, 0, false, NULL);
		stats_row(&out, "loss", "kernel dropped", (int64) c->kernel_dropped, false, 0,
				  false, NULL);
		stats_row(&out, "loss", "interface dropped", (int64) c->if_dropped, false, 0,
				  false, NULL);
		stats_row(&out, "loss", "truncated", (int64) c->result_packets[PKT_TRUNCATED], true,
				  (int64) c->result_bytes[PKT_TRUNCATED], false, NULL);
		stats_row(&out, "loss", "malformed",
				  (int64) c->result_packets[PKT_MALFORMED], true,
				  (int64) c->result_bytes[PKT_MALFORMED], false,
				  c->bad_time > 0 ? "includes packets with an impossible timestamp" : NULL);
		stats_row(&out, "loss", "unsupported link type",
				  (int64) c->result_packets[PKT_UNSUPPORTED], true,
				  (int64) c->result_bytes[PKT_UNSUPPORTED], false, NULL);
		stats_row(&out, "loss", "not ip", (int64) c->result_packets[PKT_NOT_IP], true,
				  (int64) c->result_bytes[PKT_NOT_IP], false, NULL);
		stats_row(&out, "loss", "not stored", (int64) c->not_stored, false, 0, false, NULL);
	}
	return (Datum) 0;
}

/*
 * pkt_status() RETURNS SETOF record: one row per capture or load, running
 * or ended, with every counter, for programs and monitoring.
 */
Datum
pkt_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PktSlot    *slots;
	int			nslots;

	pkt_require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	slots = copy_slots(NULL, &nslots);

	for (int s = 0; s < nslots; s++)
	{
		const PktSlot *slot = &slots[s];
		const PktCounters *c = &slot->c;
		Datum		values[25];
		bool		nulls[25];
		int			i = 0;

		memset(nulls, 0, sizeof(nulls));
		nulls[i] = slot->run_id <= 0;
		values[i++] = Int32GetDatum(slot->run_id);
		values[i++] = CStringGetTextDatum(slot->name);
		values[i++] = CStringGetTextDatum(slot->is_file ? "file" : "live");
		nulls[i] = slot->filter[0] == '\0';
		values[i++] = CStringGetTextDatum(slot->filter);
		nulls[i] = slot->pid == 0;
		values[i++] = Int32GetDatum(slot->pid);
		values[i++] = CStringGetTextDatum(state_name(slot->state));
		values[i++] = TimestampTzGetDatum(slot->started_at);
		nulls[i] = slot->stopped_at == 0;
		values[i++] = TimestampTzGetDatum(slot->stopped_at);
		values[i++] = Int64GetDatum((int64) c->frames);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_IP]);
		values[i++] = Int64GetDatum((int64) c->result_bytes[PKT_IP]);
		values[i++] = Int64GetDatum((int64) c->stored);
		values[i++] = Int64GetDatum((int64) c->pending);
		values[i++] = Int64GetDatum((int64) c->kernel_dropped);
		values[i++] = Int64GetDatum((int64) c->if_dropped);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_TRUNCATED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_MALFORMED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_UNSUPPORTED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_NOT_IP]);
		values[i++] = Int64GetDatum((int64) c->not_stored);
		values[i++] = Int64GetDatum((int64) c->l4_truncated);
		nulls[i] = slot->last_flush_at == 0;
		values[i++] = TimestampTzGetDatum(slot->last_flush_at);
		nulls[i] = slot->last_flush_at == 0;
		values[i++] = Float8GetDatum(slot->last_flush_ms);
		nulls[i] = slot->error[0] == '\0';
		values[i++] = CStringGetTextDatum(slot->error);
		Assert(i == 24);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static Datum
sockaddr_to_inet(const struct sockaddr *sa, const struct sockaddr *mask, bool *ok)
{
	inet	   *ip = palloc0(sizeof(inet));
	int			bits = 0;
	const uint8 *addr;
	const uint8 *maskbytes = NULL;
	int			nbytes;

	*ok = true;
	if (sa->sa_family == AF_INET)
	{
		ip_family(ip) = PGSQL_AF_INET;
		addr = (const uint8 *) &((const struct sockaddr_in *) sa)->sin_addr;
		if (mask && mask->sa_family == AF_INET)
			maskbytes = (const uint8 *) &((const struct sockaddr_in *) mask)->sin_addr;
		nbytes = 4;
	}
	else if (sa->sa_family == AF_INET6)
	{
		ip_family(ip) = PGSQL_AF_INET6;
		addr = (const uint8 *) &((const struct sockaddr_in6 *) sa)->sin6_addr;
		if (mask && mask->sa_family == AF_INET6)
			maskbytes = (const uint8 *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
		nbytes = 16;
	}
	else
	{
		*ok = false;
		return (Datum) 0;
	}
	memcpy(ip_addr(ip), addr, nbytes);
	if (maskbytes)
	{
		for (int i = 0; i < nbytes; i++)
			bits += pg_popcount32(maskbytes[i]);
	}
	else
		bits = nbytes * 8;
	ip_bits(ip) = bits;
	SET_INET_VARSIZE(ip);
	return InetPGetDatum(ip);
}

/*
 * pkt_interfaces() RETURNS TABLE (name text, description text,
 *	addresses inet[], flags text[])
 */
Datum
pkt_interfaces(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t  *devs;

	InitMaterializedSRF(fcinfo, 0);
	if (pcap_findalldevs(&devs, errbuf) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not list capture interfaces: %s", errbuf)));

	for (pcap_if_t *d = devs; d != NULL; d = d->next)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		Datum		addrs[64];
		int			naddrs = 0;
		Datum		flags[8];
		int			nflags = 0;

		values[0] = CStringGetTextDatum(d->name);
		nulls[1] = d->description == NULL;
		values[1] = d->description ? CStringGetTextDatum(d->description) : (Datum) 0;
		for (pcap_addr_t *a = d->addresses; a != NULL && naddrs < lengthof(addrs); a = a->next)
		{
			bool		ok;
			Datum		v;

			if (a->addr == NULL)
				continue;
			v = sockaddr_to_inet(a->addr, a->netmask, &ok);
			if (ok)
				addrs[naddrs++] = v;
		}
		values[2] = PointerGetDatum(construct_array(addrs, naddrs, INETOID, -1, false, TYPALIGN_INT));
		if (d->flags & PCAP_IF_UP)
			flags[nflags++] = CStringGetTextDatum("up");
		if (d->flags & PCAP_IF_RUNNING)
			flags[nflags++] = CStringGetTextDatum("running");
		if (d->flags & PCAP_IF_LOOPBACK)
			flags[nflags++] = CStringGetTextDatum("loopback");
		if (d->flags & PCAP_IF_WIRELESS)
			flags[nflags++] = CStringGetTextDatum("wireless");
		switch (d->flags & PCAP_IF_CONNECTION_STATUS)
		{
			case PCAP_IF_CONNECTION_STATUS_CONNECTED:
				flags[nflags++] = CStringGetTextDatum("connected");
				break;
			case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
				flags[nflags++] = CStringGetTextDatum("disconnected");
				break;
			default:
				break;
		}
		values[3] = PointerGetDatum(construct_array(flags, nflags, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pcap_freealldevs(devs);
	return (Datum) 0;
}

/* What pkt_load must undo if it fails or its backend exits. */
typedef struct LoadState
{
	pcap_t	   *p;
	char	   *iobuf;			/* the file's stdio buffer, freed after p */
	int			slotno;
	uint32		generation;
	PktRun	   *run;
} LoadState;

static void
load_cleanup(int code, Datum arg)
{
	LoadState  *ls = (LoadState *) DatumGetPointer(arg);

	pcap_close(ls->p);
	ReleaseExternalFD();
	pfree(ls->iobuf);
	pkt_run_release(ls->run);
	if (ls->slotno >= 0)
		pkt_slot_finish(ls->slotno, ls->generation, PKT_STATE_FAILED,
						"the load was cancelled or failed");
}

/* Read the whole file into packets; say in damage where it broke, if it did. */
static void
read_capture_file(LoadState *ls, const char *path, PktRun *run, char *damage, size_t damagelen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int			rc;
	int64		frame = 0;
	Oid			packets_relid;
	struct stat st;

	pkt_run_init(run, ls->slotno, ls->generation, pcap_datalink(ls->p), NULL);
	run->copy_rows = PKT_LOAD_COPY_ROWS;
	run->topk_from_sums = true;
	/* a file's sums are held to its end: as many as its size suggests */
	if (stat(path, &st) == 0)
		run->sum_addrs_hint = (uint32) Min(st.st_size / 256, 65536);
	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	pkt_shared->slots[ls->slotno].linktype = run->linktype;
	LWLockRelease(pkt_shared->lock);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * The rows wait in the spool file before their COPY: lock packets now,
	 * in the order every writer takes its tables (packets, summaries,
	 * ledger), so that pkt_summary_rebuild() cannot deadlock with us.
	 */
	pkt_ext_relname("packets", &packets_relid);
	LockRelationOid(packets_relid, RowExclusiveLock);
	pkt_ledger_open(run, "file", path, NULL);
	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	pkt_shared->slots[ls->slotno].run_id = run->run_id;
	LWLockRelease(pkt_shared->lock);
	while ((rc = pcap_next_ex(ls->p, &hdr, &data)) == 1)
	{
		if (++frame % 10000 == 0)
		{
			CHECK_FOR_INTERRUPTS();
			pkt_run_publish(run, false);
		}
		if (run->nrows - run->first >= run->batch)
		{
			/* one transaction, the caller's: committed as far as we know */
			pkt_run_write(run);
			pkt_run_committed(run);
			if (pkt_run_summaries_full(run))
			{
				/* bounded memory; the final ledger update says all are summed */
				pkt_run_write_summaries(run);
				pkt_run_committed(run);
			}
		}
		pkt_run_account(run, &hdr->ts, hdr->caplen, hdr->len, data);
	}
	if (rc == PCAP_ERROR)
	{
		snprintf(damage, damagelen, "damaged after frame " INT64_FORMAT ": %s",
				 frame, pcap_geterr(ls->p));
		ereport(WARNING,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("capture file \"%s\" is damaged after frame " INT64_FORMAT,
						path, frame),
				 errdetail("libpcap reports: %s", pcap_geterr(ls->p)),
				 errhint("The " INT64_FORMAT " frames before the damage were loaded.", frame)));
	}
	while (run->nrows - run->first > 0)
	{
		pkt_run_write(run);
		pkt_run_committed(run);
	}
	pkt_run_flush(run);
	pkt_run_write_summaries(run);
	pkt_ledger_update(run, run->c.stored, "stopped", damage[0] ? damage : NULL);
	pkt_run_committed(run);
	SPI_finish();
	pkt_run_publish(run, true);
}

/*
 * pkt_load(path text) RETURNS bigint
 *
 * Reads a pcap or pcapng file into packets with the same decoder and
 * statistics as a live capture, in the caller's transaction.  A file
 * damaged part way keeps the rows read before the damage, with a
 * WARNING that says where.  Returns the number of rows stored.
 */
Datum
pkt_load(PG_FUNCTION_ARGS)
{
	char	   *path;
	char		errbuf[PCAP_ERRBUF_SIZE];
	FILE	   *fp;
	LoadState	ls;
	PktRun		run;
	char		damage[PKT_ERROR_LEN] = "";

	pkt_require_loaded();
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load a capture file"),
				 errdetail("Only roles with privileges of the \"%s\" role may read files on the server.",
						   "pg_read_server_files")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capture file name must not be null")));
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_insert_privilege();

	/*
	 * The file is opened here rather than by pcap_open_offline(), to give
	 * it a larger buffer: with stdio's default of a few kilobytes, reading
	 * takes one read() per few dozen packets, twice the time.  Its
	 * descriptor is counted against max_files_per_process (and not
	 * inherited by programs COPY runs); once pcap_fopen_offline() takes the
	 * FILE, pcap_close() closes it.
	 */
	ls.iobuf = MemoryContextAlloc(TopMemoryContext, PKT_LOAD_READ_BUFFER);
	ReserveExternalFD();
	fp = fopen(path, "rbe");
	if (fp == NULL)
	{
		int			save_errno = errno;

		ReleaseExternalFD();
		pfree(ls.iobuf);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open capture file \"%s\": %m", path)));
	}
	/* only a speed-up: without it, stdio's own buffer serves */
	(void) setvbuf(fp, ls.iobuf, _IOFBF, PKT_LOAD_READ_BUFFER);
	ls.p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (ls.p == NULL)
	{
		fclose(fp);
		ReleaseExternalFD();
		pfree(ls.iobuf);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not open capture file \"%s\"", path),
				 errdetail("libpcap reports: %s", errbuf)));
	}
	ls.slotno = -1;
	memset(&run, 0, sizeof(run));
	ls.run = &run;

	/* also on FATAL (a terminated backend): the slot must not stay "running" */
	PG_ENSURE_ERROR_CLEANUP(load_cleanup, PointerGetDatum(&ls));
	{
		ls.slotno = pkt_slot_claim(path, true, NULL, &ls.generation);
		read_capture_file(&ls, path, &run, damage, sizeof(damage));
	}
	PG_END_ENSURE_ERROR_CLEANUP(load_cleanup, PointerGetDatum(&ls));
	pcap_close(ls.p);
	ReleaseExternalFD();
	pfree(ls.iobuf);
	pkt_run_release(&run);
	pkt_slot_finish(ls.slotno, ls.generation, PKT_STATE_STOPPED,
					damage[0] ? damage : NULL);
	PG_RETURN_INT64((int64) run.c.stored);
}
