/*-------------------------------------------------------------------------
 * pkt_bucket.h
 *		Time buckets: the spans of partitions and of summaries, counted
 *		from one epoch.
 *
 * Every span pktcapture cuts time into (a partition's, a summary's
 * minute, hour or day) starts at a whole number of spans from
 * 2000-01-01 00:00 UTC, which is TimestampTz 0.  SQL reads the same epoch
 * from pkt_bucket_epoch() (pkt_sql.c) as date_bin()'s origin, so that the
 * C and the SQL of a bucket never disagree.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_BUCKET_H
#define PKT_BUCKET_H

#include "datatype/timestamp.h"

#define PKT_BUCKET_EPOCH ((TimestampTz) 0)

/* The start of the span of span_us microseconds that holds t. */
static inline TimestampTz
pkt_bucket_start(TimestampTz t, int64 span_us)
{
	int64		r = (t - PKT_BUCKET_EPOCH) % span_us;

	return t - (r < 0 ? r + span_us : r);
}

#endif							/* PKT_BUCKET_H */
