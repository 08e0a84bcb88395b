-- privileges: capturing and loading files need explicit grants.
-- The figures of dns_tcp_8053.pcap below are tshark's: 11 frames, all IPv4
-- TCP, 906 bytes; 192.168.1.11 sends 6 (402 bytes) to 209.87.249.18, which
-- sends 5 (504 bytes) back:
--   tshark -n -r dns_tcp_8053.pcap -T fields -e ip.src -e frame.len |
--     awk '{ n[$1]++; b[$1] += $2 } END { for (a in n) print a, n[a], b[a] }'
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/../shared/pcaps/tcpdump/dns_tcp_8053.pcap'
CREATE TEMP TABLE tshark (section text, item text, packets bigint, bytes bigint);
INSERT INTO tshark VALUES
    ('total', 'packets', 11, 906),
    ('protocol', 'TCP', 11, 906),
    ('top_source', '192.168.1.11', 6, 402),
    ('top_source', '209.87.249.18', 5, 504),
    ('top_destination', '209.87.249.18', 6, 402),
    ('top_destination', '192.168.1.11', 5, 504);
GRANT SELECT ON tshark TO PUBLIC;
-- the earlier tests' files left their sums in the summaries: start from
-- what packets holds (nothing)
SELECT count(*) AS rows FROM packets;
SELECT pkt_summary_rebuild();
SELECT (SELECT count(*) FROM pkt_summary) + (SELECT count(*) FROM pkt_summary_top) AS summary_rows;
CREATE ROLE pkt_alice LOGIN;
CREATE ROLE pkt_watcher LOGIN IN ROLE pg_monitor;
SET ROLE pkt_alice;
SELECT pkt_start('lo');
SELECT pkt_stop();
SELECT pkt_load(:'f');
SELECT * FROM pkt_stats();
SELECT count(*) FROM pkt_interfaces();
RESET ROLE;
-- monitoring roles list interfaces but cannot capture or load
SET ROLE pkt_watcher;
SELECT count(*) > 0 AS has_lo FROM pkt_interfaces() WHERE name = 'lo';
SELECT pkt_start('lo');
SELECT pkt_load(:'f');
RESET ROLE;
-- EXECUTE on pkt_load is not enough: reading server files is pg_read_server_files'
GRANT EXECUTE ON FUNCTION pkt_load(text) TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_load(:'f');
RESET ROLE;
-- with it, the load writes its rows with pktcapture's own rights: alice
-- needs no privilege on packets, and has none
GRANT pg_read_server_files TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_load(:'f');
INSERT INTO packets (src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, captured_size)
VALUES ('192.0.2.1', '192.0.2.2', 60, now(), 4, 17, 60);
RESET ROLE;
SELECT count(*) FROM packets;
-- monitoring roles read the statistics of alice's load: tshark's figures
-- (the lines that differ, either way: none)
SET ROLE pkt_watcher;
SELECT 'only in pkt_stats' AS side, * FROM (
    SELECT section, item, packets, bytes FROM pkt_stats(:'f')
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
    EXCEPT SELECT * FROM tshark) a
UNION ALL
SELECT 'only in tshark', * FROM (
    SELECT * FROM tshark
    EXCEPT SELECT section, item, packets, bytes FROM pkt_stats(:'f')) b;
SELECT kind, state, frames, packets, rows_stored FROM pkt_status() WHERE interface = :'f';
RESET ROLE;
-- pkt_report adds the rows not yet in the summaries from packets, which
-- pg_monitor may not read: the report works for it, the rows stay hidden.
-- Alice's run as a capture leaves it until its next summary: the sums of
-- every row but the last (id at most summarized_id)
SELECT max(run_id) AS run FROM pkt_runs \gset
DELETE FROM pkt_summary WHERE run_id = :run;
DELETE FROM pkt_summary_top WHERE run_id = :run;
UPDATE pkt_runs SET summarized_id = (SELECT max(id) - 1 FROM packets) WHERE run_id = :run;
SELECT pkt_summary_build(ARRAY[:run], 'summarized', 0) > 0 AS summed;
-- the summaries alone lack the last row: 11 - 1 packets
SELECT sum(packets) AS summarized_packets FROM pkt_summary WHERE run_id = :run AND span = '1 minute';
SET ROLE pkt_watcher;
-- ... the report has it: tshark's figures again (the lines that differ: none)
SELECT 'only in pkt_report' AS side, * FROM (
    SELECT section, item, packets, bytes FROM pkt_report_between('-infinity', 'infinity', 5, :'f')
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
    EXCEPT SELECT * FROM tshark) a
UNION ALL
SELECT 'only in tshark', * FROM (
    SELECT * FROM tshark
    EXCEPT SELECT section, item, packets, bytes FROM pkt_report_between('-infinity', 'infinity', 5, :'f')) b;
SELECT count(*) FROM packets;
SELECT count(*) FROM pkt_unsummarized(ARRAY['s'], ARRAY[1], '-infinity', 'infinity');
RESET ROLE;
SELECT pkt_summary_build(ARRAY[:run], 'unsummarized', -1) > 0 AS summed;
UPDATE pkt_runs SET summarized_id = NULL;
-- a capture needs EXECUTE on pkt_start, and no privilege on packets
GRANT EXECUTE ON FUNCTION pkt_start(text, text), pkt_stop(text) TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_start('lo', 'udp and src port 9 and dst port 7') > 0 AS started;
SELECT pkt_stop('lo');
-- where COPY is not used, the writer inserts through its pkt_batch_*
-- functions, with pktcapture's rights (tshark: 11 rows); alice may not
-- call them herself
SELECT pkt_batch_int4(1, 0);
SET pktcapture.write_method = insert;
SELECT pkt_load(:'f') AS rows_inserted;
RESET pktcapture.write_method;
RESET ROLE;
TRUNCATE packets;
REVOKE ALL ON packets FROM pkt_alice;
DROP OWNED BY pkt_alice;
DROP ROLE pkt_alice;
DROP ROLE pkt_watcher;
