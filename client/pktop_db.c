/*
 * pktop_db.c: the connection and the queries pktop runs: pkt_start, the
 * list of running captures, pkt_stats, pkt_status and pkt_flows_live once
 * a second, pkt_stop.  Rows go to pktop_snap.c as strings.
 *
 * pkt_flows_live came with pktcapture 1.6; against an older extension
 * pktop shows the rest and says what the conversations need.  Whether the
 * function is there is asked (to_regprocedure, through the search_path
 * the calls use) until it is, then again after a reconnection: an old
 * server's log gets no error a second, and an ALTER EXTENSION UPDATE
 * while pktop runs is seen at the next refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pktop_db.h"
#include "pktop_format.h"

static const char stats_sql[] =
	"SELECT section, item, packets, bytes, share, note "
	"FROM pkt_stats($1)";

static const char status_sql[] =
	"SELECT state, kind, filter, error, pid, "
	"  to_char(started_at, CASE WHEN started_at::date = current_date "
	"    THEN 'HH24:MI:SS' ELSE 'YYYY-MM-DD HH24:MI' END), "
	"  to_char(stopped_at, 'HH24:MI:SS'), "
	"  extract(epoch FROM coalesce(stopped_at, clock_timestamp()) - started_at)::float8, "
	"  last_batch_ms, "
	/* the spool's columns (pktcapture 1.8), NULL from an older server */
	"  extract(epoch FROM (to_jsonb(st) ->> 'lag')::interval)::float8, "
	"  to_jsonb(st) ->> 'spool_frames', to_jsonb(st) ->> 'spool_bytes' "
	"FROM pkt_status() st WHERE interface = $1 "
	"ORDER BY started_at DESC LIMIT 1";

static const char flows_probe_sql[] =
	"SELECT to_regprocedure('pkt_flows_live(text,integer)') IS NOT NULL, "
	"  (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture')";

/* interval_start in whole seconds: the same float8 in each refresh */
static const char flows_sql[] =
	"SELECT to_char(interval_start, 'HH24:MI:SS'), "
	"  extract(epoch FROM interval_start)::float8, "
	"  host(src_ip), host(dst_ip), protocol, src_port, dst_port, "
	"  packets, bytes, reverse_packets, reverse_bytes "
	"FROM pkt_flows_live($1, $2) "
	"ORDER BY bytes::numeric + reverse_bytes DESC";

/* pkt_flows_live is known to be there, on this connection */
static bool flows_found;

static const char live_sql[] =
	"SELECT interface, kind FROM pkt_status() "
	"WHERE state IN ('starting', 'running', 'stopping') "
	"ORDER BY kind = 'live' DESC, started_at";

/* The fields of row r as strings, NULL for SQL NULL. */
static void
row_fields(const PGresult *res, int r, int ncols, const char **f)
{
	for (int c = 0; c < ncols; c++)
		f[c] = c < PQnfields(res) && !PQgetisnull(res, r, c) ? PQgetvalue(res, r, c) : NULL;
}

static const char *
field(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? "" : PQgetvalue(res, r, c);
}

/* The server's message for a failed result, on one line, printable. */
static void
result_error(PGconn *conn, const PGresult *res, bool utf8, char *buf, size_t len)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	char		tmp[512];

	if (msg == NULL)
		msg = PQerrorMessage(conn);
	if (hint)
		snprintf(tmp, sizeof(tmp), "%s (%s)", msg, hint);
	else
		snprintf(tmp, sizeof(tmp), "%s", msg);
	fmt_sanitize(buf, len, tmp, utf8);
	fmt_rstrip(buf);
}

/*
 * The server's message for a failed command pktop cannot go on without,
 * for stderr: "what: message", then DETAIL and HINT lines as psql has.
 */
static void
fatal_error(PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

	snprintf(err, errlen, "%s: %s%s%s%s%s", what, msg ? msg : PQerrorMessage(conn),
			 detail ? "\nDETAIL: " : "", detail ? detail : "",
			 hint ? "\nHINT: " : "", hint ? hint : "");
}

/* A connection from libpq's environment; NULL and why on failure. */
PGconn *
db_connect(char *err, size_t errlen)
{
	char		conninfo[128] = "fallback_application_name=pktop";
	PGconn	   *conn;

	if (getenv("PGCONNECT_TIMEOUT") == NULL)
		strncat(conninfo, " connect_timeout=5", sizeof(conninfo) - strlen(conninfo) - 1);
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* pkt_start(iface, filter); filter may be NULL. */
bool
db_start(PGconn *conn, const char *iface, const char *filter, char *err, size_t errlen)
{
	const char *params[2] = {iface, filter};
	PGresult   *res = PQexecParams(conn, "SELECT pkt_start($1, $2)", 2, NULL, params,
								   NULL, NULL, 0);
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fatal_error(conn, res, "cannot start the capture", err, errlen);
	PQclear(res);
	return ok;
}

/* The captures running now, live ones first. */
bool
db_live_captures(PGconn *conn, LiveCaptures *out, char *err, size_t errlen)
{
	PGresult   *res = PQexecParams(conn, live_sql, 0, NULL, NULL, NULL, NULL, 0);

	memset(out, 0, sizeof(*out));
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fatal_error(conn, res, "cannot list the captures", err, errlen);
		PQclear(res);
		return false;
	}
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(field(res, i, 1), "live") == 0)
			out->nlive++;
	/* the live ones sort first */
	for (int i = 0; i < out->nlive; i++)
	{
		strncat(out->names, i ? ", " : "", sizeof(out->names) - strlen(out->names) - 1);
		strncat(out->names, field(res, i, 0), sizeof(out->names) - strlen(out->names) - 1);
	}
	if (out->nlive > 0)
		snprintf(out->first, sizeof(out->first), "%s", field(res, 0, 0));
	PQclear(res);
	return true;
}

/* pkt_stats rows into s; false and why on failure. */
static bool
fetch_stats(PGconn *conn, const char *iface, bool utf8, Snap *s, char *why, size_t whylen)
{
	const char *params[1] = {iface};
	PGresult   *res = PQexecParams(conn, stats_sql, 1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		tmp[400];

		result_error(conn, res, utf8, tmp, sizeof(tmp));
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
			snprintf(why, whylen, "lost the server: %s", tmp);
		else
			snprintf(why, whylen, "pkt_stats failed: %s", tmp);
		return false;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *f[STATS_NCOLS];

		row_fields(res, r, STATS_NCOLS, f);
		snap_add_stats_row(s, f, utf8);
	}
	PQclear(res);
	return true;
}

/* The pkt_status row of the newest capture on iface into s, if any. */
static bool
fetch_status(PGconn *conn, const char *iface, bool utf8, Snap *s, char *why, size_t whylen)
{
	const char *params[1] = {iface};
	PGresult   *res = PQexecParams(conn, status_sql, 1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		tmp[400];

		result_error(conn, res, utf8, tmp, sizeof(tmp));
		PQclear(res);
		snprintf(why, whylen, "pkt_status failed: %s", tmp);
		return false;
	}
	if (PQntuples(res) > 0)
	{
		const char *f[STATUS_NCOLS];

		row_fields(res, 0, STATUS_NCOLS, f);
		snap_set_status(s, f, utf8);
	}
	PQclear(res);
	return true;
}

/*
 * Whether pkt_flows_live is there now, into flows_found; when not, s says
 * so with the extension's version.  False and why when the server went
 * away.
 */
static bool
probe_flows(PGconn *conn, bool utf8, Snap *s, char *why, size_t whylen)
{
	PGresult   *res = PQexecParams(conn, flows_probe_sql, 0, NULL, NULL, NULL, NULL, 0);
	char		tmp[400];

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		result_error(conn, res, utf8, tmp, sizeof(tmp));
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			snprintf(why, whylen, "lost the server: %s", tmp);
			return false;
		}
		snap_set_flows(s, SNAP_FLOWS_FAILED, tmp, utf8);
		return true;
	}
	flows_found = strcmp(field(res, 0, 0), "t") == 0;
	if (!flows_found)
		snap_set_flows(s, SNAP_FLOWS_MISSING,
					   PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1), utf8);
	PQclear(res);
	return true;
}

/*
 * The busiest conversations of the capture's open interval into s, or
 * why there are none: a failure here leaves the rest of the refresh
 * good.  False and why only when the server went away.
 */
static bool
fetch_flows(PGconn *conn, const char *iface, bool utf8, Snap *s, char *why, size_t whylen)
{
	char		top[16];
	const char *params[2] = {iface, top};
	PGresult   *res;

	if (!flows_found && !probe_flows(conn, utf8, s, why, whylen))
		return false;
	if (!flows_found)
		return true;
	snprintf(top, sizeof(top), "%d", SNAP_MAX_FLOWS);
	res = PQexecParams(conn, flows_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		tmp[400];
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		result_error(conn, res, utf8, tmp, sizeof(tmp));
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			snprintf(why, whylen, "lost the server: %s", tmp);
			return false;
		}
		/* undefined_function: gone since it was found, ask again */
		if (state && strcmp(state, "42883") == 0)
			flows_found = false;
		snap_set_flows(s, SNAP_FLOWS_FAILED, tmp, utf8);
		return true;
	}
	snap_set_flows(s, SNAP_FLOWS_READ, NULL, utf8);
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *f[FLOWS_NCOLS];

		row_fields(res, r, FLOWS_NCOLS, f);
		snap_add_flow_row(s, f, utf8);
	}
	PQclear(res);
	return true;
}

/*
 * One refresh: pkt_stats, pkt_status and pkt_flows_live of the capture
 * into out.  False and why on failure.  Reconnects when the connection is
 * gone.
 */
bool
db_fetch(PGconn *conn, const char *iface, bool utf8, Snap *out, char *why, size_t whylen)
{
	if (PQstatus(conn) != CONNECTION_OK)
	{
		flows_found = false;	/* maybe another server now */
		PQreset(conn);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			char		tmp[400];

			fmt_sanitize(tmp, sizeof(tmp), PQerrorMessage(conn), utf8);
			fmt_rstrip(tmp);
			snprintf(why, whylen, "cannot reach the server: %s", tmp);
			return false;
		}
	}
	snap_clear(out);
	return fetch_stats(conn, iface, utf8, out, why, whylen) &&
		fetch_status(conn, iface, utf8, out, why, whylen) &&
		fetch_flows(conn, iface, utf8, out, why, whylen);
}

/* pkt_stop at the end, trying for 5 s to reach the server; false and why. */
bool
db_stop(PGconn *conn, const char *iface, bool utf8, char *err, size_t errlen)
{
	const char *params[1] = {iface};
	PGresult   *res;

	for (int attempt = 0; attempt < 5 && PQstatus(conn) != CONNECTION_OK; attempt++)
	{
		if (attempt)
			sleep(1);
		PQreset(conn);
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		size_t		n;

		snprintf(err, errlen, "cannot reach the server to stop the capture on %s: %s",
				 iface, PQerrorMessage(conn));
		n = strlen(err);
		if (n > 0 && err[n - 1] == '\n')
			err[n - 1] = '\0';	/* the caller ends the line */
		return false;
	}
	res = PQexecParams(conn, "SELECT pkt_stop($1)", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		tmp[512];

		result_error(conn, res, utf8, tmp, sizeof(tmp));
		snprintf(err, errlen, "pkt_stop('%s') failed: %s", iface, tmp);
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}
