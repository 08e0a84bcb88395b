/*-------------------------------------------------------------------------
 * pkt_shmem.c
 *		The capture slots in shared memory, and the one lock that guards them.
 *
 * Shared memory holds an array of pktcapture.max_captures slots, one per
 * capture or file load, running or ended (an ended one keeps its final
 * statistics until the slot is reused), plus one LWLock and one
 * condition variable.  The pointer to it is private to this file: every
 * access is a function here that takes the lock itself, so the lock is
 * never held across anything but a copy.
 *
 * Locking.  The lock guards every field of every slot.
 *	- Exclusive: claiming a slot (a backend starting a capture or a load),
 *	  the owner's changes (a capture worker, or the backend running
 *	  pkt_load: its PID, run id, state, published statistics), a stop
 *	  request (any backend), and the end of a capture.
 *	- Shared: readers (pkt_stats, pkt_status, the launcher, waiters) copy
 *	  slots under it and build their results after releasing it, so they
 *	  see each published snapshot whole.
 * The condition variable is broadcast whenever a slot's state changes, so
 * backends waiting for a worker to start or to stop sleep on it.
 *
 * Lifetime.  Every reuse of a slot bumps its generation; a PktSlotRef
 * names a slot and a generation, and every function below ignores a slot
 * that has been reused since, so a late worker or a stale reader never
 * mistakes a new capture for its own.  The owner's exit callback ends its
 * slot (pkt_slot_finish) whatever ends the process; a process that dies
 * without running it (kill -9, a crash) makes the postmaster restart the
 * server, which initializes shared memory again.  So no slot outlives
 * its process, and no liveness test by PID is needed.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pkt_guc.h"
#include "pkt_shmem.h"

typedef struct PktShared
{
	LWLock	   *lock;
	ConditionVariable cv;
	int			nslots;
	PktSlot		slots[FLEXIBLE_ARRAY_MEMBER];
} PktShared;

static PktShared *pkt_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

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

/* Ask for the shared memory; from _PG_init() of a preloaded library. */
void
pkt_shmem_init(void)
{
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

int
pkt_slots_count(void)
{
	return pkt_shared->nslots;
}

bool
pkt_slot_is_active(const PktSlot *slot)
{
	return slot->state == PKT_STATE_STARTING ||
		slot->state == PKT_STATE_RUNNING ||
		slot->state == PKT_STATE_STOPPING;
}

/* The slot, if it still belongs to ref.  Caller holds the lock. */
static PktSlot *
lookup(PktSlotRef ref)
{
	PktSlot    *slot;

	if (ref.slotno < 0 || ref.slotno >= pkt_shared->nslots)
		return NULL;
	slot = &pkt_shared->slots[ref.slotno];
	if (slot->generation != ref.generation || slot->state == PKT_STATE_FREE)
		return NULL;
	return slot;
}

/*
 * Claim a slot for a new capture or load.  An ended capture of the same
 * name gives up its slot first, then a free slot, then the one that
 * ended longest ago.
 */
PktSlotRef
pkt_slot_claim(const PktCaptureConfig *cfg, bool is_file, bool autostart)
{
	int			found = -1;
	int			oldest = -1;
	PktSlot    *slot;
	PktSlotRef	ref;

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
		if (strcmp(slot->cfg.name, cfg->name) == 0 && slot->is_file == is_file)
		{
			if (pkt_slot_is_active(slot))
			{
				int			pid = slot->pid;

				LWLockRelease(pkt_shared->lock);
				if (is_file)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_IN_USE),
							 errmsg("capture file \"%s\" is already being loaded", cfg->name),
							 errdetail("It is being loaded by process %d.", pid)));
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_IN_USE),
						 errmsg("capture on interface \"%s\" is already running", cfg->name),
						 errdetail("It is served by process %d.", pid),
						 errhint("Stop it first with SELECT pkt_stop('%s').", cfg->name)));
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
		int			nslots = pkt_shared->nslots;

		LWLockRelease(pkt_shared->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many captures running"),
				 errdetail("All %d capture slots are in use.", nslots),
				 errhint("Stop a capture with pkt_stop(), or raise pktcapture.max_captures and restart the server.")));
	}

	slot = &pkt_shared->slots[found];
	ref.slotno = found;
	ref.generation = slot->generation + 1;
	memset(slot, 0, sizeof(PktSlot));
	slot->generation = ref.generation;
	slot->state = is_file ? PKT_STATE_RUNNING : PKT_STATE_STARTING;
	slot->is_file = is_file;
	slot->autostart = autostart;
	slot->pid = is_file ? MyProcPid : 0;
	slot->dboid = MyDatabaseId;
	slot->roleoid = GetUserId();
	slot->cfg = *cfg;
	slot->started_at = GetCurrentTimestamp();
	LWLockRelease(pkt_shared->lock);
	return ref;
}

/*
 * A capture worker takes its slot: records its PID and copies the slot
 * (its configuration, and whether a stop was already asked for).  False
 * if the slot was taken back before the worker ran.
 */
bool
pkt_slot_attach(PktSlotRef ref, int pid, PktSlot *copy)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
	{
		slot->pid = pid;
		*copy = *slot;
	}
	LWLockRelease(pkt_shared->lock);
	return slot != NULL;
}

void
pkt_slot_set_run_id(PktSlotRef ref, int32 run_id)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
		slot->run_id = run_id;
	LWLockRelease(pkt_shared->lock);
}

void
pkt_slot_set_linktype(PktSlotRef ref, int linktype)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
		slot->linktype = linktype;
	LWLockRelease(pkt_shared->lock);
}

/* The capture is open: it runs, unless a stop came meanwhile. */
void
pkt_slot_set_running(PktSlotRef ref)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL && slot->state == PKT_STATE_STARTING)
		slot->state = slot->stop_requested ? PKT_STATE_STOPPING : PKT_STATE_RUNNING;
	LWLockRelease(pkt_shared->lock);
	ConditionVariableBroadcast(&pkt_shared->cv);
}

/* The capture is writing its last rows. */
void
pkt_slot_set_stopping(PktSlotRef ref)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL && slot->state == PKT_STATE_RUNNING)
		slot->state = PKT_STATE_STOPPING;
	LWLockRelease(pkt_shared->lock);
}

/* Copy a capture's statistics into its slot. */
void
pkt_slot_publish(PktSlotRef ref, const PktPublished *pub)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
	{
		slot->pub.c = pub->c;
		slot->pub.rate_pps = pub->rate_pps;
		slot->pub.rate_Bps = pub->rate_Bps;
		slot->pub.last_flush_at = pub->last_flush_at;
		slot->pub.last_flush_ms = pub->last_flush_ms;
		slot->pub.guard_state = pub->guard_state;
		slot->pub.free_bytes = pub->free_bytes;
		/* while writes fail, pkt_status says why; a stop may set its own */
		if (slot->state == PKT_STATE_RUNNING || pub->error[0] != '\0')
			strlcpy(slot->pub.error, pub->error, sizeof(slot->pub.error));
		if (pub->with_top)
		{
			slot->pub.top_src = pub->top_src;
			slot->pub.top_dst = pub->top_dst;
		}
		if (pub->with_flows)
			slot->pub.flows = pub->flows;
	}
	LWLockRelease(pkt_shared->lock);
}

/*
 * Mark a capture ended (unless it already is), with why it failed if it
 * did, and wake whoever waits for it.
 */
void
pkt_slot_finish(PktSlotRef ref, PktState state, int open_error, const char *error)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL && pkt_slot_is_active(slot))
	{
		slot->state = state;
		slot->stopped_at = GetCurrentTimestamp();
		slot->pid = 0;
		if (open_error != 0)
			slot->open_error = open_error;
		if (error != NULL)
			strlcpy(slot->pub.error, error, sizeof(slot->pub.error));
	}
	LWLockRelease(pkt_shared->lock);
	ConditionVariableBroadcast(&pkt_shared->cv);
}

/* The capture worker: what it has read back from its spool. */
void
pkt_slot_spool_reading(PktSlotRef ref, const PktSpoolReading *r)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
		slot->spool_read = *r;
	LWLockRelease(pkt_shared->lock);
}

/*
 * The spooler: publish its state, and learn what the worker has read.
 * False if the capture is over (its slot ended or reused): the spooler
 * then has no reader left.
 */
bool
pkt_slot_spooler_publish(PktSlotRef ref, const PktSpooler *s, PktSpoolReading *reading)
{
	PktSlot    *slot;
	bool		active;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	active = slot != NULL && pkt_slot_is_active(slot);
	if (slot != NULL)
	{
		slot->spooler = *s;
		*reading = slot->spool_read;
	}
	LWLockRelease(pkt_shared->lock);
	return active;
}

/* A copy of the slot, if it still belongs to ref. */
bool
pkt_slot_read(PktSlotRef ref, PktSlot *copy)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	slot = lookup(ref);
	if (slot != NULL)
		*copy = *slot;
	LWLockRelease(pkt_shared->lock);
	return slot != NULL;
}

/* Ask one capture to stop (it is told by pkt_slots_signal_stop()). */
void
pkt_slot_request_stop(PktSlotRef ref)
{
	PktSlot    *slot;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	slot = lookup(ref);
	if (slot != NULL)
		slot->stop_requested = true;
	LWLockRelease(pkt_shared->lock);
}

/*
 * A capture or load belongs to a database and a role: the caller may stop
 * it, and see it, in that database with that role's privileges (as
 * pg_cancel_backend); a member of pg_read_all_stats (pg_monitor) sees
 * every one, as pg_stat_activity shows it every session.  Catalog look-ups:
 * never under the lock.
 */
bool
pkt_slot_owned(const PktSlot *slot)
{
	return slot->dboid == MyDatabaseId && has_privs_of_role(GetUserId(), slot->roleoid);
}

bool
pkt_slot_visible(const PktSlot *slot)
{
	return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS) || pkt_slot_owned(slot);
}

/*
 * Ask the live captures on interface name, or all of them, of database
 * dboid and one of the roles (nroles of them) to stop; fill refs (room
 * for pkt_slots_count()) with them; returns how many.
 */
int
pkt_slots_request_stop(const char *name, Oid dboid, const Oid *roles, int nroles,
					   PktSlotRef *refs)
{
	int			n = 0;

	LWLockAcquire(pkt_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < pkt_shared->nslots; i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];
		bool		mine = false;

		if (slot->is_file || !pkt_slot_is_active(slot))
			continue;
		if (name != NULL && strcmp(slot->cfg.name, name) != 0)
			continue;
		for (int r = 0; r < nroles && !mine; r++)
			mine = slot->dboid == dboid && slot->roleoid == roles[r];
		if (!mine)
			continue;
		slot->stop_requested = true;
		if (slot->state == PKT_STATE_RUNNING)
			slot->state = PKT_STATE_STOPPING;
		refs[n].slotno = i;
		refs[n].generation = slot->generation;
		n++;
	}
	LWLockRelease(pkt_shared->lock);
	return n;
}

/*
 * Send SIGTERM to the workers of those captures that have not ended yet
 * (a worker that had no PID when the stop was asked is told now); returns
 * how many have not.
 */
int
pkt_slots_signal_stop(const PktSlotRef *refs, int n)
{
	int			active = 0;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	for (int i = 0; i < n; i++)
	{
		PktSlot    *slot = lookup(refs[i]);

		if (slot == NULL || !pkt_slot_is_active(slot))
			continue;
		if (slot->pid > 0)
			kill(slot->pid, SIGTERM);
		active++;
	}
	LWLockRelease(pkt_shared->lock);
	return active;
}

/*
 * Copies of the slots in use, of the capture or load named name or all,
 * oldest first; in palloc'd memory.
 */
PktSlot *
pkt_slots_copy(const char *name, int *nslots)
{
	PktSlot    *copy = palloc(sizeof(PktSlot) * pkt_max_captures);
	int			n = 0;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	for (int i = 0; i < pkt_shared->nslots; i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];

		if (slot->state == PKT_STATE_FREE)
			continue;
		if (name != NULL && strcmp(slot->cfg.name, name) != 0)
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

/* Run ids of the captures and loads of database dboid that have not ended. */
int
pkt_slots_active_runs(Oid dboid, int32 *run_ids, int max)
{
	int			n = 0;

	LWLockAcquire(pkt_shared->lock, LW_SHARED);
	for (int i = 0; i < pkt_shared->nslots && n < max; i++)
	{
		PktSlot    *slot = &pkt_shared->slots[i];

		if (slot->dboid == dboid && slot->run_id > 0 && pkt_slot_is_active(slot))
			run_ids[n++] = slot->run_id;
	}
	LWLockRelease(pkt_shared->lock);
	return n;
}

void
pkt_slots_wait_prepare(void)
{
	ConditionVariablePrepareToSleep(&pkt_shared->cv);
}

/* Sleep until a slot changes state, or timeout_ms pass. */
void
pkt_slots_wait(long timeout_ms)
{
	(void) ConditionVariableTimedSleep(&pkt_shared->cv, timeout_ms, PG_WAIT_EXTENSION);
}

void
pkt_slots_wait_cancel(void)
{
	ConditionVariableCancelSleep();
}
