-- load: pkt_load reads capture files through the same decoder as a capture.
-- Every expected value here is tshark 4.0's reading of the same file, or
-- arithmetic on tshark's values; none comes from pktcapture's output.
--   files: frames = `tshark -r FILE | wc -l`, ip = the same with -Y 'ip or ipv6'
--   tshark: one row per IP frame of the small files, the outermost headers:
--     TZ=UTC tshark -n -r FILE -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
--       -T fields -E occurrence=f -e frame.number -e frame.time_epoch \
--       -e frame.len -e frame.cap_len -e vlan.id -e ip.src -e ip.dst -e ip.proto \
--       -e ipv6.src -e ipv6.dst -e ipv6.nxt -e ipv6.hopopts.nxt \
--       -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e tcp.flags
--     time_us is frame.time_epoch in microseconds; ip_version 4 with ip.*, 6
--     with ipv6.*; ip_proto is ip.proto, or ipv6.hopopts.nxt after a
--     hop-by-hop header, else ipv6.nxt; the ports are TCP's or UDP's for
--     protocol 6 or 17; tcp_flags is tcp.flags in decimal; captured_size is
--     frame.cap_len, at most the file's snap length (capinfos -l: libpcap
--     hands no more over, tshark shows the record's length).
--   tshark_pim: the same fields of pim-packet-assortment.pcap, summed per
--     ip_version, source, destination and protocol (two of its frames of
--     65549 and 65589 bytes are captured up to the snap length, 65535).
-- Each comparison prints the lines that differ, either way: none.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set corpus :abs_srcdir '/../shared/pcaps/tcpdump/'
SET timezone = 'UTC';
CREATE TEMP TABLE files (file text PRIMARY KEY, frames bigint, ip bigint);
INSERT INTO files VALUES
    ('dns_tcp_8053.pcap', 11, 11), ('RADIUS-RFC4675.pcap', 6, 6),
    ('NHRP_registration.pcap', 4, 4), ('pim-packet-assortment.pcap', 245, 245),
    ('bigtcp-ipv6-hbh.pcap', 1, 1), ('dhcpv6-domain-list.pcap', 1, 1),
    ('802.1D_spanning_tree.pcap', 14, 0);
CREATE TEMP TABLE tshark (file text, frame int, time_us bigint, packet_size int,
    captured_size int, vlan_id int, ip_version int, src_ip inet, dst_ip inet,
    ip_proto int, src_port int, dst_port int, tcp_flags int);
INSERT INTO tshark VALUES
    ('dns_tcp_8053.pcap', 1, 1583163849947213, 74, 74, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 2),
    ('dns_tcp_8053.pcap', 2, 1583163850091462, 60, 60, NULL, 4, '209.87.249.18', '192.168.1.11', 6, 8053, 57469, 18),
    ('dns_tcp_8053.pcap', 3, 1583163850091537, 54, 54, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 16),
    ('dns_tcp_8053.pcap', 4, 1583163850092032, 112, 112, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 24),
    ('dns_tcp_8053.pcap', 5, 1583163850092267, 60, 60, NULL, 4, '209.87.249.18', '192.168.1.11', 6, 8053, 57469, 16),
    ('dns_tcp_8053.pcap', 6, 1583163850236187, 264, 264, NULL, 4, '209.87.249.18', '192.168.1.11', 6, 8053, 57469, 24),
    ('dns_tcp_8053.pcap', 7, 1583163850236250, 54, 54, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 16),
    ('dns_tcp_8053.pcap', 8, 1583163850237389, 54, 54, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 17),
    ('dns_tcp_8053.pcap', 9, 1583163850237718, 60, 60, NULL, 4, '209.87.249.18', '192.168.1.11', 6, 8053, 57469, 16),
    ('dns_tcp_8053.pcap', 10, 1583163850381399, 60, 60, NULL, 4, '209.87.249.18', '192.168.1.11', 6, 8053, 57469, 25),
    ('dns_tcp_8053.pcap', 11, 1583163850381475, 54, 54, NULL, 4, '192.168.1.11', '209.87.249.18', 6, 57469, 8053, 16),
    ('RADIUS-RFC4675.pcap', 1, 1412865683428268, 124, 124, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 53334, 1812, NULL),
    ('RADIUS-RFC4675.pcap', 2, 1412865683429249, 97, 97, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 1812, 53334, NULL),
    ('RADIUS-RFC4675.pcap', 3, 1412865685056378, 126, 126, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 46281, 1812, NULL),
    ('RADIUS-RFC4675.pcap', 4, 1412865685057237, 87, 87, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 1812, 46281, NULL),
    ('RADIUS-RFC4675.pcap', 5, 1412865686941335, 125, 125, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 39300, 1812, NULL),
    ('RADIUS-RFC4675.pcap', 6, 1412865686942083, 87, 87, NULL, 4, '127.0.0.1', '127.0.0.1', 17, 1812, 39300, NULL),
    ('NHRP_registration.pcap', 1, 1422174105190210, 154, 154, 100, 4, '169.254.100.1', '169.254.100.5', 47, NULL, NULL, NULL),
    ('NHRP_registration.pcap', 2, 1422174105192105, 174, 174, 100, 4, '169.254.100.5', '169.254.100.1', 47, NULL, NULL, NULL),
    ('NHRP_registration.pcap', 3, 1422174106188858, 154, 154, 100, 4, '169.254.100.1', '169.254.100.5', 47, NULL, NULL, NULL),
    ('NHRP_registration.pcap', 4, 1422174106189213, 174, 174, 100, 4, '169.254.100.5', '169.254.100.1', 47, NULL, NULL, NULL),
    ('bigtcp-ipv6-hbh.pcap', 1, 1759760007172200, 80094, 80094, NULL, 6, '2604:1380:4091:ce00::d', '2604:1380:4091:ce00::b', 6, 41851, 43913, 24),
    ('dhcpv6-domain-list.pcap', 1, 1365673899660420, 155, 155, NULL, 6, 'fe80::20c:29ff:fe9b:a15d', 'fe80::20c:29ff:fe38:f368', 17, 547, 546, NULL);
CREATE TEMP TABLE tshark_pim (ip_version int, src_ip inet, dst_ip inet, ip_proto int,
    packets bigint, bytes bigint, captured_bytes bigint, sum_time_us numeric,
    first_us bigint, last_us bigint, with_ports bigint);
INSERT INTO tshark_pim VALUES
    (4, '10.0.0.1', '10.0.0.2', 103, 23, 39778, 39778, 35933981214219826, 1562346757213829, 1562347091929456, 0),
    (4, '10.0.0.1', '224.0.0.13', 103, 20, 2028, 2028, 31246940374526716, 1562346689877641, 1562347268966281, 0),
    (4, '10.0.0.10', '10.0.0.2', 103, 1, 170, 170, 1562347054370054, 1562347054370054, 1562347054370054, 0),
    (4, '10.0.0.13', '10.0.0.2', 103, 1, 64, 64, 1562346757233724, 1562346757233724, 1562346757233724, 0),
    (4, '10.0.0.2', '10.0.0.1', 103, 29, 102591, 102577, 45308061946849205, 1562346674870050, 1562347253953435, 0),
    (4, '10.0.0.2', '224.0.0.13', 103, 53, 5558, 5558, 82804390387802401, 1562346644789433, 1562347223938011, 0),
    (4, '10.0.0.7', '224.0.0.13', 103, 1, 84, 84, 1562347268970800, 1562347268970800, 1562347268970800, 0),
    (6, '10::1', '10::2', 103, 13, 1658, 1658, 20310518945308683, 1562347393771504, 1562347728590187, 0),
    (6, '10::1', 'ff02::d', 103, 20, 3976, 3976, 31246953107234980, 1562347326397655, 1562347905723603, 0),
    (6, '10::2', '10::1', 103, 29, 104703, 104649, 45308080409486386, 1562347311389973, 1562347890708003, 0),
    (6, '10::2', 'ff02::d', 103, 53, 10846, 10846, 82804424130564969, 1562347281305747, 1562347860691792, 0),
    (6, '1::b', '10::2', 103, 2, 420, 420, 3124695382235744, 1562347691113454, 1562347691122290, 0);
-- differ(GOT, WANT): the rows of query GOT that WANT lacks and those of WANT
-- that GOT lacks, as multisets
CREATE FUNCTION pg_temp.differ(got text, want text, OUT side text, OUT line text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT ''pktcapture'', x::text FROM ((%s) EXCEPT ALL (%s)) x', got, want);
    RETURN QUERY EXECUTE format('SELECT ''tshark'', x::text FROM ((%s) EXCEPT ALL (%s)) x', want, got);
END
$$;
-- the rows of the run BACK runs before the last against tshark's rows of
-- FILE; protocol follows the README's rule, a file's rows name no interface
CREATE FUNCTION pg_temp.rows_vs_tshark(f text, back int DEFAULT 0)
RETURNS TABLE (side text, line text) LANGUAGE sql AS $$
SELECT * FROM pg_temp.differ(
    format('SELECT (extract(epoch FROM capture_time) * 1000000)::bigint, packet_size,
                   captured_size, vlan_id::int, ip_version::int, src_ip, dst_ip,
                   ip_proto::int, protocol, src_port, dst_port, tcp_flags::int, interface
            FROM packets WHERE run_id = %s', (SELECT max(run_id) - back FROM pkt_runs)),
    format('SELECT time_us, packet_size, captured_size, vlan_id, ip_version, src_ip, dst_ip,
                   ip_proto, CASE ip_proto WHEN 6 THEN ''TCP'' WHEN 17 THEN ''UDP''
                   ELSE ip_proto::text END, src_port, dst_port, tcp_flags, NULL::text
            FROM tshark WHERE file = %L', f))
$$;
-- the summaries of that run (microseconds since the epoch) against sums of
-- tshark's rows of FILE per minute, hour and day: per protocol, and per
-- address sent and received (these files have few addresses: every list is
-- whole, every count exact, no address left out); parts add up
CREATE TEMP TABLE spans (span interval, us bigint);
INSERT INTO spans VALUES ('1 minute', 60000000), ('1 hour', 3600000000), ('1 day', 86400000000);
CREATE FUNCTION pg_temp.summaries_vs_tshark(f text, back int DEFAULT 0)
RETURNS TABLE (side text, line text) LANGUAGE sql AS $$
SELECT side, 'pkt_summary ' || line FROM pg_temp.differ(
    format('SELECT span, (extract(epoch FROM bucket) * 1000000)::bigint, ip_proto::int,
                   sum(packets), sum(bytes),
                   (extract(epoch FROM min(first_seen)) * 1000000)::bigint,
                   (extract(epoch FROM max(last_seen)) * 1000000)::bigint
            FROM pkt_summary WHERE run_id = %s GROUP BY span, bucket, ip_proto',
           (SELECT max(run_id) - back FROM pkt_runs)),
    format('SELECT s.span, t.time_us - t.time_us %% s.us, t.ip_proto, count(*),
                   sum(t.packet_size), min(t.time_us), max(t.time_us)
            FROM tshark t CROSS JOIN spans s WHERE t.file = %L GROUP BY 1, 2, 3', f))
UNION ALL
SELECT side, 'pkt_summary_top ' || line FROM pg_temp.differ(
    format('SELECT t.span, (extract(epoch FROM t.bucket) * 1000000)::bigint, t.direction,
                   u.addr, sum(u.p), sum(u.b), sum(u.pe), sum(u.be), sum(t.other_packets),
                   sum(t.other_bytes)
            FROM pkt_summary_top t
                 CROSS JOIN LATERAL unnest(t.addrs, t.packets, t.bytes, t.packets_error,
                                           t.bytes_error) AS u (addr, p, b, pe, be)
            WHERE t.run_id = %s GROUP BY 1, 2, 3, 4', (SELECT max(run_id) - back FROM pkt_runs)),
    format('SELECT s.span, t.time_us - t.time_us %% s.us, d.direction, d.a, count(*),
                   sum(t.packet_size), 0, 0, 0, 0
            FROM tshark t CROSS JOIN spans s
                 CROSS JOIN LATERAL (VALUES (''source'', t.src_ip), (''destination'', t.dst_ip))
                     AS d (direction, a)
            WHERE t.file = %L GROUP BY 1, 2, 3, 4', f))
$$;
-- Ethernet, IPv4, TCP: 11 frames, all IP
\set name 'dns_tcp_8053.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
SELECT * FROM pg_temp.rows_vs_tshark(:'name');
SELECT * FROM pg_temp.summaries_vs_tshark(:'name');
-- the statistics of the load: tshark's sums, shares and order (top talkers
-- most packets first); frames seen (all of them IP) and rows stored
WITH t AS (
    SELECT * FROM tshark WHERE file = :'name'
), got AS (
    SELECT section, item, packets, bytes, round(share::numeric, 1) AS share,
           CASE WHEN section LIKE 'top%' THEN row_number() OVER (PARTITION BY section ORDER BY n) END AS rank
    FROM pkt_stats(:'f') WITH ORDINALITY AS s (capture, section, item, packets, bytes, share, note, n)
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination', 'capture')
), want AS (
    SELECT 'total' AS section, 'packets' AS item, count(*) AS packets, sum(packet_size) AS bytes,
           100.0 AS share, NULL::bigint AS rank FROM t
    UNION ALL
    SELECT 'protocol', CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' ELSE ip_proto::text END,
           count(*), sum(packet_size), round(100.0 * count(*) / (SELECT count(*) FROM t), 1), NULL
    FROM t GROUP BY ip_proto
    UNION ALL
    SELECT 'top_source', host(src_ip), count(*), sum(packet_size),
           round(100.0 * count(*) / (SELECT count(*) FROM t), 1), row_number() OVER (ORDER BY count(*) DESC)
    FROM t GROUP BY src_ip
    UNION ALL
    SELECT 'top_destination', host(dst_ip), count(*), sum(packet_size),
           round(100.0 * count(*) / (SELECT count(*) FROM t), 1), row_number() OVER (ORDER BY count(*) DESC)
    FROM t GROUP BY dst_ip
    UNION ALL
    SELECT 'capture', 'frames seen', (SELECT frames FROM files WHERE file = :'name'), sum(packet_size), NULL, NULL FROM t
    UNION ALL
    SELECT 'capture', 'rows stored', count(*), NULL, NULL, NULL FROM t
    UNION ALL
    SELECT 'capture', 'rows pending', 0, NULL, NULL, NULL
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
WITH got AS (
    SELECT kind, state, frames, packets, rows_stored, not_ip, malformed, truncated, not_stored
    FROM pkt_status() WHERE interface = :'f'
), want AS (
    SELECT 'file', 'stopped', frames, ip, ip, frames - ip, 0, 0, 0 FROM files WHERE file = :'name'
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
-- pkt_report over the stored rows: tshark's sums, first and last times,
-- top talkers by packets and by bytes in their order
WITH t AS (
    SELECT * FROM tshark WHERE file = :'name'
), got AS (
    SELECT section, item, packets, bytes, round(share::numeric, 1) AS share,
           (extract(epoch FROM first_seen) * 1000000)::bigint AS first_us,
           (extract(epoch FROM last_seen) * 1000000)::bigint AS last_us,
           CASE WHEN section LIKE 'top%' THEN row_number() OVER (PARTITION BY section ORDER BY n) END AS rank
    FROM pkt_report_between('2020-03-02 15:00+00', '2020-03-02 16:00+00')
         WITH ORDINALITY AS r (section, item, packets, bytes, share, first_seen, last_seen,
                               exact, note, n)
), want AS (
    SELECT 'total' AS section, 'packets' AS item, count(*) AS packets, sum(packet_size) AS bytes,
           100.0 AS share, min(time_us) AS first_us, max(time_us) AS last_us, NULL::bigint AS rank FROM t
    UNION ALL
    SELECT 'protocol', CASE ip_proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' ELSE ip_proto::text END,
           count(*), sum(packet_size), round(100.0 * count(*) / (SELECT count(*) FROM t), 1),
           min(time_us), max(time_us), NULL
    FROM t GROUP BY ip_proto
    UNION ALL
    SELECT 'top_source' || k.suffix, host(src_ip), count(*), sum(packet_size),
           round(100.0 * count(*) / (SELECT count(*) FROM t), 1), NULL, NULL,
           row_number() OVER (PARTITION BY k.suffix ORDER BY CASE WHEN k.suffix = '' THEN count(*) ELSE sum(packet_size) END DESC)
    FROM t, (VALUES (''), ('_bytes')) k (suffix) GROUP BY k.suffix, src_ip
    UNION ALL
    SELECT 'top_destination' || k.suffix, host(dst_ip), count(*), sum(packet_size),
           round(100.0 * count(*) / (SELECT count(*) FROM t), 1), NULL, NULL,
           row_number() OVER (PARTITION BY k.suffix ORDER BY CASE WHEN k.suffix = '' THEN count(*) ELSE sum(packet_size) END DESC)
    FROM t, (VALUES (''), ('_bytes')) k (suffix) GROUP BY k.suffix, dst_ip
    UNION ALL
    -- the one conversation, its initiator the sender of the SYN
    SELECT 'conversation', format('%s:%s -> %s:%s TCP', host(syn.src_ip), syn.src_port,
                                  host(syn.dst_ip), syn.dst_port),
           count(*), sum(t.packet_size), 100.0, min(t.time_us), max(t.time_us), NULL
    FROM t, t syn WHERE syn.tcp_flags = 2
    GROUP BY syn.src_ip, syn.src_port, syn.dst_ip, syn.dst_port
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
-- its flows row: each way, tshark's packets, bytes and TCP flags (from the
-- SYN's sender), in both directions (no row may differ)
SELECT * FROM pg_temp.differ(
    $$SELECT src_ip, src_port, dst_ip, dst_port, ip_proto::int, packets, bytes,
             reverse_packets, reverse_bytes, tcp_flags::int, reverse_tcp_flags::int,
             (extract(epoch FROM first_seen) * 1000000)::bigint,
             (extract(epoch FROM last_seen) * 1000000)::bigint, folded, sources
      FROM flows WHERE run_id = (SELECT max(run_id) FROM pkt_runs)$$,
    $$SELECT syn.src_ip, syn.src_port, syn.dst_ip, syn.dst_port, 6,
             count(*) FILTER (WHERE t.src_ip = syn.src_ip),
             sum(t.packet_size) FILTER (WHERE t.src_ip = syn.src_ip),
             count(*) FILTER (WHERE t.src_ip = syn.dst_ip),
             sum(t.packet_size) FILTER (WHERE t.src_ip = syn.dst_ip),
             bit_or(t.tcp_flags) FILTER (WHERE t.src_ip = syn.src_ip),
             bit_or(t.tcp_flags) FILTER (WHERE t.src_ip = syn.dst_ip),
             min(t.time_us), max(t.time_us), false, NULL::int
      FROM tshark t, tshark syn
      WHERE t.file = 'dns_tcp_8053.pcap' AND syn.file = t.file AND syn.tcp_flags = 2
      GROUP BY 1, 2, 3, 4$$);
-- ... as GROUP BY over packets, in both directions (no row may differ)
\set from '2020-03-02 15:00+00'
\set to '2020-03-02 16:00+00'
\i test/report_check.sql
-- ... and as pkt_stats, in both directions
WITH s AS (
    SELECT section, item, packets, bytes FROM pkt_stats(:'f')
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
), r AS (
    SELECT section, item, packets, bytes FROM pkt_report_between('2020-03-02 15:00+00', '2020-03-02 16:00+00')
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
)
SELECT 'only in pkt_stats' AS side, * FROM (TABLE s EXCEPT ALL TABLE r) a
UNION ALL
SELECT 'only in pkt_report', * FROM (TABLE r EXCEPT ALL TABLE s) b;
-- a window that misses the capture is empty (tshark: every frame is of 15:44)
SELECT count(*) FROM pkt_report_between('2020-03-02 16:00+00', '2020-03-02 17:00+00');
-- the ledger counts exactly the rows that carry its run_id: tshark's
WITH got AS (
    SELECT r.kind, r.state, r.frames, r.packets, r.rows_stored,
           (SELECT count(*) FROM packets p WHERE p.run_id = r.run_id) AS rows_found
    FROM pkt_runs r WHERE r.run_id = (SELECT max(run_id) FROM pkt_runs)
), want AS (
    SELECT 'file', 'stopped', frames, ip, ip, ip FROM files WHERE file = :'name'
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
TRUNCATE packets;
-- Linux cooked capture v1, UDP over loopback
\set name 'RADIUS-RFC4675.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
SELECT * FROM pg_temp.rows_vs_tshark(:'name');
SELECT * FROM pg_temp.summaries_vs_tshark(:'name');
TRUNCATE packets;
-- 802.1Q tag 100, GRE (protocol 47, no ports)
\set name 'NHRP_registration.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
SELECT * FROM pg_temp.rows_vs_tshark(:'name');
TRUNCATE packets;
-- both ways of writing rows (COPY from a spool file, INSERT ... SELECT)
-- store tshark's rows and summaries, and the same
-- (COPY reads a temporary file: pg_stat_database counts it)
SELECT pg_stat_force_next_flush();
SELECT temp_files AS temp_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SELECT pkt_load(:'f') AS rows_by_copy;
SELECT pg_stat_force_next_flush();
SELECT temp_files - :temp_files_before > 0 AS copy_read_temp_files
FROM pg_stat_database WHERE datname = current_database();
SET pktcapture.write_method = insert;
SELECT temp_files AS temp_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SELECT pkt_load(:'f') AS rows_by_insert;
SELECT pg_stat_force_next_flush();
SELECT temp_files - :temp_files_before AS temp_files_of_insert
FROM pg_stat_database WHERE datname = current_database();
RESET pktcapture.write_method;
SELECT * FROM pg_temp.rows_vs_tshark(:'name', 1)
UNION ALL SELECT * FROM pg_temp.rows_vs_tshark(:'name');
SELECT * FROM pg_temp.summaries_vs_tshark(:'name', 1)
UNION ALL SELECT * FROM pg_temp.summaries_vs_tshark(:'name');
\i test/copy_insert_check.sql
SELECT count(*) AS unsummarized_runs FROM pkt_runs WHERE summarized_id IS NOT NULL;
TRUNCATE packets;
-- ... also for TCP with ports and flags
\set name 'dns_tcp_8053.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_by_copy;
SET pktcapture.write_method = insert;
SELECT pkt_load(:'f') AS rows_by_insert;
RESET pktcapture.write_method;
SELECT * FROM pg_temp.rows_vs_tshark(:'name', 1)
UNION ALL SELECT * FROM pg_temp.rows_vs_tshark(:'name');
SELECT * FROM pg_temp.summaries_vs_tshark(:'name', 1)
UNION ALL SELECT * FROM pg_temp.summaries_vs_tshark(:'name');
\i test/copy_insert_check.sql
TRUNCATE packets;
-- ... and for IPv4 with IPv6: PIM, 128 IPv4 and 117 IPv6 packets, all
-- protocol 103 outside (some carry IP or UDP inside: not decoded), no ports
\set name 'pim-packet-assortment.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_by_copy;
SET pktcapture.write_method = insert;
SELECT pkt_load(:'f') AS rows_by_insert;
RESET pktcapture.write_method;
SELECT 'by copy' AS run, * FROM pg_temp.differ(
    $$SELECT ip_version::int, src_ip, dst_ip, ip_proto::int, count(*), sum(packet_size),
             sum(captured_size), sum((extract(epoch FROM capture_time) * 1000000)::bigint),
             (min(extract(epoch FROM capture_time)) * 1000000)::bigint,
             (max(extract(epoch FROM capture_time)) * 1000000)::bigint, count(src_port)
      FROM packets WHERE run_id = (SELECT max(run_id) - 1 FROM pkt_runs) GROUP BY 1, 2, 3, 4$$,
    'TABLE tshark_pim')
UNION ALL
SELECT 'by insert', * FROM pg_temp.differ(
    $$SELECT ip_version::int, src_ip, dst_ip, ip_proto::int, count(*), sum(packet_size),
             sum(captured_size), sum((extract(epoch FROM capture_time) * 1000000)::bigint),
             (min(extract(epoch FROM capture_time)) * 1000000)::bigint,
             (max(extract(epoch FROM capture_time)) * 1000000)::bigint, count(src_port)
      FROM packets WHERE run_id = (SELECT max(run_id) FROM pkt_runs) GROUP BY 1, 2, 3, 4$$,
    'TABLE tshark_pim');
-- the flows of each run hold, per address pair, tshark's packets and bytes
-- both ways summed over its minutes, no ports; and each run's flows sum
-- to its rows
SELECT r.run_id - (SELECT max(run_id) FROM pkt_runs) AS run, d.*
FROM pkt_runs r CROSS JOIN LATERAL pg_temp.differ(
    format($$SELECT least(src_ip, dst_ip), greatest(src_ip, dst_ip), ip_proto::int,
                    sum(packets + reverse_packets), sum(bytes + reverse_bytes),
                    count(src_port) + count(dst_port)
             FROM flows WHERE run_id = %s GROUP BY 1, 2, 3$$, r.run_id),
    $$SELECT least(src_ip, dst_ip), greatest(src_ip, dst_ip), ip_proto, sum(packets), sum(bytes), 0
      FROM tshark_pim GROUP BY 1, 2, 3$$) d
WHERE r.run_id >= (SELECT max(run_id) - 1 FROM pkt_runs);
SELECT r.run_id - (SELECT max(run_id) FROM pkt_runs) AS run, r.rows_stored, r.flow_folded,
       r.flow_lost, r.flow_rows = (SELECT count(*) FROM flows f WHERE f.run_id = r.run_id) AS rows_counted,
       (SELECT sum(packets + reverse_packets) FROM flows f WHERE f.run_id = r.run_id) AS flow_packets
FROM pkt_runs r WHERE r.run_id >= (SELECT max(run_id) - 1 FROM pkt_runs) ORDER BY 1;
-- the summaries of the COPY run hold tshark's sums per protocol and per
-- address (over its minutes)
SELECT * FROM pg_temp.differ(
    $$SELECT ip_proto::int, sum(packets), sum(bytes),
             (min(extract(epoch FROM first_seen)) * 1000000)::bigint,
             (max(extract(epoch FROM last_seen)) * 1000000)::bigint
      FROM pkt_summary WHERE run_id = (SELECT max(run_id) - 1 FROM pkt_runs)
                         AND span = '1 minute' GROUP BY 1$$,
    'SELECT ip_proto, sum(packets), sum(bytes), min(first_us), max(last_us) FROM tshark_pim GROUP BY 1')
UNION ALL
SELECT * FROM pg_temp.differ(
    $$SELECT u.addr, coalesce(sum(u.p) FILTER (WHERE t.direction = 'source'), 0),
             coalesce(sum(u.b) FILTER (WHERE t.direction = 'source'), 0),
             coalesce(sum(u.p) FILTER (WHERE t.direction = 'destination'), 0),
             coalesce(sum(u.b) FILTER (WHERE t.direction = 'destination'), 0)
      FROM pkt_summary_top t CROSS JOIN LATERAL unnest(t.addrs, t.packets, t.bytes) AS u (addr, p, b)
      WHERE t.run_id = (SELECT max(run_id) - 1 FROM pkt_runs) AND t.span = '1 minute' GROUP BY 1$$,
    $$SELECT a, coalesce(sum(packets) FILTER (WHERE src), 0), coalesce(sum(bytes) FILTER (WHERE src), 0),
             coalesce(sum(packets) FILTER (WHERE NOT src), 0), coalesce(sum(bytes) FILTER (WHERE NOT src), 0)
      FROM tshark_pim CROSS JOIN LATERAL (VALUES (true, src_ip), (false, dst_ip)) d (src, a) GROUP BY 1$$);
\i test/copy_insert_check.sql
TRUNCATE packets;
-- IPv6 with a hop-by-hop header before TCP (BIG TCP: 80094 bytes on the wire)
\set name 'bigtcp-ipv6-hbh.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
SELECT * FROM pg_temp.rows_vs_tshark(:'name');
TRUNCATE packets;
-- IPv6, UDP (DHCPv6)
\set name 'dhcpv6-domain-list.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
SELECT * FROM pg_temp.rows_vs_tshark(:'name');
TRUNCATE packets;
-- a file cut short: the frames before the damage are kept, with a warning.
-- From tshark's captured lengths: a record is 16 bytes and the frame after
-- the 24-byte file header, so 700 bytes hold the whole frames whose record
-- ends by byte 700, and part of the next one.
\set name 'dns_tcp_8053.pcap'
\set f :corpus :name
\set cut :abs_builddir '/results/dns_tcp_8053-cut.pcap'
\set cmd 'head -c 700 ' :'f' ' > ' :'cut'
COPY (SELECT) TO PROGRAM :'cmd';
CREATE TEMP TABLE cut AS
WITH r AS (
    SELECT frame, captured_size, 24 + sum(16 + captured_size) OVER (ORDER BY frame) AS ends
    FROM tshark WHERE file = :'name'
)
SELECT (SELECT count(*) FROM r WHERE ends <= 700) AS whole,
       (SELECT captured_size FROM r WHERE ends > 700 ORDER BY frame LIMIT 1) AS next_len,
       700 - (SELECT max(ends) FROM r WHERE ends <= 700) - 16 AS next_got;
INSERT INTO files SELECT 'dns_tcp_8053-cut.pcap', whole, whole FROM cut;
SELECT * FROM cut;
SET client_min_messages = error;  -- the WARNING names a temporary path
SELECT pkt_load(:'cut') AS rows_before_damage;
RESET client_min_messages;
SELECT * FROM pg_temp.differ(
    $$SELECT (extract(epoch FROM capture_time) * 1000000)::bigint, packet_size, src_port FROM packets$$,
    'SELECT time_us, packet_size, src_port FROM tshark WHERE file = ''dns_tcp_8053.pcap'' AND frame <= (SELECT whole FROM cut)');
WITH got AS (
    SELECT state, frames, rows_stored, error FROM pkt_status() WHERE interface = :'cut'
), want AS (
    SELECT 'stopped', whole, whole, format('damaged after frame %s: truncated dump file; tried to read %s captured bytes, only got %s',
                                           whole, next_len, next_got) FROM cut
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
TRUNCATE packets;
-- non-IP frames are counted, not stored: spanning tree BPDUs
\set name '802.1D_spanning_tree.pcap'
\set f :corpus :name
SELECT pkt_load(:'f') AS rows_stored, (SELECT ip FROM files WHERE file = :'name') AS tshark_ip_frames;
WITH got AS (
    SELECT frames, packets, not_ip FROM pkt_status() WHERE interface = :'f'
), want AS (
    SELECT frames, ip, frames - ip FROM files WHERE file = :'name'
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'tshark', * FROM (TABLE want EXCEPT ALL TABLE got) b;
-- the ledger has one line per run, with its outcome: the captures of the
-- interface test (whose filter nothing matched), then this test's loads
WITH got AS (
    SELECT row_number() OVER (ORDER BY run_id) AS n, regexp_replace(source, '.*/', '') AS file,
           kind, state, frames, packets, rows_stored, not_ip, not_stored, error,
           stopped_at >= started_at AS ordered
    FROM pkt_runs
), want AS (
    SELECT n, file, kind, 'stopped', coalesce(f.frames, 0), coalesce(f.ip, 0), coalesce(f.ip, 0),
           coalesce(f.frames - f.ip, 0), 0,
           CASE WHEN file LIKE '%-cut.pcap' THEN
               (SELECT format('damaged after frame %s: truncated dump file; tried to read %s captured bytes, only got %s',
                              whole, next_len, next_got) FROM cut) END, true
    FROM (VALUES (1, 'lo', 'live'), (2, 'lo', 'live'), (3, 'any', 'live'),
                 (4, 'dns_tcp_8053.pcap', 'file'), (5, 'RADIUS-RFC4675.pcap', 'file'),
                 (6, 'NHRP_registration.pcap', 'file'), (7, 'NHRP_registration.pcap', 'file'),
                 (8, 'NHRP_registration.pcap', 'file'), (9, 'dns_tcp_8053.pcap', 'file'),
                 (10, 'dns_tcp_8053.pcap', 'file'), (11, 'pim-packet-assortment.pcap', 'file'),
                 (12, 'pim-packet-assortment.pcap', 'file'), (13, 'bigtcp-ipv6-hbh.pcap', 'file'),
                 (14, 'dhcpv6-domain-list.pcap', 'file'), (15, 'dns_tcp_8053-cut.pcap', 'file'),
                 (16, '802.1D_spanning_tree.pcap', 'file')) AS v (n, file, kind)
    LEFT JOIN files f USING (file)
)
SELECT 'pktcapture' AS side, * FROM (TABLE got EXCEPT ALL TABLE want) a
UNION ALL
SELECT 'expected', * FROM (TABLE want EXCEPT ALL TABLE got) b;
-- every run's flows sum to its rows, and the ledger counts them
SELECT count(*) AS runs_whose_flows_differ FROM pkt_runs r
WHERE r.flow_lost <> 0 OR r.flow_rows <> (SELECT count(*) FROM flows f WHERE f.run_id = r.run_id)
   OR r.rows_stored <> coalesce((SELECT sum(packets + reverse_packets) FROM flows f
                                 WHERE f.run_id = r.run_id), 0);
-- the list of flows' partitions emptied by hand: the next load lists the
-- partition there again, and writes into it
DELETE FROM pkt_flow_partitions;
SELECT pkt_load(:'corpus' || 'dns_tcp_8053.pcap') AS rows_after_the_list_was_emptied;
SELECT relname, range_start, range_end FROM pkt_flow_partitions WHERE dropped_at IS NULL;
SELECT count(*) AS flows_of_that_load FROM flows WHERE run_id = (SELECT max(run_id) FROM pkt_runs);
TRUNCATE packets;
