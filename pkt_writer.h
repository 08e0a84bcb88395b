/*-------------------------------------------------------------------------
 * pkt_writer.h
 *		Writing batches of rows through SPI, by COPY or INSERT (pkt_writer.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_WRITER_H
#define PKT_WRITER_H

#include <net/if.h>

#include "datatype/timestamp.h"

#include "pkt_copy.h"
#include "pkt_inet.h"
#include "pkt_decode.h"

/* A decoded IP packet waiting to become a row of packets. */
typedef struct PktRow
{
	TimestampTz ts;
	uint32		len;			/* bytes on the wire */
	uint32		caplen;
	uint32		frame_len;		/* bytes of the frame kept; 0: none */
	uint64		frame_at;		/* where they are in the run's frame ring */
	PktInfo		info;
} PktRow;

/* PktInfo.flags bit the decoder never sets: a row the writer must not store */
#define PKT_F_NOT_STORED	0x80

/* A statement writing batches into one table (opaque). */
typedef struct PktBatchStmt PktBatchStmt;

extern PktBatchStmt *pkt_stmt_create(MemoryContext cxt, const char *table, Oid relid,
									 const char *cols, const char *tail, int ncols,
									 const Oid *types, Oid as_owner);
extern bool pkt_stmt_copy_allowed(PktBatchStmt *st);
extern void pkt_stmt_copy(PktBatchStmt *st, PktSpool *sp);
extern void pkt_stmt_insert(PktBatchStmt *st, int nrows, Datum *values, char *nulls);
extern void pkt_stmt_execute(PktBatchStmt *st, PktSpool *sp, int nrows,
							 Datum *values, char *nulls);
extern void pkt_stmt_free(PktBatchStmt *st);

/* The writer of one run's rows into packets. */
typedef struct PktWriter
{
	MemoryContext cxt;			/* the run's: statement, spool, arrays */
	MemoryContext batch_cxt;	/* reset after each batch */
	const char *ifname;			/* live capture: interface of every row */
	int			batch;			/* rows per statement */
	int64		copy_rows;		/* COPY the spool once it holds this many */
	PktBatchStmt *stmt;
	PktSpool	spool;			/* rows waiting for their COPY */
	int64		spool_frame_bytes;	/* bytes of frames among them */
	Datum	   *values;			/* one batch of rows as values, for INSERT */
	char	   *nulls;
	InetSlot   *addrs;
	/* the frames of the rows (PktRow.frame_at), a ring of frame_ring_size bytes */
	const uint8 *frame_ring;
	uint64		frame_ring_size;
	/* interface names by ifindex, for "any"; emptied at each batch */
	int			nifnames;
	int32		ifindex[16];
	char		ifname_of[16][IF_NAMESIZE];
} PktWriter;

extern void pkt_writer_init(PktWriter *w, MemoryContext cxt, const char *ifname,
							int batch, int64 copy_rows);
extern int64 pkt_writer_write(PktWriter *w, const PktRow *rows, int n, int32 run_id);
extern int64 pkt_writer_flush(PktWriter *w);
extern bool pkt_writer_ifname(PktWriter *w, bool has_ifindex, int32 ifindex, char *buf);
extern void pkt_writer_release(PktWriter *w);

#endif							/* PKT_WRITER_H */
