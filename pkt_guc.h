/*-------------------------------------------------------------------------
 * pkt_guc.h
 *		The pktcapture.* settings (pkt_guc.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_GUC_H
#define PKT_GUC_H

/* pktcapture.write_method */
typedef enum PktWriteMethod
{
	PKT_WRITE_AUTO,				/* COPY where allowed, else INSERT */
	PKT_WRITE_INSERT			/* INSERT ... SELECT only */
} PktWriteMethod;

extern int	pkt_max_captures;
extern int	pkt_batch_size;
extern int	pkt_flush_interval_ms;
extern int	pkt_snaplen;
extern int	pkt_frame_snaplen;
extern int	pkt_frame_memory_kb;
extern int	pkt_buffer_kb;
extern int	pkt_spool_mb;
extern bool pkt_promiscuous;
extern int	pkt_log_interval_s;
extern int	pkt_top_capacity;
extern int	pkt_max_pending_rows;
extern int	pkt_write_method;
extern int	pkt_summary_interval_ms;
extern int	pkt_summary_top;
extern int	pkt_summary_capacity;
extern int	pkt_partition_span_min;
extern int	pkt_partitions_ahead;
extern int	pkt_max_partitions;
extern int	pkt_retention_min;
extern int	pkt_summary_retention_min;
extern int	pkt_flow_interval_s;
extern int	pkt_flow_capacity;
extern int	pkt_flow_retention_min;
extern int	pkt_maintenance_interval_s;
extern char *pkt_min_free_space;
extern double pkt_min_free_fraction;	/* of pktcapture.min_free_space, or 0 */
extern int64 pkt_min_free_bytes;	/* the same in bytes, or 0 */
extern int	pkt_worker_nice;
extern char *pkt_autostart;
extern char *pkt_autostart_filter;
extern char *pkt_database;
extern char *pkt_role;
extern char *pkt_sensor;

#define PKT_SENSOR_LEN	52		/* "pktcapture:" and it fit a name */

/* what pkt_sensor_name_valid() asks of a name, for errdetail (with PKT_SENSOR_LEN) */
#define PKT_SENSOR_NAME_RULE \
	"A sensor's name is 1 to %d letters, digits, \".\", \"_\" or \"-\", starting with a letter or a digit."

extern bool pkt_sensor_name_valid(const char *name);

extern void pkt_guc_define(void);

#endif							/* PKT_GUC_H */
