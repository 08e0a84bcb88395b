#!/bin/bash
# test/retention-test.sh: partitions, retention by age and the disk guard.
#
#   test/retention-test.sh      (as root; about 4 minutes)
#   ONLY=age test/retention-test.sh     one section (--sections lists them)
#
# The extension must be built and installed (make install).  On a private
# veth pair pktrt0-$$ (captured) / pktrt1-$$ (in namespace pktrt-peer-$$,
# where tcpreplay sends from), with bench/gen-pcap.py's traffic:
#
#   1. guard: a cluster whose data directory and WAL are on a 300 MB tmpfs,
#      partitions of a minute, pktcapture.min_free_space 25%, a live
#      capture at RT_GUARD_PPS (100 000) packets/s for over a minute.
#      Throughout, df's free space is sampled and another table takes an
#      insert every half second.  Then: the server never restarted nor
#      PANICked; free space never fell below the guard; every insert into
#      the other table succeeded, none waited long and they went on
#      throughout; the guard dropped the oldest partitions and held off
#      when none was left, said so once per episode, and stored again; the
#      newest packets are stored; for the run, rows in packets = rows
#      stored - rows removed, and packets = rows stored + not stored + not
#      stored by the disk guard.
#   1b. guard-frames: the same with frames kept (pktcapture.frame_snaplen
#      1514) of full frames at RT_GUARD_FRAMES_PPS (10 000) packets/s:
#      frames fill the disk ten times as fast; the same checks, and every
#      row stored has its frame (frames_not_kept 0).
#   2. age: retention by age: partitions of a minute, pktcapture.retention
#      of a minute, a live capture at RT_AGE_PPS until retention has
#      dropped a partition, while reports and queries on packets run: none
#      of them, nor the capture, waits long for a lock while partitions
#      come and go (log_lock_waits), and the capture loses nothing.  Then:
#      no partition past retention is left, the ledger is exact, pkt_report
#      (from the summaries) still counts every row the capture stored,
#      dropped or not, and says which were dropped.
#   3. age-load: a capture file of 2020 loaded: its partition is made,
#      CALL pkt_maintain() keeps it for the retention after it was made,
#      then drops it, and its report still answers from the summaries.
# Prints "ok - ..." / "not ok - ..." and "retention: N passed, M failed".
# RT_KEEP=1 (or KEEP_WORK=1) keeps the work directory even when all pass.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections guard guard-frames age age-load
suite_init retention RT_ "$@"
. "$here/lib/netns.sh"

RT_GUARD_PPS=${RT_GUARD_PPS:-100000}
RT_GUARD_SECONDS=${RT_GUARD_SECONDS:-70}
RT_GUARD_FRAMES_PPS=${RT_GUARD_FRAMES_PPS:-10000}
RT_AGE_PPS=${RT_AGE_PPS:-2000}

for cmd in ip tcpreplay psql pg_config setpriv df mount; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

NS=pktrt-peer-$$
V0=pktrt0-$$; V0=${V0:0:15}
V1=pktrt1-$$; V1=${V1:0:15}
DISK=$WORK/disk
at_exit 'mountpoint -q "$DISK" && umount "$DISK"'
WORK_NOTE="server logs in $WORK"

now_s() { date +%s.%N; }

# replay PPS SECONDS OUT [FILE FRAMES]: tcpreplay of the traffic (or FILE
# of FRAMES frames) from the namespace, in the background, for about
# SECONDS at PPS
replay() {
	local loops=$(($1 * $2 / ${5:-400000} + 1))
	ip netns exec "$NS" tcpreplay -q --no-flow-stats -i "$V1" --pps="$1" --loop="$loops" --duration="$2" \
		"${4:-$WORK/traffic.pcap}" >"$3" 2>&1 &
	REPLAY=$!
	track_bg "$REPLAY"
}
v0_quiet() {
	sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" >/dev/null &&
		netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" >/dev/null
}

# ---------------------------------------------------------------------------
heading "test network and traffic"
must "a network namespace $NS" netns_add "$NS"
must "veth $V0 here, $V1 in $NS" netns_veth "$V0" "$V1"
must "no IPv6 on $V0 and $V1" v0_quiet
must "the test network comes up" netns_up "$V0" "$V1"
must "traffic: 400000 frames (bench/gen-pcap.py)" "$PY" "$ROOT/bench/gen-pcap.py" --out "$WORK/traffic.pcap" \
	--count 400000 --seed 7 --json "$WORK/traffic.json"
chmod 644 "$WORK/traffic.pcap"

# ---------------------------------------------------------------------------
# guard PPS FRAME_SNAPLEN TRAFFIC FRAMES: the disk guard on a 300 MB
# filesystem under a capture of TRAFFIC (FRAMES frames) at PPS, keeping
# frames of FRAME_SNAPLEN bytes
guard() {
	local pps=$1 fsnap=$2 traffic=$3 frames=$4
	mkdir -p "$DISK"
	must "a tmpfs of 300 MB" mount -t tmpfs -o size=300m tmpfs "$DISK"
	must "a cluster on the tmpfs" cluster_start "$DISK/pg" "shared_preload_libraries = 'pktcapture'" \
		"shared_buffers = 32MB" "max_wal_size = 64MB" "min_wal_size = 32MB" \
		"checkpoint_timeout = 30s" "pktcapture.partition_span = '1min'" \
		"pktcapture.partitions_ahead = 1" "pktcapture.min_free_space = '25%'" \
		"pktcapture.maintenance_interval = '2s'"
	PM=$(cluster_postmaster_pid)
	must "CREATE EXTENSION pktcapture" sql "CREATE EXTENSION pktcapture"
	must "another table" sql "CREATE TABLE other (t timestamptz, n int)"
	total=$(df -B1 --output=size "$DISK" | tail -1)
	reserve=$((total / 4))
	echo "# cluster on $DISK (tmpfs of $total bytes; the guard keeps $reserve free)"

	rm -f "$WORK/free.txt" "$WORK/other.txt" "$WORK/other.err"
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
	track_bg "$SAMPLER"

	must_get pid "pkt_start('$V0') (frame_snaplen $fsnap)" \
		cluster_psql -At -c "SET pktcapture.frame_snaplen = $fsnap" -c "SELECT pkt_start('$V0')"
	t0=$(now_s)
	replay "$pps" "$RT_GUARD_SECONDS" "$WORK/guard.tcpreplay" "$traffic" "$frames"
	wait "$REPLAY"
	t1=$(now_s)
	must "pkt_stop('$V0')" sql "SELECT pkt_stop('$V0')"
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	sent=$(tcpreplay_sent "$WORK/guard.tcpreplay")
	echo "# replayed ${sent:-?} frames in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"

	check_eq "the server never restarted (postmaster PID)" "$(cluster_postmaster_pid)" "$PM"
	check_eq "no crash and no full disk in the server log" \
		"$(crash_lines "$CLUSTER_DIR/server.log" 0 "No space left on device" | head -3)" ""
	minfree=$(sort -n "$WORK/free.txt" | head -1)
	check "free space never fell below the guard (lowest $minfree of $reserve, $(wc -l <"$WORK/free.txt") samples)" \
		[ "${minfree:-0}" -ge "$reserve" ]
	check_eq "the other table took every insert (failed ones)" "$(grep -c failed "$WORK/other.txt")" 0
	# Not a pace, which the sampler's depends on the machine's load: no
	# stall.  An insert into another table waits on nothing pktcapture holds
	# unless the disk fills (then it waits or fails for good); 5 s is far
	# above a psql and an insert on a loaded machine.  The sampler tries one
	# every half second or so: 10 s without one is a stall, not a slow
	# machine.
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
	# a hold ends when a partition can go, which a partition span (a minute)
	# brings: at most one episode a minute, however fast the machine
	stops=$(grep -c "the disk guard stops storing rows" "$CLUSTER_DIR/server.log")
	resumes=$(grep -c "the disk guard lets rows from interface" "$CLUSTER_DIR/server.log")
	check "it said so once per episode ($stops stops, $resumes resumes; at most one a minute)" \
		eval '[ "$stops" -ge 1 ] && [ "$stops" -le $((RT_GUARD_SECONDS / 60 + 2)) ] && [ "$resumes" -ge $((stops - 1)) ]'
	# the guard drops the oldest partitions: what it keeps is of the last
	# partition span (a minute) or so
	newest=$(sql "SELECT extract(epoch FROM max(capture_time))::bigint FROM packets")
	check "the newest packets are stored (newest row $(( ${t1%.*} - ${newest:-0} )) s before the end)" \
		[ $(( ${t1%.*} - ${newest:-0} )) -le 60 ]
	# the partition of the first minute went; rows of that minute still in
	# hand when it went (pending, a flush interval's worth) are stored in a
	# partition made again for them, as for any late row
	check_eq "the oldest are gone: the first minute's partition was dropped by the guard" \
		"$(sql "SELECT count(*) > 0 FROM pkt_partitions WHERE reason = 'disk guard'
			AND range_start = date_bin('1 minute', to_timestamp(${t0%.*}), '2000-01-01')")" t
	check_eq "the ledger: rows in packets = rows stored - rows removed" \
		"$(sql "SELECT rows_stored - rows_removed FROM pkt_runs WHERE run_id = $run")" \
		"$(sql "SELECT count(*) FROM packets WHERE run_id = $run")"
	check_eq "the ledger: packets = rows stored + not stored + not stored by the disk guard" \
		"$(sql "SELECT packets FROM pkt_runs WHERE run_id = $run")" \
		"$(sql "SELECT rows_stored + not_stored + not_stored_disk FROM pkt_runs WHERE run_id = $run")"
	check_eq "pkt_status says the same" \
		"$(sql "SELECT not_stored_disk || ' ' || disk_guard FROM pkt_status() WHERE run_id = $run")" \
		"$held $(sql "SELECT disk_guard FROM pkt_status() WHERE run_id = $run")"
	if [ "$fsnap" -gt 0 ]; then
		check_eq "every row stored has its frame (rows without one, frames_not_kept)" \
			"$(sql "SELECT count(*) FILTER (WHERE frame IS NULL) FROM packets WHERE run_id = $run") $(sql "SELECT frames_not_kept FROM pkt_runs WHERE run_id = $run")" "0 0"
		check "... and frames filled the disk: the guard's drops are of frames (rows kept are over 200 bytes each)" \
			test "$(sql "SELECT coalesce(avg(length(frame)), 0)::int FROM packets WHERE run_id = $run")" -gt 200
	fi
	cp "$CLUSTER_DIR/server.log" "$WORK/guard-server-$fsnap.log"
	must "stop the cluster on the tmpfs" cluster_stop
	must "unmount the tmpfs" umount "$DISK"
}

if section guard "1. the disk guard on a 300 MB filesystem"; then
	guard "$RT_GUARD_PPS" 0 "$WORK/traffic.pcap" 400000
fi

if section guard-frames "1b. the disk guard with frames kept"; then
	must "traffic: 100000 full frames (bench/gen-pcap.py --snaplen 1514)" "$PY" "$ROOT/bench/gen-pcap.py" \
		--out "$WORK/frames.pcap" --count 100000 --seed 8 --snaplen 1514 --json "$WORK/frames.json"
	guard "$RT_GUARD_FRAMES_PPS" 1514 "$WORK/frames.pcap" 100000
fi

# ---------------------------------------------------------------------------
# the cluster of sections 2 and 3.  A partition's drop waits at most 200 ms
# for its lock (pkt_maint.c), and whoever queues behind it no longer: a
# wait for a lock past deadlock_timeout (1 s) is logged (log_lock_waits)
# and means a drop, or something else, held packets too long
age_cluster() {
	[ "${CLUSTER_DIR:-}" = "$WORK/age" ] && return
	must "a cluster with a retention of a minute" cluster_start "$WORK/age" \
		"shared_preload_libraries = 'pktcapture'" \
		"pktcapture.partition_span = '1min'" "pktcapture.retention = '1min'" \
		"pktcapture.maintenance_interval = '2s'" "pktcapture.summary_interval = '1s'" \
		"log_lock_waits = on" "deadlock_timeout = '1s'"
	must "CREATE EXTENSION pktcapture" sql "CREATE EXTENSION pktcapture"
}
lock_waits() {	# lock_waits FROM_BYTE: the log's lines of a wait past deadlock_timeout
	tail -c +"$(($1 + 1))" "$CLUSTER_DIR/server.log" | grep -a "still waiting for"
}

if section age "2. retention by age during a capture"; then
	age_cluster
	off=$(stat -c %s "$CLUSTER_DIR/server.log")
	must_get pid "pkt_start('$V0')" sql "SELECT pkt_start('$V0')"
	replay "$RT_AGE_PPS" 200 "$WORK/age.tcpreplay"
	# reports and queries while partitions come and go; their times are
	# printed (what they waited for a lock, the server logs)
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
	track_bg "$TIMER"
	check "retention dropped a partition while the capture ran (within 3 minutes)" \
		cluster_poll 180 "SELECT count(*) > 0 FROM pkt_partitions WHERE reason = 'retention'"
	# maintenance every 2 s: none past retention (and 10 s) stays long
	check "no partition past retention is left (maintenance every 2 s)" \
		cluster_poll 30 "SELECT count(*) = 0 FROM pkt_partitions WHERE dropped_at IS NULL
			AND range_end <= now() - interval '1 minute' - interval '10 seconds'"
	kill "$TIMER" 2>/dev/null
	wait "$TIMER" 2>/dev/null
	kill "$REPLAY" 2>/dev/null
	wait "$REPLAY" 2>/dev/null
	must "pkt_stop('$V0')" sql "SELECT pkt_stop('$V0')"
	run=$(sql "SELECT max(run_id) FROM pkt_runs")
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
	echo "# longest times while partitions came and went: pkt_report ${rmax} ms, a query on packets ${qmax} ms, a capture's batch ${bmax:-?} ms ($(wc -l <"$WORK/query_ms.txt") samples)"
	waits=$(lock_waits "$off")
	check_eq "no report, query or batch waited past 1 s for a lock while partitions came and went (log_lock_waits)" \
		"$(head -3 <<<"$waits")" ""
	check_eq "the capture lost nothing to the partitions' coming and going (not stored; could not write)" \
		"$(sql "SELECT not_stored FROM pkt_runs WHERE run_id = $run") $(tail -c +"$((off + 1))" "$CLUSTER_DIR/server.log" | grep -ac "could not write")" \
		"0 0"
fi

# ---------------------------------------------------------------------------
# a capture file of 2020: its partition is made, retention drops it
if section age-load "3. retention of a file loaded"; then
	age_cluster
	part=packets_20200302_1544
	f=$CORPUS/dns_tcp_8053.pcap
	check_eq "pkt_load of a capture of 2020 makes its partition" \
		"$(sql "SELECT pkt_load('$f')") $(sql "SELECT count(*) FROM pkt_partitions WHERE relname = '$part'")" \
		"11 1"
	must "CALL pkt_maintain()" sql "CALL pkt_maintain()"
	check_eq "CALL pkt_maintain() keeps it while it is younger than the retention (made just now)" \
		"$(sql "SELECT count(*) FROM pkt_partitions WHERE relname = '$part' AND dropped_at IS NULL")" 1
	# a minute after it was made, maintenance drops it
	made=$(sql "SELECT extract(epoch FROM created_at) FROM pkt_partitions WHERE relname = '$part'")
	maintained() {
		sql "CALL pkt_maintain()" >/dev/null 2>&1
		[ "$(sql "SELECT dropped_at IS NOT NULL FROM pkt_partitions WHERE relname = '$part'")" = t ]
	}
	step "maintenance drops it (within 90 s)" wait_until 90 maintained
	check "... and drops it once it is past the retention (at $(sql "SELECT round(extract(epoch FROM dropped_at) - $made) FROM pkt_partitions WHERE relname = '$part'") s, retention 60 s)" \
		[ "$(sql "SELECT extract(epoch FROM dropped_at) - $made >= 60 FROM pkt_partitions WHERE relname = '$part'")" = t ]
	check_eq "CALL pkt_maintain() drops it (retention), its 11 rows removed from the run" \
		"$(sql "SELECT p.reason || ' ' || r.rows_removed FROM pkt_partitions p, pkt_runs r
			WHERE p.relname = '$part' AND r.run_id = (SELECT max(run_id) FROM pkt_runs)")" \
		"retention 11"
	check_eq "its report still answers from the summaries (tshark: 11 packets, 906 bytes), and says the rows were dropped" \
		"$(sql "SELECT string_agg(section || ' ' || packets || coalesce(' ' || bytes, ''), ', ' ORDER BY section)
			FROM pkt_report_between('2020-03-02 15:44+00', '2020-03-02 15:44+00') WHERE section IN ('total', 'retention')")" \
		"retention 11, total 11 906"
fi
[ "${CLUSTER_DIR:-}" = "$WORK/age" ] && cp "$CLUSTER_DIR/server.log" "$WORK/age-server.log"
finish
