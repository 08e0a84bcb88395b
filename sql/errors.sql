-- errors: every refusal names the problem and says what to do
-- an interface that does not exist; the hint lists the real ones
\set VERBOSITY terse
SELECT pkt_start('nosuch0');
\set VERBOSITY default
DO $$
DECLARE
    hint text;
BEGIN
    PERFORM pkt_start('nosuch0');
EXCEPTION WHEN undefined_object THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'hint lists lo: %, lists any: %',
        hint ~ '\mlo\M', hint ~ '\many\M';
END
$$;
SELECT pkt_start(NULL);
\set VERBOSITY terse
SELECT pkt_start('');
SELECT pkt_start('averyveryverylongname0');
\set VERBOSITY default
-- a filter that does not compile quotes libpcap
SELECT pkt_start('lo', 'this is not a filter');
SELECT pkt_start('lo', 'tcp port 99999');
SELECT pkt_start('lo', repeat('x', 2000));
-- no failed start leaves a capture behind
SELECT count(*) FROM pkt_status() WHERE state NOT IN ('stopped', 'failed');
-- files
SELECT pkt_load('/nonexistent/capture.pcap');
SELECT pkt_load(NULL);
\getenv abs_srcdir PG_ABS_SRCDIR
\set notpcap :abs_srcdir '/Makefile'
\set VERBOSITY sqlstate
SELECT pkt_load(:'notpcap');
\set VERBOSITY default
-- the writer's batch functions serve nothing outside its own statements
SELECT pkt_batch_int4(42, 0);
SELECT * FROM pkt_batch_text(NULL, 0);
