/*-------------------------------------------------------------------------
 * pkt_copy.c
 *		A batch of rows as a file in COPY's binary format, for the writer's
 *		COPY ... FROM statements.
 *
 * PostgreSQL's COPY FROM inserts rows in groups (heap_multi_insert: one
 * buffer lock and one WAL record per page instead of per row), which no
 * INSERT statement does; SPI runs COPY only from a file.  So the writer
 * encodes a batch here, into a temporary file of the server's own (in
 * the default tablespace's pgsql_tmp, counted by temp_file_limit, kept
 * across the run's transactions and removed when the run ends, the
 * process exits, or the server starts after a crash), and runs COPY ...
 * FROM that file through SPI (pkt_writer.c).
 *
 * The format is the one documented under COPY, "Binary Format": an
 * 11-byte signature, a flags word and a header extension length, then
 * per row a 16-bit field count and per field a 32-bit length (-1 for
 * NULL) followed by the value as its type's send function writes it,
 * all in network byte order; a field count of -1 ends the data.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "pkt_copy.h"

static const char copy_signature[11] = "PGCOPY\n\377\r\n\0";

#define MAX_COLS 32

/*
 * One field, from the Datum of its type: the types of the summary rows
 * written from Datums (rows of packets and address sums are encoded
 * straight from their structs).
 */
static void
put_field(StringInfo s, Oid type, Datum value)
{
	switch (type)
	{
		case TIMESTAMPTZOID:
		case INT8OID:
			pkt_copy_int8(s, DatumGetInt64(value));
			break;
		case INT4OID:
			pkt_copy_int4(s, DatumGetInt32(value));
			break;
		case INT2OID:
			pkt_copy_int2(s, DatumGetInt16(value));
			break;
		default:
			elog(ERROR, "no COPY encoding for type %u", type);
	}
}

/* Write the buffer at the end of the data in the spool file. */
static void
spool_write(PktSpool *sp)
{
	int			written;

	written = FileWrite(sp->file, sp->buf.data, sp->buf.len, sp->size,
						WAIT_EVENT_BUFFILE_WRITE);
	if (written != sp->buf.len)
	{
		if (written >= 0)
			errno = ENOSPC;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write temporary file \"%s\": %m",
						FilePathName(sp->file))));
	}
	sp->size += written;
}

/* An empty spool whose buffer will live in cxt. */
void
pkt_spool_init(PktSpool *sp, MemoryContext cxt)
{
	memset(sp, 0, sizeof(*sp));
	sp->cxt = cxt;
}

/*
 * Start adding rows to the spool file: returns the buffer to encode them
 * into (pkt_copy.h), for pkt_spool_add_end().  The file and its buffer
 * are made at the first call and kept until pkt_spool_close() (or the end
 * of the process): overwriting one file costs the kernel less than a new
 * file for every batch.
 */
StringInfo
pkt_spool_add_begin(PktSpool *sp)
{
	StringInfo	s = &sp->buf;

	if (sp->buf.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(sp->cxt);

		initStringInfo(&sp->buf);
		MemoryContextSwitchTo(old);
	}
	if (sp->file <= 0)
		sp->file = OpenTemporaryFile(true);

	resetStringInfo(s);
	if (sp->nrows == 0)
	{
		/* a new file (also after a failed write, which counted no rows) */
		sp->size = 0;
		enlargeStringInfo(s, sizeof(copy_signature) + 8);
		pkt_copy_bytes(s, copy_signature, sizeof(copy_signature));
		pkt_copy_put32(s, 0);	/* flags: no OIDs */
		pkt_copy_put32(s, 0);	/* header extension length */
	}
	return s;
}

/* Write the nrows rows encoded since pkt_spool_add_begin() to the file. */
void
pkt_spool_add_end(PktSpool *sp, int nrows)
{
	spool_write(sp);
	sp->nrows += nrows;
}

/*
 * Append nrows rows of ncols values (row-major; nulls[k] is 'n' for NULL)
 * to the spool file.
 */
void
pkt_spool_append(PktSpool *sp, int ncols, const Oid *types, int nrows,
				 const Datum *values, const char *nulls)
{
	StringInfo	s;

	if (ncols > MAX_COLS)
		elog(ERROR, "a COPY batch holds at most %d columns", MAX_COLS);
	s = pkt_spool_add_begin(sp);
	for (int r = 0; r < nrows; r++)
	{
		enlargeStringInfo(s, PKT_COPY_ROW_ROOM(ncols));
		pkt_copy_row(s, ncols);
		for (int c = 0; c < ncols; c++)
		{
			size_t		k = (size_t) r * ncols + c;

			if (nulls[k] == 'n')
				pkt_copy_null(s);
			else
				put_field(s, types[c], values[k]);
		}
	}
	pkt_spool_add_end(sp, nrows);
}

/*
 * End the data in the spool file and return the file's name, relative to
 * the data directory, for COPY ... FROM; then pkt_spool_reset().
 */
char *
pkt_spool_finish(PktSpool *sp)
{
	Assert(sp->size > 0);
	resetStringInfo(&sp->buf);
	enlargeStringInfo(&sp->buf, 2);
	pkt_copy_put16(&sp->buf, (uint16) -1);	/* end of data */
	spool_write(sp);
	/* COPY reads to the end of the file: cut what a longer batch left */
	if (FileSize(sp->file) > sp->size &&
		FileTruncate(sp->file, sp->size, WAIT_EVENT_BUFFILE_TRUNCATE) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not truncate temporary file \"%s\": %m",
						FilePathName(sp->file))));
	return FilePathName(sp->file);
}

/* Start again from an empty file (whose space is reused). */
void
pkt_spool_reset(PktSpool *sp)
{
	sp->size = 0;
	sp->nrows = 0;
}

/* Remove the spool file and free its buffer. */
void
pkt_spool_close(PktSpool *sp)
{
	if (sp->file > 0)
		FileClose(sp->file);
	sp->file = 0;
	if (sp->buf.data != NULL)
		pfree(sp->buf.data);
	sp->buf.data = NULL;
	pkt_spool_reset(sp);
}
