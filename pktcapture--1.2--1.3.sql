/* pktcapture--1.2--1.3.sql: sensors and a hub, by PostgreSQL's logical replication */

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.3'" to load this file. \quit

-- This server's pktcapture.sensor ('' where the library is not preloaded:
-- nothing captures there).
CREATE FUNCTION pkt_sensor()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT coalesce(current_setting('pktcapture.sensor', true), '')
$$;
COMMENT ON FUNCTION pkt_sensor() IS 'This server''s name as a sensor (pktcapture.sensor)';

-- Every row and run is attributable to its sensor.  A server's own rows of
-- packets have sensor '' (one byte a row); a hub stores each sensor's
-- rows under its name (a trigger of the hub's, pkt_hub_rows()).  The
-- ledger and the summaries, a few rows a minute, carry the name of the
-- sensor that wrote them (pktcapture.sensor), in their keys: run ids of
-- different sensors never clash at the hub.
ALTER TABLE packets ADD COLUMN sensor text NOT NULL DEFAULT '';
COMMENT ON COLUMN packets.sensor IS '''''; this server''s own row; at a hub, the sensor that captured it';
ALTER TABLE pkt_runs ADD COLUMN sensor text NOT NULL DEFAULT pkt_sensor();
ALTER TABLE pkt_summary ADD COLUMN sensor text NOT NULL DEFAULT pkt_sensor();
ALTER TABLE pkt_summary_top ADD COLUMN sensor text NOT NULL DEFAULT pkt_sensor();
ALTER TABLE pkt_runs DROP CONSTRAINT pkt_runs_pkey, ADD CONSTRAINT pkt_runs_pkey PRIMARY KEY (sensor, run_id);
ALTER TABLE pkt_summary DROP CONSTRAINT pkt_summary_pkey,
    ADD CONSTRAINT pkt_summary_pkey PRIMARY KEY (span, bucket, sensor, run_id, part, ip_proto);
ALTER TABLE pkt_summary_top DROP CONSTRAINT pkt_summary_top_pkey,
    ADD CONSTRAINT pkt_summary_top_pkey PRIMARY KEY (span, bucket, sensor, run_id, part, direction);

-- The indexes of packets are its partitions', none on packets itself: a
-- partition made at run time is not a member of the extension, so pg_dump
-- dumps it (and its indexes) as a table of its own, attached to packets
-- when restored; an index on packets (a member, made again by CREATE
-- EXTENSION) would be made on each partition as it is attached, and the
-- dump's own index of the partition would then fail.  Each partition has
-- a primary key (id, capture_time), (sensor, id, capture_time) at a hub,
-- and a BRIN index on capture_time: unique across packets, as capture_time
-- tells the partitions apart.
CREATE FUNCTION pkt_partition_indexes(part name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass := format('%I.%I', '@extschema@', part)::regclass;
    hub boolean := EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows'
                           AND tgrelid = 'packets'::regclass);
    key text := CASE WHEN hub THEN 'sensor, id, capture_time' ELSE 'id, capture_time' END;
    have text;
BEGIN
    SELECT pg_get_indexdef(i.indexrelid) INTO have FROM pg_index i
    WHERE i.indrelid = rel AND i.indisprimary;
    IF have IS NOT NULL AND have NOT LIKE format('%%(%s)', key) THEN
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel,
                       (SELECT c.conname FROM pg_constraint c WHERE c.conrelid = rel AND c.contype = 'p'));
        have := NULL;
    END IF;
    IF have IS NULL THEN
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (%s)', rel, part || '_pkey', key);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   JOIN pg_am am ON am.oid = c.relam
                   WHERE i.indrelid = rel AND am.amname = 'brin') THEN
        EXECUTE format('CREATE INDEX %I ON %s USING brin (capture_time)', part || '_capture_time_idx', rel);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION pkt_partition_indexes(name) FROM PUBLIC;

ALTER TABLE packets DROP CONSTRAINT packets_pkey;
DROP INDEX packets_capture_time_idx;
SELECT pkt_partition_indexes(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'packets'::regclass;

-- The sensor of a run's rows in packets: '' for this server's own.
CREATE FUNCTION pkt_row_sensor(run_sensor text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN run_sensor = @extschema@.pkt_sensor() THEN '' ELSE run_sensor END
$$;

-- ---------------------------------------------------------------------
-- Partitions with the rows of several sensors.
--
-- A partition's drop moves the rows of this server's runs to their
-- rows_removed (pkt_partition_rows counts them as they are written); at a
-- hub it also counts the rows of its sensors, whose ledger is theirs (the
-- sensors' own retention is in it): they are counted in the partition,
-- share-locked first (rows of its time come no more), before packets is
-- locked for the drop.
CREATE OR REPLACE FUNCTION pkt_partition_drop(part name, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    start timestamptz;
    n bigint;
    theirs bigint := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows' AND tgrelid = 'packets'::regclass)
       AND to_regclass(format('%I.%I', '@extschema@', part)) IS NOT NULL THEN
        EXECUTE format('LOCK TABLE %I.%I IN SHARE MODE', '@extschema@', part);
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE sensor <> %L', '@extschema@', part, '')
            INTO theirs;
    END IF;
    -- then: no writer adds rows to it meanwhile, nor another drops it
    LOCK TABLE ONLY packets IN ACCESS EXCLUSIVE MODE;
    SELECT p.range_start INTO start FROM pkt_partitions p
    WHERE p.relname = part AND p.dropped_at IS NULL;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE pkt_runs r SET rows_removed = r.rows_removed + c.rows
    FROM pkt_partition_rows c
    WHERE c.range_start = start AND c.run_id = r.run_id AND r.sensor = pkt_sensor();
    SELECT coalesce(sum(c.rows), 0) INTO n FROM pkt_partition_rows c WHERE c.range_start = start;
    DELETE FROM pkt_partition_rows c WHERE c.range_start = start;
    EXECUTE format('DROP TABLE %I.%I', '@extschema@', part);
    UPDATE pkt_partitions SET dropped_at = now(), reason = why, rows = n + theirs WHERE relname = part;
    RETURN n + theirs;
END
$$;

-- The disk guard's drop: the oldest partition that holds rows (of this
-- server's runs, or at a hub of any sensor's) and ends before the given
-- time.  NULL if there is none.
CREATE OR REPLACE FUNCTION pkt_partition_drop_oldest(before timestamptz, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    has boolean;
BEGIN
    FOR p IN SELECT x.relname, x.range_start FROM pkt_partitions x
             WHERE x.dropped_at IS NULL AND x.range_end <= before ORDER BY x.range_start
    LOOP
        has := EXISTS (SELECT 1 FROM pkt_partition_rows c WHERE c.range_start = p.range_start);
        IF NOT has AND to_regclass(format('%I.%I', '@extschema@', p.relname)) IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', '@extschema@', p.relname) INTO has;
        END IF;
        IF has THEN
            RETURN pkt_partition_drop(p.relname, why);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Retention by age: the partitions whose range ended pktcapture.retention
-- ago, and that were made at least that long ago (none when it is 0),
-- oldest first.  A capture file of last year loaded today, or a hub's
-- partition for rows a sensor sends late, is kept for the retention, not
-- dropped at the next round.
CREATE OR REPLACE FUNCTION pkt_partitions_expired()
RETURNS SETOF name
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT p.relname FROM pkt_partitions p,
       (SELECT current_setting('pktcapture.retention')::interval AS keep) k
WHERE p.dropped_at IS NULL AND k.keep > '0'::interval AND p.range_end <= now() - k.keep
  AND p.created_at <= now() - k.keep
ORDER BY p.range_start
$$;

-- ---------------------------------------------------------------------
-- Who may read (and pg_dump) what is captured.
--
-- pg_dump reads each partition of packets itself, and the sequences: the
-- roles that may read packets may read its partitions (each is given the
-- privileges packets has, when it is made and at each round of
-- maintenance after a GRANT on packets).
CREATE FUNCTION pkt_partition_grants(part name)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = format('%I.%I', '@extschema@', part)::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %I.%I FROM %s', '@extschema@', part,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
    FOR g IN SELECT a.grantee, string_agg(a.privilege_type, ', ') AS privs
             FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = 'packets'::regclass AND a.grantee <> c.relowner
             GROUP BY a.grantee
    LOOP
        EXECUTE format('GRANT %s ON %I.%I TO %s', g.privs, '@extschema@', part,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION pkt_partition_grants(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION pkt_partition_create(times timestamptz[],
    OUT range_start timestamptz, OUT range_end timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
    maxp integer := current_setting('pktcapture.max_partitions')::integer;
    t timestamptz;
    lo timestamptz;
    hi timestamptz;
    nm name;
    have integer;
BEGIN
    -- partitions attached to packets that its list lacks (emptied by hand,
    -- or not restored): listed again, rather than made twice
    INSERT INTO pkt_partitions (relname, range_start, range_end)
    SELECT c.relname, bounds[1]::timestamptz, bounds[2]::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
         regexp_match(pg_get_expr(c.relpartbound, c.oid),
                      $r$FROM \('([^']*)'\) TO \('([^']*)'\)$r$) AS bounds
    WHERE i.inhparent = 'packets'::regclass
      AND NOT EXISTS (SELECT 1 FROM pkt_partitions p
                      WHERE p.relname = c.relname AND p.dropped_at IS NULL)
    ON CONFLICT (relname) DO NOTHING;
    SELECT count(*) INTO have FROM pkt_partitions WHERE dropped_at IS NULL;
    FOR t IN SELECT DISTINCT x FROM unnest(times) AS u(x) ORDER BY 1 LOOP
        SELECT p.range_start, p.range_end INTO lo, hi FROM pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_start <= t AND t < p.range_end;
        IF FOUND THEN
            range_start := lo; range_end := hi;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF have >= maxp THEN
            CONTINUE;   -- the writer counts those rows as not stored
        END IF;
        -- one maker at a time; another may have made it meanwhile
        PERFORM pg_advisory_xact_lock(hashtext('pktcapture partitions'));
        SELECT p.range_start, p.range_end INTO lo, hi FROM pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_start <= t AND t < p.range_end;
        IF FOUND THEN
            range_start := lo; range_end := hi;
            RETURN NEXT;
            CONTINUE;
        END IF;
        lo := date_bin(span, t, '2000-01-01 00:00:00+00');
        hi := lo + span;
        -- within the gap between the partitions there are
        SELECT greatest(lo, max(p.range_end)) INTO lo FROM pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_end <= t AND p.range_end > lo;
        SELECT least(hi, min(p.range_start)) INTO hi FROM pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_start > t AND p.range_start < hi;
        lo := coalesce(lo, date_bin(span, t, '2000-01-01 00:00:00+00'));
        hi := coalesce(hi, date_bin(span, t, '2000-01-01 00:00:00+00') + span);
        nm := pkt_partition_name(lo);
        -- a partition dropped at that start keeps its record, under another name
        UPDATE pkt_partitions
        SET relname = relname || '~' || extract(epoch FROM dropped_at)::bigint
        WHERE relname = nm AND dropped_at IS NOT NULL;
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.packets INCLUDING DEFAULTS INCLUDING GENERATED '
                       'INCLUDING STORAGE INCLUDING COMPRESSION)',
                       '@extschema@', nm, '@extschema@');
        PERFORM pkt_partition_indexes(nm);
        EXECUTE format('ALTER TABLE %I.packets ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                       '@extschema@', '@extschema@', nm, lo, hi);
        PERFORM pkt_partition_grants(nm);
        INSERT INTO pkt_partitions (relname, range_start, range_end) VALUES (nm, lo, hi);
        have := have + 1;
        range_start := lo; range_end := hi;
        RETURN NEXT;
    END LOOP;
END
$$;


CREATE OR REPLACE FUNCTION pkt_partitions_ahead()
RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
    ahead integer := current_setting('pktcapture.partitions_ahead')::integer;
    had integer;
    have integer;
BEGIN
    SELECT count(*) INTO had FROM pkt_partitions WHERE dropped_at IS NULL;
    PERFORM pkt_partition_create(ARRAY(
        SELECT now() + span * i FROM generate_series(0, ahead) AS g(i)));
    SELECT count(*) INTO have FROM pkt_partitions WHERE dropped_at IS NULL;
    -- grants given on packets since reach its partitions
    PERFORM pkt_partition_grants(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'packets'::regclass
      AND ARRAY(SELECT a.grantee || ':' || a.privilege_type FROM aclexplode(c.relacl) a ORDER BY 1)
          IS DISTINCT FROM
          ARRAY(SELECT a.grantee || ':' || a.privilege_type
                FROM pg_class p, aclexplode(p.relacl) a WHERE p.oid = 'packets'::regclass ORDER BY 1);
    RETURN have - had;
END
$$;


-- A role that may read everything pktcapture stores, and so pg_dump it:
-- packets and its partitions, the ledger, the summaries, the partitions'
-- records, the hub's sensors, and the sequences.
CREATE FUNCTION pkt_grant_read(reader name)
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    part name;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        RAISE EXCEPTION 'role "%" does not exist', reader USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', '@extschema@', reader);
    EXECUTE format('GRANT SELECT ON packets, pkt_runs, pkt_summary, pkt_summary_top, pkt_partitions, '
                   'pkt_partition_rows, pkt_hub_sensors TO %I', reader);
    EXECUTE format('GRANT SELECT ON SEQUENCE packets_id_seq, pkt_runs_run_id_seq TO %I', reader);
    FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'packets'::regclass LOOP
        PERFORM pkt_partition_grants(part);
    END LOOP;
    RETURN format('%s may read what pktcapture stores, and pg_dump this database', reader);
END
$$;
COMMENT ON FUNCTION pkt_grant_read(name) IS
'Grant a role SELECT on everything pktcapture stores (packets and its partitions, the ledger, the summaries), so that it may pg_dump it';
REVOKE ALL ON FUNCTION pkt_grant_read(name) FROM PUBLIC;

-- The runs pkt_summary_build() and the catch-up sum are this server's own.
CREATE OR REPLACE FUNCTION pkt_summary_build(runs integer[], rows text, part integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    k integer := current_setting('pktcapture.summary_top')::integer;
    me text := pkt_sensor();
    n bigint;
    m bigint;
BEGIN
    WITH x AS (
        SELECT x.run_id, x.capture_time, x.ip_proto, x.packet_size, x.src_ip, x.dst_ip
        FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id AND x.sensor = ''
        WHERE r.sensor = me AND r.run_id = ANY (runs)
          AND CASE rows WHEN 'all' THEN true
                        WHEN 'unsummarized' THEN x.id > r.summarized_id
                        WHEN 'summarized' THEN x.id <= r.summarized_id END
    ), mp AS (
        SELECT date_bin('1 minute', x.capture_time, '2000-01-01 00:00:00+00') AS minute,
               x.run_id, x.ip_proto, count(*) AS p, sum(x.packet_size) AS b,
               min(x.capture_time) AS f, max(x.capture_time) AS l
        FROM x GROUP BY 1, 2, 3
    ), s(span) AS (VALUES ('1 minute'::interval), ('1 hour'), ('1 day'))
    INSERT INTO pkt_summary (span, bucket, run_id, part, ip_proto, packets, bytes,
                             first_seen, last_seen)
    SELECT s.span, date_bin(s.span, mp.minute, '2000-01-01 00:00:00+00'), mp.run_id,
           pkt_summary_build.part, mp.ip_proto, sum(mp.p), sum(mp.b), min(mp.f), max(mp.l)
    FROM mp CROSS JOIN s
    GROUP BY 1, 2, 3, 5;
    GET DIAGNOSTICS n = ROW_COUNT;

    WITH x AS (
        SELECT x.run_id, x.capture_time, x.ip_proto, x.packet_size, x.src_ip, x.dst_ip
        FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id AND x.sensor = ''
        WHERE r.sensor = me AND r.run_id = ANY (runs)
          AND CASE rows WHEN 'all' THEN true
                        WHEN 'unsummarized' THEN x.id > r.summarized_id
                        WHEN 'summarized' THEN x.id <= r.summarized_id END
    ), ma AS (
        SELECT date_bin('1 minute', x.capture_time, '2000-01-01 00:00:00+00') AS minute,
               x.run_id, d.direction, d.addr, count(*) AS p, sum(x.packet_size) AS b
        FROM x
             CROSS JOIN LATERAL (VALUES ('source', x.src_ip), ('destination', x.dst_ip))
                 AS d(direction, addr)
        GROUP BY 1, 2, 3, 4
    ), s(span) AS (VALUES ('1 minute'::interval), ('1 hour'), ('1 day')),
    sa AS (
        SELECT s.span, date_bin(s.span, ma.minute, '2000-01-01 00:00:00+00') AS bucket,
               ma.run_id, ma.direction, ma.addr, sum(ma.p) AS p, sum(ma.b) AS b
        FROM ma CROSS JOIN s
        GROUP BY 1, 2, 3, 4, 5
    ), r AS (
        SELECT sa.*,
               row_number() OVER (PARTITION BY sa.span, sa.bucket, sa.run_id, sa.direction
                                  ORDER BY sa.p DESC, sa.addr) <= k
               OR row_number() OVER (PARTITION BY sa.span, sa.bucket, sa.run_id, sa.direction
                                     ORDER BY sa.b DESC, sa.addr) <= k AS listed
        FROM sa
    )
    INSERT INTO pkt_summary_top (span, bucket, run_id, part, direction, other_packets,
                                 other_bytes, addrs, packets, bytes, packets_error, bytes_error)
    SELECT r.span, r.bucket, r.run_id, pkt_summary_build.part, r.direction,
           coalesce(max(r.p) FILTER (WHERE NOT r.listed), 0),
           coalesce(max(r.b) FILTER (WHERE NOT r.listed), 0),
           array_agg(r.addr ORDER BY r.addr) FILTER (WHERE r.listed),
           array_agg(r.p ORDER BY r.addr) FILTER (WHERE r.listed),
           array_agg(r.b ORDER BY r.addr) FILTER (WHERE r.listed),
           array_agg(0::bigint ORDER BY r.addr) FILTER (WHERE r.listed),
           array_agg(0::bigint ORDER BY r.addr) FILTER (WHERE r.listed)
    FROM r
    GROUP BY r.span, r.bucket, r.run_id, r.direction;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END
$$;

CREATE OR REPLACE FUNCTION pkt_summary_catch_up(runs integer[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me text := pkt_sensor();
    n bigint;
    todo integer[];
BEGIN
    -- two starts at once would both add the same rows: the second waits
    -- here, then finds those runs done (summarized_id NULL)
    SELECT array_agg(run_id) INTO todo FROM (
        SELECT run_id FROM pkt_runs
        WHERE sensor = me AND run_id = ANY (runs) AND summarized_id IS NOT NULL
        FOR UPDATE) r;
    IF todo IS NULL THEN
        RETURN 0;
    END IF;
    n := pkt_summary_build(todo, 'unsummarized', -1);
    UPDATE pkt_runs SET summarized_id = NULL WHERE sensor = me AND run_id = ANY (todo);
    RETURN n;
END
$$;

-- After rows were deleted from packets, make the summaries of this
-- server's runs that ended agree with what is left (a hub keeps the
-- summaries its sensors sent).
CREATE OR REPLACE FUNCTION pkt_summary_rebuild()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me text := pkt_sensor();
    ended integer[];
    running integer;
BEGIN
    LOCK TABLE packets IN SHARE MODE;
    LOCK TABLE pkt_summary, pkt_summary_top IN EXCLUSIVE MODE;
    LOCK TABLE pkt_runs IN SHARE ROW EXCLUSIVE MODE;
    SELECT array_agg(run_id) FILTER (WHERE state <> 'running'),
           count(*) FILTER (WHERE state = 'running')
    INTO ended, running FROM pkt_runs WHERE sensor = me;
    IF running > 0 THEN
        RAISE NOTICE 'the summaries of % running capture(s) are left as they are', running
            USING HINT = 'Run SELECT pkt_summary_rebuild() again once they stop.';
    END IF;
    IF ended IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM pkt_summary WHERE sensor = me AND run_id = ANY (ended);
    DELETE FROM pkt_summary_top WHERE sensor = me AND run_id = ANY (ended);
    UPDATE pkt_runs SET summarized_id = NULL WHERE sensor = me AND run_id = ANY (ended);
    RETURN pkt_summary_build(ended, 'all', 0);
END
$$;

-- The rows of the given runs (sensor, run id) not yet in the summaries.
DROP FUNCTION pkt_unsummarized(integer[], timestamptz, timestamptz);
CREATE FUNCTION pkt_unsummarized(sensors text[], runs integer[], from_time timestamptz,
    to_time timestamptz,
    OUT ip_proto smallint, OUT src_ip inet, OUT dst_ip inet, OUT packet_size integer,
    OUT capture_time timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
SET enable_seqscan = off  -- also before packets was ever analyzed
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.sensor, p.run_id, p.summarized_id
             FROM pkt_runs p JOIN unnest(sensors, runs) AS u(sensor, run_id)
                  ON u.sensor = p.sensor AND u.run_id = p.run_id
             WHERE p.summarized_id IS NOT NULL
    LOOP
        RETURN QUERY EXECUTE
            'SELECT x.ip_proto, x.src_ip, x.dst_ip, x.packet_size, x.capture_time
             FROM packets x
             WHERE x.sensor = $5 AND x.id > $1 AND x.run_id = $2
               AND x.capture_time >= date_bin(''1 minute'', $3, ''2000-01-01 00:00:00+00'')
               AND date_bin(''1 minute'', x.capture_time, ''2000-01-01 00:00:00+00'') <= $4'
            USING r.summarized_id, r.run_id, from_time, to_time, pkt_row_sensor(r.sensor);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION pkt_unsummarized(text[], integer[], timestamptz, timestamptz) FROM PUBLIC;

DROP FUNCTION pkt_report(interval, integer, text);
DROP FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text);
-- Reports over what is stored, from the summaries: the same figures as
-- pkt_stats(), over a window of whole minutes (from_time is rounded down
-- to its minute, the minute holding to_time is included), read from the
-- fewest buckets that tile it: whole days, then whole hours at its edges,
-- then whole minutes at theirs.  Top talkers come from merging the
-- buckets' lists; exact says whether a line's packets and bytes are
-- exact, note gives the bound when they are not.  Lines of section
-- 'retention' say where the rows of the window were dropped from packets
-- (the figures are the summaries'), and where the summaries of minutes
-- and hours are gone (the window is widened to whole days).  At a hub,
-- the report covers every sensor, or the one named.
CREATE FUNCTION pkt_report_between(from_time timestamptz, to_time timestamptz,
    top integer DEFAULT 5, interface text DEFAULT NULL, sensor text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz,
    OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
-- aggregates only, for pg_monitor too, which may not read packets itself
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
WITH asked AS (
    SELECT pkt_bucket_floor(from_time, '1 minute') AS f,
           pkt_bucket_floor(to_time, '1 minute') + '1 minute' AS e,
           now() - nullif(current_setting('pktcapture.summary_retention')::interval, '0')
               AS kept
), x AS (
    -- before pktcapture.summary_retention, only days are summed: edges there
    -- widen to whole days
    SELECT CASE WHEN a.f < a.kept THEN pkt_bucket_floor(a.f, '1 day') ELSE a.f END AS f,
           CASE WHEN a.e < a.kept THEN pkt_bucket_ceil(a.e, '1 day') ELSE a.e END AS e,
           a.f AS asked_f, a.e AS asked_e
    FROM asked a
), w AS (
    SELECT x.f, x.e, x.asked_f, x.asked_e,
           pkt_bucket_ceil(x.f, '1 hour') AS hf, pkt_bucket_floor(x.e, '1 hour') AS he,
           pkt_bucket_ceil(x.f, '1 day') AS df, pkt_bucket_floor(x.e, '1 day') AS de
    FROM x
), tiles AS (
    -- [f, e) as whole days, whole hours, whole minutes
    SELECT '1 day'::interval AS span, w.df AS lo, w.de AS hi FROM w
    UNION ALL SELECT '1 hour', w.hf, least(w.df, w.he) FROM w
    UNION ALL SELECT '1 hour', greatest(w.de, least(w.df, w.he)), w.he FROM w
    UNION ALL SELECT '1 minute', w.f, least(w.hf, w.e) FROM w
    UNION ALL SELECT '1 minute', greatest(w.he, least(w.hf, w.e)), w.e FROM w
), runs AS (
    SELECT r.sensor, r.run_id FROM pkt_runs r
    WHERE (pkt_report_between.interface IS NULL OR r.source = pkt_report_between.interface)
      AND (pkt_report_between.sensor IS NULL OR r.sensor = pkt_report_between.sensor)
), tail AS (
    -- rows not yet in the summaries: the last seconds of running captures
    SELECT * FROM pkt_unsummarized(ARRAY(SELECT sensor FROM runs ORDER BY sensor, run_id),
                                   ARRAY(SELECT run_id FROM runs ORDER BY sensor, run_id),
                                   from_time, to_time)
), p AS (
    SELECT u.ip_proto, sum(u.packets)::bigint AS packets, sum(u.bytes)::bigint AS bytes,
           min(u.first_seen) AS first_seen, max(u.last_seen) AS last_seen
    FROM (
        SELECT s.ip_proto, s.packets, s.bytes, s.first_seen, s.last_seen
        FROM tiles t JOIN pkt_summary s
             ON s.span = t.span AND s.bucket >= t.lo AND s.bucket < t.hi
        WHERE (s.sensor, s.run_id) IN (SELECT runs.sensor, runs.run_id FROM runs)
        UNION ALL
        SELECT x.ip_proto, count(*), sum(x.packet_size), min(x.capture_time), max(x.capture_time)
        FROM tail x GROUP BY x.ip_proto
    ) u
    GROUP BY u.ip_proto
), t AS (
    SELECT sum(p.packets)::bigint AS packets, sum(p.bytes)::bigint AS bytes,
           min(p.first_seen) AS first_seen, max(p.last_seen) AS last_seen
    FROM p
), lists AS (
    SELECT s.direction, s.other_packets, s.other_bytes, s.addrs, s.packets, s.bytes,
           s.packets_error, s.bytes_error
    FROM tiles t JOIN pkt_summary_top s
         ON s.span = t.span AND s.bucket >= t.lo AND s.bucket < t.hi
    WHERE (s.sensor, s.run_id) IN (SELECT runs.sensor, runs.run_id FROM runs)
), others AS (
    -- what an address may have in the buckets whose lists do not hold it
    SELECT d.direction, coalesce(sum(l.other_packets), 0)::bigint AS op,
           coalesce(sum(l.other_bytes), 0)::bigint AS ob
    FROM (VALUES ('source'), ('destination')) AS d(direction)
         LEFT JOIN lists l ON l.direction = d.direction
    GROUP BY d.direction
), entries AS (
    -- each bucket's bounds, less what 'others' counts for it
    SELECT l.direction, u.addr, u.p - l.other_packets AS p, u.b - l.other_bytes AS b,
           u.pe - l.other_packets AS pe, u.be - l.other_bytes AS be
    FROM lists l
         CROSS JOIN LATERAL unnest(l.addrs, l.packets, l.bytes, l.packets_error, l.bytes_error)
             AS u(addr, p, b, pe, be)
    UNION ALL
    SELECT 'source', x.src_ip, 1, x.packet_size, 0, 0 FROM tail x
    UNION ALL
    SELECT 'destination', x.dst_ip, 1, x.packet_size, 0, 0 FROM tail x
), a AS (
    SELECT e.direction, e.addr,
           sum(e.p)::bigint + o.op AS packets, sum(e.b)::bigint + o.ob AS bytes,
           sum(e.pe)::bigint + o.op AS packets_error, sum(e.be)::bigint + o.ob AS bytes_error
    FROM entries e JOIN others o ON o.direction = e.direction
    GROUP BY e.direction, e.addr, o.op, o.ob
), lines AS (
    SELECT 1 AS o, 0::bigint AS r, 'total'::text AS section, 'packets'::text AS item,
           t.packets, t.bytes, t.first_seen, t.last_seen, true AS exact, NULL::text AS note
    FROM t WHERE t.packets IS NOT NULL
    UNION ALL
    SELECT 2, row_number() OVER (ORDER BY p.packets DESC, p.ip_proto), 'protocol',
           CASE p.ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' ELSE p.ip_proto::text END,
           p.packets, p.bytes, p.first_seen, p.last_seen, true, NULL
    FROM p
    UNION ALL
    -- top talkers each way, ranked by packets and (sections *_bytes) by bytes
    SELECT 3 + (a.direction = 'destination')::int + 2 * k.by_bytes::int, a.r,
           CASE a.direction WHEN 'source' THEN 'top_source' ELSE 'top_destination' END
           || CASE WHEN k.by_bytes THEN '_bytes' ELSE '' END,
           host(a.addr), a.packets, a.bytes, NULL, NULL,
           a.packets_error = 0 AND a.bytes_error = 0,
           CASE WHEN a.packets_error > 0 OR a.bytes_error > 0 THEN
               format('approximate: at most %s packets and %s bytes too many',
                      a.packets_error, a.bytes_error) END
    FROM (VALUES (false), (true)) AS k(by_bytes)
    CROSS JOIN LATERAL (
        SELECT a.*, row_number() OVER (
                   PARTITION BY a.direction
                   ORDER BY CASE WHEN k.by_bytes THEN a.bytes ELSE a.packets END DESC,
                            a.addr) AS r
        FROM a) a
    WHERE a.r <= top
    UNION ALL
    -- what the figures stand for, where the rows or the finer summaries are gone
    SELECT 9, 1, 'retention', 'rows dropped', sum(d.rows)::bigint, NULL,
           greatest(min(d.range_start), w.asked_f), least(max(d.range_end), w.asked_e), true,
           'rows of this window were dropped from packets (' || string_agg(DISTINCT d.reason, ', ')
           || '): the figures come from the summaries'
    FROM pkt_partitions d, w
    WHERE d.dropped_at IS NOT NULL AND d.rows > 0
      AND d.range_start < w.asked_e AND d.range_end > w.asked_f
    GROUP BY w.asked_f, w.asked_e
    UNION ALL
    SELECT 9, 2, 'retention', 'window widened', NULL, NULL, w.f, w.e, false,
           'the summaries of minutes and hours this old are gone (pktcapture.summary_retention): the figures are of whole days'
    FROM w WHERE w.f <> w.asked_f OR w.e <> w.asked_e
)
SELECT l.section, l.item, l.packets, l.bytes,
       round(100.0 * l.packets / nullif(t.packets, 0), 1)::double precision,
       l.first_seen, l.last_seen, l.exact, l.note
FROM lines l, t
ORDER BY l.o, l.r
$$;


COMMENT ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text, text) IS
'Totals, protocols and top talkers of what is stored, over a window of whole minutes, of every sensor or one';

CREATE FUNCTION pkt_report(since interval DEFAULT '1 hour', top integer DEFAULT 5,
    interface text DEFAULT NULL, sensor text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz,
    OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT * FROM pkt_report_between(now() - since, 'infinity', top, interface, sensor)
$$;

COMMENT ON FUNCTION pkt_report(interval, integer, text, text) IS
'Totals, protocols and top talkers of what was stored in the last interval, of every sensor or one';

REVOKE ALL ON FUNCTION pkt_report(interval, integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pkt_report(interval, integer, text, text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text, text) TO pg_monitor;
REVOKE ALL ON FUNCTION pkt_row_sensor(text) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- A sensor publishes what a hub needs, in two publications: its rows and
-- the partitions it makes (inserts only: what a sensor's retention drops
-- stays at the hub), and its ledger and summaries (inserts and updates:
-- a run's row moves with each batch, a summary's part is rewritten while
-- its bucket is open).  Made when a hub first adds the sensor.
CREATE FUNCTION pkt_sensor_publish()
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('wal_level') <> 'logical' THEN
        RAISE EXCEPTION 'sensor % has wal_level = %, a hub needs logical',
            pkt_sensor(), current_setting('wal_level')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'On the sensor: ALTER SYSTEM SET wal_level = logical; then restart it (the README''s section "Sensors and a hub").';
    END IF;
    -- a hub away for long must not fill the sensor's disk with WAL
    IF current_setting('max_slot_wal_keep_size') = '-1' THEN
        RAISE EXCEPTION 'sensor % keeps WAL for a replication slot without bound (max_slot_wal_keep_size = -1)',
            pkt_sensor()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A hub that is away would keep the sensor''s WAL until its disk is full.',
                  HINT = 'On the sensor: ALTER SYSTEM SET max_slot_wal_keep_size = ''10GB''; SELECT pg_reload_conf(); (what the hub may miss past it is counted in pkt_hub_status()).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pktcapture_rows') THEN
        EXECUTE format('CREATE PUBLICATION pktcapture_rows FOR TABLE %I.packets, %I.pkt_partitions '
                       'WITH (publish = ''insert'', publish_via_partition_root = true)',
                       '@extschema@', '@extschema@');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pktcapture_ledger') THEN
        EXECUTE format('CREATE PUBLICATION pktcapture_ledger FOR TABLE %I.pkt_runs, %I.pkt_summary, '
                       '%I.pkt_summary_top WITH (publish = ''insert, update'')',
                       '@extschema@', '@extschema@', '@extschema@');
    END IF;
    RETURN pkt_sensor();
END
$$;

COMMENT ON FUNCTION pkt_sensor_publish() IS
'Publish what a pktcapture hub needs (pkt_hub_add calls it on the sensor)';

-- What a role needs at a sensor for a hub to connect as it: its rows and
-- ledger to read (and copy), the publications made, its replication slot.
CREATE FUNCTION pkt_sensor_grant(hub_role name)
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
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
    EXECUTE format('GRANT SELECT ON packets, pkt_partitions, pkt_runs, pkt_summary, pkt_summary_top TO %I',
                   hub_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION pkt_sensor_publish() TO %I', hub_role);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', '@extschema@', hub_role);
    RETURN format('a hub may connect to this sensor as %s (pg_hba.conf must let it in, for replication too)',
                  hub_role);
END
$$;

COMMENT ON FUNCTION pkt_sensor_grant(name) IS
'Grant a role what a pktcapture hub connecting as it needs at this sensor';

-- The sensors a hub receives from.  Their connection strings, which may
-- hold a password, are their subscriptions' (pg_subscription.subconninfo,
-- readable by superusers only), not kept here.
CREATE TABLE pkt_hub_sensors (
    sensor            text        PRIMARY KEY,
    subscription      name        NOT NULL UNIQUE,
    slot              name        NOT NULL,
    system_identifier bigint      NOT NULL UNIQUE,
    added_at          timestamptz NOT NULL DEFAULT now(),
    held_at           timestamptz   -- the hub's disk guard disabled its subscription
);
COMMENT ON TABLE pkt_hub_sensors IS 'pktcapture hub: the sensors whose rows it receives';
SELECT pg_catalog.pg_extension_config_dump('pkt_hub_sensors', '');

-- At a hub, a replicated row of packets gets the name of the sensor whose
-- subscription brought it (a C trigger: a few hundred nanoseconds a row, at
-- the hub only).
CREATE FUNCTION pkt_hub_rows()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pkt_hub_rows'
LANGUAGE C;

-- At a hub, a partition a sensor made is made here too, for the rows that
-- follow it (a capture file of 2009 loaded at a sensor), of the hub's own
-- span; the sensor's record is not kept (the hub's partitions are its own).
CREATE FUNCTION pkt_hub_partitions()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
BEGIN
    -- the hub's own partitions (made below, or by its captures) are kept
    IF current_setting('session_replication_role') <> 'replica' OR pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF NEW.range_start > '-infinity' AND NEW.range_end < 'infinity' THEN
        PERFORM pkt_partition_create(ARRAY(
            SELECT t FROM generate_series(date_bin(span, NEW.range_start, '2000-01-01 00:00:00+00'),
                                          NEW.range_end - interval '1 microsecond', span) AS g(t)
            LIMIT 10080));
    END IF;
    RETURN NULL;
END
$$;

-- At a hub, a sensor's ledger and summaries replace the rows of the same
-- key: a sensor that rebuilt its summaries (pkt_summary_rebuild: deleted,
-- then inserted again; deletes are not published), or a sensor added again
-- (its rows copied again) would otherwise stop its subscription on a
-- duplicate key.  TG_ARGV[0]: the key's columns.
CREATE FUNCTION pkt_hub_replace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('session_replication_role') = 'replica' THEN
        EXECUTE format('DELETE FROM %I.%I t WHERE (%s) = (%s)', TG_TABLE_SCHEMA, TG_TABLE_NAME,
                       (SELECT string_agg(format('t.%I', k), ', ')
                        FROM unnest(string_to_array(TG_ARGV[0], ',')) AS k),
                       (SELECT string_agg(format('($1).%I', k), ', ')
                        FROM unnest(string_to_array(TG_ARGV[0], ',')) AS k))
        USING NEW;
    END IF;
    RETURN NEW;
END
$$;

-- A hub's tables take the rows of several sensors: the triggers above are
-- in place (once, at the first sensor), and the keys of packets'
-- partitions name the sensor.
CREATE FUNCTION pkt_hub_prepare()
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows'
                   AND tgrelid = 'packets'::regclass) THEN
        CREATE TRIGGER pkt_hub_rows BEFORE INSERT ON packets
            FOR EACH ROW EXECUTE FUNCTION pkt_hub_rows();
        ALTER TABLE packets ENABLE ALWAYS TRIGGER pkt_hub_rows;
        CREATE TRIGGER pkt_hub_partitions BEFORE INSERT ON pkt_partitions
            FOR EACH ROW EXECUTE FUNCTION pkt_hub_partitions();
        ALTER TABLE pkt_partitions ENABLE ALWAYS TRIGGER pkt_hub_partitions;
        CREATE TRIGGER pkt_hub_replace BEFORE INSERT ON pkt_runs
            FOR EACH ROW EXECUTE FUNCTION pkt_hub_replace('sensor,run_id');
        ALTER TABLE pkt_runs ENABLE ALWAYS TRIGGER pkt_hub_replace;
        CREATE TRIGGER pkt_hub_replace BEFORE INSERT ON pkt_summary
            FOR EACH ROW EXECUTE FUNCTION pkt_hub_replace('span,bucket,sensor,run_id,part,ip_proto');
        ALTER TABLE pkt_summary ENABLE ALWAYS TRIGGER pkt_hub_replace;
        CREATE TRIGGER pkt_hub_replace BEFORE INSERT ON pkt_summary_top
            FOR EACH ROW EXECUTE FUNCTION pkt_hub_replace('span,bucket,sensor,run_id,part,direction');
        ALTER TABLE pkt_summary_top ENABLE ALWAYS TRIGGER pkt_hub_replace;
    END IF;
    -- the partitions' keys name the sensor (now that pkt_hub_rows is there)
    PERFORM pkt_partition_indexes(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'packets'::regclass;
END
$$;

-- The hub's worker (retention, disk guard, a look at each sensor), unless
-- it runs: its PID, or 0.
CREATE FUNCTION pkt_hub_start()
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_hub_start_worker'
LANGUAGE C VOLATILE STRICT;

-- The hub's disk guard: disable the subscriptions (hold), or enable again
-- those it disabled.  Returns how many.
CREATE FUNCTION pkt_hub_hold(hold boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    n integer := 0;
BEGIN
    FOR s IN SELECT h.* FROM pkt_hub_sensors h JOIN pg_subscription sub ON sub.subname = h.subscription
             WHERE CASE WHEN hold THEN sub.subenabled AND h.held_at IS NULL
                        ELSE h.held_at IS NOT NULL END
    LOOP
        EXECUTE format('ALTER SUBSCRIPTION %I %s', s.subscription,
                       CASE WHEN hold THEN 'DISABLE' ELSE 'ENABLE' END);
        UPDATE pkt_hub_sensors SET held_at = CASE WHEN hold THEN now() END
        WHERE sensor = s.sensor;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- The schema of dblink, through which a hub talks to its sensors.
CREATE FUNCTION pkt_hub_dblink()
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ds name;
BEGIN
    SELECT n.nspname INTO ds
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a pktcapture hub needs the extension dblink'
            USING ERRCODE = 'undefined_object',
                  HINT = 'CREATE EXTENSION dblink; (Debian: in package postgresql-15, with the other contrib modules)';
    END IF;
    RETURN ds;
END
$$;

-- Start receiving a sensor's rows: existing rows first (a table copy), then
-- new ones as they commit.
CREATE FUNCTION pkt_hub_add(sensor text, conninfo text)
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me text := pkt_sensor();
    sub name := ('pktcapture:' || sensor)::name;
    slot name := ('pktcapture_hub_' || (pg_control_system()).system_identifier)::name;
    ds name;
    remote record;
    r record;
    span interval := current_setting('pktcapture.partition_span')::interval;
BEGIN
    IF sensor IS NULL OR sensor !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,51}$' THEN
        RAISE EXCEPTION 'invalid sensor name "%"', sensor
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A sensor name is its pktcapture.sensor setting: letters, digits, ".", "_" and "-", at most 52.';
    END IF;
    IF sensor = me THEN
        RAISE EXCEPTION 'sensor "%" is this server''s own name', sensor
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give each server its own pktcapture.sensor.';
    END IF;
    IF EXISTS (SELECT 1 FROM pkt_hub_sensors s WHERE s.sensor = pkt_hub_add.sensor) THEN
        RAISE EXCEPTION 'sensor "%" is already added to this hub', sensor
            USING ERRCODE = 'duplicate_object',
                  HINT = format('SELECT pkt_hub_remove(%L) first to add it again.', sensor);
    END IF;
    ds := pkt_hub_dblink();
    BEGIN
        EXECUTE format($q$SELECT * FROM %I.dblink($1, $2)
            AS t(version text, name text, wal_level text, sysid bigint, in_recovery boolean)$q$, ds)
        INTO remote
        USING 'connect_timeout=5 ' || conninfo,
              $r$SELECT (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'),
                        current_setting('pktcapture.sensor', true), current_setting('wal_level'),
                        (pg_control_system()).system_identifier, pg_is_in_recovery()$r$;
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception THEN
        RAISE EXCEPTION 'could not connect to sensor "%": %', sensor, SQLERRM
            USING ERRCODE = 'connection_exception',
                  HINT = 'Check the connection string (host, port, dbname, user, password) and that the sensor accepts connections from this hub (pg_hba.conf, also for replication).';
    END;
    IF remote.version IS NULL THEN
        RAISE EXCEPTION 'the database at that connection string has no pktcapture'
            USING ERRCODE = 'undefined_object',
                  HINT = 'Connect to the sensor''s database that holds the capture (dbname=...), where CREATE EXTENSION pktcapture was run.';
    END IF;
    IF remote.version <> (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture') THEN
        RAISE EXCEPTION 'sensor "%" has pktcapture %, this hub %', sensor, remote.version,
            (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Install the same version on both, then ALTER EXTENSION pktcapture UPDATE on each.';
    END IF;
    IF remote.name IS DISTINCT FROM sensor THEN
        RAISE EXCEPTION 'the server at that connection string is sensor "%", not "%"', remote.name, sensor
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Add it under its own name, pkt_hub_add(%L, ...), or set pktcapture.sensor there.', remote.name);
    END IF;
    SELECT s.sensor INTO r FROM pkt_hub_sensors s WHERE s.system_identifier = remote.sysid;
    IF FOUND THEN
        RAISE EXCEPTION 'the server at that connection string is already added as sensor "%"', r.sensor
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Two sensors must be two servers: set a distinct pktcapture.sensor on each.';
    END IF;
    IF remote.sysid = (pg_control_system()).system_identifier THEN
        RAISE EXCEPTION 'that connection string leads back to this hub'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF remote.wal_level <> 'logical' THEN
        RAISE EXCEPTION 'sensor "%" has wal_level = %, a hub needs logical', sensor, remote.wal_level
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'On the sensor: ALTER SYSTEM SET wal_level = logical; then restart it (the README''s section "Sensors and a hub").';
    END IF;
    -- publications and a replication slot of this hub's, at the sensor
    EXECUTE format('SELECT * FROM %I.dblink($1, $2) AS t(x text)', ds)
        USING conninfo, format('SELECT %s', 'pkt_sensor_publish()');
    EXECUTE format('SELECT * FROM %I.dblink($1, $2) AS t(x text)', ds)
        USING conninfo, format($q$SELECT pg_create_logical_replication_slot(%L, 'pgoutput')::text
            WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %L)$q$, slot, slot);
    PERFORM pkt_hub_prepare();
    -- the partitions of the sensor's rows in place, before their copy (the
    -- sensor's first partition after an update from 1.1 starts at
    -- -infinity: from its oldest row)
    FOR r IN EXECUTE format('SELECT * FROM %I.dblink($1, $2) AS t(lo timestamptz, hi timestamptz)', ds)
        USING conninfo, $q$
            SELECT lo, range_end FROM (
                SELECT CASE WHEN p.range_start > '-infinity' THEN p.range_start
                            ELSE (SELECT min(x.capture_time) FROM packets x
                                  WHERE x.capture_time < p.range_end) END AS lo, p.range_end
                FROM pkt_partitions p WHERE p.dropped_at IS NULL) s
            WHERE lo IS NOT NULL$q$
    LOOP
        IF extract(epoch FROM r.hi - date_bin(span, r.lo, '2000-01-01 00:00:00+00')) / extract(epoch FROM span) > 10080 THEN
            RAISE EXCEPTION 'the rows of sensor "%" from % to % would take more than 10080 partitions of %',
                sensor, r.lo, r.hi, span
                USING ERRCODE = 'program_limit_exceeded',
                      HINT = 'Give the hub a longer pktcapture.partition_span.';
        END IF;
        PERFORM pkt_partition_create(ARRAY(
            SELECT t FROM generate_series(date_bin(span, r.lo, '2000-01-01 00:00:00+00'),
                                          r.hi - interval '1 microsecond', span) AS g(t)));
    END LOOP;
    EXECUTE format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION pktcapture_rows, pktcapture_ledger '
                   'WITH (create_slot = false, slot_name = %L, copy_data = true, binary = true)', sub, conninfo, slot);
    INSERT INTO pkt_hub_sensors (sensor, subscription, slot, system_identifier)
    VALUES (sensor, sub, slot, remote.sysid);
    -- its worker waits for this transaction (pkt_hub_sensors is locked)
    PERFORM pkt_hub_start();
    RETURN format('sensor %s added: its rows are copied, then follow as it captures', sensor);
END
$$;

COMMENT ON FUNCTION pkt_hub_add(text, text) IS
'Start receiving a sensor''s rows, ledger and summaries (logical replication)';

-- Stop receiving a sensor's rows; its replication slot at the sensor goes
-- (it would keep the sensor's WAL); the rows received stay, or go too.
CREATE FUNCTION pkt_hub_remove(sensor text, drop_rows boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    ds name;
BEGIN
    SELECT h.*, sub.subconninfo AS conninfo INTO s
    FROM pkt_hub_sensors h LEFT JOIN pg_subscription sub ON sub.subname = h.subscription
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
    DELETE FROM pkt_hub_sensors h WHERE h.sensor = pkt_hub_remove.sensor;
    IF drop_rows THEN
        DELETE FROM packets p WHERE p.sensor = s.sensor;
        DELETE FROM pkt_runs r WHERE r.sensor = s.sensor;
        DELETE FROM pkt_summary x WHERE x.sensor = s.sensor;
        DELETE FROM pkt_summary_top x WHERE x.sensor = s.sensor;
    END IF;
    -- the slot: its walsender is stopped first (this hub's apply worker
    -- holds it until this transaction commits)
    ds := pkt_hub_dblink();
    BEGIN
        EXECUTE format('SELECT * FROM %I.dblink($1, $2) AS t(x text)', ds)
            USING 'connect_timeout=5 ' || s.conninfo, format($q$
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
                END $do$; SELECT 'dropped'$q$, s.slot, s.slot, s.slot, s.slot);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not drop replication slot "%" at sensor "%": %', s.slot, s.sensor, SQLERRM
            USING HINT = format('Until it goes it keeps the sensor''s WAL: there, SELECT pg_drop_replication_slot(%L);', s.slot);
    END;
    RETURN format('sensor %s removed%s', s.sensor,
                  CASE WHEN drop_rows THEN ', its rows deleted' ELSE ', its rows kept' END);
END
$$;

COMMENT ON FUNCTION pkt_hub_remove(text, boolean) IS
'Stop receiving a sensor''s rows (drop_rows: delete those received too)';

-- One row per sensor: how its subscription does, how far behind it is,
-- its newest row here, and what the hub missed if its slot was lost
-- (rows_missed: rows the sensor's ledger says it stored that never came).
-- pkt_hub_check() is what the hub's worker looks at once a minute;
-- pkt_hub_status() is the same, with a warning for each sensor lost.
CREATE FUNCTION pkt_hub_check(
    OUT sensor text, OUT state text, OUT lag_bytes bigint, OUT lag_seconds double precision,
    OUT newest_row timestamptz, OUT rows_missed bigint, OUT last_error text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    l record;
    r record;
    ds name;
    here bigint;
BEGIN
    ds := pkt_hub_dblink();
    FOR s IN SELECT h.*, sub.subconninfo AS conninfo
             FROM pkt_hub_sensors h LEFT JOIN pg_subscription sub ON sub.subname = h.subscription
             ORDER BY 1 LOOP
        sensor := s.sensor;
        lag_bytes := NULL; lag_seconds := NULL; rows_missed := 0; last_error := NULL;
        SELECT sub.subenabled,
               (SELECT st.pid FROM pg_stat_subscription st
                WHERE st.subid = sub.oid AND st.relid IS NULL) AS pid,
               (SELECT count(*) FROM pg_subscription_rel sr
                WHERE sr.srsubid = sub.oid AND sr.srsubstate <> 'r') AS copying,
               (SELECT ss.apply_error_count + ss.sync_error_count FROM pg_stat_subscription_stats ss
                WHERE ss.subid = sub.oid) AS errors
        INTO l FROM pg_subscription sub WHERE sub.subname = s.subscription;
        SELECT p.capture_time INTO newest_row FROM packets p
        WHERE p.sensor = s.sensor ORDER BY p.sensor DESC, p.id DESC LIMIT 1;
        SELECT coalesce(sum(x.rows_stored), 0) INTO here FROM pkt_runs x WHERE x.sensor = s.sensor;
        state := CASE WHEN l IS NULL THEN 'no subscription'
                      WHEN s.held_at IS NOT NULL THEN 'held by the disk guard'
                      WHEN NOT l.subenabled THEN 'disabled'
                      WHEN l.copying > 0 THEN 'copying'
                      WHEN l.pid IS NULL THEN 'not connected'
                      ELSE 'streaming' END;
        IF s.held_at IS NOT NULL THEN
            last_error := format('the hub''s disk guard stopped receiving at %s (free space below pktcapture.min_free_space); the sensor keeps the rows meanwhile, up to its max_slot_wal_keep_size', s.held_at);
        ELSIF coalesce(l.errors, 0) > 0 AND state <> 'streaming' THEN
            last_error := format('%s errors of its replication since the statistics were reset: the server log has them', l.errors);
        END IF;
        BEGIN
            EXECUTE format('SELECT * FROM %I.dblink($1, $2) AS t(wal_status text, lag_bytes bigint, '
                           'lag_seconds float8, stored bigint)', ds)
            INTO r
            USING 'connect_timeout=3 ' || s.conninfo, format($q$
                SET statement_timeout = '5s';
                SELECT sl.wal_status,
                       (pg_current_wal_lsn() - coalesce(sl.confirmed_flush_lsn, sl.restart_lsn))::bigint,
                       (SELECT extract(epoch FROM coalesce(st.replay_lag, interval '0'))
                        FROM pg_stat_replication st WHERE st.application_name = %L),
                       (SELECT coalesce(sum(rows_stored), 0) FROM pkt_runs
                        WHERE sensor = current_setting('pktcapture.sensor'))::bigint
                FROM (SELECT 1) one LEFT JOIN pg_replication_slots sl ON sl.slot_name = %L$q$,
                s.subscription, s.slot);
            lag_bytes := r.lag_bytes;
            lag_seconds := CASE WHEN r.lag_bytes = 0 THEN 0 ELSE r.lag_seconds END;
            IF r.wal_status IS NULL THEN
                state := 'slot gone';
                rows_missed := greatest(r.stored - here, 0);
                last_error := format('the replication slot %s is gone from the sensor: %s rows of its ledger never came', s.slot, rows_missed);
            ELSIF r.wal_status = 'lost' THEN
                state := 'lost';
                rows_missed := greatest(r.stored - here, 0);
                last_error := format('the sensor removed WAL this hub had not received (max_slot_wal_keep_size): %s rows of its ledger never came', rows_missed);
            END IF;
        EXCEPTION WHEN OTHERS THEN
            IF state = 'streaming' OR state = 'not connected' THEN
                state := 'sensor unreachable';
            END IF;
            last_error := concat_ws('; ', last_error, 'sensor unreachable: ' || SQLERRM);
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

CREATE FUNCTION pkt_hub_status(
    OUT sensor text, OUT state text, OUT lag_bytes bigint, OUT lag_seconds double precision,
    OUT newest_row timestamptz, OUT rows_missed bigint, OUT last_error text)
RETURNS SETOF record
LANGUAGE plpgsql
-- for pg_monitor too, which may read neither the conninfos nor packets
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    FOR sensor, state, lag_bytes, lag_seconds, newest_row, rows_missed, last_error IN
        SELECT * FROM pkt_hub_check() LOOP
        IF state IN ('lost', 'slot gone') THEN
            RAISE WARNING 'pktcapture hub: sensor "%" is %: %', sensor, state, last_error
                USING HINT = format('SELECT pkt_hub_remove(%L); SELECT pkt_hub_add(%L, ...); copies again every row the sensor still keeps.', sensor, sensor);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION pkt_hub_status() IS
'One row per sensor of this hub: state, lag in bytes and seconds, newest row, rows missed, last error';

-- 1.1 took the writer's functions from PUBLIC, but a capture's role writes
-- through them where it may not COPY (without pg_read_server_files): its
-- rows were refused.  They read only the batch of the statement they are
-- part of, and refuse any other call.
GRANT EXECUTE ON FUNCTION pkt_batch_timestamptz(bigint, integer), pkt_batch_inet(bigint, integer),
    pkt_batch_int2(bigint, integer), pkt_batch_int4(bigint, integer), pkt_batch_int8(bigint, integer),
    pkt_batch_text(bigint, integer), pkt_batch_interval(bigint, integer),
    pkt_batch_inets(bigint, integer), pkt_batch_int8s(bigint, integer) TO PUBLIC;
REVOKE ALL ON FUNCTION pkt_sensor_publish() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_sensor_grant(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_prepare() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_dblink() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_add(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_remove(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_replace() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_hub_hold(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pkt_hub_status() TO pg_monitor;
GRANT SELECT ON pkt_hub_sensors TO pg_monitor;
