/*
 * pktop_db.c: the connection and the five queries pktop runs: pkt_start,
 * the list of running captures, pkt_stats and pkt_status once a second,
 * pkt_stop.  Rows go to pktop_snap.c as strings.
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
	"  last_batch_ms "
	"FROM pkt_status() WHERE interface = $1 "
	"ORDER BY started_at DESC LIMIT 1";

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
 * One refresh: pkt_stats and pkt_status of the capture into out.  False
 * and why on failure.  Reconnects when the connection is gone.
 */
bool
db_fetch(PGconn *conn, const char *iface, bool utf8, Snap *out, char *why, size_t whylen)
{
	if (PQstatus(conn) != CONNECTION_OK)
	{
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
		fetch_status(conn, iface, utf8, out, why, whylen);
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
