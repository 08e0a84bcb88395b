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
AS $function$
SELECT state OPERATOR(pg_catalog.=) ANY (ARRAY['lost', 'slot gone'])
$function$
;

CREATE FUNCTION @extschema@.pkt_hub_state_healthy(state text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
SELECT state OPERATOR(pg_catalog.=) ANY (ARRAY['streaming', 'copying'])
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

CREATE OR REPLACE FUNCTION @extschema@.pkt_summary_build(runs integer[], rows text, part integer)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k integer := current_setting('pktcapture.summary_top')::integer;
    me text := @extschema@.pkt_sensor();
    n bigint;
    m bigint;
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
           pkt_summary_build.part, mp.ip_proto, sum(mp.p), sum(mp.b), min(mp.f), max(mp.l)
    FROM mp CROSS JOIN s
    GROUP BY 1, 2, 3, 5;
    GET DIAGNOSTICS n = ROW_COUNT;

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
$function$
;

CREATE OR REPLACE FUNCTION @extschema@.pkt_partition_create(times timestamp with time zone[], OUT range_start timestamp with time zone, OUT range_end timestamp with time zone)
 RETURNS SETOF record
 LANGUAGE plpgsql
 SET search_path = pg_catalog, pg_temp
AS $function$
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
    INSERT INTO @extschema@.pkt_partitions (relname, range_start, range_end)
    SELECT c.relname, bounds[1]::timestamptz, bounds[2]::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
         regexp_match(pg_get_expr(c.relpartbound, c.oid),
                      $r$FROM \('([^']*)'\) TO \('([^']*)'\)$r$) AS bounds
    WHERE i.inhparent = '@extschema@.packets'::regclass
      AND NOT EXISTS (SELECT 1 FROM @extschema@.pkt_partitions p
                      WHERE p.relname = c.relname AND p.dropped_at IS NULL)
    ON CONFLICT (relname) DO NOTHING;
    SELECT count(*) INTO have FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL;
    FOR t IN SELECT DISTINCT x FROM unnest(times) AS u(x) ORDER BY 1 LOOP
        SELECT p.range_start, p.range_end INTO lo, hi FROM @extschema@.pkt_partitions p
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
        SELECT p.range_start, p.range_end INTO lo, hi FROM @extschema@.pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_start <= t AND t < p.range_end;
        IF FOUND THEN
            range_start := lo; range_end := hi;
            RETURN NEXT;
            CONTINUE;
        END IF;
        lo := date_bin(span, t, @extschema@.pkt_bucket_epoch());
        hi := lo + span;
        -- within the gap between the partitions there are
        SELECT greatest(lo, max(p.range_end)) INTO lo FROM @extschema@.pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_end <= t AND p.range_end > lo;
        SELECT least(hi, min(p.range_start)) INTO hi FROM @extschema@.pkt_partitions p
        WHERE p.dropped_at IS NULL AND p.range_start > t AND p.range_start < hi;
        lo := coalesce(lo, date_bin(span, t, @extschema@.pkt_bucket_epoch()));
        hi := coalesce(hi, date_bin(span, t, @extschema@.pkt_bucket_epoch()) + span);
        nm := @extschema@.pkt_partition_name(lo);
        -- a partition dropped at that start keeps its record, under another name
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
        have := have + 1;
        range_start := lo; range_end := hi;
        RETURN NEXT;
    END LOOP;
END
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

-- The protocol's label from the library.
CREATE OR REPLACE FUNCTION @extschema@.pkt_report_between(from_time timestamp with time zone, to_time timestamp with time zone, top integer DEFAULT 5, interface text DEFAULT NULL::text, sensor text DEFAULT NULL::text, OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint, OUT share double precision, OUT first_seen timestamp with time zone, OUT last_seen timestamp with time zone, OUT exact boolean, OUT note text)
 RETURNS SETOF record
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path = pg_catalog, pg_temp
AS $function$
WITH asked AS (
    SELECT @extschema@.pkt_bucket_floor(from_time, '1 minute') AS f,
           @extschema@.pkt_bucket_floor(to_time, '1 minute') + '1 minute' AS e,
           now() - nullif(current_setting('pktcapture.summary_retention')::interval, '0')
               AS kept
), x AS (
    -- before pktcapture.summary_retention, only days are summed: edges there
    -- widen to whole days
    SELECT CASE WHEN a.f < a.kept THEN @extschema@.pkt_bucket_floor(a.f, '1 day') ELSE a.f END AS f,
           CASE WHEN a.e < a.kept THEN @extschema@.pkt_bucket_ceil(a.e, '1 day') ELSE a.e END AS e,
           a.f AS asked_f, a.e AS asked_e
    FROM asked a
), w AS (
    SELECT x.f, x.e, x.asked_f, x.asked_e,
           @extschema@.pkt_bucket_ceil(x.f, '1 hour') AS hf, @extschema@.pkt_bucket_floor(x.e, '1 hour') AS he,
           @extschema@.pkt_bucket_ceil(x.f, '1 day') AS df, @extschema@.pkt_bucket_floor(x.e, '1 day') AS de
    FROM x
), tiles AS (
    -- [f, e) as whole days, whole hours, whole minutes
    SELECT '1 day'::interval AS span, w.df AS lo, w.de AS hi FROM w
    UNION ALL SELECT '1 hour', w.hf, least(w.df, w.he) FROM w
    UNION ALL SELECT '1 hour', greatest(w.de, least(w.df, w.he)), w.he FROM w
    UNION ALL SELECT '1 minute', w.f, least(w.hf, w.e) FROM w
    UNION ALL SELECT '1 minute', greatest(w.he, least(w.hf, w.e)), w.e FROM w
), runs AS (
    SELECT r.sensor, r.run_id FROM @extschema@.pkt_runs r
    WHERE (pkt_report_between.interface IS NULL OR r.source = pkt_report_between.interface)
      AND (pkt_report_between.sensor IS NULL OR r.sensor = pkt_report_between.sensor)
), tail AS (
    -- rows not yet in the summaries: the last seconds of running captures
    SELECT * FROM @extschema@.pkt_unsummarized(ARRAY(SELECT sensor FROM runs ORDER BY sensor, run_id),
                                   ARRAY(SELECT run_id FROM runs ORDER BY sensor, run_id),
                                   from_time, to_time)
), p AS (
    SELECT u.ip_proto, sum(u.packets)::bigint AS packets, sum(u.bytes)::bigint AS bytes,
           min(u.first_seen) AS first_seen, max(u.last_seen) AS last_seen
    FROM (
        SELECT s.ip_proto, s.packets, s.bytes, s.first_seen, s.last_seen
        FROM tiles t JOIN @extschema@.pkt_summary s
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
    FROM tiles t JOIN @extschema@.pkt_summary_top s
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
           @extschema@.pkt_protocol_label(p.ip_proto),
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
    FROM @extschema@.pkt_partitions d, w
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

-- nothing new is executable by PUBLIC: the extension's functions call them
REVOKE ALL ON FUNCTION @extschema@.pkt_bucket_epoch() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_protocol_label(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_sensor_name_check(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_lost(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_healthy(text) FROM PUBLIC;
