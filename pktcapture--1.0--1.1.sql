/* pktcapture--1.0--1.1.sql: summaries in bounded space per minute, hour and day */

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.1'" to load this file. \quit

-- The writer's functions read only the batch of the statement they are
-- part of, but nobody else has a reason to call them.
REVOKE ALL ON FUNCTION pkt_batch_timestamptz(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_inet(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_int2(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_int4(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_int8(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_text(bigint, integer) FROM PUBLIC;
CREATE FUNCTION pkt_batch_interval(bigint, integer) RETURNS SETOF interval
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_inets(bigint, integer) RETURNS SETOF inet[]
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_int8s(bigint, integer) RETURNS SETOF bigint[]
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION pkt_batch_interval(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_inets(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_batch_int8s(bigint, integer) FROM PUBLIC;

-- The summaries of 1.0 (one row per address and minute: as large as
-- packets itself on diverse traffic) are replaced; they are rebuilt from
-- the rows in place at the end of this script.
DROP FUNCTION pkt_report(interval, integer, text);
DROP FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text);
DROP FUNCTION pkt_summary_rebuild();
DROP FUNCTION pkt_summary_catch_up(integer[]);
DROP FUNCTION pkt_summary_add(integer[], text);
DROP TABLE pkt_summary_addr;
DROP TABLE pkt_summary;

-- Every bucket (a minute, an hour or a day, aligned on 2000-01-01 00:00
-- UTC) of every run, in parts: a part holds some of the run's rows of
-- that bucket, and reports add the parts up.  Parts from 1 are written by
-- the run itself, part 0 by pkt_summary_rebuild(), part -1 by the
-- catch-up of a run whose process died.
-- pkt_summary: exact packets and bytes per protocol.
CREATE TABLE pkt_summary (
    span        interval    NOT NULL CHECK (span IN ('1 minute', '1 hour', '1 day')),
    bucket      timestamptz NOT NULL,   -- its start
    run_id      integer     NOT NULL,
    part        integer     NOT NULL,
    ip_proto    smallint    NOT NULL,
    packets     bigint      NOT NULL,
    bytes       bigint      NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (span, bucket, run_id, part, ip_proto)
);

-- pkt_summary_top: per direction, the pktcapture.summary_top addresses
-- with most packets and those with most bytes.  An address's true packets
-- lie in [packets - packets_error, packets] (bytes likewise); an address
-- not listed has at most other_packets packets and other_bytes bytes.
-- Lists merge (README "Reports that stay fast").
CREATE TABLE pkt_summary_top (
    span          interval    NOT NULL CHECK (span IN ('1 minute', '1 hour', '1 day')),
    bucket        timestamptz NOT NULL,
    run_id        integer     NOT NULL,
    part          integer     NOT NULL,
    direction     text        NOT NULL CHECK (direction IN ('source', 'destination')),
    other_packets bigint      NOT NULL,
    other_bytes   bigint      NOT NULL,
    addrs         inet[]      NOT NULL,
    packets       bigint[]    NOT NULL,
    bytes         bigint[]    NOT NULL,
    packets_error bigint[]    NOT NULL,
    bytes_error   bigint[]    NOT NULL,
    PRIMARY KEY (span, bucket, run_id, part, direction)
);

-- A list is rewritten while its bucket is open: lz4 compresses it several
-- times faster than pglz, where the server was built with it.
DO $$
BEGIN
    ALTER TABLE pkt_summary_top
        ALTER COLUMN addrs SET COMPRESSION lz4, ALTER COLUMN packets SET COMPRESSION lz4,
        ALTER COLUMN bytes SET COMPRESSION lz4, ALTER COLUMN packets_error SET COMPRESSION lz4,
        ALTER COLUMN bytes_error SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

COMMENT ON TABLE pkt_summary IS 'pktcapture: packets and bytes per minute, hour and day, run and protocol';
COMMENT ON TABLE pkt_summary_top IS 'pktcapture: top talkers per minute, hour and day, run and direction, with bounds';

SELECT pg_catalog.pg_extension_config_dump('pkt_summary', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_summary_top', '');
GRANT SELECT ON pkt_summary, pkt_summary_top TO pg_monitor;

-- The bucket of span holding t, and the first bucket starting at or after
-- t; infinities stay as they are.
CREATE FUNCTION pkt_bucket_floor(t timestamptz, span interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN isfinite(t) THEN date_bin(span, t, '2000-01-01 00:00:00+00') ELSE t END
$$;

CREATE FUNCTION pkt_bucket_ceil(t timestamptz, span interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN NOT isfinite(t) THEN t
            WHEN date_bin(span, t, '2000-01-01 00:00:00+00') = t THEN t
            ELSE date_bin(span, t, '2000-01-01 00:00:00+00') + span END
$$;

-- Sum rows of packets into the summaries as part part of their buckets:
-- the rows of the given runs, all of them (rows 'all') or those above
-- their summarized_id ('unsummarized'), or up to it ('summarized').  Lists
-- keep the pktcapture.summary_top addresses with most packets and with
-- most bytes of each bucket, exact (the rows are counted exactly).
CREATE FUNCTION pkt_summary_build(runs integer[], rows text, part integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    k integer := current_setting('pktcapture.summary_top')::integer;
    n bigint;
    m bigint;
BEGIN
    WITH x AS (
        SELECT x.run_id, x.capture_time, x.ip_proto, x.packet_size, x.src_ip, x.dst_ip
        FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id
        WHERE r.run_id = ANY (runs)
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
        FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id
        WHERE r.run_id = ANY (runs)
          AND CASE rows WHEN 'all' THEN true
                        WHEN 'unsummarized' THEN x.id > r.summarized_id
                        WHEN 'summarized' THEN x.id <= r.summarized_id END
    ), ma AS (
        -- exact sums per minute, run, direction and address
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

-- Runs that ended without writing their last summaries (the server
-- crashed): add their remaining rows.  Called as the extension's owner
-- when a capture or load starts and marks such runs interrupted.
CREATE FUNCTION pkt_summary_catch_up(runs integer[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    todo integer[];
BEGIN
    -- two starts at once would both add the same rows: the second waits
    -- here, then finds those runs done (summarized_id NULL)
    SELECT array_agg(run_id) INTO todo FROM (
        SELECT run_id FROM pkt_runs
        WHERE run_id = ANY (runs) AND summarized_id IS NOT NULL
        FOR UPDATE) r;
    IF todo IS NULL THEN
        RETURN 0;
    END IF;
    n := pkt_summary_build(todo, 'unsummarized', -1);
    UPDATE pkt_runs SET summarized_id = NULL WHERE run_id = ANY (todo);
    RETURN n;
END
$$;

-- After rows were deleted from packets, make the summaries of the runs
-- that ended agree with what is left.  A running capture keeps its own
-- (rebuild it once it stops).  Returns the number of summary rows written.
CREATE FUNCTION pkt_summary_rebuild()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ended integer[];
    running integer;
BEGIN
    -- no capture writes meanwhile; locks in the writers' order (rows,
    -- summaries, ledger), so that none of them deadlocks with this
    LOCK TABLE packets IN SHARE MODE;
    LOCK TABLE pkt_summary, pkt_summary_top IN EXCLUSIVE MODE;
    LOCK TABLE pkt_runs IN SHARE ROW EXCLUSIVE MODE;
    SELECT array_agg(run_id) FILTER (WHERE state <> 'running'),
           count(*) FILTER (WHERE state = 'running')
    INTO ended, running FROM pkt_runs;
    IF running > 0 THEN
        RAISE NOTICE 'the summaries of % running capture(s) are left as they are', running
            USING HINT = 'Run SELECT pkt_summary_rebuild() again once they stop.';
    END IF;
    IF ended IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM pkt_summary WHERE run_id = ANY (ended);
    DELETE FROM pkt_summary_top WHERE run_id = ANY (ended);
    UPDATE pkt_runs SET summarized_id = NULL WHERE run_id = ANY (ended);
    RETURN pkt_summary_build(ended, 'all', 0);
END
$$;

COMMENT ON FUNCTION pkt_summary_rebuild() IS
'Recompute the summaries of ended runs from packets (after a DELETE)';

-- Reports over what is stored, from the summaries: the same figures as
-- pkt_stats(), over a window of whole minutes (from_time is rounded down
-- to its minute, the minute holding to_time is included), read from the
-- fewest buckets that tile it: whole days, then whole hours at its edges,
-- then whole minutes at theirs.  Top talkers come from merging the
-- buckets' lists; exact says whether a line's packets and bytes are
-- exact, note gives the bound when they are not.
CREATE FUNCTION pkt_report_between(from_time timestamptz, to_time timestamptz,
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
WITH w AS (
    SELECT x.f, x.e,
           pkt_bucket_ceil(x.f, '1 hour') AS hf, pkt_bucket_floor(x.e, '1 hour') AS he,
           pkt_bucket_ceil(x.f, '1 day') AS df, pkt_bucket_floor(x.e, '1 day') AS de
    FROM (SELECT pkt_bucket_floor(from_time, '1 minute') AS f,
                 pkt_bucket_floor(to_time, '1 minute') + '1 minute' AS e) x
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
)
SELECT l.section, l.item, l.packets, l.bytes,
       round(100.0 * l.packets / nullif(t.packets, 0), 1)::double precision,
       l.first_seen, l.last_seen, l.exact, l.note
FROM lines l, t
ORDER BY l.o, l.r
$$;

COMMENT ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) IS
'Totals, protocols and top talkers of what is stored, over a window of whole minutes';

CREATE FUNCTION pkt_report(since interval DEFAULT '1 hour', top integer DEFAULT 5,
    interface text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz,
    OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT * FROM pkt_report_between(now() - since, 'infinity', top, interface)
$$;

COMMENT ON FUNCTION pkt_report(interval, integer, text) IS
'Totals, protocols and top talkers of what was stored in the last interval';

REVOKE ALL ON FUNCTION pkt_summary_build(integer[], text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_bucket_floor(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_bucket_ceil(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_summary_catch_up(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_summary_rebuild() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_report(interval, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pkt_report(interval, integer, text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) TO pg_monitor;

-- The summaries of the rows already stored.  A capture left running by a
-- process that is gone keeps its rows above summarized_id for the next
-- start's catch-up; any other run is summed whole.
UPDATE pkt_runs SET summarized_id = NULL WHERE state <> 'running';
SELECT pkt_summary_build(ARRAY(SELECT run_id FROM pkt_runs WHERE state <> 'running'), 'all', 0);
SELECT pkt_summary_build(ARRAY(SELECT run_id FROM pkt_runs WHERE state = 'running'), 'summarized', 0);
