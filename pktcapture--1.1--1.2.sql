/* pktcapture--1.1--1.2.sql: packets partitioned by time, retention by age and by free space */

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.2'" to load this file. \quit

-- packets becomes partitioned by capture_time.  The rows in place stay
-- where they are: the old table becomes the first partition, for every
-- time up to the end of the span holding its newest row, and leaves the
-- extension (its rows are dumped as any partition's).  Its primary key on
-- id becomes one on (id, capture_time), as a partitioned table needs,
-- built once here.
ALTER TABLE packets RENAME TO packets_upgraded;
ALTER INDEX packets_pkey RENAME TO packets_upgraded_pkey;
ALTER INDEX packets_capture_time_idx RENAME TO packets_upgraded_capture_time_idx;
ALTER SEQUENCE packets_id_seq RENAME TO packets_upgraded_id_seq;
ALTER EXTENSION pktcapture DROP TABLE packets_upgraded;
ALTER EXTENSION pktcapture DROP SEQUENCE packets_upgraded_id_seq;

CREATE TABLE packets (
    id            bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000),
    src_ip        inet        NOT NULL,
    dst_ip        inet        NOT NULL,
    protocol      text        GENERATED ALWAYS AS (
                      CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP'
                      ELSE ip_proto::text END) STORED,
    packet_size   integer     NOT NULL,   -- bytes on the wire
    capture_time  timestamptz NOT NULL,   -- the packet's own timestamp
    ip_version    smallint    NOT NULL,
    ip_proto      smallint    NOT NULL,   -- upper-layer protocol number
    src_port      integer,                -- TCP, UDP, UDP-Lite, SCTP, DCCP
    dst_port      integer,
    tcp_flags     smallint,               -- the 12 flag bits of TCP
    captured_size integer     NOT NULL,   -- bytes captured (snap length)
    vlan_id       smallint,               -- outermost 802.1Q/802.1ad tag
    interface     text,                   -- NULL for rows from files
    run_id        integer,                -- the capture or load: pkt_runs
    PRIMARY KEY (id, capture_time)
) PARTITION BY RANGE (capture_time);

COMMENT ON TABLE packets IS 'One row per captured IP packet (pktcapture), partitioned by capture_time';
CREATE INDEX packets_capture_time_idx ON packets USING brin (capture_time);
-- ids go on from where the old table's left off
SELECT setval('packets_id_seq', last_value, true)
FROM (SELECT pg_sequence_last_value('packets_upgraded_id_seq') AS last_value) s
WHERE last_value IS NOT NULL;
ALTER TABLE packets_upgraded ALTER COLUMN id DROP IDENTITY;
SELECT pg_catalog.pg_extension_config_dump('packets', '');
SELECT pg_catalog.pg_extension_config_dump('packets_id_seq', '');

-- Every partition of packets: its range, and when and why it was dropped
-- (a report over a window whose rows are gone says so).  rows: the rows
-- it held when dropped.
CREATE TABLE pkt_partitions (
    relname     name        NOT NULL PRIMARY KEY,
    range_start timestamptz NOT NULL,
    range_end   timestamptz NOT NULL CHECK (range_end > range_start),
    created_at  timestamptz NOT NULL DEFAULT now(),
    dropped_at  timestamptz,
    reason      text        CHECK (reason IN ('retention', 'disk guard', 'by hand')),
    rows        bigint
);
CREATE INDEX pkt_partitions_range_idx ON pkt_partitions (range_start);

-- The rows of each run in each partition, moved by the writer in the
-- transaction of each batch: when a partition is dropped, its runs' rows
-- are added to their rows_removed, so that the ledger stays exact.
CREATE TABLE pkt_partition_rows (
    range_start timestamptz NOT NULL,   -- the partition's
    run_id      integer     NOT NULL,
    rows        bigint      NOT NULL,
    PRIMARY KEY (range_start, run_id)
);

COMMENT ON TABLE pkt_partitions IS 'pktcapture: the partitions of packets, and those dropped';
COMMENT ON TABLE pkt_partition_rows IS 'pktcapture: rows of each run in each partition of packets';
SELECT pg_catalog.pg_extension_config_dump('pkt_partitions', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_partition_rows', '');

-- The ledger counts what retention removed, and what the disk guard
-- refused to store.
ALTER TABLE pkt_runs ADD COLUMN rows_removed bigint NOT NULL DEFAULT 0,
                     ADD COLUMN not_stored_disk bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN pkt_runs.rows_removed IS 'rows of the run in partitions dropped since (retention or disk guard)';
COMMENT ON COLUMN pkt_runs.not_stored_disk IS 'IP packets not stored because the disk guard held off';

-- The name of the partition starting at t.
CREATE FUNCTION pkt_partition_name(t timestamptz)
RETURNS name
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT ('packets_' || to_char(t AT TIME ZONE 'UTC', 'YYYYMMDD"_"HH24MI'))::name
$$;

-- Make the partitions holding the given times, of pktcapture.partition_span
-- each (cut to fit between the partitions there are, if the span changed),
-- up to pktcapture.max_partitions.  A partition is made apart from packets
-- and attached, which locks packets in SHARE UPDATE EXCLUSIVE mode only
-- (inserts and queries go on).  Returns the ranges of the times' partitions.
CREATE FUNCTION pkt_partition_create(times timestamptz[],
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
        EXECUTE format('ALTER TABLE %I.packets ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                       '@extschema@', '@extschema@', nm, lo, hi);
        INSERT INTO pkt_partitions (relname, range_start, range_end) VALUES (nm, lo, hi);
        have := have + 1;
        range_start := lo; range_end := hi;
        RETURN NEXT;
    END LOOP;
END
$$;

-- Drop one partition: its runs' rows go to their rows_removed, in the same
-- transaction.  packets is locked first (ACCESS EXCLUSIVE, as DROP needs),
-- within lock_timeout: the caller tries again later rather than keep
-- captures and queries waiting behind it.
CREATE FUNCTION pkt_partition_drop(part name, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    start timestamptz;
    n bigint;
BEGIN
    -- first: no writer adds rows to it meanwhile, nor another drops it
    LOCK TABLE ONLY packets IN ACCESS EXCLUSIVE MODE;
    SELECT p.range_start INTO start FROM pkt_partitions p
    WHERE p.relname = part AND p.dropped_at IS NULL;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE pkt_runs r SET rows_removed = r.rows_removed + c.rows
    FROM pkt_partition_rows c WHERE c.range_start = start AND c.run_id = r.run_id;
    SELECT coalesce(sum(c.rows), 0) INTO n FROM pkt_partition_rows c WHERE c.range_start = start;
    DELETE FROM pkt_partition_rows c WHERE c.range_start = start;
    EXECUTE format('DROP TABLE %I.%I', '@extschema@', part);
    UPDATE pkt_partitions SET dropped_at = now(), reason = why, rows = n WHERE relname = part;
    RETURN n;
END
$$;

-- The partitions of now and of the next pktcapture.partitions_ahead spans.
CREATE FUNCTION pkt_partitions_ahead()
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
    RETURN have - had;
END
$$;

-- Retention by age: the partitions whose range ended pktcapture.retention
-- ago (none when it is 0), oldest first.
CREATE FUNCTION pkt_partitions_expired()
RETURNS SETOF name
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT p.relname FROM pkt_partitions p,
       (SELECT current_setting('pktcapture.retention')::interval AS keep) k
WHERE p.dropped_at IS NULL AND k.keep > '0'::interval AND p.range_end <= now() - k.keep
ORDER BY p.range_start
$$;

-- Summaries of minutes and hours older than pktcapture.summary_retention
-- (none when it is 0) go; those of days stay.  Returns the rows removed.
CREATE FUNCTION pkt_summaries_expire()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    keep interval := current_setting('pktcapture.summary_retention')::interval;
    n bigint;
    m bigint;
BEGIN
    IF keep IS NULL OR keep <= '0'::interval THEN
        RETURN 0;
    END IF;
    DELETE FROM pkt_summary s WHERE s.span IN ('1 minute', '1 hour')
                                AND s.bucket + s.span <= now() - keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM pkt_summary_top s WHERE s.span IN ('1 minute', '1 hour')
                                    AND s.bucket + s.span <= now() - keep;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END
$$;

-- What the captures do every pktcapture.maintenance_interval, by hand (or
-- from a scheduler): partitions made ahead, retention by age (each drop in
-- its own transaction, within lock_timeout), old summaries trimmed.
-- (A procedure with a SET clause may not commit: names are qualified instead.)
CREATE PROCEDURE pkt_maintain()
LANGUAGE plpgsql
AS $$
DECLARE
    part name;
    made integer;
    n bigint;
    dropped integer := 0;
    removed bigint := 0;
BEGIN
    made := @extschema@.pkt_partitions_ahead();
    COMMIT;
    FOR part IN SELECT * FROM @extschema@.pkt_partitions_expired() LOOP
        n := @extschema@.pkt_partition_drop(part, 'retention');
        COMMIT;
        dropped := dropped + 1;
        removed := removed + n;
    END LOOP;
    n := @extschema@.pkt_summaries_expire();
    RAISE NOTICE 'pktcapture: % partition(s) made, % dropped (% rows), % summary rows removed',
        made, dropped, removed, n;
END
$$;

-- The disk guard's last resort before it stops storing rows: the oldest
-- partition that holds rows and ends before the given time.  Returns the
-- rows removed, NULL if there was none to drop.
CREATE FUNCTION pkt_partition_drop_oldest(before timestamptz, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    part name;
BEGIN
    SELECT p.relname INTO part FROM pkt_partitions p
    WHERE p.dropped_at IS NULL AND p.range_end <= before
      AND EXISTS (SELECT 1 FROM pkt_partition_rows c WHERE c.range_start = p.range_start)
    ORDER BY p.range_start LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN pkt_partition_drop(part, why);
END
$$;

-- The old table, as the first partition: every time up to the end of the
-- span holding its newest row (if it has rows).
DO $$
DECLARE
    span interval := coalesce(nullif(current_setting('pktcapture.partition_span', true), ''),
                              '1 hour')::interval;
    newest timestamptz;
    oldest timestamptz;
    hi timestamptz;
    n bigint;
BEGIN
    SELECT max(capture_time), min(capture_time), count(*) INTO newest, oldest, n
    FROM packets_upgraded;
    IF n = 0 THEN
        DROP TABLE packets_upgraded;
        RETURN;
    END IF;
    hi := date_bin(span, newest, '2000-01-01 00:00:00+00') + span;
    ALTER TABLE packets_upgraded DROP CONSTRAINT packets_upgraded_pkey;
    ALTER TABLE packets_upgraded ADD PRIMARY KEY (id, capture_time);
    EXECUTE format('ALTER TABLE packets ATTACH PARTITION packets_upgraded FOR VALUES FROM (MINVALUE) TO (%L)', hi);
    EXECUTE format('ALTER TABLE packets_upgraded RENAME TO %I', pkt_partition_name(oldest));
    INSERT INTO pkt_partitions (relname, range_start, range_end)
    VALUES (pkt_partition_name(oldest), '-infinity', hi);
    INSERT INTO pkt_partition_rows (range_start, run_id, rows)
    SELECT '-infinity', run_id, count(*) FROM packets WHERE run_id IS NOT NULL GROUP BY run_id;
END
$$;

-- pkt_status: the disk guard's state, its loss counter and the free space
DROP FUNCTION pkt_status();
CREATE FUNCTION pkt_status(
    OUT run_id integer, OUT interface text, OUT kind text, OUT filter text, OUT pid integer,
    OUT state text, OUT started_at timestamptz, OUT stopped_at timestamptz,
    OUT frames bigint, OUT packets bigint, OUT bytes bigint,
    OUT rows_stored bigint, OUT rows_pending bigint,
    OUT kernel_dropped bigint, OUT interface_dropped bigint,
    OUT truncated bigint, OUT malformed bigint, OUT unsupported bigint,
    OUT not_ip bigint, OUT not_stored bigint, OUT ports_truncated bigint,
    OUT last_batch_at timestamptz, OUT last_batch_ms double precision,
    OUT error text, OUT not_stored_disk bigint, OUT disk_guard text, OUT free_space bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_status_1_2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;
COMMENT ON FUNCTION pkt_status() IS
'One row per capture or load, running or ended, with every counter and the disk guard''s state';
REVOKE ALL ON FUNCTION pkt_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pkt_status() TO pg_monitor;

GRANT SELECT ON pkt_partitions TO pg_monitor;

-- Reports over what is stored, from the summaries: the same figures as
-- pkt_stats(), over a window of whole minutes (from_time is rounded down
-- to its minute, the minute holding to_time is included), read from the
-- fewest buckets that tile it: whole days, then whole hours at its edges,
-- then whole minutes at theirs.  Top talkers come from merging the
-- buckets' lists; exact says whether a line's packets and bytes are
-- exact, note gives the bound when they are not.  Lines of section
-- 'retention' say where the rows of the window were dropped from packets
-- (the figures are the summaries'), and where the summaries of minutes
-- and hours are gone (the window is widened to whole days).
CREATE OR REPLACE FUNCTION pkt_report_between(from_time timestamptz, to_time timestamptz,
    top integer DEFAULT 5, interface text DEFAULT NULL,
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
    SELECT r.run_id FROM pkt_runs r
    WHERE pkt_report_between.interface IS NULL OR r.source = pkt_report_between.interface
), tail AS (
    -- rows not yet in the summaries: the last seconds of running captures
    SELECT * FROM pkt_unsummarized(ARRAY(SELECT run_id FROM runs), from_time, to_time)
), p AS (
    SELECT u.ip_proto, sum(u.packets)::bigint AS packets, sum(u.bytes)::bigint AS bytes,
           min(u.first_seen) AS first_seen, max(u.last_seen) AS last_seen
    FROM (
        SELECT s.ip_proto, s.packets, s.bytes, s.first_seen, s.last_seen
        FROM tiles t JOIN pkt_summary s
             ON s.span = t.span AND s.bucket >= t.lo AND s.bucket < t.hi
        WHERE s.run_id IN (SELECT run_id FROM runs)
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
    WHERE s.run_id IN (SELECT run_id FROM runs)
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


REVOKE ALL ON FUNCTION pkt_partition_create(timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_partition_drop(name, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_partition_drop_oldest(timestamptz, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE pkt_maintain() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_partitions_ahead() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_partitions_expired() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_summaries_expire() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_partition_name(timestamptz) FROM PUBLIC;
