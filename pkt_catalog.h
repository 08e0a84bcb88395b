/*-------------------------------------------------------------------------
 * pkt_catalog.h
 *		The extension in the catalog, and running SQL with its owner's
 *		rights (pkt_catalog.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_CATALOG_H
#define PKT_CATALOG_H

#include "executor/spi.h"

extern Oid	pkt_ext_oid(void);
extern Oid	pkt_ext_owner(void);
extern char *pkt_ext_version(void);
extern void pkt_check_ext_version(void);
extern char *pkt_ext_schema(void);
extern char *pkt_ext_relname(const char *table, Oid *relid);
extern Oid	pkt_ext_table_oid(const char *table);
extern void pkt_check_schema(Oid nspoid);
extern void pkt_worker_search_path(void);
extern void pkt_owner_execute(Oid owner, SPIPlanPtr plan, const char *sql, int nargs,
							  Oid *argtypes, Datum *args, const char *nulls,
							  int expected, long tcount);

#endif							/* PKT_CATALOG_H */
