/*-------------------------------------------------------------------------
 * pktcapture.c
 *		Module entry of pktcapture: captures network packets into the
 *		table packets, with live statistics as SQL result sets.
 *
 * Loaded by shared_preload_libraries, the module defines its settings
 * (pkt_guc.c), asks for its shared memory (pkt_shmem.c) and, if
 * pktcapture.autostart names interfaces, registers the launcher that
 * captures on them from server start (pkt_launcher.c), and the worker
 * that starts the workers of hubs (pkt_hub.c).  Loaded later by
 * a backend, it only defines the settings it can, and its functions say
 * how to preload it.
 *
 * The layer map, top down: a file uses only files of the layers below
 * its own (test/layers.sh reads this map and checks every dependency
 * points down, and that every source file is in it once).
 *
 * layer		files
 *	entry		pktcapture.c
 *	sql			pkt_sql.c pkt_launcher.c
 *	jobs		pkt_capture.c pkt_worker.c pkt_load.c pkt_export.c pkt_hub.c
 *	spool		pkt_spooler.c
 *	maintenance	pkt_maint.c
 *	run			pkt_run.c
 *	outputs		pkt_summary.c pkt_flow.c pkt_ledger.c pkt_partition.c
 *	writer		pkt_writer.c
 *	foundations	pkt_catalog.c pkt_copy.c pkt_pcap.c pkt_shmem.c pkt_guard.c
 *	settings	pkt_guc.c
 *	pure		pkt_decode.c pkt_toplist.c
 *	pure-base	pkt_topk.c
 * end of the layer map
 *
 * entry: the module's settings and workers at load; sql: SQL entry points
 * and the launcher of pktcapture.autostart; jobs: a capture (its worker),
 * a file load, a hub; maintenance: partitions ahead, retention, the disk
 * guard's policy; run: one capture or load, from frames to rows, sums and
 * ledger; outputs: summaries, conversations (flows), the ledger, the partitions a batch needs;
 * writer: COPY of rows; foundations: the catalog, COPY's encoding, libpcap,
 * shared memory, free space; pure: the decoder and the top-K counters, no
 * PostgreSQL calls.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "pkt_guc.h"
#include "pkt_hub.h"
#include "pkt_launcher.h"
#include "pkt_shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	pkt_guc_define();
	if (!process_shared_preload_libraries_in_progress)
		return;
	pkt_shmem_init();
	pkt_launcher_register();
	pkt_hubs_register();
}
