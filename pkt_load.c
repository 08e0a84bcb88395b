/*-------------------------------------------------------------------------
 * pkt_load.c
 *		Loading a capture file into packets, in the calling backend.
 *
 * pkt_load() reads a pcap or pcapng file through the same decoder and the
 * same run (pkt_run.c) as a live capture, in the caller's transaction,
 * and publishes into a slot of its own, so that pkt_stats and pkt_status
 * show it as it goes.  A file damaged part way keeps the rows read before
 * the damage, with a WARNING that says where, and the ledger records it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"
#include "pkt_load.h"
#include "pkt_maint.h"
#include "pkt_run.h"

#define PKT_LOAD_COPY_ROWS 1000000	/* rows per COPY statement of a file load */
#define PKT_LOAD_READ_BUFFER (1024 * 1024)	/* stdio buffer of a file load */

/* What pkt_load must undo if it fails or its backend exits. */
typedef struct LoadState
{
	pcap_t	   *p;
	char	   *iobuf;			/* the file's stdio buffer, freed after p */
	PktSlotRef	slot;
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
	if (ls->slot.slotno >= 0)
		pkt_slot_finish(ls->slot, PKT_STATE_FAILED, 0, "the load was cancelled or failed");
}

/*
 * Write a batch, if the disk guard (guarding gr, the load's rows) has room
 * for it (a load drops no partition: they would stay locked to its end);
 * else count it as not stored.
 */
static void
load_write(PktRun *run, const PktGuardRows *gr)
{
	int			n = Min(pkt_run_pending(run), run->batch);

	if (pkt_maint_make_room(NULL, &run->guard, pkt_run_room_bytes(run, n), gr) > 0)
	{
		pkt_run_write(run);
		pkt_run_committed(run);
	}
	else
		pkt_run_refuse(run, n);
}

/* Read the whole file into packets; say in damage where it broke, if it did. */
static void
read_capture_file(LoadState *ls, const char *path, char *damage, size_t damagelen)
{
	PktRun	   *run = ls->run;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int			rc;
	int64		frame = 0;
	Oid			packets_relid;
	PktGuardRows gr = {psprintf("rows of capture file \"%s\"", path),
		"The rows are counted as not stored by the disk guard while space is short; drop partitions (CALL pkt_maintain() with pktcapture.retention set) or free space, then load the file again.",
	NULL, NULL, &run->c.not_stored_disk};

	pkt_run_init(run, ls->slot, pcap_datalink(ls->p), NULL);
	pkt_run_set_copy_rows(run, PKT_LOAD_COPY_ROWS);
	pkt_run_keep_frames(run, pkt_frame_snaplen);
	pkt_slot_set_linktype(ls->slot, run->linktype);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * The rows wait in the spool file before their COPY: lock packets now,
	 * in the order every writer takes its tables (packets, summaries,
	 * flows, ledger), so that pkt_summary_rebuild() cannot deadlock with us.
	 */
	pkt_ext_relname("packets", &packets_relid);
	LockRelationOid(packets_relid, RowExclusiveLock);
	pkt_run_open(run, "file", path, NULL);
	while ((rc = pcap_next_ex(ls->p, &hdr, &data)) == 1)
	{
		if (++frame % 10000 == 0)
		{
			CHECK_FOR_INTERRUPTS();
			pkt_run_publish(run, false);
		}
		if (pkt_run_batch_due(run) ||
			run->flow_breaks >= PKT_FLOWS_LOAD_INTERVALS)
		{
			/* one transaction, the caller's: committed as far as we know */
			load_write(run, &gr);
			if (pkt_sums_full(&run->sums))
			{
				/* bounded memory; the final ledger update says all are summed */
				pkt_run_write_summaries(run);
				pkt_run_committed(run);
			}
			else if (pkt_flows_batch_due(&run->flows))
			{
				/* intervals closed: their conversations go, memory stays bounded */
				pkt_run_write_flows(run);
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
	while (pkt_run_pending(run) > 0)
		load_write(run, &gr);
	pkt_run_flush(run);
	pkt_run_close(run);
	pkt_run_write_summaries(run);
	pkt_run_update_ledger(run, "stopped", damage[0] ? damage : NULL);
	pkt_run_committed(run);
	SPI_finish();
	pkt_run_publish(run, true);
}

/* Opening the file failed: close what is open, say why. */
static void pg_attribute_noreturn()
open_failed(int fd, const char *path, bool in_stat)
{
	int			save_errno = errno;

	if (fd >= 0)
		close(fd);
	ReleaseExternalFD();
	errno = save_errno;
	if (in_stat)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat capture file \"%s\": %m", path)));
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not open capture file \"%s\": %m", path)));
}

/*
 * Open the capture file for reading.  Only a regular file: opening a
 * FIFO would block this backend until a writer came, out of reach of
 * statement_timeout and pg_terminate_backend, so it is opened without
 * blocking and refused, as is a directory or a device.  The descriptor
 * is counted against max_files_per_process (and not inherited by
 * programs COPY runs).
 */
static FILE *
open_capture_file(const char *path)
{
	int			fd;
	struct stat st;
	FILE	   *fp;

	ReserveExternalFD();
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		open_failed(fd, path, false);
	if (fstat(fd, &st) != 0)
		open_failed(fd, path, true);
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		ReleaseExternalFD();
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("capture file \"%s\" is not a regular file", path),
				 errdetail("pkt_load reads regular files only; a FIFO, a device or a directory is refused."),
				 errhint("Write the capture to a file first, for example with tcpdump -w.")));
	}
	/* reads block as usual from here on */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
		(fp = fdopen(fd, "rb")) == NULL)
		open_failed(fd, path, false);
	return fp;
}

/*
 * Load the capture file at path into packets; returns the number of rows
 * stored.  The caller has checked its privileges.
 */
int64
pkt_load_file(const char *path)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	FILE	   *fp;
	LoadState	ls;
	PktRun		run;
	PktCaptureConfig cfg;
	char		damage[PKT_ERROR_LEN] = "";

	pkt_check_ext_version();
	/* the buffer first: running out of memory must not leak the descriptor */
	ls.iobuf = MemoryContextAlloc(TopMemoryContext, PKT_LOAD_READ_BUFFER);
	PG_TRY();
	{
		fp = open_capture_file(path);
	}
	PG_CATCH();
	{
		pfree(ls.iobuf);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/*
	 * A larger buffer than stdio's few kilobytes, which take one read() per
	 * few dozen packets: only a speed-up, without it stdio's own serves.
	 * Once pcap_fopen_offline() takes the FILE, pcap_close() closes it.
	 */
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
	ls.slot.slotno = -1;
	memset(&run, 0, sizeof(run));
	ls.run = &run;

	/* also on FATAL (a terminated backend): the slot must not stay "running" */
	PG_ENSURE_ERROR_CLEANUP(load_cleanup, PointerGetDatum(&ls));
	{
		memset(&cfg, 0, sizeof(cfg));
		strlcpy(cfg.name, path, sizeof(cfg.name));
		ls.slot = pkt_slot_claim(&cfg, true, false);
		read_capture_file(&ls, path, damage, sizeof(damage));
	}
	PG_END_ENSURE_ERROR_CLEANUP(load_cleanup, PointerGetDatum(&ls));
	pcap_close(ls.p);
	ReleaseExternalFD();
	pfree(ls.iobuf);
	pkt_run_release(&run);
	pkt_slot_finish(ls.slot, PKT_STATE_STOPPED, 0, damage[0] ? damage : NULL);
	return (int64) run.c.stored;
}
