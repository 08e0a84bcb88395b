#!/bin/bash
# test/quickstart-test.sh: the README's first command, as a new user runs it.
#
#   test/quickstart-test.sh      (as root; about half a minute)
#   ONLY=sensor test/quickstart-test.sh   one section (--sections lists them)
#
# ./quickstart.sh with its private cluster in a temporary directory (on a
# free port), capturing lo for a few seconds (PKT_INTERFACE, PKT_DURATION:
# no terminal), while UDP datagrams go to a random port on 127.0.0.1.
# Then (capture): it exits 0; every datagram is a row of packets (the
# sender counts them), stored from packetuser's capture, nothing lost;
# packetuser may read them, and pg_dump the database.  With PKT_SENSOR
# (sensor), the server is a sensor: its name, wal_level = logical, a bound
# on slot WAL, and the role pkthub may publish what a hub needs.  The
# cluster is removed after.
# Prints "ok - ..." / "not ok - ..." and "quickstart: N passed, M failed".
set -u
. "$(dirname "$0")/lib/suite.sh"
sections capture sensor
suite_init quickstart QUICKSTART_ "$@"

PORT=$(cluster_free_port) || fatal "no free port"
at_exit '[ -f "$WORK/qs/data/postmaster.pid" ] &&
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$WORK/qs/data" -m fast -w stop >/dev/null 2>&1'
WORK_NOTE="the quick start's output and server log"

UDP_PORT=$((20000 + RANDOM % 20000))
COUNT=500
q() { PGPASSWORD=packetpass psql -X -At -h localhost -p "$PORT" -U packetuser -d packetdb -c "$1"; }
# the capture of packetuser's runs (the quick start starts no other)
capturing() { [ "$(q "SELECT count(*) FROM pkt_status() WHERE interface = 'lo' AND state = 'running'" 2>/dev/null)" = 1 ]; }
# the datagrams, sent once the capture runs (the quick start captures for
# PKT_DURATION from then on; the wait is bounded by the quick start's own)
send() {
	wait_until 120 capturing || echo "# no capture on lo seen: sending anyway"
	python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(i.to_bytes(4, 'big') + b'q' * 40, ('127.0.0.1', int(sys.argv[1])))
    time.sleep(0.002)
" "$UDP_PORT" "$COUNT"
}

heading "./quickstart.sh, capturing lo, as a sensor"
send &
SENDER=$!
track_bg "$SENDER"
PKT_PRIVATE_DIR=$WORK/qs PKT_PRIVATE_PORT=$PORT PKT_INTERFACE=lo PKT_DURATION=6 PKT_SENSOR=qs-sensor \
	timeout 600 "$ROOT/quickstart.sh" </dev/null >"$WORK/out.txt" 2>&1
rc=$?
wait "$SENDER"
check_eq "./quickstart.sh exits 0" "$rc" 0 || tail -20 "$WORK/out.txt"

if section capture "packetuser's capture"; then
	check_eq "every datagram sent is a row, read as packetuser (the sender's count)" \
		"$(q "SELECT count(*) FROM packets WHERE protocol = 'UDP' AND dst_port = $UDP_PORT")" "$COUNT"
	check_eq "nothing lost (kernel dropped, not stored)" \
		"$(q "SELECT kernel_dropped + not_stored + not_stored_disk FROM pkt_runs WHERE source = 'lo'")" 0
	check "it printed the final statistics" grep -q "rows_stored" "$WORK/out.txt"
	check "packetuser may pg_dump packetdb" \
		eval 'PGPASSWORD=packetpass pg_dump -h localhost -p "$PORT" -U packetuser packetdb >"$WORK/dump.sql" 2>"$WORK/dump.err"'
	check "... and the dump holds the rows" grep -q "COPY public.packets_" "$WORK/dump.sql"
fi

# PKT_SENSOR: a sensor a hub can add, as the role pkthub
if section sensor "PKT_SENSOR: a sensor"; then
	check_eq "PKT_SENSOR: the server is sensor qs-sensor, with wal_level logical and bounded slot WAL" \
		"$(q "SELECT current_setting('pktcapture.sensor') || ' ' || current_setting('wal_level') || ' ' || current_setting('max_slot_wal_keep_size')")" \
		"qs-sensor logical 10GB"
	check_eq "... the runs carry its name" "$(q "SELECT string_agg(DISTINCT sensor, ',') FROM pkt_runs")" qs-sensor
	check_eq "... and a hub connecting as pkthub may publish what it needs" \
		"$(PGPASSWORD=$(cat "$WORK/qs/pkthub.password") psql -X -At -h localhost -p "$PORT" -U pkthub -d packetdb -c "SELECT pkt_sensor_publish()")" \
		qs-sensor
fi
finish
