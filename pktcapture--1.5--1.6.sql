-- pktcapture 1.5 -> 1.6: conversations.
--
-- flows: one row per conversation per pktcapture.flow_interval, written
-- by captures and loads beside their rows, partitioned by day with its own
-- retention (pktcapture.flow_retention), pkt_flow_partitions for its
-- partitions; the ledger counts the rows written and the packets folded or
-- lost; pkt_report gains the top conversations, pkt_flows_live() the live
-- ones.  The privileges machinery of packets' partitions now serves flows'
-- too.  A sensor publishes its flows to its hub (pktcapture_flows), which
-- receives them once both are updated (docs/hub.md: the hub first).
-- Function bodies are those of pktcapture--1.6.sql.

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

-- ---------------------------------------------------------------------
-- Sensors and hubs: the flows too.
--
-- A sensor publishes its flows and their partitions in a publication of
-- their own, pktcapture_flows (inserts only, as its rows): a hub
-- subscribes to it once both are at 1.6.  A sensor updated first would
-- stop its hub's subscription anyway (pkt_runs has columns the hub's has
-- not yet), so docs/hub.md says: the hub first, then its sensors.  At the
-- hub, pkt_hub_partitions makes the days of flows a sensor makes, and
-- pkt_hub_rows names the sensor of each row.  The hub's worker has each
-- sensor found at 1.6 publish its flows, and adds the publication to its
-- subscription once the slot is past it (pkt_hub_flows_pending), which
-- copies the flows the sensor holds.

-- A hub's role at a sensor (pkt_sensor_grant gave it EXECUTE on
-- pkt_sensor_publish) reads the flows, as pkt_sensor_grant gives it now.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
             WHERE p.oid = '@extschema@.pkt_sensor_publish()'::pg_catalog.regprocedure
               AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> 0
    LOOP
        EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.flows, @extschema@.pkt_flow_partitions TO %I',
                                  pg_catalog.pg_get_userbyid(r.grantee));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_sensor_publish()
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('wal_level') <> 'logical' THEN
        RAISE EXCEPTION 'sensor % has wal_level = %, a hub needs logical',
            @extschema@.pkt_sensor(), current_setting('wal_level')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'On the sensor: ALTER SYSTEM SET wal_level = logical; then restart it (see docs/hub.md of pktcapture).';
    END IF;
    -- a hub away for long must not fill the sensor's disk with WAL
    IF current_setting('max_slot_wal_keep_size') = '-1' THEN
        RAISE EXCEPTION 'sensor % keeps WAL for a replication slot without bound (max_slot_wal_keep_size = -1)',
            @extschema@.pkt_sensor()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A hub that is away would keep the sensor''s WAL until its disk is full.',
                  HINT = 'On the sensor: ALTER SYSTEM SET max_slot_wal_keep_size = ''10GB''; SELECT pg_reload_conf(); (what the hub may miss past it is counted in pkt_hub_status()).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pktcapture_rows') THEN
        EXECUTE 'CREATE PUBLICATION pktcapture_rows FOR TABLE @extschema@.packets, @extschema@.pkt_partitions '
                'WITH (publish = ''insert'', publish_via_partition_root = true)';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pktcapture_ledger') THEN
        EXECUTE 'CREATE PUBLICATION pktcapture_ledger FOR TABLE @extschema@.pkt_runs, @extschema@.pkt_summary, '
                '@extschema@.pkt_summary_top WITH (publish = ''insert, update'')';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pktcapture_flows') THEN
        EXECUTE 'CREATE PUBLICATION pktcapture_flows FOR TABLE @extschema@.flows, @extschema@.pkt_flow_partitions '
                'WITH (publish = ''insert'', publish_via_partition_root = true)';
    END IF;
    RETURN @extschema@.pkt_sensor();
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_sensor_grant(hub_role name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = hub_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', hub_role
            USING ERRCODE = 'undefined_object',
                  HINT = format('CREATE ROLE %I LOGIN REPLICATION PASSWORD ''...'';', hub_role);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = hub_role AND (rolreplication OR rolsuper)) THEN
        RAISE EXCEPTION 'role "%" may not replicate', hub_role
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('ALTER ROLE %I REPLICATION; (a hub''s subscription streams through a replication slot)', hub_role);
    END IF;
    EXECUTE format('GRANT SELECT ON @extschema@.packets, @extschema@.pkt_partitions, @extschema@.pkt_runs, '
                   '@extschema@.pkt_summary, @extschema@.pkt_summary_top, @extschema@.flows, '
                   '@extschema@.pkt_flow_partitions TO %I',
                   hub_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.pkt_sensor_publish() TO %I', hub_role);
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %I', '@extschema@', hub_role);
    RETURN format('a hub may connect to this sensor as %s (pg_hba.conf must let it into this database; no replication line is needed)',
                  hub_role);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_partitions()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
    ahead integer := current_setting('pktcapture.partitions_ahead')::integer;
    maxp integer := current_setting('pktcapture.max_partitions')::integer;
BEGIN
    -- the hub's own partitions (made below, or by its captures) are kept
    IF current_setting('session_replication_role') <> 'replica' OR pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    -- what a sensor asks for is bounded: nothing far ahead of now (rows
    -- of a sensor cannot be from there but by a wrong clock or on purpose),
    -- and never the last tenth of pktcapture.max_partitions, kept for the
    -- hub's own partitions of now
    IF NEW.range_start > now() + greatest(interval '1 day', span * (ahead + 2)) THEN
        -- said once a transaction of the sensor's, not once a row
        IF current_setting('pkt_internal.hub_refused', true) IS DISTINCT FROM 'on' THEN
            RAISE WARNING 'pktcapture hub: sensor "%" asked for a partition from % to %, beyond a day ahead: not made',
                @extschema@.pkt_hub_origin(), NEW.range_start, NEW.range_end
                USING DETAIL = 'Its other such requests in the same transaction are refused without a word.';
            PERFORM set_config('pkt_internal.hub_refused', 'on', true);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'pkt_flow_partitions' THEN
        -- a day (a sensor's partition of flows is one), within the same bound
        PERFORM @extschema@.pkt_flow_partitions_make(ARRAY(
            SELECT NEW.range_start WHERE NEW.range_start > '-infinity'
              AND (SELECT count(*) FROM @extschema@.pkt_flow_partitions WHERE dropped_at IS NULL)
                  < maxp - maxp / 10));
    ELSIF NEW.range_start > '-infinity' AND NEW.range_end < 'infinity' THEN
        PERFORM @extschema@.pkt_partition_create(ARRAY(
            SELECT t FROM generate_series(date_bin(span, NEW.range_start, @extschema@.pkt_bucket_epoch()),
                                          NEW.range_end - interval '1 microsecond', span) AS g(t)
            LIMIT greatest(maxp - maxp / 10
                           - (SELECT count(*) FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL), 0)));
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_prepare()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- made, or made again as this version has them (the ledger's and the
    -- summaries' are for updates too since 1.4)
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_replace'
                   AND tgrelid = '@extschema@.pkt_runs'::regclass AND (tgtype & 16) <> 0) THEN
        CREATE OR REPLACE TRIGGER pkt_hub_rows BEFORE INSERT ON @extschema@.packets
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_rows();
        ALTER TABLE @extschema@.packets ENABLE ALWAYS TRIGGER pkt_hub_rows;
        CREATE OR REPLACE TRIGGER pkt_hub_partitions BEFORE INSERT ON @extschema@.pkt_partitions
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_partitions();
        ALTER TABLE @extschema@.pkt_partitions ENABLE ALWAYS TRIGGER pkt_hub_partitions;
        CREATE OR REPLACE TRIGGER pkt_hub_replace BEFORE INSERT OR UPDATE ON @extschema@.pkt_runs
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_replace('sensor,run_id');
        ALTER TABLE @extschema@.pkt_runs ENABLE ALWAYS TRIGGER pkt_hub_replace;
        CREATE OR REPLACE TRIGGER pkt_hub_replace BEFORE INSERT OR UPDATE ON @extschema@.pkt_summary
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_replace('span,bucket,sensor,run_id,part,ip_proto');
        ALTER TABLE @extschema@.pkt_summary ENABLE ALWAYS TRIGGER pkt_hub_replace;
        CREATE OR REPLACE TRIGGER pkt_hub_replace BEFORE INSERT OR UPDATE ON @extschema@.pkt_summary_top
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_replace('span,bucket,sensor,run_id,part,direction');
        ALTER TABLE @extschema@.pkt_summary_top ENABLE ALWAYS TRIGGER pkt_hub_replace;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows'
                   AND tgrelid = '@extschema@.flows'::regclass) THEN
        CREATE OR REPLACE TRIGGER pkt_hub_rows BEFORE INSERT ON @extschema@.flows
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_rows();
        ALTER TABLE @extschema@.flows ENABLE ALWAYS TRIGGER pkt_hub_rows;
        CREATE OR REPLACE TRIGGER pkt_hub_partitions BEFORE INSERT ON @extschema@.pkt_flow_partitions
            FOR EACH ROW EXECUTE FUNCTION @extschema@.pkt_hub_partitions();
        ALTER TABLE @extschema@.pkt_flow_partitions ENABLE ALWAYS TRIGGER pkt_hub_partitions;
    END IF;
    -- the partitions' keys name the sensor (now that pkt_hub_rows is there)
    PERFORM @extschema@.pkt_partition_indexes(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = '@extschema@.packets'::regclass;
END
$$;

CREATE FUNCTION @extschema@.pkt_hub_sensor_flow_partitions(sensor text, conninfo text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    days timestamptz[];
BEGIN
    days := ARRAY(SELECT (x::jsonb #>> '{}')::timestamptz FROM @extschema@.pkt_hub_ask(conninfo,
        'SELECT to_json(range_start) FROM pkt_flow_partitions WHERE dropped_at IS NULL') AS x);
    IF cardinality(days) > current_setting('pktcapture.max_partitions')::integer THEN
        RAISE EXCEPTION 'the flows of sensor "%" take % partitions, more than pktcapture.max_partitions (%)',
            sensor, cardinality(days), current_setting('pktcapture.max_partitions')
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'Give the hub a larger pktcapture.max_partitions, or the sensor a shorter pktcapture.flow_retention.';
    END IF;
    PERFORM @extschema@.pkt_flow_partitions_make(days);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_add(sensor text, conninfo text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sub name := ('pktcapture:' || sensor)::name;
    slot name := ('pktcapture_hub_' || (pg_control_system()).system_identifier)::name;
    remote record;
    span interval := current_setting('pktcapture.partition_span')::interval;
BEGIN
    PERFORM @extschema@.pkt_hub_add_check(sensor, conninfo);
    SELECT * INTO remote FROM @extschema@.pkt_hub_sensor_facts(sensor, conninfo);
    PERFORM @extschema@.pkt_hub_sensor_verify(sensor, remote.version, remote.name, remote.wal_level,
                                              remote.sysid);
    -- publications and a replication slot of this hub's, at the sensor
    PERFORM @extschema@.pkt_hub_sensor_prepare(conninfo, slot);
    PERFORM @extschema@.pkt_hub_prepare();
    PERFORM @extschema@.pkt_hub_sensor_partitions(sensor, conninfo, span);
    PERFORM @extschema@.pkt_hub_sensor_flow_partitions(sensor, conninfo);
    EXECUTE format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION pktcapture_rows, pktcapture_ledger, '
                   'pktcapture_flows WITH (create_slot = false, slot_name = %L, copy_data = true, binary = true)',
                   sub, conninfo, slot);
    INSERT INTO @extschema@.pkt_hub_sensors (sensor, subscription, slot, system_identifier)
    VALUES (sensor, sub, slot, remote.sysid);
    -- its worker waits for this transaction (pkt_hub_sensors is locked)
    PERFORM @extschema@.pkt_hub_start();
    RETURN format('sensor %s added: its rows are copied, then follow as it captures', sensor);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_remove(sensor text, drop_rows boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    s record;
BEGIN
    SELECT h.*, sub.subconninfo AS conninfo INTO s
    FROM @extschema@.pkt_hub_sensors h LEFT JOIN pg_subscription sub ON sub.subname = h.subscription
    WHERE h.sensor = pkt_hub_remove.sensor;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sensor "%" is not added to this hub', sensor
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT * FROM pkt_hub_status() lists the sensors.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_subscription WHERE subname = s.subscription) THEN
        EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', s.subscription);
        EXECUTE format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', s.subscription);
        EXECUTE format('DROP SUBSCRIPTION %I', s.subscription);
    END IF;
    DELETE FROM @extschema@.pkt_hub_sensors h WHERE h.sensor = pkt_hub_remove.sensor;
    IF drop_rows THEN
        DELETE FROM @extschema@.packets p WHERE p.sensor = s.sensor;
        DELETE FROM @extschema@.flows f WHERE f.sensor = s.sensor;
        DELETE FROM @extschema@.pkt_runs r WHERE r.sensor = s.sensor;
        DELETE FROM @extschema@.pkt_summary x WHERE x.sensor = s.sensor;
        DELETE FROM @extschema@.pkt_summary_top x WHERE x.sensor = s.sensor;
    END IF;
    -- the slot: its walsender is stopped first (this hub's apply worker
    -- holds it until this transaction commits)
    BEGIN
        PERFORM @extschema@.pkt_hub_ask(s.conninfo, format($q$
                DO $do$
                DECLARE i int := 0;
                BEGIN
                    WHILE i < 100 AND EXISTS (SELECT 1 FROM pg_replication_slots
                                              WHERE slot_name = %L AND active) LOOP
                        PERFORM pg_terminate_backend(active_pid) FROM pg_replication_slots
                        WHERE slot_name = %L AND active;
                        PERFORM pg_sleep(0.1);
                        i := i + 1;
                    END LOOP;
                    PERFORM pg_drop_replication_slot(%L) FROM pg_replication_slots
                    WHERE slot_name = %L;
                END $do$$q$, s.slot, s.slot, s.slot, s.slot), 30);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not drop replication slot "%" at sensor "%": %', s.slot, s.sensor, SQLERRM
            USING HINT = format('Until it goes it keeps the sensor''s WAL: there, SELECT pg_drop_replication_slot(%L);', s.slot);
    END;
    RETURN format('sensor %s removed%s', s.sensor,
                  CASE WHEN drop_rows THEN ', its rows deleted' ELSE ', its rows kept' END);
END
$function$;

CREATE FUNCTION @extschema@.pkt_hub_flows_pending(OUT subname name, OUT ready boolean)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    j jsonb;
BEGIN
    FOR s IN SELECT h.sensor, h.subscription, h.slot, ps.subconninfo AS conninfo
             FROM @extschema@.pkt_hub_sensors h JOIN pg_subscription ps ON ps.subname = h.subscription
             WHERE ps.subenabled AND h.held_at IS NULL
               AND NOT 'pktcapture_flows' = ANY (ps.subpublications)
             ORDER BY h.sensor
    LOOP
        BEGIN
            -- the slot starts past the publication's making when the oldest
            -- catalog it still reads (catalog_xmin) is younger
            SELECT x::jsonb INTO j FROM @extschema@.pkt_hub_ask(s.conninfo, format($q$
                SELECT json_build_object('flows', e.f,
                    'may', CASE WHEN e.f THEN has_table_privilege('flows', 'SELECT')
                                AND has_table_privilege('pkt_flow_partitions', 'SELECT') END,
                    'published', p.oid IS NOT NULL,
                    'ready', age(p.xmin) > age(sl.catalog_xmin))
                FROM (SELECT string_to_array(extversion, '.')::integer[] >= '{1,6}' AS f
                      FROM pg_extension WHERE extname = 'pktcapture') e
                LEFT JOIN pg_publication p ON e.f AND p.pubname = 'pktcapture_flows'
                LEFT JOIN pg_replication_slots sl ON sl.slot_name = %L$q$, s.slot), 5) AS x;
            CONTINUE WHEN NOT coalesce((j->>'flows')::boolean, false);
            IF NOT (j->>'may')::boolean THEN
                RAISE WARNING 'pktcapture hub: sensor "%" has flows, but the role this hub connects as may not read them there', s.sensor
                    USING HINT = 'On the sensor: SELECT pkt_sensor_grant(''...''); for that role.';
                CONTINUE;
            END IF;
            subname := s.subscription;
            ready := coalesce((j->>'ready')::boolean, false);
            IF NOT (j->>'published')::boolean THEN
                PERFORM @extschema@.pkt_hub_ask(s.conninfo, 'SELECT to_json(pkt_sensor_publish())');
            ELSIF ready THEN
                PERFORM @extschema@.pkt_hub_prepare();
                PERFORM @extschema@.pkt_hub_sensor_flow_partitions(s.sensor, s.conninfo);
            END IF;
            RETURN NEXT;
        EXCEPTION
            WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception THEN
                NULL;
            WHEN OTHERS THEN
                RAISE WARNING 'pktcapture hub: the flows of sensor "%" cannot be received yet: %', s.sensor, SQLERRM;
        END;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_flow_partitions(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_flows_pending() FROM PUBLIC;

-- At a hub, its worker: at the server's start it found its SQL older than
-- its library and stopped.  Started now, it waits for this transaction
-- (pkt_hub_sensors is locked), then takes each sensor's flows once the
-- sensor has them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM @extschema@.pkt_hub_sensors) THEN
        LOCK TABLE @extschema@.pkt_hub_sensors IN ROW EXCLUSIVE MODE;
        PERFORM @extschema@.pkt_hub_start();
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pktcapture hub: its worker did not start: %', SQLERRM
        USING HINT = 'SELECT pkt_hub_start(); once the update is done.';
END
$$;
