/* pktcapture--1.4--1.5.sql: each rule written once.  The epoch of every
 * time bucket, the protocol's label and the rule of a sensor's name come
 * from the library (pkt_bucket_epoch, pkt_protocol_label,
 * pkt_sensor_name_check), as the C code uses them; which hub states are
 * lost or healthy, and the warning for a lost sensor, are SQL's, which the
 * hub's worker calls.  Long functions are split by what they do.  The
 * whole schema of 1.5 is pktcapture--1.5.sql, which a fresh install runs. */

\echo Use "ALTER EXTENSION pktcapture UPDATE" to load this file. \quit

-- Where every span of partitions and summaries is counted from: the
-- library's epoch (pkt_bucket.h), date_bin()'s origin in every function.
CREATE FUNCTION @extschema@.pkt_bucket_epoch()
RETURNS timestamptz
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pkt_bucket_epoch';

-- TCP, UDP or the number: the label pkt_stats() gives a protocol.
CREATE FUNCTION @extschema@.pkt_protocol_label(ip_proto integer)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pkt_protocol_label';

-- Raises an error unless the name is a valid sensor name, by the rule of
-- the setting pktcapture.sensor.
CREATE FUNCTION @extschema@.pkt_sensor_name_check(sensor text)
RETURNS void
LANGUAGE C PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pkt_sensor_name_check';

-- The states of pkt_hub_check() in which a hub loses a sensor's rows, and
-- those in which it receives them: read by pkt_hub_status() and by the
-- hub's worker, which says so in the log.
CREATE FUNCTION @extschema@.pkt_hub_state_lost(state text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path = pg_catalog, pg_temp
AS $function$
SELECT state IN ('lost', 'slot gone')
$function$
;

CREATE FUNCTION @extschema@.pkt_hub_state_healthy(state text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path = pg_catalog, pg_temp
AS $function$
SELECT state IN ('streaming', 'copying')
$function$
;

-- The warning for a sensor lost, from pkt_hub_status() and the hub's log.
CREATE FUNCTION @extschema@.pkt_hub_warn_lost(sensor text, state text, last_error text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE WARNING 'pktcapture hub: sensor "%" is %: %', sensor, state, last_error
        USING HINT = format('SELECT pkt_hub_remove(%L); SELECT pkt_hub_add(%L, ...); copies again every row the sensor still keeps.', sensor, sensor);
END
$function$
;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_warn_lost(text, text, text) FROM PUBLIC;

-- Every function that cut time by hand: the epoch from the library.
CREATE OR REPLACE FUNCTION @extschema@.pkt_bucket_floor(t timestamp with time zone, span interval)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
SELECT CASE WHEN pg_catalog.isfinite(t)
            THEN pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch()) ELSE t END
$function$
;

CREATE OR REPLACE FUNCTION @extschema@.pkt_bucket_ceil(t timestamp with time zone, span interval)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
SELECT CASE WHEN NOT pg_catalog.isfinite(t) THEN t
            WHEN pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch())
                 OPERATOR(pg_catalog.=) t THEN t
            ELSE pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch())
                 OPERATOR(pg_catalog.+) span END
$function$
;

CREATE OR REPLACE FUNCTION @extschema@.pkt_unsummarized(sensors text[], runs integer[], from_time timestamp with time zone, to_time timestamp with time zone, OUT ip_proto smallint, OUT src_ip inet, OUT dst_ip inet, OUT packet_size integer, OUT capture_time timestamp with time zone)
 RETURNS SETOF record
 LANGUAGE plpgsql
 STABLE
 SET search_path = pg_catalog, pg_temp
 SET enable_seqscan TO 'off'
AS $function$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.sensor, p.run_id, p.summarized_id
             FROM @extschema@.pkt_runs p JOIN unnest(sensors, runs) AS u(sensor, run_id)
                  ON u.sensor = p.sensor AND u.run_id = p.run_id
             WHERE p.summarized_id IS NOT NULL
    LOOP
        RETURN QUERY EXECUTE
            'SELECT x.ip_proto, x.src_ip, x.dst_ip, x.packet_size, x.capture_time
             FROM @extschema@.packets x
             WHERE x.sensor = $5 AND x.id > $1 AND x.run_id = $2
               AND x.capture_time >= date_bin(''1 minute'', $3, @extschema@.pkt_bucket_epoch())
               AND date_bin(''1 minute'', x.capture_time, @extschema@.pkt_bucket_epoch()) <= $4'
            USING r.summarized_id, r.run_id, from_time, to_time, @extschema@.pkt_row_sensor(r.sensor);
    END LOOP;
END
$function$
;

CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_partitions()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, pg_temp
AS $function$
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
    IF NEW.range_start > '-infinity' AND NEW.range_end < 'infinity' THEN
        PERFORM @extschema@.pkt_partition_create(ARRAY(
            SELECT t FROM generate_series(date_bin(span, NEW.range_start, @extschema@.pkt_bucket_epoch()),
                                          NEW.range_end - interval '1 microsecond', span) AS g(t)
            LIMIT greatest(maxp - maxp / 10
                           - (SELECT count(*) FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL), 0)));
    END IF;
    RETURN NULL;
END
$function$
;

-- A lost sensor: the states and the warning from their one home.
CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_status(OUT sensor text, OUT state text, OUT lag_bytes bigint, OUT lag_seconds double precision, OUT newest_row timestamp with time zone, OUT rows_missed bigint, OUT last_error text)
 RETURNS SETOF record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    FOR sensor, state, lag_bytes, lag_seconds, newest_row, rows_missed, last_error IN
        SELECT * FROM @extschema@.pkt_hub_check() LOOP
        IF @extschema@.pkt_hub_state_lost(state) THEN
            PERFORM @extschema@.pkt_hub_warn_lost(sensor, state, last_error);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$function$
;

-- Long functions split by what they do (the same in pktcapture--1.5.sql),
-- with the rules above.
/* The long functions of 1.4 split by what they do (pktcapture--1.4--1.5.sql):
 * new helpers, each with one purpose, and the functions that call them.
 * Behaviour, errors and hints unchanged. */

-- pkt_summary_build's protocols: exact packets and bytes per bucket of
-- each span, run and protocol.  Returns the summary rows written.
CREATE FUNCTION @extschema@.pkt_summary_build_protocols(runs integer[], rows text, part integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me text := @extschema@.pkt_sensor();
    n bigint;
BEGIN
    WITH x AS (
        SELECT x.run_id, x.capture_time, x.ip_proto, x.packet_size, x.src_ip, x.dst_ip
        FROM @extschema@.pkt_runs r JOIN @extschema@.packets x ON x.run_id = r.run_id AND x.sensor = ''
        WHERE r.sensor = me AND r.run_id = ANY (runs)
          AND CASE rows WHEN 'all' THEN true
                        WHEN 'unsummarized' THEN x.id > r.summarized_id
                        WHEN 'summarized' THEN x.id <= r.summarized_id END
    ), mp AS (
        SELECT date_bin('1 minute', x.capture_time, @extschema@.pkt_bucket_epoch()) AS minute,
               x.run_id, x.ip_proto, count(*) AS p, sum(x.packet_size) AS b,
               min(x.capture_time) AS f, max(x.capture_time) AS l
        FROM x GROUP BY 1, 2, 3
    ), s(span) AS (VALUES ('1 minute'::interval), ('1 hour'), ('1 day'))
    INSERT INTO @extschema@.pkt_summary (span, bucket, run_id, part, ip_proto, packets, bytes,
                             first_seen, last_seen)
    SELECT s.span, date_bin(s.span, mp.minute, @extschema@.pkt_bucket_epoch()), mp.run_id,
           pkt_summary_build_protocols.part, mp.ip_proto, sum(mp.p), sum(mp.b), min(mp.f), max(mp.l)
    FROM mp CROSS JOIN s
    GROUP BY 1, 2, 3, 5;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- pkt_summary_build's lists: per bucket of each span, run and direction,
-- the pktcapture.summary_top addresses with most packets and those with
-- most bytes, exact, and the most any other address has.  Returns the
-- summary rows written.
CREATE FUNCTION @extschema@.pkt_summary_build_top(runs integer[], rows text, part integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k integer := current_setting('pktcapture.summary_top')::integer;
    me text := @extschema@.pkt_sensor();
    m bigint;
BEGIN
    WITH x AS (
        SELECT x.run_id, x.capture_time, x.ip_proto, x.packet_size, x.src_ip, x.dst_ip
        FROM @extschema@.pkt_runs r JOIN @extschema@.packets x ON x.run_id = r.run_id AND x.sensor = ''
        WHERE r.sensor = me AND r.run_id = ANY (runs)
          AND CASE rows WHEN 'all' THEN true
                        WHEN 'unsummarized' THEN x.id > r.summarized_id
                        WHEN 'summarized' THEN x.id <= r.summarized_id END
    ), ma AS (
        SELECT date_bin('1 minute', x.capture_time, @extschema@.pkt_bucket_epoch()) AS minute,
               x.run_id, d.direction, d.addr, count(*) AS p, sum(x.packet_size) AS b
        FROM x
             CROSS JOIN LATERAL (VALUES ('source', x.src_ip), ('destination', x.dst_ip))
                 AS d(direction, addr)
        GROUP BY 1, 2, 3, 4
    ), s(span) AS (VALUES ('1 minute'::interval), ('1 hour'), ('1 day')),
    sa AS (
        SELECT s.span, date_bin(s.span, ma.minute, @extschema@.pkt_bucket_epoch()) AS bucket,
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
    INSERT INTO @extschema@.pkt_summary_top (span, bucket, run_id, part, direction, other_packets,
                                 other_bytes, addrs, packets, bytes, packets_error, bytes_error)
    SELECT r.span, r.bucket, r.run_id, pkt_summary_build_top.part, r.direction,
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
    RETURN m;
END
$$;

-- Sum rows of packets into the summaries as part part of their buckets:
-- the rows of the given runs, all of them (rows 'all') or those above
-- their summarized_id ('unsummarized'), or up to it ('summarized'); the
-- protocols, then the lists of top talkers.  The runs are this server's
-- own.  Returns the summary rows written.
CREATE OR REPLACE FUNCTION @extschema@.pkt_summary_build(runs integer[], rows text, part integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    m bigint;
BEGIN
    n := @extschema@.pkt_summary_build_protocols(runs, rows, part);
    m := @extschema@.pkt_summary_build_top(runs, rows, part);
    RETURN n + m;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_summary_build_protocols(integer[], text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summary_build_top(integer[], text, integer) FROM PUBLIC;

-- The window a report reads, of whole minutes: from the minute holding
-- from_time to the end of the minute holding to_time (asked_f, asked_e);
-- before pktcapture.summary_retention, only days are summed: edges there
-- widen to whole days (f, e).
CREATE FUNCTION @extschema@.pkt_report_window(from_time timestamptz, to_time timestamptz,
    OUT f timestamptz, OUT e timestamptz, OUT asked_f timestamptz, OUT asked_e timestamptz)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH asked AS (
    SELECT @extschema@.pkt_bucket_floor(from_time, '1 minute') AS f,
           @extschema@.pkt_bucket_floor(to_time, '1 minute') + '1 minute' AS e,
           now() - nullif(current_setting('pktcapture.summary_retention')::interval, '0')
               AS kept
)
SELECT CASE WHEN a.f < a.kept THEN @extschema@.pkt_bucket_floor(a.f, '1 day') ELSE a.f END,
       CASE WHEN a.e < a.kept THEN @extschema@.pkt_bucket_ceil(a.e, '1 day') ELSE a.e END,
       a.f, a.e
FROM asked a
$$;

-- [f, e) as the fewest buckets that tile it: whole days, then whole hours
-- at its edges, then whole minutes at theirs; the buckets of span from lo
-- up to hi, each.
CREATE FUNCTION @extschema@.pkt_report_tiles(f timestamptz, e timestamptz,
    OUT span interval, OUT lo timestamptz, OUT hi timestamptz)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
WITH w AS (
    SELECT f, e,
           @extschema@.pkt_bucket_ceil(f, '1 hour') AS hf, @extschema@.pkt_bucket_floor(e, '1 hour') AS he,
           @extschema@.pkt_bucket_ceil(f, '1 day') AS df, @extschema@.pkt_bucket_floor(e, '1 day') AS de
)
SELECT '1 day'::interval, w.df, w.de FROM w
UNION ALL SELECT '1 hour', w.hf, least(w.df, w.he) FROM w
UNION ALL SELECT '1 hour', greatest(w.de, least(w.df, w.he)), w.he FROM w
UNION ALL SELECT '1 minute', w.f, least(w.hf, w.e) FROM w
UNION ALL SELECT '1 minute', greatest(w.he, least(w.hf, w.e)), w.e FROM w
$$;

-- A report's protocols: packets and bytes of each, from the summaries of
-- the buckets that tile [f, e) and from the rows not yet in them (the
-- last seconds of running captures), of the given runs (sensor, run id).
-- Each tile's buckets are read by a range scan of the primary key (a
-- join the planner could choose would read the whole table: it does not
-- know the tiles).
CREATE FUNCTION @extschema@.pkt_report_protocols(f timestamptz, e timestamptz,
    sensors text[], runs integer[], from_time timestamptz, to_time timestamptz,
    OUT ip_proto smallint, OUT packets bigint, OUT bytes bigint,
    OUT first_seen timestamptz, OUT last_seen timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT u.ip_proto, sum(u.packets)::bigint, sum(u.bytes)::bigint, min(u.first_seen), max(u.last_seen)
FROM (
    SELECT s.ip_proto, s.packets, s.bytes, s.first_seen, s.last_seen
    FROM @extschema@.pkt_report_tiles(f, e) t
         CROSS JOIN LATERAL (
             SELECT s.* FROM @extschema@.pkt_summary s
             WHERE s.span = t.span AND s.bucket >= t.lo AND s.bucket < t.hi
               AND (s.sensor, s.run_id) IN (SELECT * FROM unnest(sensors, runs))) s
    UNION ALL
    SELECT x.ip_proto, count(*), sum(x.packet_size), min(x.capture_time), max(x.capture_time)
    FROM @extschema@.pkt_unsummarized(sensors, runs, from_time, to_time) x GROUP BY x.ip_proto
) u
GROUP BY u.ip_proto
$$;

-- A report's talkers: each address each way with its packets and bytes,
-- from merging the lists of the summaries of the buckets that tile [f, e)
-- and from the rows not yet in them, of the given runs (sensor, run id).
-- An address's true packets lie in [packets - packets_error, packets],
-- bytes likewise.  Each tile's buckets are read as pkt_report_protocols
-- reads them.
CREATE FUNCTION @extschema@.pkt_report_talkers(f timestamptz, e timestamptz,
    sensors text[], runs integer[], from_time timestamptz, to_time timestamptz,
    OUT direction text, OUT addr inet, OUT packets bigint, OUT bytes bigint,
    OUT packets_error bigint, OUT bytes_error bigint)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH tail AS (
    -- rows not yet in the summaries: the last seconds of running captures
    SELECT * FROM @extschema@.pkt_unsummarized(sensors, runs, from_time, to_time)
), lists AS (
    SELECT s.direction, s.other_packets, s.other_bytes, s.addrs, s.packets, s.bytes,
           s.packets_error, s.bytes_error
    FROM @extschema@.pkt_report_tiles(f, e) t
         CROSS JOIN LATERAL (
             SELECT s.* FROM @extschema@.pkt_summary_top s
             WHERE s.span = t.span AND s.bucket >= t.lo AND s.bucket < t.hi
               AND (s.sensor, s.run_id) IN (SELECT * FROM unnest(sensors, runs))) s
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
)
SELECT n.direction, n.addr,
       sum(n.p)::bigint + o.op, sum(n.b)::bigint + o.ob,
       sum(n.pe)::bigint + o.op, sum(n.be)::bigint + o.ob
FROM entries n JOIN others o ON o.direction = n.direction
GROUP BY n.direction, n.addr, o.op, o.ob
$$;

-- A report's lines of top talkers: the top addresses each way, ranked by
-- packets and (sections *_bytes) by bytes (pkt_report_talkers), exact or
-- with their bound; o orders the sections.
CREATE FUNCTION @extschema@.pkt_report_top(f timestamptz, e timestamptz,
    sensors text[], runs integer[], from_time timestamptz, to_time timestamptz, top integer,
    OUT o integer, OUT r bigint, OUT section text, OUT item text, OUT packets bigint,
    OUT bytes bigint, OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH a AS (
    SELECT * FROM @extschema@.pkt_report_talkers(f, e, sensors, runs, from_time, to_time)
)
SELECT 3 + (a.direction = 'destination')::int + 2 * k.by_bytes::int, a.r,
       CASE a.direction WHEN 'source' THEN 'top_source' ELSE 'top_destination' END
       || CASE WHEN k.by_bytes THEN '_bytes' ELSE '' END,
       host(a.addr), a.packets, a.bytes,
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
$$;

-- A report's lines of section 'retention', what the figures stand for:
-- where the rows of the window asked, [asked_f, asked_e), were dropped
-- from packets (the figures come from the summaries), and where the
-- window was widened to [f, e) (the summaries of minutes and hours are
-- gone).
CREATE FUNCTION @extschema@.pkt_report_retention(f timestamptz, e timestamptz,
    asked_f timestamptz, asked_e timestamptz,
    OUT r bigint, OUT item text, OUT packets bigint, OUT first_seen timestamptz,
    OUT last_seen timestamptz, OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT 1::bigint, 'rows dropped', sum(d.rows)::bigint,
       greatest(min(d.range_start), asked_f), least(max(d.range_end), asked_e), true,
       'rows of this window were dropped from packets (' || string_agg(DISTINCT d.reason, ', ')
       || '): the figures come from the summaries'
FROM @extschema@.pkt_partitions d
WHERE d.dropped_at IS NOT NULL AND d.rows > 0
  AND d.range_start < asked_e AND d.range_end > asked_f
HAVING count(*) > 0
UNION ALL
SELECT 2, 'window widened', NULL, f, e, false,
       'the summaries of minutes and hours this old are gone (pktcapture.summary_retention): the figures are of whole days'
WHERE f <> asked_f OR e <> asked_e
$$;

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

REVOKE ALL ON FUNCTION @extschema@.pkt_report_window(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_tiles(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_protocols(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_talkers(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_top(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_retention(timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC;

-- Partitions attached to packets that its list lacks (emptied by hand, or
-- not restored): listed again, rather than made twice.
CREATE FUNCTION @extschema@.pkt_partitions_relist()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO @extschema@.pkt_partitions (relname, range_start, range_end)
    SELECT c.relname, bounds[1]::timestamptz, bounds[2]::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
         regexp_match(pg_get_expr(c.relpartbound, c.oid),
                      $r$FROM \('([^']*)'\) TO \('([^']*)'\)$r$) AS bounds
    WHERE i.inhparent = '@extschema@.packets'::regclass
      AND NOT EXISTS (SELECT 1 FROM @extschema@.pkt_partitions p
                      WHERE p.relname = c.relname AND p.dropped_at IS NULL)
    ON CONFLICT (relname) DO NOTHING;
END
$$;

-- The range of the partition of packets that holds t, if there is one.
CREATE FUNCTION @extschema@.pkt_partition_holding(t timestamptz,
    OUT range_start timestamptz, OUT range_end timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
SELECT p.range_start, p.range_end FROM @extschema@.pkt_partitions p
WHERE p.dropped_at IS NULL AND p.range_start <= t AND t < p.range_end
$$;

-- The range of a new partition for t: the span holding t, cut to fit
-- between the partitions there are (if the span changed).
CREATE FUNCTION @extschema@.pkt_partition_range(t timestamptz, span interval,
    OUT lo timestamptz, OUT hi timestamptz)
RETURNS record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    lo := date_bin(span, t, @extschema@.pkt_bucket_epoch());
    hi := lo + span;
    -- within the gap between the partitions there are
    SELECT greatest(lo, max(p.range_end)) INTO lo FROM @extschema@.pkt_partitions p
    WHERE p.dropped_at IS NULL AND p.range_end <= t AND p.range_end > lo;
    SELECT least(hi, min(p.range_start)) INTO hi FROM @extschema@.pkt_partitions p
    WHERE p.dropped_at IS NULL AND p.range_start > t AND p.range_start < hi;
    lo := coalesce(lo, date_bin(span, t, @extschema@.pkt_bucket_epoch()));
    hi := coalesce(hi, date_bin(span, t, @extschema@.pkt_bucket_epoch()) + span);
END
$$;

-- Make the partition nm of packets for [lo, hi): apart from packets, with
-- its keys, then attached, given packets' privileges, and listed.  A
-- partition dropped at that start keeps its record, under another name.
CREATE FUNCTION @extschema@.pkt_partition_make(nm name, lo timestamptz, hi timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.pkt_partitions
    SET relname = relname || '~' || extract(epoch FROM dropped_at)::bigint
    WHERE relname = nm AND dropped_at IS NOT NULL;
    EXECUTE format('CREATE TABLE %s.%I (LIKE @extschema@.packets INCLUDING DEFAULTS INCLUDING GENERATED '
                   'INCLUDING STORAGE INCLUDING COMPRESSION)',
                   '@extschema@', nm);
    PERFORM @extschema@.pkt_partition_indexes(nm);
    EXECUTE format('ALTER TABLE @extschema@.packets ATTACH PARTITION %s.%I FOR VALUES FROM (%L) TO (%L)',
                   '@extschema@', nm, lo, hi);
    PERFORM @extschema@.pkt_partition_grants(nm);
    INSERT INTO @extschema@.pkt_partitions (relname, range_start, range_end) VALUES (nm, lo, hi);
END
$$;

-- Make the partitions holding the given times, of pktcapture.partition_span
-- each (cut to fit between the partitions there are, if the span changed),
-- up to pktcapture.max_partitions.  A partition is made apart from packets
-- and attached, which locks packets in SHARE UPDATE EXCLUSIVE mode only
-- (inserts and queries go on).  Returns the ranges of the times' partitions.
CREATE OR REPLACE FUNCTION @extschema@.pkt_partition_create(times timestamptz[],
    OUT range_start timestamptz, OUT range_end timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
    maxp integer := current_setting('pktcapture.max_partitions')::integer;
    t timestamptz;
    lo timestamptz;
    hi timestamptz;
    have integer;
BEGIN
    PERFORM @extschema@.pkt_partitions_relist();
    SELECT count(*) INTO have FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL;
    FOR t IN SELECT DISTINCT x FROM unnest(times) AS u(x) ORDER BY 1 LOOP
        SELECT h.range_start, h.range_end INTO lo, hi FROM @extschema@.pkt_partition_holding(t) h;
        IF NOT FOUND THEN
            IF have >= maxp THEN
                CONTINUE;   -- the writer counts those rows as not stored
            END IF;
            -- one maker at a time; another may have made it meanwhile
            PERFORM pg_advisory_xact_lock(hashtext('pktcapture partitions'));
            SELECT h.range_start, h.range_end INTO lo, hi FROM @extschema@.pkt_partition_holding(t) h;
            IF NOT FOUND THEN
                SELECT g.lo, g.hi INTO lo, hi FROM @extschema@.pkt_partition_range(t, span) g;
                PERFORM @extschema@.pkt_partition_make(@extschema@.pkt_partition_name(lo), lo, hi);
                have := have + 1;
            END IF;
        END IF;
        range_start := lo; range_end := hi;
        RETURN NEXT;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_partitions_relist() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_holding(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_range(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_make(name, timestamptz, timestamptz) FROM PUBLIC;

-- dblink's connection conn (dblink in schema ds) to a sensor, made again
-- if it is left over, within the deadline of seconds: the deadline for
-- the connection too, in either form of the string.
CREATE FUNCTION @extschema@.pkt_hub_connect(ds name, conn text, conninfo text, seconds integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('SELECT %I.dblink_disconnect($1) FROM %I.dblink_get_connections() c
                    WHERE $1 = ANY (c)', ds, ds) USING conn;
    EXECUTE format('SELECT %I.dblink_connect($1, $2)', ds)
        USING conn, CASE WHEN conninfo ~ '^postgres(ql)?://'
                         THEN conninfo || CASE WHEN strpos(conninfo, '?') > 0 THEN '&' ELSE '?' END
                              || 'connect_timeout=' || seconds
                         ELSE format('connect_timeout=%s ', seconds) || conninfo END;
END
$$;

-- Wait until dblink's connection conn (dblink in schema ds) has a result
-- to read; an error past the deadline (of seconds, said in the message).
CREATE FUNCTION @extschema@.pkt_hub_wait(ds name, conn text, deadline timestamptz, seconds integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    busy integer;
BEGIN
    LOOP
        EXECUTE format('SELECT %I.dblink_is_busy($1)', ds) INTO busy USING conn;
        EXIT WHEN busy = 0;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the sensor did not answer within % s', seconds
                USING ERRCODE = 'connection_exception';
        END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
END
$$;

-- One query at a sensor, through dblink, answered as text (JSON) within a
-- deadline: a sensor that accepts and never answers costs the hub those
-- seconds, not its rounds (dblink's own calls wait without bound).  The
-- query names the sensor's objects unqualified: it runs with the schema
-- of the sensor's pktcapture first in its search_path.
CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_ask(conninfo text, query text, seconds integer DEFAULT 10)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ds name := @extschema@.pkt_hub_dblink();
    conn text := 'pktcapture_hub_ask';
    deadline timestamptz := clock_timestamp() + seconds * interval '1 second';
    got integer;
    x text;
    q text;
BEGIN
    PERFORM @extschema@.pkt_hub_connect(ds, conn, conninfo, seconds);
    BEGIN
        FOREACH q IN ARRAY ARRAY[
            $s$SELECT pg_catalog.set_config('search_path',
                   coalesce((SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e
                             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                             WHERE e.extname = 'pktcapture') || ', ', '') || 'pg_catalog', false)$s$,
            query]
        LOOP
            EXECUTE format('SELECT %I.dblink_send_query($1, $2)', ds) USING conn, q;
            -- each result, then the empty one that ends them, waited for
            LOOP
                PERFORM @extschema@.pkt_hub_wait(ds, conn, deadline, seconds);
                got := 0;
                FOR x IN EXECUTE format('SELECT t.x FROM %I.dblink_get_result($1) AS t(x text)', ds)
                    USING conn
                LOOP
                    got := got + 1;
                    IF q = query THEN
                        RETURN NEXT x;
                    END IF;
                END LOOP;
                EXIT WHEN got = 0;
            END LOOP;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        EXECUTE format('SELECT %I.dblink_disconnect($1)', ds) USING conn;
        RAISE;
    END;
    EXECUTE format('SELECT %I.dblink_disconnect($1)', ds) USING conn;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_hub_connect(name, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_wait(name, text, timestamptz, integer) FROM PUBLIC;

-- pkt_hub_add's arguments: a sensor name as pktcapture.sensor takes it,
-- not this server's own, not added already; a password in the connection
-- string is warned of.
CREATE FUNCTION @extschema@.pkt_hub_add_check(sensor text, conninfo text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.pkt_sensor_name_check(sensor);
    IF sensor = @extschema@.pkt_sensor() THEN
        RAISE EXCEPTION 'sensor "%" is this server''s own name', sensor
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give each server its own pktcapture.sensor.';
    END IF;
    -- a password here is kept in the subscription and was in this statement
    IF conninfo ~* '(^|\s)password\s*=' OR conninfo ~* '^postgres(ql)?://[^/@]*:[^/@]*@' THEN
        RAISE WARNING 'the connection string of sensor "%" holds a password', sensor
            USING DETAIL = 'It is kept in pg_subscription, and this statement may reach pg_stat_activity and the server log.',
                  HINT = 'Put the password in the hub''s ~postgres/.pgpass (or use certificates) and leave it out of the connection string.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.pkt_hub_sensors s WHERE s.sensor = pkt_hub_add_check.sensor) THEN
        RAISE EXCEPTION 'sensor "%" is already added to this hub', sensor
            USING ERRCODE = 'duplicate_object',
                  HINT = format('SELECT pkt_hub_remove(%L) first to add it again.', sensor);
    END IF;
END
$$;

-- What a hub asks a sensor before it adds it: its pktcapture's version,
-- its pktcapture.sensor, its wal_level and its system identifier.  A
-- sensor out of reach is an error that says what to check.
CREATE FUNCTION @extschema@.pkt_hub_sensor_facts(sensor text, conninfo text,
    OUT version text, OUT name text, OUT wal_level text, OUT sysid bigint)
RETURNS record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT a.j->>'version', a.j->>'name', a.j->>'wal_level', (a.j->>'sysid')::bigint
    INTO version, name, wal_level, sysid
    FROM (SELECT x::jsonb AS j FROM @extschema@.pkt_hub_ask(conninfo,
          $r$SELECT json_build_object(
                    'version', (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'),
                    'name', current_setting('pktcapture.sensor', true),
                    'wal_level', current_setting('wal_level'),
                    'sysid', (pg_control_system()).system_identifier)$r$) AS x) a;
EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception THEN
    RAISE EXCEPTION 'could not connect to sensor "%": %', sensor, SQLERRM
        USING ERRCODE = 'connection_exception',
              HINT = 'Check the connection string (host, port, dbname, user, password) and that the sensor accepts connections from this hub (pg_hba.conf: a line for the database; logical replication needs no replication line).';
END
$$;

-- A sensor a hub may add, by what it answered (pkt_hub_sensor_facts):
-- pktcapture of the hub's version, the name it is added under, a server
-- not added already nor the hub itself, wal_level logical.
CREATE FUNCTION @extschema@.pkt_hub_sensor_verify(sensor text, remote_version text,
    remote_name text, remote_wal_level text, remote_sysid bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF remote_version IS NULL THEN
        RAISE EXCEPTION 'the database at that connection string has no pktcapture'
            USING ERRCODE = 'undefined_object',
                  HINT = 'Connect to the sensor''s database that holds the capture (dbname=...), where CREATE EXTENSION pktcapture was run.';
    END IF;
    IF remote_version <> (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture') THEN
        RAISE EXCEPTION 'sensor "%" has pktcapture %, this hub %', sensor, remote_version,
            (SELECT extversion FROM pg_extension WHERE extname = 'pktcapture')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Install the same version on both, then ALTER EXTENSION pktcapture UPDATE on each.';
    END IF;
    IF remote_name IS DISTINCT FROM sensor THEN
        RAISE EXCEPTION 'the server at that connection string is sensor "%", not "%"', remote_name, sensor
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Add it under its own name, pkt_hub_add(%L, ...), or set pktcapture.sensor there.', remote_name);
    END IF;
    SELECT s.sensor INTO r FROM @extschema@.pkt_hub_sensors s WHERE s.system_identifier = remote_sysid;
    IF FOUND THEN
        RAISE EXCEPTION 'the server at that connection string is already added as sensor "%"', r.sensor
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Two sensors must be two servers: set a distinct pktcapture.sensor on each.';
    END IF;
    IF remote_sysid = (pg_control_system()).system_identifier THEN
        RAISE EXCEPTION 'that connection string leads back to this hub'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF remote_wal_level <> 'logical' THEN
        RAISE EXCEPTION 'sensor "%" has wal_level = %, a hub needs logical', sensor, remote_wal_level
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'On the sensor: ALTER SYSTEM SET wal_level = logical; then restart it (see docs/hub.md of pktcapture).';
    END IF;
END
$$;

-- At a sensor, what a hub's subscription to it needs: its publications
-- (pkt_sensor_publish) and the hub's replication slot.
CREATE FUNCTION @extschema@.pkt_hub_sensor_prepare(conninfo text, slot name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.pkt_hub_ask(conninfo, 'SELECT to_json(pkt_sensor_publish())');
    PERFORM @extschema@.pkt_hub_ask(conninfo,
        format($q$SELECT to_json(pg_create_logical_replication_slot(%L, 'pgoutput')::text)
            WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %L)$q$, slot, slot));
END
$$;

-- At a hub, the partitions of a sensor's rows in place, of the hub's span,
-- made before their copy (the sensor's first partition after an update
-- from 1.1 starts at -infinity: from its oldest row); more than
-- pktcapture.max_partitions of them is an error.
CREATE FUNCTION @extschema@.pkt_hub_sensor_partitions(sensor text, conninfo text, span interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT (x::jsonb->>'lo')::timestamptz AS lo, (x::jsonb->>'hi')::timestamptz AS hi
             FROM @extschema@.pkt_hub_ask(conninfo, $q$
            SELECT json_build_object('lo', lo, 'hi', range_end) FROM (
                SELECT CASE WHEN p.range_start > '-infinity' THEN p.range_start
                            ELSE (SELECT min(x.capture_time) FROM packets x
                                  WHERE x.capture_time < p.range_end) END AS lo, p.range_end
                FROM pkt_partitions p WHERE p.dropped_at IS NULL) s
            WHERE lo IS NOT NULL$q$) AS x
    LOOP
        IF extract(epoch FROM r.hi - date_bin(span, r.lo, @extschema@.pkt_bucket_epoch())) / extract(epoch FROM span)
           > current_setting('pktcapture.max_partitions')::integer THEN
            RAISE EXCEPTION 'the rows of sensor "%" from % to % would take more than pktcapture.max_partitions (%) partitions of %',
                sensor, r.lo, r.hi, current_setting('pktcapture.max_partitions'), span
                USING ERRCODE = 'program_limit_exceeded',
                      HINT = 'Give the hub a longer pktcapture.partition_span.';
        END IF;
        PERFORM @extschema@.pkt_partition_create(ARRAY(
            SELECT t FROM generate_series(date_bin(span, r.lo, @extschema@.pkt_bucket_epoch()),
                                          r.hi - interval '1 microsecond', span) AS g(t)));
    END LOOP;
END
$$;

-- Start receiving a sensor's rows: existing rows first (a table copy), then
-- new ones as they commit.  The arguments checked, the sensor asked and
-- checked, its publications and slot made, the hub's tables prepared, the
-- partitions of the sensor's rows made; then the subscription, the
-- sensor's record, and the hub's worker.
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
    EXECUTE format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION pktcapture_rows, pktcapture_ledger '
                   'WITH (create_slot = false, slot_name = %L, copy_data = true, binary = true)', sub, conninfo, slot);
    INSERT INTO @extschema@.pkt_hub_sensors (sensor, subscription, slot, system_identifier)
    VALUES (sensor, sub, slot, remote.sysid);
    -- its worker waits for this transaction (pkt_hub_sensors is locked)
    PERFORM @extschema@.pkt_hub_start();
    RETURN format('sensor %s added: its rows are copied, then follow as it captures', sensor);
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_hub_add_check(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_facts(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_verify(text, text, text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_prepare(text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_partitions(text, text, interval) FROM PUBLIC;

-- A sensor's subscription as the hub sees it: its state ('no
-- subscription', 'held by the disk guard', 'disabled', 'copying', 'not
-- connected' or 'streaming') and what went wrong, if anything.
CREATE FUNCTION @extschema@.pkt_hub_sensor_state(subscription name, held_at timestamptz,
    OUT state text, OUT last_error text)
RETURNS record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l record;
BEGIN
    SELECT sub.subenabled,
           (SELECT st.pid FROM pg_stat_subscription st
            WHERE st.subid = sub.oid AND st.relid IS NULL) AS pid,
           (SELECT count(*) FROM pg_subscription_rel sr
            WHERE sr.srsubid = sub.oid AND sr.srsubstate <> 'r') AS copying,
           (SELECT ss.apply_error_count + ss.sync_error_count FROM pg_stat_subscription_stats ss
            WHERE ss.subid = sub.oid) AS errors
    INTO l FROM pg_subscription sub WHERE sub.subname = pkt_hub_sensor_state.subscription;
    state := CASE WHEN l IS NULL THEN 'no subscription'
                  WHEN held_at IS NOT NULL THEN 'held by the disk guard'
                  WHEN NOT l.subenabled THEN 'disabled'
                  WHEN l.copying > 0 THEN 'copying'
                  WHEN l.pid IS NULL THEN 'not connected'
                  ELSE 'streaming' END;
    IF held_at IS NOT NULL THEN
        last_error := format('the hub''s disk guard stopped receiving at %s (free space below pktcapture.min_free_space); the sensor keeps the rows meanwhile, up to its max_slot_wal_keep_size', held_at);
    ELSIF coalesce(l.errors, 0) > 0 AND state <> 'streaming' THEN
        last_error := format('%s errors of its replication since the statistics were reset: the server log has them', l.errors);
    END IF;
END
$$;

-- What a sensor says of the hub's replication slot there: how far behind
-- the hub is, and, if the slot is gone or lost, the rows of the sensor's
-- ledger that never came (rows_missed).  state and last_error are the
-- subscription's (pkt_hub_sensor_state), changed by what the sensor says,
-- or that it cannot be reached.
CREATE FUNCTION @extschema@.pkt_hub_sensor_slot(sensor text, conninfo text, subscription name,
    slot name, INOUT state text, INOUT last_error text,
    OUT lag_bytes bigint, OUT lag_seconds double precision, OUT rows_missed bigint)
RETURNS record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    here bigint;
BEGIN
    rows_missed := 0;
    SELECT coalesce(sum(x.rows_stored), 0) INTO here FROM @extschema@.pkt_runs x
    WHERE x.sensor = pkt_hub_sensor_slot.sensor;
    BEGIN
        SELECT a.j->>'wal_status' AS wal_status, (a.j->>'lag_bytes')::bigint AS lag_bytes,
               (a.j->>'lag_seconds')::float8 AS lag_seconds, (a.j->>'stored')::bigint AS stored
        INTO r
        FROM (SELECT x::jsonb AS j FROM @extschema@.pkt_hub_ask(conninfo, format($q$
            SELECT json_build_object('wal_status', sl.wal_status,
                   'lag_bytes', (pg_current_wal_lsn() - coalesce(sl.confirmed_flush_lsn, sl.restart_lsn))::bigint,
                   'lag_seconds', (SELECT extract(epoch FROM coalesce(st.replay_lag, interval '0'))
                                   FROM pg_stat_replication st WHERE st.application_name = %L),
                   'stored', (SELECT coalesce(sum(rows_stored), 0) FROM pkt_runs
                              WHERE sensor = current_setting('pktcapture.sensor'))::bigint)
            FROM (SELECT 1) one LEFT JOIN pg_replication_slots sl ON sl.slot_name = %L$q$,
            subscription, slot), 5) AS x) a;
        lag_bytes := r.lag_bytes;
        lag_seconds := CASE WHEN r.lag_bytes = 0 THEN 0 ELSE r.lag_seconds END;
        IF r.wal_status IS NULL THEN
            state := 'slot gone';
            rows_missed := greatest(r.stored - here, 0);
            last_error := format('the replication slot %s is gone from the sensor: %s rows of its ledger never came', slot, rows_missed);
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
END
$$;

-- One row per sensor: how its subscription does, how far behind it is,
-- its newest row here, and what the hub missed if its slot was lost
-- (rows_missed: rows the sensor's ledger says it stored that never came).
-- pkt_hub_check() is what the hub's worker looks at once a minute;
-- pkt_hub_status() is the same, with a warning for each sensor lost.
CREATE OR REPLACE FUNCTION @extschema@.pkt_hub_check(
    OUT sensor text, OUT state text, OUT lag_bytes bigint, OUT lag_seconds double precision,
    OUT newest_row timestamptz, OUT rows_missed bigint, OUT last_error text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT h.*, sub.subconninfo AS conninfo
             FROM @extschema@.pkt_hub_sensors h LEFT JOIN pg_subscription sub ON sub.subname = h.subscription
             ORDER BY 1 LOOP
        sensor := s.sensor;
        SELECT p.capture_time INTO newest_row FROM @extschema@.packets p
        WHERE p.sensor = s.sensor ORDER BY p.sensor DESC, p.id DESC LIMIT 1;
        SELECT x.state, x.last_error INTO state, last_error
        FROM @extschema@.pkt_hub_sensor_state(s.subscription, s.held_at) x;
        SELECT x.state, x.last_error, x.lag_bytes, x.lag_seconds, x.rows_missed
        INTO state, last_error, lag_bytes, lag_seconds, rows_missed
        FROM @extschema@.pkt_hub_sensor_slot(s.sensor, s.conninfo, s.subscription, s.slot,
                                             state, last_error) x;
        RETURN NEXT;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_state(name, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_slot(text, text, name, name, text, text) FROM PUBLIC;

-- Its hint names the documentation where the README was.
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
    RETURN @extschema@.pkt_sensor();
END
$$;

-- nothing new is executable by PUBLIC: the extension's functions call them
REVOKE ALL ON FUNCTION @extschema@.pkt_bucket_epoch() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_protocol_label(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_sensor_name_check(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_lost(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_healthy(text) FROM PUBLIC;
