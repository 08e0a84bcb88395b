#!/bin/bash
# test/metrics-test.sh: the Prometheus metrics of
# monitoring/pktcapture-queries.yaml, through the real postgres_exporter.
#
#   test/metrics-test.sh      (as root; about 20 s; the extension must be
#                              built and installed: make install)
#   ONLY=loads test/metrics-test.sh     one section (--sections lists them)
#
# A throwaway cluster preloading pktcapture, CREATE EXTENSION, and a role
# with pg_monitor only (not a superuser, may not read packets), as which
# /usr/bin/prometheus-postgres-exporter (Debian's package, installed if
# missing, its service never started) connects over the cluster's socket,
# on a free port of 127.0.0.1, with the queries file and the exporter's own
# metrics turned off.  Its /metrics is scraped (python3 urllib) and every
# pktcapture_* series compared with pkt_status() read at the same moment
# (pkt_status read before and after the scrape, and equal):
#   1. none: no capture yet: no pktcapture_* series, no error;
#   2. live: a live capture on lo, BPF filter for UDP to a random port, a known
#      number of datagrams sent: running 1, every value equal; after
#      pkt_stop: running 0, every value equal;
#   3. live: a second run on lo: the same series, counters from 0 again (what
#      rate() takes for a counter reset), a later start_time_seconds;
#   4. loads: dns_tcp_8053.pcap (11 packets) with its file as interface,
#      files with truncated, malformed, not-IP and unsupported frames, and
#      one loaded while the disk guard holds (pktcapture.min_free_space
#      99.99%): disk_guard_state 2, not_stored_disk_total, free space < 0;
#   every scrape: each series' labels (interface, kind, sensor; server),
#   exactly the metrics of the file, each with the # TYPE and # HELP the
#   file says, names as Prometheus names them (snake_case, counters in
#   _total, base units); pg_up 1, pg_exporter_last_scrape_error 0,
#   pg_exporter_user_queries_load_error 0; at the end, no warning or error
#   in the exporter's log.  The sensor label is pktcapture.sensor, whose
#   default is the host name.
# Prints "ok - ..." / "not ok - ..." and "metrics: N passed, M failed".
# METRICS_KEEP=1 (or KEEP_WORK=1) keeps the work directory (logs, scrapes)
# even when all pass.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections none live loads
suite_init metrics METRICS_ "$@"

EXPORTER=/usr/bin/prometheus-postgres-exporter
QUERIES=$ROOT/monitoring/pktcapture-queries.yaml
DNS_FILE=$CORPUS/dns_tcp_8053.pcap
# corpus files whose frames make other counters than packets non-zero:
# truncated (2), malformed (2, and 1 IP packet without its ports), not ip
# (4), unsupported link type (1)
LOSS_FILES="olsr-oobr-2.pcap hoobr_rt6_print.pcap dcb_pfc.pcap chdlc-slarp.pcap"
GUARD_FILE=kday2.pcap # 4 IP packets, 1 not ip: loaded while the disk guard holds
ROLE=pkt_metrics
N1=300 # datagrams of the first run
N2=120 # of the second

# Debian's exporter and PyYAML, if missing; a policy-rc.d that refuses keeps
# the package's service from starting (where none is there already)
need=()
[ -x "$EXPORTER" ] || need+=(prometheus-postgres-exporter)
"$PY" -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
	echo "# installing ${need[*]}"
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	rc=$?
	[ -n "$policy" ] && rm -f "$policy"
	[ $rc -eq 0 ] || fatal "apt-get install ${need[*]} failed"
fi
for f in "$EXPORTER" "$QUERIES" "$DNS_FILE"; do
	[ -e "$f" ] || fatal "$f is missing"
done
for cmd in psql pg_config setpriv; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

EXPORTER_PID=""
WORK_NOTE="exporter log, scrapes and server log"

sql_as_role() { psql -X -q -At -v ON_ERROR_STOP=1 -U "$ROLE" -d postgres -c "$1"; }

# the checker: fetch a scrape, compare it with pkt_status() (see check_scrape)
cat >"$WORK/check.py" <<'EOF'
import json, math, re, sys, urllib.request
from datetime import datetime

import yaml


def fetch(url, out):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read().decode()
    except Exception as e:
        print("fetch failed: %s" % e, file=sys.stderr)
        return 1
    open(out, "w").write(body)
    return 0


LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse(path):
    """# TYPE, # HELP and samples of a text exposition."""
    types, helps, samples = {}, {}, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            types[name] = t
        elif line.startswith("# HELP "):
            _, _, name, h = (line.split(" ", 3) + [""])[:4]
            helps[name] = h.replace("\\n", "\n").replace("\\\\", "\\")
        elif line and not line.startswith("#"):
            m = SAMPLE_RE.match(line)
            if not m:
                raise ValueError("unparsable line: " + line)
            labels = {k: unescape(v) for k, v in LABEL_RE.findall(m.group(2) or "")}
            samples.append((m.group(1), labels, float(m.group(3))))
    return types, helps, samples


def epoch(ts):
    return None if ts is None else datetime.fromisoformat(ts).timestamp()


def col(c):
    return lambda r: r[c]


GUARD = {"ok": 0, "dropping partitions": 1, "not storing": 2}
# Each metric of the file from its pkt_status() row: the specification,
# written apart from the file's SQL.
SPEC = {
    "running": lambda r: 1 if r["state"] == "running" else 0,
    "start_time_seconds": lambda r: epoch(r["started_at"]),
    "frames_total": col("frames"),
    "packets_total": col("packets"),
    "bytes_total": col("bytes"),
    "rows_stored_total": col("rows_stored"),
    "rows_pending": col("rows_pending"),
    "kernel_dropped_total": col("kernel_dropped"),
    "interface_dropped_total": col("interface_dropped"),
    "truncated_total": col("truncated"),
    "malformed_total": col("malformed"),
    "unsupported_total": col("unsupported"),
    "not_ip_total": col("not_ip"),
    "not_stored_total": col("not_stored"),
    "not_stored_disk_total": col("not_stored_disk"),
    "ports_truncated_total": col("ports_truncated"),
    "last_batch_seconds": lambda r: None if r["last_batch_ms"] is None else r["last_batch_ms"] / 1000,
    "last_batch_timestamp_seconds": lambda r: epoch(r["last_batch_at"]),
    "disk_guard_state": lambda r: GUARD.get(r["disk_guard"]),
    "free_space_bytes": col("free_space"),
}
LABELS = ["interface", "kind", "sensor"]


def same(got, want):
    if want is None:
        return math.isnan(got)
    return got == float(want)


def check(args):
    queries, scrape, status, sensor, server, phase = args
    results = []

    def result(good, what):
        results.append(("ok - " if good else "not ok - ") + phase + ": " + what)

    spec = yaml.safe_load(open(queries))
    ns = "pktcapture"
    usage = {}
    desc = {}
    for m in spec[ns]["metrics"]:
        (column, o), = m.items()
        usage[column] = o["usage"]
        desc[column] = o["description"]
    labels = sorted(c for c, u in usage.items() if u == "LABEL")
    values = sorted(c for c, u in usage.items() if u != "LABEL")
    rows = json.load(open(status))
    types, helps, samples = parse(scrape)

    result(labels == sorted(LABELS), "the labels are %s" % ", ".join(labels))
    result(sorted(SPEC) == values, "the file's metrics are the %d of the specification" % len(SPEC))
    # names as Prometheus names them: snake_case, counters in _total,
    # base units (seconds, bytes), no unit abbreviations
    bad = [c for c in values
           if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", c)
           or (usage[c] == "COUNTER") != c.endswith("_total")
           or re.search(r"(^|_)(ms|msec|millis|milliseconds|kb|mb|gb|kib|mib|percent)(_|$)", c)]
    result(not bad, "names: snake_case, counters and only counters in _total, base units%s"
           % (" (not: %s)" % ", ".join(bad) if bad else ""))

    # our series: exactly one per pkt_status() row and metric
    ours = [s for s in samples if s[0].startswith(ns + "_")]
    want = {}
    for r in rows:
        key = (r["interface"], r["kind"], sensor)
        for c in values:
            want[(ns + "_" + c,) + key] = SPEC[c](r)
    got = {}
    dup = []
    for name, lab, v in ours:
        key = (name, lab.get("interface"), lab.get("kind"), lab.get("sensor"))
        if key in got:
            dup.append(key)
        got[key] = v
        if set(lab) != set(LABELS) | {"server"} or lab.get("server") != server:
            result(False, "%s has the labels %s" % (name, lab))
    result(not dup, "no series twice")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    result(not missing and not extra,
           "%d series, one per capture or load (%d) and metric (%d)%s" % (
               len(got), len(rows), len(values),
               "" if not missing and not extra else
               "; missing %s; not in pkt_status %s" % (missing[:5], extra[:5])))
    wrong = [(k, got[k], want[k]) for k in sorted(set(want) & set(got)) if not same(got[k], want[k])]
    result(not wrong, "every value equals pkt_status()'s%s" % (
        "" if not wrong else ": " + "; ".join("%s got %r want %r" % w for w in wrong[:8])))
    # TYPE and HELP as the file says, for every metric that has a series
    tmap = {"COUNTER": "counter", "GAUGE": "gauge"}
    badtype = [c for c in values if (ns + "_" + c) in {k[0] for k in got}
               and types.get(ns + "_" + c) != tmap[usage[c]]]
    badhelp = [c for c in values if (ns + "_" + c) in {k[0] for k in got}
               and helps.get(ns + "_" + c) != desc[c]]
    if got:
        result(not badtype, "# TYPE of each metric as the file says (%d counters, %d gauges)%s" % (
            sum(1 for c in values if usage[c] == "COUNTER"),
            sum(1 for c in values if usage[c] == "GAUGE"),
            "" if not badtype else ": not " + ", ".join("%s (%s)" % (c, types.get(ns + "_" + c))
                                                     for c in badtype)))
        result(not badhelp, "# HELP of each metric is the file's description%s" % (
            "" if not badhelp else ": not " + ", ".join(badhelp)))
    # the exporter's health
    def one(name, **lab):
        vs = [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in lab.items())]
        return vs[0] if len(vs) == 1 else None
    result(one("pg_up") == 1, "pg_up is 1")
    result(one("pg_exporter_last_scrape_error") == 0, "pg_exporter_last_scrape_error is 0")
    result(one("pg_exporter_user_queries_load_error", filename=queries) == 0,
           "pg_exporter_user_queries_load_error is 0 for the file")
    for line in results:
        print(line)
    # the values the shell checks further: name,interface,kind -> value
    with open(scrape + ".values", "w") as f:
        for (name, interface, kind, _), v in sorted(got.items()):
            f.write("%s|%s|%s|%r\n" % (name, interface, kind, v))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "fetch":
        sys.exit(fetch(sys.argv[2], sys.argv[3]))
    sys.exit(check(sys.argv[2:]))
EOF

STATUS_SQL="SELECT coalesce(json_agg(s ORDER BY s.kind, s.interface), '[]') FROM pkt_status() s"
n_scrape=0

# scrape PHASE: a scrape between two equal readings of pkt_status() (at most
# 10 tries), compared (the checker's lines counted as checks); sets SCRAPE,
# the file value() reads
scrape() {
	local i s1 s2 out
	for i in $(seq 1 10); do
		n_scrape=$((n_scrape + 1))
		SCRAPE=$WORK/scrape-$n_scrape.txt
		s1=$(sql "$STATUS_SQL") || break
		"$PY" "$WORK/check.py" fetch "$URL" "$SCRAPE" || break
		s2=$(sql "$STATUS_SQL") || break
		if [ "$s1" = "$s2" ]; then
			printf '%s\n' "$s1" >"$SCRAPE.status"
			out=$("$PY" "$WORK/check.py" check "$QUERIES" "$SCRAPE" "$SCRAPE.status" \
				"$SENSOR" "$PGHOST:$PGPORT" "$1" 2>&1)
			local rc=$?
			checks_from <<<"$out"
			[ $rc -eq 0 ] || not_ok "$1: the checker failed (exit $rc)"
			return 0
		fi
	done
	not_ok "$1: no scrape between two equal readings of pkt_status()"
	SCRAPE=/dev/null
	return 1
}

# value NAME INTERFACE KIND: the value of pktcapture_NAME in the last scrape
value() {
	local line
	line=$(awk -F'|' -v n="pktcapture_$1" -v i="$2" -v k="$3" \
		'$1 == n && $2 == i && $3 == k { print $4 }' "$SCRAPE.values" 2>/dev/null)
	echo "${line:-none}"
}

# send_udp PORT COUNT: COUNT datagrams of 64 bytes to 127.0.0.1:PORT
send_udp() {
	"$PY" -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(i.to_bytes(4, 'big') + b'm' * 60, ('127.0.0.1', int(sys.argv[1])))
" "$1" "$2"
}

# greater A B: A > B, as numbers (false if either is not one)
greater() {
	"$PY" -c "import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))" "$1" "$2" 2>/dev/null
}

# a free port of 127.0.0.1 (the kernel's choice), for TCP or UDP
free_port() {
	"$PY" -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == 'udp' else socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])
" "$1"
}

# ---------------------------------------------------------------------------
heading "a cluster, the extension, the exporter's role"
# the exporter runs as another local user, as Debian's service does: the
# socket is open to it (its role authenticates by trust, like any here)
must "start a cluster" \
	cluster_start "$WORK/pg" "shared_preload_libraries = 'pktcapture'" "unix_socket_permissions = 0777"
must "CREATE EXTENSION pktcapture" sql "CREATE EXTENSION pktcapture"
# the file reads pkt_status() of 1.2 (not_stored_disk, disk_guard, free_space)
V=$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")
[ "$(printf '%s\n' 1.2 "$V" | sort -V | head -n 1)" = 1.2 ] ||
	fatal "pktcapture $V is installed ($(pg_config --sharedir)): the queries file needs 1.2 or later (make install)"
must "a role $ROLE in pg_monitor" sql "CREATE ROLE $ROLE LOGIN; GRANT pg_monitor TO $ROLE"
role_props=$(sql_as_role "SELECT rolsuper, pg_has_role('pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = current_user")
must "the exporter's role: no superuser, a member of pg_monitor ($role_props)" [ "$role_props" = "f|t" ]
check "the exporter's role may not read packets" \
	eval '! sql_as_role "SELECT count(*) FROM packets" >/dev/null 2>&1'
# the sensor as the exporter's role may know it: the setting, else ''
SENSOR=$(sql_as_role "SELECT coalesce(current_setting('pktcapture.sensor', true), '')") ||
	fatal "could not read pktcapture.sensor as $ROLE"
echo "# the sensor label expected: '$SENSOR'"

# ---------------------------------------------------------------------------
heading "the exporter"
# run as the Debian service runs it (user prometheus), reading the file in place
EXPORTER_USER=prometheus
id "$EXPORTER_USER" >/dev/null 2>&1 || EXPORTER_USER=nobody
QUERY_PATH=$QUERIES
if ! setpriv --reuid="$EXPORTER_USER" --regid="$(id -g "$EXPORTER_USER")" --clear-groups \
	test -r "$QUERY_PATH"; then
	cp "$QUERIES" "$WORK/pktcapture-queries.yaml" && chmod 644 "$WORK/pktcapture-queries.yaml"
	QUERY_PATH=$WORK/pktcapture-queries.yaml
	QUERIES=$QUERY_PATH
fi
exporter_ready() {	# it listens, or is gone
	grep -q 'msg="Listening on"' "$WORK/exporter.log" 2>/dev/null || ! kill -0 "$EXPORTER_PID" 2>/dev/null
}
for attempt in 1 2 3; do
	PORT=$(free_port tcp)
	URL=http://127.0.0.1:$PORT/metrics
	DATA_SOURCE_NAME="user=$ROLE host=$PGHOST port=$PGPORT dbname=postgres sslmode=disable" \
		setpriv --reuid="$EXPORTER_USER" --regid="$(id -g "$EXPORTER_USER")" --clear-groups -- \
		"$EXPORTER" --web.listen-address="127.0.0.1:$PORT" --extend.query-path="$QUERY_PATH" \
		--disable-default-metrics --disable-settings-metrics \
		--no-collector.database --no-collector.bgwriter \
		>"$WORK/exporter.log" 2>&1 &
	EXPORTER_PID=$!
	wait_until 10 exporter_ready
	grep -q 'msg="Listening on"' "$WORK/exporter.log" && break
	kill "$EXPORTER_PID" 2>/dev/null
	wait "$EXPORTER_PID" 2>/dev/null
	EXPORTER_PID=""
	echo "# the exporter did not start on port $PORT (attempt $attempt):"
	sed 's/^/#   /' "$WORK/exporter.log"
done
[ -n "$EXPORTER_PID" ] || fatal "the exporter did not start"
track_bg "$EXPORTER_PID"
echo "# exporter $("$EXPORTER" --version 2>&1 | head -n 1 | cut -d' ' -f1-3) on 127.0.0.1:$PORT as $EXPORTER_USER, role $ROLE"

# ---------------------------------------------------------------------------
if section none "no capture yet"; then
	scrape "no capture"
	check_eq "no capture: no pktcapture series" "$(grep -c '^pktcapture_' "$SCRAPE")" 0
fi

# ---------------------------------------------------------------------------
if section live "a live capture on lo, then a second run"; then
	UDP_PORT=$(free_port udp)
	FILTER="udp and dst port $UDP_PORT"
	must_get PID1 "pkt_start on lo" sql "SELECT pkt_start('lo', '$FILTER')"
	must "send $N1 datagrams" send_udp "$UDP_PORT" "$N1"
	step "pkt_status() shows the $N1 datagrams stored" \
		cluster_poll 30 "SELECT packets >= $N1 AND rows_stored >= $N1 FROM pkt_status() WHERE pid = $PID1"
	check_eq "pkt_status() of lo: worker, state, frames, packets, rows stored (filter: $FILTER)" \
		"$(sql "SELECT pid, state, frames, packets, rows_stored FROM pkt_status() WHERE interface = 'lo'")" \
		"$PID1|running|$N1|$N1|$N1"
	scrape "running"
	check_eq "running: pktcapture_running of lo" "$(value running lo live)" 1.0
	check_eq "running: pktcapture_packets_total of lo" "$(value packets_total lo live)" "$N1.0"
	START1=$(value start_time_seconds lo live)

	must "pkt_stop('lo')" sql "SELECT pkt_stop('lo')"
	scrape "stopped"
	check_eq "stopped: pktcapture_running of lo" "$(value running lo live)" 0.0
	check_eq "stopped: pktcapture_rows_stored_total of lo" "$(value rows_stored_total lo live)" "$N1.0"

	heading "a second run on lo: its counters from 0"
	must_get PID2 "pkt_start on lo again" sql "SELECT pkt_start('lo', '$FILTER')"
	must "send $N2 datagrams" send_udp "$UDP_PORT" "$N2"
	# by its worker's PID: the run meant, whatever lo's row showed before
	step "pkt_status() shows the $N2 datagrams of the second run stored" \
		cluster_poll 30 "SELECT packets >= $N2 AND rows_stored >= $N2 FROM pkt_status() WHERE pid = $PID2"
	scrape "second run"
	check_eq "second run: pktcapture_packets_total of lo starts again (a counter reset)" \
		"$(value packets_total lo live)" "$N2.0"
	check "second run: a later pktcapture_start_time_seconds ($START1 before)" \
		greater "$(value start_time_seconds lo live)" "$START1"
	must "pkt_stop('lo')" sql "SELECT pkt_stop('lo')"
fi

# ---------------------------------------------------------------------------
if section loads "loads"; then
	# set NAME VALUE: ALTER SYSTEM, reloaded; returns once a new session has it
	set_conf() {
		sql "ALTER SYSTEM SET $1 = '$2'" && sql "SELECT pg_reload_conf()" &&
			cluster_poll 10 "SELECT current_setting('$1') = '$2'"
	}
	# the disk guard holding: no room above a reserve of the whole filesystem
	must "pktcapture.min_free_space = 99.99%" set_conf pktcapture.min_free_space 99.99%
	check_eq "$GUARD_FILE loaded while the disk guard holds: rows" \
		"$(sql "SELECT pkt_load('$CORPUS/$GUARD_FILE')" 2>/dev/null)" 0
	must "pktcapture.min_free_space = 10% (its default)" set_conf pktcapture.min_free_space 10%
	check_eq "dns_tcp_8053.pcap loaded: rows" "$(sql "SELECT pkt_load('$DNS_FILE')")" 11
	for f in $LOSS_FILES; do
		step "pkt_load of $f" sql "SELECT pkt_load('$CORPUS/$f')"
	done
	scrape "loads"
	check_eq "loads: dns_tcp_8053.pcap, its file the interface label: packets, rows, running" \
		"$(value packets_total "$DNS_FILE" file) $(value rows_stored_total "$DNS_FILE" file) $(value running "$DNS_FILE" file)" \
		"11.0 11.0 0.0"
	check_eq "loads: $GUARD_FILE: disk guard state 2 (not storing), not stored by it, rows" \
		"$(value disk_guard_state "$CORPUS/$GUARD_FILE" file) $(value not_stored_disk_total "$CORPUS/$GUARD_FILE" file) $(value rows_stored_total "$CORPUS/$GUARD_FILE" file)" \
		"2.0 4.0 0.0"
	check "loads: $GUARD_FILE: free space below the reserve, negative" \
		greater 0 "$(value free_space_bytes "$CORPUS/$GUARD_FILE" file)"
	check_eq "loads: non-zero loss counters (truncated, malformed, not ip, unsupported, ports truncated)" \
		"$(value truncated_total "$CORPUS/olsr-oobr-2.pcap" file) $(value malformed_total "$CORPUS/hoobr_rt6_print.pcap" file) $(value not_ip_total "$CORPUS/dcb_pfc.pcap" file) $(value unsupported_total "$CORPUS/chdlc-slarp.pcap" file) $(value ports_truncated_total "$CORPUS/hoobr_rt6_print.pcap" file)" \
		"2.0 2.0 4.0 1.0 1.0"
	if ran live; then
		check_eq "loads: the live capture still there, stopped" "$(value running lo live)" 0.0
	fi
fi

# the sensor label: pktcapture.sensor's default, the host name up to its first dot
check_eq "the sensor label is the host name (pktcapture.sensor's default; hostname)" \
	"$SENSOR" "$(hostname | cut -d. -f1)"

# ---------------------------------------------------------------------------
heading "the exporter's log"
# every fetch counted, this last one too
check_eq "scrapes counted by the exporter" \
	"$("$PY" "$WORK/check.py" fetch "$URL" "$WORK/last.txt" && awk '$1 == "pg_exporter_scrapes_total" { print $2 }' "$WORK/last.txt")" \
	"$((n_scrape + 1))"
if grep -E 'level=(warn|error)|err=' "$WORK/exporter.log" >"$WORK/exporter-errors.log"; then
	not_ok "the exporter logged warnings or errors:"
	sed 's/^/#   /' "$WORK/exporter-errors.log" | head -n 20
else
	ok "no warning or error in the exporter's log ($(wc -l <"$WORK/exporter.log") lines)"
fi

finish
