#!/bin/bash
# test/live-test.sh: end-to-end live capture test of pktcapture.
#
#   test/live-test.sh                 (as root, or with sudo; from anywhere)
#   ONLY=any test/live-test.sh        one section (--sections lists them)
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
#   4. two: runs tcpdump (the reference, -s 128) and pkt_start() with the same
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
#   7. stop-load: starts a new capture on the first interface, stops it
#      while traffic flows (once it has seen LIVE_LOAD_STOP_AFTER frames;
#      the traffic goes on until pkt_stop() has returned), and checks that
#      pkt_stop() returned with every row committed and that these rows
#      are exactly the first IP frames tcpdump saw (tcpdump goes on
#      capturing);
#   8. any: captures on "any" while both interfaces carry traffic: rows must
#      name the interface of their frame (tshark's sll.ifindex); its filter
#      selects the two interfaces by index (others' tests may run beside);
#   9. spool: a capture with pktcapture.spool_size (pkt_spooler.c) while
#      packets is locked: its frames wait in the spool (spool_frames, lag
#      and spool_bytes above 0, no row), then catch up once the lock goes:
#      rows equal to tcpdump's, the spool's files gone; with a 2 MB spool
#      and a 1 MB kernel buffer, the spool stops at its bound (spool_full),
#      its files never exceed it, and every frame sent is read or counted
#      as a kernel drop; a missing interface gives the same error with a
#      spool as without;
#  10. checks that the postmaster never restarted, no backend crashed, and
#      the library was not reinstalled during the run.
#
# Environment:
#   LIVE_COUNT            frames of the main burst (default 60000)
#   LIVE_SIDE_COUNT       frames of each burst on the second pair (5000)
#   LIVE_PPS              tcpreplay rate; empty means --topspeed (default)
#   LIVE_TS_TOLERANCE_US  timestamp tolerance, microseconds (default 5000: each
#                         packet socket stamps a frame itself; one full run
#                         saw tcpdump's and ours 1313 us apart, mean 0.3 us)
#   LIVE_LOAD_COUNT       frames of the file replayed, again and again,
#                         while a capture is stopped (60000)
#   LIVE_LOAD_PPS         its rate, frames per second (20000)
#   LIVE_LOAD_STOP_AFTER  frames of that burst the capture has seen when
#                         pkt_stop() is called (15000)
#   LIVE_KEEP=1           keep the work directory even when all checks pass
#                         (or KEEP_WORK=1)
#
# Prints one line per check and, last, "live: N passed, M failed".
# Exit status 0 when every check passed, 1 otherwise.  The work directory
# (pcaps, tshark output, rows, server log) is kept when a check fails.
set -u

LIVE_COUNT=${LIVE_COUNT:-60000}
LIVE_SIDE_COUNT=${LIVE_SIDE_COUNT:-5000}
LIVE_PPS=${LIVE_PPS:-}
LIVE_TS_TOLERANCE_US=${LIVE_TS_TOLERANCE_US:-5000}
LIVE_LOAD_COUNT=${LIVE_LOAD_COUNT:-60000}
LIVE_LOAD_PPS=${LIVE_LOAD_PPS:-20000}
LIVE_LOAD_STOP_AFTER=${LIVE_LOAD_STOP_AFTER:-15000}

. "$(dirname "$0")/lib/suite.sh"
sections two stop-load any spool
suite_init live LIVE_ "$@"
. "$here/lib/netns.sh"
. "$here/lib/compare.sh"

for cmd in ip tcpdump tshark tcpreplay psql pg_config setpriv sysctl; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

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
RATE_ALL=--topspeed
[ -n "$LIVE_PPS" ] && RATE_ALL="--pps=$LIVE_PPS"

TD_V="" TD_W=""
at_exit 'for p in $TD_V $TD_W; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done'
WORK_NOTE="server log: $WORK/cluster/server.log"

# psql_timed VAR SQL: run SQL, its output in VAR, the milliseconds in VAR_ms
psql_timed() {
	local t0 t1 out
	t0=$(date +%s%N)
	out=$(psql_at -c "$2")
	t1=$(date +%s%N)
	printf -v "$1" '%s' "$out"
	printf -v "$1_ms" '%s' $(((t1 - t0) / 1000000))
}
# frames_of NAME FILTER: the frames of the generator's NAME.pcap that FILTER
# selects, by tcpdump's filter engine
frames_of() {
	tcpdump -r "$WORK/$1.pcap" -n -q "$2" 2>/dev/null | wc -l
}
# tcpdump_check NAME IFACE: tcpdump's statistics (a step); sets td_cap
tcpdump_check() {
	local c r d
	read -r c r d <<<"$(tcpdump_stats "$WORK/ref-$1.pcap")"
	step "reference tcpdump on $2 complete: captured $c == received by filter $r, $d dropped by kernel" \
		[ "$c $d" = "$r 0" ]
	td_cap=$c
}
# compare NAME IFACE [MIN_ID [live_compare.py options]]: rows of IFACE
# (with id > MIN_ID) against ref-NAME.pcap
compare() {
	local name=$1 ifc=$2 min_id=${3:-0} cond
	shift 3 2>/dev/null || shift $#
	live_reference "$name" || { not_ok "tshark could not read ref-$name.pcap"; return; }
	cond="interface = '$ifc'"
	# a capture on "any" names the interface of each frame
	[ "$ifc" = any ] && cond="true"
	live_rows "$name" "($cond) AND id > $min_id" || { not_ok "could not read the rows of $ifc"; return; }
	[ "$ifc" = any ] || set -- --iface "$ifc" "$@"
	live_compare "$name" --tolerance-us "$LIVE_TS_TOLERANCE_US" --label "$ifc" "$@"
}
# status_check IFACE FRAMES IP NON_IP FILTER [ROWS_CONDITION]
status_check() {
	local st want cond=${6:-"interface = '$1'"}
	st=$(psql_at -F ' ' -c "SELECT state, frames, packets, bytes, rows_stored, rows_pending,
		kernel_dropped, interface_dropped, truncated, malformed, unsupported, not_ip,
		not_stored, ports_truncated, coalesce(error, '-'), coalesce(filter, '-') = \$\$$5\$\$
		FROM pkt_status() WHERE interface = '$1'")
	want=$(psql_at -F ' ' -c "SELECT 'stopped', $2, $3, coalesce(sum(packet_size), 0), $3, 0,
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
# stats_check IFACE [ROWS_CONDITION]: pkt_stats(IFACE) against its rows
stats_check() {
	local got want cond=${2:-"interface = '$1'"} dir col
	got=$(psql_at -c "SELECT packets || '/' || bytes FROM pkt_stats('$1') WHERE section = 'total' AND item = 'packets'")
	want=$(psql_at -c "SELECT count(*) || '/' || coalesce(sum(packet_size), 0) FROM packets WHERE $cond")
	check_eq "pkt_stats('$1') total packets/bytes == count(*)/sum(packet_size)" "$got" "$want"

	got=$(psql_at -c "SELECT string_agg(item || ':' || packets || ':' || bytes, ' ' ORDER BY item)
		FROM pkt_stats('$1') WHERE section = 'protocol'")
	want=$(psql_at -c "SELECT string_agg(protocol || ':' || n || ':' || b, ' ' ORDER BY protocol)
		FROM (SELECT protocol, count(*) n, sum(packet_size) b FROM packets
		WHERE $cond GROUP BY protocol) s")
	if [ "$got" == "$want" ]; then
		ok "pkt_stats('$1') protocol rows == GROUP BY protocol ($(wc -w <<<"$got") protocols)"
	else
		not_ok "pkt_stats('$1') protocol rows differ from GROUP BY protocol"
		echo "    pkt_stats: $got"
		echo "    GROUP BY:  $want"
	fi

	got=$(psql_at -c "SELECT string_agg(item || ':' || packets, ',' ORDER BY packets DESC, item)
		FROM pkt_stats('$1') WHERE section = 'protocol'")
	want=$(psql_at -c "SELECT string_agg(item || ':' || packets, ',') FROM pkt_stats('$1') WHERE section = 'protocol'")
	check_eq "pkt_stats('$1') protocol rows come most packets first" "$want" "$got"

	for dir in source destination; do
		col=src_ip
		[ "$dir" = destination ] && col=dst_ip
		# the first entry, and the busiest address of the table (unless tied)
		got=$(psql_at -c "SELECT item || '|' || packets || '|' || bytes FROM pkt_stats('$1')
			WHERE section = 'top_$dir' LIMIT 1")
		want=$(psql_at -c "SELECT host(a) || '|' || n || '|' || b || '|' ||
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
		got=$(psql_at -c "SELECT count(*) FROM pkt_stats('$1') t
			LEFT JOIN LATERAL (SELECT count(*) n, sum(packet_size) b FROM packets p
			WHERE $cond AND host(p.$col) = t.item) s ON true
			WHERE t.section = 'top_$dir' AND (t.packets, t.bytes) IS DISTINCT FROM (s.n, s.b)")
		check_eq "pkt_stats('$1') every top_$dir entry's counts match the table" "$got" 0
	done

	got=$(psql_at -c "SELECT string_agg(section || '/' || item || '=' || packets, ' ' ORDER BY section, item) FROM pkt_stats('$1')
		WHERE (section, item) IN (('capture', 'frames seen'), ('capture', 'rows stored'), ('capture', 'rows pending'),
		('loss', 'not ip'), ('loss', 'not stored'), ('loss', 'kernel dropped'))")
	want=$(psql_at -c "SELECT format('capture/frames seen=%s capture/rows pending=%s capture/rows stored=%s loss/kernel dropped=%s loss/not ip=%s loss/not stored=%s',
		frames, rows_pending, rows_stored, kernel_dropped, not_ip, not_stored) FROM pkt_status() WHERE interface = '$1'")
	check_eq "pkt_stats('$1') capture and loss rows == pkt_status()" "$got" "$want"
}

echo "# work directory $WORK, interfaces $V0 $W0, namespace $NS"

# ---------------------------------------------------------------------------
heading "test network"
# no DAD, no router solicitations or advertisements: the kernel sends
# nothing of its own once the addresses are set
quiet_ipv6() {	# quiet_ipv6 IFACE [netns_exec]
	${2:-} sysctl -qw "net.ipv6.conf.$1.accept_dad=0" \
		"net.ipv6.conf.$1.router_solicitations=0" "net.ipv6.conf.$1.accept_ra=0" >/dev/null
}
addresses() {	# addresses IFACE IPV4 IPV6 [netns_exec]
	${4:-} ip addr add "$2" dev "$1" && ${4:-} ip addr add "$3" dev "$1" nodad
}
must "a network namespace $NS" netns_add "$NS"
must "veth $V0 here, $V1 in $NS" netns_veth "$V0" "$V1"
must "veth $W0 here, $W1 in $NS" netns_veth "$W0" "$W1"
for ifc in "$V0" "$W0"; do must "$ifc sends nothing of its own" quiet_ipv6 "$ifc"; done
for ifc in "$V1" "$W1"; do must "$ifc sends nothing of its own" quiet_ipv6 "$ifc" netns_exec; done
must "addresses of $V0" addresses "$V0" 198.18.255.1/30 fd00:706b:7463:1::1/64
must "addresses of $W0" addresses "$W0" 198.18.255.5/30 fd00:706b:7463:2::1/64
must "addresses of $V1" addresses "$V1" 198.18.255.2/30 fd00:706b:7463:1::2/64 netns_exec
must "addresses of $W1" addresses "$W1" 198.18.255.6/30 fd00:706b:7463:2::2/64 netns_exec
must "the test network comes up" netns_up "$V0" "$V1" "$W0" "$W1"

# ---------------------------------------------------------------------------
heading "cluster"
must "start a cluster" cluster_start "$WORK/cluster" "shared_preload_libraries = 'pktcapture'"
LOG=$CLUSTER_DIR/server.log
PM_PID=$(cluster_postmaster_pid)
# Workers load the library file anew: if it is reinstalled while the test
# runs, they run other code than the postmaster.  Detect it.
SO=$(pg_config --pkglibdir)/pktcapture.so
SO_ID=$(md5sum <"$SO" 2>/dev/null)
must "CREATE EXTENSION pktcapture (postmaster $PM_PID)" cluster_psql -c "CREATE EXTENSION pktcapture"
# captures each section stops, by interface: the server log must say so
declare -A STOPS=(["$V0"]=0 ["$W0"]=0 [any]=0)

# ---------------------------------------------------------------------------
if section two "two captures at once, against tcpdump"; then
	DECOYS_V=$((LIVE_COUNT / 200 + 1))
	DECOYS_W=$((LIVE_SIDE_COUNT / 100 + 1))
	must "traffic: main" gen_traffic main --count "$LIVE_COUNT" --seed 1 --mac "$MAC_V" \
		--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_V" --profile main
	must "traffic: side1" gen_traffic side1 --count "$LIVE_SIDE_COUNT" --seed 2 --mac "$MAC_W" \
		--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_W" --profile side
	must "traffic: side2" gen_traffic side2 --count "$LIVE_SIDE_COUNT" --seed 3 --mac "$MAC_W" \
		--decoy-mac "$MAC_DECOY" --decoys "$DECOYS_W" --profile side
	gen_traffic main-again --count "$LIVE_COUNT" --seed 1 --mac "$MAC_V" --decoy-mac "$MAC_DECOY" --decoys "$DECOYS_V"
	step "the generator is deterministic ($(jget main frames) frames, $(jget main matching) to capture, $(jget main decoys) decoys)" \
		cmp -s "$WORK/main.pcap" "$WORK/main-again.pcap"
	rm -f "$WORK/main-again.pcap"

	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-v.pcap" "$FILTER_V"
	TD_V=$TD
	must "tcpdump on $W0" tcpdump_start "$W0" "$WORK/ref-w.pcap" "$FILTER_W"
	TD_W=$TD
	# the W filter keeps UDP, ICMP and ARP of the generated frames
	w_want=$(($(frames_of side1 "$FILTER_W") + $(frames_of side2 "$FILTER_W")))

	must_get pid_v "pkt_start('$V0', '$FILTER_V')" psql_at -c "SELECT pkt_start('$V0', '$FILTER_V')"
	must_get pid_w "pkt_start('$W0', '$FILTER_W')" psql_at -c "SELECT pkt_start('$W0', '$FILTER_W')"
	check_eq "both captures running" \
		"$(psql_at -c "SELECT string_agg(interface || ':' || state, ',' ORDER BY interface) FROM pkt_status() WHERE interface IN ('$V0', '$W0')")" \
		"$V0:running,$W0:running"

	t0=$(date +%s.%N)
	netns_replay "$V1" main "$RATE_ALL" &
	RP_V=$!
	netns_replay "$W1" side1 "$RATE_ALL" &
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
	STOPS[$V0]=$((STOPS[$V0] + 1))
	check_eq "after pkt_stop('$V0'): $V0 stopped, $W0 still running" \
		"$(psql_at -c "SELECT string_agg(interface || ':' || state, ',' ORDER BY interface) FROM pkt_status() WHERE interface IN ('$V0', '$W0')")" \
		"$V0:stopped,$W0:running"
	tcpdump_stop "$TD_V" "$WORK/ref-v.pcap" "$(jget main matching)"
	TD_V=""

	# a second burst on W only: W keeps capturing after V stopped
	netns_replay "$W1" side2 "$RATE_ALL"
	replay_check side2
	capture_saw "$pid_w" "$w_want" ||
		echo "# the capture on $W0 has not seen every frame its filter selects"
	psql_timed stop_w "SELECT pkt_stop('$W0')"
	check_eq "pkt_stop('$W0') stopped one capture (in $stop_w_ms ms)" "$stop_w" 1
	STOPS[$W0]=$((STOPS[$W0] + 1))
	tcpdump_stop "$TD_W" "$WORK/ref-w.pcap" "$w_want"
	TD_W=""
	check_eq "pkt_stop('$W0') again stops nothing" \
		"$(psql_at -c "SET client_min_messages = warning; SELECT pkt_stop('$W0')")" 0
	awk -v a="$t0" -v b="$t1" -v n="$(jget main frames)" 'BEGIN {
		printf "# main burst: %d frames replayed in %.2f s (%.0f frames/s)\n", n, b - a, n / (b - a) }'

	heading "comparison with tcpdump"
	tcpdump_check v "$V0"
	step "tcpdump on $V0 saw every generated frame, no decoy, no kernel frame ($td_cap)" \
		[ "$td_cap" = "$(jget main matching)" ]
	tcpdump_check w "$W0"
	step "tcpdump on $W0 saw every generated frame its filter selects ($td_cap)" [ "$td_cap" = "$w_want" ]
	compare v "$V0"
	compare w "$W0"
	# shellcheck disable=SC1090
	. "$WORK/summary-v.sh" 2>/dev/null || fatal "no comparison summary for $V0"
	v_frames=$ref_frames v_ip=$ref_ip v_non_ip=$ref_non_ip
	. "$WORK/summary-w.sh" 2>/dev/null || fatal "no comparison summary for $W0"
	w_frames=$ref_frames w_ip=$ref_ip w_non_ip=$ref_non_ip
	step "tcpdump's IP frames on $V0 == generator's IP frames ($v_ip)" [ "$v_ip" = "$(jget main ip)" ]
	step "tcpdump's non-IP frames on $V0 == generator's ARP/other frames ($v_non_ip)" [ "$v_non_ip" = "$(jget main non_ip)" ]
	check_eq "no stored row without an interface, none from another interface" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE interface IS DISTINCT FROM '$V0' AND interface IS DISTINCT FROM '$W0'")" 0
	status_check "$V0" "$v_frames" "$v_ip" "$v_non_ip" "$FILTER_V"
	status_check "$W0" "$w_frames" "$w_ip" "$w_non_ip" "$FILTER_W"

	heading "pkt_stats"
	stats_check "$V0"
	stats_check "$W0"
fi

# ---------------------------------------------------------------------------
# pkt_stop() must return only when every row it captured is committed, and
# those rows are the first ones tcpdump (which goes on) saw.
if section stop-load "a capture on $V0 stopped while traffic flows"; then
	max_id=$(psql_at -c "SELECT coalesce(max(id), 0) FROM packets")
	# no decoys: every frame sent is one the filter keeps
	must "traffic: load" gen_traffic load --count "$LIVE_LOAD_COUNT" --seed 4 --mac "$MAC_V" --profile main
	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-v3.pcap" "$FILTER_V"
	TD_V=$TD
	must_get pid_v3 "pkt_start('$V0', '$FILTER_V')" psql_at -c "SELECT pkt_start('$V0', '$FILTER_V')"
	if ran two; then
		check "pkt_start('$V0') again after its stop: a new worker ($pid_v3, before $pid_v)" [ "$pid_v3" != "$pid_v" ]
	fi
	# the file again and again until pkt_stop() has returned: the stop falls
	# inside the traffic however long it takes
	ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" --pps="$LIVE_LOAD_PPS" --loop=0 \
		"$WORK/load.pcap" >"$WORK/load.tcpreplay" 2>&1 &
	RP_V=$!
	track_bg "$RP_V"
	# into the traffic: the capture has seen part of it (not a time, which a
	# slow start of tcpreplay would eat)
	step "the capture on $V0 saw $LIVE_LOAD_STOP_AFTER frames of the traffic" \
		capture_saw "$pid_v3" "$LIVE_LOAD_STOP_AFTER" 30
	psql_timed stop_v3 "SELECT pkt_stop('$V0')"
	# right after pkt_stop: the rows, and the counters
	after_stop=$(psql_at -F ' ' -c "SELECT (SELECT count(*) FROM packets WHERE interface = '$V0' AND id > $max_id),
		rows_stored, packets, frames, not_ip, rows_pending, not_stored, kernel_dropped, state
		FROM pkt_status() WHERE interface = '$V0'")
	step "the traffic still flowed when pkt_stop('$V0') returned" kill -0 "$RP_V"
	kill -INT "$RP_V"
	wait "$RP_V"
	# interrupted, tcpreplay may count the frame it was sending as sent
	# (Actual) and not as successful
	sent=$(tcpreplay_sent "$WORK/load.tcpreplay")
	actual=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$WORK/load.tcpreplay")
	echo "# tcpreplay sent ${sent:-?} frames, ${actual:-?} with the one it was sending"
	tcpdump_stop "$TD_V" "$WORK/ref-v3.pcap" "${sent:-0}"
	TD_V=""
	check_eq "pkt_stop('$V0') under load stopped one capture (in $stop_v3_ms ms)" "$stop_v3" 1
	STOPS[$V0]=$((STOPS[$V0] + 1))
	tcpdump_check v3 "$V0"
	step "tcpdump on $V0 saw every frame tcpreplay sent ($td_cap; sent $sent to $actual)" \
		eval '[ "$td_cap" -ge "$sent" ] && [ "$td_cap" -le "$actual" ]'
	read -r n3 stored3 packets3 frames3 notip3 pending3 notstored3 kdrop3 state3 <<<"$after_stop"
	echo "# right after pkt_stop: $n3 rows, pkt_status: rows_stored $stored3, packets $packets3, frames $frames3, not_ip $notip3, state $state3"
	check_eq "right after pkt_stop: rows in packets == rows_stored == packets, nothing pending, nothing lost" \
		"$n3 $stored3 $packets3 $pending3 $notstored3 $kdrop3 $state3" "$n3 $n3 $n3 0 0 0 stopped"
	check_eq "right after pkt_stop: frames == packets + not_ip" "$frames3" "$((packets3 + notip3))"
	check_eq "no row committed after pkt_stop returned" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE interface = '$V0' AND id > $max_id")" "$n3"
	compare v3 "$V0" "$max_id" --prefix --status-frames "${frames3:-0}"
	rows=0 ref_ip=0
	. "$WORK/summary-v3.sh" 2>/dev/null && echo "# tcpdump saw $ref_ip IP frames; pktcapture stored the first $rows"
	check "the stop fell inside the traffic ($rows of $ref_ip IP frames stored)" \
		eval '[ "$rows" -gt 0 ] && [ "$rows" -lt "$ref_ip" ]'
fi

# ---------------------------------------------------------------------------
# Linux cooked v2: both interfaces at once, each row naming the interface
# of its frame
if section any "a capture on any"; then
	# the generated traffic, on this test's two interfaces only: another live
	# test beside this one sends the same addresses on its own
	IDX_V=$(cat "/sys/class/net/$V0/ifindex")
	IDX_W=$(cat "/sys/class/net/$W0/ifindex")
	NET_ANY="net 198.18.0.0/15 or net 2001:db8::/32 or arp"
	FILTER_ANY="(ifindex $IDX_V or ifindex $IDX_W) and ($NET_ANY)"
	max_id=$(psql_at -c "SELECT coalesce(max(id), 0) FROM packets")
	must "traffic: any-v" gen_traffic any-v --count "$LIVE_SIDE_COUNT" --seed 5 --mac "$MAC_V" --profile side
	must "traffic: any-w" gen_traffic any-w --count "$LIVE_SIDE_COUNT" --seed 6 --mac "$MAC_W" --profile side
	any_want=$(($(frames_of any-v "$NET_ANY") + $(frames_of any-w "$NET_ANY")))
	must "tcpdump on any" tcpdump_start any "$WORK/ref-any.pcap" "$FILTER_ANY"
	TD_V=$TD
	must_get pid_any "pkt_start('any', '$FILTER_ANY')" psql_at -c "SELECT pkt_start('any', '$FILTER_ANY')"
	netns_replay "$V1" any-v "$RATE_ALL" &
	RP_V=$!
	netns_replay "$W1" any-w "$RATE_ALL" &
	RP_W=$!
	wait "$RP_V"
	wait "$RP_W"
	replay_check any-v
	replay_check any-w
	capture_saw "$pid_any" "$any_want" ||
		echo "# the capture on any has not seen every frame its filter selects"
	psql_timed stop_any "SELECT pkt_stop('any')"
	check_eq "pkt_stop('any') stopped one capture (in $stop_any_ms ms)" "$stop_any" 1
	STOPS[any]=$((STOPS[any] + 1))
	tcpdump_stop "$TD_V" "$WORK/ref-any.pcap" "$any_want"
	TD_V=""
	tcpdump_check any any
	step "tcpdump on any saw every generated frame of both interfaces its filter selects ($td_cap)" \
		[ "$td_cap" = "$any_want" ]
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
		"$(psql_at -c "SELECT string_agg(DISTINCT coalesce(interface, 'NULL'), ',' ORDER BY coalesce(interface, 'NULL')) FROM packets WHERE id > $max_id")" \
		"$V0,$W0"
fi

# ---------------------------------------------------------------------------
# The spool: the spooler drains the kernel into files, rows catch up
if section spool "a capture with a spool"; then
	spool_files() { # bytes in the spool directories of the cluster
		du -sb "$CLUSTER_DIR"/data/base/pgsql_tmp/pgsql_tmppktcapture.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
	}
	locker_start() { # a session holding packets locked until locker_stop
		: >"$WORK/locker.out"
		cluster_psql -qAt -c "SELECT pg_backend_pid()" -c "BEGIN" -c "LOCK TABLE packets" \
			-c "SELECT pg_sleep(300)" >"$WORK/locker.out" 2>&1 &
		LOCKER=$!
		track_bg "$LOCKER"
		wait_until 20 grep -q '^[0-9][0-9]*$' "$WORK/locker.out" || return 1
		LOCKER_PID=$(head -1 "$WORK/locker.out")
		cluster_poll 20 "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $LOCKER_PID
			AND relation = 'packets'::regclass AND mode = 'AccessExclusiveLock' AND granted)"
	}
	locker_stop() {
		check_eq "the session locking packets ($LOCKER_PID) is ended" \
			"$(psql_at -c "SELECT pg_terminate_backend($LOCKER_PID, 10000)")" t
		wait "$LOCKER" 2>/dev/null
	}
	max_id=$(psql_at -c "SELECT coalesce(max(id), 0) FROM packets")
	must "traffic: spool" gen_traffic spool --count "$LIVE_COUNT" --seed 5 --mac "$MAC_V" --profile main
	sp_want=$(jget spool matching)
	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-sp.pcap" "$FILTER_V"
	TD_V=$TD
	must_get pid_sp "pkt_start('$V0') with pktcapture.spool_size = 256MB" \
		psql_at -c "SET pktcapture.spool_size = '256MB'; SELECT pkt_start('$V0', '$FILTER_V')"
	sp_pid=$(psql_at -c "SELECT spooler_pid FROM pkt_status() WHERE pid = $pid_sp")
	check "a spooler process runs beside the capture worker (pid ${sp_pid:-none})" \
		eval '[ -n "$sp_pid" ] && ps -o args= -p "$sp_pid" | grep -q "pktcapture spool"'
	must "packets locked" locker_start
	netns_replay "$V1" spool --topspeed
	replay_check spool
	# every frame sent reached the spooler: read back or waiting in the spool
	step "the spool holds what the capture has not read ($sp_want frames in all)" \
		cluster_poll 30 "SELECT frames + spool_frames >= $sp_want FROM pkt_status() WHERE pid = $pid_sp"
	IFS='|' read -r sp_rows sp_frames sp_spooled sp_bytes sp_lag <<<"$(psql_at -c "SELECT rows_stored,
		frames, spool_frames, spool_bytes, lag > '0' FROM pkt_status() WHERE pid = $pid_sp")"
	echo "# while locked: $sp_rows rows stored, $sp_frames frames read, $sp_spooled spooled, $sp_bytes bytes, lag > 0: $sp_lag, files $(spool_files) bytes"
	check_eq "while packets is locked: no row, frames waiting in the spool with a lag" \
		"$sp_rows $([ "${sp_spooled:-0}" -gt 0 ] && echo spooled) $([ "${sp_bytes:-0}" -gt 0 ] && echo bytes) $sp_lag" \
		"0 spooled bytes t"
	locker_stop
	step "once the lock is gone, the rows catch up: nothing left in the spool or pending" \
		cluster_poll 60 "SELECT spool_frames = 0 AND rows_pending = 0 AND frames >= $sp_want FROM pkt_status() WHERE pid = $pid_sp"
	psql_timed stop_sp "SELECT pkt_stop('$V0')"
	check_eq "pkt_stop('$V0') stopped the capture with a spool" "$stop_sp" 1
	STOPS[$V0]=$((STOPS[$V0] + 1))
	tcpdump_stop "$TD_V" "$WORK/ref-sp.pcap" "$sp_want"
	TD_V=""
	tcpdump_check sp "$V0"
	check_eq "after the stop: frames, kernel drops, not stored, spool waiting, state" \
		"$(psql_at -F ' ' -c "SELECT frames, kernel_dropped, not_stored, spool_frames, state FROM pkt_status() WHERE interface = '$V0' ORDER BY started_at DESC LIMIT 1")" \
		"$sp_want 0 0 0 stopped"
	compare sp "$V0" "$max_id"
	check_eq "the spool's files are removed" "$(spool_files)" 0
	check "the spooler ended" eval '! kill -0 "$sp_pid" 2>/dev/null'

	# the bound: 2 MB of spool (segments of 1 MB), 1 MB of kernel buffer
	max_id=$(psql_at -c "SELECT coalesce(max(id), 0) FROM packets")
	must "traffic: spool-bound" gen_traffic spoolb --count $((LIVE_LOAD_COUNT * 5 / 2)) --seed 6 --mac "$MAC_V" --profile main
	sb_want=$(jget spoolb matching)
	must_get pid_sb "pkt_start('$V0') with a 2 MB spool and a 1 MB kernel buffer" \
		psql_at -c "SET pktcapture.spool_size = '2MB'; SET pktcapture.buffer_size = '1MB'; SELECT pkt_start('$V0', '$FILTER_V')"
	must "packets locked" locker_start
	netns_replay "$V1" spoolb --topspeed &
	RP_B=$!
	track_bg "$RP_B"
	sb_max=0
	while kill -0 "$RP_B" 2>/dev/null; do
		b=$(spool_files)
		[ "$b" -gt "$sb_max" ] && sb_max=$b
		sleep 0.05
	done
	wait "$RP_B"
	replay_check spoolb
	step "the spooler stopped at its bound and the kernel dropped" \
		cluster_poll 20 "SELECT spool_full > 0 AND kernel_dropped > 0 FROM pkt_status() WHERE pid = $pid_sb"
	b=$(spool_files)
	[ "$b" -gt "$sb_max" ] && sb_max=$b
	# the bound, plus the open segment's last record and 1 MB of stdio buffer not yet written
	check "the spool's files stayed within 2 MB and a segment (largest seen: $sb_max bytes)" \
		[ "$sb_max" -le $((3 * 1024 * 1024 + 128 * 1024)) ]
	locker_stop
	step "once the lock is gone, the rows catch up" \
		cluster_poll 60 "SELECT spool_frames = 0 AND rows_pending = 0 FROM pkt_status() WHERE pid = $pid_sb"
	must "pkt_stop" psql_at -c "SELECT pkt_stop('$V0')"
	STOPS[$V0]=$((STOPS[$V0] + 1))
	IFS='|' read -r sb_frames sb_drop sb_ifdrop sb_packets sb_notip sb_stored sb_notstored sb_full <<<"$(psql_at -c "SELECT frames, kernel_dropped,
		interface_dropped, packets, not_ip, rows_stored, not_stored, spool_full FROM pkt_status() WHERE interface = '$V0' ORDER BY started_at DESC LIMIT 1")"
	echo "# bound: frames $sb_frames, kernel dropped $sb_drop, interface dropped $sb_ifdrop, packets $sb_packets, stored $sb_stored, not stored $sb_notstored, spool full $sb_full times"
	check_eq "every frame sent was read back or counted as a kernel drop" \
		"$((sb_frames + sb_drop + sb_ifdrop))" "$sb_want"
	check_eq "every IP frame read back is a row, none given up" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE id > $max_id") $sb_stored $sb_notstored $((sb_packets + sb_notip))" \
		"$sb_packets $sb_packets 0 $sb_frames"
	check_eq "the spool's files are removed" "$(spool_files)" 0

	# a missing interface: the same error with a spool as without
	e0=$(psql_at -c "SELECT pkt_start('pktc-nosuch')" 2>&1 | head -1)
	e1=$(psql_at -c "SET pktcapture.spool_size = '64MB'; SELECT pkt_start('pktc-nosuch')" 2>&1 | head -1)
	check_eq "pkt_start on a missing interface with a spool: the error without one" "$e1" "$e0"
	check_eq "... which says so" "$(grep -c 'capture interface "pktc-nosuch" does not exist' <<<"$e1")" 1
	check_eq "no spool left by the failed start" "$(spool_files)" 0
fi

# ---------------------------------------------------------------------------
heading "server health"
check_eq "postmaster PID unchanged" "$(cluster_postmaster_pid)" "$PM_PID"
check_eq "$SO was not changed during the test (md5)" "$(md5sum <"$SO" 2>/dev/null)" "$SO_ID"
crash=$(crash_lines "$LOG" 0 "exited with exit code")
if [ -z "$crash" ]; then
	ok "server log: no process terminated by a signal, no crash, no restart"
else
	not_ok "server log reports a crash"
	sed 's/^/    /' <<<"$crash" | head -20
fi
warn=$(grep -aE "(WARNING|ERROR|FATAL): +pktcapture" "$LOG")
# the spool section locks packets on purpose: its batches wait
if ran spool; then
	warn=$(grep -v "could not write [0-9]* rows to packets from interface \"$V0\": canceling statement due to lock timeout" <<<"$warn")
fi
if [ -z "$warn" ]; then
	ok "server log: no pktcapture warning or error"
else
	not_ok "server log has pktcapture warnings or errors"
	sed 's/^/    /' <<<"$warn" | head -20
fi
# every capture logged its stop
for ifc in "$V0" "$W0" any; do
	[ "${STOPS[$ifc]}" -gt 0 ] || continue
	check_eq "server log: every capture on $ifc stopped cleanly (its lines)" \
		"$(grep -ac "pktcapture: capture stopped on interface \"$ifc\"" "$LOG")" "${STOPS[$ifc]}"
done
grep -aE --no-group-separator "pktcapture: capture (started|stopped)" -A1 "$LOG" | sed 's/^/# /'

finish
