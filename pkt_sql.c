/*-------------------------------------------------------------------------
 * pkt_sql.c
 *		The SQL-callable entry points of pktcapture, one per SQL API version.
 *
 * Each version's install or upgrade script binds its SQL functions to the
 * C entry points of that version: pkt_status for 1.0, and when a version
 * changes what a function returns, a new entry point (pkt_status_1_1 for
 * 1.1, ...) beside the old.  The library keeps the entry points of every
 * released version, so that the SQL of an older version keeps working
 * with a newer library (after a package upgrade, until ALTER EXTENSION
 * pktcapture UPDATE), as pg_stat_statements does; each checks that its
 * SQL declaration has the columns its version returns.
 *
 * The work is done elsewhere: starting and stopping captures in
 * pkt_capture.c, loading files in pkt_load.c, a hub's rows in pkt_hub.c;
 * here are the arguments, the privileges and the result sets built from
 * copies of the slots.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <pcap/pcap.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/timestamp.h"

#include "pkt_bucket.h"
#include "pkt_capture.h"
#include "pkt_guard.h"
#include "pkt_guc.h"
#include "pkt_hub.h"
#include "pkt_inet.h"
#include "pkt_load.h"
#include "pkt_shmem.h"

/* The versions of the SQL API, as the extension's versions name them. */
typedef enum PktApi
{
	PKT_API_1_0,
	PKT_API_1_2,				/* pkt_status: the disk guard */
	PKT_API_1_8					/* pkt_status: the spool */
} PktApi;

static const char *const api_names[] = {"1.0", "1.2", "1.8"};

/*
 * The SQL declaration of a set-returning function must have the columns
 * this version of it returns (a mismatch means the SQL objects and the
 * library disagree).
 */
static void
check_columns(FunctionCallInfo fcinfo, const char *func, PktApi api, int expected)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsinfo->setDesc->natts != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("function %s is declared with %d result columns, but version %s of its C entry point returns %d",
						func, rsinfo->setDesc->natts, api_names[api], expected),
				 errhint("Update the extension with ALTER EXTENSION pktcapture UPDATE.")));
}

static const char *
state_name(PktState state)
{
	switch (state)
	{
		case PKT_STATE_FREE:
			return "free";
		case PKT_STATE_STARTING:
			return "starting";
		case PKT_STATE_RUNNING:
			return "running";
		case PKT_STATE_STOPPING:
			return "stopping";
		case PKT_STATE_STOPPED:
			return "stopped";
		case PKT_STATE_FAILED:
			return "failed";
	}
	return "unknown";
}

/*
 * The protocol as pktcapture names it: TCP, UDP or the number.  The one
 * rule, for pkt_stats() here and, through pkt_protocol_label(), for SQL
 * (packets' generated column protocol says the same: a test holds them
 * equal, since a generated column's expression cannot change without
 * rewriting the table).
 */
static void
protocol_label(int proto, char *buf, size_t len)
{
	if (proto == 6)
		strlcpy(buf, "TCP", len);
	else if (proto == 17)
		strlcpy(buf, "UDP", len);
	else
		snprintf(buf, len, "%d", proto);
}

static void
addr_label(const uint8 *key, char *buf, size_t len)
{
	InetSlot	ip;

	memset(&ip, 0, sizeof(ip));
	pkt_set_inet(&ip.ip, key[0], key + 1);
	strlcpy(buf, DatumGetCString(DirectFunctionCall1(inet_out, InetPGetDatum(&ip.ip))), len);
}

/* Builds the rows of pkt_stats for one capture. */
typedef struct StatsOut
{
	Tuplestorestate *ts;
	TupleDesc	desc;
	const char *name;
	uint64		total;			/* IP packets, for the shares */
} StatsOut;

#define STATS_NCOLS 7		/* every version so far */

static void
stats_row(StatsOut *out, const char *section, const char *item,
		  int64 packets, bool have_bytes, int64 bytes, bool have_share,
		  const char *note)
{
	Datum		values[STATS_NCOLS];
	bool		nulls[STATS_NCOLS];

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(out->name);
	values[1] = CStringGetTextDatum(section);
	values[2] = CStringGetTextDatum(item);
	values[3] = Int64GetDatum(packets);
	values[4] = Int64GetDatum(bytes);
	nulls[4] = !have_bytes;
	/* percent of all IP packets, to a tenth */
	nulls[5] = !have_share || out->total == 0;
	values[5] = Float8GetDatum(out->total == 0 ? 0 :
							   rint((double) packets * 1000.0 / (double) out->total) / 10.0);
	nulls[6] = note == NULL;
	values[6] = note ? CStringGetTextDatum(note) : (Datum) 0;
	tuplestore_putvalues(out->ts, out->desc, values, nulls);
}

static void
stats_top_rows(StatsOut *out, const char *section, const PktSharedTop *top)
{
	for (int i = 0; i < top->n && i < 5; i++)
	{
		char		label[64];
		char		note[128];

		addr_label(top->items[i].key, label, sizeof(label));
		if (top->items[i].error > 0)
			snprintf(note, sizeof(note),
					 "approximate: at most " UINT64_FORMAT " packets too many",
					 top->items[i].error);
		stats_row(out, section, label, (int64) top->items[i].packets,
				  true, (int64) top->items[i].bytes, true,
				  top->items[i].error > 0 ? note : NULL);
	}
}

/*
 * pkt_stats(interface text DEFAULT NULL)
 *	RETURNS TABLE (capture text, section text, item text, packets bigint,
 *				   bytes bigint, share float8, note text)
 *
 * The summary the original program printed, one line a row, for the
 * running capture or the last one, of one interface (or file) or all.
 * Rate rows hold packets and bytes per second.
 */
static void
stats_internal(FunctionCallInfo fcinfo, PktApi api)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	PktSlot    *slots;
	int			nslots;

	pkt_require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	check_columns(fcinfo, "pkt_stats", api, STATS_NCOLS);
	slots = pkt_slots_copy(name, &nslots);

	for (int s = 0; s < nslots; s++)
	{
		const PktSlot *slot = &slots[s];
		const PktCounters *c = &slot->pub.c;
		StatsOut	out;
		int			order[256];
		int			norder = 0;
		TimestampTz end;
		double		secs;

		if (!pkt_slot_visible(slot))
			continue;

		out.ts = rsinfo->setResult;
		out.desc = rsinfo->setDesc;
		out.name = slot->cfg.name;
		out.total = c->result_packets[PKT_IP];

		stats_row(&out, "total", "packets", (int64) c->result_packets[PKT_IP],
				  true, (int64) c->result_bytes[PKT_IP], true, NULL);

		end = pkt_slot_is_active(slot) ? GetCurrentTimestamp() : slot->stopped_at;
		secs = (double) (end - slot->started_at) / USECS_PER_SEC;
		if (pkt_slot_is_active(slot))
			stats_row(&out, "rate", "last 5 s", (int64) rint(slot->pub.rate_pps), true,
					  (int64) rint(slot->pub.rate_Bps), false, "per second");
		if (secs > 0)
			stats_row(&out, "rate", "since start",
					  (int64) rint(c->result_packets[PKT_IP] / secs), true,
					  (int64) rint(c->result_bytes[PKT_IP] / secs), false, "per second");

		/* protocols, most packets first */
		for (int p = 0; p < 256; p++)
		{
			int			j;

			if (c->proto_packets[p] == 0)
				continue;
			for (j = norder; j > 0 && c->proto_packets[order[j - 1]] < c->proto_packets[p]; j--)
				order[j] = order[j - 1];
			order[j] = p;
			norder++;
		}
		for (int i = 0; i < norder; i++)
		{
			char		label[8];

			protocol_label(order[i], label, sizeof(label));
			stats_row(&out, "protocol", label, (int64) c->proto_packets[order[i]],
					  true, (int64) c->proto_bytes[order[i]], true, NULL);
		}

		stats_top_rows(&out, "top_source", &slot->pub.top_src);
		stats_top_rows(&out, "top_destination", &slot->pub.top_dst);

		stats_row(&out, "capture", "frames seen", (int64) c->frames, true,
				  (int64) c->frame_bytes, false, NULL);
		stats_row(&out, "capture", "rows stored", (int64) c->stored, false, 0, false, NULL);
		stats_row(&out, "capture", "rows pending", (int64) c->pending, false, 0, false, NULL);
		stats_row(&out, "loss", "kernel dropped", (int64) c->kernel_dropped, false, 0,
				  false, NULL);
		stats_row(&out, "loss", "interface dropped", (int64) c->if_dropped, false, 0,
				  false, NULL);
		stats_row(&out, "loss", "truncated", (int64) c->result_packets[PKT_TRUNCATED], true,
				  (int64) c->result_bytes[PKT_TRUNCATED], false, NULL);
		stats_row(&out, "loss", "malformed",
				  (int64) c->result_packets[PKT_MALFORMED], true,
				  (int64) c->result_bytes[PKT_MALFORMED], false,
				  c->bad_time > 0 ? "includes packets with an impossible timestamp" : NULL);
		stats_row(&out, "loss", "unsupported link type",
				  (int64) c->result_packets[PKT_UNSUPPORTED], true,
				  (int64) c->result_bytes[PKT_UNSUPPORTED], false, NULL);
		stats_row(&out, "loss", "not ip", (int64) c->result_packets[PKT_NOT_IP], true,
				  (int64) c->result_bytes[PKT_NOT_IP], false, NULL);
		stats_row(&out, "loss", "not stored", (int64) c->not_stored, false, 0, false, NULL);
		stats_row(&out, "loss", "disk guard", (int64) c->not_stored_disk, false, 0,
				  false, slot->pub.guard_state == PKT_GUARD_HOLDING ?
				  "free space is below pktcapture.min_free_space: rows are not stored" :
				  slot->pub.guard_state == PKT_GUARD_DROPPING ?
				  "the oldest partitions were dropped to keep free space" : NULL);
	}
}

/*
 * pkt_status() RETURNS SETOF record: one row per capture or load, running
 * or ended, with every counter, for programs and monitoring.
 */
#define STATUS_NCOLS_1_0 24
#define STATUS_NCOLS_1_2 27
#define STATUS_NCOLS_1_8 32

static int
status_ncols(PktApi api)
{
	switch (api)
	{
		case PKT_API_1_0:
			return STATUS_NCOLS_1_0;
		case PKT_API_1_2:
			return STATUS_NCOLS_1_2;
		case PKT_API_1_8:
			return STATUS_NCOLS_1_8;
	}
	return 0;
}

/*
 * The spool of a live capture (pkt_spooler.c): frames spooled and not yet
 * read back, their bytes on disk, and how far behind the newest frame
 * spooled the newest frame read back is.  All NULL without a spool.
 */
static int
status_spool(const PktSlot *slot, Datum *values, bool *nulls, int i)
{
	const PktSpooler *sp = &slot->spooler;
	const PktSpoolReading *rd = &slot->spool_read;
	bool		none = sp->state == PKT_SPOOL_NONE;
	bool		behind = sp->segments > rd->segments;

	nulls[i] = none || sp->pid == 0;
	values[i++] = Int32GetDatum(sp->pid);
	nulls[i] = none;
	values[i++] = Int64GetDatum(sp->frames > slot->pub.c.frames ?
								(int64) (sp->frames - slot->pub.c.frames) : 0);
	nulls[i] = none;
	values[i++] = Int64GetDatum(sp->bytes > rd->bytes ? (int64) (sp->bytes - rd->bytes) : 0);
	nulls[i] = none;
	{
		Interval   *lag = palloc0(sizeof(Interval));

		TimestampTz read = rd->newest != 0 ? rd->newest : sp->first;

		/* nothing read back yet: behind since the first frame spooled */
		if (behind && sp->newest > read)
			lag->time = sp->newest - read;
		values[i++] = IntervalPGetDatum(lag);
	}
	nulls[i] = none;
	values[i++] = Int64GetDatum((int64) sp->full_waits);
	return i;
}

static void
status_internal(FunctionCallInfo fcinfo, PktApi api)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PktSlot    *slots;
	int			nslots;

	pkt_require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	check_columns(fcinfo, "pkt_status", api, status_ncols(api));
	slots = pkt_slots_copy(NULL, &nslots);

	for (int s = 0; s < nslots; s++)
	{
		const PktSlot *slot = &slots[s];
		const PktCounters *c = &slot->pub.c;
		Datum		values[STATUS_NCOLS_1_8];
		bool		nulls[STATUS_NCOLS_1_8];
		int			i = 0;

		if (!pkt_slot_visible(slot))
			continue;

		memset(nulls, 0, sizeof(nulls));
		nulls[i] = slot->run_id <= 0;
		values[i++] = Int32GetDatum(slot->run_id);
		values[i++] = CStringGetTextDatum(slot->cfg.name);
		values[i++] = CStringGetTextDatum(slot->is_file ? "file" : "live");
		nulls[i] = slot->cfg.filter[0] == '\0';
		values[i++] = CStringGetTextDatum(slot->cfg.filter);
		nulls[i] = slot->pid == 0;
		values[i++] = Int32GetDatum(slot->pid);
		values[i++] = CStringGetTextDatum(state_name(slot->state));
		values[i++] = TimestampTzGetDatum(slot->started_at);
		nulls[i] = slot->stopped_at == 0;
		values[i++] = TimestampTzGetDatum(slot->stopped_at);
		values[i++] = Int64GetDatum((int64) c->frames);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_IP]);
		values[i++] = Int64GetDatum((int64) c->result_bytes[PKT_IP]);
		values[i++] = Int64GetDatum((int64) c->stored);
		values[i++] = Int64GetDatum((int64) c->pending);
		values[i++] = Int64GetDatum((int64) c->kernel_dropped);
		values[i++] = Int64GetDatum((int64) c->if_dropped);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_TRUNCATED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_MALFORMED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_UNSUPPORTED]);
		values[i++] = Int64GetDatum((int64) c->result_packets[PKT_NOT_IP]);
		values[i++] = Int64GetDatum((int64) c->not_stored);
		values[i++] = Int64GetDatum((int64) c->l4_truncated);
		nulls[i] = slot->pub.last_flush_at == 0;
		values[i++] = TimestampTzGetDatum(slot->pub.last_flush_at);
		nulls[i] = slot->pub.last_flush_at == 0;
		values[i++] = Float8GetDatum(slot->pub.last_flush_ms);
		nulls[i] = slot->pub.error[0] == '\0';
		values[i++] = CStringGetTextDatum(slot->pub.error);
		Assert(i == STATUS_NCOLS_1_0);
		if (api >= PKT_API_1_2)
		{
			values[i++] = Int64GetDatum((int64) c->not_stored_disk);
			values[i++] = CStringGetTextDatum(pkt_guard_state_name(slot->pub.guard_state));
			nulls[i] = slot->pub.free_bytes == INT64_MAX || slot->pub.free_bytes == 0;
			values[i++] = Int64GetDatum(slot->pub.free_bytes);
			Assert(i == STATUS_NCOLS_1_2);
		}
		if (api >= PKT_API_1_8)
		{
			i = status_spool(slot, values, nulls, i);
			Assert(i == STATUS_NCOLS_1_8);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * pkt_flows_live(interface, top): the busiest conversations of the open
 * interval of each running capture (or of the named one), as its worker
 * last published them.
 */
#define FLOWS_LIVE_NCOLS 13

static void
flows_live_internal(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			top = PG_ARGISNULL(1) ? PKT_FLOWS_SHARED : PG_GETARG_INT32(1);
	PktSlot    *slots;
	int			nslots;

	pkt_require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	check_columns(fcinfo, "pkt_flows_live", PKT_API_1_0, FLOWS_LIVE_NCOLS);
	if (top < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top must not be negative")));
	slots = pkt_slots_copy(name, &nslots);
	for (int s = 0; s < nslots; s++)
	{
		const PktSlot *slot = &slots[s];
		const PktSharedFlows *fl = &slot->pub.flows;

		if (!pkt_slot_visible(slot) || slot->state != PKT_STATE_RUNNING)
			continue;
		for (int k = 0; k < fl->n && k < top; k++)
		{
			const PktSharedFlow *e = &fl->items[k];
			Datum		values[FLOWS_LIVE_NCOLS];
			bool		nulls[FLOWS_LIVE_NCOLS];
			InetSlot	src;
			InetSlot	dst;
			char		label[8];
			int			i = 0;

			memset(nulls, 0, sizeof(nulls));
			values[i++] = CStringGetTextDatum(slot->cfg.name);
			values[i++] = TimestampTzGetDatum(fl->interval_start);
			values[i++] = TimestampTzGetDatum(e->first_seen);
			values[i++] = TimestampTzGetDatum(e->last_seen);
			pkt_set_inet(&src.ip, e->ip_version, e->src);
			values[i++] = InetPGetDatum(&src.ip);
			pkt_set_inet(&dst.ip, e->ip_version, e->dst);
			values[i++] = InetPGetDatum(&dst.ip);
			protocol_label(e->ip_proto, label, sizeof(label));
			values[i++] = CStringGetTextDatum(label);
			nulls[i] = !e->has_ports;
			values[i++] = Int32GetDatum((int32) e->src_port);
			nulls[i] = !e->has_ports;
			values[i++] = Int32GetDatum((int32) e->dst_port);
			values[i++] = Int64GetDatum((int64) e->packets[0]);
			values[i++] = Int64GetDatum((int64) e->bytes[0]);
			values[i++] = Int64GetDatum((int64) e->packets[1]);
			values[i++] = Int64GetDatum((int64) e->bytes[1]);
			Assert(i == FLOWS_LIVE_NCOLS);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
}

static Datum
sockaddr_to_inet(const struct sockaddr *sa, const struct sockaddr *mask, bool *ok)
{
	inet	   *ip = palloc0(sizeof(inet));
	int			bits = 0;
	const uint8 *addr;
	const uint8 *maskbytes = NULL;
	int			nbytes;

	*ok = true;
	if (sa->sa_family == AF_INET)
	{
		ip_family(ip) = PGSQL_AF_INET;
		addr = (const uint8 *) &((const struct sockaddr_in *) sa)->sin_addr;
		if (mask && mask->sa_family == AF_INET)
			maskbytes = (const uint8 *) &((const struct sockaddr_in *) mask)->sin_addr;
		nbytes = 4;
	}
	else if (sa->sa_family == AF_INET6)
	{
		ip_family(ip) = PGSQL_AF_INET6;
		addr = (const uint8 *) &((const struct sockaddr_in6 *) sa)->sin6_addr;
		if (mask && mask->sa_family == AF_INET6)
			maskbytes = (const uint8 *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
		nbytes = 16;
	}
	else
	{
		*ok = false;
		return (Datum) 0;
	}
	memcpy(ip_addr(ip), addr, nbytes);
	if (maskbytes)
	{
		for (int i = 0; i < nbytes; i++)
			bits += pg_popcount32(maskbytes[i]);
	}
	else
		bits = nbytes * 8;
	ip_bits(ip) = bits;
	SET_INET_VARSIZE(ip);
	return InetPGetDatum(ip);
}

/*
 * pkt_interfaces() RETURNS TABLE (name text, description text,
 *	addresses inet[], flags text[])
 */
static void
interfaces_internal(FunctionCallInfo fcinfo, PktApi api)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t  *devs;

	InitMaterializedSRF(fcinfo, 0);
	check_columns(fcinfo, "pkt_interfaces", api, 4);
	if (pcap_findalldevs(&devs, errbuf) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not list capture interfaces: %s", errbuf)));

	for (pcap_if_t *d = devs; d != NULL; d = d->next)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		Datum		addrs[64];
		int			naddrs = 0;
		Datum		flags[8];
		int			nflags = 0;

		/* a name that is not valid text here could not be asked for */
		if (!pg_verifymbstr(d->name, strlen(d->name), true))
			continue;
		values[0] = CStringGetTextDatum(d->name);
		nulls[1] = d->description == NULL;
		values[1] = d->description ? CStringGetTextDatum(d->description) : (Datum) 0;
		for (pcap_addr_t *a = d->addresses; a != NULL && naddrs < lengthof(addrs); a = a->next)
		{
			bool		ok;
			Datum		v;

			if (a->addr == NULL)
				continue;
			v = sockaddr_to_inet(a->addr, a->netmask, &ok);
			if (ok)
				addrs[naddrs++] = v;
		}
		values[2] = PointerGetDatum(construct_array(addrs, naddrs, INETOID, -1, false, TYPALIGN_INT));
		if (d->flags & PCAP_IF_UP)
			flags[nflags++] = CStringGetTextDatum("up");
		if (d->flags & PCAP_IF_RUNNING)
			flags[nflags++] = CStringGetTextDatum("running");
		if (d->flags & PCAP_IF_LOOPBACK)
			flags[nflags++] = CStringGetTextDatum("loopback");
		if (d->flags & PCAP_IF_WIRELESS)
			flags[nflags++] = CStringGetTextDatum("wireless");
		switch (d->flags & PCAP_IF_CONNECTION_STATUS)
		{
			case PCAP_IF_CONNECTION_STATUS_CONNECTED:
				flags[nflags++] = CStringGetTextDatum("connected");
				break;
			case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
				flags[nflags++] = CStringGetTextDatum("disconnected");
				break;
			default:
				break;
		}
		values[3] = PointerGetDatum(construct_array(flags, nflags, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pcap_freealldevs(devs);
}

PG_FUNCTION_INFO_V1(pkt_start);
PG_FUNCTION_INFO_V1(pkt_stop);
PG_FUNCTION_INFO_V1(pkt_stats);
PG_FUNCTION_INFO_V1(pkt_status);
PG_FUNCTION_INFO_V1(pkt_status_1_2);
PG_FUNCTION_INFO_V1(pkt_status_1_8);
PG_FUNCTION_INFO_V1(pkt_interfaces);
PG_FUNCTION_INFO_V1(pkt_flows_live);
PG_FUNCTION_INFO_V1(pkt_load);
PG_FUNCTION_INFO_V1(pkt_hub_rows);
PG_FUNCTION_INFO_V1(pkt_hub_start_worker);
PG_FUNCTION_INFO_V1(pkt_protocol_label);
PG_FUNCTION_INFO_V1(pkt_bucket_epoch);
PG_FUNCTION_INFO_V1(pkt_sensor_name_check);

/*
 * pkt_start(interface text, filter text DEFAULT NULL) RETURNS integer
 *
 * Starts capturing on the interface; returns the worker's PID once the
 * capture is open.
 */
Datum
pkt_start(PG_FUNCTION_ARGS)
{
	pkt_require_loaded();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("interface must not be null"),
				 errhint("SELECT * FROM pkt_interfaces() lists the interfaces.")));
	PG_RETURN_INT32(pkt_capture_start(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									  PG_ARGISNULL(1) ? NULL :
									  text_to_cstring(PG_GETARG_TEXT_PP(1))));
}

/*
 * pkt_stop(interface text DEFAULT NULL) RETURNS integer
 *
 * Stops the caller's capture on the interface, or all of its captures in
 * this database (pkt_slot_owned).
 * Returns when every stopped worker has written its rows and published
 * its final statistics; the result is the number of captures stopped.
 */
Datum
pkt_stop(PG_FUNCTION_ARGS)
{
	pkt_require_loaded();
	PG_RETURN_INT32(pkt_capture_stop(PG_ARGISNULL(0) ? NULL :
									 text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

Datum
pkt_stats(PG_FUNCTION_ARGS)
{
	stats_internal(fcinfo, PKT_API_1_0);
	return (Datum) 0;
}

Datum
pkt_status(PG_FUNCTION_ARGS)
{
	status_internal(fcinfo, PKT_API_1_0);
	return (Datum) 0;
}

Datum
pkt_status_1_2(PG_FUNCTION_ARGS)
{
	status_internal(fcinfo, PKT_API_1_2);
	return (Datum) 0;
}

Datum
pkt_status_1_8(PG_FUNCTION_ARGS)
{
	status_internal(fcinfo, PKT_API_1_8);
	return (Datum) 0;
}

Datum
pkt_flows_live(PG_FUNCTION_ARGS)
{
	flows_live_internal(fcinfo);
	return (Datum) 0;
}

Datum
pkt_interfaces(PG_FUNCTION_ARGS)
{
	interfaces_internal(fcinfo, PKT_API_1_0);
	return (Datum) 0;
}

/*
 * pkt_load(path text) RETURNS bigint
 *
 * Reads a pcap or pcapng file into packets, in the caller's transaction;
 * returns the number of rows stored.
 */
Datum
pkt_load(PG_FUNCTION_ARGS)
{
	pkt_require_loaded();
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load a capture file"),
				 errdetail("Only roles with privileges of the \"%s\" role may read files on the server.",
						   "pg_read_server_files")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capture file name must not be null")));
	PG_RETURN_INT64(pkt_load_file(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/*
 * pkt_hub_rows() RETURNS trigger
 *
 * At a hub, on packets: a sensor's rows get its name as they arrive.
 */
Datum
pkt_hub_rows(PG_FUNCTION_ARGS)
{
	return pkt_hub_trigger(fcinfo);
}

/*
 * pkt_hub_start() RETURNS integer
 *
 * Starts the worker of this database's hub, unless it runs; returns its
 * PID, or 0 if it was running.
 */
Datum
pkt_hub_start_worker(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(pkt_hub_start());
}

/*
 * pkt_protocol_label(ip_proto integer) RETURNS text
 *
 * TCP, UDP or the number, as pkt_stats() and packets name a protocol.
 */
Datum
pkt_protocol_label(PG_FUNCTION_ARGS)
{
	char		label[16];

	protocol_label(PG_GETARG_INT32(0), label, sizeof(label));
	PG_RETURN_TEXT_P(cstring_to_text(label));
}

/*
 * pkt_bucket_epoch() RETURNS timestamptz
 *
 * Where every span of partitions and summaries is counted from
 * (pkt_bucket.h): date_bin()'s origin in SQL.
 */
Datum
pkt_bucket_epoch(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(PKT_BUCKET_EPOCH);
}

/*
 * pkt_sensor_name_check(sensor text) RETURNS void
 *
 * Raises an error unless the name is a valid sensor name, by the rule of
 * pktcapture.sensor.
 */
Datum
pkt_sensor_name_check(PG_FUNCTION_ARGS)
{
	char	   *sensor = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (sensor == NULL || !pkt_sensor_name_valid(sensor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sensor name \"%s\"", sensor ? sensor : "<NULL>"),
				 errdetail(PKT_SENSOR_NAME_RULE, PKT_SENSOR_LEN),
				 errhint("A sensor's name is its pktcapture.sensor setting.")));
	PG_RETURN_VOID();
}
