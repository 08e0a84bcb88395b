#!/bin/bash
# test/retention-test.sh: partitions, retention by age and the disk guard.
#
#   test/retention-test.sh      (as root; about 4 minutes)
#
# The extension must be built and installed (make install).  On a private
# veth pair pktrt0-$$ (captured) / pktrt1-$$ (in namespace pktrt-peer-$$,
# where tcpreplay sends from), with bench/gen-pcap.py's traffic:
#
#   1. The disk guard: a cluster whose data directory and WAL are on a
#      300 MB tmpfs, partitions of a minute, pktcapture.min_free_space 25%,
#      a live capture at RT_GUARD_PPS (100 000) packets/s for over a
#      minute.  Throughout, df's free space is sampled and another table
#      takes an insert every half second.  Then: the server never restarted
#      nor PANICked; free space never fell below the guard; every insert
#      into the other table succeeded; the guard dropped the oldest
#      partitions and held off when none was left, said so once per
#      episode, and stored again; the newest packets are stored; for the
#      run, rows in packets = rows stored - rows removed, and packets =
#      rows stored + not stored + not stored by the disk guard.
#   2. Retention by age: partitions of a minute, pktcapture.retention of a
#      minute, a live capture at RT_AGE_PPS until retention has dropped a
#      partition; meanwhile reports and queries on packets are timed, and
#      the capture's batches: the longest waits are printed and bounded.
#      Then: no partition past retention is left, the ledger is exact,
#      pkt_report (from the summaries) still counts every row the capture
#      stored, dropped or not, and says which were dropped.  A capture file
#      of 2020 loaded: its partition is made, CALL pkt_maintain() keeps it
#      for the retention after it was made, then drops it, and its report
#      still answers from the summaries.
# Prints "ok - ..." / "not ok - ..." and "retention: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$here")
PY=/usr/bin/python3

AS_ROOT_KEEP="RT_ PKT_ PG_BINDIR"
. "$here/lib/as-root.sh"
as_root "$@"
CHECK_SUITE=retention
. "$here/lib/check.sh"
. "$here/lib/cluster.sh"
. "$here/lib/netns.sh"

RT_GUARD_PPS=${RT_GUARD_PPS:-100000}
RT_GUARD_SECONDS=${RT_GUARD_SECONDS:-70}
RT_AGE_PPS=${RT_AGE_PPS:-2000}
RT_KEEP=${RT_KEEP:-0}
CORPUS=${PKT_CORPUS:-$(cd "$ROOT/../shared/pcaps/tcpdump" && pwd)}

for cmd in ip tcpreplay psql pg_config setpriv df mount; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

NS=pktrt-peer-$$
V0=pktrt0-$$; V0=${V0:0:15}
V1=pktrt1-$$; V1=${V1:0:15}
WORK=$(mktemp -d /tmp/pktc-retention.XXXXXX) || fatal "mktemp failed"
chmod 755 "$WORK"
DISK=$WORK/disk
BG=""
cleaned=0
cleanup() {
	[ "$cleaned" -eq 1 ] && return
	cleaned=1
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	cluster_stop
	mountpoint -q "$DISK" && umount "$DISK"
	netns_cleanup
	work_done "$RT_KEEP" "server logs in $WORK"
}
trap cleanup EXIT
trap 'not_ok "interrupted"; finish' INT TERM HUP

sql() { cluster_psql -At -c "$1"; }
now_s() { date +%s.%N; }

# ---------------------------------------------------------------------------
section "test network and traffic"
netns_add "$NS" && netns_veth "$V0" "$V1" || fatal "could not make the test network"
sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" >/dev/null
netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" >/dev/null
netns_up "$V0" "$V1" || fatal "the test network did not come up"
ok "test network: $V0 here, $V1 in $NS"
"$PY" "$ROOT/bench/gen-pcap.py" --out "$WORK/traffic.pcap" --count 400000 --seed 7 \
	--json "$WORK/traffic.json" >/dev/null || fatal "gen-pcap.py failed"
chmod 644 "$WORK/traffic.pcap"
ok "traffic: 400000 frames (bench/gen-pcap.py)"

# replay PPS SECONDS OUT: tcpreplay of the traffic from the namespace, in the
# background, for about SECONDS at PPS
replay() {
	local loops=$(($1 * $2 / 400000 + 1))
	netns_exec tcpreplay -q --no-flow-stats -i "$V1" --pps="$1" --loop="$loops" --duration="$2" \
		"$WORK/traffic.pcap" >"$3" 2>&1 &
	REPLAY=$!
	BG="$BG $REPLAY"
}

# wait_for SECONDS SQL: until SQL returns t
wait_for() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		[ "$(sql "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------
section "1. the disk guard on a 300 MB filesystem"
mkdir -p "$DISK"
mount -t tmpfs -o size=300m tmpfs "$DISK" || fatal "could not mount a tmpfs"
cluster_start "$DISK/pg" "shared_preload_libraries = 'pktcapture'" \
	"shared_buffers = 32MB" "max_wal_size = 64MB" "min_wal_size = 32MB" \
	"checkpoint_timeout = 30s" "pktcapture.partition_span = '1min'" \
	"pktcapture.partitions_ahead = 1" "pktcapture.min_free_space = '25%'" \
	"pktcapture.maintenance_interval = '2s'" || fatal "could not start the cluster on the tmpfs"
PM=$(cluster_postmaster_pid)
sql "CREATE EXTENSION pktcapture" >/dev/null || fatal "CREATE EXTENSION failed"
sql "CREATE TABLE other (t timestamptz, n int)" >/dev/null
total=$(df -B1 --output=size "$DISK" | tail -1)
reserve=$((total / 4))
ok "cluster on $DISK (tmpfs of $total bytes; the guard keeps $reserve free)"

# free space and the other table's inserts, sampled in the background
(
	i=0
	while :; do
		df -B1 --output=avail "$DISK" | tail -1 >>"$WORK/free.txt"
		if [ $((i % 3)) = 0 ]; then
			# each insert: outcome, when it began, how long it took
			a=$(date +%s.%N)
			if cluster_psql -c "INSERT INTO other VALUES (now(), $i)" >/dev/null 2>>"$WORK/other.err"; then
				r=ok
			else
				r=failed
			fi
			echo "$r $a $(date +%s.%N)" >>"$WORK/other.txt"
		fi
		i=$((i + 1))
		sleep 0.15
	done
) &
SAMPLER=$!
BG="$BG $SAMPLER"

pid=$(sql "SELECT pkt_start('$V0')")
[ -n "$pid" ] && ok "capture on $V0 (worker $pid)" || fatal "pkt_start failed"
t0=$(now_s)
replay "$RT_GUARD_PPS" "$RT_GUARD_SECONDS" "$WORK/guard.tcpreplay"
wait "$REPLAY"
t1=$(now_s)
sql "SELECT pkt_stop('$V0')" >/dev/null
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$WORK/guard.tcpreplay" | head -1)
echo "# replayed ${sent:-?} frames in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"

check_eq "the server never restarted (postmaster PID)" "$(cluster_postmaster_pid)" "$PM"
check "no PANIC and no process killed in the server log" \
	bash -c "! grep -E 'PANIC|terminated by signal|No space left on device' '$CLUSTER_DIR/server.log'"
minfree=$(sort -n "$WORK/free.txt" | head -1)
check "free space never fell below the guard (lowest $minfree of $reserve, $(wc -l <"$WORK/free.txt") samples)" \
	[ "${minfree:-0}" -ge "$reserve" ]
check_eq "the other table took every insert (failed ones)" "$(grep -c failed "$WORK/other.txt")" 0
# throughout: not a pace (the sampler's depends on the machine's load) but
# no stall: no insert took long, and from the capture's start to its end
# there is no stretch without one
slowest=$(awk '$1 == "ok" { d = $3 - $2; if (d > m) m = d } END { printf "%.1f", m }' "$WORK/other.txt")
check "... none of them waited (slowest ${slowest} s of $(grep -c ok "$WORK/other.txt"))" \
	awk -v m="$slowest" 'BEGIN { exit !(m < 5) }'
gap=$(awk -v t0="$t0" -v t1="$t1" '$1 == "ok" { e[n++] = $3 }
	END { p = t0; g = 0
		for (i = 0; i < n; i++) if (e[i] > t0 && e[i] <= t1) { if (e[i] - p > g) g = e[i] - p; p = e[i] }
		if (t1 - p > g) g = t1 - p
		printf "%.1f", g }' "$WORK/other.txt")
check "... and took them throughout the capture (longest stretch without one ${gap} s)" \
	awk -v g="$gap" 'BEGIN { exit !(g < 10) }'
run=$(sql "SELECT max(run_id) FROM pkt_runs")
dropped=$(sql "SELECT count(*) FROM pkt_partitions WHERE reason = 'disk guard'")
check "the guard dropped the oldest partitions ($dropped)" [ "${dropped:-0}" -ge 1 ]
held=$(sql "SELECT not_stored_disk FROM pkt_runs WHERE run_id = $run")
check "the guard held off when none was left to drop (not stored: $held)" [ "${held:-0}" -gt 0 ]
stops=$(grep -c "the disk guard stops storing rows" "$CLUSTER_DIR/server.log")
resumes=$(grep -c "the disk guard lets rows from interface" "$CLUSTER_DIR/server.log")
if [ "$stops" -ge 1 ] && [ "$stops" -le $((RT_GUARD_SECONDS / 60 + 2)) ] &&
	[ "$resumes" -ge "$((stops - 1))" ]; then
	ok "it said so once per episode ($stops stops, $resumes resumes; at most one a minute)"
else
	not_ok "it said so once per episode: $stops stops, $resumes resumes"
fi
newest=$(sql "SELECT extract(epoch FROM max(capture_time))::bigint FROM packets")
check "the newest packets are stored (newest row $(( ${t1%.*} - ${newest:-0} )) s before the end)" \
	[ $(( ${t1%.*} - ${newest:-0} )) -le 60 ]
check_eq "the oldest are gone: no row of the first minute of the capture" \
	"$(sql "SELECT count(*) FROM packets WHERE capture_time < to_timestamp(${t0%.*}) + interval '1 minute'
		AND date_bin('1 minute', capture_time, '2000-01-01') = date_bin('1 minute', to_timestamp(${t0%.*}), '2000-01-01')")" 0
check_eq "the ledger: rows in packets = rows stored - rows removed" \
	"$(sql "SELECT rows_stored - rows_removed FROM pkt_runs WHERE run_id = $run")" \
	"$(sql "SELECT count(*) FROM packets WHERE run_id = $run")"
check_eq "the ledger: packets = rows stored + not stored + not stored by the disk guard" \
	"$(sql "SELECT packets FROM pkt_runs WHERE run_id = $run")" \
	"$(sql "SELECT rows_stored + not_stored + not_stored_disk FROM pkt_runs WHERE run_id = $run")"
check_eq "pkt_status says the same" \
	"$(sql "SELECT not_stored_disk || ' ' || disk_guard FROM pkt_status() WHERE run_id = $run")" \
	"$held $(sql "SELECT disk_guard FROM pkt_status() WHERE run_id = $run")"
cp "$CLUSTER_DIR/server.log" "$WORK/guard-server.log"
cluster_stop
umount "$DISK"

# ---------------------------------------------------------------------------
section "2. retention by age"
cluster_start "$WORK/age" "shared_preload_libraries = 'pktcapture'" \
	"pktcapture.partition_span = '1min'" "pktcapture.retention = '1min'" \
	"pktcapture.maintenance_interval = '2s'" "pktcapture.summary_interval = '1s'" ||
	fatal "could not start the cluster"
sql "CREATE EXTENSION pktcapture" >/dev/null
pid=$(sql "SELECT pkt_start('$V0')")
[ -n "$pid" ] && ok "capture on $V0 (worker $pid)" || fatal "pkt_start failed"
replay "$RT_AGE_PPS" 200 "$WORK/age.tcpreplay"
# reports and queries while partitions come and go: their times
(
	while :; do
		a=$(date +%s%N)
		cluster_psql -At -c "SELECT count(*) FROM pkt_report('10 minutes')" >/dev/null 2>&1
		b=$(date +%s%N)
		cluster_psql -At -c "SELECT count(*) FROM packets WHERE capture_time > now() - interval '20 seconds'" >/dev/null 2>&1
		c=$(date +%s%N)
		cluster_psql -At -c "SELECT coalesce(last_batch_ms, 0)::int FROM pkt_status() WHERE state = 'running'" >>"$WORK/batch_ms.txt" 2>/dev/null
		echo "$(((b - a) / 1000000)) $(((c - b) / 1000000))" >>"$WORK/query_ms.txt"
		sleep 0.2
	done
) &
TIMER=$!
BG="$BG $TIMER"
if wait_for 180 "SELECT count(*) > 0 FROM pkt_partitions WHERE reason = 'retention'"; then
	ok "retention dropped a partition while the capture ran"
else
	not_ok "retention dropped a partition within 3 minutes"
fi
# one more round of maintenance after the last drop: nothing past retention
sleep 3
kill "$TIMER" 2>/dev/null
wait "$TIMER" 2>/dev/null
kill "$REPLAY" 2>/dev/null
wait "$REPLAY" 2>/dev/null
sql "SELECT pkt_stop('$V0')" >/dev/null
run=$(sql "SELECT max(run_id) FROM pkt_runs")
check_eq "no partition past retention is left (maintenance every 2 s)" \
	"$(sql "SELECT count(*) FROM pkt_partitions WHERE dropped_at IS NULL
		AND range_end <= now() - interval '1 minute' - interval '10 seconds'")" 0
check_eq "the ledger: rows in packets = rows stored - rows removed" \
	"$(sql "SELECT rows_stored - rows_removed FROM pkt_runs WHERE run_id = $run")" \
	"$(sql "SELECT count(*) FROM packets WHERE run_id = $run")"
removed=$(sql "SELECT rows_removed FROM pkt_runs WHERE run_id = $run")
check "retention removed rows of the run ($removed)" [ "${removed:-0}" -gt 0 ]
check_eq "pkt_report (from the summaries) counts every row the capture stored, dropped or not" \
	"$(sql "SELECT packets FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'total'")" \
	"$(sql "SELECT rows_stored FROM pkt_runs WHERE run_id = $run")"
check_eq "... and says how many of them were dropped" \
	"$(sql "SELECT packets FROM pkt_report_between('-infinity', 'infinity') WHERE section = 'retention' AND item = 'rows dropped'")" \
	"$removed"
read -r rmax qmax <<<"$(awk '{ if ($1 > r) r = $1; if ($2 > q) q = $2 } END { print r + 0, q + 0 }' "$WORK/query_ms.txt")"
bmax=$(sort -n "$WORK/batch_ms.txt" | tail -1)
echo "# longest waits while partitions came and went: pkt_report ${rmax} ms, a query on packets ${qmax} ms, a capture's batch ${bmax:-?} ms ($(wc -l <"$WORK/query_ms.txt") samples)"
if [ "${rmax:-9999}" -lt 1000 ] && [ "${qmax:-9999}" -lt 1000 ]; then
	ok "reports and queries never waited long for a partition's drop (longest ${rmax} ms, ${qmax} ms)"
else
	not_ok "reports and queries waited long: ${rmax} ms, ${qmax} ms"
fi
check "the capture's batches neither (longest ${bmax:-?} ms)" [ "${bmax:-9999}" -lt 1000 ]

# a capture file of 2020: its partition is made, retention drops it
f=$CORPUS/dns_tcp_8053.pcap
check_eq "pkt_load of a capture of 2020 makes its partition" \
	"$(sql "SELECT pkt_load('$f')") $(sql "SELECT count(*) FROM pkt_partitions WHERE relname = 'packets_20200302_1544'")" \
	"11 1"
cluster_psql -c "CALL pkt_maintain()" >/dev/null 2>&1
check_eq "CALL pkt_maintain() keeps it while it is younger than the retention (made just now)" \
	"$(sql "SELECT count(*) FROM pkt_partitions WHERE relname = 'packets_20200302_1544' AND dropped_at IS NULL")" 1
# a minute after it was made, maintenance drops it
made=$(sql "SELECT extract(epoch FROM created_at) FROM pkt_partitions WHERE relname = 'packets_20200302_1544'")
for _ in $(seq 1 90); do
	cluster_psql -c "CALL pkt_maintain()" >/dev/null 2>&1
	[ "$(sql "SELECT dropped_at IS NOT NULL FROM pkt_partitions WHERE relname = 'packets_20200302_1544'")" = t ] && break
	sleep 1
done
check "... and drops it once it is (at $(sql "SELECT round(extract(epoch FROM dropped_at) - $made) FROM pkt_partitions WHERE relname = 'packets_20200302_1544'") s, retention 60 s)" \
	[ "$(sql "SELECT extract(epoch FROM dropped_at) - $made >= 60 FROM pkt_partitions WHERE relname = 'packets_20200302_1544'")" = t ]
check_eq "CALL pkt_maintain() drops it (retention), its 11 rows removed from the run" \
	"$(sql "SELECT p.reason || ' ' || r.rows_removed FROM pkt_partitions p, pkt_runs r
		WHERE p.relname = 'packets_20200302_1544' AND r.run_id = (SELECT max(run_id) FROM pkt_runs)")" \
	"retention 11"
check_eq "its report still answers from the summaries (tshark: 11 packets, 906 bytes), and says the rows were dropped" \
	"$(sql "SELECT string_agg(section || ' ' || packets || coalesce(' ' || bytes, ''), ', ' ORDER BY section)
		FROM pkt_report_between('2020-03-02 15:44+00', '2020-03-02 15:44+00') WHERE section IN ('total', 'retention')")" \
	"retention 11, total 11 906"
cp "$CLUSTER_DIR/server.log" "$WORK/age-server.log"
finish
