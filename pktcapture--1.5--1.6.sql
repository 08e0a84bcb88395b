-- pktcapture 1.5 -> 1.6: conversations.
--
-- flows: one row per conversation per pktcapture.flow_interval, written
-- by captures and loads beside their rows, partitioned by day with its own
-- retention (pktcapture.flow_retention), pkt_flow_partitions for its
-- partitions; the ledger counts the rows written and the packets folded or
-- lost; pkt_report gains the top conversations, pkt_flows_live() the live
-- ones.  The privileges machinery of packets' partitions now serves flows'
-- too.  Function bodies are those of pktcapture--1.6.sql.

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.6'" to load this file. \quit

-- the writer's batch function for flows.folded
CREATE FUNCTION @extschema@.pkt_batch_bool(bigint, integer) RETURNS SETOF boolean
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;

ALTER TABLE @extschema@.pkt_runs
    ADD COLUMN flow_rows bigint NOT NULL DEFAULT 0,
    ADD COLUMN flow_folded bigint NOT NULL DEFAULT 0,
    ADD COLUMN flow_lost bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.pkt_runs.flow_rows IS 'rows the run wrote to flows';
COMMENT ON COLUMN @extschema@.pkt_runs.flow_folded IS 'packets folded into the flows rows of a server or the overflow (beyond pktcapture.flow_capacity)';
COMMENT ON COLUMN @extschema@.pkt_runs.flow_lost IS 'stored packets whose flows rows could not be written';

-- ---------------------------------------------------------------------
-- Tables: the conversations, flows.
--
-- One row per conversation (both ways between two endpoints: interface,
-- VLAN, protocol, addresses and ports) per pktcapture.flow_interval in
-- which it has packets, written by the capture or load from the rows it
-- stores: a run's flows hold exactly its rows' packets and bytes.  src is
-- the initiator (the SYN's sender, else the first sender seen).  Beyond
-- pktcapture.flow_capacity conversations in an interval, packets are
-- folded into a row per server (folded, src_ip NULL, sources estimated)
-- and then one overflow row (dst_ip NULL too), counted in
-- pkt_runs.flow_folded.  See docs/storage.md, "Conversations".
--
-- flows is partitioned by first_seen, a partition a UTC day, kept for
-- pktcapture.flow_retention (longer than packets, being far smaller).
-- As for packets, its indexes are its partitions' (pkt_flow_partition_make).
CREATE TABLE @extschema@.flows (
    first_seen        timestamptz NOT NULL,
    last_seen         timestamptz NOT NULL,
    src_ip            inet,                   -- NULL in folded rows
    dst_ip            inet,                   -- NULL in the overflow row
    ip_proto          smallint,
    protocol          text        GENERATED ALWAYS AS (
                          CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP'
                          ELSE ip_proto::text END) STORED,
    src_port          integer,
    dst_port          integer,
    packets           bigint      NOT NULL,   -- src to dst
    bytes             bigint      NOT NULL,
    reverse_packets   bigint      NOT NULL,   -- dst to src
    reverse_bytes     bigint      NOT NULL,
    tcp_flags         smallint,               -- every TCP flag seen, src to dst
    reverse_tcp_flags smallint,
    vlan_id           smallint,
    interface         text,
    run_id            integer     NOT NULL,
    folded            boolean     NOT NULL DEFAULT false,
    sources           integer,                -- folded rows: initiators, estimated
    sensor            text        NOT NULL DEFAULT @extschema@.pkt_sensor()
) PARTITION BY RANGE (first_seen);

COMMENT ON TABLE @extschema@.flows IS 'Conversations per interval (pktcapture), partitioned by first_seen';
COMMENT ON COLUMN @extschema@.flows.sources IS 'folded rows: distinct initiators folded in, estimated (HyperLogLog, about 9% error)';

-- Every partition of flows: its day, and when and why it was dropped.  A
-- hub makes a sensor's partitions as their rows arrive here.
CREATE TABLE @extschema@.pkt_flow_partitions (
    relname     name        NOT NULL PRIMARY KEY,
    range_start timestamptz NOT NULL,
    range_end   timestamptz NOT NULL CHECK (range_end > range_start),
    created_at  timestamptz NOT NULL DEFAULT now(),
    dropped_at  timestamptz,
    reason      text        CHECK (reason IN ('retention', 'disk guard', 'by hand')),
    rows        bigint
);
CREATE INDEX pkt_flow_partitions_range_idx ON @extschema@.pkt_flow_partitions (range_start);

COMMENT ON TABLE @extschema@.pkt_flow_partitions IS 'pktcapture: the partitions of flows, and those dropped';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.flows', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_flow_partitions', '');

CREATE FUNCTION @extschema@.pkt_partition_grants_from(parent regclass, part name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = format('%s.%I', '@extschema@', part)::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %s.%I FROM %s', '@extschema@', part,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
    -- a partition read directly would bypass its table's row-level
    -- security: with it on, only through the table
    FOR g IN SELECT a.grantee, string_agg(a.privilege_type, ', ') AS privs
             FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = parent AND a.grantee <> c.relowner
               AND NOT c.relrowsecurity
             GROUP BY a.grantee
    LOOP
        EXECUTE format('GRANT %s ON %s.%I TO %s', g.privs, '@extschema@', part,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_partition_grants(part name)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
SELECT @extschema@.pkt_partition_grants_from('@extschema@.packets', part)
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_partitions_regrant()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer := 0;
    part record;
BEGIN
    -- the GRANT and REVOKE below fire pkt_partition_privileges again
    IF current_setting('pkt_internal.regranting', true) = 'on' THEN
        RETURN 0;
    END IF;
    PERFORM set_config('pkt_internal.regranting', 'on', true);
    FOR part IN
        SELECT c.relname, p.oid AS parent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
               pg_class p
        WHERE i.inhparent IN ('@extschema@.packets'::regclass, '@extschema@.flows'::regclass)
          AND p.oid = i.inhparent
          AND ARRAY(SELECT a.grantee || ':' || a.privilege_type FROM aclexplode(c.relacl) a
                    WHERE a.grantee <> c.relowner ORDER BY 1)
              IS DISTINCT FROM
              ARRAY(SELECT a.grantee || ':' || a.privilege_type FROM aclexplode(p.relacl) a
                    WHERE a.grantee <> p.relowner AND NOT p.relrowsecurity ORDER BY 1)
    LOOP
        PERFORM @extschema@.pkt_partition_grants_from(part.parent, part.relname);
        n := n + 1;
    END LOOP;
    PERFORM set_config('pkt_internal.regranting', 'off', true);
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_partition_privileges()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a GRANT or REVOKE does not say on which table (any may be packets
    -- or flows):
    -- the regrant compares, and changes only partitions that differ
    IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c
               WHERE c.command_tag IN ('GRANT', 'REVOKE')
                  OR (c.classid = 'pg_class'::regclass
                      AND c.objid IN ('@extschema@.packets'::regclass,
                                      '@extschema@.flows'::regclass))) THEN
        PERFORM @extschema@.pkt_partitions_regrant();
    END IF;
EXCEPTION WHEN OTHERS THEN
    -- the database's GRANTs and ALTER TABLEs must not fail for pktcapture's
    -- sake; the next maintenance round tries again
    RAISE WARNING 'pktcapture could not give the partitions of packets and flows their privileges: %', SQLERRM
        USING HINT = 'Captures do it at each maintenance round; SELECT pkt_partitions_regrant() does it now.';
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_grant_read(reader name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    part record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        RAISE EXCEPTION 'role "%" does not exist', reader USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %I', '@extschema@', reader);
    EXECUTE format('GRANT SELECT ON @extschema@.packets, @extschema@.pkt_runs, @extschema@.pkt_summary, '
                   '@extschema@.pkt_summary_top, @extschema@.pkt_partitions, '
                   '@extschema@.pkt_partition_rows, @extschema@.pkt_hub_sensors, @extschema@.flows, '
                   '@extschema@.pkt_flow_partitions TO %I', reader);
    EXECUTE format('GRANT SELECT ON SEQUENCE @extschema@.packets_id_seq, @extschema@.pkt_runs_run_id_seq TO %I', reader);
    FOR part IN SELECT c.relname, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent IN ('@extschema@.packets'::regclass, '@extschema@.flows'::regclass) LOOP
        PERFORM @extschema@.pkt_partition_grants_from(part.inhparent, part.relname);
    END LOOP;
    RETURN format('%s may read what pktcapture stores, and pg_dump this database', reader);
END
$$;

COMMENT ON FUNCTION @extschema@.pkt_grant_read(name) IS
'Grant a role SELECT on everything pktcapture stores (packets and flows and their partitions, the ledger, the summaries), so that it may pg_dump it';

-- ---------------------------------------------------------------------
-- Partitions of flows: a UTC day each, made as conversations are written,
-- dropped past pktcapture.flow_retention or by the disk guard.

CREATE FUNCTION @extschema@.pkt_flow_partition_name(t timestamptz)
RETURNS name
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT ('flows_'::pg_catalog.text OPERATOR(pg_catalog.||)
        pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYYMMDD'))::pg_catalog.name
$$;

-- A partition's indexes: a host's conversations (as initiator or
-- responder) over a window are two index ranges; BRIN on first_seen for
-- windows.  docs/performance.md says what they cost and save.
CREATE FUNCTION @extschema@.pkt_flow_partition_indexes(part name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('CREATE INDEX %I ON %s.%I (src_ip, first_seen)', part || '_src_idx', '@extschema@', part);
    EXECUTE format('CREATE INDEX %I ON %s.%I (dst_ip, first_seen)', part || '_dst_idx', '@extschema@', part);
    EXECUTE format('CREATE INDEX %I ON %s.%I USING brin (first_seen)', part || '_time_idx', '@extschema@', part);
END
$$;

-- Make one partition, apart from flows and then attached (flows is locked
-- in SHARE UPDATE EXCLUSIVE mode only: writes and queries go on).
CREATE FUNCTION @extschema@.pkt_flow_partition_make(nm name, lo timestamptz, hi timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.pkt_flow_partitions
    SET relname = relname || '~' || extract(epoch FROM dropped_at)::bigint
    WHERE relname = nm AND dropped_at IS NOT NULL;
    IF to_regclass(format('%s.%I', '@extschema@', nm)) IS NULL THEN
        EXECUTE format('CREATE TABLE %s.%I (LIKE @extschema@.flows INCLUDING DEFAULTS INCLUDING GENERATED '
                       'INCLUDING STORAGE INCLUDING COMPRESSION)', '@extschema@', nm);
        PERFORM @extschema@.pkt_flow_partition_indexes(nm);
        EXECUTE format('ALTER TABLE @extschema@.flows ATTACH PARTITION %s.%I FOR VALUES FROM (%L) TO (%L)',
                       '@extschema@', nm, lo, hi);
        PERFORM @extschema@.pkt_partition_grants_from('@extschema@.flows', nm);
    ELSIF NOT EXISTS (SELECT 1 FROM pg_inherits i
                      WHERE i.inhrelid = format('%s.%I', '@extschema@', nm)::regclass
                        AND i.inhparent = '@extschema@.flows'::regclass) THEN
        RAISE EXCEPTION 'table %.% is in the way of a partition of flows', '@extschema@', nm
            USING ERRCODE = 'duplicate_table',
                  HINT = 'pktcapture names the partitions of flows flows_YYYYMMDD: rename that table.';
    END IF;
    -- a partition there but not listed (pkt_flow_partitions emptied) is listed again
    INSERT INTO @extschema@.pkt_flow_partitions (relname, range_start, range_end) VALUES (nm, lo, hi);
END
$$;

-- The partitions of flows holding the given times, made if missing (by
-- one writer at a time); returns how many were made.
CREATE FUNCTION @extschema@.pkt_flow_partitions_make(times timestamptz[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d timestamptz;
    made integer := 0;
BEGIN
    FOR d IN SELECT DISTINCT date_trunc('day', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
             FROM unnest(times) t ORDER BY 1
    LOOP
        IF EXISTS (SELECT 1 FROM @extschema@.pkt_flow_partitions p
                   WHERE p.dropped_at IS NULL AND p.range_start <= d AND p.range_end > d) THEN
            CONTINUE;
        END IF;
        -- two writers making the same day: the second waits, then finds it
        PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('pktcapture flows partitions'));
        IF NOT EXISTS (SELECT 1 FROM @extschema@.pkt_flow_partitions p
                       WHERE p.dropped_at IS NULL AND p.range_start <= d AND p.range_end > d) THEN
            PERFORM @extschema@.pkt_flow_partition_make(@extschema@.pkt_flow_partition_name(d),
                                                        d, d + '1 day'::interval);
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END
$$;

-- Drop one partition of flows (why: 'retention', 'disk guard' or 'by
-- hand'); returns the rows it held.  Dropping a partition locks flows
-- ACCESS EXCLUSIVE, briefly.
CREATE FUNCTION @extschema@.pkt_flow_partition_drop(part name, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.pkt_flow_partitions p
                   WHERE p.relname = part AND p.dropped_at IS NULL) THEN
        RAISE EXCEPTION '"%" is not a partition of flows', part
            USING ERRCODE = 'undefined_table',
                  HINT = 'SELECT relname FROM pkt_flow_partitions WHERE dropped_at IS NULL lists them.';
    END IF;
    IF to_regclass(format('%s.%I', '@extschema@', part)) IS NOT NULL THEN
        EXECUTE format('SELECT count(*) FROM %s.%I', '@extschema@', part) INTO n;
        EXECUTE format('DROP TABLE %s.%I', '@extschema@', part);
    END IF;
    UPDATE @extschema@.pkt_flow_partitions
    SET dropped_at = now(), reason = why, rows = n
    WHERE relname = part;
    RETURN n;
END
$$;

-- The partitions of flows whose day ended pktcapture.flow_retention ago
-- (none when it is 0), oldest first.
CREATE FUNCTION @extschema@.pkt_flow_partitions_expired()
RETURNS SETOF name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT p.relname FROM @extschema@.pkt_flow_partitions p,
       (SELECT current_setting('pktcapture.flow_retention')::interval AS keep) k
WHERE p.dropped_at IS NULL AND k.keep > '0'::interval AND p.range_end <= now() - k.keep
ORDER BY p.range_start
$$;

-- For the disk guard, once no partition of packets is left to drop: the
-- oldest partition of flows whose day ended before before goes.  Returns
-- the rows it held, NULL if there is none.
CREATE FUNCTION @extschema@.pkt_flow_partition_drop_oldest(before timestamptz, why text)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
SELECT @extschema@.pkt_flow_partition_drop(p.relname, why)
FROM (SELECT x.relname FROM @extschema@.pkt_flow_partitions x
      WHERE x.dropped_at IS NULL AND x.range_end <= before
      ORDER BY x.range_start LIMIT 1) p
$$;

CREATE OR REPLACE PROCEDURE @extschema@.pkt_maintain()
LANGUAGE plpgsql
AS $$
DECLARE
    part name;
    made integer;
    n bigint;
    dropped integer := 0;
    removed bigint := 0;
    flow_dropped integer := 0;
BEGIN
    made := @extschema@.pkt_partitions_ahead();
    COMMIT;
    FOR part IN SELECT * FROM @extschema@.pkt_partitions_expired() LOOP
        n := @extschema@.pkt_partition_drop(part, 'retention');
        COMMIT;
        dropped := dropped OPERATOR(pg_catalog.+) 1;
        removed := removed OPERATOR(pg_catalog.+) n;
    END LOOP;
    FOR part IN SELECT * FROM @extschema@.pkt_flow_partitions_expired() LOOP
        n := @extschema@.pkt_flow_partition_drop(part, 'retention');
        COMMIT;
        flow_dropped := flow_dropped OPERATOR(pg_catalog.+) 1;
    END LOOP;
    n := @extschema@.pkt_summaries_expire();
    RAISE NOTICE 'pktcapture: % partition(s) made, % dropped (% rows), % summary rows removed, % partition(s) of flows dropped',
        made, dropped, removed, n, flow_dropped;
END
$$;

-- A report's lines of section 'conversation': the top conversations of
-- flows in [f, e) by bytes both ways, folded rows apart.  Intervals still
-- open are not in flows yet (pkt_flows_live() shows them).
CREATE FUNCTION @extschema@.pkt_report_conversations(f timestamptz, e timestamptz,
    sensors text[], runs integer[], top integer,
    OUT r bigint, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT first_seen timestamptz, OUT last_seen timestamptz, OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH c AS (
    SELECT x.src_ip, x.dst_ip, x.protocol, x.src_port, x.dst_port, x.folded,
           sum(x.packets + x.reverse_packets)::bigint AS packets,
           sum(x.bytes + x.reverse_bytes)::bigint AS bytes,
           min(x.first_seen) AS first_seen, max(x.last_seen) AS last_seen,
           max(x.sources) AS sources
    FROM @extschema@.flows x
    WHERE x.first_seen >= f AND x.first_seen < e
      AND (x.sensor, x.run_id) IN (SELECT * FROM unnest(sensors, runs))
    GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT row_number() OVER (ORDER BY c.bytes DESC, c.packets DESC, c.src_ip, c.dst_ip,
                                   c.src_port, c.dst_port),
       CASE WHEN c.dst_ip IS NULL THEN 'overflow'
            ELSE coalesce(host(c.src_ip), '*')
                 || coalesce(':' || c.src_port, '')
                 || ' -> ' || host(c.dst_ip) || coalesce(':' || c.dst_port, '')
                 || ' ' || c.protocol END,
       c.packets, c.bytes, c.first_seen, c.last_seen, true,
       CASE WHEN c.folded THEN format('folded: about %s sources', c.sources) END
FROM c
ORDER BY 1
LIMIT top
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_report_between(from_time timestamptz, to_time timestamptz,
    top integer DEFAULT 5, interface text DEFAULT NULL, sensor text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz,
    OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
-- aggregates only, for pg_monitor too, which may not read packets itself
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
WITH w AS (
    SELECT * FROM @extschema@.pkt_report_window(from_time, to_time)
), runs AS (
    SELECT r.sensor, r.run_id FROM @extschema@.pkt_runs r
    WHERE (pkt_report_between.interface IS NULL OR r.source = pkt_report_between.interface)
      AND (pkt_report_between.sensor IS NULL OR r.sensor = pkt_report_between.sensor)
), ids AS (
    SELECT ARRAY(SELECT sensor FROM runs ORDER BY sensor, run_id) AS sensors,
           ARRAY(SELECT run_id FROM runs ORDER BY sensor, run_id) AS runs
), p AS (
    SELECT x.* FROM w, ids,
           @extschema@.pkt_report_protocols(w.f, w.e, ids.sensors, ids.runs, from_time, to_time) x
), t AS (
    SELECT sum(p.packets)::bigint AS packets, sum(p.bytes)::bigint AS bytes,
           min(p.first_seen) AS first_seen, max(p.last_seen) AS last_seen
    FROM p
), lines AS (
    SELECT 1 AS o, 0::bigint AS r, 'total'::text AS section, 'packets'::text AS item,
           t.packets, t.bytes, t.first_seen, t.last_seen, true AS exact, NULL::text AS note
    FROM t WHERE t.packets IS NOT NULL
    UNION ALL
    SELECT 2, row_number() OVER (ORDER BY p.packets DESC, p.ip_proto), 'protocol',
           @extschema@.pkt_protocol_label(p.ip_proto),
           p.packets, p.bytes, p.first_seen, p.last_seen, true, NULL
    FROM p
    UNION ALL
    SELECT x.o, x.r, x.section, x.item, x.packets, x.bytes, NULL, NULL, x.exact, x.note
    FROM w, ids, @extschema@.pkt_report_top(w.f, w.e, ids.sensors, ids.runs, from_time, to_time, top) x
    UNION ALL
    SELECT 8, x.r, 'conversation', x.item, x.packets, x.bytes, x.first_seen, x.last_seen,
           x.exact, x.note
    FROM w, ids, @extschema@.pkt_report_conversations(w.asked_f, w.asked_e, ids.sensors,
                                                      ids.runs, top) x
    UNION ALL
    -- what the figures stand for, where the rows or the finer summaries are gone
    SELECT 9, x.r, 'retention', x.item, x.packets, NULL, x.first_seen, x.last_seen, x.exact, x.note
    FROM w, @extschema@.pkt_report_retention(w.f, w.e, w.asked_f, w.asked_e) x
)
SELECT l.section, l.item, l.packets, l.bytes,
       round(100.0 * l.packets / nullif(t.packets, 0), 1)::double precision,
       l.first_seen, l.last_seen, l.exact, l.note
FROM lines l, t
ORDER BY l.o, l.r
$$;

-- The busiest conversations of the interval each running capture is
-- filling (they reach flows when it closes), as its worker last
-- published them: at most 32 a capture.
CREATE FUNCTION @extschema@.pkt_flows_live(interface text DEFAULT NULL, top integer DEFAULT 20,
    OUT interface text, OUT interval_start timestamptz, OUT first_seen timestamptz,
    OUT last_seen timestamptz, OUT src_ip inet, OUT dst_ip inet, OUT protocol text,
    OUT src_port integer, OUT dst_port integer, OUT packets bigint, OUT bytes bigint,
    OUT reverse_packets bigint, OUT reverse_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_flows_live'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_flows_live(text, integer) IS
'The busiest conversations of the open interval of each running capture';

-- 1.6: conversations.  flows is captured data, as packets is
-- (pkt_grant_read); its partitions' records and the live conversations
-- are monitoring data.
REVOKE ALL ON FUNCTION @extschema@.pkt_flows_live(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_batch_bool(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_flows_live(text, integer) TO pg_monitor;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_grants_from(regclass, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partition_indexes(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partition_make(name, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partitions_make(timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partition_drop(name, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partitions_expired() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_flow_partition_drop_oldest(timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_conversations(timestamptz, timestamptz, text[], integer[], integer) FROM PUBLIC;
GRANT SELECT ON @extschema@.pkt_flow_partitions TO pg_monitor;
