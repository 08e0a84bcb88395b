-- interface: listing interfaces, starting and stopping a capture
SELECT name FROM pkt_interfaces() WHERE name IN ('lo', 'any') ORDER BY name;
SELECT 'loopback' = ANY (flags) AS loopback,
       '127.0.0.1/8'::inet = ANY (addresses) AS has_127
FROM pkt_interfaces() WHERE name = 'lo';
-- a capture on lo whose filter nothing matches, so the result is fixed
SELECT pkt_start('lo', 'udp and src port 9 and dst port 7') > 0 AS started;
SELECT interface, kind, filter, state, pid > 0 AS has_pid, frames, rows_stored
FROM pkt_status();
-- starting it again is an error that says so
\set VERBOSITY terse
SELECT pkt_start('lo');
\set VERBOSITY default
SELECT pkt_stop('lo');
SELECT interface, state, pid IS NULL AS no_pid, stopped_at >= started_at AS ordered,
       rows_pending, not_stored, error
FROM pkt_status();
-- statistics of the last capture stay readable after it stopped
SELECT * FROM pkt_stats('lo');
SELECT count(*) FROM pkt_stats('nosuch');
-- stopping what does not run is not an error
SELECT pkt_stop('lo');
SELECT pkt_stop();
-- a capture can start again on the same interface, and pkt_stop() stops all
SELECT pkt_start('lo', 'udp and src port 9 and dst port 7') > 0 AS started;
SELECT pkt_start('any', 'udp and src port 9 and dst port 7') > 0 AS started;
SELECT interface, state FROM pkt_status() ORDER BY interface;
SELECT pkt_stop();
SELECT interface, state FROM pkt_status() ORDER BY interface;
SELECT count(*) FROM packets;
