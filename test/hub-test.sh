#!/bin/bash
# test/hub-test.sh: two sensors and a hub, by logical replication.
#
#   test/hub-test.sh      (as root; about 4 minutes)
#
# The extension must be built and installed (make install).  Three
# throwaway clusters: sensors sensor-a and sensor-b (wal_level = logical),
# each capturing its own veth pair (hubA0/hubB0 here, the other ends in a
# namespace where tcpreplay sends bench/gen-pcap.py's traffic at HUB_PPS),
# and the hub, which adds both with pkt_hub_add.  Then:
#
#   1. Rows a sensor held before it was added are copied, the rows of live
#      captures follow: at the hub, each sensor's rows equal the sensor's
#      (count, and an md5 over id, src_ip, dst_ip, protocol, packet_size,
#      capture_time in id order); each sensor stored every IP packet the
#      generator made; pkt_report at the hub equals GROUP BY over the
#      hub's rows, per sensor and in total; pkt_runs shows each sensor's
#      runs; a partition a sensor drops stays at the hub.
#   2. The hub down for a minute during capture: it catches up, no row lost
#      or twice.
#   3. A sensor restarted during capture: the same.
#   4. The hub away while a sensor's WAL passes max_slot_wal_keep_size: the
#      slot is lost at the sensor, the hub says so in pkt_hub_status()
#      (state, rows_missed = what the sensor has that the hub has not) and
#      in its log; a sensor whose slot WAL is unbounded is refused; added
#      again, the sensor's rows are copied and only the missing ones kept.
#   4b. The hub's disk guard: its free space below pktcapture.min_free_space,
#      it drops its oldest partition, then disables the subscriptions (the
#      sensors keep capturing), and enables them again when space is back:
#      it catches up.
#   5. Clear errors: a bad connection string, a database without
#      pktcapture, an older pktcapture, a name used twice, a server added
#      under another's name.
# Prints "ok - ..." / "not ok - ..." and "hub: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$here")
PY=/usr/bin/python3

AS_ROOT_KEEP="HUB_ PKT_ PG_BINDIR"
. "$here/lib/as-root.sh"
as_root "$@"
CHECK_SUITE=hub
. "$here/lib/check.sh"
. "$here/lib/cluster.sh"
. "$here/lib/netns.sh"
. "$here/lib/nodes.sh"

HUB_PPS=${HUB_PPS:-3000}
HUB_DOWN_SECONDS=${HUB_DOWN_SECONDS:-60}
HUB_KEEP=${HUB_KEEP:-0}
HUB_SPAN=${HUB_SPAN:-}	# the hub's pktcapture.partition_span (1min: its guard drops the sections' rows)
CORPUS=${PKT_CORPUS:-$(cd "$ROOT/../shared/pcaps/tcpdump" && pwd)}

for cmd in ip tcpreplay psql pg_config setpriv; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done
[ -f "$(pg_config --pkglibdir)/dblink.so" ] || fatal "dblink is not installed (Debian: postgresql-15)"

NS=pkthub-peer-$$
A0=hubA0-$$; A0=${A0:0:15}
A1=hubA1-$$; A1=${A1:0:15}
B0=hubB0-$$; B0=${B0:0:15}
B1=hubB1-$$; B1=${B1:0:15}
WORK=$(mktemp -d /tmp/pktc-hub.XXXXXX) || fatal "mktemp failed"
chmod 755 "$WORK"
BG=""
declare -A PORT
NODES="sensor-a sensor-b hub"
cleaned=0
cleanup() {
	[ "$cleaned" -eq 1 ] && return
	cleaned=1
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	for n in $NODES; do node_stop "$n"; done
	netns_cleanup
	work_done "$HUB_KEEP" "server logs in $WORK/*/server.log"
}
trap cleanup EXIT
trap 'not_ok "interrupted"; finish' INT TERM HUP

conninfo() {
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
# until the hub holds exactly the sensor's rows (the sensor's capture stopped)
hub_has() {
	local want i
	want=$(at_sensor "$1")
	for i in $(seq 1 "${2:-120}"); do
		[ "$(at_hub "$1")" = "$want" ] && return 0
		sleep 1
	done
	return 1
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

# replay IFACE PPS FRAMES OUT: tcpreplay of FRAMES frames of the traffic
replay() {
	local loops=$((($3 + 29999) / 30000))
	netns_exec tcpreplay -q --no-flow-stats -i "$1" --pps="$2" --loop="$loops" --limit="$3" \
		"$WORK/traffic.pcap" >"$4" 2>&1 &
	REPLAY=$!
	BG="$BG $REPLAY"
}
sent() { sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$1" | head -1; }
# capture NODE IFACE: start it; the worker's PID
capture() { nsql "$1" "SELECT pkt_start('$2')"; }
stopped() { nsql "$1" "SELECT pkt_stop()" >/dev/null; }

# ---------------------------------------------------------------------------
section "test network, traffic and clusters"
netns_add "$NS" && netns_veth "$A0" "$A1" && netns_veth "$B0" "$B1" ||
	fatal "could not make the test network"
for l in "$A0" "$B0"; do sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
for l in "$A1" "$B1"; do netns_exec sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
netns_up "$A0" "$A1" "$B0" "$B1" || fatal "the test network did not come up"
ok "test network: $A0 and $B0 here, $A1 and $B1 in $NS"
"$PY" "$ROOT/bench/gen-pcap.py" --out "$WORK/traffic.pcap" --count 30000 --seed 11 \
	--json "$WORK/traffic.json" >/dev/null || fatal "gen-pcap.py failed"
chmod 644 "$WORK/traffic.pcap"
IP_PER_FILE=$(jget traffic ip_packets)
ok "traffic: 30000 frames, $IP_PER_FILE IP packets (bench/gen-pcap.py)"
for n in sensor-a sensor-b; do
	node_start "$n" "max_slot_wal_keep_size = '1GB'" "max_wal_size = '64MB'" "min_wal_size = '32MB'" ||
		fatal "could not start $n"
	nsql "$n" "CREATE EXTENSION pktcapture" >/dev/null || fatal "CREATE EXTENSION on $n"
done
node_start hub ${HUB_SPAN:+"pktcapture.partition_span = '$HUB_SPAN'"} || fatal "could not start the hub"
nsql hub "CREATE EXTENSION pktcapture" >/dev/null && nsql hub "CREATE EXTENSION dblink" >/dev/null ||
	fatal "CREATE EXTENSION on the hub"
# sensor-b lets the hub in as a role of its own, with only what it needs
check_eq "sensor-b: pkt_sensor_grant('pkthub')" \
	"$(nsql sensor-b "CREATE ROLE pkthub LOGIN REPLICATION" >/dev/null && nsql sensor-b "SELECT pkt_sensor_grant('pkthub')")" \
	"a hub may connect to this sensor as pkthub (pg_hba.conf must let it into this database; no replication line is needed)"
ok "clusters: sensor-a on ${PORT[sensor-a]}, sensor-b on ${PORT[sensor-b]}, the hub on ${PORT[hub]}"

# ---------------------------------------------------------------------------
section "1. rows before and during capture"
f=$CORPUS/dns_tcp_8053.pcap
check_eq "sensor-a holds a capture file of 2020 before it is added (tshark: 11 packets)" \
	"$(nsql sensor-a "SELECT pkt_load('$f')")" 11
for n in sensor-a sensor-b; do
	check_eq "pkt_hub_add('$n', ...)" "$(nsql hub "SELECT pkt_hub_add('$n', '$(conninfo "$n")')")" \
		"sensor $n added: its rows are copied, then follow as it captures"
done
check "the hub's worker runs" node_until hub 30 \
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'"
check "the rows of 2020 came in a partition of their own" node_until hub 30 \
	"SELECT count(*) = 11 FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'"
capture sensor-a "$A0" >/dev/null && capture sensor-b "$B0" >/dev/null ||
	fatal "the sensors' captures did not start"
replay "$A1" "$HUB_PPS" 30000 "$WORK/r1a.txt"
RA=$REPLAY
replay "$B1" "$HUB_PPS" 30000 "$WORK/r1b.txt"
wait "$RA" "$REPLAY"
stopped sensor-a
stopped sensor-b
check_eq "tcpreplay sent every frame on both links" "$(sent "$WORK/r1a.txt") $(sent "$WORK/r1b.txt")" "30000 30000"
check_eq "each sensor stored every IP packet of the generator's" \
	"$(nsql sensor-a "SELECT count(*) FROM packets WHERE run_id = (SELECT max(run_id) FROM pkt_runs)") $(nsql sensor-b "SELECT count(*) FROM packets")" \
	"$IP_PER_FILE $IP_PER_FILE"
check_hub_has sensor-a "copy and capture"
check_hub_has sensor-b "capture"
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
check_eq "... and its exact top sources equal GROUP BY" \
	"$(nsql hub "SELECT string_agg(item || '=' || packets, ' ' ORDER BY item) FROM pkt_report_between('-infinity', 'infinity')
		WHERE section = 'top_source' AND exact")" \
	"$(nsql hub "SELECT string_agg(a || '=' || n, ' ' ORDER BY a) FROM (SELECT host(src_ip) AS a, count(*) AS n FROM packets
		GROUP BY src_ip) g WHERE a IN (SELECT item FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'top_source' AND exact)")"
check "... which are some ($(nsql hub "SELECT count(*) FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'top_source' AND exact") of 5)" \
	[ "$(nsql hub "SELECT count(*) FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'top_source' AND exact")" -ge 1 ]
part=$(nsql sensor-a "SELECT relname FROM pkt_partitions WHERE range_start < '2021-01-01' AND dropped_at IS NULL")
check_eq "sensor-a drops its partition of 2020 ($part)" \
	"$(nsql sensor-a "SELECT pkt_partition_drop('$part', 'by hand')")" 11
sleep 2
check_eq "... the hub keeps its copy" \
	"$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'")" 11

# ---------------------------------------------------------------------------
section "2. the hub down for ${HUB_DOWN_SECONDS} s during capture"
capture sensor-a "$A0" >/dev/null && capture sensor-b "$B0" >/dev/null || fatal "captures"
frames=$((HUB_PPS * (HUB_DOWN_SECONDS + 10)))
replay "$A1" "$HUB_PPS" "$frames" "$WORK/r2a.txt"
RA=$REPLAY
replay "$B1" "$HUB_PPS" "$frames" "$WORK/r2b.txt"
sleep 3
node_stop hub
ok "the hub stopped during the captures"
sleep "$HUB_DOWN_SECONDS"
before=$(nsql sensor-a "SELECT count(*) FROM packets")
node_start hub || fatal "the hub did not start again"
ok "the hub started again; sensor-a had $before rows meanwhile"
wait "$RA" "$REPLAY"
stopped sensor-a
stopped sensor-b
check_eq "tcpreplay sent every frame" "$(sent "$WORK/r2a.txt") $(sent "$WORK/r2b.txt")" "$frames $frames"
check_hub_has sensor-a "after the hub's absence"
check_hub_has sensor-b "after the hub's absence"
check_eq "no row twice at the hub" \
	"$(nsql hub "SELECT count(*) - count(DISTINCT (sensor, id)) FROM packets")" 0
check "the hub's worker runs again after its restart" node_until hub 30 \
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'"

# ---------------------------------------------------------------------------
section "3. a sensor restarted during capture"
capture sensor-b "$B0" >/dev/null || fatal "capture"
replay "$B1" "$HUB_PPS" $((HUB_PPS * 20)) "$WORK/r3b.txt"
sleep 6
node_stop sensor-b
node_start sensor-b || fatal "sensor-b did not start again"
capture sensor-b "$B0" >/dev/null || fatal "capture after the restart"
ok "sensor-b restarted during its capture, and captures again"
wait "$REPLAY"
stopped sensor-b
check_hub_has sensor-b "after the sensor's restart"
check_eq "sensor-b's runs at the hub are the sensor's" \
	"$(nsql hub "SELECT string_agg(run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY run_id) FROM pkt_runs WHERE sensor = 'sensor-b'")" \
	"$(nsql sensor-b "SELECT string_agg(run_id || ':' || state || ':' || rows_stored, ' ' ORDER BY run_id) FROM pkt_runs")"

# ---------------------------------------------------------------------------
section "4. the hub away past max_slot_wal_keep_size"
nsql sensor-a "ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'" >/dev/null
nsql sensor-a "SELECT pg_reload_conf()" >/dev/null
node_stop hub
capture sensor-a "$A0" >/dev/null || fatal "capture"
replay "$A1" 20000 240000 "$WORK/r4a.txt"
wait "$REPLAY"
stopped sensor-a
lost=0
for _ in $(seq 1 30); do
	nsql sensor-a "SELECT pg_switch_wal()" >/dev/null
	nsql sensor-a "CHECKPOINT" >/dev/null
	[ "$(nsql sensor-a "SELECT wal_status FROM pg_replication_slots WHERE slot_name LIKE 'pktcapture_hub_%'")" = lost ] &&
		{ lost=1; break; }
	sleep 1
done
check "the sensor gave up the hub's WAL past 32 MB (its slot is lost)" [ "$lost" = 1 ]
node_start hub || fatal "the hub did not start again"
for _ in $(seq 1 20); do
	[ "$(nsql hub "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-a'" 2>/dev/null)" = lost ] && break
	sleep 1
done
# what the sensor stored (in packets, or dropped since) that the hub has not
missing=$(($(nsql sensor-a "SELECT count(*) FROM packets") + $(nsql sensor-a "SELECT sum(rows_removed) FROM pkt_runs") -
	$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a'")))
check_eq "pkt_hub_status(): sensor-a is lost, rows_missed = what it has and the hub has not" \
	"$(nsql hub "SELECT state || ' ' || rows_missed FROM pkt_hub_status() WHERE sensor = 'sensor-a'" 2>/dev/null)" \
	"lost $missing"
check "... which is some rows ($missing)" [ "$missing" -gt 0 ]
check "... and says why" bash -c "psql -X -At -h '$WORK/hub' -p ${PORT[hub]} -U postgres -d postgres \
	-c \"SELECT last_error FROM pkt_hub_status() WHERE sensor = 'sensor-a'\" 2>/dev/null | grep -q 'max_slot_wal_keep_size'"
check "the hub's log has the warning" grep -q 'sensor "sensor-a" is lost' "$WORK/hub/server.log"
check_eq "sensor-b streams on meanwhile" \
	"$(nsql hub "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-b'" 2>/dev/null)" streaming
check_eq "pkt_hub_remove('sensor-a')" "$(nsql hub "SELECT pkt_hub_remove('sensor-a')")" \
	"sensor sensor-a removed, its rows kept"
check_eq "... and its slot at the sensor went" \
	"$(nsql sensor-a "SELECT count(*) FROM pg_replication_slots")" 0
nsql sensor-a "ALTER SYSTEM SET max_slot_wal_keep_size = -1" >/dev/null
nsql sensor-a "SELECT pg_reload_conf()" >/dev/null
sleep 1
msg=$(nerr hub "SELECT pkt_hub_add('sensor-a', '$(conninfo sensor-a)')")
check "a sensor whose slot WAL is unbounded is refused ($msg)" \
	bash -c "[[ '$msg' == *'max_slot_wal_keep_size = -1'* ]]"
nsql sensor-a "ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'" >/dev/null
nsql sensor-a "SELECT pg_reload_conf()" >/dev/null
sleep 1
check_eq "added again" "$(nsql hub "SELECT pkt_hub_add('sensor-a', '$(conninfo sensor-a)')")" \
	"sensor sensor-a added: its rows are copied, then follow as it captures"
check "... its rows are copied again and the missing ones kept" hub_has sensor-a 120
check_eq "... and the rows of 2020 the sensor dropped are still there" \
	"$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a' AND capture_time < '2021-01-01'")" 11
check_eq "... none twice" \
	"$(nsql hub "SELECT count(*) - count(DISTINCT (sensor, id)) FROM packets WHERE sensor = 'sensor-a'")" 0
check_eq "... its ledger too, and rows_missed is 0" \
	"$(nsql hub "SELECT sum(rows_stored) FROM pkt_runs WHERE sensor = 'sensor-a'") $(nsql hub "SELECT rows_missed FROM pkt_hub_status() WHERE sensor = 'sensor-a'")" \
	"$(nsql sensor-a "SELECT sum(rows_stored) FROM pkt_runs") 0"

# ---------------------------------------------------------------------------
section "4b. the hub's disk guard"
# a reserve above the free space there is: the guard must act at once
avail_mb=$(($(df -B1 --output=avail "$WORK/hub" | tail -1) / 1048576))
capture sensor-b "$B0" >/dev/null || fatal "capture"
replay "$B1" "$HUB_PPS" $((HUB_PPS * 15)) "$WORK/r5b.txt"
nsql hub "ALTER SYSTEM SET pktcapture.min_free_space = '$((avail_mb + 100))MB'" >/dev/null
nsql hub "SELECT pg_reload_conf()" >/dev/null
check "the hub holds off its sensors when free space is below its reserve" node_until hub 30 \
	"SELECT count(*) = 2 FROM pkt_hub_status() WHERE state = 'held by the disk guard'"
check_eq "... after dropping its oldest partition (sensor-a's of 2020, 11 rows)" \
	"$(nsql hub "SELECT string_agg(reason || ' ' || rows, ', ') FROM pkt_partitions WHERE range_start < '2021-01-01'")" \
	"disk guard 11"
check "... and says so in its log" grep -q "the disk guard stops storing rows from the hub's sensors" "$WORK/hub/server.log"
held=$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-b'")
sleep 3
check_eq "... no rows come in meanwhile" "$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-b'")" "$held"
nsql hub "ALTER SYSTEM SET pktcapture.min_free_space = '1%'" >/dev/null
nsql hub "SELECT pg_reload_conf()" >/dev/null
check "with space back, it receives again" node_until hub 30 \
	"SELECT count(*) = 2 FROM pkt_hub_status() WHERE state IN ('streaming', 'copying')"
wait "$REPLAY"
stopped sensor-b
# the guard drops every partition older than the one of now: when the test
# crossed a partition's end, rows of the sections before went with it
SINCE=$(nsql hub "SELECT coalesce(max(range_end), '2021-01-01') FROM pkt_partitions
	WHERE reason = 'disk guard' AND range_start >= '2021-01-01'")
check_eq "... what it dropped is older than the partition of now" \
	"$(nsql hub "SELECT '$SINCE' <= date_bin(current_setting('pktcapture.partition_span')::interval, now(), '2000-01-01 00:00:00+00')")" "t"
check_hub_has sensor-b "after the disk guard let the rows in again (rows from $SINCE)"

# ---------------------------------------------------------------------------
section "5. errors"
msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', 'host=$WORK/hub port=1 dbname=postgres user=postgres')")
check "bad connection string: $msg" bash -c "[[ '$msg' == 'could not connect to sensor \"sensor-c\"'* ]]"
nsql sensor-b "CREATE DATABASE bare" >/dev/null
msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b bare)')")
check_eq "a database without pktcapture" "$msg" "the database at that connection string has no pktcapture"
nsql sensor-b "CREATE DATABASE old" >/dev/null
nsql sensor-b "CREATE EXTENSION pktcapture VERSION '1.2'" old >/dev/null
msg=$(nerr hub "SELECT pkt_hub_add('sensor-b', '$(conninfo sensor-b old)')")
check "a name used twice: $msg" bash -c "[[ '$msg' == 'sensor \"sensor-b\" is already added to this hub' ]]"
msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b old)')")
check_eq "an older pktcapture" "$msg" "sensor \"sensor-c\" has pktcapture 1.2, this hub $(make -s --no-print-directory -C "$ROOT" print-version)"
msg=$(nerr hub "SELECT pkt_hub_add('sensor-c', '$(conninfo sensor-b)')")
check_eq "a server added under another's name" "$msg" \
	"the server at that connection string is sensor \"sensor-b\", not \"sensor-c\""
msg=$(nerr hub "SELECT pkt_hub_add('bad name', '$(conninfo sensor-b)')")
check_eq "an invalid name" "$msg" "invalid sensor name \"bad name\""
msg=$(nerr hub "SELECT pkt_hub_remove('sensor-c')")
check_eq "removing a sensor that is not there" "$msg" "sensor \"sensor-c\" is not added to this hub"
for n in $NODES; do
	check "no PANIC or crash in $n's log" \
		bash -c "! grep -E 'PANIC|terminated by signal|was terminated' '$WORK/$n/server.log'"
done
finish
