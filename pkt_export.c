/*-------------------------------------------------------------------------
 * pkt_export.c
 *		The frames kept in packets.frame, back as a pcapng file: of a
 *		window, or of the rows a query selects, narrowed by a BPF filter;
 *		to a file on the server or to the client in pieces.
 *
 * The file is what Wireshark and tcpdump read (the pcapng specification,
 * draft-ietf-opsawg-pcapng): a section header block, then an interface
 * description block for each capture interface (or file loaded) met, with
 * its link type and the snap length its run kept, then an enhanced packet
 * block per frame: its bytes as captured, its length on the wire
 * (packet_size) and its timestamp in microseconds, as capture_time holds
 * it.  Blocks are in this machine's byte order, which the section header
 * says.
 *
 * Everything runs with the caller's rights: the rows are read through SPI
 * as the caller reads them (privileges, row-level security), and a file on
 * the server is written only for members of pg_write_server_files, as
 * COPY TO a file is.  The filter is compiled by libpcap for each link
 * type met and run by its BPF interpreter (pcap_offline_filter), which
 * checks every access against the frame's captured length.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/timestamp.h"

#include "pkt_catalog.h"
#include "pkt_guc.h"

#define PIECE_BYTES (1024 * 1024)	/* a piece to the client, a write to a file */
#define FETCH_ROWS 256				/* rows a fetch brings */
#define MAX_FILTER_LEN 8192			/* as tcpdump's command line would take */
#define IDB_KEY_LEN 256				/* longer names share a block: harmless */
#define IF_NAME_MAX 255

/* pcapng block types and options */
#define SHB_TYPE 0x0A0D0D0A
#define IDB_TYPE 0x00000001
#define EPB_TYPE 0x00000006
#define BYTE_ORDER_MAGIC 0x1A2B3C4D
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2

/* What a run's frames are: from its row in pkt_runs. */
typedef struct ExportRunKey
{
	int32		run_id;
	int32		sensor_no;		/* in Export.sensors */
} ExportRunKey;

typedef struct ExportRun
{
	ExportRunKey key;
	bool		known;			/* its ledger row says what its frames are */
	int			dlt;
	int			snaplen;
	char	   *source;			/* interface or file path */
} ExportRun;

typedef struct ExportIdb
{
	char		key[IDB_KEY_LEN];	/* link type, snap length, sensor, interface */
	uint32		id;
} ExportIdb;

/* A filter compiled for a link type and snap length. */
typedef struct ExportFilter
{
	int			dlt;
	int			snaplen;
	struct bpf_program prog;
} ExportFilter;

typedef struct Export
{
	MemoryContext cxt;
	StringInfoData buf;			/* blocks not yet out */
	/* out to a file ... */
	int			fd;				/* -1: none */
	const char *path;
	char	   *tmppath;
	/* ... or to the client */
	ReturnSetInfo *rsinfo;
	int64		npieces;
	const char *filter;			/* NULL: every frame */
	List	   *filters;		/* ExportFilter, one per link type met */
	List	   *sensors;		/* names met, in order: ExportRunKey.sensor_no */
	HTAB	   *runs;
	HTAB	   *idbs;
	uint32		nidbs;
	char	   *runs_sql;
	int64		frames;			/* written */
	int64		unknown;		/* frames of runs without a link type */
	/* the last row's run and interface, and its block */
	ExportRun  *last_run;
	char	   *last_ifname;
	uint32		last_idb;
} Export;

/* Columns the rows must have, in this order in Export's reads. */
enum
{
	COL_TIME, COL_FRAME, COL_SIZE, COL_RUN, COL_SENSOR, COL_IFNAME, NCOLS
};
static const char *const col_names[NCOLS] = {
	"capture_time", "frame", "packet_size", "run_id", "sensor", "interface"
};
static const Oid col_types[NCOLS] = {
	TIMESTAMPTZOID, BYTEAOID, INT4OID, INT4OID, TEXTOID, TEXTOID
};

/* ------------------------------------------------------------------------
 * Blocks.
 * ------------------------------------------------------------------------
 */
static void
put32(StringInfo s, uint32 v)
{
	appendBinaryStringInfo(s, (const char *) &v, 4);
}

static void
put16(StringInfo s, uint16 v)
{
	appendBinaryStringInfo(s, (const char *) &v, 2);
}

static void
pad4(StringInfo s)
{
	static const char zeros[4] = {0};

	if (s->len % 4 != 0)
		appendBinaryStringInfo(s, zeros, 4 - s->len % 4);
}

/* Start a block: its type and a length filled in by block_end(). */
static int
block_begin(StringInfo s, uint32 type)
{
	int			start = s->len;

	put32(s, type);
	put32(s, 0);
	return start;
}

static void
block_end(StringInfo s, int start)
{
	uint32		len = (uint32) (s->len - start + 4);

	put32(s, len);
	memcpy(s->data + start + 4, &len, 4);
}

static void
put_option(StringInfo s, uint16 code, const char *value, int len)
{
	put16(s, code);
	put16(s, (uint16) len);
	appendBinaryStringInfo(s, value, len);
	pad4(s);
}

static void
put_end_of_options(StringInfo s)
{
	put16(s, OPT_ENDOFOPT);
	put16(s, 0);
}

static void
write_shb(StringInfo s)
{
	int			b = block_begin(s, SHB_TYPE);
	const char *appl = "pktcapture " PKT_EXTVERSION;

	put32(s, BYTE_ORDER_MAGIC);
	put16(s, 1);				/* version 1.0 */
	put16(s, 0);
	put32(s, 0xFFFFFFFF);		/* section length: not given */
	put32(s, 0xFFFFFFFF);
	put_option(s, OPT_SHB_USERAPPL, appl, strlen(appl));
	put_end_of_options(s);
	block_end(s, b);
}

/*
 * The LINKTYPE_ value a file gives a DLT_ value (they differ for a few,
 * DLT_RAW among them): libpcap knows the mapping, and writes it into the
 * header of a savefile, which is where we read it.
 */
static int
linktype_of_dlt(int dlt)
{
	pcap_t	   *p = pcap_open_dead(dlt, 65535);
	char	   *mem = NULL;
	size_t		memlen = 0;
	FILE	   *f;
	pcap_dumper_t *d;
	uint32		linktype = (uint32) dlt;

	if (p == NULL)
		return dlt;
	f = open_memstream(&mem, &memlen);
	if (f != NULL && (d = pcap_dump_fopen(p, f)) != NULL)
	{
		pcap_dump_close(d);		/* closes f */
		/* the savefile header: magic, versions, zone, sigfigs, snaplen, linktype */
		if (memlen >= 24)
			memcpy(&linktype, mem + 20, 4);
		f = NULL;
	}
	if (f != NULL)
		fclose(f);
	free(mem);
	pcap_close(p);
	return (int) (linktype & 0x0FFFFFFF);	/* the low 28 bits are the type */
}

static uint32
write_idb(Export *ex, int dlt, int snaplen, const char *name)
{
	StringInfo	s = &ex->buf;
	int			b = block_begin(s, IDB_TYPE);

	put16(s, (uint16) linktype_of_dlt(dlt));
	put16(s, 0);
	put32(s, (uint32) Max(snaplen, 0));
	if (name[0] != '\0')
		put_option(s, OPT_IF_NAME, name, pg_mbcliplen(name, strlen(name), IF_NAME_MAX));
	put_end_of_options(s);
	block_end(s, b);
	return ex->nidbs++;
}

static void
write_epb(StringInfo s, uint32 idb, int64 unix_usec, const char *data, uint32 caplen,
		  uint32 len)
{
	int			b = block_begin(s, EPB_TYPE);

	put32(s, idb);
	put32(s, (uint32) ((uint64) unix_usec >> 32));
	put32(s, (uint32) unix_usec);
	put32(s, caplen);
	put32(s, len);
	appendBinaryStringInfo(s, data, caplen);
	pad4(s);
	block_end(s, b);
}

/* ------------------------------------------------------------------------
 * Out: to a file or to the client.
 * ------------------------------------------------------------------------
 */
/* This server's name as a sensor; '' where the library is not preloaded. */
static const char *
own_sensor(void)
{
	return pkt_sensor ? pkt_sensor : "";
}

static void
flush_out(Export *ex)
{
	if (ex->buf.len == 0)
		return;
	if (ex->fd >= 0)
	{
		const char *p = ex->buf.data;
		int			left = ex->buf.len;

		while (left > 0)
		{
			ssize_t		n = write(ex->fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
			{
				/* a short write without an error is a full disk */
				if (n == 0)
					errno = ENOSPC;
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not write to file \"%s\": %m", ex->tmppath)));
			}
			p += n;
			left -= n;
		}
	}
	else
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum(++ex->npieces);
		values[1] = PointerGetDatum(cstring_to_text_with_len(ex->buf.data, ex->buf.len));
		tuplestore_putvalues(ex->rsinfo->setResult, ex->rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[1]));
	}
	resetStringInfo(&ex->buf);
}

/*
 * Open the file the export goes to: beside path, under a name of its own,
 * renamed to path once complete.  path must be absolute, and a regular
 * file if it exists.
 */
static void
open_file(Export *ex, const char *path)
{
	struct stat st;
	mode_t		oumask;
	volatile int save_errno = 0;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to export frames to a file"),
				 errdetail("Only roles with privileges of the \"%s\" role may write files on the server.",
						   "pg_write_server_files"),
				 errhint("pkt_pcapng() gives the same file to the client: client/pkt-export writes it there.")));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("relative path not allowed for pkt_export: \"%s\"", path),
				 errhint("Give the whole path of the file on the server.")));
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path),
				 errdetail("pkt_export writes a new file, or replaces a regular file; it does not follow symbolic links."),
				 errhint("Name a file in a directory the server may write to.")));
	ex->path = path;
	ex->tmppath = psprintf("%s.pkt_export.%d", path, MyProcPid);
	/*
	 * A new file of our own (O_EXCL: no link followed, nothing clobbered;
	 * one a crashed export of this PID left is removed first), readable by
	 * all as COPY TO makes its files.
	 */
	(void) unlink(ex->tmppath);
	oumask = umask(S_IWGRP | S_IWOTH);
	PG_TRY();
	{
		ex->fd = OpenTransientFilePerm(ex->tmppath, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY,
									   S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
		save_errno = errno;
	}
	PG_FINALLY();
	{
		umask(oumask);
	}
	PG_END_TRY();
	errno = save_errno;
	if (ex->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\" for pkt_export: %m", ex->tmppath),
				 errhint("The server's operating system user must be able to write into the directory of \"%s\".",
						 path)));
}

static void
close_file(Export *ex)
{
	int			fd;

	flush_out(ex);
	if (pg_fsync(ex->fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write to file \"%s\": %m", ex->tmppath)));
	fd = ex->fd;
	ex->fd = -1;
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", ex->tmppath)));
	if (rename(ex->tmppath, ex->path) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename file \"%s\" to \"%s\": %m", ex->tmppath, ex->path)));
}

/* An export that failed leaves no file behind. */
static void
abandon_file(Export *ex)
{
	if (ex->fd >= 0)
	{
		CloseTransientFile(ex->fd);
		ex->fd = -1;
	}
	if (ex->tmppath != NULL)
		(void) unlink(ex->tmppath);
}

/* ------------------------------------------------------------------------
 * The frames.
 * ------------------------------------------------------------------------
 */

/*
 * The filter, compiled for a link type; a filter libpcap refuses is an
 * error naming it.
 */
static struct bpf_program *
filter_for(Export *ex, int dlt, int snaplen)
{
	ListCell   *lc;
	ExportFilter *f;
	pcap_t	   *p;
	MemoryContext old;

	foreach(lc, ex->filters)
	{
		f = (ExportFilter *) lfirst(lc);
		if (f->dlt == dlt && f->snaplen == snaplen)
			return &f->prog;
	}
	p = pcap_open_dead(dlt, Max(snaplen, 1));
	if (p == NULL)
		elog(ERROR, "pcap_open_dead failed for link type %d", dlt);
	old = MemoryContextSwitchTo(ex->cxt);
	f = palloc0(sizeof(ExportFilter));
	MemoryContextSwitchTo(old);
	f->dlt = dlt;
	f->snaplen = snaplen;
	if (pcap_compile(p, &f->prog, ex->filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
	{
		char	   *msg = pstrdup(pcap_geterr(p));
		const char *name = pcap_datalink_val_to_name(dlt);

		pcap_close(p);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid BPF filter \"%s\" for link type %s", ex->filter,
						name ? name : "unknown"),
				 errdetail("libpcap reports: %s", msg),
				 errhint("The filter is in tcpdump's language, as pcap-filter(7) describes it.")));
	}
	pcap_close(p);
	old = MemoryContextSwitchTo(ex->cxt);
	ex->filters = lappend(ex->filters, f);
	MemoryContextSwitchTo(old);
	return &f->prog;
}

static void
free_filters(Export *ex)
{
	ListCell   *lc;

	foreach(lc, ex->filters)
		pcap_freecode(&((ExportFilter *) lfirst(lc))->prog);
	ex->filters = NIL;
}

static int
sensor_no(Export *ex, const char *sensor)
{
	ListCell   *lc;
	int			i = 0;
	MemoryContext old;

	foreach(lc, ex->sensors)
	{
		if (strcmp((const char *) lfirst(lc), sensor) == 0)
			return i;
		i++;
	}
	old = MemoryContextSwitchTo(ex->cxt);
	ex->sensors = lappend(ex->sensors, pstrdup(sensor));
	MemoryContextSwitchTo(old);
	return i;
}

/* What a run's frames are, from its ledger row; asked once per run. */
static ExportRun *
run_of(Export *ex, int32 run_id, const char *sensor)
{
	ExportRunKey key;
	ExportRun  *r;
	bool		found;
	Datum		args[2];
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	int			ret;
	MemoryContext cxt = CurrentMemoryContext;

	memset(&key, 0, sizeof(key));
	key.run_id = run_id;
	key.sensor_no = sensor_no(ex, sensor);
	r = hash_search(ex->runs, &key, HASH_ENTER, &found);
	if (found)
		return r;
	r->known = false;
	r->source = NULL;
	args[0] = Int32GetDatum(run_id);
	/* a server's own rows have sensor '', its runs its name */
	args[1] = CStringGetTextDatum(sensor[0] == '\0' ? own_sensor() : sensor);
	ret = SPI_execute_with_args(ex->runs_sql, 2, argtypes, args, NULL, true, 1);
	/* SPI returns in its own context: the row's allocations stay in the caller's */
	MemoryContextSwitchTo(cxt);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading pkt_runs failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		dlt = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			char	   *source = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);

			r->known = true;
			r->dlt = DatumGetInt32(dlt);
			r->snaplen = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 2, &isnull));
			r->source = MemoryContextStrdup(ex->cxt, source ? source : "");
		}
	}
	SPI_freetuptable(SPI_tuptable);
	return r;
}

/*
 * The interface block of a row: one per link type, snap length, sensor and
 * interface (or file loaded), written when first met.
 */
static uint32
idb_of(Export *ex, ExportRun *run, const char *sensor, const char *ifname)
{
	char		key[IDB_KEY_LEN];
	char		name[IF_NAME_MAX + 1];
	ExportIdb  *e;
	bool		found;

	if (ex->last_run == run && ex->last_ifname != NULL &&
		strcmp(ex->last_ifname, ifname ? ifname : "") == 0)
		return ex->last_idb;
	if (ifname == NULL || ifname[0] == '\0')
		ifname = run->source;
	{
		char	   *full = sensor[0] != '\0' ? psprintf("%s:%s", sensor, ifname) : pstrdup(ifname);

		/* whole characters only: the name is UTF-8 in the file */
		strlcpy(name, full, pg_mbcliplen(full, strlen(full), IF_NAME_MAX) + 1);
		pfree(full);
	}
	memset(key, 0, sizeof(key));
	snprintf(key, sizeof(key), "%d/%d/%s", run->dlt, run->snaplen, name);
	e = hash_search(ex->idbs, key, HASH_ENTER, &found);
	if (!found)
		e->id = write_idb(ex, run->dlt, run->snaplen, name);
	ex->last_run = run;
	if (ex->last_ifname != NULL)
		pfree(ex->last_ifname);
	ex->last_ifname = MemoryContextStrdup(ex->cxt, ifname == run->source ? "" : ifname);
	ex->last_idb = e->id;
	return e->id;
}

/* One row: its frame written if it has one and the filter takes it. */
static void
export_row(Export *ex, HeapTuple tup, TupleDesc desc, const int *cols)
{
	bool		isnull;
	Datum		d;
	bytea	   *frame;
	TimestampTz ts;
	int32		size;
	int32		run_id;
	char	   *sensor;
	char	   *ifname = NULL;
	ExportRun  *run;
	uint32		caplen;
	uint32		len;

	d = SPI_getbinval(tup, desc, cols[COL_FRAME], &isnull);
	if (isnull)
		return;
	frame = DatumGetByteaPP(d);
	ts = DatumGetTimestampTz(SPI_getbinval(tup, desc, cols[COL_TIME], &isnull));
	if (isnull || TIMESTAMP_NOT_FINITE(ts))
	{
		ex->unknown++;
		return;
	}
	size = DatumGetInt32(SPI_getbinval(tup, desc, cols[COL_SIZE], &isnull));
	if (isnull)
		size = 0;
	run_id = DatumGetInt32(SPI_getbinval(tup, desc, cols[COL_RUN], &isnull));
	if (isnull)
		run_id = 0;
	d = SPI_getbinval(tup, desc, cols[COL_SENSOR], &isnull);
	sensor = isnull ? "" : TextDatumGetCString(d);
	if (cols[COL_IFNAME] > 0)
	{
		d = SPI_getbinval(tup, desc, cols[COL_IFNAME], &isnull);
		if (!isnull)
			ifname = TextDatumGetCString(d);
	}

	run = run_of(ex, run_id, sensor);
	if (!run->known)
	{
		ex->unknown++;
		return;
	}
	caplen = VARSIZE_ANY_EXHDR(frame);
	len = (uint32) Max((int64) size, (int64) caplen);
	if (ex->filter != NULL)
	{
		struct pcap_pkthdr hdr;

		memset(&hdr, 0, sizeof(hdr));
		hdr.caplen = caplen;
		hdr.len = len;
		if (pcap_offline_filter(filter_for(ex, run->dlt, run->snaplen), &hdr,
								(const u_char *) VARDATA_ANY(frame)) == 0)
			return;
	}
	/* microseconds since 1970; a time before (set by hand) as 1970 */
	ts += (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
	write_epb(&ex->buf, idb_of(ex, run, sensor, ifname), Max(ts, 0),
			  VARDATA_ANY(frame), caplen, len);
	ex->frames++;
	if (ex->buf.len >= PIECE_BYTES)
		flush_out(ex);
}

/* The columns the rows must have, by name; interface may be missing. */
static void
find_columns(TupleDesc desc, int *cols)
{
	for (int c = 0; c < NCOLS; c++)
	{
		cols[c] = SPI_fnumber(desc, col_names[c]);
		if (cols[c] <= 0 && c == COL_IFNAME)
			continue;
		if (cols[c] <= 0 || SPI_gettypeid(desc, cols[c]) != col_types[c])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the query must return column \"%s\" of type %s, as packets has it",
							col_names[c], format_type_be(col_types[c])),
					 errdetail("Frames are exported from rows of packets: capture_time, frame, packet_size, run_id and sensor at least."),
					 errhint("SELECT * FROM packets WHERE ..., or SELECT p.* FROM flows f, pkt_flow_packets(f) p WHERE ...")));
	}
}

/* Every row of an open cursor. */
static void
export_cursor(Export *ex, Portal portal)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pkt_export rows",
												 ALLOCSET_DEFAULT_SIZES);
	int			cols[NCOLS];
	bool		first = true;

	for (;;)
	{
		MemoryContext old;
		SPITupleTable *tt;
		uint64		n;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		/* run_of() runs queries of its own: keep this fetch's rows */
		tt = SPI_tuptable;
		n = SPI_processed;
		if (first)
		{
			find_columns(tt->tupdesc, cols);
			first = false;
		}
		if (n == 0)
		{
			SPI_freetuptable(tt);
			break;
		}
		old = MemoryContextSwitchTo(rowcxt);
		for (uint64 i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			export_row(ex, tt->vals[i], tt->tupdesc, cols);
			MemoryContextReset(rowcxt);
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(rowcxt);
}

/* ------------------------------------------------------------------------
 * The export, whole.
 * ------------------------------------------------------------------------
 */
typedef struct ExportSource
{
	/* a window ... */
	TimestampTz from;
	TimestampTz to;
	const char *ifname;			/* NULL: any */
	const char *sensor;			/* NULL: any */
	/* ... or a query */
	const char *query;
} ExportSource;

static void
check_filter(const char *filter)
{
	if (filter == NULL)
		return;
	if (strlen(filter) > MAX_FILTER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("BPF filter too long (%zu bytes, at most %d)", strlen(filter), MAX_FILTER_LEN)));
}

static Portal
open_window(const ExportSource *src)
{
	char	   *schema = pkt_ext_schema();
	char	   *sql;
	Oid			argtypes[4] = {TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	const char *sensor = src->sensor;
	Portal		portal;

	/* operators named in pg_catalog: the caller's search_path is not ours to trust */
	sql = psprintf("SELECT p.capture_time, p.frame, p.packet_size, p.run_id, p.sensor, p.interface "
				   "FROM %s.packets p "
				   "WHERE p.capture_time OPERATOR(pg_catalog.>=) $1 "
				   "AND p.capture_time OPERATOR(pg_catalog.<) $2 "
				   "AND p.frame IS NOT NULL "
				   "AND ($3::pg_catalog.text IS NULL OR p.interface OPERATOR(pg_catalog.=) $3) "
				   "AND ($4::pg_catalog.text IS NULL OR p.sensor OPERATOR(pg_catalog.=) $4) "
				   "ORDER BY p.capture_time, p.id", schema);
	/* this server's own rows have sensor '' */
	if (sensor != NULL && strcmp(sensor, own_sensor()) == 0)
		sensor = "";
	args[0] = TimestampTzGetDatum(src->from);
	args[1] = TimestampTzGetDatum(src->to);
	args[2] = src->ifname ? CStringGetTextDatum(src->ifname) : (Datum) 0;
	nulls[2] = src->ifname ? ' ' : 'n';
	args[3] = sensor ? CStringGetTextDatum(sensor) : (Datum) 0;
	nulls[3] = sensor ? ' ' : 'n';
	portal = SPI_cursor_open_with_args(NULL, sql, 4, argtypes, args, nulls, true, 0);
	if (portal == NULL)
		elog(ERROR, "could not open a cursor over packets: %s",
			 SPI_result_code_string(SPI_result));
	return portal;
}

/* The caller's query: one SELECT, read-only, run with its rights. */
static Portal
open_query(const char *query)
{
	SPIPlanPtr	plan = SPI_prepare(query, 0, NULL);
	List	   *sources;
	Portal		portal;

	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("could not prepare the query of the export: %s",
						SPI_result_code_string(SPI_result))));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1 ||
		((CachedPlanSource *) linitial(sources))->commandTag != CMDTAG_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("the query of an export must be one SELECT"),
				 errhint("SELECT * FROM packets WHERE ..., or SELECT p.* FROM flows f, pkt_flow_packets(f) p WHERE ...")));
	/* read-only: a data-modifying WITH is refused */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	if (portal == NULL)
		elog(ERROR, "could not open a cursor: %s", SPI_result_code_string(SPI_result));
	return portal;
}

/* Run the export of src to the file or the client ex is set up for. */
static void
run_export(Export *ex, const ExportSource *src)
{
	HASHCTL		ctl;
	char	   *runs_relname;
	Oid			relid;

	check_filter(ex->filter);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	runs_relname = pkt_ext_relname("pkt_runs", &relid);
	ex->runs_sql = psprintf("SELECT linktype, frame_snaplen, source FROM %s "
							"WHERE run_id OPERATOR(pg_catalog.=) $1 "
							"AND sensor OPERATOR(pg_catalog.=) $2", runs_relname);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ExportRunKey);
	ctl.entrysize = sizeof(ExportRun);
	ctl.hcxt = ex->cxt;
	ex->runs = hash_create("pkt_export runs", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = IDB_KEY_LEN;
	ctl.entrysize = sizeof(ExportIdb);
	ex->idbs = hash_create("pkt_export interfaces", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	write_shb(&ex->buf);
	PG_TRY();
	{
		export_cursor(ex, src->query ? open_query(src->query) : open_window(src));
		/* a filter no frame tried is still checked: compiled for Ethernet */
		if (ex->filter != NULL && ex->filters == NIL)
			(void) filter_for(ex, DLT_EN10MB, 65535);
	}
	PG_FINALLY();
	{
		free_filters(ex);
	}
	PG_END_TRY();
	if (ex->unknown > 0)
		ereport(NOTICE,
				(errmsg(INT64_FORMAT " frames were left out", ex->unknown),
				 errdetail("Their runs are not in pkt_runs or give no link type, or their capture_time is not a finite time.")));
	SPI_finish();
}

static void
export_init(Export *ex, const char *filter)
{
	memset(ex, 0, sizeof(*ex));
	ex->fd = -1;
	ex->cxt = CurrentMemoryContext;
	initStringInfo(&ex->buf);
	ex->filter = filter;
}

static char *
text_arg_or_null(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static void
required(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* The window of pkt_export(path, from, to, ...) or pkt_pcapng(from, to, ...), from argument first. */
static void
window_args(FunctionCallInfo fcinfo, int first, ExportSource *src)
{
	memset(src, 0, sizeof(*src));
	required(fcinfo, first, "from_time");
	required(fcinfo, first + 1, "to_time");
	src->from = PG_GETARG_TIMESTAMPTZ(first);
	src->to = PG_GETARG_TIMESTAMPTZ(first + 1);
	src->ifname = text_arg_or_null(fcinfo, first + 3);
	src->sensor = text_arg_or_null(fcinfo, first + 4);
}

static void
abandon_file_callback(int code, Datum arg)
{
	abandon_file((Export *) DatumGetPointer(arg));
}

/*
 * Export src to the file at path.  An export that fails, or whose backend
 * is terminated, leaves no file behind.
 */
static int64
export_to_file(const char *path, const ExportSource *src, const char *filter)
{
	Export	   *ex = palloc(sizeof(Export));

	export_init(ex, filter);
	open_file(ex, path);
	PG_ENSURE_ERROR_CLEANUP(abandon_file_callback, PointerGetDatum(ex));
	{
		run_export(ex, src);
		close_file(ex);
	}
	PG_END_ENSURE_ERROR_CLEANUP(abandon_file_callback, PointerGetDatum(ex));
	return ex->frames;
}

/* Export src to the client, as the rows (n, piece) of a set-returning function. */
static void
export_to_client(FunctionCallInfo fcinfo, const ExportSource *src, const char *filter)
{
	Export		ex;

	InitMaterializedSRF(fcinfo, 0);
	export_init(&ex, filter);
	ex.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	run_export(&ex, src);
	flush_out(&ex);
}

PG_FUNCTION_INFO_V1(pkt_export);
PG_FUNCTION_INFO_V1(pkt_export_rows);
PG_FUNCTION_INFO_V1(pkt_pcapng);
PG_FUNCTION_INFO_V1(pkt_pcapng_rows);

/* pkt_export(path, from_time, to_time, filter, interface, sensor) RETURNS bigint */
Datum
pkt_export(PG_FUNCTION_ARGS)
{
	ExportSource src;

	required(fcinfo, 0, "path");
	window_args(fcinfo, 1, &src);
	PG_RETURN_INT64(export_to_file(text_arg_or_null(fcinfo, 0), &src,
								   text_arg_or_null(fcinfo, 3)));
}

/* pkt_export_rows(path, query, filter) RETURNS bigint */
Datum
pkt_export_rows(PG_FUNCTION_ARGS)
{
	ExportSource src;

	required(fcinfo, 0, "path");
	required(fcinfo, 1, "query");
	memset(&src, 0, sizeof(src));
	src.query = text_arg_or_null(fcinfo, 1);
	PG_RETURN_INT64(export_to_file(text_arg_or_null(fcinfo, 0), &src,
								   text_arg_or_null(fcinfo, 2)));
}

/* pkt_pcapng(from_time, to_time, filter, interface, sensor) RETURNS SETOF (n, piece) */
Datum
pkt_pcapng(PG_FUNCTION_ARGS)
{
	ExportSource src;

	window_args(fcinfo, 0, &src);
	export_to_client(fcinfo, &src, text_arg_or_null(fcinfo, 2));
	return (Datum) 0;
}

/* pkt_pcapng_rows(query, filter) RETURNS SETOF (n, piece) */
Datum
pkt_pcapng_rows(PG_FUNCTION_ARGS)
{
	ExportSource src;

	required(fcinfo, 0, "query");
	memset(&src, 0, sizeof(src));
	src.query = text_arg_or_null(fcinfo, 0);
	export_to_client(fcinfo, &src, text_arg_or_null(fcinfo, 1));
	return (Datum) 0;
}
