-- rules: each rule pktcapture applies in C and in SQL has one home; here
-- they are held to values worked out by hand.
-- the protocol's label: TCP, UDP or the number
SELECT pkt_protocol_label(6) AS tcp, pkt_protocol_label(17) AS udp,
       pkt_protocol_label(1) AS icmp, pkt_protocol_label(0) AS hopopt,
       pkt_protocol_label(255) AS reserved;
-- packets' generated column protocol (its expression cannot change without
-- rewriting the table) says the same for every protocol number
CREATE TEMP TABLE labels (LIKE packets INCLUDING GENERATED INCLUDING IDENTITY INCLUDING DEFAULTS);
INSERT INTO labels (src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, captured_size)
SELECT '10.0.0.1', '10.0.0.2', 60, '2020-01-01 00:00:00+00', 4, n, 60
FROM generate_series(0, 255) AS n;
SELECT count(*) AS protocols,
       count(*) FILTER (WHERE protocol = pkt_protocol_label(ip_proto)) AS agree
FROM labels;
-- the epoch of every time bucket: 2000-01-01 00:00 UTC
SELECT pkt_bucket_epoch() = '2000-01-01 00:00:00+00'::timestamptz AS epoch;
SELECT pkt_bucket_floor('2020-03-04 05:06:07+00', '1 hour') = '2020-03-04 05:00:00+00' AS floor_hour,
       pkt_bucket_floor('1999-12-31 23:59:59+00', '1 day') = '1999-12-31 00:00:00+00' AS floor_before_epoch,
       -- 2020-03-04 is day 7368 from 2000-01-01; weeks end on days 7*1053 = 7371
       pkt_bucket_ceil('2020-03-04 05:06:07+00', '7 days') = '2020-03-07 00:00:00+00' AS ceil_week;
-- no function of the extension writes the epoch or the labels by hand
SELECT p.proname
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
     JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pktcapture'
WHERE p.prosrc LIKE '%2000-01-01%' OR p.prosrc LIKE '%''TCP''%' OR p.prosrc LIKE '%A-Za-z0-9%'
ORDER BY 1;
-- a sensor's name: the rule of pktcapture.sensor
SELECT pkt_sensor_name_check('sensor-1.lab_a');
SELECT pkt_sensor_name_check(repeat('a', 52));
\set VERBOSITY default
SELECT pkt_sensor_name_check(repeat('a', 53));
SELECT pkt_sensor_name_check('-leading');
SELECT pkt_sensor_name_check('two words');
SELECT pkt_sensor_name_check('été');
SELECT pkt_sensor_name_check('');
SELECT pkt_sensor_name_check(NULL);
\set VERBOSITY terse
-- the hub's states: which lose rows, which receive them
SELECT s AS state, pkt_hub_state_lost(s) AS lost, pkt_hub_state_healthy(s) AS healthy
FROM unnest(ARRAY['streaming', 'copying', 'lost', 'slot gone', 'not connected',
                  'held by the disk guard', 'failing']) AS s;
