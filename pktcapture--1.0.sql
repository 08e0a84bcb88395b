/* pktcapture--1.0.sql: the packets table and the SQL interface */

\echo Use "CREATE EXTENSION pktcapture" to load this file. \quit

-- One row per IP packet.  The first six columns are the original
-- program's; the rest are what an analyst asks next.  See README
-- "What is stored" for the rules.
CREATE TABLE packets (
    id            bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY,
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
    run_id        integer                 -- the capture or load: pkt_runs
);

COMMENT ON TABLE packets IS 'One row per captured IP packet (pktcapture)';

-- Time windows are the common question; BRIN costs little per insert.
CREATE INDEX packets_capture_time_idx ON packets USING brin (capture_time);

-- One row per capture or load, kept up to date in the transactions that
-- write its rows: proof afterwards of what was and was not stored.
CREATE TABLE pkt_runs (
    run_id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('live', 'file')),
    source            text        NOT NULL,   -- interface or file path
    filter            text,
    started_at        timestamptz NOT NULL,
    stopped_at        timestamptz,
    state             text        NOT NULL
                      CHECK (state IN ('running', 'stopped', 'failed', 'interrupted')),
    frames            bigint      NOT NULL DEFAULT 0,
    packets           bigint      NOT NULL DEFAULT 0,
    bytes             bigint      NOT NULL DEFAULT 0,
    rows_stored       bigint      NOT NULL DEFAULT 0,
    kernel_dropped    bigint      NOT NULL DEFAULT 0,
    interface_dropped bigint      NOT NULL DEFAULT 0,
    truncated         bigint      NOT NULL DEFAULT 0,
    malformed         bigint      NOT NULL DEFAULT 0,
    unsupported       bigint      NOT NULL DEFAULT 0,
    not_ip            bigint      NOT NULL DEFAULT 0,
    not_stored        bigint      NOT NULL DEFAULT 0,
    error             text,
    -- Rows of the run with a larger id are not yet in pkt_summary and
    -- pkt_summary_addr (pkt_report reads them from packets); NULL when
    -- every row is.
    summarized_id     bigint
);

COMMENT ON TABLE pkt_runs IS 'Ledger of pktcapture captures and loads';

-- Per-minute summaries behind pkt_report(), written in the transactions
-- that write the rows they sum, so they never disagree with packets.
CREATE TABLE pkt_summary (
    minute      timestamptz NOT NULL,   -- start of the minute (UTC-aligned)
    run_id      integer     NOT NULL,
    ip_proto    smallint    NOT NULL,
    packets     bigint      NOT NULL,
    bytes       bigint      NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (minute, run_id, ip_proto)
);

-- One row per address seen in a minute of a run, both directions in one
-- row: an address that sends usually receives too.
CREATE TABLE pkt_summary_addr (
    minute      timestamptz NOT NULL,
    run_id      integer     NOT NULL,
    addr        inet        NOT NULL,
    src_packets bigint      NOT NULL,   -- packets from addr
    src_bytes   bigint      NOT NULL,
    dst_packets bigint      NOT NULL,   -- packets to addr
    dst_bytes   bigint      NOT NULL,
    PRIMARY KEY (minute, run_id, addr)
);

COMMENT ON TABLE pkt_summary IS 'pktcapture: packets and bytes per minute, run and protocol';
COMMENT ON TABLE pkt_summary_addr IS 'pktcapture: packets and bytes per minute, run and address';

-- Captured rows are user data: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('packets', '');
SELECT pg_catalog.pg_extension_config_dump('packets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_runs', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_summary', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_summary_addr', '');

-- How the writer hands a batch to its INSERT statement (see pkt_store.c):
-- one column of the batch this backend is writing, named by a random
-- token; called with anything else they raise an error.
CREATE FUNCTION pkt_batch_timestamptz(bigint, integer) RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_inet(bigint, integer) RETURNS SETOF inet
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_int2(bigint, integer) RETURNS SETOF smallint
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_int4(bigint, integer) RETURNS SETOF integer
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_int8(bigint, integer) RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION pkt_batch_text(bigint, integer) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;

CREATE FUNCTION pkt_start(interface text, filter text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_start'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pkt_start(text, text) IS
'Start capturing on an interface (or "any") into packets; returns the worker PID';

CREATE FUNCTION pkt_stop(interface text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_stop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pkt_stop(text) IS
'Stop the capture on an interface, or all; returns once every row is written';

CREATE FUNCTION pkt_stats(interface text DEFAULT NULL,
    OUT capture text, OUT section text, OUT item text,
    OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT note text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 40;

COMMENT ON FUNCTION pkt_stats(text) IS
'Statistics of the running or last capture: totals, protocols, top talkers, losses';

CREATE FUNCTION pkt_status(
    OUT run_id integer, OUT interface text, OUT kind text, OUT filter text, OUT pid integer,
    OUT state text, OUT started_at timestamptz, OUT stopped_at timestamptz,
    OUT frames bigint, OUT packets bigint, OUT bytes bigint,
    OUT rows_stored bigint, OUT rows_pending bigint,
    OUT kernel_dropped bigint, OUT interface_dropped bigint,
    OUT truncated bigint, OUT malformed bigint, OUT unsupported bigint,
    OUT not_ip bigint, OUT not_stored bigint, OUT ports_truncated bigint,
    OUT last_batch_at timestamptz, OUT last_batch_ms double precision,
    OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_status'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;

COMMENT ON FUNCTION pkt_status() IS
'One row per capture or load, running or ended, with every counter';

CREATE FUNCTION pkt_interfaces(
    OUT name text, OUT description text, OUT addresses inet[], OUT flags text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_interfaces'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;

COMMENT ON FUNCTION pkt_interfaces() IS
'The interfaces libpcap can capture on, with their addresses and flags';

CREATE FUNCTION pkt_load(path text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pkt_load(text) IS
'Load a pcap or pcapng file into packets; returns the rows stored';

-- The rows of the given runs that are not yet in the summaries (above
-- their summarized_id), in a window of whole minutes as pkt_report's.
-- Each run's rows are read by a range scan of the primary key planned
-- with its summarized_id known (EXECUTE), not guessed.
CREATE FUNCTION pkt_unsummarized(runs integer[], from_time timestamptz, to_time timestamptz,
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
    FOR r IN SELECT run_id, summarized_id FROM pkt_runs
             WHERE run_id = ANY (runs) AND summarized_id IS NOT NULL
    LOOP
        RETURN QUERY EXECUTE
            'SELECT x.ip_proto, x.src_ip, x.dst_ip, x.packet_size, x.capture_time
             FROM packets x
             WHERE x.id > $1 AND x.run_id = $2
               AND x.capture_time >= date_bin(''1 minute'', $3, ''2000-01-01 00:00:00+00'')
               AND date_bin(''1 minute'', x.capture_time, ''2000-01-01 00:00:00+00'') <= $4'
            USING r.summarized_id, r.run_id, from_time, to_time;
    END LOOP;
END
$$;

-- Reports over what is stored, from the per-minute summaries: the same
-- figures as pkt_stats(), over a window of whole minutes (from_time is
-- rounded down to its minute, the minute holding to_time is included).
CREATE FUNCTION pkt_report_between(from_time timestamptz, to_time timestamptz,
    top integer DEFAULT 5, interface text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
-- aggregates only, for pg_monitor too, which may not read packets itself
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
WITH runs AS (
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
        FROM pkt_summary s
        WHERE s.minute >= date_bin('1 minute', from_time, '2000-01-01 00:00:00+00')
          AND s.minute <= to_time
          AND s.run_id IN (SELECT run_id FROM runs)
        UNION ALL
        SELECT x.ip_proto, count(*), sum(x.packet_size), min(x.capture_time), max(x.capture_time)
        FROM tail x GROUP BY x.ip_proto
    ) u
    GROUP BY u.ip_proto
), t AS (
    SELECT sum(p.packets)::bigint AS packets, sum(p.bytes)::bigint AS bytes,
           min(p.first_seen) AS first_seen, max(p.last_seen) AS last_seen
    FROM p
), s AS (
    SELECT u.addr, sum(u.src_packets)::bigint AS src_packets, sum(u.src_bytes)::bigint AS src_bytes,
           sum(u.dst_packets)::bigint AS dst_packets, sum(u.dst_bytes)::bigint AS dst_bytes
    FROM (
        SELECT s.addr, s.src_packets, s.src_bytes, s.dst_packets, s.dst_bytes
        FROM pkt_summary_addr s
        WHERE s.minute >= date_bin('1 minute', from_time, '2000-01-01 00:00:00+00')
          AND s.minute <= to_time
          AND s.run_id IN (SELECT run_id FROM runs)
        UNION ALL
        SELECT x.src_ip, 1, x.packet_size, 0, 0 FROM tail x
        UNION ALL
        SELECT x.dst_ip, 0, 0, 1, x.packet_size FROM tail x
    ) u
    GROUP BY u.addr
), a AS (
    SELECT 's'::text AS direction, s.addr, s.src_packets AS packets, s.src_bytes AS bytes
    FROM s WHERE s.src_packets > 0
    UNION ALL
    SELECT 'd', s.addr, s.dst_packets, s.dst_bytes
    FROM s WHERE s.dst_packets > 0
), lines AS (
    SELECT 1 AS o, 0::bigint AS r, 'total'::text AS section, 'packets'::text AS item,
           t.packets, t.bytes, t.first_seen, t.last_seen
    FROM t WHERE t.packets IS NOT NULL
    UNION ALL
    SELECT 2, row_number() OVER (ORDER BY p.packets DESC, p.ip_proto), 'protocol',
           CASE p.ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' ELSE p.ip_proto::text END,
           p.packets, p.bytes, p.first_seen, p.last_seen
    FROM p
    UNION ALL
    -- top talkers each way, ranked by packets and (sections *_bytes) by bytes
    SELECT 3 + (a.direction = 'd')::int + 2 * k.by_bytes::int, a.r,
           CASE a.direction WHEN 's' THEN 'top_source' ELSE 'top_destination' END
           || CASE WHEN k.by_bytes THEN '_bytes' ELSE '' END,
           host(a.addr), a.packets, a.bytes, NULL, NULL
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
       l.first_seen, l.last_seen
FROM lines l, t
ORDER BY l.o, l.r
$$;

COMMENT ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) IS
'Totals, protocols and top talkers of what is stored, over a window of whole minutes';

CREATE FUNCTION pkt_report(since interval DEFAULT '1 hour', top integer DEFAULT 5,
    interface text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT * FROM pkt_report_between(now() - since, 'infinity', top, interface)
$$;

COMMENT ON FUNCTION pkt_report(interval, integer, text) IS
'Totals, protocols and top talkers of what was stored in the last interval';

-- Sum rows of packets into the summaries (upserted), as the writer does:
-- the rows of the given runs, all of them (part 'all') or those above
-- their summarized_id ('unsummarized') or up to it ('summarized').
CREATE FUNCTION pkt_summary_add(runs integer[], part text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    m bigint;
BEGIN
    INSERT INTO pkt_summary AS s (minute, run_id, ip_proto, packets, bytes, first_seen, last_seen)
    SELECT date_bin('1 minute', x.capture_time, '2000-01-01 00:00:00+00'), x.run_id, x.ip_proto,
           count(*), sum(x.packet_size), min(x.capture_time), max(x.capture_time)
    FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id
    WHERE r.run_id = ANY (runs)
      AND CASE part WHEN 'all' THEN true
                    WHEN 'unsummarized' THEN x.id > r.summarized_id
                    WHEN 'summarized' THEN x.id <= r.summarized_id END
    GROUP BY 1, 2, 3
    ON CONFLICT (minute, run_id, ip_proto) DO UPDATE SET
        packets = s.packets + excluded.packets, bytes = s.bytes + excluded.bytes,
        first_seen = least(s.first_seen, excluded.first_seen),
        last_seen = greatest(s.last_seen, excluded.last_seen);
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO pkt_summary_addr AS s (minute, run_id, addr, src_packets, src_bytes,
                                       dst_packets, dst_bytes)
    SELECT date_bin('1 minute', x.capture_time, '2000-01-01 00:00:00+00'), x.run_id, d.addr,
           count(*) FILTER (WHERE d.src), coalesce(sum(x.packet_size) FILTER (WHERE d.src), 0),
           count(*) FILTER (WHERE NOT d.src), coalesce(sum(x.packet_size) FILTER (WHERE NOT d.src), 0)
    FROM pkt_runs r JOIN packets x ON x.run_id = r.run_id
         CROSS JOIN LATERAL (VALUES (true, x.src_ip), (false, x.dst_ip)) AS d(src, addr)
    WHERE r.run_id = ANY (runs)
      AND CASE part WHEN 'all' THEN true
                    WHEN 'unsummarized' THEN x.id > r.summarized_id
                    WHEN 'summarized' THEN x.id <= r.summarized_id END
    GROUP BY 1, 2, 3
    ON CONFLICT (minute, run_id, addr) DO UPDATE SET
        src_packets = s.src_packets + excluded.src_packets,
        src_bytes = s.src_bytes + excluded.src_bytes,
        dst_packets = s.dst_packets + excluded.dst_packets,
        dst_bytes = s.dst_bytes + excluded.dst_bytes;
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
    n := pkt_summary_add(todo, 'unsummarized');
    UPDATE pkt_runs SET summarized_id = NULL WHERE run_id = ANY (todo);
    RETURN n;
END
$$;

-- After rows were deleted from packets (retention), make the summaries
-- agree with what is left.  Returns the number of summary rows written.
-- A running capture's rows above its summarized_id are left to it.
CREATE FUNCTION pkt_summary_rebuild()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    m bigint;
BEGIN
    -- no capture writes meanwhile; locks in the writers' order (rows,
    -- summaries, ledger), so that none of them deadlocks with this
    LOCK TABLE packets IN SHARE MODE;
    TRUNCATE pkt_summary, pkt_summary_addr;
    LOCK TABLE pkt_runs IN SHARE ROW EXCLUSIVE MODE;
    -- ended runs: every row; running captures: the rows up to their
    -- summarized_id, the others are summed in their worker's memory
    n := pkt_summary_add(ARRAY(SELECT run_id FROM pkt_runs WHERE state <> 'running'), 'all');
    m := pkt_summary_add(ARRAY(SELECT run_id FROM pkt_runs WHERE state = 'running'), 'summarized');
    UPDATE pkt_runs SET summarized_id = NULL WHERE state <> 'running';
    RETURN n + m;
END
$$;

COMMENT ON FUNCTION pkt_summary_rebuild() IS
'Recompute the per-minute summaries from packets (after a retention DELETE)';

-- Capturing and reading server files are for roles a DBA trusts.
REVOKE ALL ON FUNCTION pkt_start(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_stop(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_load(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_stats(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_interfaces() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_summary_catch_up(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_summary_add(integer[], text) FROM PUBLIC;
-- Statistics and interfaces are monitoring data.
GRANT EXECUTE ON FUNCTION pkt_stats(text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_status() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_interfaces() TO pg_monitor;
GRANT SELECT ON pkt_runs, pkt_summary, pkt_summary_addr TO pg_monitor;
REVOKE ALL ON FUNCTION pkt_summary_rebuild() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_report(interval, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_unsummarized(integer[], timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pkt_report(interval, integer, text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_report_between(timestamptz, timestamptz, integer, text) TO pg_monitor;
