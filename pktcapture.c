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
 * The layers, each using only those below it (README "Files"):
 *	SQL entry points	pkt_sql.c; the launcher pkt_launcher.c
 *	captures, loads		pkt_capture.c, pkt_worker.c, pkt_load.c; a hub pkt_hub.c
 *	maintenance			pkt_maint.c (partitions ahead, retention, the disk guard's drops)
 *	one run				pkt_run.c
 *	what a run writes	pkt_writer.c, pkt_summary.c, pkt_ledger.c
 *	foundations			pkt_copy.c, pkt_catalog.c, pkt_pcap.c, pkt_shmem.c,
 *						pkt_guc.c
 *	pure code			pkt_decode.c, pkt_topk.c (no PostgreSQL calls)
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
