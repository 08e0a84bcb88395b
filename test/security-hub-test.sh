#!/bin/bash
# test/security-hub-test.sh: what a sensor's admin can do to a hub.
#
#   test/security-hub-test.sh      (as root; 1.5 minutes, 3.5 where the
#                                   hub makes every partition asked for)
#   ONLY=stalled test/security-hub-test.sh   one section (--sections lists them)
#
# PG_BINDIR=DIR runs the clusters with another installation's binaries
# and extension (a copy with an older release in it, as the upgrade suite
# makes: its checks must fail there).
#
# The extension must be built and installed (make install).  Three
# throwaway clusters, no network namespace and no capture: sensors
# sensor-a and sensor-b, each with a file of the corpus loaded (pkt_load),
# and the hub, which loads a file of its own (its own run, sensor 'hub')
# and adds both sensors with pkt_hub_add, connecting as a role of their
# own (pkt_sensor_grant).  Then sensor-a's superuser attacks, through what
# sensor-a publishes: the hub must not trust a sensor's rows.
#
#   1. forged-rows: rows attributed to another: rows inserted at sensor-a naming
#      sensor-b, or the hub, in packets.sensor arrive at the hub as
#      sensor-a's, all of them, none under another's name.
#   2. ledger: another's ledger overwritten: a pkt_runs row inserted at sensor-a
#      with sensor-b's (sensor, run_id), one with the hub's own, and a
#      pkt_summary row keyed like one of sensor-b's: at the hub sensor-b's
#      run, the hub's own run and sensor-b's summaries are unchanged; nor
#      does sensor-a's own run, renamed by an UPDATE, become sensor-b's.
#   4. stalled: a stalled sensor (a TCP listener that never answers): pkt_hub_add of
#      it fails within 30 s; an added sensor pointed at it (its
#      subscription's connection) leaves pkt_hub_status() answering within
#      30 s, saying so, and the hub's worker going on with its rounds.
#      (Run before 3: without the bound of 3, thousands of partitions make
#      every look at packets at the hub slower, which is 3's concern.)
#   4c. held: a sensor that lets the hub in and holds the answer (its admin
#      locks pkt_runs): pkt_hub_status() answers within 20 s, saying so.
#   3. partitions: partitions bounded: 3000 far-future partitions inserted into
#      sensor-a's pkt_partitions make at most 50 at the hub, which can
#      still make a partition of its own (a load stores all its rows), and
#      sensor-a's subscription still streams (a new row arrives).
#
# Each check states the secure behaviour; one attack's failure never stops
# the others (an attacker's step that fails is counted as a failure, not
# as a pass).  The bounds on a hub's answers are a few times the deadline
# it gives each question to a sensor (pkt_hub_ask: 10 s for pkt_hub_add's,
# 5 s for pkt_hub_status()'s), not a pace.  Prints "ok - ..." /
# "not ok - ..." and "security-hub: N passed, M failed".  SECHUB_KEEP=1
# (or KEEP_WORK=1) keeps the work directory even when all pass.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections forged-rows ledger stalled held partitions
suite_init security-hub SECHUB_ "$@"
. "$here/lib/nodes.sh"

SECHUB_PARTITIONS=${SECHUB_PARTITIONS:-3000}	# attack 3's forged partitions

for cmd in psql "$PG_BINDIR/pg_config" setpriv timeout "$PY"; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done
[ -f "$("$PG_BINDIR/pg_config" --pkglibdir)/dblink.so" ] || fatal "dblink is not installed (Debian: postgresql-15)"
# the files: each its own hour (so the hub's load in 3 needs a new partition)
FILE_A=$CORPUS/dns_tcp_8053.pcap	# 2020-03-02 15h
FILE_B=$CORPUS/babel.pcap	# 2011-04-07 19h
FILE_HUB=$CORPUS/accecn_handshake.pcap	# 2022-07-26 06h
FILE_HUB2=$CORPUS/dhcpv6-mud.pcap	# 2016-12-08 12h
for f in "$FILE_A" "$FILE_B" "$FILE_HUB" "$FILE_HUB2"; do
	[ -r "$f" ] || fatal "corpus file $f is missing (PKT_CORPUS)"
done

LISTENER=""
declare -A PORT
NODES="sensor-a sensor-b hub"
WORK_NOTE="server logs in $WORK/*/server.log"

conninfo() { echo "host=$WORK/$1 port=${PORT[$1]} dbname=postgres user=pkthub"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# tsql NODE SECONDS SQL: psql under timeout; sets OUT (stdout and stderr),
# RC (124: timed out) and MS (milliseconds it took)
tsql() {
	local t0
	t0=$(now_ms)
	OUT=$(timeout "$2" psql -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/$1" -p "${PORT[$1]}" \
		-U postgres -d postgres -c "$3" 2>&1)
	RC=$?
	MS=$(($(now_ms) - t0))
}
# nrun NODE: SQL statements from stdin, each its own transaction
nrun() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/$1" -p "${PORT[$1]}" -U postgres -d postgres -f -; }
hsql() { nsql hub "$1"; }
# hsql_t SECONDS SQL: at the hub, its answer or its error, within SECONDS
hsql_t() {
	timeout "$1" psql -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/hub" -p "${PORT[hub]}" -U postgres \
		-d postgres -c "$2" 2>&1 || [ $? -ne 124 ] || echo "(no answer in $1 s)"
}
# added SENSOR: the hub has a subscription for it (else nothing can arrive)
added() {
	[ "$(hsql "SELECT count(*) FROM pkt_hub_sensors h JOIN pg_subscription s ON s.subname = h.subscription
		WHERE h.sensor = '$1'" 2>/dev/null)" = 1 ]
}

# A row of packets at a sensor: in the hour of the file it loaded (whose
# partition is there, and at the hub), n ms after its first row.
row_values() {	# row_values SRC_IP N [SENSOR]: a VALUES tuple
	local sensor=DEFAULT
	[ -n "${3:-}" ] && sensor="'$3'"
	echo "('$1', '192.0.2.1', 60, (SELECT min(capture_time) FROM packets) + interval '1 ms' * $2,
		4, 17, 40000, 53, 60, $sensor)"
}
ROW_COLUMNS="(src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, src_port, dst_port, captured_size, sensor)"
# marker NODE IP: a row of the sensor's own (sensor ''), committed after
# what it did before; caught_up NODE IP [SECONDS]: it reached the hub
# (the hub applies a subscription's transactions in commit order)
MARK=0
marker() {
	MARK=$((MARK + 1))
	nsql "$1" "INSERT INTO packets $ROW_COLUMNS VALUES $(row_values "$2" $((900000 + MARK)))" >/dev/null
}
caught_up() { node_until hub "${3:-90}" "SELECT count(*) > 0 FROM packets WHERE src_ip = '$2' AND sensor = '$1'"; }
# a sensor whose row did not come in time is waited for 30 s after (its
# stream is likely stuck: the suite stays short)
declare -A STUCK
check_caught_up() {	# check_caught_up SENSOR IP WHAT
	local t0=$SECONDS wait=90
	[ "${STUCK[$1]:-0}" = 1 ] && wait=30
	if ! added "$1"; then
		not_ok "$3: sensor $1 is not added to the hub (no subscription)"
	elif marker "$1" "$2"; then
		if caught_up "$1" "$2" "$wait"; then
			STUCK[$1]=0
			ok "$3: a row $1 inserted after it reached the hub ($((SECONDS - t0)) s)"
		else
			STUCK[$1]=1
			not_ok "$3: a row $1 inserted after it did not reach the hub within $wait s (sensor $1 is '$(hsql_t 35 "SELECT state || ': ' || coalesce(last_error, '') FROM pkt_hub_status() WHERE sensor = '$1'")')"
		fi
	else
		not_ok "$3: could not insert a row at $1"
	fi
}
# what the hub holds of a sensor, as the sensor holds it
SENSOR_FP="(SELECT count(*) FROM packets WHERE sensor = '') || ' ' ||
	(SELECT coalesce(string_agg(run_id || ':' || rows_stored, ',' ORDER BY run_id), '-') FROM pkt_runs WHERE sensor = '%s') || ' ' ||
	(SELECT coalesce(sum(packets), 0) FROM pkt_summary WHERE sensor = '%s')"
HUB_FP="(SELECT count(*) FROM packets WHERE sensor = '%s') || ' ' ||
	(SELECT coalesce(string_agg(run_id || ':' || rows_stored, ',' ORDER BY run_id), '-') FROM pkt_runs WHERE sensor = '%s') || ' ' ||
	(SELECT coalesce(sum(packets), 0) FROM pkt_summary WHERE sensor = '%s')"
# shellcheck disable=SC2059
at_sensor() { nsql "$1" "SELECT $(printf "$SENSOR_FP" "$1" "$1")"; }
# shellcheck disable=SC2059
at_hub() { hsql "SELECT $(printf "$HUB_FP" "$1" "$1" "$1")"; }
hub_equals() { [ "$(at_hub "$1" 2>/dev/null)" = "$2" ]; }
hub_has() {	# hub_has SENSOR SECONDS
	added "$1" && wait_until "$2" hub_equals "$1" "$(at_sensor "$1")"
}

# ---------------------------------------------------------------------------
heading "clusters: sensor-a, sensor-b and the hub"
installed() {	# the default version of the installation the clusters run
	sed -n "s/^default_version = '\(.*\)'/\1/p" "$("$PG_BINDIR/pg_config" --sharedir)/extension/pktcapture.control"
}
echo "# pktcapture installed: $(installed) ($("$PG_BINDIR/pg_config" --sharedir))"
for n in sensor-a sensor-b; do
	must "start $n" node_start "$n" "max_slot_wal_keep_size = '1GB'"
	must "CREATE EXTENSION on $n" nsql "$n" "CREATE EXTENSION pktcapture"
done
must "start the hub" node_start hub
must "CREATE EXTENSION pktcapture, dblink on the hub" nsql hub "CREATE EXTENSION pktcapture; CREATE EXTENSION dblink"
echo "# pktcapture in the clusters: $(hsql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")"
echo "# clusters: sensor-a on ${PORT[sensor-a]}, sensor-b on ${PORT[sensor-b]}, the hub on ${PORT[hub]}"
for n in sensor-a sensor-b; do
	must "a role pkthub at $n" nsql "$n" "CREATE ROLE pkthub LOGIN REPLICATION"
	msg=$(nsql "$n" "SELECT pkt_sensor_grant('pkthub')")
	check "$n lets the hub in as pkthub (pkt_sensor_grant: $msg)" \
		test "${msg#a hub may connect to this sensor as pkthub}" != "$msg"
done
loads() {	# loads NODE FILE: pkt_load stores rows there
	[ "$(nsql "$1" "SELECT pkt_load('$2')")" -gt 0 ]
}
must "sensor-a loads $(basename "$FILE_A")" loads sensor-a "$FILE_A"
must "sensor-b loads $(basename "$FILE_B")" loads sensor-b "$FILE_B"
must "the hub loads $(basename "$FILE_HUB") (its own run)" loads hub "$FILE_HUB"
check_eq "... in the hub's ledger under its own name" \
	"$(hsql "SELECT string_agg(sensor || ':' || state, ' ') FROM pkt_runs")" "hub:stopped"
for n in sensor-a sensor-b; do
	check_eq "pkt_hub_add('$n', ...)" "$(hsql "SELECT pkt_hub_add('$n', '$(conninfo "$n")')")" \
		"sensor $n added: its rows are copied, then follow as it captures" || fatal "$n is not added"
done
for n in sensor-a sensor-b; do
	if hub_has "$n" 60; then
		ok "the hub holds $n's rows, runs and summaries ($(at_hub "$n"))"
	else
		not_ok "the hub does not hold $n's rows, runs and summaries: $n has '$(at_sensor "$n")', the hub '$(at_hub "$n")'"
	fi
done
check "both sensors stream" node_until hub 30 \
	"SELECT count(*) = 2 FROM pkt_hub_status() WHERE state = 'streaming'"

# ---------------------------------------------------------------------------
if section forged-rows "1. rows attributed to another sensor"; then
	FORGED_B=203.0.113.77
	FORGED_HUB=203.0.113.78
	step "sensor-a's admin inserts 3 rows of sensor = 'sensor-b' ($FORGED_B)" \
		nsql sensor-a "INSERT INTO packets $ROW_COLUMNS VALUES $(row_values $FORGED_B 1 sensor-b),
			$(row_values $FORGED_B 2 sensor-b), $(row_values $FORGED_B 3 sensor-b)"
	step "sensor-a's admin inserts 3 rows of sensor = 'hub' ($FORGED_HUB)" \
		nsql sensor-a "INSERT INTO packets $ROW_COLUMNS VALUES $(row_values $FORGED_HUB 4 hub),
			$(row_values $FORGED_HUB 5 hub), $(row_values $FORGED_HUB 6 hub)"
	check_caught_up sensor-a 198.51.100.1 "sensor-a's replication caught up"
	check_eq "at the hub, none of them is sensor-b's or the hub's" \
		"$(hsql "SELECT count(*) FROM packets WHERE src_ip IN ('$FORGED_B', '$FORGED_HUB') AND sensor <> 'sensor-a'")" 0
	check_eq "... every one of them arrived as sensor-a's" \
		"$(hsql "SELECT coalesce(string_agg(sensor || '=' || n, ' ' ORDER BY sensor), 'none') FROM
			(SELECT sensor, count(*) AS n FROM packets WHERE src_ip IN ('$FORGED_B', '$FORGED_HUB') GROUP BY sensor) x")" \
		"sensor-a=6"
fi

# ---------------------------------------------------------------------------
if section ledger "2. another sensor's, or the hub's own, ledger overwritten"; then
	RUN_COLS="source || '|' || packets || '|' || rows_stored || '|' || state"
	B_RUN=$(hsql "SELECT coalesce(min(run_id), 0) FROM pkt_runs WHERE sensor = 'sensor-b'")
	H_RUN=$(hsql "SELECT coalesce(min(run_id), 0) FROM pkt_runs WHERE sensor = 'hub'")
	B_ROW=$(hsql "SELECT $RUN_COLS FROM pkt_runs WHERE sensor = 'sensor-b' AND run_id = $B_RUN")
	H_ROW=$(hsql "SELECT $RUN_COLS FROM pkt_runs WHERE sensor = 'hub' AND run_id = $H_RUN")
	SUM_B="SELECT count(*) || ' rows, ' || coalesce(sum(packets), 0) || ' packets, ' || coalesce(sum(bytes), 0) || ' bytes' FROM pkt_summary WHERE sensor = 'sensor-b'"
	B_SUM=$(hsql "$SUM_B")
	B_KEY=$(hsql "SELECT format('%L::interval, %L::timestamptz, %s, %s, %s', span, bucket, run_id, part, ip_proto)
		FROM pkt_summary WHERE sensor = 'sensor-b' ORDER BY span, bucket, part, ip_proto LIMIT 1")
	echo "# at the hub before: sensor-b run $B_RUN '$B_ROW', the hub's run $H_RUN '$H_ROW', sensor-b's summaries $B_SUM"
	forge_run() {	# forge_run SENSOR RUN_ID
		nsql sensor-a "INSERT INTO pkt_runs (run_id, sensor, kind, source, started_at, stopped_at, state,
				frames, packets, bytes, rows_stored)
			OVERRIDING SYSTEM VALUE VALUES ($2, '$1', 'file', '/forged/by/sensor-a', now(), now(), 'stopped',
				999999, 999999, 999999, 999999)" >/dev/null
	}
	step "sensor-a's admin inserts a pkt_runs row (sensor-b, $B_RUN), another source" forge_run sensor-b "${B_RUN:-1}"
	step "sensor-a's admin inserts a pkt_runs row (hub, $H_RUN)" forge_run hub "${H_RUN:-1}"
	step "sensor-a's admin inserts a pkt_summary row keyed like sensor-b's ($B_KEY)" \
		nsql sensor-a "INSERT INTO pkt_summary (span, bucket, run_id, part, ip_proto, packets, bytes,
			first_seen, last_seen, sensor) VALUES (${B_KEY:-NULL}, 999999, 999999, now(), now(), 'sensor-b')"
	check_caught_up sensor-a 198.51.100.2 "sensor-a's replication caught up"
	check_eq "at the hub, sensor-b's run $B_RUN is unchanged (source|packets|rows_stored|state)" \
		"$(hsql "SELECT coalesce(string_agg($RUN_COLS, ' '), 'none') FROM pkt_runs WHERE sensor = 'sensor-b' AND run_id = $B_RUN")" "$B_ROW"
	check_eq "... and the hub's own run $H_RUN" \
		"$(hsql "SELECT coalesce(string_agg($RUN_COLS, ' '), 'none') FROM pkt_runs WHERE sensor = 'hub' AND run_id = $H_RUN")" "$H_ROW"
	check_eq "... and sensor-b's summaries sum as before" "$(hsql "$SUM_B")" "$B_SUM"
	# (as sensor-a's own they may arrive: what a sensor says of itself is its own)
	check_eq "... and no run of another sensor or of the hub has the forged source" \
		"$(hsql "SELECT coalesce(string_agg(sensor || ':' || run_id, ' ' ORDER BY sensor), 'none') FROM pkt_runs
			WHERE source = '/forged/by/sensor-a' AND sensor <> 'sensor-a'")" "none"
	# the ledger is published with its updates too: sensor-a's own run renamed
	# (to a new run id of sensor-a's, which sensor-b has not: nothing collides)
	B_RUNS=$(hsql "SELECT coalesce(string_agg(run_id::text, ',' ORDER BY run_id), 'none') FROM pkt_runs WHERE sensor = 'sensor-b'")
	A_RUN=$(nsql sensor-a "SELECT min(run_id) FROM pkt_runs WHERE sensor = 'sensor-a'")
	step "sensor-a's admin renames its own run $A_RUN (UPDATE pkt_runs SET sensor = 'sensor-b', run_id = DEFAULT)" \
		nsql sensor-a "UPDATE pkt_runs SET sensor = 'sensor-b', run_id = DEFAULT WHERE sensor = 'sensor-a' AND run_id = ${A_RUN:-0}"
	check_caught_up sensor-a 198.51.100.6 "sensor-a's replication caught up"
	check_eq "at the hub, sensor-b's runs are still its own (run ids)" \
		"$(hsql "SELECT coalesce(string_agg(run_id::text, ',' ORDER BY run_id), 'none') FROM pkt_runs WHERE sensor = 'sensor-b'")" "$B_RUNS"
fi

# ---------------------------------------------------------------------------
if section stalled "4. a stalled sensor does not freeze the hub"; then
	# a listener that accepts connections and never answers, for 400 s at most
	"$PY" - "$WORK/listener.port" 400 <<-'EOF' &
	import os, select, socket, sys, time
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", 0))
	s.listen(64)
	with open(sys.argv[1] + ".tmp", "w") as f:
	    f.write(str(s.getsockname()[1]))
	os.rename(sys.argv[1] + ".tmp", sys.argv[1])
	held = []
	end = time.time() + float(sys.argv[2])
	while time.time() < end:
	    if select.select([s], [], [], 0.5)[0]:
	        held.append(s.accept()[0])
	EOF
	LISTENER=$!
	track_bg "$LISTENER"
	wait_until 10 test -s "$WORK/listener.port"
	LPORT=$(cat "$WORK/listener.port" 2>/dev/null)
	STALL="host=127.0.0.1 port=${LPORT:-1} dbname=postgres user=postgres"
	step "a listener on 127.0.0.1:$LPORT that never answers" [ -n "$LPORT" ]
	# (b) first, so that its wait for the hub's worker overlaps (a)
	B_CONN=$(hsql "SELECT subconninfo FROM pg_subscription WHERE subname = 'pktcapture:sensor-b'")
	step "the hub's superuser points sensor-b's subscription at it" \
		nsql hub "ALTER SUBSCRIPTION \"pktcapture:sensor-b\" CONNECTION '$STALL'"
	T0=$(hsql "SELECT clock_timestamp()")
	T0_S=$SECONDS
	LOG_AT=$(stat -c %s "$WORK/hub/server.log")

	# (a)
	tsql hub 60 "SELECT pkt_hub_add('stalled', '$STALL')"
	if [ "$RC" -eq 124 ]; then
		not_ok "(a) pkt_hub_add of a sensor that never answers returns an error within 30 s: no answer in 60 s"
		# its backend is freed when the listener goes, at the end of this section
		hsql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE query LIKE '%pkt_hub_add(''stalled''%' AND pid <> pg_backend_pid()" >/dev/null
	elif [ "$RC" -eq 0 ]; then
		not_ok "(a) pkt_hub_add of a sensor that never answers returns an error within 30 s: it succeeded ($OUT, $MS ms)"
	elif [ "$MS" -le 30000 ]; then
		ok "(a) pkt_hub_add of a sensor that never answers returns an error within 30 s ($MS ms: ${OUT%%$'\n'*})"
	else
		not_ok "(a) pkt_hub_add of a sensor that never answers returns an error within 30 s: $MS ms (${OUT%%$'\n'*})"
	fi

	# (b)
	tsql hub 60 "SELECT sensor || ':' || state FROM pkt_hub_status() ORDER BY 1"
	if [ "$RC" -eq 0 ] && [ "$MS" -le 30000 ]; then
		ok "(b) pkt_hub_status() returns within 30 s with sensor-b stalled ($MS ms: ${OUT//$'\n'/ })"
	else
		not_ok "(b) pkt_hub_status() returns within 30 s with sensor-b stalled: rc $RC after $MS ms (${OUT//$'\n'/ })"
		[ "$RC" -eq 124 ] && hsql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE query LIKE '%pkt_hub_status()%' AND pid <> pg_backend_pid()" >/dev/null
	fi
	# the state may take a moment to change (a worker restarting): at most 30 s
	# from the ALTER, each look bounded too
	b_not_streaming() {
		tsql hub 35 "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-b'"
		[ "$RC" -eq 0 ] && [ -n "$OUT" ] && [ "$OUT" != streaming ]
	}
	wait_until $((T0_S + 30 - SECONDS)) b_not_streaming
	said=$?
	check "... and says sensor-b is not streaming (state '$OUT', $(hsql "SELECT round(extract(epoch FROM clock_timestamp() - '$T0'::timestamptz))") s after the ALTER)" \
		[ "$said" = 0 ]
	check_eq "... while sensor-a streams on" \
		"$(hsql_t 35 "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-a'")" streaming
	# the hub's worker looks at its sensors every minute, and makes partitions
	# every pktcapture.maintenance_interval: a look begins within 60 s of the
	# ALTER; a step it began after that, and ended, is a round the stalled
	# sensor did not stop
	worker_on() {
		[ "$(hsql "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'
			AND state = 'idle' AND query_start > '$T0'::timestamptz + interval '61 s'")" = t ]
	}
	went_on=0
	[ "$(hsql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'")" = 0 ] &&
		echo "# the hub has no worker running"
	wait_until $((T0_S + 95 - SECONDS)) worker_on && went_on=1
	check "(b) the hub's worker goes on with its rounds (a step begun after its look at the stalled sensor ended; $(hsql "SELECT coalesce(string_agg(state || ' ''' || query || ''' since ' || round(extract(epoch FROM clock_timestamp() - state_change)) || ' s', '; '), 'no worker') FROM pg_stat_activity WHERE backend_type = 'pktcapture hub'"))" \
		[ "$went_on" = 1 ]
	echo "# the hub's log since the ALTER: $(tail -c +$((LOG_AT + 1)) "$WORK/hub/server.log" | grep -c 'pktcapture') lines" \
		"naming pktcapture, the last: $(tail -c +$((LOG_AT + 1)) "$WORK/hub/server.log" | grep 'pktcapture' | tail -1 | cut -c1-200)"
	# sensor-b's real connection back; the listener goes (whatever waits on it too)
	step "sensor-b's subscription gets its connection back" \
		nsql hub "ALTER SUBSCRIPTION \"pktcapture:sensor-b\" CONNECTION '$B_CONN'"
	kill "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
	if [ "$(hsql "SELECT count(*) FROM pkt_hub_sensors WHERE sensor = 'stalled'")" != 0 ]; then
		tsql hub 30 "SELECT pkt_hub_remove('stalled')"
	fi
	check_caught_up sensor-b 198.51.100.3 "sensor-b streams again"
fi

# ---------------------------------------------------------------------------
if section held "4c. a sensor that lets the hub in, then holds its question"; then
	# sensor-a's admin holds pkt_runs, which the hub's look at a sensor reads:
	# the connection succeeds, the answer never comes while the lock is held
	# (for 60 s at most; a real sensor could equally ignore the statement_timeout
	# a hub asks for)
	(nsql sensor-a "BEGIN; LOCK TABLE pkt_runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" \
		>/dev/null 2>&1) &
	HOLDER=$!
	track_bg "$HOLDER"
	step "sensor-a's admin holds its pkt_runs" node_until sensor-a 10 \
		"SELECT count(*) > 0 FROM pg_locks WHERE relation = 'pkt_runs'::regclass AND mode = 'AccessExclusiveLock' AND granted"
	tsql hub 40 "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-a'"
	if [ "$RC" -eq 0 ] && [ "$MS" -lt 20000 ]; then
		ok "pkt_hub_status() returns within 20 s while sensor-a holds the answer ($MS ms: ${OUT//$'\n'/ })"
	else
		not_ok "pkt_hub_status() returns within 20 s while sensor-a holds the answer: rc $RC after $MS ms (${OUT//$'\n'/ })"
	fi
	check_eq "... and says sensor-a did not answer" "$OUT" "sensor unreachable"
	kill "$HOLDER" 2>/dev/null
	nsql sensor-a "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'pkt_runs'::regclass
		AND mode = 'AccessExclusiveLock' AND pid <> pg_backend_pid()" >/dev/null
	check "... and streaming again once it answers" \
		node_until hub 30 "SELECT state = 'streaming' FROM pkt_hub_status() WHERE sensor = 'sensor-a'"
fi

# ---------------------------------------------------------------------------
if section partitions "3. partitions a sensor asks for are bounded"; then
	INH="SELECT count(*) FROM pg_inherits WHERE inhparent = 'packets'::regclass"
	P0=$(hsql "$INH")
	t0=$SECONDS
	# in transactions of 100, as a sensor's partitions usually come
	if for ((b = 0; b < SECHUB_PARTITIONS; b += 100)); do
		echo "INSERT INTO pkt_partitions (relname, range_start, range_end)
			SELECT 'packets_forged_' || i, '2200-01-01 00:00:00+00'::timestamptz + interval '1 hour' * i,
				'2200-01-01 00:00:00+00'::timestamptz + interval '1 hour' * (i + 1)
			FROM generate_series($b, $((b + 99))) AS g(i);"
	done | nrun sensor-a >/dev/null; then
		echo "# sensor-a's admin inserted $SECHUB_PARTITIONS rows into pkt_partitions (one hour each from 2200) in $((SECONDS - t0)) s"
	else
		not_ok "sensor-a's admin could not insert $SECHUB_PARTITIONS rows into pkt_partitions"
	fi
	check_caught_up sensor-a 198.51.100.4 "sensor-a's replication caught up"
	P1=$(hsql "$INH")
	check "at the hub, the partitions of packets grew by at most 50 ($P0 -> $P1)" [ $((P1 - P0)) -le 50 ]
	tsql hub 60 "SELECT pkt_partitions_ahead()"
	check "the hub makes the partitions of now and ahead (pkt_partitions_ahead(): $OUT, $MS ms)" [ "$RC" -eq 0 ]
	tsql hub 60 "SELECT pkt_load('$FILE_HUB2')"
	loaded=$OUT
	check_eq "the hub loads a file of an hour it had no partition for, every row stored (ledger packets, rows_stored, rows in packets)" \
		"$(hsql "SELECT packets || ' ' || rows_stored || ' ' || (SELECT count(*) FROM packets p WHERE p.sensor = '' AND p.run_id = r.run_id)
			FROM pkt_runs r WHERE sensor = 'hub' AND source = '$FILE_HUB2'")" "$loaded $loaded $loaded"
	check_caught_up sensor-a 198.51.100.5 "sensor-a's subscription still streams"
	check_eq "... pkt_hub_status() says so" \
		"$(hsql_t 60 "SELECT state FROM pkt_hub_status() WHERE sensor = 'sensor-a'")" streaming
fi

# ---------------------------------------------------------------------------
heading "the servers"
for n in $NODES; do
	check_eq "no crash in $n's log" "$(crash_lines "$WORK/$n/server.log" | head -3)" ""
done
echo "# pktcapture installed at the end: $(installed)"
finish
