/*-------------------------------------------------------------------------
 * pkt_copy.h
 *		Writing rows in COPY's binary format (see pkt_copy.c).
 *
 * A row is pkt_copy_row(), then each field in the table's column order.
 * The writers put bytes into room the caller has made with
 * enlargeStringInfo(): PKT_COPY_ROW_ROOM(ncols) bytes for a row of ncols
 * fields that are not text; text makes its own.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_COPY_H
#define PKT_COPY_H

#include <sys/socket.h>

#include "lib/stringinfo.h"
#include "port/pg_bswap.h"
#include "storage/fd.h"
#include "utils/inet.h"

/* A temporary file holding rows in COPY's binary format */
typedef struct PktSpool
{
	File		file;			/* 0 until first written */
	off_t		size;			/* bytes of data in it */
	int64		nrows;			/* rows in it */
	StringInfoData buf;			/* what is being encoded */
	MemoryContext cxt;			/* where buf lives */
} PktSpool;

extern void pkt_spool_init(PktSpool *sp, MemoryContext cxt);
extern StringInfo pkt_spool_add_begin(PktSpool *sp);
extern void pkt_spool_add_end(PktSpool *sp, int nrows);
extern void pkt_spool_append(PktSpool *sp, int ncols, const Oid *types, int nrows,
							 const Datum *values, const char *nulls);
extern char *pkt_spool_finish(PktSpool *sp);
extern void pkt_spool_reset(PktSpool *sp);
extern void pkt_spool_close(PktSpool *sp);

/* a field is at most a 4-byte length and a 20-byte inet */
#define PKT_COPY_FIELD_ROOM 24
#define PKT_COPY_ROW_ROOM(ncols) (2 + (ncols) * PKT_COPY_FIELD_ROOM)

static inline void
pkt_copy_bytes(StringInfo s, const void *p, int n)
{
	memcpy(s->data + s->len, p, n);
	s->len += n;
}

static inline void
pkt_copy_put16(StringInfo s, uint16 v)
{
	v = pg_hton16(v);
	pkt_copy_bytes(s, &v, 2);
}

static inline void
pkt_copy_put32(StringInfo s, uint32 v)
{
	v = pg_hton32(v);
	pkt_copy_bytes(s, &v, 4);
}

static inline void
pkt_copy_put64(StringInfo s, uint64 v)
{
	v = pg_hton64(v);
	pkt_copy_bytes(s, &v, 8);
}

/* A row of ncols fields follows. */
static inline void
pkt_copy_row(StringInfo s, int ncols)
{
	pkt_copy_put16(s, (uint16) ncols);
}

static inline void
pkt_copy_null(StringInfo s)
{
	pkt_copy_put32(s, (uint32) -1);
}

static inline void
pkt_copy_int2(StringInfo s, int16 v)
{
	pkt_copy_put32(s, 2);
	pkt_copy_put16(s, (uint16) v);
}

static inline void
pkt_copy_int4(StringInfo s, int32 v)
{
	pkt_copy_put32(s, 4);
	pkt_copy_put32(s, (uint32) v);
}

/* int8 and timestamptz */
static inline void
pkt_copy_int8(StringInfo s, int64 v)
{
	pkt_copy_put32(s, 8);
	pkt_copy_put64(s, (uint64) v);
}

/*
 * A host address as inet_send() writes it: family, bits, is_cidr, address
 * length, address.
 */
static inline void
pkt_copy_inet(StringInfo s, int ip_version, const uint8 *addr)
{
	int			nb = ip_version == 4 ? 4 : 16;
	uint8		head[4] = {ip_version == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6, nb * 8, 0, nb};

	pkt_copy_put32(s, 4 + nb);
	pkt_copy_bytes(s, head, 4);
	if (nb == 4)
		pkt_copy_bytes(s, addr, 4);
	else
		pkt_copy_bytes(s, addr, 16);
}

/*
 * Text, in the database encoding.  It makes its own room, and keeps room
 * for the fields_after fields of the row that follow it.
 */
static inline void
pkt_copy_text(StringInfo s, const char *p, int len, int fields_after)
{
	enlargeStringInfo(s, 4 + len + fields_after * PKT_COPY_FIELD_ROOM);
	pkt_copy_put32(s, len);
	pkt_copy_bytes(s, p, len);
}

/* bytea: its bytes, as text's; room as pkt_copy_text() makes it */
static inline void
pkt_copy_bytea(StringInfo s, const uint8 *p, int len, int fields_after)
{
	pkt_copy_text(s, (const char *) p, len, fields_after);
}

#endif							/* PKT_COPY_H */
