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
    error             text
);

COMMENT ON TABLE pkt_runs IS 'Ledger of pktcapture captures and loads';

-- Captured rows are user data: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('packets', '');
SELECT pg_catalog.pg_extension_config_dump('packets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_runs', '');
SELECT pg_catalog.pg_extension_config_dump('pkt_runs_run_id_seq', '');

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

-- Capturing and reading server files are for roles a DBA trusts.
REVOKE ALL ON FUNCTION pkt_start(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_stop(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_load(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_stats(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION pkt_interfaces() FROM PUBLIC;
-- Statistics and interfaces are monitoring data.
GRANT EXECUTE ON FUNCTION pkt_stats(text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_status() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pkt_interfaces() TO pg_monitor;
GRANT SELECT ON pkt_runs TO pg_monitor;
