#!/bin/bash
# bench/hub.sh: the throughput a hub keeps up with.  Run as root:
#
#   bench/hub.sh [NAME=VALUE ...]      (bench/run.sh runs it as its section hub)
#
# Two sensors capture their own veth pair while tcpreplay sends
# bench/gen-pcap.py's traffic on both at once, as fast as it can
# (HUB_BENCH_PPS=0) or at HUB_BENCH_PPS each; a hub receives both (test/lib/
# nodes.sh's clusters, pkt_hub_add).  Every second: the rows each sensor
# stored and the hub received (their ledgers: updated in the transactions
# of the rows), and each sensor's lag (WAL the hub has not confirmed).
# After the replays, the captures stop and the hub is timed until it holds
# every row (then counted in packets at both ends).
# Prints "ROW|metric|value|reference|ratio" and "NOTE|text" lines, and the
# series in $HUB_BENCH_SERIES if set.
#
# Settings: HUB_BENCH_PACKETS [2000000] frames per sensor, HUB_BENCH_PPS [0],
# HUB_BENCH_CATCHUP [600] seconds the hub may take after the sensors stop.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$here")
for arg in "$@"; do
	case $arg in
	[A-Z_]*=*) export "${arg?}" ;;
	*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done
HUB_BENCH_PACKETS=${HUB_BENCH_PACKETS:-2000000}
HUB_BENCH_PPS=${HUB_BENCH_PPS:-0}
HUB_BENCH_CATCHUP=${HUB_BENCH_CATCHUP:-600}
[ "$(id -u)" -eq 0 ] || { echo "bench/hub.sh: run as root" >&2; exit 2; }
. "$ROOT/test/lib/cluster.sh"
. "$ROOT/test/lib/netns.sh"
. "$ROOT/test/lib/nodes.sh"

WORK=$(mktemp -d /tmp/pktc-hubbench.XXXXXX) || exit 2
chmod 755 "$WORK"
declare -A PORT
NS=pkthb-$$
A0=hbA0-$$; A0=${A0:0:15}
A1=hbA1-$$; A1=${A1:0:15}
B0=hbB0-$$; B0=${B0:0:15}
B1=hbB1-$$; B1=${B1:0:15}
BG=""
cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	for n in sensor-a sensor-b hub; do node_stop "$n"; done
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench/hub.sh: $*" >&2; exit 1; }

netns_add "$NS" && netns_veth "$A0" "$A1" && netns_veth "$B0" "$B1" || die "test network"
for l in "$A0" "$B0"; do sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
for l in "$A1" "$B1"; do netns_exec sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null; done
netns_up "$A0" "$A1" "$B0" "$B1" || die "the test network did not come up"
/usr/bin/python3 "$ROOT/bench/gen-pcap.py" --out "$WORK/traffic.pcap" --count 100000 --seed 5 \
	--json "$WORK/traffic.json" >/dev/null || die "gen-pcap.py"
chmod 644 "$WORK/traffic.pcap"
CONF=("shared_buffers = 256MB" "max_wal_size = 2GB" "autovacuum = off")
for n in sensor-a sensor-b; do
	node_start "$n" "${CONF[@]}" "max_slot_wal_keep_size = '8GB'" || die "$n"
	nsql "$n" "CREATE EXTENSION pktcapture" >/dev/null || die "CREATE EXTENSION on $n"
done
node_start hub "${CONF[@]}" || die hub
nsql hub "CREATE EXTENSION pktcapture" >/dev/null && nsql hub "CREATE EXTENSION dblink" >/dev/null ||
	die "CREATE EXTENSION on the hub"
for n in sensor-a sensor-b; do
	nsql hub "SELECT pkt_hub_add('$n', 'host=$WORK/$n port=${PORT[$n]} dbname=postgres user=postgres')" >/dev/null ||
		die "pkt_hub_add $n"
done
node_until hub 60 "SELECT count(*) = 2 FROM pkt_hub_status() WHERE state = 'streaming'" ||
	die "the subscriptions do not stream"

stored() { nsql "$1" "SELECT coalesce(sum(rows_stored), 0) FROM pkt_runs"; }
received() { nsql hub "SELECT coalesce(sum(rows_stored), 0) FROM pkt_runs WHERE sensor = '$1'"; }
lag() { nsql "$1" "SELECT coalesce(max(pg_current_wal_lsn() - confirmed_flush_lsn), 0)::bigint FROM pg_replication_slots"; }

nsql sensor-a "SELECT pkt_start('$A0')" >/dev/null && nsql sensor-b "SELECT pkt_start('$B0')" >/dev/null ||
	die "pkt_start"
rate=(--topspeed)
[ "$HUB_BENCH_PPS" != 0 ] && rate=(--pps="$HUB_BENCH_PPS" --pps-multi=20)
loops=$(((HUB_BENCH_PACKETS + 99999) / 100000))
t0=$(date +%s.%N)
netns_exec tcpreplay -q --no-flow-stats -i "$A1" "${rate[@]}" --loop="$loops" --limit="$HUB_BENCH_PACKETS" \
	"$WORK/traffic.pcap" >"$WORK/ra.txt" 2>&1 &
RA=$!
netns_exec tcpreplay -q --no-flow-stats -i "$B1" "${rate[@]}" --loop="$loops" --limit="$HUB_BENCH_PACKETS" \
	"$WORK/traffic.pcap" >"$WORK/rb.txt" 2>&1 &
RB=$!
BG="$RA $RB"
# the series: seconds, stored at a and b, received from a and b, lag of a and b
sample() {
	echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') $(stored sensor-a) $(stored sensor-b) $(received sensor-a) $(received sensor-b) $(lag sensor-a) $(lag sensor-b)" >>"$WORK/series.txt"
}
while kill -0 "$RA" 2>/dev/null || kill -0 "$RB" 2>/dev/null; do
	sample
	sleep 1
done
wait "$RA" "$RB"
t_replay=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
nsql sensor-a "SELECT pkt_stop()" >/dev/null
nsql sensor-b "SELECT pkt_stop()" >/dev/null
t_stop=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sample
SA=$(stored sensor-a) SB=$(stored sensor-b)
caught=0
for _ in $(seq 1 "$HUB_BENCH_CATCHUP"); do
	[ "$(received sensor-a)" = "$SA" ] && [ "$(received sensor-b)" = "$SB" ] && { caught=1; break; }
	sample
	sleep 1
done
sample
t_end=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ -n "${HUB_BENCH_SERIES:-}" ] && cp "$WORK/series.txt" "$HUB_BENCH_SERIES"

# rows in packets at both ends, counted once
CA=$(nsql sensor-a "SELECT count(*) FROM packets") CB=$(nsql sensor-b "SELECT count(*) FROM packets")
HA=$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-a'")
HB=$(nsql hub "SELECT count(*) FROM packets WHERE sensor = 'sensor-b'")
sent_a=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$WORK/ra.txt" | head -1)
pps_a=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$WORK/ra.txt" | head -1)
pps_b=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$WORK/rb.txt" | head -1)
KD=$(nsql sensor-a "SELECT sum(kernel_dropped) FROM pkt_runs")+$(nsql sensor-b "SELECT sum(kernel_dropped) FROM pkt_runs")
# rates: what the sensors stored over the replay and their stop, what the
# hub received over the whole (until it held every row)
awk -v tr="$t_replay" -v ts="$t_stop" -v te="$t_end" -v caught="$caught" \
	-v sa="$SA" -v sb="$SB" -v ca="$CA" -v cb="$CB" -v ha="$HA" -v hb="$HB" \
	-v ppsa="${pps_a:-?}" -v ppsb="${pps_b:-?}" -v kd="$KD" -v sent="${sent_a:-?}" '
	{ l = ($6 > $7 ? $6 : $7); if (l > maxlag) maxlag = l; b = ($2 + $3) - ($4 + $5); if (b > maxb) maxb = b }
	END {
		srate = (sa + sb) / ts
		if (caught) {
			rrate = (sa + sb) / te
			printf "ROW|hub: rows/s received from two sensors at full speed|%.0f|sensors stored %.0f/s|%.2f\n", rrate, srate, rrate / srate
			printf "ROW|hub: time to hold every row after the sensors stopped (s)|%.1f|replay and stop %.1f s|%.2f\n", te - ts, ts, (te - ts) / ts
		} else {
			printf "ROW|hub: rows/s received from two sensors at full speed|not caught up in time|sensors stored %.0f/s|-\n", srate
		}
		printf "ROW|hub: most rows behind the sensors|%d|of %d stored|%.2f\n", maxb, sa + sb, maxb / (sa + sb)
		printf "ROW|hub: largest lag of a sensor (MB of WAL)|%.1f|-|-\n", maxlag / 1048576
		printf "ROW|hub: rows at the hub / at the sensors (packets)|%d|%d|%.4f\n", ha + hb, ca + cb, (ha + hb) / (ca + cb)
		printf "NOTE|hub: two sensors capturing their own veth pair while tcpreplay sent %s frames on each (rated %s and %s pkt/s), a hub subscribed to both, all three clusters and both tcpreplays on this machine (2 cores); sensors stored %d and %d rows (kernel dropped %s), the hub holds %d and %d. The replays took %.1f s, the captures had stopped at %.1f s, the hub held every row at %.1f s. Rows from the ledgers (pkt_runs, written in the rows'"'"' transactions) sampled every second; lag: pg_current_wal_lsn() - confirmed_flush_lsn of the hub'"'"'s slot at each sensor.\n", sent, ppsa, ppsb, sa, sb, kd, ha, hb, tr, ts, te
	}' "$WORK/series.txt"
# the lag over time, every other sample
awk 'NR % 2 == 1 { printf "%s%ss: %.0f behind, lag %.1f MB", (n++ ? "; " : "NOTE|hub lag over time (rows stored but not yet at the hub, largest lag): "), $1, ($2 + $3) - ($4 + $5), ($6 > $7 ? $6 : $7) / 1048576 } END { print "" }' "$WORK/series.txt"
