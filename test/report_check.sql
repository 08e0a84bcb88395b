-- test/report_check.sql: pkt_report_between(:'from', :'to') against GROUP BY
-- over every row of packets (the window must hold them all).  Prints the
-- lines that differ, none when they agree.  Used by sql/load.sql, the golden
-- suite and the TAP tests: psql -v from=... -v to=... -f test/report_check.sql
WITH report AS (
    SELECT section, item, packets, bytes
    FROM pkt_report_between(:'from', :'to', 1000000)
    WHERE section IN ('total', 'protocol', 'top_source', 'top_destination')
), direct AS (
    SELECT 'total' AS section, 'packets' AS item, count(*) AS packets, sum(packet_size) AS bytes FROM packets
    UNION ALL SELECT 'protocol', protocol, count(*), sum(packet_size) FROM packets GROUP BY protocol
    UNION ALL SELECT 'top_source', host(src_ip), count(*), sum(packet_size) FROM packets GROUP BY src_ip
    UNION ALL SELECT 'top_destination', host(dst_ip), count(*), sum(packet_size) FROM packets GROUP BY dst_ip
)
SELECT 'only in report' AS side, * FROM (SELECT * FROM report EXCEPT SELECT * FROM direct) x
UNION ALL
SELECT 'only in GROUP BY', * FROM (SELECT * FROM direct EXCEPT SELECT * FROM report) y;
