#!/bin/bash
# test/live-test.sh: end-to-end live capture test of pktcapture.
#
#   test/live-test.sh                 (as root, or with sudo; from anywhere)
#
# What it does:
#   1. builds a private test network: a network namespace pktc-peer-$$ and
#      two veth pairs, pktcv0-$$/pktcv1-$$ and pktcw0-$$/pktcw1-$$; the
#      *0 ends stay in the root namespace (the captured interfaces), the
#      *1 ends move into the namespace.  Addresses 198.18.255.0/30,
#      198.18.255.4/30 and fd00:706b:7463:1::/64, :2::/64 on these
#      interfaces only; no DAD, no router solicitations.
#   2. starts a throwaway cluster (test/lib/cluster.sh) with pktcapture
#      preloaded, CREATE EXTENSION pktcapture;
#   3. writes deterministic traffic with test/live/gen_traffic.py (pcap,
#      standard library only: IPv4/IPv6, TCP flags, UDP, ICMP/ICMPv6, GRE,
#      SCTP, UDP-Lite, DCCP, other protocol numbers, IPv4 options and
#      fragments, IPv6 extension headers and fragments, 802.1Q and QinQ,
#      ARP and other non-IP frames, 42..1518 bytes, plus decoy frames from
#      another MAC address);
#   4. runs tcpdump (the reference, -s 128) and pkt_start() with the same
#      BPF filter on both root-end interfaces, replays the traffic with
#      tcpreplay from inside the namespace on both pairs at once, stops
#      the first capture, replays a second burst on the second pair only,
#      stops the second capture; stops tcpdump with SIGINT.  Each stop waits
#      for what it is to see: pkt_stop until pkt_status() counts every frame
#      the generator made for that filter, tcpdump until its file holds them;
#   5. compares, per interface, the rows in packets with tshark's reading
#      of tcpdump's file (test/live/live_compare.py): every field exactly
#      as multisets and in capture order, capture_time within
#      LIVE_TS_TOLERANCE_US; counts and pkt_status() counters;
#   6. checks pkt_stats() against the table (total, protocols, top
#      talkers) and the independence of the two captures;
#   7. starts a new capture on the first interface, stops it in the middle
#      of a paced burst (once it has seen LIVE_LOAD_STOP_AFTER frames), and
#      checks that pkt_stop() returned with every
#      row committed and that these rows are exactly the first IP frames
#      tcpdump saw (tcpdump goes on capturing);
#   8. captures on "any" while both interfaces carry traffic: rows must
#      name the interface of their frame (tshark's sll.ifindex); its filter
#      selects the two interfaces by index (others' tests may run beside);
#   9. checks that the postmaster never restarted, no backend crashed, and
#      the library was not reinstalled during the run.
#
# Environment:
#   LIVE_COUNT            frames of the main burst (default 60000)
#   LIVE_SIDE_COUNT       frames of each burst on the second pair (5000)
#   LIVE_PPS              tcpreplay rate; empty means --topspeed (default)
#   LIVE_TS_TOLERANCE_US  timestamp tolerance, microseconds (default 1000)
#   LIVE_LOAD_COUNT       frames of the burst a capture is stopped in (60000)
#   LIVE_LOAD_PPS         its rate, frames per second (20000)
#   LIVE_LOAD_STOP_AFTER  frames of that burst the capture has seen when
#                         pkt_stop() is called (15000)
#   LIVE_KEEP=1           keep the work directory even when all checks pass
#
# Prints one line per check and, last, "live: N passed, M failed".
# Exit status 0 when every check passed, 1 otherwise.  The work directory
# (pcaps, tshark output, rows, server log) is kept when a check fails.
set -u

LIVE_COUNT=${LIVE_COUNT:-60000}
LIVE_SIDE_COUNT=${LIVE_SIDE_COUNT:-5000}
LIVE_PPS=${LIVE_PPS:-}
LIVE_TS_TOLERANCE_US=${LIVE_TS_TOLERANCE_US:-1000}
LIVE_KEEP=${LIVE_KEEP:-0}
LIVE_LOAD_COUNT=${LIVE_LOAD_COUNT:-60000}
LIVE_LOAD_PPS=${LIVE_LOAD_PPS:-20000}
LIVE_LOAD_STOP_AFTER=${LIVE_LOAD_STOP_AFTER:-15000}

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

AS_ROOT_KEEP="LIVE_ PKT_ PG_BINDIR"
. "$here/lib/as-root.sh"
as_root "$@"
CHECK_SUITE=live
. "$(dirname "$0")/lib/check.sh"

for cmd in ip tcpdump tshark tcpreplay psql pg_config setpriv sysctl; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
# shellcheck source=lib/netns.sh
. "$here/lib/netns.sh"

NS=pktc-peer-$$
V0=pktcv0-$$; V0=${V0:0:15}
V1=pktcv1-$$; V1=${V1:0:15}
W0=pktcw0-$$; W0=${W0:0:15}
W1=pktcw1-$$; W1=${W1:0:15}
MAC_V=02:70:6b:74:63:01		# source MAC of the generated frames on V
MAC_W=02:70:6b:74:63:02		# ... on W
MAC_DECOY=02:70:6b:74:63:99	# decoys, which the filters must drop
# Only the generated frames: the kernel's own IPv6 ND/MLD and the decoys
# come from other MAC addresses.
FILTER_V="ether src $MAC_V"
# On W, a filter that also selects on the network layer.
FILTER_W="ether src $MAC_W and (udp or icmp or arp)"

WORK=$(mktemp -d /tmp/pktc-live.XXXXXX) || fatal "mktemp failed"
chmod 755 "$WORK"
TD_V="" TD_W=""
cleaned=0

cleanup() {
	[ "$cleaned" -eq 1 ] && return
	cleaned=1
	section "cleanup"
	for p in $TD_V $TD_W; do
		kill -INT "$p" 2>/dev/null
	done
	for p in $TD_V $TD_W; do
		wait "$p" 2>/dev/null
	done
	cluster_stop
	netns_cleanup
	work_done "$LIVE_KEEP" "server log: $WORK/cluster/server.log"
}
trap cleanup EXIT
trap 'not_ok "interrupted"; finish' INT TERM HUP

psql_v() {
	cluster_psql -At "$@"
}
# psql_timed VAR SQL: run SQL, its output in VAR, the milliseconds in VAR_ms
psql_timed() {
	local t0 t1 out
	t0=$(date +%s%N)
	out=$(psql_v -c "$2")
	t1=$(date +%s%N)
	printf -v "$1" '%s' "$out"
	printf -v "$1_ms" '%s' $(((t1 - t0) / 1000000))
}

echo "# work directory $WORK, interfaces $V0 $W0, namespace $NS"

# ---------------------------------------------------------------------------
# 1. the test network
# ---------------------------------------------------------------------------
section "test network"
setup_net() {
	netns_add "$NS" && netns_veth "$V0" "$V1" && netns_veth "$W0" "$W1" || return 1
	# no DAD, no router solicitations or advertisements: the kernel sends
	# nothing of its own once the addresses are set
	for ifc in "$V0" "$W0"; do
		sysctl -qw "net.ipv6.conf.$ifc.accept_dad=0" \
			"net.ipv6.conf.$ifc.router_solicitations=0" \
			"net.ipv6.conf.$ifc.accept_ra=0" >/dev/null || return 1
	done
	for ifc in "$V1" "$W1"; do
		netns_exec sysctl -qw "net.ipv6.conf.$ifc.accept_dad=0" \
			"net.ipv6.conf.$ifc.router_solicitations=0" \
			"net.ipv6.conf.$ifc.accept_ra=0" >/dev/null || return 1
	done
	ip addr add 198.18.255.1/30 dev "$V0" &&
		ip addr add fd00:706b:7463:1::1/64 dev "$V0" nodad &&
		ip addr add 198.18.255.5/30 dev "$W0" &&
		ip addr add fd00:706b:7463:2::1/64 dev "$W0" nodad &&
		netns_exec ip addr add 198.18.255.2/30 dev "$V1" &&
		netns_exec ip addr add fd00:706b:7463:1::2/64 dev "$V1" nodad &&
		netns_exec ip addr add 198.18.255.6/30 dev "$W1" &&
		netns_exec ip addr add fd00:706b:7463:2::2/64 dev "$W1" nodad || return 1
	netns_up "$V0" "$V1" "$W0" "$W1"
}
setup_net && ok "test network: namespace $NS, veth $V0/$V1 and $W0/$W1" ||
	fatal "could not build the test network"

# ---------------------------------------------------------------------------
# 2. the cluster
# ---------------------------------------------------------------------------
section "cluster"
cluster_start "$WORK/cluster" "shared_preload_libraries = 'pktcapture'" ||
	fatal "could not start the cluster"
LOG=$CLUSTER_DIR/server.log
PM_PID=$(cluster_postmaster_pid)
# Workers load the library file anew: if it is reinstalled while the test
# runs, they run other code than the postmaster.  Detect it.
SO=$(pg_config --pkglibdir)/pktcapture.so
SO_ID=$(md5sum <"$SO" 2>/dev/null)
cluster_psql -c "CREATE EXTENSION pktcapture" &&
	ok "cluster started (postmaster $PM_PID), CREATE EXTENSION pktcapture" ||
	fatal "CREATE EXTENSION pktcapture failed"

# ---------------------------------------------------------------------------
# 3. the traffic
# ---------------------------------------------------------------------------
section "traffic"
DECOYS_V=$((LIVE_COUNT / 200 + 1))
DECOYS_W=$((LIVE_SIDE_COUNT / 100 + 1))
gen() {	# gen NAME ARGS...
	local name=$1
	shift
	"$PY" "$here/live/gen_traffic.py" --out "$WORK/$name.pcap" "$@" \
		>"$WORK/$name.json" || return 1
}
gen main --count "$LIVE_COUNT" --seed 1 --mac "$MAC_V" \
	--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_V" --profile main &&
	gen side1 --count "$LIVE_SIDE_COUNT" --seed 2 --mac "$MAC_W" \
		--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_W" --profile side &&
	gen side2 --count "$LIVE_SIDE_COUNT" --seed 3 --mac "$MAC_W" \
		--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_W" --profile side ||
	fatal "traffic generator failed"
"$PY" "$here/live/gen_traffic.py" --out "$WORK/main-again.pcap" --count "$LIVE_COUNT" \
	--seed 1 --mac "$MAC_V" --decoy-mac "$MAC_DECOY" --decoys "$DECOYS_V" >/dev/null
cmp -s "$WORK/main.pcap" "$WORK/main-again.pcap" &&
	ok "generator is deterministic ($(jget main frames) frames, $(jget main matching) to capture, $(jget main decoys) decoys)" ||
	not_ok "generator gives different bytes for the same seed"
rm -f "$WORK/main-again.pcap"

# ---------------------------------------------------------------------------
# 4. capture
# ---------------------------------------------------------------------------
section "capture"
# frames_of NAME FILTER: the frames of the generator's NAME.pcap that FILTER
# selects, by tcpdump's filter engine
frames_of() {
	tcpdump -r "$WORK/$1.pcap" -n -q "$2" 2>/dev/null | wc -l
}
tcpdump_start "$V0" "$WORK/ref-v.pcap" "$FILTER_V" || fatal "tcpdump did not start on $V0"
TD_V=$TD
tcpdump_start "$W0" "$WORK/ref-w.pcap" "$FILTER_W" || fatal "tcpdump did not start on $W0"
TD_W=$TD
# the W filter keeps UDP, ICMP and ARP of the generated frames
w_want=$(($(frames_of side1 "$FILTER_W") + $(frames_of side2 "$FILTER_W")))

pid_v=$(psql_v -c "SELECT pkt_start('$V0', '$FILTER_V')") &&
	[ -n "$pid_v" ] && ok "pkt_start('$V0', '$FILTER_V') returned worker $pid_v" ||
	fatal "pkt_start on $V0 failed"
pid_w=$(psql_v -c "SELECT pkt_start('$W0', '$FILTER_W')") &&
	[ -n "$pid_w" ] && ok "pkt_start('$W0', '$FILTER_W') returned worker $pid_w" ||
	fatal "pkt_start on $W0 failed"
check_eq "both captures running" \
	"$(psql_v -c "SELECT string_agg(interface || ':' || state, ',' ORDER BY interface) FROM pkt_status() WHERE interface IN ('$V0', '$W0')")" \
	"$V0:running,$W0:running"

if [ -n "$LIVE_PPS" ]; then
	RATE="--pps=$LIVE_PPS"
else
	RATE="--topspeed"
fi
replay() {	# replay IFACE NAME: tcpreplay from the namespace
	ip netns exec "$NS" tcpreplay --no-flow-stats -i "$1" $RATE "$WORK/$2.pcap" >"$WORK/$2.tcpreplay" 2>&1
}
t0=$(date +%s.%N)
replay "$V1" main &
RP_V=$!
replay "$W1" side1 &
RP_W=$!
wait "$RP_V"
wait "$RP_W"
t1=$(date +%s.%N)
replay_check main
replay_check side1
capture_saw "$pid_v" "$(jget main matching)" ||
	echo "# the capture on $V0 has not seen every frame of the burst"

psql_timed stop_v "SELECT pkt_stop('$V0')"
check_eq "pkt_stop('$V0') stopped one capture (in $stop_v_ms ms)" "$stop_v" 1
check_eq "after pkt_stop('$V0'): $V0 stopped, $W0 still running" \
	"$(psql_v -c "SELECT string_agg(interface || ':' || state, ',' ORDER BY interface) FROM pkt_status() WHERE interface IN ('$V0', '$W0')")" \
	"$V0:stopped,$W0:running"
tcpdump_stop "$TD_V" "$WORK/ref-v.pcap" "$(jget main matching)"
TD_V=""

# a second burst on W only: W keeps capturing after V stopped
replay "$W1" side2
replay_check side2
capture_saw "$pid_w" "$w_want" ||
	echo "# the capture on $W0 has not seen every frame its filter selects"
psql_timed stop_w "SELECT pkt_stop('$W0')"
check_eq "pkt_stop('$W0') stopped one capture (in $stop_w_ms ms)" "$stop_w" 1
tcpdump_stop "$TD_W" "$WORK/ref-w.pcap" "$w_want"
TD_W=""
check_eq "pkt_stop('$W0') again stops nothing" \
	"$(psql_v -c "SET client_min_messages = warning; SELECT pkt_stop('$W0')")" 0
awk -v a="$t0" -v b="$t1" -v n="$(jget main frames)" 'BEGIN {
	printf "# main burst: %d frames replayed in %.2f s (%.0f frames/s)\n", n, b - a, n / (b - a) }' 

# ---------------------------------------------------------------------------
# 5. compare with the reference
# ---------------------------------------------------------------------------
section "comparison with tcpdump"
# tcpdump_check NAME IFACE: tcpdump's statistics; sets td_cap
tcpdump_check() {
	local c r d
	c=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$WORK/ref-$1.pcap.err")
	r=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$WORK/ref-$1.pcap.err")
	d=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/ref-$1.pcap.err")
	check_eq "reference tcpdump on $2 complete: captured == received by filter, 0 dropped by kernel" \
		"${c:-?} ${d:-?}" "${r:-?} 0"
	td_cap=${c:-?}
}
tcpdump_check v "$V0"
td_v_cap=$td_cap
tcpdump_check w "$W0"
td_w_cap=$td_cap
check_eq "tcpdump on $V0 saw every generated frame, no decoy, no kernel frame" \
	"$td_v_cap" "$(jget main matching)"

check_eq "tcpdump on $W0 saw every generated frame its filter selects" "$td_w_cap" "$w_want"

reference() {	# reference NAME: tshark fields of ref-NAME.pcap
	# shellcheck disable=SC2046
	TZ=UTC tshark -n -r "$WORK/ref-$1.pcap" \
		-o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
		$("$PY" "$here/live/live_compare.py" --fields) \
		>"$WORK/ref-$1.tsv" 2>"$WORK/ref-$1.tshark.err"
}
rows() {	# rows NAME CONDITION [MIN_ID]: the stored rows in id order
	cluster_psql -c "\\copy (SELECT id, (extract(epoch FROM capture_time) * 1000000)::bigint,
		ip_version, host(src_ip), host(dst_ip), protocol, ip_proto, packet_size,
		captured_size, src_port, dst_port, tcp_flags, vlan_id, interface
		FROM packets WHERE ($2) AND id > ${3:-0} ORDER BY id) TO '$WORK/rows-$1.tsv'"
}
# compare NAME IFACE [MIN_ID [live_compare.py options]]: rows of IFACE
# (with id > MIN_ID) against ref-NAME.pcap
compare() {
	local line name=$1 ifc=$2 min_id=${3:-0} cond
	shift 3 2>/dev/null || shift $#
	reference "$name" || { not_ok "tshark could not read ref-$name.pcap"; return; }
	cond="interface = '$ifc'"
	# a capture on "any" names the interface of each frame
	[ "$ifc" = any ] && cond="true"
	rows "$name" "$cond" "$min_id" || { not_ok "could not read the rows of $ifc"; return; }
	[ "$ifc" = any ] || set -- --iface "$ifc" "$@"
	while IFS= read -r line; do
		case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) not_ok "${line#not ok - }" ;;
			*) echo "$line" ;;
		esac
	done < <("$PY" "$here/live/live_compare.py" --ref "$WORK/ref-$name.tsv" \
		--rows "$WORK/rows-$name.tsv" --summary "$WORK/summary-$name.sh" \
		--tolerance-us "$LIVE_TS_TOLERANCE_US" --label "$ifc" "$@")
}
compare v "$V0"
compare w "$W0"
# shellcheck disable=SC1090
. "$WORK/summary-v.sh" 2>/dev/null || fatal "no comparison summary for $V0"
v_frames=$ref_frames v_ip=$ref_ip v_non_ip=$ref_non_ip
. "$WORK/summary-w.sh" 2>/dev/null || fatal "no comparison summary for $W0"
w_frames=$ref_frames w_ip=$ref_ip w_non_ip=$ref_non_ip

check_eq "tcpdump's IP frames on $V0 == generator's IP frames" "$v_ip" "$(jget main ip)"
check_eq "tcpdump's non-IP frames on $V0 == generator's ARP/other frames" "$v_non_ip" "$(jget main non_ip)"
check_eq "no stored row without an interface, none from another interface" \
	"$(psql_v -c "SELECT count(*) FROM packets WHERE interface IS DISTINCT FROM '$V0' AND interface IS DISTINCT FROM '$W0'")" 0

# status_check IFACE FRAMES IP NON_IP FILTER [ROWS_CONDITION]
status_check() {
	local st want cond=${6:-"interface = '$1'"}
	st=$(psql_v -F ' ' -c "SELECT state, frames, packets, bytes, rows_stored, rows_pending,
		kernel_dropped, interface_dropped, truncated, malformed, unsupported, not_ip,
		not_stored, ports_truncated, coalesce(error, '-'), coalesce(filter, '-') = \$\$$5\$\$
		FROM pkt_status() WHERE interface = '$1'")
	want=$(psql_v -F ' ' -c "SELECT 'stopped', $2, $3, coalesce(sum(packet_size), 0), $3, 0,
		0, 0, 0, 0, 0, $4, 0, 0, '-', true FROM packets WHERE $cond")
	if [ "$st" == "$want" ]; then
		ok "pkt_status($1): $st"
	else
		not_ok "pkt_status($1)"
		echo "    columns: state frames packets bytes rows_stored rows_pending kernel_dropped interface_dropped truncated malformed unsupported not_ip not_stored ports_truncated error filter_ok"
		echo "    got:  $st"
		echo "    want: $want"
	fi
}
status_check "$V0" "$v_frames" "$v_ip" "$v_non_ip" "$FILTER_V"
status_check "$W0" "$w_frames" "$w_ip" "$w_non_ip" "$FILTER_W"

# ---------------------------------------------------------------------------
# 6. pkt_stats against the table
# ---------------------------------------------------------------------------
section "pkt_stats"
# stats_check IFACE [ROWS_CONDITION]: pkt_stats(IFACE) against its rows
stats_check() {
	local got want cond=${2:-"interface = '$1'"}
	got=$(psql_v -c "SELECT packets || '/' || bytes FROM pkt_stats('$1') WHERE section = 'total' AND item = 'packets'")
	want=$(psql_v -c "SELECT count(*) || '/' || coalesce(sum(packet_size), 0) FROM packets WHERE $cond")
	check_eq "pkt_stats('$1') total packets/bytes == count(*)/sum(packet_size)" "$got" "$want"

	got=$(psql_v -c "SELECT string_agg(item || ':' || packets || ':' || bytes, ' ' ORDER BY item)
		FROM pkt_stats('$1') WHERE section = 'protocol'")
	want=$(psql_v -c "SELECT string_agg(protocol || ':' || n || ':' || b, ' ' ORDER BY protocol)
		FROM (SELECT protocol, count(*) n, sum(packet_size) b FROM packets
		WHERE $cond GROUP BY protocol) s")
	if [ "$got" == "$want" ]; then
		ok "pkt_stats('$1') protocol rows == GROUP BY protocol ($(wc -w <<<"$got") protocols)"
	else
		not_ok "pkt_stats('$1') protocol rows differ from GROUP BY protocol"
		echo "    pkt_stats: $got"
		echo "    GROUP BY:  $want"
	fi

	got=$(psql_v -c "SELECT string_agg(item || ':' || packets, ',' ORDER BY packets DESC, item)
		FROM pkt_stats('$1') WHERE section = 'protocol'")
	want=$(psql_v -c "SELECT string_agg(item || ':' || packets, ',') FROM pkt_stats('$1') WHERE section = 'protocol'")
	check_eq "pkt_stats('$1') protocol rows come most packets first" "$want" "$got"

	for dir in source destination; do
		col=src_ip
		[ "$dir" = destination ] && col=dst_ip
		# the first entry, and the busiest address of the table (unless tied)
		got=$(psql_v -c "SELECT item || '|' || packets || '|' || bytes FROM pkt_stats('$1')
			WHERE section = 'top_$dir' LIMIT 1")
		want=$(psql_v -c "SELECT host(a) || '|' || n || '|' || b || '|' ||
			(n > coalesce(lead(n) OVER (ORDER BY n DESC), -1))
			FROM (SELECT $col a, count(*) n, sum(packet_size) b FROM packets
			WHERE $cond GROUP BY 1) s ORDER BY n DESC, a LIMIT 1")
		if [ "${want##*|}" != true ]; then
			echo "    # the busiest $dir of $1 is tied: compared by packets only"
			check_eq "pkt_stats('$1') top_$dir first entry's packets == GROUP BY $col top" \
				"$(cut -d'|' -f2 <<<"$got")" "$(cut -d'|' -f2 <<<"$want")"
		else
			check_eq "pkt_stats('$1') top_$dir first entry == GROUP BY $col top" "$got" "${want%|true}"
		fi
		got=$(psql_v -c "SELECT count(*) FROM pkt_stats('$1') t
			LEFT JOIN LATERAL (SELECT count(*) n, sum(packet_size) b FROM packets p
			WHERE $cond AND host(p.$col) = t.item) s ON true
			WHERE t.section = 'top_$dir' AND (t.packets, t.bytes) IS DISTINCT FROM (s.n, s.b)")
		check_eq "pkt_stats('$1') every top_$dir entry's counts match the table" "$got" 0
	done

	got=$(psql_v -c "SELECT string_agg(section || '/' || item || '=' || packets, ' ' ORDER BY section, item) FROM pkt_stats('$1')
		WHERE (section, item) IN (('capture', 'frames seen'), ('capture', 'rows stored'), ('capture', 'rows pending'),
		('loss', 'not ip'), ('loss', 'not stored'), ('loss', 'kernel dropped'))")
	want=$(psql_v -c "SELECT format('capture/frames seen=%s capture/rows pending=%s capture/rows stored=%s loss/kernel dropped=%s loss/not ip=%s loss/not stored=%s',
		frames, rows_pending, rows_stored, kernel_dropped, not_ip, not_stored) FROM pkt_status() WHERE interface = '$1'")
	check_eq "pkt_stats('$1') capture and loss rows == pkt_status()" "$got" "$want"
}
stats_check "$V0"
stats_check "$W0"

# ---------------------------------------------------------------------------
# 6b. a new capture on the same interface, stopped while traffic flows:
#     pkt_stop() must return only when every row it captured is committed,
#     and those rows are the first ones tcpdump (which goes on) saw.
# ---------------------------------------------------------------------------
section "restart on $V0, stop under load"
max_id=$(psql_v -c "SELECT coalesce(max(id), 0) FROM packets")
gen load --count "$LIVE_LOAD_COUNT" --seed 4 --mac "$MAC_V" \
	--decoy-mac "$MAC_DECOY" --decoys 10 --profile main || fatal "traffic generator failed"
tcpdump_start "$V0" "$WORK/ref-v3.pcap" "$FILTER_V" || fatal "tcpdump did not start on $V0"
TD_V=$TD
pid_v3=$(psql_v -c "SELECT pkt_start('$V0', '$FILTER_V')")
if [ -n "$pid_v3" ] && [ "$pid_v3" != "$pid_v" ]; then
	ok "pkt_start('$V0') again after its stop: new worker $pid_v3"
else
	fatal "pkt_start on $V0 again failed (got '$pid_v3')"
fi
RATE="--pps=$LIVE_LOAD_PPS"
replay "$V1" load &
RP_V=$!
# into the burst: the capture has seen part of it (not a time, which a
# slow start of tcpreplay would eat)
capture_saw "$pid_v3" "$LIVE_LOAD_STOP_AFTER" 30 ||
	echo "# the capture on $V0 did not see $LIVE_LOAD_STOP_AFTER frames of the burst in 30 s"
psql_timed stop_v3 "SELECT pkt_stop('$V0')"
# right after pkt_stop: the rows, and the counters
after_stop=$(psql_v -F ' ' -c "SELECT (SELECT count(*) FROM packets WHERE interface = '$V0' AND id > $max_id),
	rows_stored, packets, frames, not_ip, rows_pending, not_stored, kernel_dropped, state
	FROM pkt_status() WHERE interface = '$V0'")
if kill -0 "$RP_V" 2>/dev/null; then
	ok "pkt_stop('$V0') returned while the replay still ran"
else
	not_ok "the replay ended before pkt_stop('$V0') returned: raise LIVE_LOAD_COUNT or lower LIVE_LOAD_PPS"
fi
wait "$RP_V"
replay_check load
tcpdump_stop "$TD_V" "$WORK/ref-v3.pcap" "$(jget load matching)"
TD_V=""
check_eq "pkt_stop('$V0') under load stopped one capture (in $stop_v3_ms ms)" "$stop_v3" 1
tcpdump_check v3 "$V0"
check_eq "tcpdump on $V0 saw every generated frame of the burst" "$td_cap" "$(jget load matching)"
read -r n3 stored3 packets3 frames3 notip3 pending3 notstored3 kdrop3 state3 <<<"$after_stop"
echo "# right after pkt_stop: $n3 rows, pkt_status: rows_stored $stored3, packets $packets3, frames $frames3, not_ip $notip3, state $state3"
check_eq "right after pkt_stop: rows in packets == rows_stored == packets, nothing pending, nothing lost" \
	"$n3 $stored3 $packets3 $pending3 $notstored3 $kdrop3 $state3" "$n3 $n3 $n3 0 0 0 stopped"
check_eq "right after pkt_stop: frames == packets + not_ip" "$frames3" "$((packets3 + notip3))"
check_eq "no row committed after pkt_stop returned" \
	"$(psql_v -c "SELECT count(*) FROM packets WHERE interface = '$V0' AND id > $max_id")" "$n3"
compare v3 "$V0" "$max_id" --prefix --status-frames "${frames3:-0}"
. "$WORK/summary-v3.sh" 2>/dev/null && echo "# tcpdump saw $ref_ip IP frames; pktcapture stored the first $rows"
if [ "${rows:-0}" -gt 0 ] && [ "${rows:-0}" -lt "${ref_ip:-0}" ]; then
	ok "the stop under load fell inside the burst ($rows of $ref_ip IP frames stored)"
else
	not_ok "the stop under load did not fall inside the burst ($rows of $ref_ip IP frames stored)"
fi

# ---------------------------------------------------------------------------
# 6c. a capture on "any" (Linux cooked v2): both interfaces at once, each
#     row naming the interface of its frame
# ---------------------------------------------------------------------------
section "capture on any"
# the generated traffic, on this test's two interfaces only: another live
# test beside this one sends the same addresses on its own
IDX_V=$(cat "/sys/class/net/$V0/ifindex")
IDX_W=$(cat "/sys/class/net/$W0/ifindex")
NET_ANY="net 198.18.0.0/15 or net 2001:db8::/32 or arp"
FILTER_ANY="(ifindex $IDX_V or ifindex $IDX_W) and ($NET_ANY)"
max_id=$(psql_v -c "SELECT coalesce(max(id), 0) FROM packets")
gen any-v --count "$LIVE_SIDE_COUNT" --seed 5 --mac "$MAC_V" --profile side &&
	gen any-w --count "$LIVE_SIDE_COUNT" --seed 6 --mac "$MAC_W" --profile side ||
	fatal "traffic generator failed"
any_want=$(($(frames_of any-v "$NET_ANY") + $(frames_of any-w "$NET_ANY")))
tcpdump_start any "$WORK/ref-any.pcap" "$FILTER_ANY" || fatal "tcpdump did not start on any"
TD_V=$TD
pid_any=$(psql_v -c "SELECT pkt_start('any', '$FILTER_ANY')") && [ -n "$pid_any" ] &&
	ok "pkt_start('any', '$FILTER_ANY') returned worker $pid_any" ||
	fatal "pkt_start on any failed"
if [ -n "$LIVE_PPS" ]; then RATE="--pps=$LIVE_PPS"; else RATE="--topspeed"; fi
replay "$V1" any-v &
RP_V=$!
replay "$W1" any-w &
RP_W=$!
wait "$RP_V"
wait "$RP_W"
replay_check any-v
replay_check any-w
capture_saw "$pid_any" "$any_want" ||
	echo "# the capture on any has not seen every frame its filter selects"
psql_timed stop_any "SELECT pkt_stop('any')"
check_eq "pkt_stop('any') stopped one capture (in $stop_any_ms ms)" "$stop_any" 1
tcpdump_stop "$TD_V" "$WORK/ref-any.pcap" "$any_want"
TD_V=""
tcpdump_check any any
check_eq "tcpdump on any saw every generated frame of both interfaces its filter selects" \
	"$td_cap" "$any_want"
# tcpdump opens "any" as Linux cooked v2, whose header carries the
# ifindex; cooked v1 has none, so the interface of a row cannot be known
check_eq "the capture on any uses Linux cooked v2 (server log: link type)" \
	"$(grep -a "\[$pid_any\] DETAIL:  Link type" "$LOG" | sed 's/.*Link type \([A-Z0-9_]*\).*/\1/')" LINUX_SLL2
ifmap="$IDX_V=$V0,$IDX_W=$W0"
compare any any "$max_id" --iface "$ifmap"
if . "$WORK/summary-any.sh" 2>/dev/null; then
	status_check any "$ref_frames" "$ref_ip" "$ref_non_ip" "$FILTER_ANY" "id > $max_id"
	stats_check any "id > $max_id"
else
	not_ok "no comparison summary for any"
fi
check_eq "rows of the capture on any name both interfaces" \
	"$(psql_v -c "SELECT string_agg(DISTINCT coalesce(interface, 'NULL'), ',' ORDER BY coalesce(interface, 'NULL')) FROM packets WHERE id > $max_id")" \
	"$V0,$W0"

# ---------------------------------------------------------------------------
# 7. the server survived
# ---------------------------------------------------------------------------
section "server health"
check_eq "postmaster PID unchanged" "$(cluster_postmaster_pid)" "$PM_PID"
check_eq "$SO was not changed during the test (md5)" "$(md5sum <"$SO" 2>/dev/null)" "$SO_ID"
crash=$(grep -aE "terminated by signal|server process .* was terminated|exited with exit code|PANIC|all server processes terminated|database system was not properly shut down" "$LOG")
if [ -z "$crash" ]; then
	ok "server log: no process terminated by a signal, no crash, no restart"
else
	not_ok "server log reports a crash"
	sed 's/^/    /' <<<"$crash" | head -20
fi
warn=$(grep -aE "(WARNING|ERROR|FATAL): +pktcapture" "$LOG")
if [ -z "$warn" ]; then
	ok "server log: no pktcapture warning or error"
else
	not_ok "server log has pktcapture warnings or errors"
	sed 's/^/    /' <<<"$warn" | head -20
fi
# every capture logged its stop: two on V0 (the second stopped under load),
# one on W0, one on any
for ifc in "$V0:2" "$W0:1" "any:1"; do
	check_eq "server log: every capture on ${ifc%:*} stopped cleanly (its lines)" \
		"$(grep -ac "pktcapture: capture stopped on interface \"${ifc%:*}\"" "$LOG")" "${ifc##*:}"
done
grep -aE --no-group-separator "pktcapture: capture (started|stopped)" -A1 "$LOG" | sed 's/^/# /'

finish
