/*-------------------------------------------------------------------------
 * pkt_guc.c
 *		The pktcapture.* settings: their variables and definitions.
 *
 * Settings that size shared memory or act at server start
 * (PGC_POSTMASTER) exist only when the library is preloaded; the others
 * are also defined when a backend loads the module later, so that the
 * pktcapture prefix is reserved either way.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include <ctype.h>
#include <limits.h>
#include <unistd.h>

#include "pkt_guc.h"

int			pkt_max_captures = 8;
int			pkt_batch_size = 50000;
int			pkt_flush_interval_ms = 500;
int			pkt_snaplen = 128;
int			pkt_frame_snaplen = 0;
int			pkt_frame_memory_kb = 65536;
int			pkt_buffer_kb = 262144;
int			pkt_spool_mb = 0;
bool		pkt_promiscuous = true;
int			pkt_log_interval_s = 10;
int			pkt_top_capacity = 65536;
int			pkt_max_pending_rows = 1000000;
int			pkt_write_method = PKT_WRITE_AUTO;
int			pkt_summary_interval_ms = 5000;
int			pkt_summary_top = 64;
int			pkt_summary_capacity = 4096;
int			pkt_partition_span_min = 60;
int			pkt_partitions_ahead = 2;
int			pkt_max_partitions = 4096;
int			pkt_retention_min = 0;
int			pkt_summary_retention_min = 0;
int			pkt_flow_interval_s = 60;
int			pkt_flow_capacity = 16384;
int			pkt_flow_retention_min = 0;
int			pkt_maintenance_interval_s = 10;
char	   *pkt_min_free_space = NULL;
double		pkt_min_free_fraction = 0.10;
int64		pkt_min_free_bytes = 0;
int			pkt_worker_nice = 0;
char	   *pkt_autostart = NULL;
char	   *pkt_autostart_filter = NULL;
char	   *pkt_database = NULL;
char	   *pkt_role = NULL;
char	   *pkt_sensor = NULL;

/*
 * A sensor's name, at a hub the name of its rows and runs and part of its
 * subscription's name: ASCII letters, digits, '.', '_' and '-', at most
 * PKT_SENSOR_LEN bytes, starting with a letter or digit.  The one rule, for
 * pktcapture.sensor and, through pkt_sensor_name_check(), for the names a
 * hub is given.
 */
bool
pkt_sensor_name_valid(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > PKT_SENSOR_LEN || strchr("._-", name[0]) != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z') ||
			  (name[i] >= '0' && name[i] <= '9') || strchr("._-", name[i]) != NULL))
			return false;
	return true;
}

static bool
check_sensor(char **newval, void **extra, GucSource source)
{
	if (pkt_sensor_name_valid(*newval))
		return true;
	GUC_check_errdetail(PKT_SENSOR_NAME_RULE, PKT_SENSOR_LEN);
	return false;
}

/* The host name up to its first dot, if it makes a valid name. */
static const char *
default_sensor(void)
{
	static char host[256];

	if (gethostname(host, sizeof(host) - 1) != 0)
		return "pktcapture";
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	return pkt_sensor_name_valid(host) ? host : "pktcapture";
}

/*
 * pktcapture.min_free_space: a percentage of the filesystem ("10%") or an
 * amount of space ("2GB"); at least 0, less than all of it.
 */
static bool
check_min_free_space(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	size_t		len = strlen(v);
	double	   *parsed = malloc(2 * sizeof(double));	/* GUC frees it with free() */

	if (parsed == NULL)
		return false;
	if (len > 0 && v[len - 1] == '%')
	{
		char	   *end;
		double		pct = strtod(v, &end);

		if (end != v + len - 1 || pct < 0 || pct >= 100)
		{
			GUC_check_errdetail("A percentage must be at least 0 and less than 100, as in \"10%%\".");
			free(parsed);
			return false;
		}
		parsed[0] = pct / 100.0;
		parsed[1] = 0;
	}
	else
	{
		int			kb;
		const char *hint;

		if (!parse_int(v, &kb, GUC_UNIT_KB, &hint) || kb < 0)
		{
			GUC_check_errdetail("Give a percentage of the filesystem (\"10%%\") or an amount of space (\"2GB\").");
			free(parsed);
			return false;
		}
		parsed[0] = 0;
		parsed[1] = (double) kb * 1024.0;
	}
	*extra = parsed;
	return true;
}

static void
assign_min_free_space(const char *newval, void *extra)
{
	const double *parsed = extra;

	pkt_min_free_fraction = parsed[0];
	pkt_min_free_bytes = (int64) parsed[1];
}

static const struct config_enum_entry write_method_options[] = {
	{"auto", PKT_WRITE_AUTO, false},
	{"insert", PKT_WRITE_INSERT, false},
	{NULL, 0, false}
};

void
pkt_guc_define(void)
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
	DefineCustomIntVariable("pktcapture.frame_snaplen",
							"Bytes of each frame kept in packets.frame, for pkt_export(); 0 keeps none.",
							"Captures and loads read it when they start; a capture asks the kernel for at least this many bytes (pktcapture.snaplen). Frames are as captured, cut at this length.",
							&pkt_frame_snaplen, 0, 0, 262144,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.frame_memory",
							"Memory a capture or load holds frames in while their rows wait to be written.",
							"A row whose frame finds no room is stored without it and counted in pkt_runs.frames_not_kept; a batch is written once half of it is used. At most 512 MB: a batch, frames included, stays far below PostgreSQL's 1 GB bound on a value.",
							&pkt_frame_memory_kb, 65536, 1024, 524288,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.buffer_size",
							"Kernel capture buffer of each live capture.",
							"It absorbs bursts while a batch is being written; at most 2 GB less 1 kB, as libpcap takes it in bytes as an int.",
							&pkt_buffer_kb, 262144, 1024, INT_MAX / 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.spool_size",
							"Disk a live capture may spool frames to while its rows fall behind; 0: no spool.",
							"With a spool, a second process (the spooler) drains the kernel buffer into files under the data directory's pgsql_tmp, and the capture makes rows from them, so a burst faster than rows are written waits on disk instead of being dropped by the kernel. At this bound, or at the disk guard's reserve, the spooler stops reading and the kernel buffer fills. Each capture with a spool takes two background workers.",
							&pkt_spool_mb, 0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MB, NULL, NULL, NULL);
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
							"Time between the writes of a live capture's summaries.",
							"pkt_report() reads the rows stored since from packets; 0 writes them with every batch.",
							&pkt_summary_interval_ms, 5000, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.summary_top",
							"Addresses the summaries keep per minute, hour or day and direction, by packets and by bytes.",
							"A bucket lists the addresses with most packets and those with most bytes, up to this many each, and a bound for the others; pkt_report() is exact for an address every bucket of its window lists exactly.",
							&pkt_summary_top, 64, 1, 4096,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.summary_capacity",
							"Addresses counted per minute and direction before the count of the rest becomes approximate.",
							"Beyond it, a minute's addresses are counted by the Space-Saving algorithm, whose counts overestimate by at most the minute's packets divided by this.",
							&pkt_summary_capacity, 4096, 64, 1048576,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.partition_span",
							"Time covered by each partition of packets.",
							"Retention drops whole partitions: a shorter span drops in smaller steps. Partitions made before keep their span.",
							&pkt_partition_span_min, 60, 1, 7 * 24 * 60,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.partitions_ahead",
							"Partitions of packets made ahead of the time they are for.",
							NULL, &pkt_partitions_ahead, 2, 0, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.max_partitions",
							"Most partitions of packets pktcapture makes.",
							"Rows of a time whose partition would be beyond it are counted as not stored.",
							&pkt_max_partitions, 4096, 1, 1000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.retention",
							"Age after which partitions of packets are dropped; 0 keeps them.",
							"Partitions go whole once their time range ended this long ago; the summaries stay (pktcapture.summary_retention).",
							&pkt_retention_min, 0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.summary_retention",
							"Age after which the summaries of minutes and hours are deleted; 0 keeps them.",
							"Summaries of days stay; pkt_report() answers from the coarser summaries that remain.",
							&pkt_summary_retention_min, 0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.flow_interval",
							"Time covered by each record of a conversation in flows.",
							"A conversation has a record in every interval it is active; intervals start at whole multiples from 2000-01-01 00:00 UTC. A capture reads it when it starts.",
							&pkt_flow_interval_s, 60, 1, 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.flow_capacity",
							"Conversations a capture keeps apart per interval in flows; 0 writes no flows.",
							"Beyond it, packets are folded into a record per server, then one overflow record, and counted in pkt_runs.flow_folded: an interval holds at most 2 times this many records of a capture. A capture reads it when it starts.",
							&pkt_flow_capacity, 16384, 0, 16777216,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.flow_retention",
							"Age after which partitions of flows are dropped; 0 keeps them.",
							"A partition of flows holds a day; it goes whole once its day ended this long ago.",
							&pkt_flow_retention_min, 0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("pktcapture.maintenance_interval",
							"Time between a capture's rounds of partition maintenance (partitions ahead, retention).",
							NULL, &pkt_maintenance_interval_s, 10, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("pktcapture.min_free_space",
							   "Free space the disk guard keeps on the filesystems of packets and of pg_wal.",
							   "A percentage of the filesystem (\"10%\") or an amount (\"2GB\"). Below it, the oldest partitions are dropped; with none left, captures stop storing rows until space returns.",
							   &pkt_min_free_space, "10%",
							   PGC_SIGHUP, 0, check_min_free_space, assign_min_free_space, NULL);
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
	if (process_shared_preload_libraries_in_progress)
	{
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
		DefineCustomStringVariable("pktcapture.sensor",
								   "This server's name as a sensor: its rows and runs at a hub go by it.",
								   "The host name by default. Fixed while the server runs: runs and summaries carry it, and a hub adds the sensor under it.",
								   &pkt_sensor, default_sensor(), PGC_POSTMASTER, 0,
								   check_sensor, NULL, NULL);
	}
	MarkGUCPrefixReserved("pktcapture");
}
