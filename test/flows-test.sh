#!/bin/bash
# test/flows-test.sh: the conversations of flows (pktcapture 1.6), against
# tshark and the generator of the traffic.
#
#   test/flows-test.sh      (as root; about 2 minutes)
#   ONLY=flood test/flows-test.sh     one section (--sections lists them)
#
# The extension must be built and installed (make install).  Expected
# values come from tshark's reading of each capture file (its frame fields
# reduced by test/golden/tshark2tsv.py, grouped by test/flows/flowcheck.py;
# and tshark -z conv,tcp/udp), or from test/flows/gen.py, whose truth
# equals tshark's reading (checked): never from pktcapture.  A throwaway
# cluster; the hub section three more (test/lib/nodes.sh).
#
#   1. load: pkt_load of corpus files (TCP and UDP, IPv4 and IPv6, VLAN,
#      GRE, no ports, a file over 14 days, one whose timestamps go back)
#      and of gen.py's mix (every case of the contract: handshakes over
#      intervals, the server speaking first, no SYN, SYN+ACK first, VLANs
#      and QinQ, fragments, an interval's last and first microsecond...),
#      also with an interval of 7 s: per direction of each conversation,
#      packets and bytes over the run equal tshark's; where the file is in
#      order, one row per conversation per interval, each way's packets,
#      bytes and TCP flags, first_seen and last_seen, and the initiator of
#      each row as the contract says; the run's flows sum to its packets,
#      in all and per interval; the ledger (flow_rows, flow_folded,
#      flow_lost); tshark -z conv,tcp agrees; pkt_report's top
#      conversation.
#   2. long: a TCP connection over 30 intervals of 10 s (SET
#      pktcapture.flow_interval), silent in three, the server first in
#      every other one; a UDP stream beside: one row per active interval,
#      the initiator stable (the SYN sender) in every row, totals and each
#      interval equal the generator's.
#   3. flood: spoofed random sources to fixed and random servers, loaded
#      with SET pktcapture.flow_capacity = 64 (a superuser's; refused to
#      another role): at most 128 rows an interval (64 conversation rows,
#      16 folded, 1 overflow), totals exact, conversation rows whole, the
#      first 64 conversations of an interval kept apart, each folded row
#      exactly its server's other packets, sources within 30% of the
#      distinct initiators folded in, flow_folded = the packets in folded
#      rows = what the arithmetic predicts.  The bound with flow_capacity 1
#      (mix), no flows with 0, and with 8 for a file whose timestamps go
#      back to intervals written 70 and 10 intervals before.
#   4. live: a capture of a veth pair (pktfl0-$$, the other end in
#      namespace pktfl-peer-$$) with intervals of 5 s while tcpreplay
#      sends gen.py's 24 conversations again and again, tcpdump beside it:
#      pkt_flows_live() shows every conversation while the capture runs;
#      intervals closed by the clock are written while it runs; after
#      pkt_stop, nothing live, the run's flows equal its packets (in all
#      and per interval) and each direction of each conversation equals
#      tshark's reading of tcpdump's file; every row's src is the client.
#   5. hub: two sensors (test/lib/nodes.sh) load files, one before the hub
#      adds it: at the hub, each sensor's flows, with its name, equal the
#      sensor's own (md5 of every column), and its ledger's flow counts.
#   6. retention: a file with conversations 10, 5 and 1 days ago and now,
#      pktcapture.flow_retention of 3 days: CALL pkt_maintain() drops the
#      partitions of flows of 10 and 5 days ago (pkt_flow_partitions says
#      why) and keeps those of yesterday and today with their rows; every
#      partition of packets stays (pktcapture.retention 0); a capture's own
#      maintenance rounds drop one of 9 days ago.
# Prints "ok - ..." / "not ok - ..." and "flows: N passed, M failed".
# FLOWS_KEEP=1 (or KEEP_WORK=1) keeps the work directory even when all pass.
# FLOWS_CORPUS_FILES: the corpus files of section 1 (names in PKT_CORPUS).
set -u
. "$(dirname "$0")/lib/suite.sh"
sections load long flood live hub retention
suite_init flows FLOWS_ "$@"
. "$here/lib/netns.sh"
. "$here/lib/nodes.sh"

FLOWS_CORPUS_FILES=${FLOWS_CORPUS_FILES:-"of13_ericsson.pcapng mptcp-v0.pcap ldp-common-session.pcap babel_rfc6126bis.pcap quic_handshake.pcap various_gre.pcap vrrp.pcap dhcp-rfc4388.pcap IGMP_V1.pcap dhcpv4v6-rfc5970-rfc8572.pcap"}
GEN=$here/flows/gen.py
FC=$here/flows/flowcheck.py
T2T=$here/golden/tshark2tsv.py
SYNTH=$here/golden/synthetic/pktcapture-synthetic.pcap
MAC=02:70:6b:74:66:01
WORK_NOTE="capture files, tshark's readings (*.tshark.tsv), flows (*.flows.tsv), server logs"

for cmd in tshark tcpdump tcpreplay ip psql pg_config setpriv; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

# tshark_rows PCAP OUT: tshark's reading, one line per IP frame
# (test/golden/tshark2tsv.py: the columns of packets, from the outermost
# IP header; no reassembly)
tshark_rows() {
	# shellcheck disable=SC2046
	TZ=UTC tshark -n -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
		$("$PY" "$T2T" --fields) 2>/dev/null | "$PY" "$T2T" >"$2" && [ -s "$2" ]
}
# gen NAME MODE ARGS...: gen.py's NAME.pcap, NAME.truth.tsv, NAME.json in $WORK
gen() {
	local name=$1
	shift
	"$PY" "$GEN" "$@" --out "$WORK/$name.pcap" --truth "$WORK/$name.truth.tsv" \
		--json "$WORK/$name.json" >/dev/null && chmod 644 "$WORK/$name.pcap"
}
# truth_is_tshark NAME: the generator's truth is tshark's reading of its file
truth_is_tshark() {
	tshark_rows "$WORK/$1.pcap" "$WORK/$1.tshark.tsv" &&
		tail -n +2 "$WORK/$1.tshark.tsv" | cmp -s - "$WORK/$1.truth.tsv"
}
jget() {	# jget NAME KEY
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/$1.json" "$2"
}

# The run's rows of flows as flowcheck.py reads them (ACTUAL there).  Below,
# Q is the query function: sql (the cluster) or "nsql NODE" (a node).
FLOW_COLS="to_char(extract(epoch FROM first_seen), 'FM9999999999990.000000'),
	to_char(extract(epoch FROM last_seen), 'FM9999999999990.000000'),
	host(src_ip), host(dst_ip), ip_proto, protocol, src_port, dst_port,
	packets, bytes, reverse_packets, reverse_bytes, tcp_flags, reverse_tcp_flags,
	vlan_id, folded, sources"
flows_tsv() {	# flows_tsv RUN OUT
	cluster_psql -At -F $'\t' -P null='\N' -c "SELECT $FLOW_COLS FROM flows WHERE run_id = $1" >"$2"
}
# load FILE [SETTINGS]: pkt_load of FILE in a session of its own with
# SETTINGS (SET ...;) before; RUN its run, LOADED what pkt_load returned
load() {
	local out
	out=$(cluster_psql -At -c "${2:-}SELECT pkt_load('$1')") || return 1
	LOADED=$(tail -1 <<<"$out")
	RUN=$(sql "SELECT max(run_id) FROM pkt_runs")
	[ -n "$RUN" ]
}
# exact Q RUN SECONDS WHAT [per-interval]: the run's flows sum to its rows
# in packets; with per-interval, in each interval too (flows by first_seen,
# packets by capture_time, intervals of SECONDS from 2000-01-01 UTC)
exact() {
	local q=$1 run=$2 s=$3 what=$4
	check_eq "$what: its flows sum to its rows in packets (packets, bytes)" \
		"$($q "SELECT coalesce(sum(packets + reverse_packets), 0) || ' ' || coalesce(sum(bytes + reverse_bytes), 0) FROM flows WHERE run_id = $run")" \
		"$($q "SELECT count(*) || ' ' || coalesce(sum(packet_size), 0) FROM packets WHERE run_id = $run")"
	[ -n "${5:-}" ] || return 0
	local got
	got=$($q "WITH f AS (SELECT date_bin('$s s', first_seen, '2000-01-01 00:00+00') b,
			sum(packets + reverse_packets) p, sum(bytes + reverse_bytes) y FROM flows WHERE run_id = $run GROUP BY 1),
		k AS (SELECT date_bin('$s s', capture_time, '2000-01-01 00:00+00') b, count(*) p, sum(packet_size) y
			FROM packets WHERE run_id = $run GROUP BY 1)
		SELECT count(*) FILTER (WHERE (f.p, f.y) IS DISTINCT FROM (k.p, k.y)) || ' of ' || count(*)
		FROM f FULL JOIN k USING (b)")
	check "$what: in each interval of $s s, its flows (by first_seen) sum to its packets (by capture_time) (intervals that differ: $got)" \
		test "${got%% *}" = 0 -a "${got##* }" != 0
}
# ledger Q RUN FOLDED WHAT: flow_rows = its rows in flows, flow_folded, flow_lost 0
ledger() {
	check_eq "$4: pkt_runs: flow_rows = its rows in flows, flow_folded, flow_lost" \
		"$($1 "SELECT (flow_rows = (SELECT count(*) FROM flows f WHERE f.run_id = $2)) || ' ' || flow_rows || ' ' || flow_folded || ' ' || flow_lost
			FROM pkt_runs WHERE run_id = $2")" \
		"true $($1 "SELECT count(*) FROM flows WHERE run_id = $2") $3 0"
}
# set_conf NAME VALUE: ALTER SYSTEM (RESET if VALUE is empty), reloaded;
# returns once a new session has it
set_conf() {
	if [ -n "$2" ]; then
		sql "ALTER SYSTEM SET $1 = '$2'" && sql "SELECT pg_reload_conf()" >/dev/null &&
			cluster_poll 10 "SELECT current_setting('$1') = '$2'"
	else
		sql "ALTER SYSTEM RESET $1" && sql "SELECT pg_reload_conf()" >/dev/null &&
			cluster_poll 10 "SELECT setting = boot_val FROM pg_settings WHERE name = '$1'"
	fi
}
# bound RUN N SECONDS WHAT: in each interval of the run, at most 2N rows: N
# conversation rows, N/4 folded (a server's), the rest overflow (no dst_ip:
# one, or one a part where a file goes back to an interval written)
bound() {
	local got
	got=$(sql "SELECT coalesce(max(n), 0) || ' ' || coalesce(max(c), 0) || ' ' || coalesce(max(f), 0) || ' ' || coalesce(max(o), 0)
		FROM (SELECT count(*) n, count(*) FILTER (WHERE NOT folded) c,
			count(*) FILTER (WHERE folded AND dst_ip IS NOT NULL) f, count(*) FILTER (WHERE folded AND dst_ip IS NULL) o
			FROM flows WHERE run_id = $1 GROUP BY date_bin('$3 s', first_seen, '2000-01-01 00:00+00')) x")
	check "$4: in every interval at most $((2 * $2)) rows: $2 conversation rows, $(($2 / 4)) folded (the most in one interval: rows, conversation, folded, overflow = $got)" \
		awk -v g="$got" -v n="$2" 'BEGIN { split(g, a, " "); exit !(a[1] <= 2 * n && a[2] <= n && a[3] <= int(n / 4)) }'
}
in_order() {	# in_order ROWS.tsv: its timestamps never go back
	"$PY" -c '
import sys
t = [l.split("\t")[11] for l in open(sys.argv[1]) if not l.startswith("#")]
v = [(int(a.split(".")[0]), a.split(".")[1]) for a in t]
sys.exit(0 if all(x <= y for x, y in zip(v, v[1:])) else 1)' "$1"
}

# ---------------------------------------------------------------------------
heading "cluster and traffic"
must "a cluster" cluster_start "$WORK/pg" "shared_preload_libraries = 'pktcapture'" \
	"pktcapture.maintenance_interval = '2s'" "timezone = 'UTC'"
PM=$(cluster_postmaster_pid)
must "CREATE EXTENSION pktcapture" sql "CREATE EXTENSION pktcapture"
echo "# pktcapture $(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'"); flow_interval $(sql "SHOW pktcapture.flow_interval"), flow_capacity $(sql "SHOW pktcapture.flow_capacity") ($(sql "SELECT context FROM pg_settings WHERE name = 'pktcapture.flow_capacity'")), flow_retention $(sql "SHOW pktcapture.flow_retention")"
must "the flows table and pkt_flows_live() exist" sql "SELECT 'flows'::regclass, 'pkt_flows_live(text, integer)'::regprocedure"

# ---------------------------------------------------------------------------
if section load "1. pkt_load of corpus files and of the generator's mix, against tshark"; then
	# tshark's readings, two at a time (tshark takes a second to start)
	n=0
	for name in $FLOWS_CORPUS_FILES synthetic; do
		n=$((n + 1))
		if [ "$name" = synthetic ]; then f=$SYNTH; else f=$CORPUS/$name; fi
		echo "$f $WORK/c$n-${name%.*}.tshark.tsv"
	done >"$WORK/corpus.list"
	(
		while read -r f out; do
			[ -f "$f" ] && { tshark_rows "$f" "$out" & }
			[ $(jobs -rp | wc -l) -lt 2 ] || wait -n
		done <"$WORK/corpus.list"
		wait
	)
	n=0
	for name in $FLOWS_CORPUS_FILES synthetic; do
		n=$((n + 1))
		if [ "$name" = synthetic ]; then f=$SYNTH; else f=$CORPUS/$name; fi
		[ -f "$f" ] || { not_ok "$f: no such corpus file"; continue; }
		exp=$WORK/c$n-${name%.*}.tshark.tsv
		step "tshark read $name" test -s "$exp" || continue
		want=$(($(wc -l <"$exp") - 1))
		load "$f" || { not_ok "pkt_load('$f')"; continue; }
		check_eq "pkt_load of $name (run $RUN): the IP packets tshark reads" "$LOADED" "$want"
		flows_tsv "$RUN" "$WORK/c$n.flows.tsv"
		"$PY" "$FC" compare --expected "$exp" --actual "$WORK/c$n.flows.tsv" --interval 60 \
			--label "$name" --initiator | checks_from
		if in_order "$exp"; then
			exact sql "$RUN" 60 "$name" per-interval
		else
			exact sql "$RUN" 60 "$name (timestamps go back: over the run)"
		fi
		ledger sql "$RUN" 0 "$name"
		if [ "$name" = of13_ericsson.pcapng ]; then
			tshark -n -r "$f" -q -z conv,tcp >"$WORK/c$n.conv" 2>/dev/null
			"$PY" "$FC" conv --expected "$exp" --conv "$WORK/c$n.conv" --actual "$WORK/c$n.flows.tsv" \
				--proto 6 --label "$name" | checks_from
			check_eq "$name spans 14 days: its flows are in a partition a UTC day (partitions holding its rows)" \
				"$(sql "SELECT count(DISTINCT tableoid::regclass) FROM flows WHERE run_id = $RUN")" \
				"$(sql "SELECT count(DISTINCT date_trunc('day', capture_time AT TIME ZONE 'UTC')) FROM packets WHERE run_id = $RUN")"
			check_eq "... each named flows_YYYYMMDD after its day" \
				"$(sql "SELECT count(*) FROM flows WHERE run_id = $RUN AND tableoid::regclass::text <> 'flows_' || to_char(first_seen AT TIME ZONE 'UTC', 'YYYYMMDD')")" 0
		fi
	done

	must "traffic: gen.py mix" gen mix mix --seed 3
	step "gen.py's truth for mix.pcap is tshark's reading ($(jget mix ip) packets)" truth_is_tshark mix
	for iv in 60 7; do
		load "$WORK/mix.pcap" "SET pktcapture.flow_interval = $iv; " || { not_ok "pkt_load(mix.pcap)"; continue; }
		check_eq "pkt_load of mix.pcap with intervals of $iv s (run $RUN)" "$LOADED" "$(jget mix ip)"
		flows_tsv "$RUN" "$WORK/mix-$iv.flows.tsv"
		"$PY" "$FC" compare --expected "$WORK/mix.tshark.tsv" --actual "$WORK/mix-$iv.flows.tsv" --interval "$iv" \
			--label "mix, intervals of $iv s" --initiator --in-order | checks_from
		exact sql "$RUN" "$iv" "mix, intervals of $iv s" per-interval
		ledger sql "$RUN" 0 "mix, intervals of $iv s"
		[ "$iv" = 60 ] || continue
		tshark -n -r "$WORK/mix.pcap" -o ip.defragment:FALSE -q -z conv,tcp >"$WORK/mix.conv" 2>/dev/null
		"$PY" "$FC" conv --expected "$WORK/mix.tshark.tsv" --conv "$WORK/mix.conv" --actual "$WORK/mix-60.flows.tsv" \
			--proto 6 --label "mix" | checks_from
		# pkt_report's top conversation (the run alone in its window): tshark's
		# biggest by bytes both ways, written from its initiator (the SYN sender)
		top=$("$PY" -c '
import collections, sys
c = collections.Counter(); n = collections.Counter()
for l in open(sys.argv[1]):
    if l.startswith("#"): continue
    v = l.rstrip("\n").split("\t")
    k = tuple(sorted([(v[2], v[5]), (v[3], v[6])])) + (v[4],)
    c[k] += int(v[9]); n[k] += 1
k, b = c.most_common(1)[0]
print(n[k], b)' "$WORK/mix.tshark.tsv")
		check_eq "pkt_report_between over mix's window: the top conversation is tshark's biggest, from its SYN sender (packets bytes)" \
			"$(sql "SELECT item || ' ' || packets || ' ' || bytes FROM pkt_report_between(to_timestamp($(jget mix start)), to_timestamp($(jget mix start) + 240), 3)
				WHERE section = 'conversation' ORDER BY bytes DESC LIMIT 1")" \
			"10.1.0.1:40001 -> 10.2.0.1:443 TCP $top"
	done
fi

# ---------------------------------------------------------------------------
if section long "2. a long connection over 30 intervals of 10 s"; then
	must "traffic: gen.py long (30 intervals of 10 s, silent in 9, 10 and 21)" \
		gen long long --interval 10 --intervals 30 --gaps 9,10,21 --seed 5
	step "gen.py's truth for long.pcap is tshark's reading ($(jget long ip) packets)" truth_is_tshark long
	check_eq "SET pktcapture.flow_interval = 10 in a session: SHOW says 10s" \
		"$(sql "SET pktcapture.flow_interval = 10; SHOW pktcapture.flow_interval")" 10s
	if load "$WORK/long.pcap" "SET pktcapture.flow_interval = 10; "; then
		check_eq "pkt_load of long.pcap (run $RUN)" "$LOADED" "$(jget long ip)"
		flows_tsv "$RUN" "$WORK/long.flows.tsv"
		"$PY" "$FC" compare --expected "$WORK/long.truth.tsv" --actual "$WORK/long.flows.tsv" --interval 10 \
			--label "long" --initiator --in-order | checks_from
		exact sql "$RUN" 10 "long" per-interval
		ledger sql "$RUN" 0 "long"
		conv="run_id = $RUN AND ip_proto = 6 AND '{10.3.0.1,10.4.0.1}'::inet[] @> ARRAY[src_ip, dst_ip]"
		active=$("$PY" -c 'import json,sys; print(",".join(str(k) for k in json.load(open(sys.argv[1]))["tcp_active_intervals"]))' "$WORK/long.json")
		check_eq "the TCP connection: one row in each interval it is active (intervals since the first)" \
			"$(sql "SELECT string_agg(((extract(epoch FROM first_seen)::bigint - $(jget long start)) / 10)::text, ',' ORDER BY first_seen) FROM flows WHERE $conv")" \
			"$active"
		check_eq "... its initiator is the SYN sender in every row, the server first in every other interval or not" \
			"$(sql "SELECT string_agg(DISTINCT host(src_ip) || ':' || src_port || ' -> ' || host(dst_ip) || ':' || dst_port, ', ') FROM flows WHERE $conv")" \
			"10.3.0.1:45000 -> 10.4.0.1:443"
		want=$(awk -F'\t' '$5 == 6 && ($3 == "10.3.0.1" || $3 == "10.4.0.1") {
				if ($3 == "10.3.0.1") { p++; b += $10 } else { rp++; rb += $10 } }
			END { print p + 0, b + 0, rp + 0, rb + 0 }' "$WORK/long.truth.tsv")
		check_eq "... its totals each way are the generator's (packets bytes reverse_packets reverse_bytes)" \
			"$(sql "SELECT sum(packets) || ' ' || sum(bytes) || ' ' || sum(reverse_packets) || ' ' || sum(reverse_bytes) FROM flows WHERE $conv")" \
			"$want"
		check_eq "... its flags: SYN from the initiator in the first row, FIN both ways in the last" \
			"$(sql "SELECT string_agg((tcp_flags & 3) || '/' || (reverse_tcp_flags & 3), ' ' ORDER BY first_seen) FROM flows WHERE $conv AND (first_seen = (SELECT min(first_seen) FROM flows WHERE $conv) OR first_seen = (SELECT max(first_seen) FROM flows WHERE $conv))")" \
			"2/2 1/1"
		check_eq "the UDP stream: 30 rows, 10.3.0.2:5000 the initiator in each (10.4.0.2 speaks first in all but the first)" \
			"$(sql "SELECT count(*) || ' ' || string_agg(DISTINCT host(src_ip) || ':' || src_port, ',') FROM flows WHERE run_id = $RUN AND ip_proto = 17 AND '{10.3.0.2,10.4.0.2}'::inet[] @> ARRAY[src_ip, dst_ip]")" \
			"30 10.3.0.2:5000"
	else
		not_ok "pkt_load(long.pcap)"
	fi
fi

# ---------------------------------------------------------------------------
if section flood "3. a flood of spoofed sources, pktcapture.flow_capacity = 64"; then
	must "traffic: gen.py flood" gen flood flood --seed 7 --flood 12000 --conv 64
	step "gen.py's truth for flood.pcap is tshark's reading ($(jget flood ip) packets)" truth_is_tshark flood
	must "a role that is not a superuser" sql "CREATE ROLE flows_plain LOGIN"
	msg=$(psql -X -q -At -U flows_plain -d postgres -c "SET pktcapture.flow_capacity = 64" 2>&1 >/dev/null)
	check "pktcapture.flow_capacity: another role may not SET it ($msg)" grep -q "permission denied" <<<"$msg"
	if load "$WORK/flood.pcap" "SET pktcapture.flow_capacity = 64; "; then
		check_eq "pkt_load of flood.pcap with flow_capacity 64 (run $RUN)" "$LOADED" "$(jget flood ip)"
		flows_tsv "$RUN" "$WORK/flood.flows.tsv"
		folded=$(sql "SELECT flow_folded FROM pkt_runs WHERE run_id = $RUN")
		"$PY" "$FC" flood --expected "$WORK/flood.truth.tsv" --actual "$WORK/flood.flows.tsv" --interval 60 \
			--capacity 64 --label "flood" --folded-ledger "${folded:-0}" | checks_from
		exact sql "$RUN" 60 "flood" per-interval
		bound "$RUN" 64 60 "flood (SQL)"
		ledger sql "$RUN" "$folded" "flood"
		check_eq "flood: pkt_runs.flow_folded = the packets of its folded rows (SQL)" \
			"$(sql "SELECT coalesce(sum(packets + reverse_packets), 0) FROM flows WHERE run_id = $RUN AND folded")" "$folded"
	else
		not_ok "pkt_load(flood.pcap)"
	fi
	# the smallest capacity: one conversation an interval, the rest in the overflow row
	[ -f "$WORK/mix.pcap" ] || must "traffic: gen.py mix" gen mix mix --seed 3
	if load "$WORK/mix.pcap" "SET pktcapture.flow_capacity = 1; "; then
		bound "$RUN" 1 60 "mix with flow_capacity 1 (run $RUN)"
		exact sql "$RUN" 60 "mix with flow_capacity 1" per-interval
		check_eq "mix with flow_capacity 1: flow_folded = the packets of its folded rows, flow_lost 0" \
			"$(sql "SELECT flow_folded || ' ' || flow_lost FROM pkt_runs WHERE run_id = $RUN")" \
			"$(sql "SELECT coalesce(sum(packets + reverse_packets), 0) FROM flows WHERE run_id = $RUN AND folded") 0"
	else
		not_ok "pkt_load(mix.pcap) with flow_capacity 1"
	fi
	if load "$WORK/mix.pcap" "SET pktcapture.flow_capacity = 0; "; then
		check_eq "mix with flow_capacity 0: no flows at all (rows, flow_rows, flow_folded, flow_lost)" \
			"$(sql "SELECT count(*) FROM flows WHERE run_id = $RUN") $(sql "SELECT flow_rows || ' ' || flow_folded || ' ' || flow_lost FROM pkt_runs WHERE run_id = $RUN")" \
			"0 0 0 0"
	else
		not_ok "pkt_load(mix.pcap) with flow_capacity 0"
	fi
	# a file whose timestamps go back to intervals the run wrote long
	# before (70 intervals on) and not so long before (10 on): the bound holds
	# whatever arrives
	must "traffic: gen.py disorder (70 intervals of 12 conversations, then 0, 1, 2, 60 and 61 again)" \
		gen disorder disorder --intervals 70 --conv 12 --revisit 0,1,2,60,61
	step "gen.py's truth for disorder.pcap is tshark's reading ($(jget disorder ip) packets)" truth_is_tshark disorder
	if load "$WORK/disorder.pcap" "SET pktcapture.flow_capacity = 8; "; then
		check_eq "pkt_load of disorder.pcap with flow_capacity 8 (run $RUN)" "$LOADED" "$(jget disorder ip)"
		bound "$RUN" 8 60 "disorder"
		flows_tsv "$RUN" "$WORK/disorder.flows.tsv"
		echo "# disorder: intervals over 16 rows or 8 conversation rows: $(sql "SELECT coalesce(string_agg(k || ': ' || n || ' rows, ' || c || ' conversation, ' || o || ' overflow', '; ' ORDER BY k), 'none')
			FROM (SELECT (extract(epoch FROM date_bin('60 s', first_seen, '2000-01-01 00:00+00'))::bigint - $(jget disorder start)) / 60 k,
				count(*) n, count(*) FILTER (WHERE NOT folded) c, count(*) FILTER (WHERE dst_ip IS NULL) o
				FROM flows WHERE run_id = $RUN GROUP BY 1) x WHERE n > 16 OR c > 8 OR o > 1")"
		exact sql "$RUN" 60 "disorder" per-interval
		check_eq "disorder: pkt_runs: flow_rows = its rows, flow_lost 0" \
			"$(sql "SELECT (flow_rows = (SELECT count(*) FROM flows WHERE run_id = $RUN)) || ' ' || flow_lost FROM pkt_runs WHERE run_id = $RUN")" "true 0"
	else
		not_ok "pkt_load(disorder.pcap)"
	fi
	check_eq "the session's SET did not outlive it: a new session has the default capacity" \
		"$(sql "SHOW pktcapture.flow_capacity")" "$(sql "SELECT boot_val FROM pg_settings WHERE name = 'pktcapture.flow_capacity'")"
fi

# ---------------------------------------------------------------------------
if section live "4. a live capture, pkt_flows_live() and tcpdump"; then
	NS=pktfl-peer-$$
	V0=pktfl0-$$; V0=${V0:0:15}
	V1=pktfl1-$$; V1=${V1:0:15}
	TD=""
	at_exit '[ -n "$TD" ] && kill -INT "$TD" 2>/dev/null'
	quiet() {
		sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" >/dev/null &&
			netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" >/dev/null
	}
	must "a network namespace $NS" netns_add "$NS"
	must "veth $V0 here, $V1 in $NS" netns_veth "$V0" "$V1"
	must "no IPv6 of their own on $V0 and $V1" quiet
	must "the test network comes up" netns_up "$V0" "$V1"
	# pkt_flows_live() shows at most 32 conversations of a capture (PKT_FLOWS_SHARED)
	must "traffic: gen.py live (24 conversations)" gen live live --seed 9 --mac "$MAC" --conversations 24
	step "gen.py's truth for live.pcap is tshark's reading ($(jget live ip) packets)" truth_is_tshark live
	# intervals of 5 s, closed by the clock while the capture runs
	must "pktcapture.flow_interval = 5s for the server (ALTER SYSTEM)" set_conf pktcapture.flow_interval 5s
	FILTER="ether src $MAC"
	LOOPS=50
	PPS=600
	FRAMES=$(($(jget live frames) * LOOPS))
	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-live.pcap" "$FILTER"
	must_get pid "pkt_start('$V0')" sql "SELECT pkt_start('$V0', '$FILTER')"
	LRUN=$(sql "SELECT run_id FROM pkt_status() WHERE pid = $pid")
	echo "# capture on $V0, run $LRUN; tcpreplay: $FRAMES frames at $PPS/s"
	ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" --pps="$PPS" --loop="$LOOPS" \
		"$WORK/live.pcap" >"$WORK/live.tcpreplay" 2>&1 &
	RP=$!
	track_bg "$RP"
	live_has_all() {
		cluster_psql -At -F $'\t' -c "SELECT interface, first_seen, last_seen, host(src_ip), host(dst_ip), protocol,
			src_port, dst_port, packets, bytes, reverse_packets, reverse_bytes FROM pkt_flows_live('$V0', 1000)" \
			>"$WORK/live-now.tsv" 2>/dev/null &&
			"$PY" "$FC" live --expected "$WORK/live.truth.tsv" --live "$WORK/live-now.tsv" 2>/dev/null
	}
	check "pkt_flows_live('$V0') shows every one of the 24 conversations while the capture runs (within 20 s)" \
		wait_until 20 live_has_all
	check "... while tcpreplay still sends" kill -0 "$RP"
	check_eq "... each row names the interface, counts something" \
		"$(sql "SELECT count(*) FILTER (WHERE interface IS DISTINCT FROM '$V0' OR packets + reverse_packets = 0) FROM pkt_flows_live('$V0', 1000)")" 0
	check_eq "pkt_flows_live(NULL, 5): 5 rows, the busiest first (by bytes both ways)" \
		"$(sql "WITH x AS (SELECT row_number() OVER () r, bytes + reverse_bytes b FROM pkt_flows_live(NULL, 5))
			SELECT count(*) || ' ' || coalesce(bool_and(b >= coalesce(nb, b)), true)
			FROM (SELECT b, lead(b) OVER (ORDER BY r) nb FROM x) y")" "5 true"
	must "a role in pg_monitor" sql "CREATE ROLE flows_mon LOGIN IN ROLE pg_monitor"
	check_eq "pkt_flows_live() is readable by pg_monitor" \
		"$(psql -X -q -At -U flows_mon -d postgres -c "SELECT count(*) > 0 FROM pkt_flows_live()" 2>&1)" t
	check "intervals closed by the clock are written while the capture runs (rows of run $LRUN in flows within 20 s)" \
		cluster_poll 20 "SELECT count(*) > 0 FROM flows WHERE run_id = $LRUN"
	wait "$RP"
	sent=$(tcpreplay_sent "$WORK/live.tcpreplay")
	step "tcpreplay sent every frame ($sent of $FRAMES)" [ "$sent" = "$FRAMES" ]
	capture_saw "$pid" "$FRAMES" 20 || echo "# the capture has not seen every frame"
	must "pkt_stop('$V0')" sql "SELECT pkt_stop('$V0')"
	tcpdump_stop "$TD" "$WORK/ref-live.pcap" "$FRAMES"
	TD=""
	read -r c r d <<<"$(tcpdump_stats "$WORK/ref-live.pcap")"
	step "tcpdump captured every frame ($c captured, $r received, $d dropped)" [ "$c $d" = "$FRAMES 0" ]
	check_eq "after pkt_stop: pkt_flows_live('$V0') is empty" "$(sql "SELECT count(*) FROM pkt_flows_live('$V0')")" 0
	check_eq "the capture stored every frame (rows of run $LRUN), lost nothing" \
		"$(sql "SELECT count(*) FROM packets WHERE run_id = $LRUN") $(sql "SELECT not_stored + kernel_dropped FROM pkt_runs WHERE run_id = $LRUN")" \
		"$FRAMES 0"
	if step "tshark reads tcpdump's file" tshark_rows "$WORK/ref-live.pcap" "$WORK/ref-live.tshark.tsv"; then
		flows_tsv "$LRUN" "$WORK/live.flows.tsv"
		"$PY" "$FC" compare --expected "$WORK/ref-live.tshark.tsv" --actual "$WORK/live.flows.tsv" --interval 5 \
			--label "live" --totals | checks_from
	fi
	exact sql "$LRUN" 5 "live" per-interval
	ledger sql "$LRUN" 0 "live"
	check_eq "live: every row's src is the client (the SYN sender, the first to speak; each interval)" \
		"$(sql "SELECT count(*) FILTER (WHERE NOT (src_ip << '198.18.0.0/16' OR src_ip << '2001:db8:18::/48')) || ' ' || (count(*) > 0) FROM flows WHERE run_id = $LRUN")" \
		"0 true"
	check_eq "live: rows name the interface" \
		"$(sql "SELECT string_agg(DISTINCT coalesce(interface, 'NULL'), ',') FROM flows WHERE run_id = $LRUN")" "$V0"
	must "pktcapture.flow_interval back to its default" set_conf pktcapture.flow_interval ""
fi

# ---------------------------------------------------------------------------
if section hub "5. a hub with two sensors"; then
	[ -f "$(pg_config --pkglibdir)/dblink.so" ] || fatal "dblink is not installed (Debian: postgresql-15)"
	declare -A PORT
	[ -f "$WORK/mix.pcap" ] || must "traffic: gen.py mix" gen mix mix --seed 3
	[ -f "$WORK/long.pcap" ] || must "traffic: gen.py long" gen long long --interval 10 --intervals 30 --gaps 9,10,21 --seed 5
	[ -f "$WORK/flood.pcap" ] || must "traffic: gen.py flood" gen flood flood --seed 7 --flood 12000 --conv 64
	for n in sensor-a sensor-b; do
		must "start $n" node_start "$n" "max_slot_wal_keep_size = '1GB'"
		must "CREATE EXTENSION on $n" nsql "$n" "CREATE EXTENSION pktcapture"
	done
	must "start the hub" node_start hub
	must "CREATE EXTENSION pktcapture, dblink on the hub" nsql hub "CREATE EXTENSION pktcapture; CREATE EXTENSION dblink"
	check_eq "sensor-a loads mix.pcap before the hub adds it" \
		"$(nsql sensor-a "SELECT pkt_load('$WORK/mix.pcap')")" "$(jget mix ip)"
	for n in sensor-a sensor-b; do
		check_eq "pkt_hub_add('$n')" \
			"$(nsql hub "SELECT pkt_hub_add('$n', 'host=$WORK/$n port=${PORT[$n]} dbname=postgres user=postgres')")" \
			"sensor $n added: its rows are copied, then follow as it captures"
	done
	check_eq "sensor-a loads long.pcap (intervals of 10 s)" \
		"$(nsql sensor-a "SET pktcapture.flow_interval = 10; SELECT pkt_load('$WORK/long.pcap')" | tail -1)" "$(jget long ip)"
	check_eq "sensor-b loads mix.pcap" "$(nsql sensor-b "SELECT pkt_load('$WORK/mix.pcap')")" "$(jget mix ip)"
	check_eq "sensor-b loads flood.pcap (flow_capacity 64: folded rows)" \
		"$(nsql sensor-b "SET pktcapture.flow_capacity = 64; SELECT pkt_load('$WORK/flood.pcap')" | tail -1)" "$(jget flood ip)"
	FP="count(*) || ' ' || coalesce(md5(string_agg(concat_ws(',', run_id, first_seen, last_seen, src_ip, dst_ip, ip_proto,
		protocol, src_port, dst_port, packets, bytes, reverse_packets, reverse_bytes, tcp_flags, reverse_tcp_flags,
		vlan_id, interface, folded, sources), ';' ORDER BY concat_ws(',', run_id, first_seen, last_seen, src_ip, dst_ip,
		ip_proto, protocol, src_port, dst_port, packets, bytes, reverse_packets, reverse_bytes, tcp_flags,
		reverse_tcp_flags, vlan_id, interface, folded, sources))), '-')"
	declare -A WANT
	for n in sensor-a sensor-b; do WANT[$n]=$(nsql "$n" "SELECT $FP FROM flows"); done
	hub_flows_equal() {	# hub_flows_equal SENSOR...: the hub holds each one's flows
		local n
		for n in "$@"; do
			[ "$(nsql hub "SELECT $FP FROM flows WHERE sensor = '$n'" 2>/dev/null)" = "${WANT[$n]}" ] || return 1
		done
	}
	wait_until 60 hub_flows_equal sensor-a sensor-b
	for n in sensor-a sensor-b; do
		if hub_flows_equal "$n"; then
			ok "the hub holds $n's flows, with its name (${WANT[$n]})"
		else
			not_ok "the hub holds $n's flows (within 60 s): $n has '${WANT[$n]}', the hub '$(nsql hub "SELECT $FP FROM flows WHERE sensor = '$n'")'"
		fi
		check_eq "$n's flows sum to its packets at the hub too (packets)" \
			"$(nsql hub "SELECT sum(packets + reverse_packets) FROM flows WHERE sensor = '$n'")" \
			"$(nsql hub "SELECT count(*) FROM packets WHERE sensor = '$n'")"
		check "the hub has $n's ledger with its flow counts" node_until hub 30 \
			"SELECT string_agg(run_id || ':' || flow_rows || ':' || flow_folded || ':' || flow_lost, ' ' ORDER BY run_id) = '$(nsql "$n" "SELECT string_agg(run_id || ':' || flow_rows || ':' || flow_folded || ':' || flow_lost, ' ' ORDER BY run_id) FROM pkt_runs")' FROM pkt_runs WHERE sensor = '$n'"
	done
	echo "# at sensor-a, flows.sensor is '$(nsql sensor-a "SELECT string_agg(DISTINCT sensor, ',') FROM flows")', packets.sensor '$(nsql sensor-a "SELECT string_agg(DISTINCT sensor, ',') FROM packets")'"
	check_eq "the hub's flows are its sensors' only" \
		"$(nsql hub "SELECT string_agg(DISTINCT sensor, ',' ORDER BY sensor) FROM flows")" "sensor-a,sensor-b"
	for n in sensor-a sensor-b hub; do
		check_eq "no crash in $n's log" "$(crash_lines "$WORK/$n/server.log" | head -3)" ""
	done
	nodes_stop
fi

# ---------------------------------------------------------------------------
if section retention "6. retention of flows: pktcapture.flow_retention"; then
	now=$(($(date +%s) - 120))
	must "traffic: gen.py days (10, 5 and 1 days ago, now)" gen days days --start "$now" --days 10,5,1,0
	step "gen.py's truth for days.pcap is tshark's reading" truth_is_tshark days
	day() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["days"][sys.argv[2]])' "$WORK/days.json" "$1"; }
	D10=$(day 10) D5=$(day 5) D1=$(day 1) D0=$(day 0)
	must "pktcapture.flow_retention = 3 days (pktcapture.retention $(sql "SHOW pktcapture.retention"): packets kept)" \
		set_conf pktcapture.flow_retention 3d
	if load "$WORK/days.pcap"; then
		check_eq "pkt_load of days.pcap (run $RUN)" "$LOADED" "$(jget days ip)"
		parts() {	# the partitions of flows of the four days that exist
			local d out=""
			for d in $D10 $D5 $D1 $D0; do
				out="$out $d:$(sql "SELECT to_regclass('flows_$d') IS NOT NULL")"
			done
			echo "${out# }"
		}
		check_eq "flows has a partition for each day" "$(parts)" "$D10:t $D5:t $D1:t $D0:t"
		ppart=$(sql "SELECT count(*) FROM pkt_partitions WHERE dropped_at IS NULL AND relname IN
			(SELECT DISTINCT tableoid::regclass::text FROM packets WHERE run_id = $RUN)")
		must "CALL pkt_maintain()" sql "CALL pkt_maintain()"
		check_eq "CALL pkt_maintain(): the partitions of flows of 10 and 5 days ago are gone, yesterday's and today's stay" \
			"$(parts)" "$D10:f $D5:f $D1:t $D0:t"
		check_eq "... pkt_flow_partitions says why" \
			"$(sql "SELECT string_agg(relname || ' ' || coalesce(reason, '-'), ', ' ORDER BY relname) FROM pkt_flow_partitions WHERE relname IN ('flows_$D10', 'flows_$D5', 'flows_$D1', 'flows_$D0')")" \
			"flows_$D10 retention, flows_$D5 retention, flows_$D1 -, flows_$D0 -"
		check_eq "... yesterday's and today's flows keep their rows (their packets: the generator's)" \
			"$(sql "SELECT sum(packets + reverse_packets) FROM flows WHERE run_id = $RUN")" \
			"$(awk -F'\t' -v a="$(date -u -d "${D1:0:4}-${D1:4:2}-${D1:6:2}" +%s)" '$12 >= a' "$WORK/days.truth.tsv" | wc -l)"
		check_eq "every partition of packets of the run stays, with every row" \
			"$(sql "SELECT count(*) FROM pkt_partitions WHERE dropped_at IS NULL AND relname IN
				(SELECT DISTINCT tableoid::regclass::text FROM packets WHERE run_id = $RUN)") $(sql "SELECT count(*) FROM packets WHERE run_id = $RUN")" \
			"$ppart $(jget days ip)"
		# and a capture's own maintenance rounds (every 2 s): a capture of lo
		# that keeps nothing (no frame comes from that MAC address)
		must "traffic: gen.py days, 9 days ago" gen days9 days --start "$now" --days 9
		D9=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["days"]["9"])' "$WORK/days9.json")
		if load "$WORK/days9.pcap" && [ "$(sql "SELECT to_regclass('flows_$D9') IS NOT NULL")" = t ]; then
			must_get lpid "a capture of lo" sql "SELECT pkt_start('lo', 'ether src 02:70:6b:74:66:99')"
			check "a capture's maintenance drops the partition of flows of 9 days ago (within 30 s)" \
				cluster_poll 30 "SELECT to_regclass('flows_$D9') IS NULL"
			must "pkt_stop('lo')" sql "SELECT pkt_stop('lo')"
			check_eq "... and keeps yesterday's and today's" \
				"$(sql "SELECT (to_regclass('flows_$D1') IS NOT NULL) || ' ' || (to_regclass('flows_$D0') IS NOT NULL)")" "true true"
		else
			not_ok "pkt_load of days9.pcap made the partition flows_$D9"
		fi
		must "pktcapture.flow_retention back to 0" set_conf pktcapture.flow_retention ""
	else
		not_ok "pkt_load(days.pcap)"
	fi
fi

# ---------------------------------------------------------------------------
heading "the server"
check_eq "the postmaster never restarted" "$(cluster_postmaster_pid)" "$PM"
check_eq "no crash in the server log" "$(crash_lines "$CLUSTER_DIR/server.log" | head -3)" ""
warn=$(grep -aE "(WARNING|ERROR): +.*(flow|pktcapture)" "$CLUSTER_DIR/server.log" | grep -v "permission denied to set parameter" | head -5)
check_eq "no pktcapture warning or error about flows in the server log" "$warn" ""
cp "$CLUSTER_DIR/server.log" "$WORK/server.log" 2>/dev/null
finish
