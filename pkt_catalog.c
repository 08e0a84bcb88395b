/*-------------------------------------------------------------------------
 * pkt_catalog.c
 *		The pktcapture extension in the catalog (its schema, owner, version
 *		and tables), and running SQL with the extension owner's rights.
 *
 * The writer never trusts names: every table is found in the schema the
 * extension was created in, and quoted; statements run with a
 * search_path of pg_catalog only.  The extension's own bookkeeping (the
 * ledger, the summaries) is written with its owner's rights, as a
 * SECURITY DEFINER function would, so a role that may capture needs no
 * privilege on those tables.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pkt_catalog.h"

typedef struct ExtInfo
{
	Oid			nspoid;
	Oid			owner;
	char	   *version;
} ExtInfo;

/* Schema, owner and version of an extension (PostgreSQL 15 exports none). */
static ExtInfo
extension_info(Oid extoid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	ExtInfo		info = {InvalidOid, InvalidOid, NULL};

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		v;

		info.nspoid = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		info.owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		v = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);
		if (!isnull)
			info.version = text_to_cstring(DatumGetTextPP(v));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return info;
}

/* The OID of this database's pktcapture; an error if it has none. */
Oid
pkt_ext_oid(void)
{
	Oid			extoid = get_extension_oid("pktcapture", true);

	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pktcapture\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pktcapture.")));
	return extoid;
}

Oid
pkt_ext_owner(void)
{
	return extension_info(pkt_ext_oid()).owner;
}

/* The version of the installed extension's SQL objects. */
char *
pkt_ext_version(void)
{
	return extension_info(pkt_ext_oid()).version;
}

/*
 * The extension's SQL objects must be of the version this library was
 * built for before a capture or load writes into them: after a package
 * upgrade, until ALTER EXTENSION pktcapture UPDATE, they are older.
 */
void
pkt_check_ext_version(void)
{
	char	   *version = pkt_ext_version();

	if (version == NULL || strcmp(version, PKT_EXTVERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension pktcapture is at version %s, but its library is version %s",
						version ? version : "(unknown)", PKT_EXTVERSION),
				 errdetail("Captures and loads write only into tables of the library's version."),
				 errhint("Update the extension: ALTER EXTENSION pktcapture UPDATE;")));
}

/* The quoted name of the schema of this database's pktcapture. */
char *
pkt_ext_schema(void)
{
	return pstrdup(quote_identifier(get_namespace_name(extension_info(pkt_ext_oid()).nspoid)));
}

/*
 * The schema-qualified, quoted name of one of the tables of this
 * database's pktcapture extension; sets *relid.
 */
char *
pkt_ext_relname(const char *table, Oid *relid)
{
	Oid			nspoid = extension_info(pkt_ext_oid()).nspoid;
	char	   *nspname = get_namespace_name(nspoid);

	*relid = get_relname_relid(table, nspoid);
	if (!OidIsValid(*relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s.%s\" does not exist", nspname, table),
				 errhint("Recreate the extension: DROP EXTENSION pktcapture; CREATE EXTENSION pktcapture;")));
	return quote_qualified_identifier(nspname, table);
}

/*
 * Run a statement (a saved plan, or SQL text with arguments) through SPI
 * as the role owner, as a SECURITY DEFINER function with SET search_path
 * would; an error unless SPI returns expected.
 */
void
pkt_owner_execute(Oid owner, SPIPlanPtr plan, const char *sql, int nargs,
				  Oid *argtypes, Datum *args, const char *nulls, int expected,
				  long tcount)
{
	Oid			save_userid;
	int			save_sec;
	volatile int ret = 0;
	int			save_nestlevel;

	Assert(OidIsValid(owner));
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	PG_TRY();
	{
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		if (plan != NULL)
			ret = SPI_execute_plan(plan, args, nulls, false, tcount);
		else
			ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, tcount);
	}
	PG_FINALLY();
	{
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	if (ret != expected)
		elog(ERROR, "could not update pktcapture's bookkeeping: %s",
			 SPI_result_code_string(ret));
}

/* The current role may insert into packets, or an error says how to grant it. */
void
pkt_check_insert_privilege(void)
{
	Oid			relid;
	char	   *relname;

	relname = pkt_ext_relname("packets", &relid);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to insert into table %s", relname),
				 errdetail("Rows are written as the role that starts the capture or the load."),
				 errhint("GRANT INSERT ON %s TO %s;", relname,
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}
