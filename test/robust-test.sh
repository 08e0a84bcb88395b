#!/bin/bash
# test/robust-test.sh: pktcapture under hostile conditions.
#
#   test/robust-test.sh               (as root, or with sudo; from anywhere;
#                                     about 2 minutes)
#   ONLY=lock,wire test/robust-test.sh    those sections (--sections lists them)
#
# The extension must be built and installed (make install); the capture
# corpus is read in place from ../shared/pcaps/tcpdump (or $PKT_CORPUS).
#
# What it does, on a throwaway cluster (test/lib/cluster.sh) and a private
# veth pair pktrv0-$$ (root namespace, captured) / pktrv1-$$ (in network
# namespace pktr-peer-$$, where tcpreplay sends from).  The pair has no IP
# address and IPv6 off, so the kernel sends nothing on it by itself:
#
#   1. lock: LOCK TABLE in the middle of a live capture: tcpreplay sends
#      ROBUST_LOCK_COUNT frames at ROBUST_LOCK_PPS; once the capture has
#      written rows, another session holds ACCESS EXCLUSIVE on packets, the
#      worker meets it, and 8 s later (the lock still held) its rows wait in
#      memory, none given up; then the lock ends.  Afterwards: the rows are
#      exactly what tcpdump saw (test/live/live_compare.py), no duplicates,
#      nothing lost or dropped, the worker's WARNING logged once and its
#      "writing rows ... again" LOG line, the ledger and the per-minute
#      summaries agree with the rows.
#   2. DROP while capturing (drop-table, drop-extension, idle-drop): a
#      plain DROP TABLE packets is refused and the capture goes on; the
#      table dropped for real (ALTER EXTENSION ... DROP TABLE, DROP TABLE)
#      and, separately, DROP EXTENSION pktcapture: the worker stops cleanly
#      with a clear log line, pkt_status says failed and why, the ledger
#      says so too, and after CREATE EXTENSION a new capture works.  Then a
#      capture that is idle while the extension is dropped and created
#      again, whose run id now names another run of the new ledger: it
#      must not write into that run.
#   3. load: hostile files through pkt_load: every corpus file and a few
#      thousand mutated copies (test/robust/mutate.py, seeded) in one psql
#      session; then the server is unharmed and for every load the ledger
#      obeys
#        frames  = packets + truncated + malformed + unsupported + not_ip
#        packets = rows_stored + not_stored
#      and rows_stored is what pkt_load returned and what packets holds.
#   4. wire: hostile frames live: corpus and mutated files of link type
#      Ethernet replayed at full speed onto the veth while a capture runs;
#      the worker survives, frames seen == what tcpdump saw with the same
#      filter.
#   5. Hostile sessions (search-path, timeout): a role that may capture and
#      load, whose search_path puts a schema "evil" first (with and without
#      pg_catalog named after it) where unnest, date_bin and the = <> +
#      operators would hijack unqualified names: the rows are right and
#      nothing of "evil" ever runs.  ALTER DATABASE ... SET
#      statement_timeout = '1ms': the worker's batches do not time out and
#      lose nothing; pkt_load under that timeout leaves nothing half done;
#      pkt_start cancelled by a statement timeout leaves no capture running
#      behind the caller.
#   6. Always: the postmaster PID never changed, no crash in the log.
#
# Environment:
#   ROBUST_LOCK_COUNT   frames of the LOCK TABLE burst (default 100000)
#   ROBUST_LOCK_PPS     their rate (5000)
#   ROBUST_PER_FILE     mixed mutations per corpus file (3)
#   ROBUST_DLT_PER_FILE link-type mutations per corpus file (3)
#   ROBUST_SEED         seed of the mutator (1)
#   ROBUST_WIRE_LOOPS   times the hostile frames are replayed (3)
#   PG_BINDIR           server binaries (default: pg_config --bindir), e.g. a
#                       private copy of the installation holding another build
#   ROBUST_KEEP=1       keep the work directory even when all checks pass
#                       (or KEEP_WORK=1)
#
# Prints one line per check, "ok - ..." or "not ok - ...", and last
# "robust: N passed, M failed".  Exit status 0 when every check passed.
set -u

ROBUST_LOCK_COUNT=${ROBUST_LOCK_COUNT:-100000}
ROBUST_LOCK_PPS=${ROBUST_LOCK_PPS:-5000}
ROBUST_PER_FILE=${ROBUST_PER_FILE:-3}
ROBUST_DLT_PER_FILE=${ROBUST_DLT_PER_FILE:-3}
ROBUST_SEED=${ROBUST_SEED:-1}
ROBUST_WIRE_LOOPS=${ROBUST_WIRE_LOOPS:-3}
TS_TOLERANCE_US=5000 # each packet socket stamps a frame itself (live-test.sh)

. "$(dirname "$0")/lib/suite.sh"
sections lock drop-table drop-extension idle-drop load wire search-path timeout
suite_init robust ROBUST_ "$@"
. "$here/lib/netns.sh"
. "$here/lib/compare.sh"

for cmd in ip tcpdump tshark tcpreplay psql pg_config setpriv sysctl timeout; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done
[ -n "$CORPUS" ] && [ -d "$CORPUS" ] || fatal "capture corpus not found (../shared/pcaps/tcpdump or PKT_CORPUS)"

NS=pktr-peer-$$
V0=pktrv0-$$; V0=${V0:0:15}
V1=pktrv1-$$; V1=${V1:0:15}
MAC_V0=02:70:6b:74:72:01	# the veth ends themselves
MAC_V1=02:70:6b:74:72:02
MAC_GEN=02:70:6b:74:72:10	# generated traffic
MAC_DECOY=02:70:6b:74:72:99	# decoys, which the filter drops
FILTER_GEN="ether src $MAC_GEN"
# hostile frames: anything but what the veth ends might send themselves
FILTER_HOSTILE="not ether src $MAC_V0 and not ether src $MAC_V1"

# Our own sessions never get the hostile settings of section 5
# (client options override ALTER DATABASE ... SET).
export PGOPTIONS="-c statement_timeout=0 -c lock_timeout=0"

TD=""
at_exit '[ -n "$TD" ] && kill -INT "$TD" 2>/dev/null && wait "$TD" 2>/dev/null'
WORK_NOTE="server log: $WORK/cluster/server.log"

pm_check() {	# pm_check WHEN
	check_eq "postmaster PID unchanged $1" "$(cluster_postmaster_pid)" "$PM_PID"
	if [ "$(cat "$SO" "$EXT_SQL" 2>/dev/null | md5sum)" != "$SO_ID" ] && [ -z "${SO_WARNED:-}" ]; then
		SO_WARNED=1
		echo "# NOTE: $SO or $EXT_SQL was reinstalled during the run ($1): what follows mixes two builds"
	fi
}
# as_role ROLE psql-args...: a session as ROLE (its own settings apply)
as_role() {
	local role=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d postgres "$@"
}
log_size() {
	stat -c %s "$LOG"
}
log_since() {	# log_since BYTE: the server log written since
	tail -c +"$(($1 + 1))" "$LOG"
}
log_has() {	# log_has BYTE PATTERN: the server log since BYTE has it
	log_since "$1" | grep -aq -- "$2"
}
log_shows() {	# log_shows SECONDS BYTE PATTERN: until the server log since BYTE has it
	wait_until "$1" log_has "$2" "$3"
}
replay() {	# replay NAME RATE-OPTION: tcpreplay from the namespace
	netns_replay "$V1" "$@"
}
stop_tcpdump() {	# stop_tcpdump FILE FRAMES: once FILE holds FRAMES (test/lib/netns.sh)
	tcpdump_stop "$TD" "$1" "$2"
	TD=""
}
writing() {	# writing PID [ROWS]: the capture of worker PID has stored more than ROWS rows
	cluster_poll 30 "SELECT coalesce((SELECT rows_stored > ${2:-0} FROM pkt_status() WHERE pid = $1), true)"
}
run_of() {	# run_of IFACE: run_id of the latest capture on IFACE
	psql_at -c "SELECT run_id FROM pkt_status() WHERE interface = '$1' ORDER BY started_at DESC LIMIT 1"
}
status_of() {	# status_of IFACE COLUMNS: of the latest capture on IFACE
	psql_at -F ' ' -c "SELECT $2 FROM pkt_status() WHERE interface = '$1' ORDER BY started_at DESC LIMIT 1"
}
gone() {	# gone PID: no such process
	! kill -0 "$1" 2>/dev/null
}
start_on_v0() {	# start_on_v0 VAR FILTER: pkt_start, its worker's PID in VAR
	must_get "$1" "pkt_start('$V0', '$2')" psql_at -c "SELECT pkt_start('$V0', '$2')"
}
# the corpus and its mutants (test/robust/mutate.py), once: index.tsv
# lists them (path, corpus or mutant, link type, ..., corpus file)
MUT=$WORK/mutants
mutate() {
	"$PY" "$here/robust/mutate.py" --out "$MUT" --seed "$ROBUST_SEED" --per-file "$ROBUST_PER_FILE" \
		--dlt-per-file "$ROBUST_DLT_PER_FILE" --index "$WORK/index.tsv" "$CORPUS"/* >"$WORK/mutate.out"
}
mutants() {
	[ -f "$WORK/index.tsv" ] && return
	must "mutate.py: the corpus's mutants" mutate
	sed 's/^/# /' "$WORK/mutate.out"
	chmod 755 "$MUT"
	chmod 644 "$MUT"/*
}
echo "# work directory $WORK, interfaces $V0/$V1, namespace $NS, corpus $CORPUS"

# ---------------------------------------------------------------------------
heading "setup"
v0_quiet() {	# no address, IPv6 off: the kernel sends nothing on the link
	sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" "net.ipv4.conf.$V0.arp_ignore=8" \
		"net.ipv4.conf.$V0.forwarding=0" >/dev/null &&
		netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" \
			"net.ipv4.conf.$V1.arp_ignore=8" >/dev/null
}
must "a network namespace $NS" netns_add "$NS"
must "veth $V0 here, $V1 in $NS" netns_veth "$V0" "$V1" "$MAC_V0" "$MAC_V1"
must "$V0 and $V1 send nothing of their own" v0_quiet
must "MTU 9000 on $V0" ip link set "$V0" mtu 9000
must "MTU 9000 on $V1" netns_exec ip link set "$V1" mtu 9000
must "the test network comes up" netns_up "$V0" "$V1"

must "start a cluster" cluster_start "$WORK/cluster" "shared_preload_libraries = 'pktcapture'"
LOG=$CLUSTER_DIR/server.log
PM_PID=$(cluster_postmaster_pid)
# Workers load the library anew: if it is reinstalled while the test runs
# (others build in the same tree), they run other code than the first ones.
PGC=$PG_BINDIR/pg_config
[ -x "$PGC" ] || PGC=pg_config
SO=$("$PGC" --pkglibdir)/pktcapture.so
EXT_SQL=$("$PGC" --sharedir)/extension/pktcapture--1.0.sql
SO_ID=$(cat "$SO" "$EXT_SQL" 2>/dev/null | md5sum)
echo "# library $SO ($(md5sum <"$SO" | cut -c1-12)), script $EXT_SQL"
must "CREATE EXTENSION pktcapture (postmaster $PM_PID)" psql_at -c "CREATE EXTENSION pktcapture"

# ---------------------------------------------------------------------------
if section lock "1. LOCK TABLE during a live capture"; then
	must "traffic: lock" gen_traffic lock --count "$ROBUST_LOCK_COUNT" --seed 11 --mac "$MAC_GEN" \
		--decoy-mac "$MAC_DECOY" --decoys 100 --profile main
	off1=$(log_size)
	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-lock.pcap" "$FILTER_GEN"
	start_on_v0 pid1 "$FILTER_GEN"
	run1=$(run_of "$V0")
	replay lock "--pps=$ROBUST_LOCK_PPS" &
	RP=$!
	track_bg "$RP"
	writing "$pid1" || echo "# the capture on $V0 wrote no rows in 30 s"
	# The lock session reads its statements from a pipe: it holds the lock
	# until it is told to commit, not for a time that a slow machine eats.
	mkfifo "$WORK/lock.fifo"
	psql_at <"$WORK/lock.fifo" >"$WORK/lock.out" 2>&1 &
	LK=$!
	track_bg "$LK"
	exec 3>"$WORK/lock.fifo"
	echo "BEGIN; LOCK TABLE packets IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&3
	step "another session holds ACCESS EXCLUSIVE on packets" \
		cluster_poll 10 "SELECT count(*) > 0 FROM pg_locks WHERE relation = 'packets'::regclass
			AND mode = 'AccessExclusiveLock' AND granted"
	lock_t0=$(date +%s.%N)
	# the worker meets the lock (its lock_timeout is 1 s)
	log_shows 15 "$off1" "WARNING:  pktcapture: could not write" ||
		echo "# no WARNING from the worker 15 s into the lock"
	# rows pile up for 8 s of the lock (a span of the test, not a pace):
	# none given up, the capture runs
	sleep "$(awk -v t0="$lock_t0" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + 8 - now; print (d > 0 ? d : 0) }')"
	mid=$(status_of "$V0" "state, rows_pending > 0, not_stored, kernel_dropped")
	check_eq "8 s into the lock: capture running, rows pending in memory, none given up, no kernel drop" \
		"$mid" "running t 0 0"
	echo "# pkt_status in the lock: $(status_of "$V0" "'rows_pending=' || rows_pending, 'rows_stored=' || rows_stored, 'error=' || coalesce(error, 'NULL')")"
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$LK"
	lock_rc=$?
	lock_t1=$(date +%s.%N)
	step "the other session held ACCESS EXCLUSIVE on packets for $(awk -v a="$lock_t0" -v b="$lock_t1" 'BEGIN { printf "%.1f", b - a }') s: $(cat "$WORK/lock.out")" \
		eval 'grep -q locked "$WORK/lock.out" && [ "$lock_rc" -eq 0 ]'
	wait "$RP"
	replay_check lock
	capture_saw "$pid1" "$(jget lock matching)" || echo "# the capture has not seen every frame"
	check_eq "pkt_stop('$V0') stopped one capture" "$(psql_at -c "SELECT pkt_stop('$V0')")" 1
	stop_tcpdump "$WORK/ref-lock.pcap" "$(jget lock matching)"
	step "reference tcpdump complete: captured == received by filter == generated, 0 dropped ($(tcpdump_stats "$WORK/ref-lock.pcap"))" \
		[ "$(tcpdump_stats "$WORK/ref-lock.pcap")" = "$(jget lock matching) $(jget lock matching) 0" ]

	live_reference lock || not_ok "tshark could not read ref-lock.pcap"
	live_rows lock "run_id = $run1"
	live_compare lock --tolerance-us "$TS_TOLERANCE_US" --label "lock" --iface "$V0"
	ref_ip=""
	. "$WORK/summary-lock.sh" 2>/dev/null || not_ok "no comparison summary"
	dupline=$("$PY" "$here/robust/dupcount.py" "$WORK/ref-lock.tsv")
	echo "# tcpdump's frames: $dupline"
	ref_dups=$(sed -n 's/.*ref_dups=\([0-9]*\).*/\1/p' <<<"$dupline")
	rows_dups=$(psql_at -c "SELECT count(*) - count(DISTINCT (capture_time, src_ip, dst_ip, ip_version, ip_proto,
		src_port, dst_port, tcp_flags, packet_size, captured_size, vlan_id, interface)) FROM packets WHERE run_id = $run1")
	check_eq "no row written twice: count(*) - count(DISTINCT all columns but id) == duplicates in tcpdump's frames" \
		"$rows_dups" "$ref_dups"
	check_eq "rows of the run == tcpdump's IP frames == generated IP frames" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $run1") ${ref_ip:-?}" "$(jget lock ip) $(jget lock ip)"
	check_eq "pkt_status: state, frames, rows_stored, rows_pending, not_stored, kernel_dropped, interface_dropped" \
		"$(status_of "$V0" "state, frames, rows_stored, rows_pending, not_stored, kernel_dropped, interface_dropped")" \
		"stopped $(jget lock matching) $(jget lock ip) 0 0 0 0"
	check_eq "pkt_runs of the run: state, rows_stored == its rows, packets, not_stored, kernel_dropped" \
		"$(psql_at -F ' ' -c "SELECT state, rows_stored, packets, not_stored, kernel_dropped FROM pkt_runs WHERE run_id = $run1")" \
		"stopped $(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $run1") $(jget lock ip) 0 0"
	check_eq "pkt_summary of the run: sum(packets), sum(bytes) == count(*), sum(packet_size) of its rows" \
		"$(psql_at -c "SELECT sum(packets) || '/' || sum(bytes) FROM pkt_summary WHERE run_id = $run1 AND span = '1 minute'")" \
		"$(psql_at -c "SELECT count(*) || '/' || sum(packet_size) FROM packets WHERE run_id = $run1")"
	log1=$(log_since "$off1")
	nwarn=$(grep -ac "WARNING:  pktcapture: could not write [0-9]* rows to packets from interface \"$V0\"" <<<"$log1")
	check_eq "server log: the worker's WARNING about the failed write, once (not once per retry)" "$nwarn" 1
	grep -a -A2 "WARNING:  pktcapture: could not write" <<<"$log1" | head -3 | sed 's/^/#   /'
	check "server log: the WARNING names its cause (lock timeout)" \
		grep -aq "WARNING:  pktcapture: could not write .*lock timeout" <<<"$log1"
	again=$(grep -a "LOG:  pktcapture: writing rows from interface \"$V0\" again after [0-9]* failed attempts" <<<"$log1")
	nfail=$(sed -n 's/.*again after \([0-9]*\) failed attempts.*/\1/p' <<<"$again" | head -1)
	check "server log: one \"writing rows ... again after $nfail failed attempts\" line, after several: '$again'" \
		eval '[ "$(grep -c . <<<"$again")" -eq 1 ] && [ "${nfail:-0}" -ge 2 ]'
	pm_check "after the LOCK TABLE test"
fi

# ---------------------------------------------------------------------------
if section drop-table "2a. DROP TABLE packets while capturing"; then
	must "traffic: drop" gen_traffic drop --count 24000 --seed 12 --mac "$MAC_GEN" --profile side
	off2=$(log_size)
	start_on_v0 pid2 "$FILTER_GEN"
	run2=$(run_of "$V0")
	replay drop --pps=4000 &
	RP=$!
	track_bg "$RP"
	writing "$pid2" || echo "# the capture on $V0 wrote no rows in 30 s"
	err=$(psql_at -c "DROP TABLE packets" 2>&1)
	stored=$(status_of "$V0" "rows_stored")
	check "a plain DROP TABLE packets is refused: the table belongs to the extension ($err)" \
		grep -q "cannot drop table packets because extension pktcapture requires it" <<<"$err"
	# goes on: it stores more rows than it had when the DROP was refused
	writing "$pid2" "${stored:-0}" || echo "# no rows stored after the refused DROP TABLE"
	check_eq "the capture goes on after the refused DROP TABLE (state, more rows than the $stored then)" \
		"$(status_of "$V0" "state, rows_stored > ${stored:-0}")" "running t"
	psql_at >"$WORK/drop.out" 2>&1 <<-EOF
		BEGIN;
		ALTER EXTENSION pktcapture DROP TABLE packets;
		ALTER EXTENSION pktcapture DROP SEQUENCE packets_id_seq;
		DROP TABLE packets;
		COMMIT;
	EOF
	rc=$?
	check "ALTER EXTENSION pktcapture DROP TABLE packets; DROP TABLE packets (while the capture runs)" \
		[ "$rc" -eq 0 ] || cat "$WORK/drop.out"
	check "server log: \"table packets is gone, stopping the capture on interface \"$V0\"\"" \
		log_shows 15 "$off2" "\[$pid2\] LOG:  pktcapture: table packets is gone, stopping the capture on interface \"$V0\""
	check "server log: the worker says the capture stopped" \
		log_shows 10 "$off2" "\[$pid2\] LOG:  pktcapture: capture stopped on interface"
	check "worker $pid2 exited" wait_until 5 gone "$pid2"
	st=$(status_of "$V0" "state, error")
	check "pkt_status: state failed, error says the table was dropped ($st)" eval '[[ $st == "failed "*dropped* ]]'
	# pkt_runs still exists: the ledger must say how the run ended
	check_eq "pkt_runs (still there) records the end of run $run2: state, error" \
		"$(psql_at -F '|' -c "SELECT state, error FROM pkt_runs WHERE run_id = $run2")" \
		"failed|table packets was dropped"
	wait "$RP"
	grep -a -A1 "\[$pid2\] LOG:  pktcapture: \(table packets is gone\|capture stopped\)" "$LOG" | sed 's/^/#   /'
	pm_check "after DROP TABLE"
	check "DROP EXTENSION; CREATE EXTENSION pktcapture afterwards" \
		psql_at -c "DROP EXTENSION pktcapture" -c "CREATE EXTENSION pktcapture" ||
		fatal "no extension to go on with"
fi

if section drop-extension "2b. DROP EXTENSION pktcapture while capturing"; then
	[ -f "$WORK/drop.pcap" ] || must "traffic: drop" gen_traffic drop --count 24000 --seed 12 --mac "$MAC_GEN" --profile side
	off2b=$(log_size)
	start_on_v0 pid2b "$FILTER_GEN"
	replay drop --pps=4000 &
	RP=$!
	track_bg "$RP"
	writing "$pid2b" || echo "# the capture on $V0 wrote no rows in 30 s"
	psql_at -c "DROP EXTENSION pktcapture" >/dev/null 2>"$WORK/dropext.err"
	rc=$?
	check "DROP EXTENSION pktcapture while the capture runs" [ "$rc" -eq 0 ] || cat "$WORK/dropext.err"
	check "server log: \"table packets is gone, stopping the capture\" after DROP EXTENSION" \
		log_shows 15 "$off2b" "\[$pid2b\] LOG:  pktcapture: table packets is gone, stopping the capture on interface \"$V0\""
	check "worker $pid2b exited" wait_until 5 gone "$pid2b"
	wait "$RP"
	check "CREATE EXTENSION pktcapture after DROP EXTENSION" psql_at -c "CREATE EXTENSION pktcapture" ||
		fatal "no extension to go on with"
	st=$(status_of "$V0" "state, pid, error")
	check "pkt_status (new extension, same shared memory): failed, error says the table was dropped ($st)" \
		eval '[[ $st == "failed "*dropped* ]]'
	log_since "$off2b" | grep -aE "(WARNING|ERROR|FATAL):" | grep -v "STATEMENT" | head -5 | sed 's/^/#   log: /'
	must "traffic: after" gen_traffic after --count 6000 --seed 13 --mac "$MAC_GEN" --profile side
	start_on_v0 pid2c "$FILTER_GEN"
	run2c=$(run_of "$V0")
	replay after --topspeed
	replay_check after
	capture_saw "$pid2c" "$(jget after matching)" || echo "# the capture has not seen every frame"
	psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
	check_eq "a new capture after CREATE EXTENSION: rows == generated IP frames, pkt_status stopped, frames, not_stored" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $run2c") $(status_of "$V0" "state, frames, not_stored, kernel_dropped")" \
		"$(jget after ip) stopped $(jget after matching) 0 0"
	check_eq "the new capture's ledger: state, rows_stored" \
		"$(psql_at -F ' ' -c "SELECT state, rows_stored FROM pkt_runs WHERE run_id = $run2c")" "stopped $(jget after ip)"
	pm_check "after DROP EXTENSION"
fi

if section idle-drop "2c. a capture idle while the extension is dropped and created again"; then
	# Its run id now names another run in the new ledger.  Its frames come
	# after CREATE EXTENSION: it must not write into that run (README: the
	# capture stops when the table is gone).
	[ -f "$WORK/after.pcap" ] || must "traffic: after" gen_traffic after --count 6000 --seed 13 --mac "$MAC_GEN" --profile side
	off2c=$(log_size)
	start_on_v0 pid2d "$FILTER_GEN"
	run2d=$(run_of "$V0")
	must "DROP EXTENSION; CREATE EXTENSION with an idle capture" \
		psql_at -c "DROP EXTENSION pktcapture" -c "CREATE EXTENSION pktcapture"
	# loads until the new ledger holds run $run2d (a file run)
	LOADFILE=$CORPUS/IGMP_V1.pcap
	for _ in $(seq 1 "$run2d"); do
		psql_at -c "SET client_min_messages = error" -c "SELECT pkt_load('$LOADFILE')" >/dev/null
	done
	before2c=$(psql_at -F ' ' -c "SELECT kind, frames, packets, rows_stored, state FROM pkt_runs WHERE run_id = $run2d")
	echo "# worker $pid2d serves run $run2d of the dropped ledger; run $run2d of the new one: $before2c"
	step "run $run2d of the new ledger is a load ('$before2c')" eval '[[ $before2c == file* ]]'
	replay after --topspeed
	# its frames reached it (or it stopped, the table being gone)
	capture_saw "$pid2d" "$(jget after matching)" || echo "# the capture has not seen every frame"
	psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
	check_eq "run $run2d of the new ledger (a load) is untouched by the old capture" \
		"$(psql_at -F ' ' -c "SELECT kind, frames, packets, rows_stored, state FROM pkt_runs WHERE run_id = $run2d")" \
		"$before2c"
	check_eq "no row of the old capture filed under run $run2d of the new ledger" \
		"$(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $run2d AND interface IS NOT NULL")" 0
	log_since "$off2c" | grep -a "\[$pid2d\]" | grep -aE "LOG|WARNING" | head -4 | sed 's/^/#   log: /'
	pm_check "after the idle capture test"
fi

# ---------------------------------------------------------------------------
if section load "3. pkt_load of the corpus and mutated files"; then
	mutants
	nfiles=$(wc -l <"$WORK/index.tsv")
	off3=$(log_size)
	max_run3=$(psql_at -c "SELECT coalesce(max(run_id), 0) FROM pkt_runs")
	{
		echo "SET client_min_messages = error;"
		echo "SET statement_timeout = '60s';"
		cut -f1 "$WORK/index.tsv" | while IFS= read -r f; do
			echo "SELECT 'LOAD', \$p\$$f\$p\$, pkt_load(\$p\$$f\$p\$);"
		done
		echo "SELECT 'DONE';"
	} >"$WORK/load.sql"
	t3=$SECONDS
	timeout 180 psql -X -q -At -F $'\t' -v ON_ERROR_STOP=0 -U postgres -d postgres \
		-f "$WORK/load.sql" >"$WORK/load.out" 2>"$WORK/load.err"
	load_rc=$?
	nload=$(grep -c '^LOAD' "$WORK/load.out")
	nerr=$(grep -c 'ERROR:' "$WORK/load.err")
	echo "# $nfiles files in $((SECONDS - t3)) s: $nload loaded, $nerr refused; errors by message:"
	grep -a 'ERROR:' "$WORK/load.err" | sed 's/.*ERROR: *//; s/"[^"]*"/"..."/g' | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
	grep -a 'DETAIL:' "$WORK/load.err" | sed 's/.*DETAIL: *//; s/[0-9][0-9.]*/N/g' | sort | uniq -c | sort -rn | head -6 | sed 's/^/#   /'
	check_eq "the psql session read the whole script (exit 0, last statement ran)" \
		"$load_rc $(tail -1 "$WORK/load.out")" "0 DONE"
	check_eq "every file was loaded or refused with an error (no lost session)" "$((nload + nerr))" "$nfiles"
	check_eq "every corpus file loads" \
		"$(awk -F'\t' '$1 == "LOAD"' "$WORK/load.out" | cut -f2 | grep -cvF "$MUT/")" "$(grep -c $'\tcorpus\t' "$WORK/index.tsv")"
	refused_other=$(grep -a 'ERROR:' "$WORK/load.err" | grep -v 'could not open capture file' | head -3)
	check_eq "every refused file was refused by libpcap at open (errors other than could not open capture file)" \
		"$refused_other" ""
	pm_check "after $nfiles loads"
	crash=$(crash_lines "$LOG" "$off3" "exited with exit code")
	check_eq "server log: no crash, no PANIC during the loads" "$(head -5 <<<"$crash")" ""
	# the ledger of every load
	awk -F'\t' '$1 == "LOAD" { print $2 "\t" $3 }' "$WORK/load.out" >"$WORK/loaded.tsv"
	must "the loads' results in a table" psql_at <<-EOF
		CREATE TEMP TABLE loaded (path text, ret bigint);
		\copy loaded FROM '$WORK/loaded.tsv'
		CREATE TABLE robust_loaded AS SELECT * FROM loaded;
	EOF
	check_eq "one ledger row per successful load, each in state stopped" \
		"$(psql_at -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'stopped') FROM pkt_runs WHERE run_id > $max_run3")" \
		"$nload $nload"
	check_eq "the ledger agrees with what pkt_load returned and with the rows in packets, per load" \
		"$(psql_at -c "WITH r AS (SELECT run_id, source, rows_stored FROM pkt_runs WHERE run_id > $max_run3),
			p AS (SELECT run_id, count(*) n FROM packets WHERE run_id > $max_run3 GROUP BY 1),
			l AS (SELECT path, sum(ret) ret, count(*) k FROM robust_loaded GROUP BY 1),
			rr AS (SELECT source, sum(rows_stored) s, count(*) k FROM r GROUP BY 1)
			SELECT (SELECT count(*) FROM r LEFT JOIN p USING (run_id) WHERE r.rows_stored <> coalesce(p.n, 0))
			    + (SELECT count(*) FROM l FULL JOIN rr ON l.path = rr.source
			       WHERE l.ret IS DISTINCT FROM rr.s OR l.k IS DISTINCT FROM rr.k)")" 0
	inv=$(psql_at -F ' ' -c "SELECT count(*),
		count(*) FILTER (WHERE frames <> packets + truncated + malformed + unsupported + not_ip),
		count(*) FILTER (WHERE packets <> rows_stored + not_stored),
		count(*) FILTER (WHERE packets <> rows_stored + not_stored
		                 AND packets + truncated + malformed + unsupported + not_ip - frames
		                     = packets - rows_stored - not_stored),
		coalesce(sum(packets - rows_stored - not_stored), 0)
		FROM pkt_runs WHERE run_id > $max_run3")
	read -r inv_n inv_1 inv_2 inv_same inv_excess <<<"$inv"
	echo "# ledger of $inv_n loads: $inv_1 break frames = packets + truncated + malformed + unsupported + not_ip, $inv_2 break packets = rows_stored + not_stored ($inv_same of them by the same excess; $inv_excess packets counted twice in all)"
	check_eq "ledger of every load: frames == packets + truncated + malformed + unsupported + not_ip (loads breaking it)" "$inv_1" 0
	check_eq "ledger of every load: packets == rows_stored + not_stored (loads breaking it)" "$inv_2" 0
	if [ "$inv_1" != 0 ] || [ "$inv_2" != 0 ]; then
		echo "#   e.g. (source, frames, packets, rows_stored, not_stored, truncated, malformed, unsupported, not_ip):"
		psql_at -F ' ' -c "SELECT regexp_replace(source, '^.*/', ''), frames, packets, rows_stored, not_stored,
			truncated, malformed, unsupported, not_ip FROM pkt_runs WHERE run_id > $max_run3
			AND packets <> rows_stored + not_stored ORDER BY source NOT LIKE '$CORPUS/%', run_id LIMIT 4" |
			sed 's/^/#     /'
	fi
	check_eq "no load left a slot running" \
		"$(psql_at -c "SELECT count(*) FROM pkt_status() WHERE kind = 'file' AND state NOT IN ('stopped', 'failed')")" 0
fi

# ---------------------------------------------------------------------------
if section wire "4. corpus and mutated Ethernet files replayed at full speed"; then
	mutants
	# every Ethernet file (link type 1) of the corpus and of the mutants: their
	# frames, damaged files up to the damage, merged into one file for one
	# tcpreplay (test/robust/wire_merge.py), sent ROBUST_WIRE_LOOPS times
	awk -F'\t' '$3 == 1 { print $1 }' "$WORK/index.tsv" >"$WORK/wire.list"
	# shellcheck disable=SC2046
	must_get wire "wire_merge.py: the Ethernet files in one" \
		"$PY" "$here/robust/wire_merge.py" --out "$WORK/wire.pcap" $(cat "$WORK/wire.list")
	echo "# $(wc -l <"$WORK/wire.list") Ethernet files: $wire"
	off4=$(log_size)
	must "tcpdump on $V0" tcpdump_start "$V0" "$WORK/ref-wire.pcap" "$FILTER_HOSTILE"
	start_on_v0 pid4 "$FILTER_HOSTILE"
	run4=$(run_of "$V0")
	timeout 120 ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" --topspeed --loop="$ROBUST_WIRE_LOOPS" \
		"$WORK/wire.pcap" >"$WORK/wire.tcpreplay" 2>&1
	sent=$(tcpreplay_sent "$WORK/wire.tcpreplay")
	sendfail=$(sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p' "$WORK/wire.tcpreplay" | head -1)
	echo "# tcpreplay --topspeed --loop=$ROBUST_WIRE_LOOPS: $sent frames sent, $sendfail refused by the kernel"
	step "tcpreplay sent the hostile frames ($sent)" [ "${sent:-0}" -gt 0 ] || tail -5 "$WORK/wire.tcpreplay"
	# every frame the kernel sent reaches both, whose filter keeps them all
	capture_saw "$pid4" "${sent:-0}" || echo "# the capture has not seen every frame sent"
	check_eq "after the hostile frames: the capture runs, its worker is alive" \
		"$(status_of "$V0" "state, pid") $(kill -0 "$pid4" 2>/dev/null && echo alive)" "running $pid4 alive"
	psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
	stop_tcpdump "$WORK/ref-wire.pcap" "${sent:-0}"
	read -r c r d <<<"$(tcpdump_stats "$WORK/ref-wire.pcap")"
	step "reference tcpdump complete (captured $c, received by filter $r, dropped $d)" \
		eval '[ "$c" == "$r" ] && [ "$d" == 0 ] && [ "${c:-0}" -gt 0 ]'
	st4=$(status_of "$V0" "state, frames, kernel_dropped, not_stored, rows_pending, rows_stored")
	check_eq "pkt_status after pkt_stop: stopped, frames seen == tcpdump's frames, no kernel drop, nothing lost or pending" \
		"$st4" "stopped $c 0 0 0 $(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $run4")"
	check_eq "pkt_status: frames == packets + truncated + malformed + unsupported + not_ip, packets == rows_stored + not_stored" \
		"$(status_of "$V0" "frames = packets + truncated + malformed + unsupported + not_ip, packets = rows_stored + not_stored")" "t t"
	check_eq "pkt_runs of the run: state, frames, rows_stored, and its two invariants" \
		"$(psql_at -F ' ' -c "SELECT state, frames, rows_stored, frames = packets + truncated + malformed + unsupported + not_ip,
			packets = rows_stored + not_stored FROM pkt_runs WHERE run_id = $run4")" "stopped $c $(status_of "$V0" "rows_stored") t t"
	echo "# $(status_of "$V0" "'frames=' || frames, 'packets=' || packets, 'truncated=' || truncated, 'malformed=' || malformed, 'not_ip=' || not_ip, 'ports_truncated=' || ports_truncated")"
	crash=$(crash_lines "$LOG" "$off4" "exited with exit code")
	check_eq "server log: no crash during the hostile frames" "$(head -5 <<<"$crash")" ""
	check "server log: the capture stopped cleanly" \
		log_shows 5 "$off4" "\[$pid4\] LOG:  pktcapture: capture stopped on interface \"$V0\""
	pm_check "after the hostile frames"
fi

# ---------------------------------------------------------------------------
if section search-path "5. a capturing role with a hostile search_path"; then
	mutants
	must "role capturer (pkt_start, pkt_stop, pkt_load; no privilege on packets) and its schema evil" \
		psql_at <<-'EOF'
		CREATE ROLE capturer LOGIN;
		GRANT EXECUTE ON FUNCTION pkt_start(text, text), pkt_stop(text), pkt_load(text), pkt_status() TO capturer;
		GRANT pg_read_server_files TO capturer;
		CREATE SCHEMA evil AUTHORIZATION capturer;
		CREATE TABLE evil.marker (who text, session_role text, what text, at timestamptz DEFAULT clock_timestamp());
		ALTER TABLE evil.marker OWNER TO capturer;
		GRANT INSERT, SELECT ON evil.marker TO PUBLIC;
	EOF
	# the hijackers, created by the role itself: each leaves a marker row and
	# a WARNING, then does what the real one does
	must "capturer's hijackers in schema evil: unnest, date_bin, = <> +" \
		as_role capturer <<-'EOF'
		SET search_path = evil, pg_catalog;
		CREATE FUNCTION evil.mark(what text) RETURNS void LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO evil.marker (who, session_role, what)
				VALUES (current_user, session_user, what);
			RAISE WARNING 'EVIL-HIJACK: % ran as %', what, current_user;
		END $$;
		CREATE FUNCTION evil.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('unnest'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
		CREATE FUNCTION evil.date_bin(i interval, t timestamptz, o timestamptz) RETURNS timestamptz
			LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('date_bin'); RETURN pg_catalog.date_bin(i, t, o); END $$;
		CREATE FUNCTION evil.eq4(a int4, b int4) RETURNS bool LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('int4 ='); RETURN a OPERATOR(pg_catalog.=) b; END $$;
		CREATE OPERATOR evil.= (LEFTARG = int4, RIGHTARG = int4, FUNCTION = evil.eq4);
		CREATE FUNCTION evil.ne4(a int4, b int4) RETURNS bool LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('int4 <>'); RETURN a OPERATOR(pg_catalog.<>) b; END $$;
		CREATE OPERATOR evil.<> (LEFTARG = int4, RIGHTARG = int4, FUNCTION = evil.ne4);
		CREATE FUNCTION evil.eqt(a text, b text) RETURNS bool LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('text ='); RETURN a OPERATOR(pg_catalog.=) b; END $$;
		CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eqt);
		CREATE FUNCTION evil.plus8(a int8, b int8) RETURNS int8 LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('int8 +'); RETURN a OPERATOR(pg_catalog.+) b; END $$;
		CREATE OPERATOR evil.+ (LEFTARG = int8, RIGHTARG = int8, FUNCTION = evil.plus8);
		CREATE FUNCTION evil.plus4(a int4, b int4) RETURNS int4 LANGUAGE plpgsql AS $$
		BEGIN PERFORM evil.mark('int4 +'); RETURN a OPERATOR(pg_catalog.+) b; END $$;
		CREATE OPERATOR evil.+ (LEFTARG = int4, RIGHTARG = int4, FUNCTION = evil.plus4);
		-- the hijackers work when called
		SELECT 1 = 1, 'a' = 'a', 1::int8 + 1::int8, count(*) FROM unnest(ARRAY[1, 2]);
		DELETE FROM evil.marker;
	EOF
	# a reference load of the file compared below, as the superuser, default settings
	EVILFILE=$CORPUS/$(awk -F'\t' '$2 == "corpus" && $3 == 1 { print $5 }' "$WORK/index.tsv" | head -40 | tail -1)
	psql_at -c "SET client_min_messages = error" -c "SELECT pkt_load('$EVILFILE')" >/dev/null
	must_get ref_run "a reference load of $EVILFILE" \
		psql_at -c "SELECT max(run_id) FROM pkt_runs WHERE source = '$EVILFILE'"
	COLS="capture_time, src_ip, dst_ip, protocol, packet_size, ip_version, ip_proto, src_port, dst_port, tcp_flags, captured_size, vlan_id, interface"

	evil_round() {	# evil_round LABEL SEARCH_PATH SEED
		local label=$1 sp=$2 seed=$3 off pidc runc runl marks
		echo "# search_path = $sp"
		psql_at -c "ALTER ROLE capturer SET search_path = $sp" >/dev/null
		off=$(log_size)
		must "traffic: evil$seed" gen_traffic "evil$seed" --count 5000 --seed "$seed" --mac "$MAC_GEN" --profile main
		pidc=$(as_role capturer -c "SELECT pkt_start('$V0', '$FILTER_GEN')")
		check "[$label] capturer: pkt_start (worker $pidc)" [ -n "$pidc" ] || return
		runc=$(run_of "$V0")
		replay "evil$seed" --topspeed
		capture_saw "$pidc" "$(jget "evil$seed" matching)" || echo "# the capture has not seen every frame"
		as_role capturer -c "SELECT pkt_stop('$V0')" >/dev/null
		check_eq "[$label] capture as capturer: rows, ledger rows_stored, state == generated IP frames" \
			"$(psql_at -F ' ' -c "SELECT (SELECT count(*) FROM packets WHERE run_id = $runc), rows_stored, state
				FROM pkt_runs WHERE run_id = $runc")" "$(jget "evil$seed" ip) $(jget "evil$seed" ip) stopped"
		as_role capturer -c "SET client_min_messages = error" -c "SELECT pkt_load('$EVILFILE')" >/dev/null ||
			not_ok "[$label] capturer: pkt_load failed"
		runl=$(psql_at -c "SELECT max(run_id) FROM pkt_runs WHERE source = '$EVILFILE'")
		[ "${runl:-0}" != "$ref_run" ] || runl=0
		check_eq "[$label] pkt_load as capturer: the same rows as the superuser's load (rows differing, either way)" \
			"$(psql_at -c "SELECT (SELECT count(*) FROM (SELECT $COLS FROM packets WHERE run_id = $runl
				EXCEPT ALL SELECT $COLS FROM packets WHERE run_id = $ref_run) a)
				+ (SELECT count(*) FROM (SELECT $COLS FROM packets WHERE run_id = $ref_run
				EXCEPT ALL SELECT $COLS FROM packets WHERE run_id = $runl) b)
				|| ' ' || (SELECT count(*) FROM packets WHERE run_id = $runl)")" \
			"0 $(psql_at -c "SELECT count(*) FROM packets WHERE run_id = $ref_run")"
		marks=$(psql_at -F ' ' -c "SELECT what || ' as ' || who || ': ' || count(*) FROM evil.marker GROUP BY who, what ORDER BY 1")
		if [ -z "$marks" ] && ! log_has "$off" "EVIL-HIJACK"; then
			ok "[$label] no function or operator of schema evil ever ran (marker table empty, no EVIL-HIJACK in the log)"
		else
			not_ok "[$label] schema evil hijacked pktcapture's statements: ${marks//$'\n'/; }"
			echo "    statements that called them (server log, CONTEXT):"
			log_since "$off" | grep -a -A8 "EVIL-HIJACK" | grep -a $'^\tSQL statement' | grep -av "evil\.mark" |
				cut -c1-150 | sort | uniq -c | sort -rn | head -4 | sed 's/^ */    /'
		fi
		psql_at -c "DELETE FROM evil.marker" >/dev/null
	}
	evil_round "evil, public" "evil, public" 21
	evil_round "evil, pg_catalog, public" "evil, pg_catalog, public" 22
	psql_at -c "ALTER ROLE capturer RESET search_path" >/dev/null
fi

if section timeout "5b. ALTER DATABASE ... SET statement_timeout = '1ms'"; then
	must "ALTER DATABASE postgres SET statement_timeout = '1ms'" \
		psql_at -c "ALTER DATABASE postgres SET statement_timeout = '1ms'"
	step "a new session without client options gets statement_timeout 1ms" \
		eval '[ "$(PGOPTIONS="" psql -X -At -U postgres -d postgres -c "SHOW statement_timeout" 2>&1)" = 1ms ]'
	off5=$(log_size)
	must "traffic: stmt" gen_traffic stmt --count 30000 --seed 23 --mac "$MAC_GEN" --profile main
	start_on_v0 pid5 "$FILTER_GEN"
	run5=$(run_of "$V0")
	replay stmt --topspeed
	replay_check stmt
	capture_saw "$pid5" "$(jget stmt matching)" || echo "# the capture has not seen every frame"
	psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
	check_eq "capture under the database's statement_timeout 1ms: rows, rows_stored, not_stored, state" \
		"$(psql_at -F ' ' -c "SELECT (SELECT count(*) FROM packets WHERE run_id = $run5), rows_stored, not_stored, state FROM pkt_runs WHERE run_id = $run5")" \
		"$(jget stmt ip) $(jget stmt ip) 0 stopped"
	nto=$(log_since "$off5" | grep -a "\[$pid5\]" | grep -ac "could not write")
	check_eq "the worker's batches never failed (no \"could not write\" from worker $pid5)" "$nto" 0
	echo "# worker batches: $(status_of "$V0" "'last_batch_ms=' || round(last_batch_ms::numeric, 1)") (well over 1 ms: statement_timeout is not armed for SPI in a background worker)"

	# pkt_load in a session under the 1ms timeout: all or nothing
	BIGFILE=$(ls -S "$CORPUS"/*.pcap | head -1)
	rows_before=$(psql_at -c "SELECT count(*) FROM packets")
	runs_before=$(psql_at -c "SELECT count(*) FROM pkt_runs")
	t_before=$(psql_at -c "SELECT now()")
	out=$(PGOPTIONS='' psql -X -At -U postgres -d postgres -c "SELECT pkt_load('$BIGFILE')" 2>&1)
	rows_after=$(psql_at -c "SELECT count(*) FROM packets")
	runs_after=$(psql_at -c "SELECT count(*) FROM pkt_runs")
	if grep -q "canceling statement due to statement timeout" <<<"$out"; then
		check_eq "pkt_load cancelled by statement_timeout 1ms: no row, no ledger row left behind" \
			"$((rows_after - rows_before)) $((runs_after - runs_before))" "0 0"
		check_eq "pkt_load cancelled: no slot left running (state of its slot, if it got one)" \
			"$(psql_at -c "SELECT coalesce((SELECT state FROM pkt_status() WHERE interface = '$BIGFILE'
				AND started_at >= '$t_before' ORDER BY started_at DESC LIMIT 1), 'failed')")" failed
	else
		check_eq "pkt_load under statement_timeout 1ms completed: rows added == its result" \
			"$((rows_after - rows_before))" "$out"
	fi

	# pkt_start cancelled by a statement timeout: if the caller gets an error,
	# no capture may run behind its back
	orphan="" hit=0 trail=""
	for to in 1 2 3 4 5 7 10 15 20 30 40; do
		last=$(status_of "$V0" "started_at")
		out=$(PGOPTIONS="-c statement_timeout=${to}ms" psql -X -At -U postgres -d postgres \
			-c "SELECT pkt_start('$V0', '$FILTER_GEN')" 2>&1)
		# a worker it launched has come to its end state: running (an orphan)
		# or failed; a start that launched none leaves the last slot as it was
		cluster_poll 10 "SELECT coalesce((SELECT state NOT IN ('starting', 'stopping') FROM pkt_status()
			WHERE interface = '$V0' ORDER BY started_at DESC LIMIT 1), true)" ||
			echo "# the slot on $V0 is still starting or stopping after 10 s"
		st=$(status_of "$V0" "state")
		launched=no
		[ "$(status_of "$V0" "started_at")" != "$last" ] && launched=yes
		if grep -q "ERROR" <<<"$out"; then
			trail="$trail ${to}ms:error(worker launched: $launched, then $st)"
			[ "$launched" = yes ] && hit=$((hit + 1))
			if [ "$launched" = yes ] && { [ "$st" = running ] || [ "$st" = starting ]; }; then
				orphan="statement_timeout ${to}ms: pkt_start said '$(grep ERROR <<<"$out" | head -1)', yet pkt_status says $st (worker $(status_of "$V0" "pid"))"
				psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
				break
			fi
		else
			trail="$trail ${to}ms:started"
			psql_at -c "SELECT pkt_stop('$V0')" >/dev/null
		fi
	done
	echo "# pkt_start under statement_timeout:$trail"
	if [ -n "$orphan" ]; then
		not_ok "pkt_start cancelled by its statement_timeout left a capture running: $orphan"
	elif [ "$hit" -gt 0 ]; then
		ok "pkt_start cancelled by its statement_timeout after launching its worker ($hit times) left no capture running"
	else
		echo "# not checked: the statement timeout never cancelled pkt_start after its worker's launch"
	fi
	must "ALTER DATABASE postgres RESET statement_timeout" \
		psql_at -c "ALTER DATABASE postgres RESET statement_timeout"
	pm_check "after the hostile settings"
fi

# ---------------------------------------------------------------------------
heading "6. server health"
pm_check "since the start"
check_eq "the library and the extension script were not reinstalled during the test (md5)" \
	"$(cat "$SO" "$EXT_SQL" 2>/dev/null | md5sum)" "$SO_ID"
crash=$(crash_lines "$LOG" 0 "exited with exit code")
if [ -z "$crash" ]; then
	ok "server log: no process terminated by a signal, no crash, no restart"
else
	not_ok "server log reports a crash"
	sed 's/^/    /' <<<"$crash" | head -20
fi
check_eq "no capture left running" \
	"$(psql_at -c "SELECT count(*) FROM pkt_status() WHERE state IN ('starting', 'running', 'stopping')")" 0

finish
