/*
 * pktop_db.h: pktop's queries over libpq.  A failure is returned as text
 * for the caller to show; nothing here prints or exits.
 */
#ifndef PKTOP_DB_H
#define PKTOP_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "pktop_snap.h"

/* The captures that run now (pkt_status), as pktop chooses among them. */
typedef struct LiveCaptures
{
	int			nlive;			/* of kind live */
	char		first[256];		/* the first live one, when there is one */
	char		names[512];		/* the live ones, comma separated */
} LiveCaptures;

extern PGconn *db_connect(char *err, size_t errlen);
extern bool db_start(PGconn *conn, const char *iface, const char *filter,
					 char *err, size_t errlen);
extern bool db_live_captures(PGconn *conn, LiveCaptures *out, char *err, size_t errlen);
extern bool db_fetch(PGconn *conn, const char *iface, bool utf8, Snap *out,
					 char *why, size_t whylen);
extern bool db_stop(PGconn *conn, const char *iface, bool utf8, char *err, size_t errlen);

#endif							/* PKTOP_DB_H */
