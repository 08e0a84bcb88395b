/* pktcapture--1.8.sql: the whole schema of pktcapture 1.8, for CREATE EXTENSION.
 *
 * CREATE EXTENSION runs this one file (PostgreSQL takes the full script of
 * the target version when there is one); a database of an earlier version
 * gets the same schema by ALTER EXTENSION pktcapture UPDATE, through the
 * upgrade scripts pktcapture--1.0.sql and pktcapture--X--Y.sql beside it.
 * test/upgrade-test.sh checks that both ways give the same schema.
 *
 * Sections, in order: the schema check; names and time buckets; tables
 * (packets and its partitions, the ledger pkt_runs, the summaries);
 * capture and load; summaries; reports; partitions, retention and
 * maintenance; privileges and roles; sensors; hub; event triggers; grants.
 *
 * Every SQL and PL/pgSQL function resolves names in pg_catalog only (SET
 * search_path = pg_catalog, pg_temp, or, where a SET would keep a small SQL
 * function from being inlined, every name in it qualified) and names the
 * extension's own objects @extschema@.x.  docs/privileges.md. */

\echo Use "CREATE EXTENSION pktcapture" to load this file. \quit

-- ---------------------------------------------------------------------
-- The schema check.
--
-- The schema first: every function below names its objects by the
-- schema's name, so whoever may create objects in it, or rename it, could
-- put their own code in their place (a database owner owns public in
-- PostgreSQL 15).  Refused, with the fix in the hint; called again by
-- every capture, load and hub before it runs anything.
CREATE FUNCTION @extschema@.pkt_schema_check(schema name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pkt_schema_check'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.pkt_schema_check(name) IS
'An error unless the schema (by default pktcapture''s) is owned by a superuser and no other role may create objects in it';

SELECT @extschema@.pkt_schema_check();

-- ---------------------------------------------------------------------
-- Names and time buckets: small SQL functions the tables and the other
-- functions use, every name in them qualified (a SET would keep them from
-- being inlined).

-- This server's pktcapture.sensor ('' where the library is not preloaded:
-- nothing captures there).
CREATE FUNCTION @extschema@.pkt_sensor()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT coalesce(pg_catalog.current_setting('pktcapture.sensor', true), '')
$$;

COMMENT ON FUNCTION @extschema@.pkt_sensor() IS 'This server''s name as a sensor (pktcapture.sensor)';

-- The sensor of a run's rows in packets: '' for this server's own.
CREATE FUNCTION @extschema@.pkt_row_sensor(run_sensor text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN run_sensor OPERATOR(pg_catalog.=) @extschema@.pkt_sensor() THEN '' ELSE run_sensor END
$$;

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

-- The bucket of span holding t, and the first bucket starting at or after
-- t; infinities stay as they are.
CREATE FUNCTION @extschema@.pkt_bucket_floor(t timestamptz, span interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN pg_catalog.isfinite(t)
            THEN pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch()) ELSE t END
$$;

CREATE FUNCTION @extschema@.pkt_bucket_ceil(t timestamptz, span interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN NOT pg_catalog.isfinite(t) THEN t
            WHEN pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch())
                 OPERATOR(pg_catalog.=) t THEN t
            ELSE pg_catalog.date_bin(span, t, @extschema@.pkt_bucket_epoch())
                 OPERATOR(pg_catalog.+) span END
$$;

-- The name of the partition starting at t.
CREATE FUNCTION @extschema@.pkt_partition_name(t timestamptz)
RETURNS name
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT ('packets_'::pg_catalog.text OPERATOR(pg_catalog.||)
        pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYYMMDD"_"HH24MI'))::pg_catalog.name
$$;

-- ---------------------------------------------------------------------
-- Tables: packets and its partitions.
--
-- One row per IP packet.  The first six columns are the original
-- program's; the rest are what an analyst asks next.  See
-- docs/storage.md, "What is stored", for the rules.  Every row and run is attributable to
-- its sensor: a server's own rows have sensor '' (one byte a row); a hub
-- stores each sensor's rows under its name (a trigger of the hub's,
-- pkt_hub_rows()).
--
-- packets is partitioned by capture_time.  Its indexes are its
-- partitions', none on packets itself: a partition made at run time is
-- not a member of the extension, so pg_dump dumps it (and its indexes) as
-- a table of its own, attached to packets when restored; an index on
-- packets (a member, made again by CREATE EXTENSION) would be made on each
-- partition as it is attached, and the dump's own index of the partition
-- would then fail.  Each partition has a primary key (id, capture_time),
-- (sensor, id, capture_time) at a hub, and a BRIN index on capture_time:
-- unique across packets, as capture_time tells the partitions apart
-- (pkt_partition_indexes).
CREATE TABLE @extschema@.packets (
    id            bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000),
    src_ip        inet        NOT NULL,
    dst_ip        inet        NOT NULL,
    -- pkt_protocol_label(ip_proto) says the same (sql/rules.sql holds them
    -- equal): a generated column cannot change without a table rewrite
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
    sensor        text        NOT NULL DEFAULT '',
    frame         bytea                   -- as captured, cut at the run's frame_snaplen
) PARTITION BY RANGE (capture_time);

COMMENT ON TABLE @extschema@.packets IS 'One row per captured IP packet (pktcapture), partitioned by capture_time';
COMMENT ON COLUMN @extschema@.packets.sensor IS '''''; this server''s own row; at a hub, the sensor that captured it';
COMMENT ON COLUMN @extschema@.packets.frame IS 'the frame as captured, its first pkt_runs.frame_snaplen bytes; NULL: not kept (pktcapture.frame_snaplen)';

-- Every partition of packets: its range, and when and why it was dropped
-- (a report over a window whose rows are gone says so).  rows: the rows
-- it held when dropped.
CREATE TABLE @extschema@.pkt_partitions (
    relname     name        NOT NULL PRIMARY KEY,
    range_start timestamptz NOT NULL,
    range_end   timestamptz NOT NULL CHECK (range_end > range_start),
    created_at  timestamptz NOT NULL DEFAULT now(),
    dropped_at  timestamptz,
    reason      text        CHECK (reason IN ('retention', 'disk guard', 'by hand')),
    rows        bigint
);
CREATE INDEX pkt_partitions_range_idx ON @extschema@.pkt_partitions (range_start);

-- The rows of each run in each partition, moved by the writer in the
-- transaction of each batch: when a partition is dropped, its runs' rows
-- are added to their rows_removed, so that the ledger stays exact.
CREATE TABLE @extschema@.pkt_partition_rows (
    range_start timestamptz NOT NULL,   -- the partition's
    run_id      integer     NOT NULL,
    rows        bigint      NOT NULL,
    PRIMARY KEY (range_start, run_id)
);

COMMENT ON TABLE @extschema@.pkt_partitions IS 'pktcapture: the partitions of packets, and those dropped';
COMMENT ON TABLE @extschema@.pkt_partition_rows IS 'pktcapture: rows of each run in each partition of packets';

-- Captured rows are user data: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.packets', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.packets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_partitions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_partition_rows', '');

-- ---------------------------------------------------------------------
-- Tables: the ledger pkt_runs.
--
-- One row per capture or load, kept up to date in the transactions that
-- write its rows: proof afterwards of what was and was not stored.  The
-- ledger carries the name of the sensor that wrote it
-- (pktcapture.sensor), in its key: run ids of different sensors never
-- clash at a hub.
CREATE TABLE @extschema@.pkt_runs (
    run_id            integer GENERATED ALWAYS AS IDENTITY,
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
    -- Rows of the run with a larger id are not yet in the summaries
    -- (pkt_report reads them from packets); NULL when every row is.
    summarized_id     bigint,
    rows_removed      bigint      NOT NULL DEFAULT 0,
    not_stored_disk   bigint      NOT NULL DEFAULT 0,
    sensor            text        NOT NULL DEFAULT @extschema@.pkt_sensor(),
    flow_rows         bigint      NOT NULL DEFAULT 0,
    flow_folded       bigint      NOT NULL DEFAULT 0,
    flow_lost         bigint      NOT NULL DEFAULT 0,
    linktype          integer,                -- of its frames (libpcap's DLT_)
    frame_snaplen     integer     NOT NULL DEFAULT 0,
    frames_not_kept   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (sensor, run_id)
);

COMMENT ON TABLE @extschema@.pkt_runs IS 'Ledger of pktcapture captures and loads';
COMMENT ON COLUMN @extschema@.pkt_runs.rows_removed IS 'rows of the run in partitions dropped since (retention or disk guard)';
COMMENT ON COLUMN @extschema@.pkt_runs.not_stored_disk IS 'IP packets not stored because the disk guard held off';
COMMENT ON COLUMN @extschema@.pkt_runs.flow_rows IS 'rows the run wrote to flows';
COMMENT ON COLUMN @extschema@.pkt_runs.flow_folded IS 'packets folded into the flows rows of a server or the overflow (beyond pktcapture.flow_capacity)';
COMMENT ON COLUMN @extschema@.pkt_runs.flow_lost IS 'stored packets whose flows rows could not be written';
COMMENT ON COLUMN @extschema@.pkt_runs.linktype IS 'the link type of the run''s frames (libpcap''s DLT_ value)';
COMMENT ON COLUMN @extschema@.pkt_runs.frame_snaplen IS 'bytes of each frame kept in packets.frame (pktcapture.frame_snaplen); 0: none';
COMMENT ON COLUMN @extschema@.pkt_runs.frames_not_kept IS 'rows whose frame was not kept: no room while it waited (pktcapture.frame_memory)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_runs_run_id_seq', '');

-- ---------------------------------------------------------------------
-- Tables: the summaries.
--
-- Every bucket (a minute, an hour or a day, aligned on pkt_bucket_epoch(),
-- 2000-01-01 00:00 UTC) of every run, in parts: a part holds some of the run's rows of
-- that bucket, and reports add the parts up.  Parts from 1 are written by
-- the run itself, part 0 by pkt_summary_rebuild(), part -1 by the
-- catch-up of a run whose process died.  The summaries carry the name of
-- the sensor that wrote them, in their keys, as the ledger does.
-- pkt_summary: exact packets and bytes per protocol.
CREATE TABLE @extschema@.pkt_summary (
    span        interval    NOT NULL CHECK (span IN ('1 minute', '1 hour', '1 day')),
    bucket      timestamptz NOT NULL,   -- its start
    run_id      integer     NOT NULL,
    part        integer     NOT NULL,
    ip_proto    smallint    NOT NULL,
    packets     bigint      NOT NULL,
    bytes       bigint      NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    sensor      text        NOT NULL DEFAULT @extschema@.pkt_sensor(),
    PRIMARY KEY (span, bucket, sensor, run_id, part, ip_proto)
);

-- pkt_summary_top: per direction, the pktcapture.summary_top addresses
-- with most packets and those with most bytes.  An address's true packets
-- lie in [packets - packets_error, packets] (bytes likewise); an address
-- not listed has at most other_packets packets and other_bytes bytes.
-- Lists merge (docs/statistics.md, "Reports that stay fast").
CREATE TABLE @extschema@.pkt_summary_top (
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
    sensor        text        NOT NULL DEFAULT @extschema@.pkt_sensor(),
    PRIMARY KEY (span, bucket, sensor, run_id, part, direction)
);

-- A list is rewritten while its bucket is open: lz4 compresses it several
-- times faster than pglz, where the server was built with it.
DO $$
BEGIN
    ALTER TABLE @extschema@.pkt_summary_top
        ALTER COLUMN addrs SET COMPRESSION lz4, ALTER COLUMN packets SET COMPRESSION lz4,
        ALTER COLUMN bytes SET COMPRESSION lz4, ALTER COLUMN packets_error SET COMPRESSION lz4,
        ALTER COLUMN bytes_error SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

COMMENT ON TABLE @extschema@.pkt_summary IS 'pktcapture: packets and bytes per minute, hour and day, run and protocol';
COMMENT ON TABLE @extschema@.pkt_summary_top IS 'pktcapture: top talkers per minute, hour and day, run and direction, with bounds';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_summary', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_summary_top', '');

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

-- ---------------------------------------------------------------------
-- Capture and load (the library's C functions).

CREATE FUNCTION @extschema@.pkt_start(interface text, filter text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_start'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.pkt_start(text, text) IS
'Start capturing on an interface (or "any") into packets; returns the worker PID';

CREATE FUNCTION @extschema@.pkt_stop(interface text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_stop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.pkt_stop(text) IS
'Stop the capture on an interface, or all; returns once every row is written';

CREATE FUNCTION @extschema@.pkt_load(path text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.pkt_load(text) IS
'Load a pcap or pcapng file into packets; returns the rows stored';

CREATE FUNCTION @extschema@.pkt_stats(interface text DEFAULT NULL,
    OUT capture text, OUT section text, OUT item text,
    OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT note text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 40;

COMMENT ON FUNCTION @extschema@.pkt_stats(text) IS
'Statistics of the running or last capture: totals, protocols, top talkers, losses';

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

CREATE FUNCTION @extschema@.pkt_interfaces(
    OUT name text, OUT description text, OUT addresses inet[], OUT flags text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_interfaces'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 8;

COMMENT ON FUNCTION @extschema@.pkt_interfaces() IS
'The interfaces libpcap can capture on, with their addresses and flags';

-- How the writer hands a batch to its INSERT statement: one column of the
-- batch this backend is writing, named by a random token; called with
-- anything else they raise an error.  Run by pktcapture's owner only.
CREATE FUNCTION @extschema@.pkt_batch_timestamptz(bigint, integer) RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_inet(bigint, integer) RETURNS SETOF inet
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_int2(bigint, integer) RETURNS SETOF smallint
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_int4(bigint, integer) RETURNS SETOF integer
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_int8(bigint, integer) RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_text(bigint, integer) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_interval(bigint, integer) RETURNS SETOF interval
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_inets(bigint, integer) RETURNS SETOF inet[]
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_int8s(bigint, integer) RETURNS SETOF bigint[]
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;
CREATE FUNCTION @extschema@.pkt_batch_bool(bigint, integer) RETURNS SETOF boolean
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;

-- ---------------------------------------------------------------------
-- Summaries: built from the rows of packets.

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
CREATE FUNCTION @extschema@.pkt_summary_build(runs integer[], rows text, part integer)
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

-- Runs that ended without writing their last summaries (the server
-- crashed): add their remaining rows.  Called as the extension's owner
-- when a capture or load starts and marks such runs interrupted.
CREATE FUNCTION @extschema@.pkt_summary_catch_up(runs integer[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me text := @extschema@.pkt_sensor();
    n bigint;
    todo integer[];
BEGIN
    -- two starts at once would both add the same rows: the second waits
    -- here, then finds those runs done (summarized_id NULL)
    SELECT array_agg(run_id) INTO todo FROM (
        SELECT run_id FROM @extschema@.pkt_runs
        WHERE sensor = me AND run_id = ANY (runs) AND summarized_id IS NOT NULL
        FOR UPDATE) r;
    IF todo IS NULL THEN
        RETURN 0;
    END IF;
    n := @extschema@.pkt_summary_build(todo, 'unsummarized', -1);
    UPDATE @extschema@.pkt_runs SET summarized_id = NULL WHERE sensor = me AND run_id = ANY (todo);
    RETURN n;
END
$$;

-- After rows were deleted from packets, make the summaries of this
-- server's runs that ended agree with what is left (a hub keeps the
-- summaries its sensors sent).  A running capture keeps its own (rebuild
-- it once it stops).  Returns the number of summary rows written.
CREATE FUNCTION @extschema@.pkt_summary_rebuild()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me text := @extschema@.pkt_sensor();
    ended integer[];
    running integer;
BEGIN
    LOCK TABLE @extschema@.packets IN SHARE MODE;
    LOCK TABLE @extschema@.pkt_summary, @extschema@.pkt_summary_top IN EXCLUSIVE MODE;
    LOCK TABLE @extschema@.pkt_runs IN SHARE ROW EXCLUSIVE MODE;
    SELECT array_agg(run_id) FILTER (WHERE state <> 'running'),
           count(*) FILTER (WHERE state = 'running')
    INTO ended, running FROM @extschema@.pkt_runs WHERE sensor = me;
    IF running > 0 THEN
        RAISE NOTICE 'the summaries of % running capture(s) are left as they are', running
            USING HINT = 'Run SELECT pkt_summary_rebuild() again once they stop.';
    END IF;
    IF ended IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM @extschema@.pkt_summary WHERE sensor = me AND run_id = ANY (ended);
    DELETE FROM @extschema@.pkt_summary_top WHERE sensor = me AND run_id = ANY (ended);
    UPDATE @extschema@.pkt_runs SET summarized_id = NULL WHERE sensor = me AND run_id = ANY (ended);
    RETURN @extschema@.pkt_summary_build(ended, 'all', 0);
END
$$;

COMMENT ON FUNCTION @extschema@.pkt_summary_rebuild() IS
'Recompute the summaries of ended runs from packets (after a DELETE)';

-- ---------------------------------------------------------------------
-- Reports.

-- The rows of the given runs (sensor, run id) not yet in the summaries
-- (above their summarized_id), in a window of whole minutes as
-- pkt_report's.  Each run's rows are read by a range scan of the primary
-- key planned with its summarized_id known (EXECUTE), not guessed.
CREATE FUNCTION @extschema@.pkt_unsummarized(sensors text[], runs integer[], from_time timestamptz,
    to_time timestamptz,
    OUT ip_proto smallint, OUT src_ip inet, OUT dst_ip inet, OUT packet_size integer,
    OUT capture_time timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- also before packets was ever analyzed
AS $$
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
$$;

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
CREATE FUNCTION @extschema@.pkt_report_between(from_time timestamptz, to_time timestamptz,
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

COMMENT ON FUNCTION @extschema@.pkt_report_between(timestamptz, timestamptz, integer, text, text) IS
'Totals, protocols and top talkers of what is stored, over a window of whole minutes, of every sensor or one';

CREATE FUNCTION @extschema@.pkt_report(since interval DEFAULT '1 hour', top integer DEFAULT 5,
    interface text DEFAULT NULL, sensor text DEFAULT NULL,
    OUT section text, OUT item text, OUT packets bigint, OUT bytes bigint,
    OUT share double precision, OUT first_seen timestamptz, OUT last_seen timestamptz,
    OUT exact boolean, OUT note text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT * FROM @extschema@.pkt_report_between(now() - since, 'infinity', top, interface, sensor)
$$;

COMMENT ON FUNCTION @extschema@.pkt_report(interval, integer, text, text) IS
'Totals, protocols and top talkers of what was stored in the last interval, of every sensor or one';

-- ---------------------------------------------------------------------
-- Partitions, retention and maintenance.

-- The primary key and BRIN index of a partition of packets (see packets
-- above): (id, capture_time), or (sensor, id, capture_time) at a hub.
CREATE FUNCTION @extschema@.pkt_partition_indexes(part name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass := format('%s.%I', '@extschema@', part)::regclass;
    hub boolean := EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows'
                           AND tgrelid = '@extschema@.packets'::regclass);
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
CREATE FUNCTION @extschema@.pkt_partition_create(times timestamptz[],
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

-- Drop one partition: its runs' rows go to their rows_removed, in the same
-- transaction.  packets is locked first (ACCESS EXCLUSIVE, as DROP needs),
-- within lock_timeout: the caller tries again later rather than keep
-- captures and queries waiting behind it.  At a hub the partition's rows
-- of its sensors, whose ledger is theirs (the sensors' own retention is in
-- it), are counted too: in the partition, share-locked first (rows of its
-- time come no more), before packets is locked for the drop.
CREATE FUNCTION @extschema@.pkt_partition_drop(part name, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    start timestamptz;
    n bigint;
    theirs bigint := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'pkt_hub_rows' AND tgrelid = '@extschema@.packets'::regclass)
       AND to_regclass(format('%s.%I', '@extschema@', part)) IS NOT NULL THEN
        EXECUTE format('LOCK TABLE %s.%I IN SHARE MODE', '@extschema@', part);
        EXECUTE format('SELECT count(*) FROM %s.%I WHERE sensor <> %L', '@extschema@', part, '')
            INTO theirs;
    END IF;
    -- then: no writer adds rows to it meanwhile, nor another drops it
    LOCK TABLE ONLY @extschema@.packets IN ACCESS EXCLUSIVE MODE;
    SELECT p.range_start INTO start FROM @extschema@.pkt_partitions p
    WHERE p.relname = part AND p.dropped_at IS NULL;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE @extschema@.pkt_runs r SET rows_removed = r.rows_removed + c.rows
    FROM @extschema@.pkt_partition_rows c
    WHERE c.range_start = start AND c.run_id = r.run_id AND r.sensor = @extschema@.pkt_sensor();
    SELECT coalesce(sum(c.rows), 0) INTO n FROM @extschema@.pkt_partition_rows c WHERE c.range_start = start;
    DELETE FROM @extschema@.pkt_partition_rows c WHERE c.range_start = start;
    EXECUTE format('DROP TABLE %s.%I', '@extschema@', part);
    UPDATE @extschema@.pkt_partitions SET dropped_at = now(), reason = why, rows = n + theirs WHERE relname = part;
    RETURN n + theirs;
END
$$;

-- The disk guard's drop: the oldest partition that holds rows (of this
-- server's runs, or at a hub of any sensor's) and ends before the given
-- time.  Returns the rows removed, NULL if there is none.
CREATE FUNCTION @extschema@.pkt_partition_drop_oldest(before timestamptz, why text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    has boolean;
BEGIN
    FOR p IN SELECT x.relname, x.range_start FROM @extschema@.pkt_partitions x
             WHERE x.dropped_at IS NULL AND x.range_end <= before ORDER BY x.range_start
    LOOP
        has := EXISTS (SELECT 1 FROM @extschema@.pkt_partition_rows c WHERE c.range_start = p.range_start);
        IF NOT has AND to_regclass(format('%s.%I', '@extschema@', p.relname)) IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s.%I)', '@extschema@', p.relname) INTO has;
        END IF;
        IF has THEN
            RETURN @extschema@.pkt_partition_drop(p.relname, why);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- The partitions of now and of the next pktcapture.partitions_ahead spans.
CREATE FUNCTION @extschema@.pkt_partitions_ahead()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    span interval := current_setting('pktcapture.partition_span')::interval;
    ahead integer := current_setting('pktcapture.partitions_ahead')::integer;
    had integer;
    have integer;
BEGIN
    SELECT count(*) INTO had FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL;
    PERFORM @extschema@.pkt_partition_create(ARRAY(
        SELECT now() + span * i FROM generate_series(0, ahead) AS g(i)));
    SELECT count(*) INTO have FROM @extschema@.pkt_partitions WHERE dropped_at IS NULL;
    -- grants given on packets since reach its partitions (at once, too:
    -- pkt_partition_privileges)
    PERFORM @extschema@.pkt_partitions_regrant();
    RETURN have - had;
END
$$;

-- Retention by age: the partitions whose range ended pktcapture.retention
-- ago, and that were made at least that long ago (none when it is 0),
-- oldest first.  A capture file of last year loaded today, or a hub's
-- partition for rows a sensor sends late, is kept for the retention, not
-- dropped at the next round.
CREATE FUNCTION @extschema@.pkt_partitions_expired()
RETURNS SETOF name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT p.relname FROM @extschema@.pkt_partitions p,
       (SELECT current_setting('pktcapture.retention')::interval AS keep) k
WHERE p.dropped_at IS NULL AND k.keep > '0'::interval AND p.range_end <= now() - k.keep
  AND p.created_at <= now() - k.keep
ORDER BY p.range_start
$$;

-- Summaries of minutes and hours older than pktcapture.summary_retention
-- (none when it is 0) go; those of days stay.  Returns the rows removed.
CREATE FUNCTION @extschema@.pkt_summaries_expire()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    keep interval := current_setting('pktcapture.summary_retention')::interval;
    n bigint;
    m bigint;
BEGIN
    IF keep IS NULL OR keep <= '0'::interval THEN
        RETURN 0;
    END IF;
    DELETE FROM @extschema@.pkt_summary s WHERE s.span IN ('1 minute', '1 hour')
                                AND s.bucket + s.span <= now() - keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM @extschema@.pkt_summary_top s WHERE s.span IN ('1 minute', '1 hour')
                                    AND s.bucket + s.span <= now() - keep;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END
$$;

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

-- What the captures do every pktcapture.maintenance_interval, by hand (or
-- from a scheduler): partitions made ahead, retention by age of packets and
-- flows (each drop in its own transaction, within lock_timeout), old
-- summaries trimmed.
-- (A procedure with a SET clause may not commit: names are qualified instead.)
CREATE PROCEDURE @extschema@.pkt_maintain()
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

-- ---------------------------------------------------------------------
-- Privileges and roles: who may read (and pg_dump) what is captured.
--
-- pg_dump reads each partition of packets and flows itself, and the
-- sequences: the roles that may read packets (flows) may read its
-- partitions (each is given the privileges its table has, when it is made,
-- at once after a GRANT or REVOKE on it, and at each round of maintenance).
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

CREATE FUNCTION @extschema@.pkt_partition_grants(part name)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
SELECT @extschema@.pkt_partition_grants_from('@extschema@.packets', part)
$$;

-- The partitions whose privileges are not those pkt_partition_grants
-- gives (packets' own, none with row-level security on packets) get them;
-- returns how many.
CREATE FUNCTION @extschema@.pkt_partitions_regrant()
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

-- A GRANT or REVOKE on packets, or its row-level security turned on or
-- off, reaches its partitions at once, not at the next maintenance round
-- (none while nothing captures).  The function runs as pktcapture's
-- owner, which owns the partitions, and reads nothing but the catalog.
-- Its event trigger is made at the end of this script.
CREATE FUNCTION @extschema@.pkt_partition_privileges()
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

-- A role that may read everything pktcapture stores, and so pg_dump it:
-- packets and flows and their partitions, the ledger, the summaries, the
-- partitions' records, the hub's sensors, and the sequences; and export
-- the frames kept (the export functions run with the caller's rights).
CREATE FUNCTION @extschema@.pkt_grant_read(reader name)
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
    EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text), '
                   '@extschema@.pkt_pcapng_rows(text, text), @extschema@.pkt_flow_packets(@extschema@.flows), '
                   '@extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text), '
                   '@extschema@.pkt_export_rows(text, text, text) TO %I', reader);
    FOR part IN SELECT c.relname, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent IN ('@extschema@.packets'::regclass, '@extschema@.flows'::regclass) LOOP
        PERFORM @extschema@.pkt_partition_grants_from(part.inhparent, part.relname);
    END LOOP;
    RETURN format('%s may read what pktcapture stores, and pg_dump this database', reader);
END
$$;

COMMENT ON FUNCTION @extschema@.pkt_grant_read(name) IS
'Grant a role SELECT on everything pktcapture stores (packets and flows and their partitions, the ledger, the summaries), so that it may pg_dump it, and export the frames kept';

-- ---------------------------------------------------------------------
-- Sensors.
--
-- A sensor publishes what a hub needs, in three publications: its rows and
-- the partitions it makes (inserts only: what a sensor's retention drops
-- stays at the hub), its ledger and summaries (inserts and updates: a
-- run's row moves with each batch, a summary's part is rewritten while
-- its bucket is open), and its flows and their partitions (inserts only,
-- as its rows; since 1.6).  Made when a hub first adds the sensor, or
-- (pktcapture_flows) when the hub of a sensor updated from 1.5 asks.
-- The flows are a publication of their own: a hub subscribes to it once
-- both it and the sensor have flows (a table published that the
-- subscriber lacks stops its subscription).
CREATE FUNCTION @extschema@.pkt_sensor_publish()
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

COMMENT ON FUNCTION @extschema@.pkt_sensor_publish() IS
'Publish what a pktcapture hub needs (pkt_hub_add calls it on the sensor)';

-- What a role needs at a sensor for a hub to connect as it: its rows and
-- ledger to read (and copy), the publications made, its replication slot.
CREATE FUNCTION @extschema@.pkt_sensor_grant(hub_role name)
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

COMMENT ON FUNCTION @extschema@.pkt_sensor_grant(name) IS
'Grant a role what a pktcapture hub connecting as it needs at this sensor';

-- Raises an error unless the name is a valid sensor name, by the rule of
-- the setting pktcapture.sensor.
CREATE FUNCTION @extschema@.pkt_sensor_name_check(sensor text)
RETURNS void
LANGUAGE C PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pkt_sensor_name_check';

-- ---------------------------------------------------------------------
-- Hub: a server that receives the rows, ledgers and summaries of sensors
-- by logical replication.

-- The sensors a hub receives from.  Their connection strings, which may
-- hold a password, are their subscriptions' (pg_subscription.subconninfo,
-- readable by superusers only), not kept here.
CREATE TABLE @extschema@.pkt_hub_sensors (
    sensor            text        PRIMARY KEY,
    subscription      name        NOT NULL UNIQUE,
    slot              name        NOT NULL,
    system_identifier bigint      NOT NULL UNIQUE,
    added_at          timestamptz NOT NULL DEFAULT now(),
    held_at           timestamptz   -- the hub's disk guard disabled its subscription
);
COMMENT ON TABLE @extschema@.pkt_hub_sensors IS 'pktcapture hub: the sensors whose rows it receives';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pkt_hub_sensors', '');

-- The sensor a row received by a hub's subscription comes from (NULL
-- elsewhere): the hub's triggers give every row that name, whatever the
-- sensor wrote.
CREATE FUNCTION @extschema@.pkt_hub_origin()
RETURNS text
AS 'MODULE_PATHNAME', 'pkt_hub_origin'
LANGUAGE C STABLE;

-- At a hub, a replicated row of packets or flows gets the name of the
-- sensor whose subscription brought it (a C trigger: a few hundred
-- nanoseconds a row, at the hub only).
CREATE FUNCTION @extschema@.pkt_hub_rows()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pkt_hub_rows'
LANGUAGE C;

-- At a hub, a partition a sensor made is made here too, for the rows that
-- follow it (a capture file of 2009 loaded at a sensor): of packets (the
-- trigger on pkt_partitions), of the hub's own span; of flows (on
-- pkt_flow_partitions), its day.  The sensor's record is not kept (the
-- hub's partitions are its own: what the sensor drops stays here).
CREATE FUNCTION @extschema@.pkt_hub_partitions()
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

-- At a hub, a sensor's ledger and summaries replace the rows of the same
-- key: a sensor that rebuilt its summaries (pkt_summary_rebuild: deleted,
-- then inserted again; deletes are not published), or a sensor added again
-- (its rows copied again) would otherwise stop its subscription on a
-- duplicate key.  TG_ARGV[0]: the key's columns.
CREATE FUNCTION @extschema@.pkt_hub_replace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    origin text := @extschema@.pkt_hub_origin();
BEGIN
    IF current_setting('session_replication_role') = 'replica' THEN
        -- a row received is the subscription's sensor's, whatever it says:
        -- a sensor replaces and updates its own rows only
        IF TG_OP = 'UPDATE' THEN
            IF origin IS NOT NULL AND OLD.sensor IS DISTINCT FROM origin THEN
                RETURN NULL;
            END IF;
            NEW.sensor := coalesce(origin, NEW.sensor);
            RETURN NEW;
        END IF;
        NEW.sensor := coalesce(origin, NEW.sensor);
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
-- in place (once, at the first sensor; those of flows since 1.6), and the
-- keys of packets' partitions name the sensor.
CREATE FUNCTION @extschema@.pkt_hub_prepare()
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

-- The hub's worker (retention, disk guard, a look at each sensor), unless
-- it runs: its PID, or 0.
CREATE FUNCTION @extschema@.pkt_hub_start()
RETURNS integer
AS 'MODULE_PATHNAME', 'pkt_hub_start_worker'
LANGUAGE C VOLATILE STRICT;

-- The hub's disk guard: disable the subscriptions (hold), or enable again
-- those it disabled.  Returns how many.
CREATE FUNCTION @extschema@.pkt_hub_hold(hold boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    n integer := 0;
BEGIN
    FOR s IN SELECT h.* FROM @extschema@.pkt_hub_sensors h JOIN pg_subscription sub ON sub.subname = h.subscription
             WHERE CASE WHEN hold THEN sub.subenabled AND h.held_at IS NULL
                        ELSE h.held_at IS NOT NULL END
    LOOP
        EXECUTE format('ALTER SUBSCRIPTION %I %s', s.subscription,
                       CASE WHEN hold THEN 'DISABLE' ELSE 'ENABLE' END);
        UPDATE @extschema@.pkt_hub_sensors SET held_at = CASE WHEN hold THEN now() END
        WHERE sensor = s.sensor;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- The schema of dblink, through which a hub talks to its sensors.
CREATE FUNCTION @extschema@.pkt_hub_dblink()
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
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
    -- its functions are called with the rights of pktcapture's owner
    PERFORM @extschema@.pkt_schema_check(ds);
    RETURN ds;
END
$$;

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
CREATE FUNCTION @extschema@.pkt_hub_ask(conninfo text, query text, seconds integer DEFAULT 10)
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

-- At a hub, the partitions of a sensor's flows in place (a day each, as
-- the sensor's), made before their copy; more than pktcapture.max_partitions
-- of them is an error.
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

-- Start receiving a sensor's rows: existing rows first (a table copy), then
-- new ones as they commit.  The arguments checked, the sensor asked and
-- checked, its publications and slot made, the hub's tables prepared, the
-- partitions of the sensor's rows made; then the subscription, the
-- sensor's record, and the hub's worker.
CREATE FUNCTION @extschema@.pkt_hub_add(sensor text, conninfo text)
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

COMMENT ON FUNCTION @extschema@.pkt_hub_add(text, text) IS
'Start receiving a sensor''s rows, ledger and summaries (logical replication)';

-- Stop receiving a sensor's rows; its replication slot at the sensor goes
-- (it would keep the sensor's WAL); the rows received stay, or go too.
CREATE FUNCTION @extschema@.pkt_hub_remove(sensor text, drop_rows boolean DEFAULT false)
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

COMMENT ON FUNCTION @extschema@.pkt_hub_remove(text, boolean) IS
'Stop receiving a sensor''s rows (drop_rows: delete those received too)';

-- At a hub, the subscriptions of sensors that have flows (pktcapture 1.6)
-- but do not bring them yet: the hub or the sensor was updated from 1.5
-- since the sensor was added.  A sensor's publication of flows is made
-- when the hub first finds it at 1.6 (pkt_sensor_publish); the
-- subscription may take it only once the hub's replication slot at the
-- sensor starts past the publication's making: PostgreSQL decodes each
-- transaction with the catalog of its time, and a publication that did
-- not exist yet stops the subscription for good ("publication ... does
-- not exist").  Until then, ready is false: ask again soon.  Once ready,
-- the hub's triggers are in place and the partitions of the sensor's
-- flows made; the hub's worker then adds the publication to the
-- subscription, which copies the flows the sensor holds and then follows
-- new ones (ALTER SUBSCRIPTION ... ADD PUBLICATION cannot run in a
-- function).  A sensor that does not answer is asked again at the next
-- look (pkt_hub_status() says what is wrong with it).
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

-- pkt_hub_status() is the same, with a warning for each sensor lost.
CREATE FUNCTION @extschema@.pkt_hub_check(
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

CREATE FUNCTION @extschema@.pkt_hub_status(
    OUT sensor text, OUT state text, OUT lag_bytes bigint, OUT lag_seconds double precision,
    OUT newest_row timestamptz, OUT rows_missed bigint, OUT last_error text)
RETURNS SETOF record
LANGUAGE plpgsql
-- for pg_monitor too, which may read neither the conninfos nor packets
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    FOR sensor, state, lag_bytes, lag_seconds, newest_row, rows_missed, last_error IN
        SELECT * FROM @extschema@.pkt_hub_check() LOOP
        IF @extschema@.pkt_hub_state_lost(state) THEN
            PERFORM @extschema@.pkt_hub_warn_lost(sensor, state, last_error);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.pkt_hub_status() IS
'One row per sensor of this hub: state, lag in bytes and seconds, newest row, rows missed, last error';

-- ---------------------------------------------------------------------
-- Event triggers.

-- pkt_partition_privileges (see "Privileges and roles").
CREATE EVENT TRIGGER pkt_partition_privileges ON ddl_command_end
    WHEN TAG IN ('GRANT', 'REVOKE', 'ALTER TABLE')
    EXECUTE FUNCTION @extschema@.pkt_partition_privileges();

-- ---------------------------------------------------------------------
-- 1.7: frames, and exporting them to Wireshark.
--
-- packets.frame holds the frame as captured, its first
-- pktcapture.frame_snaplen bytes (NULL when not kept); it lives and goes
-- with its row, its partition, pg_dump and the hub's replication.  The
-- ledger says per run what a frame is (linktype: the pcap link type;
-- frame_snaplen: the bytes kept) and counts the rows whose frame found no
-- room (frames_not_kept).  See docs/storage.md, "Frames".

-- the writer's batch function for packets.frame
CREATE FUNCTION @extschema@.pkt_batch_bytea(bigint, integer) RETURNS SETOF bytea
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;

-- pcapng of the frames of a window, to a file on the server: one
-- interface block per capture interface (or file loaded) with its link
-- type and the snap length kept, the frames in time order, narrowed by a
-- BPF filter in tcpdump's language, an interface and a sensor.  Run with
-- the caller's rights: it reads what the caller may read of packets, and
-- writes the file only for members of pg_write_server_files (as COPY TO a
-- file).  Returns the frames written.
CREATE FUNCTION @extschema@.pkt_export(path text, from_time timestamptz, to_time timestamptz,
                                        filter text DEFAULT NULL, interface text DEFAULT NULL,
                                        sensor text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_export'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text) IS
'Write the frames kept of a window (a BPF filter, an interface, a sensor) to a pcapng file on the server; returns the frames written';

-- The same of the rows a query selects (a SELECT returning the columns of
-- packets, at least capture_time, frame, packet_size, run_id and sensor),
-- in the query's order.
CREATE FUNCTION @extschema@.pkt_export_rows(path text, query text, filter text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_export_rows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_export_rows(text, text, text) IS
'Write the frames kept of the rows of packets a query selects to a pcapng file on the server; returns the frames written';

-- To the client: the same pcapng file as pkt_export(), in pieces whose
-- concatenation in the order of n is the file (client/pkt-export).
CREATE FUNCTION @extschema@.pkt_pcapng(from_time timestamptz, to_time timestamptz,
                                        filter text DEFAULT NULL, interface text DEFAULT NULL,
                                        sensor text DEFAULT NULL,
                                        OUT n bigint, OUT piece bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_pcapng'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text) IS
'The pcapng file of the frames kept of a window, in pieces to concatenate in the order of n';

CREATE FUNCTION @extschema@.pkt_pcapng_rows(query text, filter text DEFAULT NULL,
                                             OUT n bigint, OUT piece bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_pcapng_rows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_pcapng_rows(text, text) IS
'The pcapng file of the frames kept of the rows of packets a query selects, in pieces to concatenate in the order of n';

-- The rows of packets of one row of flows: its conversation's packets of
-- that interval, both ways; for a folded row, its server's packets of the
-- interval (those of its conversations kept apart too); none for the
-- overflow row.  Every name qualified: it is inlined, so that its window
-- prunes the partitions.  Its columns are packets' (pkt_export_rows takes
-- them), listed rather than SETOF packets: the table's row type stays free
-- of a function's dependency.
CREATE FUNCTION @extschema@.pkt_flow_packets(f @extschema@.flows)
RETURNS TABLE (id bigint, src_ip inet, dst_ip inet, protocol text, packet_size integer, capture_time timestamptz,
        ip_version smallint, ip_proto smallint, src_port integer, dst_port integer, tcp_flags smallint,
        captured_size integer, vlan_id smallint, interface text, run_id integer, sensor text, frame bytea)
LANGUAGE sql STABLE
AS $$
SELECT p.* FROM @extschema@.packets p
WHERE p.capture_time OPERATOR(pg_catalog.>=) f.first_seen
  AND p.capture_time OPERATOR(pg_catalog.<=) f.last_seen
  AND p.run_id OPERATOR(pg_catalog.=) f.run_id
  AND p.sensor OPERATOR(pg_catalog.=) (CASE WHEN f.sensor OPERATOR(pg_catalog.=) @extschema@.pkt_sensor()
                                            THEN '' ELSE f.sensor END)
  AND p.ip_proto OPERATOR(pg_catalog.=) f.ip_proto
  AND (p.vlan_id OPERATOR(pg_catalog.=) f.vlan_id OR (p.vlan_id IS NULL AND f.vlan_id IS NULL))
  AND (p.interface OPERATOR(pg_catalog.=) f.interface OR (p.interface IS NULL AND f.interface IS NULL))
  AND f.dst_ip IS NOT NULL
  AND ((p.dst_ip OPERATOR(pg_catalog.=) f.dst_ip
        AND (p.dst_port OPERATOR(pg_catalog.=) f.dst_port OR (p.dst_port IS NULL AND f.dst_port IS NULL))
        AND (f.src_ip IS NULL
             OR (p.src_ip OPERATOR(pg_catalog.=) f.src_ip
                 AND (p.src_port OPERATOR(pg_catalog.=) f.src_port OR (p.src_port IS NULL AND f.src_port IS NULL)))))
    OR (p.src_ip OPERATOR(pg_catalog.=) f.dst_ip
        AND (p.src_port OPERATOR(pg_catalog.=) f.dst_port OR (p.src_port IS NULL AND f.dst_port IS NULL))
        AND (f.src_ip IS NULL
             OR (p.dst_ip OPERATOR(pg_catalog.=) f.src_ip
                 AND (p.dst_port OPERATOR(pg_catalog.=) f.src_port OR (p.dst_port IS NULL AND f.src_port IS NULL))))))
$$;

COMMENT ON FUNCTION @extschema@.pkt_flow_packets(@extschema@.flows) IS
'The rows of packets of a row of flows (its conversation in its interval, both ways), for pkt_export_rows()';

-- ---------------------------------------------------------------------
-- Grants.
--
-- Nothing is executable by PUBLIC but pkt_schema_check and pkt_sensor.
-- Capturing, loading and reading server files are for roles a DBA trusts
-- (docs/privileges.md); statistics, reports and the hub's status are
-- monitoring data, for pg_monitor; the rest is the extension's own.
REVOKE ALL ON FUNCTION @extschema@.pkt_start(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_bucket_epoch() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_protocol_label(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_sensor_name_check(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_lost(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_state_healthy(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_stop(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_load(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_stats(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_interfaces() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_stats(text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_status() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_interfaces() TO pg_monitor;

-- The writer's batch functions are run by pktcapture's owner only: rows
-- are written with its rights.
REVOKE ALL ON FUNCTION @extschema@.pkt_batch_timestamptz(bigint, integer), @extschema@.pkt_batch_inet(bigint, integer),
    @extschema@.pkt_batch_int2(bigint, integer), @extschema@.pkt_batch_int4(bigint, integer),
    @extschema@.pkt_batch_int8(bigint, integer), @extschema@.pkt_batch_text(bigint, integer),
    @extschema@.pkt_batch_interval(bigint, integer), @extschema@.pkt_batch_inets(bigint, integer),
    @extschema@.pkt_batch_int8s(bigint, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_row_sensor(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_bucket_floor(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_bucket_ceil(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_name(timestamptz) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_summary_build_protocols(integer[], text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summary_build_top(integer[], text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summary_build(integer[], text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summary_catch_up(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summary_rebuild() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_unsummarized(text[], integer[], timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_window(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_tiles(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_protocols(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_talkers(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_top(timestamptz, timestamptz, text[], integer[], timestamptz, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_retention(timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report_between(timestamptz, timestamptz, integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_report(interval, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_report_between(timestamptz, timestamptz, integer, text, text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_report(interval, integer, text, text) TO pg_monitor;

REVOKE ALL ON FUNCTION @extschema@.pkt_partition_indexes(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partitions_relist() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_holding(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_range(timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_make(name, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_create(timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_drop(name, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_drop_oldest(timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partitions_ahead() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partitions_expired() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_summaries_expire() FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.pkt_maintain() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_partition_grants(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partitions_regrant() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_partition_privileges() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_grant_read(name) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_sensor_publish() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_sensor_grant(name) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.pkt_hub_origin() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_replace() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_prepare() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_hold(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_dblink() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_connect(name, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_wait(name, text, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_ask(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_add_check(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_facts(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_verify(text, text, text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_prepare(text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_partitions(text, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_flow_partitions(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_add(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_remove(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_flows_pending() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_state(name, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_sensor_slot(text, text, name, name, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_hub_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pkt_hub_status() TO pg_monitor;

-- The ledger, the summaries, the partitions' records and the hub's
-- sensors are monitoring data; packets is not (pkt_grant_read).
GRANT SELECT ON @extschema@.pkt_runs, @extschema@.pkt_summary, @extschema@.pkt_summary_top,
    @extschema@.pkt_partitions, @extschema@.pkt_hub_sensors TO pg_monitor;

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

-- 1.7: frames.  The export functions run with the caller's rights: they
-- read what it may read of packets, and pkt_export() and
-- pkt_export_rows() write a file only for pg_write_server_files; a
-- reader may run them once pkt_grant_read() says so.
REVOKE ALL ON FUNCTION @extschema@.pkt_batch_bytea(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text),
    @extschema@.pkt_export_rows(text, text, text),
    @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text),
    @extschema@.pkt_pcapng_rows(text, text), @extschema@.pkt_flow_packets(@extschema@.flows) FROM PUBLIC;
