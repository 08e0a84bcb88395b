-- privileges: capturing and loading files need explicit grants
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/../shared/pcaps/tcpdump/dns_tcp_8053.pcap'
CREATE ROLE pkt_alice LOGIN;
CREATE ROLE pkt_watcher LOGIN IN ROLE pg_monitor;
SET ROLE pkt_alice;
SELECT pkt_start('lo');
SELECT pkt_stop();
SELECT pkt_load(:'f');
SELECT * FROM pkt_stats();
SELECT count(*) FROM pkt_interfaces();
RESET ROLE;
-- monitoring roles read statistics but cannot capture
SET ROLE pkt_watcher;
SELECT count(*) > 0 AS has_lo FROM pkt_interfaces() WHERE name = 'lo';
SELECT count(*) >= 0 AS ok FROM pkt_stats();
SELECT pkt_start('lo');
RESET ROLE;
-- EXECUTE on pkt_load is not enough: reading server files is pg_read_server_files'
GRANT EXECUTE ON FUNCTION pkt_load(text) TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_load(:'f');
RESET ROLE;
GRANT pg_read_server_files TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_load(:'f');
RESET ROLE;
GRANT INSERT ON packets TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_load(:'f');
RESET ROLE;
SELECT count(*) FROM packets;
-- pkt_report adds the rows not yet in the summaries from packets, which
-- pg_monitor may not read: the report works for it, the rows stay hidden
UPDATE pkt_runs SET summarized_id = (SELECT max(id) - 1 FROM packets)
WHERE run_id = (SELECT max(run_id) FROM pkt_runs);
SET ROLE pkt_watcher;
SELECT count(*) > 0 AS reported FROM pkt_report_between('-infinity', 'infinity');
SELECT count(*) FROM packets;
SELECT count(*) FROM pkt_unsummarized(ARRAY[1], '-infinity', 'infinity');
RESET ROLE;
UPDATE pkt_runs SET summarized_id = NULL;
-- a capture writes as the role that starts it: INSERT on packets is needed
GRANT EXECUTE ON FUNCTION pkt_start(text, text), pkt_stop(text) TO pkt_alice;
REVOKE INSERT ON packets FROM pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_start('lo', 'udp and src port 9 and dst port 7');
RESET ROLE;
GRANT INSERT ON packets TO pkt_alice;
SET ROLE pkt_alice;
SELECT pkt_start('lo', 'udp and src port 9 and dst port 7') > 0 AS started;
SELECT pkt_stop('lo');
RESET ROLE;
TRUNCATE packets;
REVOKE ALL ON packets FROM pkt_alice;
DROP OWNED BY pkt_alice;
DROP ROLE pkt_alice;
DROP ROLE pkt_watcher;
