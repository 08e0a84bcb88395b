/*-------------------------------------------------------------------------
 * pkt_spooler.c
 *		The spool of a live capture: a second background worker, the
 *		spooler, drains the kernel buffer into files; the capture worker
 *		makes rows from those files, falling behind during a burst and
 *		catching up after it instead of letting the kernel drop frames.
 *
 * Why.  The capture worker decodes every frame and writes its row by COPY
 * in one process, about 3 us a frame.  A burst faster than that fills the
 * kernel buffer and the kernel drops frames.  The spooler only copies each
 * frame into a file (about what tcpdump -w does), so it keeps up with the
 * wire on a core of its own, and the rows follow from disk.  With
 * pktcapture.spool_size = 0 (the default) there is no spooler and the
 * capture worker reads the kernel buffer itself.
 *
 * The files.  Segments in libpcap's file format, numbered from 1, in
 * base/pgsql_tmp/pgsql_tmppktcapture.SLOT.GENERATION under the data
 * directory: PostgreSQL's own place for temporary files, so they are on
 * the filesystem the disk guard watches, pg_basebackup leaves them out,
 * and the server removes them when it starts after a crash.  The spooler
 * writes N.part and renames it N.pcap once closed: at
 * PKT_SPOOL_SEGMENT_MS after its first frame, or at its size bound,
 * whichever comes first.  The capture worker reads closed segments in
 * order with pcap_open_offline and removes each one read.
 *
 * The bound.  The spooler stops reading the kernel while the segments not
 * yet removed hold pktcapture.spool_size, or while a new segment would go
 * below the disk guard's reserve; the kernel buffer then fills and its
 * drops are counted as kernel drops, as without a spool.  Nothing is
 * dropped by the spool itself.
 *
 * Shared state (the slot, pkt_shmem.c, under its lock).  The spooler
 * alone writes slot->spooler: its state, closed segments, frames and
 * bytes spooled, the kernel's counters.  The capture worker alone writes
 * slot->spool_read: segments and bytes read back, and the request to
 * stop.  Each sets the other's latch (by PGPROC number: shared memory
 * holds no pointers) when it has news: a segment closed, a segment
 * removed.
 *
 * Lifetime.  The capture worker creates the directory, launches the
 * spooler and waits for it to open the interface (so pkt_start reports a
 * missing interface as before).  To stop, it asks the spooler to end,
 * which drains the kernel buffer into a last segment; the worker reads
 * every segment left, then removes the directory.  The spooler ignores
 * SIGTERM (at a shutdown the capture worker asks it to end once its
 * frames are in files) and ends by itself when its capture is over.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "common/file_perm.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pkt_guard.h"
#include "pkt_spooler.h"

#define PKT_SPOOL_SEGMENT_MS	100 /* longest a frame waits in an open segment */
#define PKT_SPOOL_PUBLISH_MS	250
#define PKT_SPOOL_SEGMENT_MAX	((int64) 64 * 1024 * 1024)
#define PKT_SPOOL_SEGMENT_MIN	((int64) 1024 * 1024)
#define PKT_SPOOL_STDIO_BUF		(1024 * 1024)
#define PKT_SPOOL_OPEN_WAIT_MS	100
#define PKT_SPOOL_DRAIN_MS		2000	/* longest each reading of the kernel at the end */
#define PKT_SPOOL_END_WAIT_S	30	/* how long the worker waits for it to end */
#define PCAP_FILE_HEADER		24	/* libpcap's file header */
#define PCAP_RECORD_HEADER		16	/* and each record's */

/* the default tablespace's temporary directory, as fd.c names it */
#define SPOOL_PARENT			"base/" PG_TEMP_FILES_DIR

PGDLLEXPORT void pkt_spooler_main(Datum main_arg);

static void
spool_dir(PktSlotRef ref, char *dir, size_t len)
{
	snprintf(dir, len, "%s/%s%s.%d.%u", SPOOL_PARENT, PG_TEMP_FILE_PREFIX,
			 "pktcapture", ref.slotno, ref.generation);
}

static void
segment_path(const char *dir, uint64 segno, bool closed, char *path, size_t len)
{
	snprintf(path, len, "%s/" UINT64_FORMAT ".%s", dir, segno, closed ? "pcap" : "part");
}

static TimestampTz
time_of(const struct timeval *tv)
{
	return (TimestampTz) tv->tv_sec * USECS_PER_SEC + tv->tv_usec -
		((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC);
}

static void
set_latch_of(int procno)
{
	if (procno >= 0 && procno < (int) ProcGlobal->allProcCount)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/*
 * Remove the spool's files and its directory, with PostgreSQL's rmtree()
 * (which warns of what it cannot remove); missing is fine.
 */
static void
remove_spool(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		(void) rmtree(dir, true);
}

/* ------------------------------------------------------------------------
 * The spooler process
 * ------------------------------------------------------------------------
 */

typedef struct Spooler
{
	PktSlotRef	ref;
	PktSlot		cfg;
	char		dir[MAXPGPATH];
	pcap_t	   *p;
	pcap_dumper_t *out;			/* the open segment, or NULL */
	char	   *outbuf;
	int64		seg_bytes;
	int64		seg_max;
	int64		bound;
	TimestampTz seg_first_at;	/* 0 while the open segment has no frame */
	TimestampTz published_at;
	TimestampTz stats_at;		/* the kernel's counters last read */
	struct timeval first_ts;	/* of the first frame spooled */
	struct timeval last_ts;		/* and of the newest */
	PktSpooler	pub;
	PktSpoolReading reading;
	bool		over;			/* the capture ended without asking us */
	uint64		discarded;		/* read at the end with no room to keep them */
} Spooler;

static Spooler *spooler;

static void spooler_publish(Spooler *s, bool wake);

/*
 * Exit callback: whatever ends the process, its state says it ended, so
 * the capture worker does not wait for segments that will not come.
 */
static void
spooler_on_exit(int code, Datum arg)
{
	if (spooler == NULL)
		return;
	LWLockReleaseAll();
	if (spooler->pub.state == PKT_SPOOL_STARTING || spooler->pub.state == PKT_SPOOL_OPEN)
	{
		spooler->pub.state = PKT_SPOOL_FAILED;
		if (spooler->pub.error[0] == '\0')
			strlcpy(spooler->pub.error, "the spooler exited unexpectedly",
					sizeof(spooler->pub.error));
	}
	spooler_publish(spooler, true);
}

/*
 * Publish our state and learn the worker's; wake the worker if there is
 * news for it (a segment closed, the end).
 */
static void
spooler_publish(Spooler *s, bool wake)
{
	if (s->pub.frames > 0)
	{
		s->pub.first = time_of(&s->first_ts);
		s->pub.newest = time_of(&s->last_ts);
	}
	if (!pkt_slot_spooler_publish(s->ref, &s->pub, &s->reading))
		s->over = true;
	s->published_at = GetCurrentTimestamp();
	if (wake)
		set_latch_of(s->reading.procno);
}

static void
spooler_fail(Spooler *s, const char *fmt,...) pg_attribute_printf(2, 3);

static void
spooler_fail(Spooler *s, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(s->pub.error, sizeof(s->pub.error), fmt, args);
	va_end(args);
	s->pub.state = PKT_SPOOL_FAILED;
	ereport(LOG,
			(errmsg("pktcapture: spool of interface \"%s\" failed: %s",
					s->cfg.cfg.name, s->pub.error)));
}

/* Is there room for one more segment, in the bound and above the reserve? */
static bool
spooler_room(Spooler *s)
{
	int64		held = (int64) (s->pub.bytes - s->reading.bytes);

	if (held + s->seg_max > s->bound)
		return false;
	return pkt_guard_free(s->dir) >= 2 * s->seg_max;
}

static bool
spooler_open_segment(Spooler *s)
{
	char		path[MAXPGPATH];
	int			fd;
	FILE	   *f;

	segment_path(s->dir, s->pub.segments + 1, false, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, pg_file_create_mode);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL)
	{
		spooler_fail(s, "could not create spool file \"%s\": %m", path);
		if (fd >= 0)
			close(fd);
		return false;
	}
	setvbuf(f, s->outbuf, _IOFBF, PKT_SPOOL_STDIO_BUF);
	s->out = pcap_dump_fopen(s->p, f);
	if (s->out == NULL)
	{
		spooler_fail(s, "could not write spool file \"%s\": %s", path, pcap_geterr(s->p));
		fclose(f);
		return false;
	}
	s->seg_bytes = PCAP_FILE_HEADER;
	s->pub.bytes += PCAP_FILE_HEADER;
	s->seg_first_at = 0;
	return true;
}

/* Close the open segment and hand it to the capture worker. */
static bool
spooler_close_segment(Spooler *s)
{
	char		part[MAXPGPATH];
	char		done[MAXPGPATH];
	bool		ok;

	if (s->out == NULL)
		return true;
	segment_path(s->dir, s->pub.segments + 1, false, part, sizeof(part));
	segment_path(s->dir, s->pub.segments + 1, true, done, sizeof(done));
	ok = pcap_dump_flush(s->out) == 0 && !ferror(pcap_dump_file(s->out));
	errno = 0;
	pcap_dump_close(s->out);
	s->out = NULL;
	if (!ok)
	{
		spooler_fail(s, "could not write spool file \"%s\": %m", part);
		return false;
	}
	if (rename(part, done) != 0)
	{
		spooler_fail(s, "could not rename spool file \"%s\": %m", part);
		return false;
	}
	s->pub.segments++;
	spooler_publish(s, true);
	return true;
}

static void
spooler_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	Spooler    *s = (Spooler *) user;
	int64		rec = PCAP_RECORD_HEADER + h->caplen;

	pcap_dump((u_char *) s->out, h, bytes);
	s->seg_bytes += rec;
	s->pub.bytes += rec;
	if (s->pub.frames == 0)
		s->first_ts = h->ts;
	s->pub.frames++;
	s->last_ts = h->ts;
	if (s->seg_first_at == 0)
		s->seg_first_at = GetCurrentTimestamp();
	if (s->seg_bytes >= s->seg_max)
		pcap_breakloop(s->p);
}

static void
spooler_kernel_stats(Spooler *s)
{
	struct pcap_stat ps;

	if (pcap_stats(s->p, &ps) == 0)
	{
		s->pub.kernel_dropped = ps.ps_drop + s->discarded;
		s->pub.if_dropped = ps.ps_ifdrop;
	}
}

/*
 * Read what the kernel has into segments, while there is room.  False
 * if the capture or the spool failed.
 */
static bool
spooler_read(Spooler *s)
{
	for (int i = 0; i < 64; i++)
	{
		int			n;

		if (s->out == NULL)
		{
			bool		room = spooler_room(s);

			if (!room && !s->pub.full)
				s->pub.full_waits++;
			s->pub.full = !room;
			if (!room)
				return true;
			if (!spooler_open_segment(s))
				return false;
		}
		n = pcap_dispatch(s->p, -1, spooler_packet, (u_char *) s);
		if (n == PCAP_ERROR_BREAK || s->seg_bytes >= s->seg_max)
		{
			if (!spooler_close_segment(s))
				return false;
			continue;
		}
		if (n < 0)
		{
			spooler_fail(s, "%s", pcap_geterr(s->p));
			return false;
		}
		if (n == 0)
			break;
	}
	return true;
}

/*
 * Waits on the kernel's descriptor, the latch and postmaster death; at
 * the bound, on the latch (a segment removed) and postmaster death only.
 */
static void
spooler_loop(Spooler *s)
{
	WaitEventSet *reading = CreateWaitEventSet(TopMemoryContext, 3);
	WaitEventSet *full = CreateWaitEventSet(TopMemoryContext, 2);

	AddWaitEventToSet(reading, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(reading, WL_SOCKET_READABLE, pcap_get_selectable_fd(s->p), NULL, NULL);
	AddWaitEventToSet(reading, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(full, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(full, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);

	while (!s->reading.stop && !s->over && s->pub.state == PKT_SPOOL_OPEN)
	{
		WaitEvent	events[3];
		WaitEventSet *wes = s->pub.full ? full : reading;
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz deadline = TimestampTzPlusMilliseconds(s->stats_at, PKT_SPOOL_PUBLISH_MS);

		if (s->seg_first_at != 0)
			deadline = Min(deadline, TimestampTzPlusMilliseconds(s->seg_first_at,
																 PKT_SPOOL_SEGMENT_MS));
		(void) WaitEventSetWait(wes, TimestampDifferenceMilliseconds(now, deadline),
								events, lengthof(events), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		/* SIGTERM: the capture worker asks us to end once it stops */
		ShutdownRequestPending = false;

		/* what the worker has read, and whether it asks us to end */
		now = GetCurrentTimestamp();
		if (now >= TimestampTzPlusMilliseconds(s->stats_at, PKT_SPOOL_PUBLISH_MS))
		{
			spooler_kernel_stats(s);
			s->stats_at = now;
		}
		spooler_publish(s, false);
		if (s->reading.stop || s->over)
			break;

		if (!spooler_read(s))
			break;
		now = GetCurrentTimestamp();
		if (s->seg_first_at != 0 &&
			now >= TimestampTzPlusMilliseconds(s->seg_first_at, PKT_SPOOL_SEGMENT_MS) &&
			!spooler_close_segment(s))
			break;
	}
	FreeWaitEventSet(reading);
	FreeWaitEventSet(full);
}

/* At the end, a frame there is no room to keep: counted as a kernel drop. */
static void
spooler_discard(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	((Spooler *) user)->discarded++;
}

/*
 * Ending: the frames the kernel still holds (a block it has not handed
 * over yet appears within its timeout: read twice around it) go into the
 * last segment, whatever the bound, since the capture ends; but not below
 * the disk guard's reserve: those are read and counted as kernel drops.
 */
static void
spooler_finish(Spooler *s)
{
	if (s->pub.state == PKT_SPOOL_OPEN && !s->over)
	{
		s->bound = INT64_MAX;
		for (int pass = 0; pass < 2; pass++)
		{
			uint64		before;
			TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															PKT_SPOOL_DRAIN_MS);

			/* until the kernel has nothing ready, within a bound: traffic goes on */
			do
			{
				before = s->pub.frames;
				if (!spooler_read(s))
					break;
			} while (s->pub.frames != before && GetCurrentTimestamp() < until);
			if (s->pub.state != PKT_SPOOL_OPEN)
				break;
			if (pass == 0)
				pg_usleep((PKT_PCAP_TIMEOUT_MS + 50) * 1000L);
		}
	}
	/*
	 * What the disk guard's reserve left in the kernel buffer is counted
	 * (frames after the end, as without a spool, are not read at all).
	 */
	for (TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 PKT_SPOOL_DRAIN_MS);
		 s->pub.full && GetCurrentTimestamp() < until;)
	{
		if (pcap_dispatch(s->p, -1, spooler_discard, (u_char *) s) <= 0)
			break;
	}
	spooler_kernel_stats(s);
	if (s->pub.state == PKT_SPOOL_OPEN || s->pub.state == PKT_SPOOL_FAILED)
		(void) spooler_close_segment(s);
	if (s->pub.state == PKT_SPOOL_OPEN)
		s->pub.state = PKT_SPOOL_ENDED;
	pcap_close(s->p);
	spooler_publish(s, true);
	if (s->over)
		remove_spool(s->dir);	/* no reader is left */
}

void
pkt_spooler_main(Datum main_arg)
{
	Spooler    *s;
	PktOpenError err;
	char		msg[PCAP_ERRBUF_SIZE + 256];

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	s = MemoryContextAllocZero(TopMemoryContext, sizeof(Spooler));
	s->ref.slotno = DatumGetInt32(main_arg);
	memcpy(&s->ref.generation, MyBgworkerEntry->bgw_extra, sizeof(s->ref.generation));
	if (!pkt_slot_read(s->ref, &s->cfg) || !pkt_slot_is_active(&s->cfg))
		proc_exit(0);			/* its capture ended before we ran */
	spool_dir(s->ref, s->dir, sizeof(s->dir));
	s->outbuf = MemoryContextAlloc(TopMemoryContext, PKT_SPOOL_STDIO_BUF);
	s->bound = (int64) s->cfg.cfg.spool_mb * 1024 * 1024;
	s->seg_max = Max(PKT_SPOOL_SEGMENT_MIN, Min(PKT_SPOOL_SEGMENT_MAX, s->bound / 16));
	s->reading = s->cfg.spool_read;
	s->pub.state = PKT_SPOOL_STARTING;
	s->pub.pid = MyProcPid;
	s->pub.procno = MyProc->pgprocno;
	spooler = s;
	before_shmem_exit(spooler_on_exit, (Datum) 0);
	pgstat_report_appname("pktcapture spool");

	s->p = pkt_open_live(&s->cfg.cfg, &err, msg, sizeof(msg));
	if (s->p == NULL)
	{
		s->pub.open_error = err;
		strlcpy(s->pub.error, msg, sizeof(s->pub.error));
		s->pub.state = PKT_SPOOL_FAILED;
		spooler_publish(s, true);
		proc_exit(0);
	}
	s->pub.linktype = pcap_datalink(s->p);
	s->pub.state = PKT_SPOOL_OPEN;
	spooler_publish(s, true);

	spooler_loop(s);
	spooler_finish(s);
	proc_exit(0);
}

/* ------------------------------------------------------------------------
 * The capture worker's side
 * ------------------------------------------------------------------------
 */

static void
reader_publish(PktSpoolReader *r)
{
	pkt_slot_spool_reading(r->ref, &r->reading);
	set_latch_of(r->spooler.procno);
}

/* The spooler's state, as it last published it. */
void
pkt_spooler_refresh(PktSpoolReader *r)
{
	PktSlot    *slot = palloc(sizeof(PktSlot));

	if (pkt_slot_read(r->ref, slot))
		r->spooler = slot->spooler;
	pfree(slot);
}

/*
 * Make the spool's directory, launch the spooler and wait until it has
 * the interface open.  False if it could not: err and msg say why, as
 * pkt_open_live() does.
 */
bool
pkt_spooler_open(PktSpoolReader *r, PktSlotRef ref, const char *ifname,
			   PktOpenError *err, char *msg, size_t msglen)
{
	BackgroundWorker worker;
	pid_t		pid;

	memset(r, 0, sizeof(*r));
	r->ref = ref;
	spool_dir(ref, r->dir, sizeof(r->dir));
	*err = PKT_OPEN_OTHER;

	/* left by a server that ran without removing temporary files */
	remove_spool(r->dir);
	if ((MakePGDirectory(SPOOL_PARENT) != 0 && errno != EEXIST) ||
		MakePGDirectory(r->dir) != 0)
	{
		snprintf(msg, msglen, "could not create spool directory \"%s\": %m", r->dir);
		return false;
	}
	r->reading.procno = MyProc->pgprocno;
	pkt_slot_spool_reading(ref, &r->reading);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pktcapture", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pkt_spooler_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pktcapture spool %s", ifname);
	strlcpy(worker.bgw_type, "pktcapture spool", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(ref.slotno);
	memcpy(worker.bgw_extra, &ref.generation, sizeof(ref.generation));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &r->handle))
	{
		snprintf(msg, msglen, "no background worker slot was free for its spooler (raise max_worker_processes: a capture with a spool takes two)");
		remove_spool(r->dir);
		return false;
	}
	if (WaitForBackgroundWorkerStartup(r->handle, &pid) != BGWH_STARTED)
	{
		snprintf(msg, msglen, "its spooler did not start");
		remove_spool(r->dir);
		return false;
	}

	for (;;)
	{
		pkt_spooler_refresh(r);
		if (r->spooler.state == PKT_SPOOL_OPEN)
			return true;
		if (r->spooler.state == PKT_SPOOL_FAILED || r->spooler.state == PKT_SPOOL_ENDED ||
			GetBackgroundWorkerPid(r->handle, &pid) == BGWH_STOPPED)
		{
			if (r->spooler.open_error != 0)
				*err = (PktOpenError) r->spooler.open_error;
			strlcpy(msg, r->spooler.error[0] ? r->spooler.error : "its spooler exited",
					msglen);
			pkt_spooler_close(r);
			return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 PKT_SPOOL_OPEN_WAIT_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Done with the segment being read: remove it. */
static void
reader_remove_segment(PktSpoolReader *r)
{
	char		path[MAXPGPATH];
	struct stat st;

	pcap_close(r->seg);
	r->seg = NULL;
	segment_path(r->dir, r->reading.segments + 1, true, path, sizeof(path));
	if (stat(path, &st) == 0)
		r->reading.bytes += st.st_size;
	if (unlink(path) != 0)
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("pktcapture: could not remove spool file \"%s\": %m", path)));
	r->reading.segments++;
	r->reading.newest = time_of(&r->last_ts);
	reader_publish(r);
}

/*
 * Hand at most cnt frames of the spool to cb, as pcap_dispatch() does,
 * going on to the next segment when one ends.  Returns the frames read, 0
 * if no closed segment is left, -1 if a segment could not be read (msg
 * says why).
 */
int
pkt_spooler_dispatch(PktSpoolReader *r, int cnt, pcap_handler cb, u_char *user,
				   char *msg, size_t msglen)
{
	for (;;)
	{
		int			n;

		if (r->seg == NULL)
		{
			char		path[MAXPGPATH];
			char		errbuf[PCAP_ERRBUF_SIZE];

			if (r->reading.segments >= r->spooler.segments)
				pkt_spooler_refresh(r);
			if (r->reading.segments >= r->spooler.segments)
				return 0;
			segment_path(r->dir, r->reading.segments + 1, true, path, sizeof(path));
			r->seg = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
															 errbuf);
			if (r->seg == NULL)
			{
				snprintf(msg, msglen, "could not read spool file \"%s\": %s", path, errbuf);
				return -1;
			}
		}
		n = pcap_dispatch(r->seg, cnt, cb, user);
		if (n > 0)
			return n;
		if (n < 0)
		{
			snprintf(msg, msglen, "could not read spool segment " UINT64_FORMAT ": %s",
					 r->reading.segments + 1, pcap_geterr(r->seg));
			reader_remove_segment(r);
			return -1;
		}
		reader_remove_segment(r);
	}
}

/* Closed segments not read yet, or one being read? */
bool
pkt_spooler_backlog(const PktSpoolReader *r)
{
	return r->seg != NULL || r->reading.segments < r->spooler.segments;
}

/* Has the spooler ended, and every segment it closed been read? */
bool
pkt_spooler_done(const PktSpoolReader *r)
{
	return (r->spooler.state == PKT_SPOOL_ENDED ||
			r->spooler.state == PKT_SPOOL_FAILED) && !pkt_spooler_backlog(r);
}

/* Ask the spooler to put what the kernel holds in a last segment and end. */
void
pkt_spooler_stop(PktSpoolReader *r)
{
	if (r->reading.stop)
		return;
	r->reading.stop = true;
	reader_publish(r);
}

/*
 * The end of the capture: the spooler asked to end and waited for (for
 * a bounded time), the spool removed.
 */
void
pkt_spooler_close(PktSpoolReader *r)
{
	pid_t		pid;

	pkt_spooler_stop(r);
	if (r->seg != NULL)
	{
		pcap_close(r->seg);
		r->seg = NULL;
	}
	for (int i = 0; r->handle != NULL && i < PKT_SPOOL_END_WAIT_S * 10 &&
		 GetBackgroundWorkerPid(r->handle, &pid) != BGWH_STOPPED; i++)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	remove_spool(r->dir);
}
