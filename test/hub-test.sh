#!/bin/bash
# test/hub-test.sh: two sensors and a hub, by logical replication.
#
#   test/hub-test.sh      (as root; about 4 minutes)
#   ONLY=hub-down test/hub-test.sh     one section (--sections lists them)
#
# The extension must be built and installed (make install).  Three
# throwaway clusters: sensors sensor-a and sensor-b (wal_level = logical),
# each capturing its own veth pair (hubA0/hubB0 here, the other ends in a
# namespace where tcpreplay sends bench/gen-pcap.py's traffic at HUB_PPS),
# and the hub, which adds both with pkt_hub_add.  Then:
#
#   0. (always) Rows and flows a sensor held before it was added are copied.
#   1. rows: the rows of live
#      captures follow: at the hub, each sensor's rows equal the sensor's
#      (count, and an md5 over id, src_ip, dst_ip, protocol, packet_size,
#      capture_time in id order), and so do its flows (rows, and packets
#      both ways); each sensor stored every IP packet the
#      generator made; pkt_report at the hub equals GROUP BY over the
#      hub's rows, per sensor and in total; pkt_runs shows each sensor's
#      runs; a partition of packets a sensor drops, or of flows its
#      retention drops, stays at the hub.
#   2. hub-down: the hub down for a minute during capture: it catches up, no row lost
#      or twice.
#   3. sensor-restart: a sensor restarted during capture: the same.
#   4. slot-lost: the hub away while a sensor's WAL passes max_slot_wal_keep_size: the
#      slot is lost at the sensor, the hub says so in pkt_hub_status()
#      (state, rows_missed = what the sensor has that the hub has not) and
#      in its log; a sensor whose slot WAL is unbounded is refused; added
#      again, the sensor's rows and flows are copied and only the missing
#      ones kept.
#   4b. guard: the hub's disk guard: its free space below pktcapture.min_free_space,
#      it drops its oldest partition, then disables the subscriptions (the
#      sensors keep capturing), and enables them again when space is back:
#      it catches up.
#   5. errors: clear errors: a bad connection string, a database without
#      pktcapture, an older pktcapture, a name used twice, a server added
#      under another's name.
#   6. update: a hub and sensors of 1.5 (databases of their own; the
#      sensors leave the hub above first), updated: sensor-a before the
#      hub (the hub's subscription waits for the hub's update), sensor-b
#      after; each one's flows reach the hub once both are updated (the
#      hub's worker subscribes to them), equal to the sensor's, and follow.
#      (1.5's SQL with this library: nothing is written before an update.)
# Prints "ok - ..." / "not ok - ..." and "hub: N passed, M failed".
# HUB_KEEP=1 (or KEEP_WORK=1) keeps the work directory even when all pass.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections rows hub-down sensor-restart slot-lost guard errors update
suite_init hub HUB_ "$@"
. "$here/lib/netns.sh"
. "$here/lib/nodes.sh"

HUB_PPS=${HUB_PPS:-3000}
HUB_DOWN_SECONDS=${HUB_DOWN_SECONDS:-60}
HUB_SPAN=${HUB_SPAN:-}	# the hub's pktcapture.partition_span (1min: its guard drops the sections' rows)
WORK_NOTE="server logs in $WORK/*/server.log"

for cmd in ip tcpreplay psql pg_config setpriv; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done
[ -f "$(pg_config --pkglibdir)/dblink.so" ] || fatal "dblink is not installed (Debian: postgresql-15)"

NS=pkthub-peer-$$
A0=hubA0-$$; A0=${A0:0:15}
A1=hubA1-$$; A1=${A1:0:15}
B0=hubB0-$$; B0=${B0:0:15}
B1=hubB1-$$; B1=${B1:0:15}
declare -A PORT
NODES="sensor-a sensor-b hub"

conninfo() {	# conninfo NODE [DB]
	local user=postgres
	[ "$1" = sensor-b ] && user=pkthub
	echo "host=$WORK/$1 port=${PORT[$1]} dbname=${2:-postgres} user=$user"
}
# rows of a sensor as the sensor holds them, and as the hub does, from
# SINCE on (not those of 2020, which sensor-a drops and the hub keeps:
# checked apart; nor, after 4b, those of partitions the hub's guard dropped)
SINCE='2021-01-01'
FINGERPRINT="count(*) || ' ' || coalesce(md5(string_agg(concat_ws(',', id, src_ip, dst_ip, protocol, packet_size, capture_time), ';' ORDER BY id)), '-')"
at_sensor() { nsql "$1" "SELECT $FINGERPRINT FROM packets WHERE sensor = '' AND capture_time >= '$SINCE'"; }
at_hub() { nsql hub "SELECT $FINGERPRINT FROM packets WHERE sensor = '$1' AND capture_time >= '$SINCE'"; }
hub_equals() { [ "$(at_hub "$1")" = "$2" ]; }
# flows of a sensor as the sensor holds them, and as the hub does, from
# FLOW_SINCE on (the 2020 ones checked apart): rows, and packets both ways;
# FLOW_DB: the databases
FLOW_SINCE='2021-01-01'
FLOW_DB=postgres
FLOW_FP="count(*) || ' ' || coalesce(sum(packets + reverse_packets), 0)"
flows_at_sensor() { nsql "$1" "SELECT $FLOW_FP FROM flows WHERE first_seen >= '$FLOW_SINCE'" "$FLOW_DB"; }
flows_at_hub() { nsql hub "SELECT $FLOW_FP FROM flows WHERE sensor = '$1' AND first_seen >= '$FLOW_SINCE'" "$FLOW_DB"; }
hub_flows_equal() { [ "$(flows_at_hub "$1")" = "$2" ]; }
check_hub_flows() {	# check_hub_flows SENSOR WHAT [SECONDS]
	local want
	want=$(flows_at_sensor "$1")
	if wait_until "${3:-60}" hub_flows_equal "$1" "$want"; then
		ok "$2: the hub holds sensor $1's flows (${want%% *} rows, ${want##* } packets)"
	else
		not_ok "$2: sensor $1 has flows '$want', the hub '$(flows_at_hub "$1")'"
	fi
}
# the flows of 2020 (sensor-a's file of 2020) at a node, as sensor NAME's
flows_2020() { nsql "$1" "SELECT $FLOW_FP FROM flows WHERE first_seen < '2021-01-01' AND sensor = '$2'"; }
# until the hub holds exactly the sensor's rows (the sensor's capture stopped)
hub_has() {	# hub_has SENSOR [SECONDS]
	wait_until "${2:-120}" hub_equals "$1" "$(at_sensor "$1")"
}
check_hub_has() {	# check_hub_has SENSOR WHAT
	local want
	want=$(at_sensor "$1")
	if hub_has "$1"; then
		ok "$2: the hub holds sensor $1's rows (${want%% *} rows, md5 equal)"
	else
		not_ok "$2: sensor $1 has '$want', the hub '$(at_hub "$1")'"
	fi
}
# set NODE NAME VALUE: ALTER SYSTEM, reloaded; returns once a new session
# (as a hub's question is) has it
set_conf() {
	nsql "$1" "ALTER SYSTEM SET $2 = '$3'" >/dev/null && nsql "$1" "SELECT pg_reload_conf()" >/dev/null &&
		node_until "$1" 10 "SELECT current_setting('$2') = '$3'"
}

# replay IFACE PPS FRAMES OUT: tcpreplay of FRAMES frames of the traffic,
# in the background (REPLAY: its PID)
replay() {
	local loops=$((($3 + 29999) / 30000))
	ip netns exec "$NS" tcpreplay -q --no-flow-stats -i "$1" --pps="$2" --loop="$loops" --limit="$3" \
		"$WORK/traffic.pcap" >"$4" 2>&1 &
	REPLAY=$!
	track_bg "$REPLAY"
}
# capture NODE IFACE: start it; the worker's PID in CAPTURE
capture() { must_get CAPTURE "$1 captures on $2" nsql "$1" "SELECT pkt_start('$2')"; }
stopped() { must "$1 stops its capture" nsql "$1" "SELECT pkt_stop()"; }
# writing NODE PID: the capture of worker PID has stored rows
writing() { node_until "$1" 30 "SELECT rows_stored > 0 FROM pkt_status() WHERE pid = $2"; }
slots_inactive() {	# slots_inactive NODE: no hub is connected to its slot
	node_until "$1" 30 "SELECT count(*) > 0 AND NOT bool_or(active) FROM pg_replication_slots
		WHERE slot_name LIKE 'pktcapture_hub_%'"
}

# ---------------------------------------------------------------------------
heading "test network, traffic and clusters"
must "a network namespace $NS" netns_add "$NS"
must "veth $A0 here, $A1 in $NS" netns_veth "$A0" "$A1"
must "veth $B0 here, $B1 in $NS" netns_veth "$B0" "$B1"
for l in "$A0" "$B0"; do sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
for l in "$A1" "$B1"; do netns_exec sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
must "the test network comes up" netns_up "$A0" "$A1" "$B0" "$B1"
must "traffic: 30000 frames (bench/gen-pcap.py)" "$PY" "$ROOT/bench/gen-pcap.py" --out "$WORK/traffic.pcap" \
	--count 30000 --seed 11 --json "$WORK/traffic.json"
chmod 644 "$WORK/traffic.pcap"
IP_PER_FILE=$(jget traffic ip_packets)
echo "# traffic: $IP_PER_FILE IP packets in a file"
for n in sensor-a sensor-b; do
	must "start $n" node_start "$n" "max_slot_wal_keep_size = '1GB'" "max_wal_size = '64MB'" "min_wal_size = '32MB'"
	must "CREATE EXTENSION on $n" nsql "$n" "CREATE EXTENSION pktcapture"
done
must "start the hub" node_start hub ${HUB_SPAN:+"pktcapture.partition_span = '$HUB_SPAN'"}
must "CREATE EXTENSION pktcapture, dblink on the hub" \
	nsql hub "CREATE EXTENSION pktcapture; CREATE EXTENSION dblink"
echo "# clusters: sensor-a on ${PORT[sensor-a]}, sensor-b on ${PORT[sensor-b]}, the hub on ${PORT[hub]}"
# sensor-b lets the hub in as a role of its own, with only what it needs
must "a role pkthub at sensor-b" nsql sensor-b "CREATE ROLE pkthub LOGIN REPLICATION"
check_eq "sensor-b: pkt_sensor_grant('pkthub')" "$(nsql sensor-b "SELECT pkt_sensor_grant('pkthub')")" \
	"a hub may connect to this sensor as pkthub (pg_hba.conf must let it into this database; no replication line is needed)"

heading "sensors added, with the rows they held"
f=$CORPUS/dns_tcp_8053.pcap
check_eq "sensor-a holds a capture file of 2020 before it is added (tshark: 11 packets)" \
	"$(nsql sensor-a "SELECT pkt_load('$f')")" 11 || fatal "sensor-a could not load $f"
RUN2020=$(nsql sensor-a "SELECT max(run_id) FROM pkt_runs")
for n in sensor-a sensor-b; do
	check_eq "pkt_hub_add('$n', ...)" "$(nsql hub "SELECT pkt_hub_add('$n', '$(conninfo "$n")')")" \
		"sensor $n added: its rows are copied, then follow as it captures" || fatal "$n is not added"
done
check "the hub's worker runs" node_until hub 30 \
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'"
check "the rows of 2020 came in a partition of their own" node_until hub 30 \
	"SELECT count(*) = 11 FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'"
F2020=$(flows_2020 sensor-a sensor-a)
check_eq "sensor-a's flows of 2020 are its 11 packets" "${F2020#* }" 11
check "... and came too, in the day's partition of flows" node_until hub 30 \
	"SELECT '$F2020' = (SELECT $FLOW_FP FROM flows WHERE sensor = 'sensor-a' AND first_seen < '2021-01-01')
	    AND EXISTS (SELECT 1 FROM pkt_flow_partitions WHERE relname = 'flows_20200302' AND dropped_at IS NULL)"

# ---------------------------------------------------------------------------
if section rows "1. rows before and during capture"; then
	capture sensor-a "$A0"
	capture sensor-b "$B0"
	replay "$A1" "$HUB_PPS" 30000 "$WORK/r1a.txt"
	RA=$REPLAY
	replay "$B1" "$HUB_PPS" 30000 "$WORK/r1b.txt"
	wait "$RA" "$REPLAY"
	stopped sensor-a
	stopped sensor-b
	step "tcpreplay sent every frame on both links" \
		[ "$(tcpreplay_sent "$WORK/r1a.txt") $(tcpreplay_sent "$WORK/r1b.txt")" = "30000 30000" ]
	check_eq "each sensor stored every IP packet of the generator's" \
		"$(nsql sensor-a "SELECT count(*) FROM packets WHERE run_id = (SELECT max(run_id) FROM pkt_runs)") $(nsql sensor-b "SELECT count(*) FROM packets WHERE run_id = (SELECT max(run_id) FROM pkt_runs)")" \
		"$IP_PER_FILE $IP_PER_FILE"
	check_hub_has sensor-a "copy and capture"
	check_hub_has sensor-b "capture"
	check "each sensor wrote flows of its capture" \
		[ "$(nsql sensor-a "SELECT count(*) FROM flows WHERE run_id = (SELECT max(run_id) FROM pkt_runs)")" -gt 0 ]
	check_hub_flows sensor-a "copy and capture"
	check_hub_flows sensor-b "capture"
	check_eq "no flows at the hub under another name" \
		"$(nsql hub "SELECT string_agg(DISTINCT sensor, ' ' ORDER BY sensor) FROM flows")" "sensor-a sensor-b"
	check_eq "pkt_runs at the hub: each sensor's runs, as the sensor has them" \
		"$(nsql hub "SELECT string_agg(sensor || ':' || run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY sensor, run_id) FROM pkt_runs")" \
		"$(for n in sensor-a sensor-b; do nsql "$n" "SELECT string_agg(sensor || ':' || run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY run_id) FROM pkt_runs"; done | paste -sd' ')"
	# the report against GROUP BY over the hub's own rows
	report_lines() {	# report_lines SENSOR-or-NULL: total and protocol lines
		nsql hub "SELECT string_agg(item || '=' || packets || '/' || bytes, ' ' ORDER BY item)
			FROM pkt_report_between('-infinity', 'infinity', 5, NULL, $1) WHERE section IN ('total', 'protocol')"
	}
	group_lines() {	# group_lines WHERE
		nsql hub "SELECT string_agg(item || '=' || p || '/' || b, ' ' ORDER BY item) FROM (
			SELECT 'packets' AS item, count(*) AS p, sum(packet_size) AS b FROM packets WHERE $1
			UNION ALL SELECT protocol, count(*), sum(packet_size) FROM packets WHERE $1 GROUP BY protocol) x"
	}
	for n in sensor-a sensor-b; do
		check_eq "pkt_report at the hub for $n equals GROUP BY (total and protocols)" \
			"$(report_lines "'$n'")" "$(group_lines "sensor = '$n'")"
	done
	check_eq "pkt_report at the hub over every sensor equals GROUP BY" \
		"$(report_lines NULL)" "$(group_lines "true")"
	exact=$(nsql hub "SELECT count(*) FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'top_source' AND exact")
	check "pkt_report at the hub has exact top sources ($exact of 5)" [ "${exact:-0}" -ge 1 ]
	check_eq "... and they equal GROUP BY" \
		"$(nsql hub "SELECT string_agg(item || '=' || packets, ' ' ORDER BY item) FROM pkt_report_between('-infinity', 'infinity')
			WHERE section = 'top_source' AND exact")" \
		"$(nsql hub "SELECT string_agg(a || '=' || n, ' ' ORDER BY a) FROM (SELECT host(src_ip) AS a, count(*) AS n FROM packets
			GROUP BY src_ip) g WHERE a IN (SELECT item FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'top_source' AND exact)")"
	part=$(nsql sensor-a "SELECT relname FROM pkt_partitions WHERE range_start < '2021-01-01' AND dropped_at IS NULL")
	check_eq "sensor-a drops its partition of 2020 ($part)" \
		"$(nsql sensor-a "SELECT pkt_partition_drop('$part', 'by hand')")" 11
	# the drop reached the hub once the run's ledger line, updated in the
	# same transaction, did
	step "the hub has sensor-a's ledger after the drop (run $RUN2020: 11 rows removed)" \
		node_until hub 60 "SELECT rows_removed = 11 FROM pkt_runs WHERE sensor = 'sensor-a' AND run_id = $RUN2020"
	check_eq "... the hub keeps its copy" \
		"$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'")" 11
	# flows: sensor-a's retention drops its day of 2020 (maintenance, as a
	# capture's round runs it)
	must "sensor-a keeps flows a day" set_conf sensor-a pktcapture.flow_retention 1d
	must "sensor-a's maintenance" nsql sensor-a "CALL pkt_maintain()"
	must "sensor-a keeps flows again" set_conf sensor-a pktcapture.flow_retention 0
	check_eq "sensor-a dropped its flows of 2020 by retention" \
		"$(nsql sensor-a "SELECT reason || ' ' || rows FROM pkt_flow_partitions WHERE relname = 'flows_20200302'")
$(flows_2020 sensor-a sensor-a)" "retention ${F2020%% *}
0 0"
	# the drop is no insert: the hub has nothing to wait for
	check_eq "... the hub keeps its copy of them, in its partition of that day" \
		"$(flows_2020 hub sensor-a) $(nsql hub "SELECT count(*) FROM pkt_flow_partitions WHERE relname = 'flows_20200302' AND dropped_at IS NULL")" \
		"$F2020 1"
fi

# ---------------------------------------------------------------------------
if section hub-down "2. the hub down for ${HUB_DOWN_SECONDS} s during capture"; then
	capture sensor-a "$A0"
	PID_A=$CAPTURE
	capture sensor-b "$B0"
	frames=$((HUB_PPS * (HUB_DOWN_SECONDS + 10)))
	replay "$A1" "$HUB_PPS" "$frames" "$WORK/r2a.txt"
	RA=$REPLAY
	replay "$B1" "$HUB_PPS" "$frames" "$WORK/r2b.txt"
	step "sensor-a's capture writes rows" writing sensor-a "$PID_A"
	must "stop the hub during the captures" node_stop hub
	at_stop=$(nsql sensor-a "SELECT count(*) FROM packets")
	check "the sensors see the hub gone (their slots for it inactive)" \
		eval 'slots_inactive sensor-a && slots_inactive sensor-b'
	sleep "$HUB_DOWN_SECONDS"
	before=$(nsql sensor-a "SELECT count(*) FROM packets")
	check "sensor-a captured on while the hub was down ($at_stop -> $before rows)" [ "$before" -gt "$at_stop" ]
	must "start the hub again" node_start hub
	wait "$RA" "$REPLAY"
	stopped sensor-a
	stopped sensor-b
	step "tcpreplay sent every frame" \
		[ "$(tcpreplay_sent "$WORK/r2a.txt") $(tcpreplay_sent "$WORK/r2b.txt")" = "$frames $frames" ]
	check_hub_has sensor-a "after the hub's absence"
	check_hub_has sensor-b "after the hub's absence"
	check_hub_flows sensor-a "after the hub's absence"
	check_hub_flows sensor-b "after the hub's absence"
	check_eq "no row twice at the hub" \
		"$(nsql hub "SELECT count(*) - count(DISTINCT (sensor, id)) FROM packets")" 0
	check "the hub's worker runs again after its restart" node_until hub 30 \
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'"
fi

# ---------------------------------------------------------------------------
if section sensor-restart "3. a sensor restarted during capture"; then
	capture sensor-b "$B0"
	replay "$B1" "$HUB_PPS" $((HUB_PPS * 20)) "$WORK/r3b.txt"
	step "sensor-b's capture writes rows" writing sensor-b "$CAPTURE"
	must "stop sensor-b during its capture" node_stop sensor-b
	must "start sensor-b again" node_start sensor-b
	capture sensor-b "$B0"
	wait "$REPLAY"
	stopped sensor-b
	check_hub_has sensor-b "after the sensor's restart"
	check_hub_flows sensor-b "after the sensor's restart"
	check_eq "sensor-b's runs at the hub are the sensor's" \
		"$(nsql hub "SELECT string_agg(run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY run_id) FROM pkt_runs WHERE sensor = 'sensor-b'")" \
		"$(nsql sensor-b "SELECT string_agg(run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY run_id) FROM pkt_runs")"
fi

# ---------------------------------------------------------------------------
if section slot-lost "4. the hub away past max_slot_wal_keep_size"; then
	must "sensor-a keeps 32 MB of WAL for its slots" set_conf sensor-a max_slot_wal_keep_size 32MB
	must "stop the hub" node_stop hub
	capture sensor-a "$A0"
	replay "$A1" 20000 240000 "$WORK/r4a.txt"
	wait "$REPLAY"
	stopped sensor-a
	slot_lost() {
		nsql sensor-a "SELECT pg_switch_wal()" >/dev/null
		nsql sensor-a "CHECKPOINT" >/dev/null
		[ "$(nsql sensor-a "SELECT wal_status FROM pg_replication_slots WHERE slot_name LIKE 'pktcapture_hub_%'")" = lost ]
	}
	check "the sensor gave up the hub's WAL past 32 MB (its slot is lost)" wait_until 30 slot_lost
	must "start the hub again" node_start hub
	step "the hub says sensor-a is lost" \
		node_until hub 20 "SELECT state = 'lost' FROM pkt_hub_status() WHERE sensor = 'sensor-a'"
	# what the sensor stored (in packets, or dropped since) that the hub has not
	missing=$(($(nsql sensor-a "SELECT count(*) FROM packets") + $(nsql sensor-a "SELECT sum(rows_removed) FROM pkt_runs") -
		$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a'")))
	check_eq "pkt_hub_status(): sensor-a is lost, rows_missed = what it has and the hub has not" \
		"$(nsql hub "SELECT state || ' ' || rows_missed FROM pkt_hub_status() WHERE sensor = 'sensor-a'" 2>/dev/null)" \
		"lost $missing"
	check "... which is some rows ($missing)" [ "$missing" -gt 0 ]
	why=$(nsql hub "SELECT last_error FROM pkt_hub_status() WHERE sensor = 'sensor-a'" 2>/dev/null)
	check "... and says why ($why)" grep -q 'max_slot_wal_keep_size' <<<"$why"
	check "the hub's log has the warning" grep -q 'sensor "sensor-a" is lost' "$WORK/hub/server.log"
	check_eq "sensor-b streams on meanwhile" \
		"$(nsql hub "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-b'" 2>/dev/null)" streaming
	check_eq "pkt_hub_remove('sensor-a')" "$(nsql hub "SELECT pkt_hub_remove('sensor-a')")" \
		"sensor sensor-a removed, its rows kept"
	check_eq "... and its slot at the sensor went" \
		"$(nsql sensor-a "SELECT count(*) FROM pg_replication_slots")" 0
	must "sensor-a keeps WAL for its slots without bound" set_conf sensor-a max_slot_wal_keep_size -1
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-a', '$(conninfo sensor-a)')")
	check "a sensor whose slot WAL is unbounded is refused ($msg)" \
		eval '[[ $msg == *"max_slot_wal_keep_size = -1"* ]]'
	must "sensor-a keeps 1 GB of WAL for its slots" set_conf sensor-a max_slot_wal_keep_size 1GB
	check_eq "added again" "$(nsql hub "SELECT pkt_hub_add('sensor-a', '$(conninfo sensor-a)')")" \
		"sensor sensor-a added: its rows are copied, then follow as it captures"
	check "... its rows are copied again and the missing ones kept" hub_has sensor-a 120
	check_hub_flows sensor-a "... its flows copied again, none twice"
	check_eq "... and its flows of 2020 the sensor dropped are still there, once" \
		"$(flows_2020 hub sensor-a)" "$F2020"
	check_eq "... and the rows of 2020 the sensor held or dropped are still there" \
		"$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'")" 11
	check_eq "... none twice" \
		"$(nsql hub "SELECT count(*) - count(DISTINCT (sensor, id)) FROM packets WHERE sensor = 'sensor-a'")" 0
	check_eq "... its ledger too, and rows_missed is 0" \
		"$(nsql hub "SELECT sum(rows_stored) FROM pkt_runs WHERE sensor = 'sensor-a'") $(nsql hub "SELECT rows_missed FROM pkt_hub_status() WHERE sensor = 'sensor-a'")" \
		"$(nsql sensor-a "SELECT sum(rows_stored) FROM pkt_runs") 0"
fi

# ---------------------------------------------------------------------------
if section guard "4b. the hub's disk guard"; then
	# a reserve above the free space there is: the guard must act at once
	avail_mb=$(($(df -B1 --output=avail "$WORK/hub" | tail -1) / 1048576))
	capture sensor-b "$B0"
	# longer than the section: stopped once the hub receives again
	replay "$B1" "$HUB_PPS" $((HUB_PPS * 120)) "$WORK/r5b.txt"
	must "the hub's reserve above its free space" set_conf hub pktcapture.min_free_space "$((avail_mb + 100))MB"
	check "the hub holds off its sensors when free space is below its reserve" node_until hub 30 \
		"SELECT count(*) = 2 FROM pkt_hub_status() WHERE state = 'held by the disk guard'"
	check_eq "... after dropping its oldest partition (sensor-a's of 2020, 11 rows)" \
		"$(nsql hub "SELECT string_agg(reason || ' ' || rows, ', ') FROM pkt_partitions WHERE range_start < '2021-01-01'")" \
		"disk guard 11"
	check "... and says so in its log" grep -q "the disk guard stops storing rows from the hub's sensors" "$WORK/hub/server.log"
	# a while in which sensor-b stores rows the hub must not take
	held=$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-b'")
	at_b=$(nsql sensor-b "SELECT count(*) FROM packets")
	sleep 3
	now_b=$(nsql sensor-b "SELECT count(*) FROM packets")
	step "sensor-b stores rows meanwhile ($at_b -> $now_b)" [ "$now_b" -gt "$at_b" ]
	check_eq "... no rows come in meanwhile" "$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-b'")" "$held"
	must "the hub's reserve back to 1%" set_conf hub pktcapture.min_free_space 1%
	check "with space back, it receives again" node_until hub 30 \
		"SELECT count(*) = 2 FROM pkt_hub_status() WHERE state IN ('streaming', 'copying')"
	kill -INT "$REPLAY"
	wait "$REPLAY"
	stopped sensor-b
	# the guard drops every partition older than the one of now: when the test
	# crossed a partition's end, rows of the sections before went with it
	SINCE=$(nsql hub "SELECT coalesce(max(range_end), '2021-01-01') FROM pkt_partitions
		WHERE reason = 'disk guard' AND range_start >= '2021-01-01'")
	check_eq "... what it dropped is older than the partition of now" \
		"$(nsql hub "SELECT '$SINCE' <= date_bin(current_setting('pktcapture.partition_span')::interval, now(), '2000-01-01 00:00:00+00')")" "t"
	check_hub_has sensor-b "after the disk guard let the rows in again (rows from $SINCE)"
	check_hub_flows sensor-b "after the disk guard let the rows in again"
fi

# ---------------------------------------------------------------------------
if section errors "5. errors"; then
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', 'host=$WORK/hub port=1 dbname=postgres user=postgres')")
	check "bad connection string: $msg" eval '[[ $msg == "could not connect to sensor \"sensor-c\""* ]]'
	must "a database without pktcapture at sensor-b" nsql sensor-b "CREATE DATABASE bare"
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b bare)')")
	check_eq "a database without pktcapture" "$msg" "the database at that connection string has no pktcapture"
	must "a database old at sensor-b" nsql sensor-b "CREATE DATABASE old"
	must "pktcapture 1.2 in it" nsql sensor-b "CREATE EXTENSION pktcapture VERSION '1.2'" old
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-b', '$(conninfo sensor-b old)')")
	check_eq "a name used twice" "$msg" 'sensor "sensor-b" is already added to this hub'
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b old)')")
	check_eq "an older pktcapture" "$msg" "sensor \"sensor-c\" has pktcapture 1.2, this hub $(make -s --no-print-directory -C "$ROOT" print-version)"
	msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b)')")
	check_eq "a server added under another's name" "$msg" \
		"the server at that connection string is sensor \"sensor-b\", not \"sensor-c\""
	msg=$(nerr hub "SELECT pkt_hub_add('bad name', '$(conninfo sensor-b)')")
	check_eq "an invalid name" "$msg" "invalid sensor name \"bad name\""
	msg=$(nerr hub "SELECT pkt_hub_remove('sensor-c')")
	check_eq "removing a sensor that is not there" "$msg" "sensor \"sensor-c\" is not added to this hub"
fi

# ---------------------------------------------------------------------------
if section update "6. a hub and sensors of 1.5 updated: the flows follow"; then
	# a hub's slot at a sensor is named after the hub's server: one hub
	# database per sensor at a time
	for n in sensor-a sensor-b; do
		must "pkt_hub_remove('$n') from the hub's database postgres" nsql hub "SELECT pkt_hub_remove('$n')"
	done
	for n in sensor-a sensor-b hub; do
		must "$n: a database up with pktcapture 1.5" \
			eval "nsql $n 'CREATE DATABASE up' && nsql $n \"CREATE EXTENSION pktcapture VERSION '1.5'\" up"
	done
	must "the hub: dblink in up" nsql hub "CREATE EXTENSION dblink" up
	must "sensor-b: pkt_sensor_grant('pkthub') of 1.5" nsql sensor-b "SELECT pkt_sensor_grant('pkthub')" up
	for n in sensor-a sensor-b; do
		check_eq "1.5: pkt_hub_add('$n', ...)" "$(nsql hub "SELECT pkt_hub_add('$n', '$(conninfo "$n" up)')" up)" \
			"sensor $n added: its rows are copied, then follow as it captures"
	done
	FLOW_DB=up FLOW_SINCE=-infinity
	up_rows() { nsql "$1" "SELECT count(*) FROM packets${2:+ WHERE sensor = '$2'}" up; }
	up_t() { [ "$(nsql hub "$1" up 2>/dev/null)" = t ]; }
	STREAMING="SELECT string_agg(sensor || ' ' || state, ', ' ORDER BY sensor) = 'sensor-a streaming, sensor-b streaming'
		FROM pkt_hub_status()"
	must "sensor-a updated before the hub" nsql sensor-a "ALTER EXTENSION pktcapture UPDATE" up
	check_eq "sensor-a loads a file" "$(nsql sensor-a "SELECT pkt_load('$CORPUS/RADIUS-RFC4675.pcap')" up)" \
		"$(up_rows sensor-a)"
	check "the hub of 1.5 stops on sensor-a's ledger, which has columns its own has not yet" \
		wait_until 30 grep -q 'relation "public.pkt_runs" is missing replicated column' "$WORK/hub/server.log"
	check_eq "... and takes none of its rows" "$(up_rows hub sensor-a)" 0
	must "the hub updated" nsql hub "ALTER EXTENSION pktcapture UPDATE" up
	check "... its worker runs" node_until hub 30 \
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub' AND datname = 'up'"
	check "sensor-a's rows come once the hub is updated" wait_until 60 up_t \
		"SELECT count(*) = $(up_rows sensor-a) FROM packets WHERE sensor = 'sensor-a'"
	check_hub_flows sensor-a "sensor-a updated before the hub" 240
	check "... through its subscription, which takes pktcapture_flows now" up_t \
		"SELECT 'pktcapture_flows' = ANY (subpublications) FROM pg_subscription WHERE subname = 'pktcapture:sensor-a'"
	check "sensor-b, of 1.5, streams on" wait_until 30 up_t "$STREAMING"
	must "sensor-b updated after the hub" nsql sensor-b "ALTER EXTENSION pktcapture UPDATE" up
	check_eq "... the role its hub connects as may read its flows" \
		"$(nsql sensor-b "SELECT has_table_privilege('pkthub', 'flows', 'SELECT') AND has_table_privilege('pkthub', 'pkt_flow_partitions', 'SELECT')" up)" t
	check_eq "sensor-b loads a file" "$(nsql sensor-b "SELECT pkt_load('$CORPUS/pim-packet-assortment.pcap')" up)" \
		"$(up_rows sensor-b)"
	check_hub_flows sensor-b "sensor-b updated after the hub" 240
	check_eq "sensor-a loads another file" "$(nsql sensor-a "SELECT pkt_load('$CORPUS/dns_tcp_8053.pcap')" up)" 11
	check_hub_flows sensor-a "... whose flows follow"
	check "... and its rows" wait_until 60 up_t \
		"SELECT count(*) = $(up_rows sensor-a) FROM packets WHERE sensor = 'sensor-a'"
	check "both stream" wait_until 60 up_t "$STREAMING"
	check_eq "pkt_report at the hub: each sensor's conversations, as the sensor's own report" \
		"$(for n in sensor-a sensor-b; do nsql hub "SELECT string_agg(item || '=' || packets, ' ' ORDER BY item)
			FROM pkt_report_between('-infinity', 'infinity', 5, NULL, '$n') WHERE section = 'conversation'" up; done)" \
		"$(for n in sensor-a sensor-b; do nsql "$n" "SELECT string_agg(item || '=' || packets, ' ' ORDER BY item)
			FROM pkt_report_between('-infinity', 'infinity', 5) WHERE section = 'conversation'" up; done)"
fi

heading "the servers"
for n in $NODES; do
	check_eq "no crash in $n's log" "$(crash_lines "$WORK/$n/server.log" | head -3)" ""
done
finish
