-- load: pkt_load reads capture files through the same decoder as a capture.
-- Expected rows were checked against tshark 4.0 (`tshark -n -T fields -e
-- ip.src -e ip.dst -e ip.proto -e ipv6.src -e ipv6.dst -e frame.len
-- -e frame.time_epoch -e vlan.id -e tcp.srcport -e udp.srcport`).
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set corpus :abs_srcdir '/../shared/pcaps/tcpdump/'
SET timezone = 'UTC';
-- Ethernet, IPv4, TCP: 11 frames, all IP
\set f :corpus 'dns_tcp_8053.pcap'
SELECT pkt_load(:'f');
SELECT src_ip, dst_ip, protocol, packet_size, capture_time, src_port, dst_port,
       tcp_flags, captured_size, vlan_id, interface
FROM packets ORDER BY id;
-- the statistics of the load agree with the rows
SELECT section, item, packets, bytes, share, note FROM pkt_stats(:'f')
WHERE section IN ('total', 'protocol', 'top_source', 'top_destination', 'capture');
SELECT protocol, count(*), sum(packet_size) FROM packets GROUP BY 1;
SELECT kind, state, frames, packets, rows_stored, not_ip, malformed, truncated
FROM pkt_status() WHERE interface = :'f';
-- pkt_report over the stored rows gives the same figures
SELECT * FROM pkt_report_between('2020-03-02 15:00+00', '2020-03-02 16:00+00');
-- ... as GROUP BY over packets, in both directions (no row may differ)
\set from '2020-03-02 15:00+00'
\set to '2020-03-02 16:00+00'
\i test/report_check.sql
-- ... and as pkt_stats
SELECT section, item, packets, bytes FROM pkt_stats(:'f')
WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
EXCEPT
SELECT section, item, packets, bytes FROM pkt_report_between('2020-03-02 15:00+00', '2020-03-02 16:00+00');
-- a window that misses the capture is empty
SELECT count(*) FROM pkt_report_between('2020-03-02 16:00+00', '2020-03-02 17:00+00');
-- the ledger counts exactly the rows that carry its run_id
SELECT r.kind, r.state, r.frames, r.packets, r.rows_stored, count(p.id) AS rows_found
FROM pkt_runs r JOIN packets p USING (run_id)
GROUP BY r.run_id ORDER BY r.run_id;
TRUNCATE packets;
-- Linux cooked capture v1, UDP over loopback
\set f :corpus 'RADIUS-RFC4675.pcap'
SELECT pkt_load(:'f');
SELECT src_ip, dst_ip, protocol, packet_size, capture_time, src_port, dst_port
FROM packets ORDER BY id;
TRUNCATE packets;
-- 802.1Q tag 100, GRE (protocol 47, no ports)
\set f :corpus 'NHRP_registration.pcap'
SELECT pkt_load(:'f');
SELECT src_ip, dst_ip, protocol, packet_size, capture_time, src_port, vlan_id
FROM packets ORDER BY id;
TRUNCATE packets;
-- both ways of writing rows (COPY from a spool file, INSERT ... SELECT)
-- store the same rows and the same summaries
-- (COPY reads a temporary file: pg_stat_database counts it)
SELECT pg_stat_force_next_flush();
SELECT temp_files AS temp_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SELECT pkt_load(:'f') AS rows_by_copy;
SELECT pg_stat_force_next_flush();
SELECT temp_files - :temp_files_before AS temp_files_of_copy
FROM pg_stat_database WHERE datname = current_database();
SET pktcapture.write_method = insert;
SELECT temp_files AS temp_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SELECT pkt_load(:'f') AS rows_by_insert;
SELECT pg_stat_force_next_flush();
SELECT temp_files - :temp_files_before AS temp_files_of_insert
FROM pg_stat_database WHERE datname = current_database();
RESET pktcapture.write_method;
\i test/copy_insert_check.sql
SELECT count(*) AS unsummarized_runs FROM pkt_runs WHERE summarized_id IS NOT NULL;
TRUNCATE packets;
-- ... also for TCP with ports and flags, and for IPv4 with IPv6 (PIM:
-- tshark counts 128 IPv4 and 117 IPv6 packets, all protocol 103, no ports)
\set f :corpus 'dns_tcp_8053.pcap'
SELECT pkt_load(:'f') AS rows_by_copy;
SET pktcapture.write_method = insert;
SELECT pkt_load(:'f') AS rows_by_insert;
RESET pktcapture.write_method;
\i test/copy_insert_check.sql
TRUNCATE packets;
\set f :corpus 'pim-packet-assortment.pcap'
SELECT pkt_load(:'f') AS rows_by_copy;
SET pktcapture.write_method = insert;
SELECT pkt_load(:'f') AS rows_by_insert;
RESET pktcapture.write_method;
SELECT ip_version, count(*), count(src_port) AS with_ports FROM packets
WHERE run_id = (SELECT max(run_id) FROM pkt_runs) GROUP BY 1 ORDER BY 1;
\i test/copy_insert_check.sql
TRUNCATE packets;
-- IPv6 with a hop-by-hop header before TCP (BIG TCP: 80094 bytes on the wire)
\set f :corpus 'bigtcp-ipv6-hbh.pcap'
SELECT pkt_load(:'f');
SELECT src_ip, dst_ip, ip_version, protocol, packet_size, capture_time, src_port
FROM packets ORDER BY id;
TRUNCATE packets;
-- IPv6, UDP (DHCPv6)
\set f :corpus 'dhcpv6-domain-list.pcap'
SELECT pkt_load(:'f');
SELECT src_ip, dst_ip, ip_version, protocol, packet_size, capture_time, src_port, dst_port
FROM packets ORDER BY id;
TRUNCATE packets;
-- a file cut short: the frames before the damage are kept, with a warning
\set f :corpus 'dns_tcp_8053.pcap'
\set cut :abs_builddir '/results/dns_tcp_8053-cut.pcap'
\set cmd 'head -c 700 ' :'f' ' > ' :'cut'
COPY (SELECT) TO PROGRAM :'cmd';
SET client_min_messages = error;  -- the WARNING names a temporary path
SELECT pkt_load(:'cut') AS rows_before_damage;
RESET client_min_messages;
SELECT count(*) FROM packets;
SELECT state, frames, rows_stored, error FROM pkt_status() WHERE interface = :'cut';
TRUNCATE packets;
-- non-IP frames are counted, not stored: spanning tree BPDUs
\set f :corpus '802.1D_spanning_tree.pcap'
SELECT pkt_load(:'f');
SELECT frames, packets, not_ip FROM pkt_status() WHERE interface = :'f';
-- the ledger has one line per load, with its outcome
SELECT regexp_replace(source, '.*/', '') AS file, kind, state, frames, packets,
       rows_stored, not_ip, not_stored, error, stopped_at >= started_at AS ordered
FROM pkt_runs ORDER BY run_id;
