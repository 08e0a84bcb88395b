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
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

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
 * Before a capture, a load or a hub writes anything: the extension's
 * schema may be changed by superusers only, and its SQL objects are of
 * the version this library was built for (after a package upgrade, until
 * ALTER EXTENSION pktcapture UPDATE, they are older).
 */
void
pkt_check_ext_version(void)
{
	char	   *version = pkt_ext_version();

	pkt_check_schema(extension_info(pkt_ext_oid()).nspoid);
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

/*
 * Error unless only superusers may change schema nspoid: its owner (or a
 * role it is granted to, as pg_database_owner is to a database's owner)
 * could rename it and put another in its place, and a role that may
 * create objects in it could add functions and operators beside ours.
 * pktcapture's functions and workers name its objects by their schema and
 * run with its owner's rights; either would run that role's code there.
 */
void
pkt_check_schema(Oid nspoid)
{
	HeapTuple	tup;
	Oid			owner;
	char	   *nspname;
	Relation	rel;
	TableScanDesc scan;

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for schema %u", nspoid);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	nspname = get_namespace_name(nspoid);

	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);
		bool		owns;

		/* predefined roles act through their members, checked themselves */
		if (role->rolsuper || role->oid < FirstNormalObjectId)
			continue;
		owns = is_member_of_role(role->oid, owner);
		if (!owns && pg_namespace_aclcheck(nspoid, role->oid, ACL_CREATE) != ACLCHECK_OK)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 owns ?
				 errmsg("schema \"%s\" is owned by role \"%s\", which is not a superuser",
						nspname, GetUserNameFromId(owner, false)) :
				 errmsg("role \"%s\", which is not a superuser, may create objects in schema \"%s\"",
						NameStr(role->rolname), nspname),
				 owns && owner != role->oid ?
				 errdetail("Role \"%s\" has its privileges. pktcapture runs its functions with its owner's rights and names its objects by their schema; a role that may change the schema could run its own code there.",
						   NameStr(role->rolname)) :
				 errdetail("pktcapture runs its functions with its owner's rights and names its objects by their schema; a role that may change the schema could run its own code there."),
				 owns ?
				 errhint("Give pktcapture a schema of its own: DROP EXTENSION pktcapture; CREATE SCHEMA pktcapture; CREATE EXTENSION pktcapture SCHEMA pktcapture; or make a superuser own this one: ALTER SCHEMA %s OWNER TO %s;",
						 quote_identifier(nspname),
						 quote_identifier(GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false))) :
				 errhint("REVOKE CREATE ON SCHEMA %s FROM %s; or give pktcapture a schema of its own.",
						 quote_identifier(nspname), quote_identifier(NameStr(role->rolname)))));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

PG_FUNCTION_INFO_V1(pkt_schema_check);

/* pkt_schema_check(schema name DEFAULT NULL): the above, for SQL */
Datum
pkt_schema_check(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		pkt_check_schema(extension_info(pkt_ext_oid()).nspoid);
	else
		pkt_check_schema(get_namespace_oid(NameStr(*PG_GETARG_NAME(0)), false));
	PG_RETURN_VOID();
}

/* The OID of table of this database's pktcapture, or InvalidOid. */
Oid
pkt_ext_table_oid(const char *table)
{
	return get_relname_relid(table, extension_info(pkt_ext_oid()).nspoid);
}

/*
 * A worker's statements resolve names in pg_catalog only, whatever
 * search_path its database or role sets (their owners may be less
 * trusted than the worker).
 */
void
pkt_worker_search_path(void)
{
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);
}
