-- setup: the extension creates the table and the functions
CREATE EXTENSION pktcapture;
\d packets
SELECT p.proname, oidvectortypes(p.proargtypes) AS argument_types,
       p.pronargdefaults AS defaults, p.proretset AS set,
       p.prorettype::regtype AS returns
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'pkt\_%'
ORDER BY 1;
-- nothing is executable by PUBLIC but the writer's pkt_batch_* functions (they
-- read only the batch of the statement they are part of); monitoring
-- functions go to pg_monitor
SELECT p.proname,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public,
       has_function_privilege('pg_monitor', p.oid, 'EXECUTE') AS pg_monitor
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'pkt\_%'
ORDER BY 1;
-- the table's data is dumped by pg_dump
SELECT c.relname
FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
WHERE e.extname = 'pktcapture' ORDER BY 1;
-- the protocol column follows the original program: TCP, UDP or the number
-- (rows inserted by hand need their partition of packets first)
SELECT range_start, range_end FROM pkt_partition_create(ARRAY['2020-01-01 00:00:00+00'::timestamptz]);
INSERT INTO packets (src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, captured_size)
VALUES ('10.0.0.1', '10.0.0.2', 60, '2020-01-01 00:00:00+00', 4, 6, 60),
       ('10.0.0.1', '10.0.0.2', 60, '2020-01-01 00:00:00+00', 4, 17, 60),
       ('::1', '::2', 60, '2020-01-01 00:00:00+00', 6, 58, 60);
SELECT ip_proto, protocol FROM packets ORDER BY id;
TRUNCATE packets;
