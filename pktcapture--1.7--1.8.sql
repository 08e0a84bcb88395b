-- pktcapture 1.7 -> 1.8: the spool's lag in pkt_status.
--
-- pkt_status() gains spooler_pid, spool_frames, spool_bytes, lag and
-- spool_full (pktcapture.spool_size, docs/performance.md).  A function's
-- result columns cannot change in place: the old one is renamed, the new
-- one created, every grant of the old one given to the new one, and the
-- old one dropped.  The declaration is that of pktcapture--1.8.sql.

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.8'" to load this file. \quit

ALTER FUNCTION @extschema@.pkt_status() RENAME TO pkt_status_1_7;

CREATE FUNCTION @extschema@.pkt_status(
    OUT run_id integer, OUT interface text, OUT kind text, OUT filter text, OUT pid integer,
    OUT state text, OUT started_at timestamptz, OUT stopped_at timestamptz,
    OUT frames bigint, OUT packets bigint, OUT bytes bigint,
    OUT rows_stored bigint, OUT rows_pending bigint,
    OUT kernel_dropped bigint, OUT interface_dropped bigint,
    OUT truncated bigint, OUT malformed bigint, OUT unsupported bigint,
    OUT not_ip bigint, OUT not_stored bigint, OUT ports_truncated bigint,
    OUT last_batch_at timestamptz, OUT last_batch_ms double precision,
    OUT error text, OUT not_stored_disk bigint, OUT disk_guard text, OUT free_space bigint,
    OUT spooler_pid integer, OUT spool_frames bigint, OUT spool_bytes bigint,
    OUT lag interval, OUT spool_full bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_status_1_8'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;

COMMENT ON FUNCTION @extschema@.pkt_status() IS
'One row per capture or load, running or ended, with every counter, the disk guard''s state and the spool''s lag';

REVOKE ALL ON FUNCTION @extschema@.pkt_status() FROM PUBLIC;

DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT r.rolname, a.is_grantable
        FROM pg_catalog.pg_proc p,
             pg_catalog.aclexplode(p.proacl) a
             JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
        WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.pkt_status_1_7()'::pg_catalog.regprocedure
          AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
          AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.pkt_status() TO %I%s',
                                  g.rolname, CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

DROP FUNCTION @extschema@.pkt_status_1_7();
