#!/bin/bash
# bench/run.sh: pktcapture benchmark.  Run as root from anywhere:
#
#   sudo bench/run.sh [NAME=VALUE ...]        e.g. bench/run.sh PACKETS=200000 SKIP=pgbench
#
# Starts a throwaway cluster (test/lib/cluster.sh) with pktcapture preloaded,
# generates deterministic captures (bench/gen-pcap.py, bench/gen-traffic.py),
# measures, prints a table (metric, value, reference, ratio) and writes it,
# with the profile, to bench/results-latest.txt.  Everything it creates
# (cluster, network namespace and veth pair, temporary files, background
# processes) is removed on exit, also on error or Ctrl+C; KEEP=1 keeps the
# work directory.
#
# Sections (SKIP="a b" leaves some out, ONLY="a b" runs only those; "load"
# runs whenever one of the sections from tshark to schema does, they use its
# file and figures):
#   load     pkt_load into an empty packets vs the same rows by psql \copy
#            (FORMAT binary) and by server-side COPY into a LIKE ... INCLUDING
#            ALL copy of packets; checks rows against the generator's totals
#   tshark   tshark -T fields | awk | psql \copy, on a sample (extrapolated), vs
#            pkt_load of the whole file just before and just after it
#   decode   the decoder alone (bench/decode-bench.c), frames/s on one core
#   live     netns + veth, tcpreplay --topspeed, pkt_start vs tcpdump -w /dev/null;
#            then with a spool (LIVE_SPOOL): drops, rows, lag, catch-up
#   pgbench  pgbench -S and TPC-B-like tps: idle, traffic only, traffic + capture
#   growth   pkt_load of 1M rows into a table of GROWTH_ROWS vs into an empty one
#   profile  perf record --call-graph dwarf of one pkt_load, stage shares
#   schema   \copy binary into variants of the table (no PK, no BRIN, ...)
# Workloads whose cost grows with addresses and time (bench/gen-traffic.py):
#   day      pkt_load of a day of traffic (DAY_PACKETS over 24 h, DAY_HOSTS
#            Zipf hosts) vs psql \copy binary of its rows; size of packets and
#            of every summary table of the extension, summaries / packets
#   report   pkt_report_between over the day and over hour DAY_HOUR vs the
#            GROUP BY queries it stands for (and counting the hour's rows);
#            its top 5 checked against GROUP BY and the generator's totals
#   conversations  flows (pktcapture 1.6) over a day and a week of realistic
#            conversations (bench/gen-flows.py): pkt_load with flows vs with
#            pktcapture.flow_capacity = 0; flows checked against packets and
#            the generator's per-conversation truth; a rare host by peer and
#            port, the busiest server's and port 443's top clients over flows
#            vs the same GROUP BY over packets (results compared); flows'
#            size vs packets'; a BRIN bloom index (inet_bloom_ops) on the
#            partitions of packets: drill-down from a conversation to its
#            packets with and without it, its size and load cost
#   spoof    pkt_load of SPOOF_PACKETS SYNs from random sources of a /8 vs
#            pkt_load of as many ordinary packets (Zipf hosts), same minutes
#   spoof-live  the flood and the ordinary traffic replayed at SPOOF_PPS
#            (tcpreplay --pps) on the live section's veth pair: kernel drops,
#            frames seen, rows stored; tcpdump on the flood as reference
#   spool-flood  the flood (spoof-live's file) at tcpreplay's full speed:
#            without a spool, with one (LIVE_SPOOL), and tcpdump
#   writes   what the capture worker writes per minute of traffic, flood vs
#            ordinary, at WRITES_PPS: statements and WAL (pg_stat_statements,
#            preloaded for it), rows per table (pg_stat_user_tables), growth
#            of each table of the extension, temporary file bytes
# Frames (pktcapture 1.7):
#   frames   a capture of full frames (bench/gen-pcap.py, snap length 65535,
#            FRAMES_PACKETS): pkt_load with pktcapture.frame_snaplen 128 and
#            65535 vs 0 (alternating, median of FRAMES_REPS), and the size
#            of packets each way; pkt_export of every frame and with
#            FRAMES_FILTER, frames/s, vs tcpdump -r of the same frames with
#            the same filter (-w to a file); client/pkt-export of the
#            filtered frames (same bytes); a live capture of the file at
#            FRAMES_PPS with frame_snaplen 1514 vs 0: kernel drops, rows,
#            worker CPU
# Beyond one server (bench/hub.sh):
#   hub      two sensors capturing their own veth pair at full replay speed
#            (HUB_BENCH_PACKETS frames each), a hub subscribed to both: rows/s
#            it receives vs the sensors', rows behind and lag over time, time
#            to hold every row after the sensors stop; last (it stops the
#            benchmark's cluster, three others run meanwhile)
#
# Settings (environment or NAME=VALUE arguments), defaults in brackets:
#   PACKETS [1000000] frames generated     SEED [42]        SNAPLEN [128]
#   REPS [5] repetitions of the load/COPY timings (median reported)
#   TSHARK_PACKETS [100000] sample for tshark ("all": whole file)
#   DECODE_REPS [5]   PGBENCH_TIME [15] s per pgbench run   PGBENCH_SCALE [10]
#   LIVE_LOOPS [1] times the live section replays the file (5: 5 M frames)
#   GROWTH_ROWS [10000000] rows in the table before the timed loads (50000000...)
#   GROWTH_REPS [3] timed loads into the empty table, and into the big one
#   SCHEMA_REPS [2]   PERF_FREQ [499] Hz   SHARED_BUFFERS [1GB]
#   MAX_WAL_SIZE [16GB] (no checkpoint inside a timed load)
#   PKT_CONF [] extra postgresql.conf lines, ';'-separated (e.g.
#          "pktcapture.batch_size = 50000")
#   INSTALL [0] 1: make && make install in the source tree first
#   DAY_PACKETS [864000] packets over the day (10/s; the issue's: 8640000)
#   DAY_HOSTS [65536] hosts (a quarter IPv6), also the spoof section's ordinary
#          traffic   DAY_HOUR [15] the hour of the hourly report (the busiest)
#   DAY_REPS [REPS, at most 3] timed loads of the day file and \copy
#   REPORT_REPS [3] timings of each report and GROUP BY (median reported)
#   CONV_PACKETS [4000000] packets of the conversations' day
#   CONV_WEEK_PACKETS [4000000] packets of the conversations' week
#   CONV_REPS [3] loads of the day with flows and without (alternating, median)
#   CONV_QUERY_REPS [3] runs of each question in one session (the fastest taken)
#   CONV_BLOOM_REPS [1] loads (pkt_load and \copy) with and without the bloom index
#   CONV_BLOOM_OPS [inet_bloom_ops] its operator class (with parameters, e.g.
#          "inet_bloom_ops(n_distinct_per_range = 4000)")
#   CONV_BLOOM_WITH [] its storage parameters, e.g. "WITH (pages_per_range = 32)"
#   SPOOF_PACKETS [1000000] frames of the flood file, and of the ordinary
#          one it is compared with   SPOOF_REPS [REPS, at most 3]
#   SPOOF_SHARE [1.0] share of the flood file's frames that are spoofed SYNs
#          (the rest ordinary traffic)   SPOOF_RATE [200000] their pkt/s
#   SPOOF_LIVE_PACKETS [1000000] frames replayed live (the issue's: 5000000)
#   SPOOF_PPS ["200000 400000"] tcpreplay --pps rates of spoof-live
#   SPOOF_PPS_MULTI [20] tcpreplay --pps-multi: frames sent per timing slot (with
#          1, tcpreplay fell to 210k of 400k pkt/s while a capture ran)
#   WRITES_PPS [the first of SPOOF_PPS] rate of the writes section's captures
#          (taken from spoof-live's when it ran at that rate)
#   FRAMES_PACKETS [1000000] frames of the frames section's file
#   FRAMES_REPS [3] loads each way   FRAMES_FILTER ["tcp and port 443"]
#   FRAMES_PPS [200000] its live captures' rate (tcpreplay --pps)
#   HUB_BENCH_PACKETS [2000000] frames each sensor captures in the hub section
#   RESULTS [bench/results-latest.txt]     KEEP [0]
# Timings are wall clock and noisy: compare the ratios of one run.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(dirname "$BENCH_DIR")

for arg in "$@"; do
	case $arg in
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	[A-Z_]*=*) export "${arg?}" ;;
	*)
		echo "unknown argument: $arg (use NAME=VALUE, see --help)" >&2
		exit 2
		;;
	esac
done

PACKETS=${PACKETS:-1000000}
SEED=${SEED:-42}
SNAPLEN=${SNAPLEN:-128}
REPS=${REPS:-5}
TSHARK_PACKETS=${TSHARK_PACKETS:-100000}
DECODE_REPS=${DECODE_REPS:-5}
PGBENCH_TIME=${PGBENCH_TIME:-15}
LIVE_LOOPS=${LIVE_LOOPS:-1}
LIVE_SPOOL=${LIVE_SPOOL:-4GB}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
GROWTH_ROWS=${GROWTH_ROWS:-10000000}
GROWTH_REPS=${GROWTH_REPS:-3}
SCHEMA_REPS=${SCHEMA_REPS:-2}
PERF_FREQ=${PERF_FREQ:-499}
SHARED_BUFFERS=${SHARED_BUFFERS:-1GB}
MAX_WAL_SIZE=${MAX_WAL_SIZE:-16GB}
INSTALL=${INSTALL:-0}
KEEP=${KEEP:-0}
PKT_CONF=${PKT_CONF:-}
SKIP=${SKIP:-}
ONLY=${ONLY:-}
RESULTS=${RESULTS:-$BENCH_DIR/results-latest.txt}
DAY_PACKETS=${DAY_PACKETS:-864000}
DAY_HOSTS=${DAY_HOSTS:-65536}
DAY_HOUR=${DAY_HOUR:-15}
DAY_REPS=${DAY_REPS:-$((REPS < 3 ? REPS : 3))}
REPORT_REPS=${REPORT_REPS:-3}
CONV_PACKETS=${CONV_PACKETS:-4000000}
CONV_WEEK_PACKETS=${CONV_WEEK_PACKETS:-4000000}
CONV_REPS=${CONV_REPS:-3}
CONV_QUERY_REPS=${CONV_QUERY_REPS:-3}
CONV_BLOOM_REPS=${CONV_BLOOM_REPS:-1}
CONV_BLOOM_OPS=${CONV_BLOOM_OPS:-inet_bloom_ops}
CONV_BLOOM_WITH=${CONV_BLOOM_WITH:-}
SPOOF_PACKETS=${SPOOF_PACKETS:-1000000}
SPOOF_REPS=${SPOOF_REPS:-$((REPS < 3 ? REPS : 3))}
SPOOF_SHARE=${SPOOF_SHARE:-1.0}
SPOOF_RATE=${SPOOF_RATE:-200000}
SPOOF_LIVE_PACKETS=${SPOOF_LIVE_PACKETS:-1000000}
SPOOF_PPS=${SPOOF_PPS:-200000 400000}
WRITES_PPS=${WRITES_PPS:-${SPOOF_PPS%% *}}
SPOOF_PPS_MULTI=${SPOOF_PPS_MULTI:-20}
HUB_BENCH_PACKETS=${HUB_BENCH_PACKETS:-2000000}
FRAMES_PACKETS=${FRAMES_PACKETS:-1000000}
FRAMES_REPS=${FRAMES_REPS:-3}
FRAMES_FILTER=${FRAMES_FILTER:-tcp and port 443}
FRAMES_PPS=${FRAMES_PPS:-200000}
PPS_MULTI=()
[ "$SPOOF_PPS_MULTI" -gt 1 ] && PPS_MULTI=(--pps-multi="$SPOOF_PPS_MULTI")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

die() {
	echo "bench: $*" >&2
	exit 1
}
log() {
	echo "# [$(date +%H:%M:%S) t+${SECONDS}s] $*" >&2
}
# the sections that use the load section's file and figures
LOAD_USERS="tshark decode live pgbench growth profile schema"
enabled() {
	if [ "$1" = load ]; then
		local u
		for u in $LOAD_USERS; do
			enabled "$u" && return 0
		done
		[ -z "$ONLY" ] || [[ " $ONLY " == *" load "* ]] || return 1
		[[ " $SKIP " == *" load "* ]] && return 1
		return 0
	fi
	if [ -n "$ONLY" ]; then
		[[ " $ONLY " == *" $1 "* ]] || return 1
	fi
	[[ " $SKIP " == *" $1 "* ]] && return 1
	return 0
}

[ "$(id -u)" -eq 0 ] || die "must run as root (the cluster runs as postgres; the live part needs netns)"
for cmd in psql pg_config setpriv gcc pcap-config "$PY" tcpdump; do
	command -v "$cmd" >/dev/null || die "$cmd not found"
done
enabled tshark && { command -v tshark >/dev/null && command -v mawk >/dev/null || die "tshark and mawk needed (SKIP=tshark)"; }
enabled live && { command -v tcpreplay >/dev/null && command -v ip >/dev/null || die "tcpreplay and ip needed (SKIP=live)"; }
enabled pgbench && { command -v tcpreplay >/dev/null || die "tcpreplay needed (SKIP=pgbench)"; }
PGBENCH=$(command -v pgbench || echo "$(pg_config --bindir)/pgbench")
enabled pgbench && { [ -x "$PGBENCH" ] || die "pgbench not found (SKIP=pgbench)"; }
enabled profile && { command -v perf >/dev/null || die "perf not found: apt-get install linux-perf (or SKIP=profile)"; }
for sec in spoof-live writes frames; do
	enabled $sec && { command -v tcpreplay >/dev/null && command -v ip >/dev/null || die "tcpreplay and ip needed (SKIP=$sec)"; }
done
# pg_stat_statements counts the worker's statements for the writes section
PGSS=0
if enabled writes; then
	[ -f "$(pg_config --pkglibdir)/pg_stat_statements.so" ] && PGSS=1
fi

# shellcheck source=../test/lib/cluster.sh
. "$SRC_DIR/test/lib/cluster.sh"
# shellcheck source=../test/lib/netns.sh
. "$SRC_DIR/test/lib/netns.sh"

WORK=$(mktemp -d /tmp/pktc-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$WORK"
export WORK
NS=pktb-ns-$$
V0=pktb0-$$
V0=${V0:0:15}
V1=pktb1-$$
V1=${V1:0:15}
BG_PIDS=""
cleaned=0
cleanup() {
	[ "$cleaned" -eq 1 ] && return
	cleaned=1
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $BG_PIDS; do
		wait "$p" 2>/dev/null
	done
	cluster_stop
	netns_cleanup
	if [ "$KEEP" = 1 ]; then
		echo "# work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
ROWS=()
NOTES=()
INPUTS=()
row() { # row METRIC VALUE REFERENCE RATIO
	ROWS+=("$(printf '%-50s %-14s %-32s %s' "$1" "$2" "$3" "$4")")
	printf '%-50s %-14s %-32s %s\n' "$1" "$2" "$3" "$4" >&2
}
note() {
	NOTES+=("$*")
	echo "# note: $*" >&2
}
calc() { # calc FORMAT EXPR
	awk "BEGIN { printf \"$1\", $2 }" 2>/dev/null
}
ratio() { # ratio A B -> A/B (2 decimals, 4 below 0.1), "-" if B is 0 or missing
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else { r = a / b; printf (r < 0.1 && r > -0.1 ? "%.4f" : "%.2f"), r } }'
}
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
gen_json() { # gen_json KEY [KEY2]
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d = d[k]
print(d)' "$WORK/capture.pcap.json" "$@"
}
q() {
	cluster_psql -At -c "$1"
}
checkpoint() {
	cluster_psql -c "CHECKPOINT" >/dev/null
}

# memwatch PID OUT: peak RssAnon and last VmHWM (kB) of PID, every 20 ms
cat >"$WORK/memwatch.sh" <<'EOF'
#!/bin/bash
pid=$1 out=$2 max=0 hwm=0
while [ -r "/proc/$pid/status" ]; do
	while read -r k v _; do
		case $k in
		RssAnon:) [ "$v" -gt "$max" ] && max=$v ;;
		VmHWM:) hwm=$v ;;
		esac
	done <"/proc/$pid/status" 2>/dev/null || break
	echo "$max $hwm" >"$out"
	sleep 0.02
done
EOF
chmod 755 "$WORK/memwatch.sh"

# timed NAME STATEMENT: run STATEMENT (SQL or a psql meta-command) in a new
# session; T = its wall-clock seconds (taken inside the session, connection
# excluded); $WORK/mem.NAME = "peak_RssAnon_kB VmHWM_kB" of its backend.
timed() {
	local name=$1 stmt=$2
	rm -f "$WORK/t0" "$WORK/t1"
	cluster_psql -At >"$WORK/out.$name" 2>"$WORK/err.$name" <<EOF || { T=""; log "$name failed: $(cat "$WORK/err.$name")"; return 1; }
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! "\$WORK/memwatch.sh" "\$BPID" "\$WORK/mem.$name" >/dev/null 2>&1 &
\! date +%s.%N >"\$WORK/t0"
$stmt
\! date +%s.%N >"\$WORK/t1"
\! awk '/^VmHWM:/ { h = \$2 } /^RssAnon:/ { a = \$2 } END { print a, h }' "/proc/\$BPID/status" >"\$WORK/mem.$name.end"
EOF
	T=$(awk 'NR == FNR { a = $1; next } { printf "%.3f", $1 - a }' "$WORK/t0" "$WORK/t1")
}
# mem NAME -> "peak_anon_MB hwm_MB"
mem() {
	awk 'NR == FNR { pa = $1; next } { if ($1 > pa) pa = $1; h = $2 } END { printf "%.0f %.0f", pa / 1024, h / 1024 }' \
		"$WORK/mem.$1" "$WORK/mem.$1.end" 2>/dev/null
}

# ---------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
	log "make && make install in $SRC_DIR"
	(cd "$SRC_DIR" && make -s && make -s install) >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log" >&2; die "build failed"; }
fi
SO=$(pg_config --pkglibdir)/pktcapture.so
[ -f "$SO" ] || die "$SO not installed: run make install in $SRC_DIR (or INSTALL=1)"
SO_MD5=$(md5sum <"$SO" | cut -c1-12)
BUILT_MD5=$( [ -f "$SRC_DIR/pktcapture.so" ] && md5sum <"$SRC_DIR/pktcapture.so" | cut -c1-12)
GIT_HEAD=$(git -C "$SRC_DIR" log -1 --format='%h %s' 2>/dev/null | cut -c1-72)
GIT_DIRTY=$(git -C "$SRC_DIR" status --porcelain --untracked-files=no 2>/dev/null | grep -c .)

# A private copy of the library: others may reinstall it during the run, and
# backends load a replaced file anew.  The server finds it first through
# dynamic_library_path; the extension's functions are pointed at it below.
# A hard link, not a copy: the same inode as $libdir's file, so CREATE
# EXTENSION (which loads '$libdir/pktcapture') finds it already loaded.
mkdir -p "$WORK/lib" && chmod a+rx "$WORK/lib"
if ln "$SO" "$WORK/lib/pktcapture.so" 2>/dev/null; then
	LIBNOTE="private hard link (a reinstall during the run does not change it) to"
else
	LIBNOTE="(could not hard-link it: a reinstall during the run would mix versions)"
fi
PCAP=$WORK/capture.pcap
if enabled load; then
	log "generating $PACKETS frames (seed $SEED, snaplen $SNAPLEN)"
	t0=$(date +%s.%N)
	"$PY" "$BENCH_DIR/gen-pcap.py" --out "$PCAP" --count "$PACKETS" --seed "$SEED" \
		--snaplen "$SNAPLEN" >"$WORK/gen.txt" || die "generator failed"
	t1=$(date +%s.%N)
	chmod 644 "$PCAP"
	cat "$WORK/gen.txt" >&2
	IP_PACKETS=$(gen_json ip_packets)
	FRAMES=$(gen_json frames)
	GEN_S=$(calc %.1f "$t1 - $t0")
fi

LOADAVG0=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the cluster"
IFS=';' read -r -a EXTRA_CONF <<<"$PKT_CONF"
PRELOAD=pktcapture
PGSS_CONF=()
if [ "$PGSS" = 1 ]; then
	PRELOAD=pktcapture,pg_stat_statements
	PGSS_CONF=("pg_stat_statements.track = top" "pg_stat_statements.max = 10000")
fi
cluster_start "$WORK/cluster" "shared_preload_libraries = '$PRELOAD'" "${PGSS_CONF[@]}" \
	"dynamic_library_path = '$WORK/lib:\$libdir'" "autovacuum = off" \
	"shared_buffers = $SHARED_BUFFERS" "max_wal_size = $MAX_WAL_SIZE" \
	"checkpoint_timeout = 30min" "log_checkpoints = on" "${EXTRA_CONF[@]}" ||
	die "could not start the cluster"
# the extension in the current database (CLUSTER_DB), from the private link
create_extension() {
	cluster_psql -q >/dev/null <<'EOF'
BEGIN;
CREATE EXTENSION pktcapture;
UPDATE pg_proc SET probin = 'pktcapture' WHERE probin = '$libdir/pktcapture';
COMMIT;
EOF
}
create_extension || die "CREATE EXTENSION pktcapture failed"
# the growth section's second database, with the extension created now:
# CREATE EXTENSION loads '$libdir/pktcapture', the private link's inode only
# until someone reinstalls it, and a second copy of the library in a backend
# fails ("attempt to redefine parameter")
if enabled growth; then
	q "CREATE DATABASE pktgrow" >/dev/null || die "cannot create database pktgrow"
	CLUSTER_DB=pktgrow create_extension || die "CREATE EXTENSION pktcapture in pktgrow failed"
fi
if [ "$PGSS" = 1 ]; then
	cluster_psql -q -c "CREATE EXTENSION pg_stat_statements" >/dev/null || PGSS=0
fi
MAPPED=$(cluster_psql -At <<'EOF' 2>/dev/null
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
SELECT count(*) FROM pkt_status();
\! grep -o '/[^ ]*pktcapture.so' /proc/$BPID/maps | sort -u
EOF
)
log "library mapped by a backend: $(echo "$MAPPED" | tail -n +2 | tr '\n' ' ')"
# every table of the extension (packets, ledger, summaries...), found by its
# membership in pg_depend: new summary tables are counted without naming them
EXT_REL_SQL="SELECT c.oid FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
             WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'p')
               AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pktcapture')"
EXT_TABLES=$(q "SELECT string_agg(oid::regclass::text, ', ' ORDER BY oid::regclass::text) FROM ($EXT_REL_SQL) e")
# like_packets NAME [UNLOGGED]: the SQL of a plain table as a partition of
# packets is: its columns (LIKE ... INCLUDING ALL) and the indexes each
# partition has (packets itself has none)
like_packets() {
	echo "CREATE ${2:-} TABLE $1 (LIKE packets INCLUDING ALL);
		ALTER TABLE $1 ADD PRIMARY KEY (id, capture_time);
		CREATE INDEX ON $1 USING brin (capture_time);"
}
reset_tables() {
	# no RESTART IDENTITY: run_ids must stay unique, pkt_status keeps ended runs;
	# the partitions stay (emptied), and so do their lists: pkt_partitions, and
	# pkt_flow_partitions for those of flows (1.6): every pkt_*partitions
	cluster_psql -c "TRUNCATE $(echo "$EXT_TABLES" | tr ',' '\n' | sed 's/^ *//' | grep -v '^pkt_.*partitions$' | paste -sd, | sed 's/,/, /g') CASCADE" >/dev/null
}
PG_VERSION=$(q "SHOW server_version")
BATCH=$(q "SHOW pktcapture.batch_size")
BUF_KB=$(q "SELECT pg_size_bytes(current_setting('pktcapture.buffer_size')) / 1024")
# the columns a client can COPY: all but identity and generated ones
COLS=$(q "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
          WHERE attrelid = 'packets'::regclass AND attnum > 0 AND NOT attisdropped
            AND attidentity = '' AND attgenerated = ''")
[ -n "$COLS" ] || die "cannot read the columns of packets"
IDCACHE=$(q "SELECT coalesce(max(s.seqcache), 0) FROM pg_attribute a
             JOIN pg_depend d ON d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
             JOIN pg_sequence s ON s.seqrelid = d.objid
             WHERE a.attrelid = 'packets'::regclass AND a.attidentity <> ''")
# packets has no index of its own: each partition has these (pkt_partition_indexes)
INDEXES="per partition: primary key (id, capture_time), brin (capture_time)"

# ---------------------------------------------------------------------------
# load: pkt_load vs COPY binary
# ---------------------------------------------------------------------------
EXPORT=$WORK/packets.bin
if enabled load; then
	log "load: pkt_load vs COPY binary, $REPS repetitions"
	like_packets packets_ref | cluster_psql >/dev/null || die "cannot create packets_ref"
	LOAD_T=() COPY_T=() SCOPY_T=() INS_T=() PCOPY_T=()
	for r in $(seq 1 "$REPS"); do
		reset_tables
		checkpoint
		timed load$r "SELECT pkt_load('$PCAP');" || die "pkt_load failed"
		LOAD_T+=("$T")
		LOADED=$(head -1 "$WORK/out.load$r")
		if [ "$r" = 1 ]; then
			# the reference rows: exactly what pkt_load stored, in its order
			cluster_psql -c "\\copy (SELECT $COLS FROM packets ORDER BY id) TO '$EXPORT' (FORMAT binary)" ||
				die "export failed"
			chmod 644 "$EXPORT"
			# correctness against the generator's independent totals
			q "SELECT count(*), coalesce(sum(packet_size), 0), count(*) FILTER (WHERE ip_version = 4),
			          count(*) FILTER (WHERE ip_version = 6), count(*) FILTER (WHERE vlan_id IS NOT NULL),
			          count(*) FILTER (WHERE src_port IS NOT NULL), count(*) FILTER (WHERE tcp_flags IS NOT NULL)
			   FROM packets" >"$WORK/check.totals"
			q "SELECT protocol, count(*) FROM packets GROUP BY 1" >"$WORK/check.protocols"
			q "SELECT host(src_ip), count(*) FROM packets GROUP BY 1 ORDER BY 2 DESC, host(src_ip) COLLATE \"C\" LIMIT 5" >"$WORK/check.src"
			q "SELECT host(dst_ip), count(*) FROM packets GROUP BY 1 ORDER BY 2 DESC, host(dst_ip) COLLATE \"C\" LIMIT 5" >"$WORK/check.dst"
			q "SELECT section, item, packets FROM pkt_stats('$PCAP') WHERE section IN ('total', 'top_source', 'top_destination')" >"$WORK/check.stats"
			CHECK=$("$PY" - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
e = json.load(open(w + "/capture.pcap.json"))
bad = []
tot = open(w + "/check.totals").read().split("|")
got = dict(zip(["rows", "ip_bytes", "ipv4", "ipv6", "vlan_tagged_ip", "with_ports", "with_tcp_flags"], map(int, tot)))
for k, v in got.items():
    if v != e["ip_packets" if k == "rows" else k]:
        bad.append("%s %d != %d" % (k, v, e["ip_packets" if k == "rows" else k]))
prot = dict(l.split("|") for l in open(w + "/check.protocols").read().split())
prot = {k: int(v) for k, v in prot.items()}
if prot != e["protocols"]:
    bad.append("protocols %s != %s" % (prot, e["protocols"]))
for f, k in (("check.src", "top_sources"), ("check.dst", "top_destinations")):
    got = [[a, int(c)] for a, c in (l.split("|") for l in open(w + "/" + f).read().split())]
    if got != e[k][:5]:
        bad.append("%s %s != %s" % (k, got, e[k][:5]))
st = [l.split("|") for l in open(w + "/check.stats").read().split("\n") if l]
tot = [int(p) for s, i, p in st if s == "total" and i == "packets"]
if tot != [e["ip_packets"]]:
    bad.append("pkt_stats total %s != %d" % (tot, e["ip_packets"]))
for s, k in (("top_source", "top_sources"), ("top_destination", "top_destinations")):
    got = sorted([[i, int(p)] for ss, i, p in st if ss == s], key=lambda x: (-x[1], x[0]))
    if got != e[k][:5]:
        bad.append("pkt_stats %s %s != %s" % (s, got, e[k][:5]))
print("ok" if not bad else "MISMATCH: " + "; ".join(bad))
EOF
	)
			log "correctness: $CHECK"
		fi
		cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
		checkpoint
		timed copy$r "\\copy packets_ref ($COLS) FROM '$EXPORT' (FORMAT binary)" || die "\\copy failed"
		COPY_T+=("$T")
		cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
		checkpoint
		timed scopy$r "COPY packets_ref ($COLS) FROM '$EXPORT' (FORMAT binary);" || die "COPY failed"
		SCOPY_T+=("$T")
		# the same rows into packets itself: what partitioning costs COPY
		reset_tables
		checkpoint
		timed pcopy$r "\\copy packets ($COLS) FROM '$EXPORT' (FORMAT binary)" || die "\\copy into packets failed"
		PCOPY_T+=("$T")
		# the other SPI form: INSERT ... SELECT over the batch functions
		reset_tables
		checkpoint
		timed insert$r "SET pktcapture.write_method = insert; SELECT pkt_load('$PCAP');" ||
			die "pkt_load (write_method insert) failed"
		INS_T+=("$T")
		log "rep $r: pkt_load ${LOAD_T[-1]} s (INSERT: ${INS_T[-1]} s), \\copy ${COPY_T[-1]} s (into packets: ${PCOPY_T[-1]} s), server COPY ${SCOPY_T[-1]} s"
	done
	REF_ROWS=$(q "SELECT count(*) FROM packets_ref")
	LOAD_S=$(median "${LOAD_T[@]}")
	COPY_S=$(median "${COPY_T[@]}")
	SCOPY_S=$(median "${SCOPY_T[@]}")
	INS_S=$(median "${INS_T[@]}")
	PCOPY_S=$(median "${PCOPY_T[@]}")
	ROWS_M=$(calc %.2f "$IP_PACKETS / 1e6")
	row "rows stored by pkt_load" "$LOADED" "generator: $IP_PACKETS IP pkts" "$(ratio "$LOADED" "$IP_PACKETS")"
	row "rows checked vs generator totals" "${CHECK%%:*}" "count,bytes,protocols,top5" "-"
	[ "$CHECK" = ok ] || note "correctness: $CHECK"
	row "pkt_load ${ROWS_M}M rows (s, median of $REPS)" "$LOAD_S" "psql \\copy binary $COPY_S" "$(ratio "$LOAD_S" "$COPY_S")"
	row "pkt_load ${ROWS_M}M rows (s)" "$LOAD_S" "server COPY binary $SCOPY_S" "$(ratio "$LOAD_S" "$SCOPY_S")"
	row "pkt_load, write_method insert (s)" "$INS_S" "psql \\copy binary $COPY_S" "$(ratio "$INS_S" "$COPY_S")"
	row "\\copy binary into packets (s, partitioned)" "$PCOPY_S" "into packets_ref $COPY_S" "$(ratio "$PCOPY_S" "$COPY_S")"
	LOAD_RPS=$(calc %.0f "$IP_PACKETS / $LOAD_S")
	row "pkt_load rows/s" "$LOAD_RPS" "\\copy $(calc %.0f "$REF_ROWS / $COPY_S")" "$(ratio "$LOAD_RPS" "$(calc %.0f "$REF_ROWS / $COPY_S")")"
	read -r LA LH <<<"$(mem load$REPS)"
	read -r CA CH <<<"$(mem copy$REPS)"
	row "pkt_load backend peak RssAnon (MB)" "$LA" "\\copy backend $CA" "$(ratio "$LA" "$CA")"
	row "pkt_load backend VmHWM (MB, incl. shm)" "$LH" "\\copy backend $CH" "$(ratio "$LH" "$CH")"
	note "load: all timings: pkt_load ${LOAD_T[*]}; pkt_load with write_method insert ${INS_T[*]}; \\copy ${COPY_T[*]}; server COPY ${SCOPY_T[*]}; \\copy into packets (partitioned, its partitions made by the load before) ${PCOPY_T[*]} (s). Each into a just-truncated table after CHECKPOINT; reference table: CREATE TABLE packets_ref (LIKE packets INCLUDING ALL) with the indexes of a partition of packets, primary key (id, capture_time) and BRIN (same identity with CACHE, generated protocol), COPY of every column but identity and generated ones."
fi

# ---------------------------------------------------------------------------
# tshark pipeline
# ---------------------------------------------------------------------------
if enabled tshark; then
	if [ "$TSHARK_PACKETS" = all ] || [ "$TSHARK_PACKETS" -ge "$FRAMES" ]; then
		SAMPLE=$PCAP
		SN=$FRAMES
	else
		SAMPLE=$WORK/sample.pcap
		SN=$TSHARK_PACKETS
		tcpdump -r "$PCAP" -c "$SN" -w "$SAMPLE" 2>/dev/null || die "tcpdump -c failed"
		chmod 644 "$SAMPLE"
	fi
	log "tshark: $SN frames"
	reset_tables
	checkpoint
	timed tsload "SELECT pkt_load('$SAMPLE');"
	TS_LOAD=$T
	TS_LOAD_ROWS=$(head -1 "$WORK/out.tsload")
	like_packets packets_tshark | cluster_psql >/dev/null
	# pkt_load of the whole file just before and just after the pipeline:
	# both timed in the same minutes (the machine's speed drifts by 20-30%
	# between minutes here)
	reset_tables
	checkpoint
	timed tsfull1 "SELECT pkt_load('$PCAP');" || die "pkt_load failed"
	TS_FULL1=$T
	checkpoint
	cat >"$WORK/tshark.awk" <<'EOF'
BEGIN { FS = "\t"; OFS = "\t" }
function hex(s,   i, v) {
	v = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function nz(s) { return s == "" ? "\\N" : s }
{
	split($1, t, ".")
	ts = strftime("%Y-%m-%d %H:%M:%S", t[1], 1) "." substr(t[2], 1, 6) "+00"
	if ($2 != "") { v = 4; s = $2; d = $4; p = $6 } else { v = 6; s = $3; d = $5; p = $7 }
	sp = $8 != "" ? $8 : ($9 != "" ? $9 : $10)
	dp = $11 != "" ? $11 : ($12 != "" ? $12 : $13)
	print ts, s, d, v, p, nz(sp), nz(dp), ($14 == "" ? "\\N" : hex($14)), $15, $16, nz($17)
}
EOF
	t0=$(date +%s.%N)
	tshark -r "$SAMPLE" -n -Y "ip or ipv6" -T fields -E separator=/t -E occurrence=f \
		-e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e ip.proto -e ipv6.nxt \
		-e tcp.srcport -e udp.srcport -e sctp.srcport -e tcp.dstport -e udp.dstport -e sctp.dstport \
		-e tcp.flags -e frame.len -e frame.cap_len -e vlan.id 2>"$WORK/tshark.err" |
		mawk -f "$WORK/tshark.awk" |
		cluster_psql -c "\\copy packets_tshark (capture_time, src_ip, dst_ip, ip_version, ip_proto, src_port, dst_port, tcp_flags, packet_size, captured_size, vlan_id) FROM STDIN" \
			>/dev/null 2>"$WORK/tshark.copy.err"
	rc=$?
	t1=$(date +%s.%N)
	TS_PIPE=$(calc %.3f "$t1 - $t0")
	TS_ROWS=$(q "SELECT count(*) FROM packets_tshark")
	reset_tables
	checkpoint
	timed tsfull2 "SELECT pkt_load('$PCAP');" || die "pkt_load failed"
	TS_FULL=$(calc %.3f "($TS_FULL1 + $T) / 2")
	[ "$rc" -eq 0 ] || note "tshark pipeline failed: $(head -3 "$WORK/tshark.copy.err")"
	row "tshark|awk|\\copy ${SN} frames (s)" "$TS_PIPE" "pkt_load same file $TS_LOAD" "$(ratio "$TS_PIPE" "$TS_LOAD")"
	row "tshark rows / pkt_load rows (sample)" "$TS_ROWS" "pkt_load $TS_LOAD_ROWS" "$(ratio "$TS_ROWS" "$TS_LOAD_ROWS")"
	if [ "$SAMPLE" != "$PCAP" ]; then
		TS_EXT=$(calc %.1f "$TS_PIPE * $FRAMES / $SN")
		row "tshark pipeline, ${FRAMES} frames (s, extrap.)" "$TS_EXT" "pkt_load alongside $TS_FULL" "$(ratio "$TS_EXT" "$TS_FULL")"
		note "tshark: measured on the first $SN frames (tcpdump -c), extrapolated linearly to $FRAMES frames; the sample ratio is measured, not extrapolated. pkt_load of all $FRAMES frames alongside: $TS_FULL1 s just before the pipeline, $T s just after, mean $TS_FULL s (the load section's median: $LOAD_S s)."
	else
		note "tshark: pkt_load of the same file alongside: $TS_FULL1 s just before the pipeline, $T s just after."
	fi
	note "tshark pipeline: tshark -T fields (17 fields, -Y 'ip or ipv6', occurrence=f) | mawk (address family, ports, hex flags, UTC time) | psql \\copy text into a LIKE packets INCLUDING ALL copy. Its ip_proto for IPv6 is the first next-header (0 behind hop-by-hop), as a naive pipeline does."
	q "DROP TABLE packets_tshark" >/dev/null
fi

# ---------------------------------------------------------------------------
# decoder alone
# ---------------------------------------------------------------------------
if enabled decode; then
	log "decode: building bench/decode-bench.c -O2"
	if gcc -O2 -Wall -I"$SRC_DIR" -o "$WORK/decode-bench" "$BENCH_DIR/decode-bench.c" \
		"$SRC_DIR/pkt_decode.c" $(pcap-config --libs) 2>"$WORK/decode.build"; then
		DB=$("$WORK/decode-bench" "$PCAP" "$DECODE_REPS")
		log "decode: $DB"
		DPPS=$(sed -n 's/.*median_pps=\([0-9]*\).*/\1/p' <<<"$DB")
		DNS=$(sed -n 's/.*ns_per_frame=\([0-9.]*\).*/\1/p' <<<"$DB")
		DIP=$(sed -n 's/.* ip=\([0-9]*\).*/\1/p' <<<"$DB")
		LOAD_FPS=$(calc %.0f "$FRAMES / $LOAD_S")
		row "decoder alone, frames/s (1 core, median)" "$DPPS" "pkt_load frames/s $LOAD_FPS" "$(ratio "$DPPS" "$LOAD_FPS")"
		row "decoder ns/frame" "$DNS" "pkt_load ns/frame $(calc %.0f "$LOAD_S * 1e9 / $FRAMES")" "$(ratio "$DNS" "$(calc %.1f "$LOAD_S * 1e9 / $FRAMES")")"
		row "decoder IP packets found" "$DIP" "generator $IP_PACKETS" "$(ratio "$DIP" "$IP_PACKETS")"
	else
		note "decode-bench did not build: $(head -3 "$WORK/decode.build")"
	fi
fi

# ---------------------------------------------------------------------------
# network namespace + veth, for live and pgbench
# ---------------------------------------------------------------------------
setup_net() {
	netns_add "$NS" && netns_veth "$V0" "$V1" || return 1
	# no IPv6 on the pair: no ND, MLD or RS frames of the kernel's own
	sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" >/dev/null
	netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" >/dev/null
	netns_up "$V0" "$V1"
}
# tcpreplay of the file from inside the namespace, out of V1 to V0 only.
# Every tcpreplay here runs with --no-flow-stats: its flow table made it
# send a flood of 4.3 M spoofed sources at 92-97 k pkt/s, whatever the --pps
# (1.8 M pkt/s without it, measured), so the flood was never sent as asked.
replay() { # replay OUTFILE [extra tcpreplay args]
	local out=$1
	shift
	timeout 900 ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" --topspeed "$@" "$PCAP" >"$out" 2>&1
}
replay_sent() { sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$1" | head -1; }
replay_pps() { sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$1" | head -1; }
status() { # status -> "run_id|frames|packets|kernel_dropped|interface_dropped|rows_stored|not_stored|rows_pending"
	# of the latest capture on V0 (pkt_status also lists ended runs)
	q "SELECT run_id, frames, packets, kernel_dropped, interface_dropped, rows_stored, not_stored, rows_pending
	   FROM pkt_status() WHERE interface = '$V0' ORDER BY started_at DESC LIMIT 1"
}
rx() { cat "/sys/class/net/$V0/statistics/rx_packets"; }
cpu_s() { # cpu_s PID -> user+system CPU seconds
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null
}

if enabled live || enabled pgbench || enabled spoof-live || enabled writes || enabled frames || enabled spool-flood; then
	setup_net || die "could not build the test network ($NS, $V0/$V1)"
fi

# ---------------------------------------------------------------------------
# live capture vs tcpdump
# ---------------------------------------------------------------------------
if enabled live; then
	log "live: tcpreplay --topspeed of $FRAMES frames x $LIVE_LOOPS, pkt_start('$V0')"
	reset_tables
	checkpoint
	WPID=$(q "SELECT pkt_start('$V0')") || die "pkt_start failed"
	"$WORK/memwatch.sh" "$WPID" "$WORK/mem.worker" &
	BG_PIDS="$BG_PIDS $!"
	sleep 0.5
	CPU0=$(cpu_s "$WPID")
	RX0=$(rx)
	replay "$WORK/replay.live" --loop="$LIVE_LOOPS"
	RX1=$(rx)
	sleep 1.5
	CPU1=$(cpu_s "$WPID")
	W_HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$WPID/status")
	read -r W_ANON _ <"$WORK/mem.worker"
	W_ANON=$(calc %.0f "${W_ANON:-0} / 1024")
	IFS='|' read -r RID _ _ KD_RUN _ _ _ _ <<<"$(status)"
	t0=$(date +%s.%N)
	q "SELECT pkt_stop('$V0')" >/dev/null
	t1=$(date +%s.%N)
	STOP_S=$(calc %.2f "$t1 - $t0")
	IFS='|' read -r _ LFR LPK LKD LID LST LNS LPE <<<"$(status)"
	LROWS=$(q "SELECT count(*) FROM packets WHERE run_id = $RID")
	SENT=$(replay_sent "$WORK/replay.live")
	PPS=$(replay_pps "$WORK/replay.live")
	# IP packets among the frames sent (all of them when every frame went out)
	SENT_IP=$(calc %.0f "$IP_PACKETS * ${SENT:-0} / $FRAMES")

	log "live: the same replay with tcpdump -s 128 -B $BUF_KB -w /dev/null"
	tcpdump -i "$V0" -w /dev/null -s 128 -B "$BUF_KB" -n 2>"$WORK/tcpdump.err" &
	TD=$!
	BG_PIDS="$BG_PIDS $TD"
	for _ in $(seq 1 100); do
		grep -q "listening on" "$WORK/tcpdump.err" && break
		sleep 0.1
	done
	replay "$WORK/replay.tcpdump" --loop="$LIVE_LOOPS"
	sleep 1.5
	kill -INT "$TD"
	wait "$TD"
	TD_CAP=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$WORK/tcpdump.err")
	TD_DROP=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
	TD_SENT=$(replay_sent "$WORK/replay.tcpdump")
	TD_PPS=$(replay_pps "$WORK/replay.tcpdump")

	row "live: frames sent by tcpreplay" "$SENT" "tcpdump run: $TD_SENT" "$(ratio "$SENT" "$TD_SENT")"
	row "live: frames received by $V0 (rx_packets)" "$((RX1 - RX0))" "sent $SENT" "$(ratio "$((RX1 - RX0))" "$SENT")"
	row "live: tcpreplay rate (pps)" "${PPS%.*}" "tcpdump run: ${TD_PPS%.*}" "$(ratio "$PPS" "$TD_PPS")"
	row "live: frames seen by capture" "$LFR" "tcpdump captured $TD_CAP" "$(ratio "$LFR" "$TD_CAP")"
	row "live: kernel dropped" "$LKD" "tcpdump dropped $TD_DROP" "$(ratio "$LKD" "$TD_DROP")"
	row "live: kernel dropped / sent" "$(ratio "$LKD" "$SENT")" "tcpdump $(ratio "$TD_DROP" "$TD_SENT")" "-"
	row "live: rows stored / IP packets sent" "$LROWS" "IP sent $SENT_IP" "$(ratio "$LROWS" "$SENT_IP")"
	row "live: rows stored = status rows_stored" "$LROWS" "pkt_status $LST" "$(ratio "$LROWS" "$LST")"
	LCPU=$(calc %.2f "$CPU1 - $CPU0")
	row "live: worker CPU (s) for the replay" "$LCPU" "-" "-"
	row "live: worker VmHWM (MB, incl. shm+ring)" "$W_HWM" "-" "-"
	row "live: worker peak RssAnon (MB)" "$W_ANON" "-" "-"
	row "live: pkt_stop duration (s)" "$STOP_S" "-" "-"
	note "live: not stored $LNS, pending $LPE, interface dropped $LID; kernel dropped when tcpreplay ended $KD_RUN. Buffer ${BUF_KB} KiB for both (pktcapture.buffer_size, tcpdump -B), snap length 128 for tcpdump. tcpdump writes to /dev/null: a lower bound on per-packet work."

	# the same replay with a spool (pktcapture.spool_size, pkt_spooler.c):
	# the spooler drains the kernel into files, rows follow from them
	log "live: the same replay with pktcapture.spool_size = $LIVE_SPOOL"
	reset_tables
	checkpoint
	WPID=$(q "SET pktcapture.spool_size = '$LIVE_SPOOL'; SELECT pkt_start('$V0')") || die "pkt_start with a spool failed"
	SPID=$(q "SELECT spooler_pid FROM pkt_status() WHERE pid = $WPID")
	[ -n "$SPID" ] || die "no spooler beside capture $WPID"
	sleep 0.5
	CPU0=$(cpu_s "$WPID")
	SCPU0=$(cpu_s "$SPID")
	replay "$WORK/replay.spool" --loop="$LIVE_LOOPS" &
	RPID=$!
	MAXLAG=0 MAXSPOOL=0
	while kill -0 "$RPID" 2>/dev/null; do
		IFS='|' read -r l b <<<"$(q "SELECT extract(epoch FROM lag), spool_bytes FROM pkt_status() WHERE pid = $WPID")"
		[ -n "$l" ] && MAXLAG=$(calc %.3f "($l > $MAXLAG) ? $l : $MAXLAG")
		[ -n "$b" ] && [ "$b" -gt "$MAXSPOOL" ] && MAXSPOOL=$b
		sleep 0.2
	done
	wait "$RPID"
	t0=$(date +%s.%N)
	# catching up: until every frame spooled is a row
	for _ in $(seq 1 3000); do
		IFS='|' read -r l b sf pe <<<"$(q "SELECT extract(epoch FROM lag), spool_bytes, spool_frames, rows_pending FROM pkt_status() WHERE pid = $WPID")"
		[ -n "$l" ] && MAXLAG=$(calc %.3f "($l > $MAXLAG) ? $l : $MAXLAG")
		[ -n "$b" ] && [ "$b" -gt "$MAXSPOOL" ] && MAXSPOOL=$b
		[ "$sf" = 0 ] && [ "$pe" = 0 ] && break
		sleep 0.2
	done
	t1=$(date +%s.%N)
	CATCHUP_S=$(calc %.1f "$t1 - $t0")
	CPU1=$(cpu_s "$WPID")
	SCPU1=$(cpu_s "$SPID")
	IFS='|' read -r RID _ _ _ _ _ _ _ <<<"$(status)"
	q "SELECT pkt_stop('$V0')" >/dev/null
	IFS='|' read -r _ SFR SPK SKD SID SST SNS SPE <<<"$(status)"
	SROWS=$(q "SELECT count(*) FROM packets WHERE run_id = $RID")
	SSENT=$(replay_sent "$WORK/replay.spool")
	SPPS=$(replay_pps "$WORK/replay.spool")
	SSENT_IP=$(calc %.0f "$IP_PACKETS * ${SSENT:-0} / $FRAMES")
	row "live spool: tcpreplay rate (pps)" "${SPPS%.*}" "without spool: ${PPS%.*}" "$(ratio "$SPPS" "$PPS")"
	row "live spool: kernel dropped" "$SKD" "without spool $LKD; tcpdump $TD_DROP" "-"
	row "live spool: frames seen / sent" "$SFR" "sent $SSENT" "$(ratio "$SFR" "$SSENT")"
	row "live spool: rows stored / IP packets sent" "$SROWS" "IP sent $SSENT_IP" "$(ratio "$SROWS" "$SSENT_IP")"
	row "live spool: largest lag seen (s)" "$MAXLAG" "-" "-"
	row "live spool: largest spool seen (MB)" "$(calc %.0f "$MAXSPOOL / 1048576")" "bound $LIVE_SPOOL" "-"
	row "live spool: catch-up after tcpreplay ended (s)" "$CATCHUP_S" "-" "-"
	row "live spool: worker CPU (s)" "$(calc %.2f "$CPU1 - $CPU0")" "without spool: $(calc %.2f "$LCPU")" "-"
	row "live spool: spooler CPU (s)" "$(calc %.2f "$SCPU1 - $SCPU0")" "-" "-"
	note "live spool: not stored $SNS, pending $SPE, interface dropped $SID; the lag and the spool's size sampled every 0.2 s from pkt_status while tcpreplay ran and until the rows caught up."
fi

# ---------------------------------------------------------------------------
# pgbench while capturing
# ---------------------------------------------------------------------------
pgb() { # pgb NAME [pgbench args] -> tps
	local name=$1
	shift
	"$PGBENCH" -U postgres -c 2 -j 2 -T "$PGBENCH_TIME" "$@" pgb >"$WORK/pgbench.$name" 2>&1
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.$name" | tail -1
}
loop_start() {
	timeout $((PGBENCH_TIME * 2 + 60)) ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" --topspeed --loop=1000 \
		"$PCAP" >"$WORK/replay.loop.$1" 2>&1 &
	LOOP=$!
	BG_PIDS="$BG_PIDS $LOOP"
	sleep 1
}
loop_stop() {
	kill -TERM "$LOOP" 2>/dev/null
	wait "$LOOP" 2>/dev/null
}
if enabled pgbench; then
	log "pgbench: init scale $PGBENCH_SCALE"
	q "CREATE DATABASE pgb" >/dev/null
	"$PGBENCH" -U postgres -i -s "$PGBENCH_SCALE" -q pgb >"$WORK/pgbench.init" 2>&1 || die "pgbench -i failed"
	checkpoint
	log "pgbench: idle (-S, TPC-B), ${PGBENCH_TIME}s each"
	IDLE_S=$(pgb idle-S -S)
	IDLE_B=$(pgb idle-B)
	log "pgbench: traffic only (tcpreplay loop, no capture)"
	loop_start traffic
	TR_S=$(pgb traffic-S -S)
	TR_B=$(pgb traffic-B)
	loop_stop
	# capture_run NAME: a capture during pgbench -S and TPC-B over the looping
	# replay; sets G_S G_B (tps), G_FR G_PK G_KD G_ST G_NS G_PE (pkt_status
	# after the stop), G_SENT (frames received), G_CPU (worker CPU, s) and
	# G_STOP (pkt_stop duration, s)
	capture_run() {
		local pid c0 c1 r0 r1 t0 t1
		reset_tables
		checkpoint
		pid=$(q "SELECT pkt_start('$V0')") || die "pkt_start failed"
		c0=$(cpu_s "$pid")
		r0=$(rx)
		loop_start "$1"
		G_S=$(pgb "$1-S" -S)
		G_B=$(pgb "$1-B")
		loop_stop
		r1=$(rx)
		sleep 1
		c1=$(cpu_s "$pid")
		t0=$(date +%s.%N)
		q "SELECT pkt_stop('$V0')" >/dev/null
		t1=$(date +%s.%N)
		IFS='|' read -r _ G_FR G_PK G_KD _ G_ST G_NS G_PE <<<"$(status)"
		G_SENT=$((r1 - r0))
		G_CPU=$(calc %.2f "$c1 - $c0")
		G_STOP=$(calc %.2f "$t1 - $t0")
	}
	log "pgbench: traffic + capture"
	capture_run capture
	row "pgbench -S tps, capture running" "${G_S%.*}" "idle ${IDLE_S%.*}" "$(ratio "$G_S" "$IDLE_S")"
	row "pgbench TPC-B tps, capture running" "${G_B%.*}" "idle ${IDLE_B%.*}" "$(ratio "$G_B" "$IDLE_B")"
	row "pgbench -S tps, capture running" "${G_S%.*}" "traffic, no capture ${TR_S%.*}" "$(ratio "$G_S" "$TR_S")"
	row "pgbench TPC-B tps, capture running" "${G_B%.*}" "traffic, no capture ${TR_B%.*}" "$(ratio "$G_B" "$TR_B")"
	row "pgbench run: capture frames seen" "$G_FR" "received by $V0 $G_SENT" "$(ratio "$G_FR" "$G_SENT")"
	row "pgbench run: kernel dropped" "$G_KD" "received by $V0 $G_SENT" "$(ratio "$G_KD" "$G_SENT")"
	row "pgbench run: rows stored" "$G_ST" "IP packets seen $G_PK" "$(ratio "$G_ST" "$G_PK")"
	row "pgbench run: worker CPU (s)" "$(calc %.1f "$G_CPU")" "wall $((2 * PGBENCH_TIME)) s" "$(ratio "$G_CPU" "$((2 * PGBENCH_TIME))")"
	STOP_NOTE="pkt_stop after the loop took $G_STOP s; not stored $G_NS, pending $G_PE."
	# the DBA's other choice: the capture at the lowest CPU priority
	log "pgbench: traffic + capture with pktcapture.worker_nice = 19"
	q "ALTER SYSTEM SET pktcapture.worker_nice = 19" >/dev/null
	q "SELECT pg_reload_conf()" >/dev/null
	capture_run nice
	q "ALTER SYSTEM RESET pktcapture.worker_nice" >/dev/null
	q "SELECT pg_reload_conf()" >/dev/null
	row "pgbench -S tps, capture at worker_nice 19" "${G_S%.*}" "idle ${IDLE_S%.*}" "$(ratio "$G_S" "$IDLE_S")"
	row "pgbench TPC-B tps, capture at worker_nice 19" "${G_B%.*}" "idle ${IDLE_B%.*}" "$(ratio "$G_B" "$IDLE_B")"
	row "worker_nice 19 run: kernel dropped" "$G_KD" "received by $V0 $G_SENT" "$(ratio "$G_KD" "$G_SENT")"
	row "worker_nice 19 run: rows stored" "$G_ST" "IP packets seen $G_PK" "$(ratio "$G_ST" "$G_PK")"
	note "pgbench: -c 2 -j 2 -T $PGBENCH_TIME, scale $PGBENCH_SCALE, in database pgb; traffic = tcpreplay --topspeed --loop from the namespace (it uses a core itself on this 2-core machine, hence the traffic-only column); capture rows go to packets of database postgres. $STOP_NOTE"
fi

# ---------------------------------------------------------------------------
# growth: the last 1M rows into a big table
# ---------------------------------------------------------------------------
if enabled growth; then
	log "growth: filling packets to $GROWTH_ROWS rows"
	# The first million goes into the empty packets of a second database,
	# each load right after one into the big table, so that both are timed
	# in the same minutes: the machine's speed drifts by 20-30% between
	# minutes here, which is not growth.
	reset_tables
	q "SELECT pkt_load('$PCAP')" >/dev/null || die "pkt_load failed"
	have=$IP_PACKETS
	t0=$(date +%s.%N)
	while [ $((have + IP_PACKETS)) -lt "$GROWTH_ROWS" ]; do
		add=$((GROWTH_ROWS - IP_PACKETS - have))
		[ "$add" -gt "$have" ] && add=$have
		q "INSERT INTO packets ($COLS) SELECT $COLS FROM packets LIMIT $add" >/dev/null || die "fill failed"
		have=$((have + add))
	done
	t1=$(date +%s.%N)
	cluster_psql -c "ANALYZE packets" >/dev/null
	BEFORE=$(q "SELECT count(*) FROM packets")
	SIZE=$(q "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('packets')")
	log "growth: $BEFORE rows ($SIZE) in $(calc %.0f "$t1 - $t0") s; timed pkt_load x $GROWTH_REPS, each with one into an empty table"
	GROW_T=() FIRST_T=()
	for r in $(seq 1 "$GROWTH_REPS"); do
		# the kernel's writeback of the fill or of the last load must not
		# slow the timed load
		checkpoint
		sync
		timed grow$r "SELECT pkt_load('$PCAP');" || die "pkt_load failed"
		GROW_T+=("$T")
		CLUSTER_DB=pktgrow reset_tables
		checkpoint
		sync
		CLUSTER_DB=pktgrow timed growfirst$r "SELECT pkt_load('$PCAP');" || die "pkt_load failed"
		FIRST_T+=("$T")
	done
	FIRST_S=$(median "${FIRST_T[@]}")
	GROW_S=$(median "${GROW_T[@]}")
	GROW_RPS=$(calc %.0f "$IP_PACKETS / $GROW_S")
	FIRST_RPS=$(calc %.0f "$IP_PACKETS / $FIRST_S")
	row "pkt_load rows/s into table of $BEFORE rows" "$GROW_RPS" "first million $FIRST_RPS" "$(ratio "$GROW_RPS" "$FIRST_RPS")"
	note "growth: packets held $BEFORE rows ($SIZE incl. indexes) before the timed loads (filled by one pkt_load and INSERT ... SELECT from itself, then ANALYZE; autovacuum is off in the bench cluster; the fill does not touch the summary tables); timed loads ${GROW_T[*]} s (one after the other, so the last starts at $BEFORE + $(((GROWTH_REPS - 1) * IP_PACKETS)) rows), each followed by the first million into the empty packets of a second database: ${FIRST_T[*]} s; CHECKPOINT and sync before each; medians compared. GROWTH_ROWS=50000000 for the big case."
	reset_tables
	q "DROP DATABASE pktgrow" >/dev/null
fi

# ---------------------------------------------------------------------------
# profile of one pkt_load
# ---------------------------------------------------------------------------
if enabled profile; then
	log "profile: perf record --call-graph dwarf -F $PERF_FREQ of one pkt_load"
	cat >"$WORK/perf-start.sh" <<EOF
#!/bin/sh
perf record -F $PERF_FREQ --call-graph dwarf,16384 -p "\$1" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
echo \$! >"$WORK/perf.pid"
sleep 1
EOF
	chmod 755 "$WORK/perf-start.sh"
	reset_tables
	checkpoint
	cluster_psql -At >/dev/null 2>"$WORK/perf.err" <<EOF
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! "\$WORK/perf-start.sh" "\$BPID"
SELECT pkt_load('$PCAP');
\! kill -INT \$(cat "\$WORK/perf.pid"); while kill -0 \$(cat "\$WORK/perf.pid") 2>/dev/null; do sleep 0.2; done
EOF
	if [ -s "$WORK/perf.data" ]; then
		"$PY" "$BENCH_DIR/perf-summary.py" "$WORK/perf.data" 25 >"$WORK/profile.txt" 2>&1
		cat "$WORK/profile.txt" >&2
	else
		note "profile: perf record failed: $(head -3 "$WORK/perf.log" "$WORK/perf.err" 2>/dev/null)"
	fi
fi

# ---------------------------------------------------------------------------
# schema variants: what each part of the table costs a COPY
# ---------------------------------------------------------------------------
if enabled schema; then
	log "schema: \\copy binary of the same rows into variants of packets, $SCHEMA_REPS each"
	variant() { # variant TABLE KIND...
		local t=$1
		shift
		for k in "$@"; do
			case $k in
			nopk) echo "SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', '$t', conname) FROM pg_constraint WHERE conrelid = '$t'::regclass AND contype = 'p' \\gexec" ;;
			nobrin) echo "SELECT format('DROP INDEX %s', i.indexrelid::regclass) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = '$t'::regclass AND a.amname = 'brin' \\gexec" ;;
			nogen) echo "SELECT format('ALTER TABLE %I DROP COLUMN %I', '$t', attname) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attgenerated <> '' AND NOT attisdropped \\gexec" ;;
			cache1 | cache1000) echo "SELECT format('ALTER TABLE %I ALTER COLUMN %I SET CACHE ${k#cache}', '$t', attname) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attidentity <> '' \\gexec" ;;
			noid) echo "SELECT format('ALTER TABLE %I DROP COLUMN %I CASCADE', '$t', attname) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attidentity <> '' AND NOT attisdropped \\gexec" ;;
			noidx) echo "SELECT format('DROP INDEX %s', indexrelid::regclass) FROM pg_index WHERE indrelid = '$t'::regclass \\gexec" ;;
			esac
		done
	}
	SCHEMA_BASE=""
	while IFS='|' read -r name label kinds; do
		[ -n "$name" ] || continue
		t=v_$name
		unlogged=""
		[ "$name" = unlogged ] && unlogged=UNLOGGED
		# shellcheck disable=SC2086
		{
			like_packets "$t" "$unlogged"
			variant "$t" $kinds
		} | cluster_psql >/dev/null 2>"$WORK/schema.$name.err" || {
			note "schema $name: $(head -2 "$WORK/schema.$name.err")"
			continue
		}
		ts=()
		for r in $(seq 1 "$SCHEMA_REPS"); do
			cluster_psql -c "TRUNCATE $t" >/dev/null
			checkpoint
			timed "schema-$name-$r" "\\copy $t ($COLS) FROM '$EXPORT' (FORMAT binary)" && ts+=("$T")
		done
		q "DROP TABLE $t" >/dev/null
		[ "${#ts[@]}" -gt 0 ] || continue
		s=$(median "${ts[@]}")
		[ -z "$SCHEMA_BASE" ] && SCHEMA_BASE=$s
		row "COPY (s): $label" "$s" "as packets $SCHEMA_BASE" "$(ratio "$s" "$SCHEMA_BASE")"
	done <<EOF
full|as packets (id CACHE $IDCACHE)|
nopk|no primary key|nopk
nobrin|no BRIN index|nobrin
nogen|no generated protocol column|nogen
cache1|identity CACHE 1|cache1
cache1000|identity CACHE 1000|cache1000
noid|no id column (so no PK)|noid
noidxgen|no indexes/generated, identity kept|nopk noidx nogen
bare|bare heap (no id, indexes, generated)|noid noidx nogen
unlogged|UNLOGGED (no WAL)|
EOF
	note "schema: each variant is CREATE TABLE (LIKE packets INCLUDING ALL) then the change; the same binary file by psql \\copy, median of $SCHEMA_REPS, into an empty table after CHECKPOINT."
fi

# ---------------------------------------------------------------------------
# workloads whose cost grows with addresses and time: helpers
# ---------------------------------------------------------------------------
# gen_traffic NAME MODE COUNT [gen-traffic.py args]: $WORK/NAME.pcap and its
# .json by bench/gen-traffic.py, once
gen_traffic() {
	local name=$1 mode=$2 count=$3 t0 t1
	shift 3
	[ -s "$WORK/$name.pcap.json" ] && return 0
	log "generating $name.pcap: gen-traffic.py --mode $mode --count $count $*"
	t0=$(date +%s.%N)
	"$PY" "$BENCH_DIR/gen-traffic.py" --mode "$mode" --out "$WORK/$name.pcap" --count "$count" \
		--seed "$SEED" --snaplen "$SNAPLEN" "$@" >"$WORK/gen.$name.txt" || die "gen-traffic.py --mode $mode failed"
	t1=$(date +%s.%N)
	chmod 644 "$WORK/$name.pcap"
	cat "$WORK/gen.$name.txt" >&2
	INPUTS+=("$name.pcap: $(tj "$name" frames) frames, $(tj "$name" ip_packets) IP packets, $(tj "$name" distinct_addresses) addresses, $(tj "$name" minute_addresses) (minute, address) pairs over $(tj "$name" minutes) minutes; gen-traffic.py --mode $mode --count $count $*, seed $SEED, $(calc %.1f "$t1 - $t0") s")
}
tj() { # tj NAME KEY [KEY2...]: a value of $WORK/NAME.pcap.json
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d = d[k]
print(d)' "$WORK/$1.pcap.json" "${@:2}"
}
utc() { # utc MICROSECONDS -> timestamptz literal
	"$PY" -c 'import sys, datetime
print(datetime.datetime.fromtimestamp(int(sys.argv[1]) // 1000000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00"))' "$1"
}
mb() { calc %.1f "${1:-0} / 1048576"; }
# ext_tables FILE: one line per table of the extension,
# "name|rows|bytes (all partitions, indexes and TOAST)|inserted|updated|deleted"
ext_tables() {
	cluster_psql -At >"$1" <<EOF
SELECT format('SELECT %L, (SELECT count(*) FROM %s), sum(pg_total_relation_size(t.relid)),
                      coalesce(sum(s.n_tup_ins), 0), coalesce(sum(s.n_tup_upd), 0), coalesce(sum(s.n_tup_del), 0)
               FROM (SELECT %s::regclass AS relid UNION SELECT relid FROM pg_partition_tree(%s)) t
               LEFT JOIN pg_stat_user_tables s ON s.relid = t.relid',
              e.oid::regclass::text, e.oid::regclass, e.oid, e.oid)
FROM ($EXT_REL_SQL) e ORDER BY e.oid::regclass::text
\gexec
EOF
}
# ext_field FILE TABLE COLUMN(2-6) -> that value
ext_field() { awk -F'|' -v t="$2" -v c="$3" '$1 == t { print $c }' "$1"; }
# the summary tables: every table of the extension but packets and the ledger
summary_tables() { awk -F'|' '$1 != "packets" && $1 != "pkt_runs" { print $1 }' "$1"; }
summary_sum() { # summary_sum FILE COLUMN -> sum over the summary tables
	awk -F'|' -v c="$2" '$1 != "packets" && $1 != "pkt_runs" { s += $c } END { printf "%.0f", s }' "$1"
}
# rows_check NAME: the rows in packets against NAME.pcap.json (count, bytes,
# address families, VLAN, ports, flags, protocols) -> "ok" or "MISMATCH: ..."
rows_check() {
	q "SELECT count(*), coalesce(sum(packet_size), 0), count(*) FILTER (WHERE ip_version = 4),
	          count(*) FILTER (WHERE ip_version = 6), count(*) FILTER (WHERE vlan_id IS NOT NULL),
	          count(*) FILTER (WHERE src_port IS NOT NULL), count(*) FILTER (WHERE tcp_flags IS NOT NULL)
	   FROM packets" >"$WORK/rcheck.totals"
	q "SELECT protocol, count(*), sum(packet_size) FROM packets GROUP BY 1" >"$WORK/rcheck.protocols"
	"$PY" - "$WORK/$1.pcap.json" "$WORK/rcheck.totals" "$WORK/rcheck.protocols" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
bad = []
got = dict(zip(["ip_packets", "ip_bytes", "ipv4", "ipv6", "vlan_tagged_ip", "with_ports", "with_tcp_flags"],
               map(int, open(sys.argv[2]).read().strip().split("|"))))
for k, v in got.items():
    if v != e[k]:
        bad.append("%s %d != %d" % (k, v, e[k]))
pk, by = {}, {}
for l in open(sys.argv[3]).read().split():
    p, c, b = l.split("|")
    pk[p], by[p] = int(c), int(b)
if pk != e["protocols"] or by != e["protocol_bytes"]:
    bad.append("protocols %s != %s" % (pk, e["protocols"]))
print("ok" if not bad else "MISMATCH: " + "; ".join(bad))
EOF
}
[ -n "$(q "SELECT 1 FROM pg_class WHERE relname = 'packets_ref'")" ] ||
	like_packets packets_ref | cluster_psql >/dev/null || die "cannot create packets_ref"

# ---------------------------------------------------------------------------
# day: a day of traffic, pkt_load vs \copy, and what the summaries weigh
# ---------------------------------------------------------------------------
if enabled day || enabled report; then
	gen_traffic day day "$DAY_PACKETS" --hosts "$DAY_HOSTS" --hour "$DAY_HOUR"
	DAY_PCAP=$WORK/day.pcap
	DAY_IP=$(tj day ip_packets)
fi
DAY_LOADED=0
if enabled day; then
	log "day: pkt_load of $DAY_IP rows over 24 h vs \\copy binary, $DAY_REPS repetitions"
	DAY_EXPORT=$WORK/day.bin
	DAYL_T=() DAYC_T=() DAYP_T=()
	for r in $(seq 1 "$DAY_REPS"); do
		cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
		if [ -s "$DAY_EXPORT" ]; then
			# the rows into packets itself, across the day's partitions
			reset_tables
			checkpoint
			timed daypcopy$r "\\copy packets ($COLS) FROM '$DAY_EXPORT' (FORMAT binary)" ||
				die "\\copy into packets failed"
			DAYP_T+=("$T")
		fi
		reset_tables
		checkpoint
		timed dayload$r "SELECT pkt_load('$DAY_PCAP');" || die "pkt_load of the day failed"
		DAYL_T+=("$T")
		DAY_ROWS=$(head -1 "$WORK/out.dayload$r")
		if [ "$r" = 1 ]; then
			cluster_psql -c "\\copy (SELECT $COLS FROM packets ORDER BY id) TO '$DAY_EXPORT' (FORMAT binary)" ||
				die "export failed"
			chmod 644 "$DAY_EXPORT"
			DAY_CHECK=$(rows_check day)
			log "day: rows against the generator: $DAY_CHECK"
			ext_tables "$WORK/day.tables"
		fi
		checkpoint
		timed daycopy$r "\\copy packets_ref ($COLS) FROM '$DAY_EXPORT' (FORMAT binary)" || die "\\copy failed"
		DAYC_T+=("$T")
		log "day rep $r: pkt_load ${DAYL_T[-1]} s, \\copy ${DAYC_T[-1]} s"
	done
	cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
	DAY_LOADED=1
	DAYL_S=$(median "${DAYL_T[@]}")
	DAYC_S=$(median "${DAYC_T[@]}")
	DAY_M=$(calc %.2f "$DAY_IP / 1e6")
	row "day: rows stored by pkt_load" "$DAY_ROWS" "generator: $DAY_IP IP pkts" "$(ratio "$DAY_ROWS" "$DAY_IP")"
	row "day: rows checked vs generator totals" "${DAY_CHECK%%:*}" "count,bytes,families,protocols" "-"
	[ "$DAY_CHECK" = ok ] || note "day: rows against the generator: $DAY_CHECK"
	row "day: pkt_load ${DAY_M}M rows over 24 h (s)" "$DAYL_S" "psql \\copy binary $DAYC_S" "$(ratio "$DAYL_S" "$DAYC_S")"
	if [ ${#DAYP_T[@]} -gt 0 ]; then
		DAYP_S=$(median "${DAYP_T[@]}")
		row "day: \\copy binary into packets (s, the day's 24 partitions)" "$DAYP_S" "into packets_ref $DAYC_S" "$(ratio "$DAYP_S" "$DAYC_S")"
	fi
	P_BYTES=$(ext_field "$WORK/day.tables" packets 3)
	P_ROWS=$(ext_field "$WORK/day.tables" packets 2)
	S_BYTES=$(summary_sum "$WORK/day.tables" 3)
	S_ROWS=$(summary_sum "$WORK/day.tables" 2)
	row "day: size of packets with indexes (MB)" "$(mb "$P_BYTES")" "rows $P_ROWS" "-"
	for t in $(summary_tables "$WORK/day.tables"); do
		tb=$(ext_field "$WORK/day.tables" "$t" 3)
		row "day: size of $t (MB)" "$(mb "$tb")" "packets $(mb "$P_BYTES")" "$(ratio "$tb" "$P_BYTES")"
		tr=$(ext_field "$WORK/day.tables" "$t" 2)
		row "day: rows of $t" "$tr" "packets $P_ROWS" "$(ratio "$tr" "$P_ROWS")"
	done
	row "day: all summaries / packets (size, MB)" "$(mb "$S_BYTES")" "packets $(mb "$P_BYTES")" "$(ratio "$S_BYTES" "$P_BYTES")"
	row "day: all summaries / packets (rows)" "$S_ROWS" "packets $P_ROWS" "$(ratio "$S_ROWS" "$P_ROWS")"
	note "day: $DAY_IP IP packets over 24 h of $(utc "$(tj day day_start_us)" | cut -c1-10) (diurnal curve, $(tj day hosts) Zipf hosts, $(tj day distinct_addresses) seen; the generator counts $(tj day minute_addresses) distinct (minute, address) pairs, at most $(tj day max_minute_addresses) in a minute); timings pkt_load ${DAYL_T[*]}, \\copy ${DAYC_T[*]}, \\copy into packets (partitioned; from the second repetition, before its load) ${DAYP_T[*]} (s), each after TRUNCATE and CHECKPOINT, the \\copy of the same rows (exported after the first load, every column but identity and generated ones) right after each load into packets_ref (LIKE packets INCLUDING ALL, with a partition's indexes: unpartitioned). Sizes: pg_total_relation_size (indexes, TOAST, all partitions) of every table the extension owns (pg_depend), after the first load; summaries = all of them but packets and pkt_runs: $(summary_tables "$WORK/day.tables" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------
# report: pkt_report_between over the day and an hour vs GROUP BY
# ---------------------------------------------------------------------------
if enabled report; then
	if [ "$DAY_LOADED" != 1 ]; then
		log "report: loading the day file"
		reset_tables
		q "SELECT pkt_load('$DAY_PCAP')" >/dev/null || die "pkt_load of the day failed"
	fi
	# a day-old table has been vacuumed and analyzed (autovacuum is off here)
	cluster_psql -c "VACUUM ANALYZE $EXT_TABLES" >/dev/null
	D0=$(utc "$(tj day day_start_us)")
	D1=$(q "SELECT '$D0'::timestamptz + interval '1 day'")
	H0=$(utc "$(tj day hour start_us)")
	H1=$(utc "$(tj day hour end_us)")
	SECTIONS="'total', 'protocol', 'top_source', 'top_destination', 'top_source_bytes', 'top_destination_bytes'"
	# report_sql FROM TO: pkt_report_between's lines (the minute holding TO is
	# included: TO is the start of the window's last minute)
	report_sql() {
		echo "SELECT section, item, packets, bytes FROM pkt_report_between('$1', '$2', 5) WHERE section IN ($SECTIONS);"
	}
	# groupby_sql FROM TO: the same figures by GROUP BY over packets, TO excluded
	groupby_sql() {
		local w="capture_time >= '$1' AND capture_time < '$2'"
		cat <<EOF
SELECT 'total', 'packets', count(*), sum(packet_size) FROM packets WHERE $w;
SELECT 'protocol', protocol, count(*), sum(packet_size) FROM packets WHERE $w GROUP BY protocol ORDER BY 3 DESC, 2;
SELECT 'top_source', host(src_ip), count(*), sum(packet_size) FROM packets WHERE $w GROUP BY src_ip ORDER BY 3 DESC, src_ip LIMIT 5;
SELECT 'top_destination', host(dst_ip), count(*), sum(packet_size) FROM packets WHERE $w GROUP BY dst_ip ORDER BY 3 DESC, dst_ip LIMIT 5;
SELECT 'top_source_bytes', host(src_ip), count(*), sum(packet_size) FROM packets WHERE $w GROUP BY src_ip ORDER BY 4 DESC, src_ip LIMIT 5;
SELECT 'top_destination_bytes', host(dst_ip), count(*), sum(packet_size) FROM packets WHERE $w GROUP BY dst_ip ORDER BY 4 DESC, dst_ip LIMIT 5;
EOF
	}
	RLAST_DAY=$(q "SELECT '$D1'::timestamptz - interval '1 minute'")
	RLAST_HOUR=$(q "SELECT '$H1'::timestamptz - interval '1 minute'")
	log "report: pkt_report_between vs GROUP BY over the day and over $H0 - $H1, $REPORT_REPS times each"
	RD_T=() GD_T=() RH_T=() GH_T=() CH_T=()
	for r in $(seq 1 "$REPORT_REPS"); do
		timed rday$r "$(report_sql "$D0" "$RLAST_DAY")" && RD_T+=("$T")
		timed gday$r "$(groupby_sql "$D0" "$D1")" && GD_T+=("$T")
		timed rhour$r "$(report_sql "$H0" "$RLAST_HOUR")" && RH_T+=("$T")
		timed ghour$r "$(groupby_sql "$H0" "$H1")" && GH_T+=("$T")
		timed chour$r "SELECT count(*) FROM packets WHERE capture_time >= '$H0' AND capture_time < '$H1';" && CH_T+=("$T")
	done
	# report_check A B JSON [KEY]: the lines of file A against those of B, and
	# B against the generator's totals (JSON, or JSON[KEY]); top lists compared
	# tie-tolerant: the ranked values in order, and each address's packets and
	# bytes where known (from B or the generator's top 10)
	report_check() {
		"$PY" - "$@" <<'EOF'
import json, sys
a_f, b_f, j_f = sys.argv[1:4]
e = json.load(open(j_f))
if len(sys.argv) > 4:
    e = e[sys.argv[4]]
TOPS = {"top_source": ("top_sources", 1), "top_destination": ("top_destinations", 1),
        "top_source_bytes": ("top_sources_bytes", 2), "top_destination_bytes": ("top_destinations_bytes", 2)}
def read(f):
    d = {}
    for l in open(f).read().split("\n"):
        if l:
            s, i, p, b = l.split("|")
            d.setdefault(s, []).append((i, int(p or 0), int(b or 0)))
    return d
def from_json(e):
    d = {"total": [("packets", e["ip_packets"], e["ip_bytes"])],
         "protocol": [(k, v, e["protocol_bytes"][k]) for k, v in e.get("protocols", {}).items()]}
    for s, (k, _) in TOPS.items():
        d[s] = [tuple(x) for x in e.get(k, [])]
    return d
known = {}
for s, (k, _) in TOPS.items():
    for x in e.get(k, []):
        known[(s.replace("_bytes", ""), x[0])] = (x[1], x[2])
def check(A, B, an, bn):
    bad = []
    if A.get("total") != B.get("total"):
        bad.append("total %s: %s, %s: %s" % (an, A.get("total"), bn, B.get("total")))
    if sorted(A.get("protocol", [])) != sorted(B.get("protocol", [])):
        bad.append("protocols differ")
    for s, (_, k) in TOPS.items():
        la, lb = A.get(s, [])[:5], B.get(s, [])[:5]
        if [x[k] for x in la] != [x[k] for x in lb]:
            bad.append("%s %s %s, %s %s" % (s, an, [(x[0], x[k]) for x in la], bn, [(x[0], x[k]) for x in lb]))
            continue
        kn = dict(known)
        for x in lb:
            kn[(s.replace("_bytes", ""), x[0])] = (x[1], x[2])
        for x in la:
            v = kn.get((s.replace("_bytes", ""), x[0]))
            if v is not None and v != (x[1], x[2]):
                bad.append("%s %s: %s %s, %s %s" % (s, x[0], an, x[1:], bn, v))
    return bad
A, B = read(a_f), read(b_f)
bad1 = check(A, B, "report", "GROUP BY")
bad2 = check(B, from_json(e), "GROUP BY", "generator")
print(("ok" if not bad1 else "FAIL: " + "; ".join(bad1)[:600]) + "\t" +
      ("ok" if not bad2 else "FAIL: " + "; ".join(bad2)[:600]))
EOF
	}
	IFS=$'\t' read -r RC_DAY GC_DAY <<<"$(report_check "$WORK/out.rday1" "$WORK/out.gday1" "$WORK/day.pcap.json")"
	IFS=$'\t' read -r RC_HOUR GC_HOUR <<<"$(report_check "$WORK/out.rhour1" "$WORK/out.ghour1" "$WORK/day.pcap.json" hour)"
	RD_S=$(median "${RD_T[@]}")
	GD_S=$(median "${GD_T[@]}")
	RH_S=$(median "${RH_T[@]}")
	GH_S=$(median "${GH_T[@]}")
	CH_S=$(median "${CH_T[@]}")
	HOUR_ROWS=$(head -1 "$WORK/out.chour1")
	row "report: pkt_report_between, the day (s)" "$RD_S" "its GROUP BY queries $GD_S" "$(ratio "$RD_S" "$GD_S")"
	row "report: pkt_report_between, hour $DAY_HOUR (s)" "$RH_S" "its GROUP BY queries $GH_S" "$(ratio "$RH_S" "$GH_S")"
	row "report: pkt_report_between, hour $DAY_HOUR (s)" "$RH_S" "count(*) of its rows $CH_S" "$(ratio "$RH_S" "$CH_S")"
	row "report: day, report = GROUP BY (top 5 etc.)" "${RC_DAY%%:*}" "GROUP BY = generator: ${GC_DAY%%:*}" "-"
	row "report: hour, report = GROUP BY (top 5 etc.)" "${RC_HOUR%%:*}" "GROUP BY = generator: ${GC_HOUR%%:*}" "-"
	for c in "day:$RC_DAY" "day GROUP BY vs generator:$GC_DAY" "hour:$RC_HOUR" "hour GROUP BY vs generator:$GC_HOUR"; do
		[ "${c#*:}" = ok ] || note "report check, ${c%%:*}: ${c#*:}"
	done
	note "report: pkt_report_between('$D0', '$RLAST_DAY', 5) (the day) and ('$H0', '$RLAST_HOUR', 5) (hour $DAY_HOUR, $HOUR_ROWS rows), sections $SECTIONS, vs six GROUP BY queries over packets in one session (total, per protocol, top 5 sources and destinations by packets and by bytes, ties by address as the report breaks them) for the same window; count(*) of the hour's rows (BRIN on capture_time) as the floor. Each timed in a new session, median of $REPORT_REPS, interleaved: report day ${RD_T[*]}, GROUP BY day ${GD_T[*]}, report hour ${RH_T[*]}, GROUP BY hour ${GH_T[*]}, count hour ${CH_T[*]} (s). After VACUUM ANALYZE of the extension's tables. Checks: the report's lines against GROUP BY's (totals and protocols equal, top 5 equal in their ranked values and in each address's packets and bytes, ties in any order), and GROUP BY's against the generator's totals."
fi

# ---------------------------------------------------------------------------
# conversations: flows vs GROUP BY over packets, a day and a week
# ---------------------------------------------------------------------------
# qtime NAME SQL: SQL (one statement) run CONV_QUERY_REPS times in one
# session; T = the fastest (s, psql \timing), $WORK/out.NAME = the rows of
# the first run
qtime() {
	local name=$1 sql=$2 i
	{
		echo '\timing on'
		for i in $(seq 1 "$CONV_QUERY_REPS"); do echo "$sql"; done
	} | cluster_psql -At >"$WORK/qt.$name" 2>"$WORK/err.$name" || { T=""; log "$name failed: $(head -3 "$WORK/err.$name")"; return 1; }
	awk '/^Time: / { exit } { print }' "$WORK/qt.$name" >"$WORK/out.$name"
	T=$(awk '/^Time: / { v = $2 / 1000; if (m == "" || v < m) m = v } END { printf "%.4f", m }' "$WORK/qt.$name")
	QT_ALL=$(awk '/^Time: / { printf "%s%.3f", s, $2 / 1000; s = " " }' "$WORK/qt.$name")
}
# eq_check A B: "rows of A|rows of B|A EXCEPT ALL B|B EXCEPT ALL A"
eq_check() {
	q "SELECT (SELECT count(*) FROM ($1) a), (SELECT count(*) FROM ($2) b),
	          (SELECT count(*) FROM (($1) EXCEPT ALL ($2)) x), (SELECT count(*) FROM (($2) EXCEPT ALL ($1)) y)"
}
# flow_sql / pkt_sql QUESTION FROM TO HOST: the question over flows, and the
# same GROUP BY over packets (direction-blind: a packet of either way counts)
flow_sql() {
	local w="first_seen >= '$2' AND first_seen < '$3'"
	case $1 in
	rare) echo "SELECT CASE WHEN src_ip = '$4' THEN dst_ip ELSE src_ip END AS peer,
		       CASE WHEN src_ip = '$4' THEN src_port ELSE dst_port END AS host_port,
		       CASE WHEN src_ip = '$4' THEN dst_port ELSE src_port END AS peer_port, protocol,
		       sum(packets + reverse_packets) AS packets, sum(bytes + reverse_bytes) AS bytes
		FROM flows WHERE (src_ip = '$4' OR dst_ip = '$4') AND $w GROUP BY 1, 2, 3, 4" ;;
	server) echo "SELECT src_ip AS client, sum(packets + reverse_packets) AS packets, sum(bytes + reverse_bytes) AS bytes
		FROM flows WHERE dst_ip = '$4' AND $w GROUP BY 1" ;;
	port) echo "SELECT src_ip AS client, sum(packets + reverse_packets) AS packets, sum(bytes + reverse_bytes) AS bytes
		FROM flows WHERE dst_port = $4 AND $w GROUP BY 1" ;;
	# the same over flows whichever side the initiator is (src or dst)
	server2) echo "SELECT CASE WHEN dst_ip = '$4' THEN src_ip ELSE dst_ip END AS client, sum(packets + reverse_packets) AS packets, sum(bytes + reverse_bytes) AS bytes
		FROM flows WHERE (dst_ip = '$4' OR src_ip = '$4') AND $w GROUP BY 1" ;;
	port2) echo "SELECT CASE WHEN dst_port = $4 THEN src_ip ELSE dst_ip END AS client, sum(packets + reverse_packets) AS packets, sum(bytes + reverse_bytes) AS bytes
		FROM flows WHERE (dst_port = $4 OR src_port = $4) AND $w GROUP BY 1" ;;
	esac
}
pkt_sql() {
	local w="capture_time >= '$2' AND capture_time < '$3'"
	case $1 in
	rare) echo "SELECT CASE WHEN src_ip = '$4' THEN dst_ip ELSE src_ip END AS peer,
		       CASE WHEN src_ip = '$4' THEN src_port ELSE dst_port END AS host_port,
		       CASE WHEN src_ip = '$4' THEN dst_port ELSE src_port END AS peer_port, protocol,
		       count(*) AS packets, sum(packet_size) AS bytes
		FROM packets WHERE (src_ip = '$4' OR dst_ip = '$4') AND $w GROUP BY 1, 2, 3, 4" ;;
	server) echo "SELECT CASE WHEN dst_ip = '$4' THEN src_ip ELSE dst_ip END AS client, count(*) AS packets, sum(packet_size) AS bytes
		FROM packets WHERE (dst_ip = '$4' OR src_ip = '$4') AND $w GROUP BY 1" ;;
	port) echo "SELECT CASE WHEN dst_port = $4 THEN src_ip ELSE dst_ip END AS client, count(*) AS packets, sum(packet_size) AS bytes
		FROM packets WHERE (dst_port = $4 OR src_port = $4) AND $w GROUP BY 1" ;;
	esac
}
# the question as asked: rare host's lines in order, top 10 clients by bytes
asked_sql() { # asked_sql QUESTION SQL
	case $1 in
	rare) echo "$2 ORDER BY 6 DESC, 1, 2, 3, 4;" ;;
	*) echo "$2 ORDER BY 3 DESC, 1 LIMIT 10;" ;;
	esac
}
# conv_questions TAG FROM TO JSONNAME: the three questions over flows and over
# packets, timed warm, results compared; rows and notes
conv_questions() {
	local tag=$1 from=$2 to=$3 name=$4 qn arg fs ps target label e
	for qn in rare server port; do
		case $qn in
		rare) arg=$(tj "$name" rare_host) target=0.02 label="rare host $arg by peer and port" ;;
		server) arg=$(tj "$name" busiest_server) target=0.10 label="busiest server's top 10 clients" ;;
		port) arg=443 target=0.10 label="port 443's top 10 clients" ;;
		esac
		fs=$(flow_sql "$qn" "$from" "$to" "$arg")
		ps=$(pkt_sql "$qn" "$from" "$to" "$arg")
		qtime "cf-$tag-$qn" "$(asked_sql "$qn" "$fs")"
		local ft=$T fall=$QT_ALL
		qtime "cp-$tag-$qn" "$(asked_sql "$qn" "$ps")"
		local pt=$T pall=$QT_ALL
		e=$(eq_check "$fs" "$ps")
		local ra rb xa xb
		IFS='|' read -r ra rb xa xb <<<"$e"
		local same=FAIL
		[ "$xa" = 0 ] && [ "$xb" = 0 ] && [ "$ra" = "$rb" ] && [ "${ra:-0}" -gt 0 ] &&
			cmp -s "$WORK/out.cf-$tag-$qn" "$WORK/out.cp-$tag-$qn" && same=ok
		local r
		r=$(ratio "$ft" "$pt")
		row "conv $tag: $qn, flows (s, warm min)" "$ft" "GROUP BY packets $pt" "$r"
		[ "$(calc %d "${r/-/99} <= $target")" = 1 ] || note "conversations, $tag, $label: ratio $r above the target $target"
		row "conv $tag: $qn, flows = GROUP BY packets" "$same" "groups $ra / $rb" "-"
		[ "$same" = ok ] || note "conversations, $tag, $label: flows and packets differ: groups $ra (flows) vs $rb (packets), $xa only in flows, $xb only in packets (EXCEPT ALL); answers $(diff "$WORK/out.cf-$tag-$qn" "$WORK/out.cp-$tag-$qn" | head -6 | tr '\n' ' ')"
		if [ "$qn" != rare ]; then
			# either way: the same question over flows without trusting src to be the client
			local f2
			f2=$(flow_sql "${qn}2" "$from" "$to" "$arg")
			qtime "cf2-$tag-$qn" "$(asked_sql "$qn" "$f2")"
			local f2t=$T
			local ra2 rb2 xa2 xb2 same2=FAIL
			IFS='|' read -r ra2 rb2 xa2 xb2 <<<"$(eq_check "$f2" "$ps")"
			[ "$xa2" = 0 ] && [ "$xb2" = 0 ] && [ "$ra2" = "$rb2" ] && [ "${ra2:-0}" -gt 0 ] &&
				cmp -s "$WORK/out.cf2-$tag-$qn" "$WORK/out.cp-$tag-$qn" && same2=ok
			row "conv $tag: $qn, flows src or dst (s)" "$f2t" "GROUP BY packets $pt" "$(ratio "$f2t" "$pt")"
			row "conv $tag: $qn, flows src or dst = packets" "$same2" "groups $ra2 / $rb2" "-"
			[ "$same2" = ok ] || note "conversations, $tag, $label, flows either way: flows and packets differ: groups $ra2 vs $rb2, $xa2 only in flows, $xb2 only in packets"
		fi
		note "conversations, $tag, $label: flows ${fall} s, packets ${pall} s (each $CONV_QUERY_REPS times in one session, the fastest taken); $ra groups. Plan over flows: $(q "EXPLAIN (COSTS OFF) $fs" | grep -E 'Scan|Append' | sed 's/^ *//; s/  */ /g' | sort | uniq -c | sed 's/^ *//' | head -4 | tr '\n' ';')"
	done
}
# conv_load TAG FILE CAPACITY: pkt_load of FILE, flows on (CAPACITY empty)
# or off (0); T
conv_load() {
	local set=""
	[ -n "$3" ] && set="SET pktcapture.flow_capacity = $3;"
	reset_tables
	checkpoint
	timed "$1" "$set SELECT pkt_load('$2');" || die "pkt_load of $2 failed"
}
# conv_checks NAME: flows against packets and against the generator's truth,
# for the run just loaded: CONV_CHECK = "ok" or "FAIL: ..." (and figures for the notes)
conv_checks() {
	local name=$1 rid bad=""
	rid=$(q "SELECT max(run_id) FROM pkt_runs")
	IFS='|' read -r FP FB PP PB FR FF <<<"$(q "SELECT (SELECT coalesce(sum(packets + reverse_packets), 0) FROM flows WHERE run_id = $rid),
		(SELECT coalesce(sum(bytes + reverse_bytes), 0) FROM flows WHERE run_id = $rid),
		(SELECT count(*) FROM packets WHERE run_id = $rid), (SELECT coalesce(sum(packet_size), 0) FROM packets WHERE run_id = $rid),
		(SELECT count(*) FROM flows WHERE run_id = $rid), (SELECT count(*) FROM flows WHERE run_id = $rid AND folded)")"
	[ "$FP|$FB" = "$PP|$PB" ] || bad="$bad; run totals: flows $FP packets $FB bytes, packets $PP rows $PB bytes"
	[ "$FF" = 0 ] || bad="$bad; $FF folded rows (the capacity should hold this workload)"
	LEDGER=$(q "SELECT flow_rows, flow_folded, flow_lost FROM pkt_runs WHERE run_id = $rid" 2>&1)
	IFS='|' read -r LR LF LL <<<"$LEDGER"
	[ "$LR|$LF|$LL" = "$FR|0|0" ] || bad="$bad; pkt_runs flow_rows|flow_folded|flow_lost $LEDGER (flows rows $FR)"
	# per interval: flows of [t, t + interval) against packets of it
	local iv
	iv=$(q "SELECT extract(epoch FROM current_setting('pktcapture.flow_interval')::interval)::int" 2>/dev/null)
	[ -n "$iv" ] || iv=$(q "SHOW pktcapture.flow_interval" | tr -dc 0-9)
	local per
	per=$(eq_check "SELECT floor(extract(epoch FROM first_seen) / $iv) AS i, sum(packets + reverse_packets), sum(bytes + reverse_bytes) FROM flows WHERE run_id = $rid GROUP BY 1" \
		"SELECT floor(extract(epoch FROM capture_time) / $iv) AS i, count(*), sum(packet_size) FROM packets WHERE run_id = $rid GROUP BY 1")
	IFS='|' read -r IA IB IX IY <<<"$per"
	[ "$IX|$IY" = "0|0" ] || bad="$bad; per interval ($iv s): $IA intervals in flows, $IB in packets, $IX differ"
	# every row inside one interval
	local cross
	cross=$(q "SELECT count(*) FROM flows WHERE run_id = $rid AND floor(extract(epoch FROM first_seen) / $iv) <> floor(extract(epoch FROM last_seen) / $iv) OR last_seen < first_seen")
	[ "$cross" = 0 ] || bad="$bad; $cross rows whose first_seen and last_seen are not in one interval"
	# against the generator's truth: per conversation, packets and bytes each
	# way, first and last packet; and the initiator (the client) as src
	cluster_psql -q >/dev/null 2>"$WORK/truth.err" <<EOF || bad="$bad; truth load failed: $(head -2 "$WORK/truth.err")"
DROP TABLE IF EXISTS conv_truth;
CREATE UNLOGGED TABLE conv_truth (proto smallint, vlan smallint, client inet, client_port integer, server inet, server_port integer,
  first_us bigint, last_us bigint, c2s_packets bigint, c2s_bytes bigint, s2c_packets bigint, s2c_bytes bigint, kind text);
\copy conv_truth FROM '$WORK/$name.truth' (FORMAT csv, DELIMITER E'\t', HEADER)
EOF
	cluster_psql -q >/dev/null 2>>"$WORK/truth.err" <<EOF || bad="$bad; truth comparison failed: $(tail -2 "$WORK/truth.err")"
DROP TABLE IF EXISTS conv_f, conv_diff;
CREATE UNLOGGED TABLE conv_f AS
SELECT t.proto, t.vlan, t.client, t.client_port, t.server, t.server_port, f.first_seen, f.last_seen,
       f.packets AS c2s_p, f.bytes AS c2s_b, f.reverse_packets AS s2c_p, f.reverse_bytes AS s2c_b, true AS oriented
FROM flows f JOIN conv_truth t ON f.ip_proto = t.proto AND f.vlan_id IS NOT DISTINCT FROM t.vlan
 AND f.src_ip = t.client AND f.src_port = t.client_port AND f.dst_ip = t.server AND f.dst_port = t.server_port
WHERE f.run_id = $rid AND NOT f.folded
UNION ALL
SELECT t.proto, t.vlan, t.client, t.client_port, t.server, t.server_port, f.first_seen, f.last_seen,
       f.reverse_packets, f.reverse_bytes, f.packets, f.bytes, false
FROM flows f JOIN conv_truth t ON f.ip_proto = t.proto AND f.vlan_id IS NOT DISTINCT FROM t.vlan
 AND f.dst_ip = t.client AND f.dst_port = t.client_port AND f.src_ip = t.server AND f.src_port = t.server_port
WHERE f.run_id = $rid AND NOT f.folded;
CREATE UNLOGGED TABLE conv_diff AS
WITH g AS (SELECT proto, vlan, client, client_port, server, server_port, sum(c2s_p) c2s_p, sum(c2s_b) c2s_b,
                  sum(s2c_p) s2c_p, sum(s2c_b) s2c_b, min(first_seen) fs, max(last_seen) ls
           FROM conv_f GROUP BY 1, 2, 3, 4, 5, 6)
SELECT t.*, g.c2s_p IS NULL AS missing, g.c2s_p, g.c2s_b, g.s2c_p, g.s2c_b, g.fs, g.ls
FROM conv_truth t LEFT JOIN g ON g.proto = t.proto AND g.vlan IS NOT DISTINCT FROM t.vlan AND g.client = t.client
 AND g.client_port = t.client_port AND g.server = t.server AND g.server_port = t.server_port
WHERE g.c2s_p IS NULL OR (g.c2s_p, g.c2s_b, g.s2c_p, g.s2c_b) <> (t.c2s_packets, t.c2s_bytes, t.s2c_packets, t.s2c_bytes)
   OR g.fs <> timestamptz 'epoch' + t.first_us * interval '1 microsecond'
   OR g.ls <> timestamptz 'epoch' + t.last_us * interval '1 microsecond';
EOF
	IFS='|' read -r TN TM TX TOT TOU TFR <<<"$(q "SELECT (SELECT count(*) FROM conv_truth), (SELECT count(*) FILTER (WHERE missing) FROM conv_diff),
		(SELECT count(*) FILTER (WHERE NOT missing) FROM conv_diff),
		(SELECT count(*) FROM conv_f WHERE NOT oriented AND proto = 6), (SELECT count(*) FROM conv_f WHERE NOT oriented AND proto = 17),
		(SELECT count(*) FROM conv_f)")"
	if [ "$TM|$TX" != "0|0" ]; then
		bad="$bad; against the generator's $TN conversations: $TM without flows, $TX with other packets, bytes or first/last times, e.g. $(q "SELECT string_agg(x, '; ') FROM (SELECT format('%s %s:%s-%s:%s %s truth c2s %s/%s s2c %s/%s %s-%s, flows %s/%s %s/%s %s-%s', kind, client, client_port, server, server_port, proto, c2s_packets, c2s_bytes, s2c_packets, s2c_bytes, first_us, last_us, c2s_p, c2s_b, s2c_p, s2c_b, (extract(epoch FROM fs) * 1e6)::bigint, (extract(epoch FROM ls) * 1e6)::bigint) x FROM conv_diff ORDER BY missing, first_us LIMIT 3) s")"
	fi
	[ "${TOT:-0}" = 0 ] || bad="$bad; $TOT TCP rows with the server as src (the client sent the SYN), e.g. $(q "SELECT string_agg(x, '; ') FROM (SELECT format('%s:%s-%s:%s rows of %s - %s', client, client_port, server, server_port, first_seen, last_seen) x FROM conv_f WHERE NOT oriented AND proto = 6 ORDER BY first_seen LIMIT 3) s")"
	CONV_TRUTH_NOTE="$TN conversations of the generator's truth in $TFR flow rows: $TM without flows, $TX differing; rows with the server as src: TCP $TOT, UDP $TOU (the client sends first in every interval it starts; a UDP conversation idle for an interval may then start with the server)"
	q "DROP TABLE conv_f, conv_diff, conv_truth" >/dev/null
	if [ -z "$bad" ]; then CONV_CHECK=ok; else CONV_CHECK="FAIL:${bad#;}"; fi
}
# bloom_on / bloom_off: the BRIN bloom index on every partition of packets
bloom_on() {
	q "SELECT format('CREATE INDEX %I ON %s USING brin (src_ip $CONV_BLOOM_OPS, dst_ip $CONV_BLOOM_OPS) $CONV_BLOOM_WITH;', left(relid::regclass::text, 50) || '_bloom', relid::regclass)
	   FROM pg_partition_tree('packets') WHERE isleaf" | cluster_psql >/dev/null
}
bloom_off() {
	q "SELECT format('DROP INDEX %s;', c.oid::regclass) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
	   WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('packets')) AND c.relname LIKE '%\\_bloom'" | cluster_psql >/dev/null
}
bloom_size() {
	q "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
	   WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('packets')) AND c.relname LIKE '%\\_bloom'"
}
# drill_sql: one conversation's packets between its first and last packet
# (each way apart, so that an index on src_ip or dst_ip can serve it)
drill_sql() { # FIRST LAST A PA B PB PROTO
	echo "SELECT count(*), sum(packet_size) FROM (
	  SELECT packet_size FROM packets WHERE capture_time BETWEEN '$1' AND '$2' AND ip_proto = $7
	     AND src_ip = '$3' AND src_port = $4 AND dst_ip = '$5' AND dst_port = $6
	  UNION ALL
	  SELECT packet_size FROM packets WHERE capture_time BETWEEN '$1' AND '$2' AND ip_proto = $7
	     AND src_ip = '$5' AND src_port = $6 AND dst_ip = '$3' AND dst_port = $4) p;"
}
psize() { # psize TABLE -> bytes of all its partitions, indexes included
	q "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('$1')"
}
if enabled conversations; then
	[ -n "$(q "SELECT 1 FROM pg_class WHERE relname = 'flows' AND relkind = 'p'")" ] ||
		die "conversations: no table flows in this pktcapture (1.6 and later)"
	for spec in "conv-day:$CONV_PACKETS:1d" "conv-week:$CONV_WEEK_PACKETS:7d"; do
		IFS=: read -r name count span <<<"$spec"
		[ -s "$WORK/$name.pcap.json" ] && continue
		log "generating $name.pcap: gen-flows.py --count $count --span $span"
		t0=$(date +%s.%N)
		"$PY" "$BENCH_DIR/gen-flows.py" --out "$WORK/$name.pcap" --count "$count" --span "$span" --seed "$SEED" \
			--snaplen "$SNAPLEN" --truth "$WORK/$name.truth" >"$WORK/gen.$name.txt" || die "gen-flows.py failed"
		t1=$(date +%s.%N)
		chmod 644 "$WORK/$name.pcap" "$WORK/$name.truth"
		cat "$WORK/gen.$name.txt" >&2
		INPUTS+=("$name.pcap: $(tj "$name" ip_packets) IP packets over $span, $(tj "$name" conversations) conversations ($(tj "$name" conversations_by_kind | tr -d "{}'"), $(tj "$name" mean_packets_per_conversation) packets each, the longest $(tj "$name" longest_long_connection_s) s), $(tj "$name" clients_seen) clients and $(tj "$name" servers_seen) servers seen; gen-flows.py --count $count --span $span, seed $SEED, $(calc %.1f "$t1 - $t0") s")
	done
	FLOW_IV=$(q "SHOW pktcapture.flow_interval")
	FLOW_CAP=$(q "SHOW pktcapture.flow_capacity")
	CD_IP=$(tj conv-day ip_packets)
	log "conversations: pkt_load of the day ($CD_IP packets) with flows and with flow_capacity = 0, $CONV_REPS times each"
	CW_T=() CN_T=()
	for r in $(seq 1 "$CONV_REPS"); do
		conv_load convnf$r "$WORK/conv-day.pcap" 0
		CN_T+=("$T")
		conv_load convf$r "$WORK/conv-day.pcap" ""
		CW_T+=("$T")
		log "conversations rep $r: pkt_load without flows ${CN_T[-1]} s, with ${CW_T[-1]} s"
	done
	CW_S=$(median "${CW_T[@]}")
	CN_S=$(median "${CN_T[@]}")
	row "conv day: pkt_load ${CD_IP} pkts with flows (s)" "$CW_S" "flow_capacity 0: $CN_S" "$(ratio "$CW_S" "$CN_S")"
	[ "$(calc %d "$CW_S <= 1.10 * $CN_S")" = 1 ] || note "conversations: pkt_load with flows $(ratio "$CW_S" "$CN_S") x without, above the target 1.10"
	CD_ROWS=$(rows_check conv-day)
	conv_checks conv-day
	CD_CHECK=$CONV_CHECK
	row "conv day: packets vs generator" "${CD_ROWS%%:*}" "flows vs packets/truth: ${CD_CHECK%%:*}" "-"
	[ "$CD_ROWS" = ok ] || note "conversations, day: rows against the generator: $CD_ROWS"
	[ "$CD_CHECK" = ok ] || note "conversations, day: flows: $CD_CHECK"
	note "conversations, day: flows checked: run totals (flows $FP packets, $FB bytes; packets $PP rows, $PB bytes), per interval ($IA intervals), ledger flow_rows|flow_folded|flow_lost $LEDGER, folded rows $FF; $CONV_TRUTH_NOTE"
	cluster_psql -c "VACUUM ANALYZE $EXT_TABLES" >/dev/null
	F_BYTES=$(psize flows)
	P_BYTES=$(psize packets)
	IFS='|' read -r F_ROWS F_IVS F_MAX <<<"$(q "SELECT sum(n), count(*), max(n) FROM (SELECT count(*) n FROM flows GROUP BY floor(extract(epoch FROM first_seen) / extract(epoch FROM '$FLOW_IV'::interval))) s")"
	row "conv day: size of flows (MB, with indexes)" "$(mb "$F_BYTES")" "packets $(mb "$P_BYTES")" "$(ratio "$F_BYTES" "$P_BYTES")"
	[ "$(calc %d "$F_BYTES <= 0.10 * $P_BYTES")" = 1 ] || note "conversations: flows are $(ratio "$F_BYTES" "$P_BYTES") of packets' size, above the target 0.10"
	row "conv day: flow rows" "$F_ROWS" "packets $PP" "$(ratio "$F_ROWS" "$PP")"
	row "conv day: flow rows per interval, mean" "$(calc %.0f "$F_ROWS / $F_IVS")" "max $F_MAX (bound $((2 * FLOW_CAP)))" "-"
	row "conv day: bytes per flow row (with indexes)" "$(calc %.0f "$F_BYTES / $F_ROWS")" "per packet row $(calc %.0f "$P_BYTES / $PP")" "-"
	note "conversations: flows' indexes (a partition): $(q "SELECT string_agg(regexp_replace(indexdef, '.* USING ', ''), '; ') FROM pg_indexes WHERE tablename = (SELECT relid::regclass::text FROM pg_partition_tree('flows') WHERE isleaf LIMIT 1)")"
	D0=$(utc "$(tj conv-day start_us)")
	D1=$(utc "$(tj conv-day end_us)")
	log "conversations: the questions over the day ($D0 - $D1), flows vs GROUP BY packets"
	conv_questions day "$D0" "$D1" conv-day

	# drill-down from a conversation to its packets, with and without a BRIN bloom index
	log "conversations: BRIN bloom ($CONV_BLOOM_OPS) on packets' partitions: drill-down, size, load cost"
	# conversations by their ends (either as src: the initiator may differ
	# between a conversation's rows): the longest from its first to its last
	# row; the one of the fewest rows among those lasting an hour or more; a
	# rare host's first
	CONV_KEYED="SELECT host(a) ha, ap, host(b) hb, bp, ip_proto, min(first_seen) f, max(last_seen) l, sum(packets + reverse_packets) n, count(*) nrows
		FROM (SELECT CASE WHEN (src_ip, src_port) < (dst_ip, dst_port) THEN src_ip ELSE dst_ip END a,
		             CASE WHEN (src_ip, src_port) < (dst_ip, dst_port) THEN src_port ELSE dst_port END ap,
		             CASE WHEN (src_ip, src_port) < (dst_ip, dst_port) THEN dst_ip ELSE src_ip END b,
		             CASE WHEN (src_ip, src_port) < (dst_ip, dst_port) THEN dst_port ELSE src_port END bp,
		             ip_proto, vlan_id, first_seen, last_seen, packets, reverse_packets
		      FROM flows WHERE NOT folded) f
		GROUP BY a, ap, b, bp, ip_proto, vlan_id"
	RH=$(tj conv-day rare_host)
	q "SELECT 'long', ha, ap, hb, bp, ip_proto, f, l, n, nrows FROM ($CONV_KEYED) c ORDER BY l - f DESC, ha, ap LIMIT 1" >"$WORK/drill.list"
	q "SELECT 'sparse', ha, ap, hb, bp, ip_proto, f, l, n, nrows FROM ($CONV_KEYED) c WHERE l - f >= interval '1 hour' ORDER BY nrows, l - f DESC, ha, ap LIMIT 1" >>"$WORK/drill.list"
	q "SELECT 'rare', ha, ap, hb, bp, ip_proto, f, l, n, nrows FROM ($CONV_KEYED) c WHERE ha = '$RH' OR hb = '$RH' ORDER BY f LIMIT 1" >>"$WORK/drill.list"
	# drill STEP: each conversation's drill-down, timed; its buffers (EXPLAIN)
	drill() {
		local tag a ap b bp pr f l n nr sql
		while IFS='|' read -r tag a ap b bp pr f l n nr; do
			sql=$(drill_sql "$f" "$l" "$a" "$ap" "$b" "$bp" "$pr")
			qtime "drill-$tag-$1" "$sql"
			echo "$tag|$T|$(q "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${sql%;}" | sed -n 's/.*Buffers: shared \(.*\)/\1/p' | head -1 | tr -dc '0-9= a-z' | awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, kv, "="); s += kv[2] } print s }')|$(q "EXPLAIN (COSTS OFF) ${sql%;}" | grep -c '_bloom')|$(cut -d'|' -f1 "$WORK/out.drill-$tag-$1")"
		done <"$WORK/drill.list" >"$WORK/drill.$1"
	}
	drill 0
	t0=$(date +%s.%N)
	bloom_on || note "conversations: CREATE INDEX ... $CONV_BLOOM_OPS failed"
	t1=$(date +%s.%N)
	cluster_psql -c "ANALYZE packets" >/dev/null
	BLOOM_BYTES=$(bloom_size)
	BRIN_BYTES=$(q "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_am a ON a.oid = c.relam
		WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('packets')) AND a.amname = 'brin' AND c.relname NOT LIKE '%\\_bloom'")
	drill 1
	DRILL_NOTE=""
	while IFS='|' read -r tag a ap b bp pr f l n nr; do
		IFS='|' read -r _ t0d b0 _ c0 <<<"$(grep "^$tag|" "$WORK/drill.0")"
		IFS='|' read -r _ t1d b1 u1 c1 <<<"$(grep "^$tag|" "$WORK/drill.1")"
		h=$(q "SELECT round(extract(epoch FROM '$l'::timestamptz - '$f'::timestamptz) / 3600, 1)")
		row "conv drill-down, $tag conversation, $h h (s)" "$t1d" "without bloom $t0d" "$(ratio "$t1d" "$t0d")"
		row "conv drill-down, $tag: buffers (EXPLAIN)" "$b1" "without bloom $b0" "$(ratio "$b1" "$b0")"
		[ "$c0|$c1" = "$n|$n" ] || note "conversations: drill-down $tag found $c0 packets without bloom, $c1 with, flows say $n"
		DRILL_NOTE="$DRILL_NOTE $tag: $a:$ap - $b:$bp (protocol $pr, $f - $l, $n packets in $nr flow rows, bloom in the plan: $([ "${u1:-0}" -gt 0 ] && echo yes || echo no));"
	done <"$WORK/drill.list"
	row "conv bloom: index size (MB)" "$(mb "$BLOOM_BYTES")" "packets $(mb "$P_BYTES")" "$(ratio "$BLOOM_BYTES" "$P_BYTES")"
	row "conv bloom: CREATE INDEX on all partitions (s)" "$(calc %.2f "$t1 - $t0")" "-" "-"
	# the cost to every insert: pkt_load and \copy with and without it
	CONV_EXPORT=$WORK/conv-day.bin
	cluster_psql -c "\\copy (SELECT $COLS FROM packets ORDER BY id) TO '$CONV_EXPORT' (FORMAT binary)" || die "export failed"
	chmod 644 "$CONV_EXPORT"
	BL1=() BL0=() BC1=() BC0=() BSUM=()
	for r in $(seq 1 "$CONV_BLOOM_REPS"); do
		bloom_off
		bloom_on
		conv_load bloomload$r "$WORK/conv-day.pcap" ""; BL1+=("$T")
		# a BRIN index keeps only summarized ranges up to date while rows
		# arrive (here the first range of each partition, summarized empty
		# when the index was made); the others wait for VACUUM or
		# brin_summarize_new_values: that deferred cost, timed
		BS0=$(date +%s.%N)
		BRANGES=$(q "SELECT sum(brin_summarize_new_values(c.oid)) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
			WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('packets')) AND c.relname LIKE '%\\_bloom'")
		BS1=$(date +%s.%N)
		BSUM+=("$(calc %.3f "$BS1 - $BS0")")
		BRTOTAL=$(q "SELECT sum(ceil(pg_relation_size(relid) / 8192.0 / 128))::bigint FROM pg_partition_tree('packets') WHERE isleaf")
		reset_tables; checkpoint
		timed bloomcopy$r "\\copy packets ($COLS) FROM '$CONV_EXPORT' (FORMAT binary)"; BC1+=("$T")
		bloom_off
		conv_load nobloomload$r "$WORK/conv-day.pcap" ""; BL0+=("$T")
		reset_tables; checkpoint
		timed nobloomcopy$r "\\copy packets ($COLS) FROM '$CONV_EXPORT' (FORMAT binary)"; BC0+=("$T")
		log "bloom rep $r: pkt_load with ${BL1[-1]} s, without ${BL0[-1]} s; \\copy with ${BC1[-1]} s, without ${BC0[-1]} s"
	done
	row "conv bloom: pkt_load of the day with it (s)" "$(median "${BL1[@]}")" "without $(median "${BL0[@]}")" "$(ratio "$(median "${BL1[@]}")" "$(median "${BL0[@]}")")"
	row "conv bloom: then summarizing its ranges (s)" "$(median "${BSUM[@]}")" "pkt_load without $(median "${BL0[@]}")" "$(ratio "$(median "${BSUM[@]}")" "$(median "${BL0[@]}")")"
	row "conv bloom: \\copy binary into packets with it (s)" "$(median "${BC1[@]}")" "without $(median "${BC0[@]}")" "$(ratio "$(median "${BC1[@]}")" "$(median "${BC0[@]}")")"
	note "conversations, bloom: CREATE INDEX ... USING brin (src_ip $CONV_BLOOM_OPS, dst_ip $CONV_BLOOM_OPS) $CONV_BLOOM_WITH on each of the $(q "SELECT count(*) FROM pg_partition_tree('packets') WHERE isleaf") partitions of packets; size $(mb "$BLOOM_BYTES") MB (the capture_time BRIN: $(mb "$BRIN_BYTES") MB); drill-down = count and bytes of a conversation's packets, capture_time BETWEEN its first and last packet, its protocol, addresses and ports, each way apart (UNION ALL) (fastest of $CONV_QUERY_REPS, one session; buffers: shared hit + read of EXPLAIN (ANALYZE, BUFFERS)):$DRILL_NOTE Loads with it: pkt_load ${BL1[*]}, \\copy ${BC1[*]}; without: pkt_load ${BL0[*]}, \\copy ${BC0[*]} (s; the index made on the full partitions, which pkt_load's TRUNCATE empties: each partition's first range stays summarized, so its rows update the bloom filters as they arrive; the other ranges were left unsummarized by the load, $BRANGES of them (of $BRTOTAL ranges of 128 pages), summarized after it in ${BSUM[*]} s, a cost VACUUM or autosummarize pays later)."
	note "conversations, day load: pkt_load with flows ${CW_T[*]} s, with pktcapture.flow_capacity = 0 ${CN_T[*]} s (alternating, each after TRUNCATE and CHECKPOINT); flow_interval $FLOW_IV, flow_capacity $FLOW_CAP."

	# the week
	CK_IP=$(tj conv-week ip_packets)
	log "conversations: the week ($CK_IP packets over 7 days), pkt_load without and with flows, then the questions"
	conv_load convwnf "$WORK/conv-week.pcap" 0; WN=$T
	conv_load convwf "$WORK/conv-week.pcap" ""; WF=$T
	row "conv week: pkt_load ${CK_IP} pkts with flows (s)" "$WF" "flow_capacity 0: $WN" "$(ratio "$WF" "$WN")"
	CK_ROWS=$(rows_check conv-week)
	conv_checks conv-week
	CK_CHECK=$CONV_CHECK
	row "conv week: packets vs generator" "${CK_ROWS%%:*}" "flows vs packets/truth: ${CK_CHECK%%:*}" "-"
	[ "$CK_ROWS" = ok ] || note "conversations, week: rows against the generator: $CK_ROWS"
	[ "$CK_CHECK" = ok ] || note "conversations, week: flows: $CK_CHECK"
	note "conversations, week: flows checked: run totals (flows $FP packets, $FB bytes; packets $PP rows, $PB bytes), per interval ($IA intervals), ledger $LEDGER, folded rows $FF; $CONV_TRUTH_NOTE"
	cluster_psql -c "VACUUM ANALYZE $EXT_TABLES" >/dev/null
	WF_BYTES=$(psize flows)
	WP_BYTES=$(psize packets)
	IFS='|' read -r WF_ROWS WF_IVS WF_MAX <<<"$(q "SELECT sum(n), count(*), max(n) FROM (SELECT count(*) n FROM flows GROUP BY floor(extract(epoch FROM first_seen) / extract(epoch FROM '$FLOW_IV'::interval))) s")"
	row "conv week: size of flows (MB, with indexes)" "$(mb "$WF_BYTES")" "packets $(mb "$WP_BYTES")" "$(ratio "$WF_BYTES" "$WP_BYTES")"
	row "conv week: flow rows" "$WF_ROWS" "packets $PP" "$(ratio "$WF_ROWS" "$PP")"
	row "conv week: flow rows per interval, mean" "$(calc %.0f "$WF_ROWS / $WF_IVS")" "max $WF_MAX" "-"
	W0=$(utc "$(tj conv-week start_us)")
	W1=$(utc "$(tj conv-week end_us)")
	conv_questions week "$W0" "$W1" conv-week
	reset_tables
fi

# ---------------------------------------------------------------------------
# spoof: pkt_load of a SYN flood from random sources vs ordinary traffic
# ---------------------------------------------------------------------------
if enabled spoof || enabled spoof-live || enabled writes; then
	gen_traffic spoof spoof "$SPOOF_PACKETS" --rate "$SPOOF_RATE" --spoof-share "$SPOOF_SHARE" --hosts "$DAY_HOSTS"
	gen_traffic ordinary rate "$SPOOF_PACKETS" --rate "$SPOOF_RATE" --hosts "$DAY_HOSTS"
fi
if enabled spoof; then
	SP_IP=$(tj spoof ip_packets)
	OR_IP=$(tj ordinary ip_packets)
	log "spoof: pkt_load of $SP_IP spoofed vs $OR_IP ordinary packets, $SPOOF_REPS repetitions"
	SPO_T=() SPS_T=() SPC_T=()
	SP_EXPORT=$WORK/spoof.bin
	for r in $(seq 1 "$SPOOF_REPS"); do
		reset_tables
		checkpoint
		timed spoofo$r "SELECT pkt_load('$WORK/ordinary.pcap');" || die "pkt_load of the ordinary file failed"
		SPO_T+=("$T")
		[ "$r" = 1 ] && { ext_tables "$WORK/ordinary.tables"; OR_CHECK=$(rows_check ordinary); }
		reset_tables
		checkpoint
		timed spoofs$r "SELECT pkt_load('$WORK/spoof.pcap');" || die "pkt_load of the flood failed"
		SPS_T+=("$T")
		if [ "$r" = 1 ]; then
			ext_tables "$WORK/spoof.tables"
			SP_CHECK=$(rows_check spoof)
			SP_ROWS=$(head -1 "$WORK/out.spoofs1")
			cluster_psql -c "\\copy (SELECT $COLS FROM packets ORDER BY id) TO '$SP_EXPORT' (FORMAT binary)" ||
				die "export failed"
			chmod 644 "$SP_EXPORT"
		fi
		cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
		checkpoint
		timed spoofc$r "\\copy packets_ref ($COLS) FROM '$SP_EXPORT' (FORMAT binary)" || die "\\copy failed"
		SPC_T+=("$T")
		log "spoof rep $r: pkt_load flood ${SPS_T[-1]} s, ordinary ${SPO_T[-1]} s, \\copy of the flood's rows ${SPC_T[-1]} s"
	done
	cluster_psql -c "TRUNCATE packets_ref RESTART IDENTITY" >/dev/null
	SPO_S=$(median "${SPO_T[@]}")
	SPS_S=$(median "${SPS_T[@]}")
	SPC_S=$(median "${SPC_T[@]}")
	row "spoof: rows stored by pkt_load" "$SP_ROWS" "generator: $SP_IP IP pkts" "$(ratio "$SP_ROWS" "$SP_IP")"
	row "spoof: rows checked vs generator totals" "${SP_CHECK%%:*}" "ordinary file: ${OR_CHECK%%:*}" "-"
	[ "$SP_CHECK" = ok ] || note "spoof: rows against the generator: $SP_CHECK"
	[ "$OR_CHECK" = ok ] || note "spoof, ordinary file: rows against the generator: $OR_CHECK"
	row "spoof: pkt_load $(calc %.2f "$SP_IP / 1e6")M spoofed SYNs (s)" "$SPS_S" "ordinary traffic $SPO_S" "$(ratio "$SPS_S" "$SPO_S")"
	row "spoof: pkt_load $(calc %.2f "$SP_IP / 1e6")M spoofed SYNs (s)" "$SPS_S" "psql \\copy binary $SPC_S" "$(ratio "$SPS_S" "$SPC_S")"
	row "spoof: summary rows after pkt_load" "$(summary_sum "$WORK/spoof.tables" 2)" "ordinary $(summary_sum "$WORK/ordinary.tables" 2)" "$(ratio "$(summary_sum "$WORK/spoof.tables" 2)" "$(summary_sum "$WORK/ordinary.tables" 2)")"
	row "spoof: summary size after pkt_load (MB)" "$(mb "$(summary_sum "$WORK/spoof.tables" 3)")" "ordinary $(mb "$(summary_sum "$WORK/ordinary.tables" 3)")" "$(ratio "$(summary_sum "$WORK/spoof.tables" 3)" "$(summary_sum "$WORK/ordinary.tables" 3)")"
	note "spoof: $(tj spoof frames) frames at $SPOOF_RATE pkt/s of file time, $(tj spoof flood_packets) of them TCP SYNs to $(tj spoof victims | tr -d "[]'") from random sources of $(tj spoof spoof_net) ($(tj spoof distinct_sources) distinct sources), the rest ordinary; vs $(tj ordinary frames) frames of ordinary traffic ($(tj ordinary hosts) Zipf hosts, $(tj ordinary distinct_addresses) seen) with the same timing; timings flood ${SPS_T[*]}, ordinary ${SPO_T[*]}, \\copy of the flood's rows ${SPC_T[*]} (s), in that order each repetition, each after TRUNCATE and CHECKPOINT. Summary rows and sizes: all tables of the extension but packets and pkt_runs, after the first load of each."
fi

# ---------------------------------------------------------------------------
# spoof-live and writes: captures of the flood and of ordinary traffic
# ---------------------------------------------------------------------------
# wsnap FILE: what is written so far: "wal|bytes", "temp|bytes|files" and the
# extension's tables (ext_tables)
wsnap() {
	ext_tables "$1.t"
	{
		q "SELECT 'wal', pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
		q "SELECT 'temp', temp_bytes, temp_files FROM pg_stat_database WHERE datname = current_database()"
		sed 's/^/tbl|/' "$1.t"
	} >"$1"
}
# the statements of the benchmark itself, left out of the worker's
OWN_SQL='pkt_(start|stop|status)\(|pg_stat_|pg_current_wal|pg_wal_lsn|pg_backend_pid|pg_partition_tree|CHECKPOINT|TRUNCATE|pg_database'
cpuwatch() { # cpuwatch PID OUT: the CPU seconds of PID, every 0.1 s until it exits
	while [ -r "/proc/$1/stat" ]; do
		c=$(cpu_s "$1") && [ -n "$c" ] && echo "$c" >"$2"
		sleep 0.1
	done
}
# live_run TAG FILE PPS: a capture on $V0 while FILE (NAME.pcap) is replayed
# (LIVE_SET: statements before its pkt_start, e.g. "SET ...; ")
# at PPS from the namespace; results in $WORK/live.TAG (KEY=VALUE lines),
# writes in $WORK/w0.TAG and w1.TAG, worker statements in $WORK/pgss.TAG
# rate_opts PPS -> RATE: tcpreplay's options for PPS, or for full speed if "top"
rate_opts() {
	if [ "$1" = top ]; then
		RATE=(--topspeed)
	else
		RATE=(--pps "$1" "${PPS_MULTI[@]}")
	fi
}
live_run() {
	local tag=$1 file=$2 pps=$3 wpid t0 t1 rid fr kd idr st ns pe rows n
	reset_tables
	checkpoint
	wsnap "$WORK/w0.$tag"
	[ "$PGSS" = 1 ] && q "SELECT pg_stat_statements_reset()" >/dev/null
	wpid=$(q "${LIVE_SET:-}SELECT pkt_start('$V0')") || die "pkt_start failed"
	cpuwatch "$wpid" "$WORK/cpu.$tag" &
	BG_PIDS="$BG_PIDS $!"
	sleep 0.5
	rate_opts "$pps"
	timeout 900 ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" "${RATE[@]}" "$file" >"$WORK/replay.$tag" 2>&1
	sleep 1.5
	IFS='|' read -r _ _ _ kd _ _ _ _ <<<"$(status)"
	t0=$(date +%s.%N)
	q "SELECT pkt_stop('$V0')" >/dev/null
	t1=$(date +%s.%N)
	for n in $(seq 1 100); do
		[ -d "/proc/$wpid" ] || break
		sleep 0.1
	done
	if [ "$PGSS" = 1 ]; then
		q "SELECT sum(calls), sum(rows), sum(wal_bytes) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		   WHERE d.datname = current_database() AND s.query !~* '$OWN_SQL'" >"$WORK/pgss.$tag"
		q "SELECT calls, rows, wal_bytes, left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_statements s
		   JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() AND s.query !~* '$OWN_SQL'
		   ORDER BY calls DESC, query LIMIT 6" >"$WORK/pgss-top.$tag"
	fi
	IFS="|" read -r rid fr _ kd idr st ns pe <<<"$(status)"
	rows=$(q "SELECT count(*) FROM packets WHERE run_id = $rid")
	wsnap "$WORK/w1.$tag"
	{
		echo "SENT=$(replay_sent "$WORK/replay.$tag")"
		echo "PPS=$(replay_pps "$WORK/replay.$tag")"
		echo "SECS=$(sed -n 's/.*Actual: .* sent in \([0-9.]*\) seconds.*/\1/p' "$WORK/replay.$tag" | head -1)"
		echo "FRAMES=$fr KD=$kd IFD=$idr STORED=$st NOTSTORED=$ns PENDING=$pe ROWS=$rows"
		echo "CPU=$(cat "$WORK/cpu.$tag" 2>/dev/null)"
		echo "STOP=$(calc %.2f "$t1 - $t0")"
	} >"$WORK/live.$tag"
}
lv() { # lv TAG KEY -> a value of live_run's results
	tr ' ' '\n' <"$WORK/live.$1" | sed -n "s/^$2=//p" | head -1
}
# tcpdump_run TAG FILE PPS: tcpdump -w /dev/null on $V0 while FILE is replayed
tcpdump_run() {
	local tag=$1 file=$2 pps=$3 td n
	tcpdump -i "$V0" -w /dev/null -s "$SNAPLEN" -B "$BUF_KB" -n 2>"$WORK/tcpdump.$tag" &
	td=$!
	BG_PIDS="$BG_PIDS $td"
	for n in $(seq 1 100); do
		grep -q "listening on" "$WORK/tcpdump.$tag" && break
		sleep 0.1
	done
	rate_opts "$pps"
	timeout 900 ip netns exec "$NS" tcpreplay --no-flow-stats -i "$V1" "${RATE[@]}" "$file" >"$WORK/replay.$tag" 2>&1
	sleep 1.5
	kill -INT "$td"
	wait "$td"
	{
		echo "SENT=$(replay_sent "$WORK/replay.$tag") PPS=$(replay_pps "$WORK/replay.$tag")"
		echo "CAPTURED=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$WORK/tcpdump.$tag")"
		echo "KD=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.$tag")"
	} >"$WORK/live.$tag"
}
if enabled spoof-live || enabled writes || enabled spool-flood; then
	if [ "$SPOOF_LIVE_PACKETS" = "$SPOOF_PACKETS" ]; then
		LSP=spoof LOR=ordinary
	else
		LSP=spoof-live LOR=ordinary-live
		gen_traffic $LSP spoof "$SPOOF_LIVE_PACKETS" --rate "$SPOOF_RATE" --spoof-share "$SPOOF_SHARE" --hosts "$DAY_HOSTS"
		gen_traffic $LOR rate "$SPOOF_LIVE_PACKETS" --rate "$SPOOF_RATE" --hosts "$DAY_HOSTS"
	fi
	LSP_IP=$(tj $LSP ip_packets)
	LOR_IP=$(tj $LOR ip_packets)
	LSP_FR=$(tj $LSP frames)
	LOR_FR=$(tj $LOR frames)
fi
if enabled spoof-live; then
	for pps in $SPOOF_PPS; do
		k=$(calc %.0fk "$pps / 1000")
		log "spoof-live: $LSP_FR flood frames, then $LOR_FR ordinary, at $pps pkt/s, pkt_start('$V0'); then tcpdump on the flood"
		live_run "flood-$pps" "$WORK/$LSP.pcap" "$pps"
		live_run "ordinary-$pps" "$WORK/$LOR.pcap" "$pps"
		tcpdump_run "tcpdump-$pps" "$WORK/$LSP.pcap" "$pps"
		for kind in flood ordinary; do
			tag=$kind-$pps
			sent=$(lv "$tag" SENT)
			[ "$kind" = flood ] && ip=$LSP_IP fr=$LSP_FR || ip=$LOR_IP fr=$LOR_FR
			# the IP packets among the frames sent (all when every frame went out)
			ipsent=$(calc %.0f "$ip * ${sent:-0} / $fr")
			row "$kind $k pps: tcpreplay rate (pps)" "$(lv "$tag" PPS | cut -d. -f1)" "asked $pps" "$(ratio "$(lv "$tag" PPS)" "$pps")"
			row "$kind $k pps: frames seen by capture" "$(lv "$tag" FRAMES)" "sent $sent" "$(ratio "$(lv "$tag" FRAMES)" "$sent")"
			row "$kind $k pps: kernel dropped" "$(lv "$tag" KD)" "sent $sent" "$(ratio "$(lv "$tag" KD)" "$sent")"
			row "$kind $k pps: rows stored" "$(lv "$tag" ROWS)" "IP packets sent $ipsent" "$(ratio "$(lv "$tag" ROWS)" "$ipsent")"
			row "$kind $k pps: worker CPU (s), pkt_stop (s)" "$(lv "$tag" CPU)" "pkt_stop $(lv "$tag" STOP)" "-"
		done
		row "tcpdump, flood $k pps: tcpreplay rate (pps)" "$(lv "tcpdump-$pps" PPS | cut -d. -f1)" "asked $pps" "$(ratio "$(lv "tcpdump-$pps" PPS)" "$pps")"
		row "tcpdump, flood $k pps: kernel dropped" "$(lv "tcpdump-$pps" KD)" "sent $(lv "tcpdump-$pps" SENT)" "$(ratio "$(lv "tcpdump-$pps" KD)" "$(lv "tcpdump-$pps" SENT)")"
		row "flood / ordinary $k pps: kernel drop share" "$(ratio "$(lv "flood-$pps" KD)" "$(lv "flood-$pps" SENT)")" "ordinary $(ratio "$(lv "ordinary-$pps" KD)" "$(lv "ordinary-$pps" SENT)")" "-"
		row "flood / ordinary $k pps: worker CPU (s)" "$(lv "flood-$pps" CPU)" "ordinary $(lv "ordinary-$pps" CPU)" "$(ratio "$(lv "flood-$pps" CPU)" "$(lv "ordinary-$pps" CPU)")"
		for tag in "flood-$pps" "ordinary-$pps" "tcpdump-$pps"; do
			got=$(lv "$tag" PPS)
			[ "$(calc %d "${got:-0} < 0.9 * $pps")" = 1 ] &&
				note "spoof-live $tag: tcpreplay sent $(calc %.0f "${got:-0}") pkt/s, not the $pps asked (CPU: the replay, the veth's receive path and the capture share 2 cores): drops at that rate are understated"
		done
		note "spoof-live $pps pkt/s: flood: not stored $(lv "flood-$pps" NOTSTORED), pending $(lv "flood-$pps" PENDING), interface dropped $(lv "flood-$pps" IFD), tcpreplay $(lv "flood-$pps" SECS) s; ordinary: not stored $(lv "ordinary-$pps" NOTSTORED), pending $(lv "ordinary-$pps" PENDING), interface dropped $(lv "ordinary-$pps" IFD), tcpreplay $(lv "ordinary-$pps" SECS) s; tcpdump captured $(lv "tcpdump-$pps" CAPTURED) of the flood."
	done
	note "spoof-live: $LSP.pcap ($LSP_FR frames, $(tj $LSP flood_packets) spoofed SYNs) and $LOR.pcap ($LOR_FR frames of ordinary traffic) replayed by tcpreplay --no-flow-stats --pps${PPS_MULTI[*]:+ ${PPS_MULTI[*]}} from the namespace to $V0, a capture by pkt_start('$V0') each (tables truncated before), then tcpdump -w /dev/null -s $SNAPLEN -B $BUF_KB on the flood. Kernel drops and frames seen from pkt_status after pkt_stop; worker CPU until the worker exited (pkt_stop drains the kernel buffer and writes every row)."
fi
if enabled spool-flood; then
	log "spool-flood: $LSP_FR flood frames at full speed: pkt_start('$V0') without a spool, with one of $LIVE_SPOOL; then tcpdump"
	live_run flood-top "$WORK/$LSP.pcap" top
	LIVE_SET="SET pktcapture.spool_size = '$LIVE_SPOOL'; " live_run flood-top-spool "$WORK/$LSP.pcap" top
	tcpdump_run tcpdump-top "$WORK/$LSP.pcap" top
	for tag in flood-top flood-top-spool; do
		label="flood, full speed"
		[ "$tag" = flood-top-spool ] && label="flood, full speed, spool"
		sent=$(lv "$tag" SENT)
		ipsent=$(calc %.0f "$LSP_IP * ${sent:-0} / $LSP_FR")
		row "$label: tcpreplay rate (pps)" "$(lv "$tag" PPS | cut -d. -f1)" "tcpdump run $(lv tcpdump-top PPS | cut -d. -f1)" "$(ratio "$(lv "$tag" PPS)" "$(lv tcpdump-top PPS)")"
		row "$label: kernel dropped" "$(lv "$tag" KD)" "sent $sent" "$(ratio "$(lv "$tag" KD)" "$sent")"
		row "$label: rows stored" "$(lv "$tag" ROWS)" "IP packets sent $ipsent" "$(ratio "$(lv "$tag" ROWS)" "$ipsent")"
		row "$label: worker CPU (s), pkt_stop (s)" "$(lv "$tag" CPU)" "pkt_stop $(lv "$tag" STOP)" "-"
	done
	row "tcpdump, flood, full speed: kernel dropped" "$(lv tcpdump-top KD)" "sent $(lv tcpdump-top SENT)" "$(ratio "$(lv tcpdump-top KD)" "$(lv tcpdump-top SENT)")"
	note "spool-flood: $LSP.pcap ($LSP_FR frames, $(tj $LSP flood_packets) spoofed SYNs) replayed by tcpreplay --topspeed to $V0: a capture without a spool, one with pktcapture.spool_size = $LIVE_SPOOL (its pkt_stop returns once the spool is read back: the time to catch up), tcpdump -w /dev/null -s $SNAPLEN -B $BUF_KB. Not stored: $(lv flood-top NOTSTORED) and $(lv flood-top-spool NOTSTORED); interface dropped $(lv flood-top IFD) and $(lv flood-top-spool IFD)."
fi
if enabled writes; then
	if ! enabled spoof-live || [[ " $SPOOF_PPS " != *" $WRITES_PPS "* ]]; then
		log "writes: captures of the flood and of ordinary traffic at $WRITES_PPS pkt/s"
		live_run "flood-$WRITES_PPS" "$WORK/$LSP.pcap" "$WRITES_PPS"
		live_run "ordinary-$WRITES_PPS" "$WORK/$LOR.pcap" "$WRITES_PPS"
	fi
	k=$(calc %.0fk "$WRITES_PPS / 1000")
	# per_min TAG VALUE [DIVISOR FORMAT] -> VALUE / DIVISOR per minute of the replay
	per_min() { calc "${4:-%.0f}" "${2:-0} * 60 / $(lv "$1" SECS) / ${3:-1}"; }
	# wdelta TAG KIND NAME COLUMN -> after - before
	wdelta() {
		awk -F'|' -v k="$2" -v n="$3" -v c="$4" '
			FNR == NR { if ($1 == k && (k != "tbl" || $2 == n)) a = $c; next }
			{ if ($1 == k && (k != "tbl" || $2 == n)) b = $c }
			END { printf "%.0f", b - a }' "$WORK/w0.$1" "$WORK/w1.$1"
	}
	wrow() { # wrow LABEL FLOOD_TOTAL ORDINARY_TOTAL [DIVISOR FORMAT]: per minute
		local f o
		f=$(per_min "flood-$WRITES_PPS" "$2" "${4:-1}" "${5:-%.0f}")
		o=$(per_min "ordinary-$WRITES_PPS" "$3" "${4:-1}" "${5:-%.0f}")
		row "writes/min: $1" "$f" "ordinary $o" \
			"$(ratio "$(per_min "flood-$WRITES_PPS" "$2" 1 %.6f)" "$(per_min "ordinary-$WRITES_PPS" "$3" 1 %.6f)")"
	}
	F=flood-$WRITES_PPS
	O=ordinary-$WRITES_PPS
	if [ "$PGSS" = 1 ]; then
		IFS='|' read -r FC FR FW <"$WORK/pgss.$F"
		IFS='|' read -r OC OR OW <"$WORK/pgss.$O"
		wrow "worker statements" "$FC" "$OC"
		wrow "rows of its statements" "$FR" "$OR"
		wrow "WAL of its statements (MB)" "${FW:-0}" "${OW:-0}" 1048576 %.1f
	fi
	wrow "WAL, whole cluster (MB)" "$(wdelta "$F" wal x 2)" "$(wdelta "$O" wal x 2)" 1048576 %.1f
	wrow "temporary file bytes (MB)" "$(wdelta "$F" temp x 2)" "$(wdelta "$O" temp x 2)" 1048576 %.1f
	SUM_F=0 SUM_O=0 BYTES_F=0 BYTES_O=0
	for t in $(awk -F'|' '$1 == "tbl" { print $2 }' "$WORK/w1.$F"); do
		f=$(($(wdelta "$F" tbl "$t" 5) + $(wdelta "$F" tbl "$t" 6)))
		o=$(($(wdelta "$O" tbl "$t" 5) + $(wdelta "$O" tbl "$t" 6)))
		wrow "rows into $t" "$f" "$o"
		fb=$(wdelta "$F" tbl "$t" 4)
		ob=$(wdelta "$O" tbl "$t" 4)
		wrow "growth of $t (MB)" "$fb" "$ob" 1048576 %.1f
		if [ "$t" != packets ] && [ "$t" != pkt_runs ]; then
			SUM_F=$((SUM_F + f)) SUM_O=$((SUM_O + o)) BYTES_F=$((BYTES_F + fb)) BYTES_O=$((BYTES_O + ob))
		fi
	done
	wrow "rows into all summaries" "$SUM_F" "$SUM_O"
	wrow "growth of all summaries (MB)" "$BYTES_F" "$BYTES_O" 1048576 %.1f
	# the same independent of the rate tcpreplay reached
	FS=$(lv "$F" ROWS) OS=$(lv "$O" ROWS)
	row "writes: summary rows written per row stored" "$(ratio "$SUM_F" "$FS")" "ordinary $(ratio "$SUM_O" "$OS")" \
		"$(ratio "$(calc %.6f "$SUM_F / ${FS:-1}")" "$(calc %.6f "$SUM_O / ${OS:-1}")")"
	row "writes: replay rate (pps)" "$(lv "$F" PPS | cut -d. -f1)" "ordinary $(lv "$O" PPS | cut -d. -f1)" "$(ratio "$(lv "$F" PPS)" "$(lv "$O" PPS)")"
	note "writes: captures at $WRITES_PPS pkt/s of the flood ($(lv "$F" ROWS) rows stored, replay $(lv "$F" SECS) s, kernel dropped $(lv "$F" KD)) and of ordinary traffic ($(lv "$O" ROWS) rows, $(lv "$O" SECS) s, dropped $(lv "$O" KD)); everything written from pkt_start to the worker's exit after pkt_stop, per minute of replay (x 60 / its seconds). Rows into a table: n_tup_ins + n_tup_upd of pg_stat_user_tables (all partitions) of each table of the extension; growth: pg_total_relation_size after minus before (truncated before); WAL: pg_current_wal_lsn difference (the cluster was otherwise idle); temporary files: pg_stat_database.temp_bytes (the COPY batches). $([ "$PGSS" = 1 ] && echo "Statements: pg_stat_statements (track top) of the database, but the benchmark's own; their rows are what each statement reports (COPY: rows copied; a function call: 1).")"
	if [ "$PGSS" = 1 ]; then
		for tag in "$F" "$O"; do
			note "writes, worker statements ($tag; calls, rows, WAL bytes, query): $(tr '\n' ';' <"$WORK/pgss-top.$tag" | sed 's/;$//; s/;/; /g')"
		done
	else
		note "writes: pg_stat_statements not installed (postgresql-contrib): no statement counts"
	fi
fi

# ---------------------------------------------------------------------------
# frames (pktcapture 1.7): kept by pkt_load and a live capture, exported
# ---------------------------------------------------------------------------
if enabled frames; then
	FPCAP=$WORK/frames.pcap
	log "frames: $FRAMES_PACKETS full frames (bench/gen-pcap.py --snaplen 65535)"
	"$PY" "$BENCH_DIR/gen-pcap.py" --out "$FPCAP" --count "$FRAMES_PACKETS" --seed "$SEED" \
		--snaplen 65535 --json "$FPCAP.json" >/dev/null || die "gen-pcap.py failed"
	chmod 644 "$FPCAP"
	F_IP=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ip_packets"])' "$FPCAP.json")
	declare -A FL_T=() FL_SIZE=() FL_M=()
	for rep in $(seq 1 "$FRAMES_REPS"); do
		for fs in 0 128 65535; do
			reset_tables
			checkpoint
			timed "frames-load-$fs-$rep" "SET pktcapture.frame_snaplen = $fs;
SELECT pkt_load('$FPCAP');" || die "frames: pkt_load failed"
			FL_T[$fs]="${FL_T[$fs]:-} $T"
			n=$(q "SELECT count(*) || ' ' || count(frame) FROM packets")
			want=$([ "$fs" = 0 ] && echo "$F_IP 0" || echo "$F_IP $F_IP")
			[ "$n" = "$want" ] || die "frames: pkt_load with frame_snaplen $fs stored '$n' (rows, frames), want '$want'"
			q "VACUUM ANALYZE packets" >/dev/null
			FL_SIZE[$fs]=$(psize packets)
		done
	done
	# the table holds the frames of the last load (65535)
	for fs in 0 128 65535; do
		# shellcheck disable=SC2086
		FL_M[$fs]=$(median ${FL_T[$fs]})
	done
	row "frames: pkt_load, frame_snaplen 0 (s)" "${FL_M[0]}" "-" "-"
	row "frames: pkt_load, 128 / 0" "${FL_M[128]}" "0: ${FL_M[0]}" "$(ratio "${FL_M[128]}" "${FL_M[0]}")"
	row "frames: pkt_load, 65535 / 0" "${FL_M[65535]}" "0: ${FL_M[0]}" "$(ratio "${FL_M[65535]}" "${FL_M[0]}")"
	row "frames: packets size, 128 / 0 (MB)" "$(mb "${FL_SIZE[128]}")" "0: $(mb "${FL_SIZE[0]}")" "$(ratio "${FL_SIZE[128]}" "${FL_SIZE[0]}")"
	row "frames: packets size, 65535 / 0 (MB)" "$(mb "${FL_SIZE[65535]}")" "0: $(mb "${FL_SIZE[0]}")" "$(ratio "${FL_SIZE[65535]}" "${FL_SIZE[0]}")"

	# exports, against tcpdump reading the exported frames with the same filter
	fcount() { capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ { print $NF }'; }
	tcp_s() { # tcp_s IN OUT [FILTER] -> seconds of tcpdump -r IN -w OUT FILTER
		local t0 t1
		t0=$(date +%s.%N)
		tcpdump -r "$1" -w "$2" ${3:+"$3"} 2>/dev/null
		t1=$(date +%s.%N)
		calc %.3f "$t1 - $t0"
	}
	chmod 777 "$WORK"
	timed frames-export-all "SELECT pkt_export('$WORK/all.pcapng', '-infinity', 'infinity');" || die "frames: pkt_export failed"
	FE_ALL=$T
	n=$(fcount "$WORK/all.pcapng")
	[ "$n" = "$F_IP" ] || die "frames: pkt_export wrote $n frames, want $F_IP"
	FT_ALL=$(tcp_s "$WORK/all.pcapng" "$WORK/all.tcpdump.pcap")
	timed frames-export-filter "SELECT pkt_export('$WORK/f.pcapng', '-infinity', 'infinity', '$FRAMES_FILTER');" || die "frames: pkt_export with a filter failed"
	FE_F=$T
	FT_F=$(tcp_s "$WORK/all.pcapng" "$WORK/f.tcpdump.pcap" "$FRAMES_FILTER")
	nf=$(fcount "$WORK/f.pcapng")
	[ "$nf" = "$(fcount "$WORK/f.tcpdump.pcap")" ] && [ "$nf" -gt 0 ] ||
		die "frames: pkt_export with '$FRAMES_FILTER' wrote $nf frames, tcpdump takes $(fcount "$WORK/f.tcpdump.pcap")"
	t0=$(date +%s.%N)
	"$SRC_DIR/client/pkt-export" -o "$WORK/client.pcapng" --filter "$FRAMES_FILTER" -- -U postgres -d "${CLUSTER_DB:-postgres}" ||
		die "frames: client/pkt-export failed"
	t1=$(date +%s.%N)
	FC_F=$(calc %.3f "$t1 - $t0")
	cmp -s "$WORK/client.pcapng" "$WORK/f.pcapng" || die "frames: client/pkt-export's file differs from pkt_export's"
	row "frames: pkt_export, every frame (frames/s)" "$(calc %.0f "$n / $FE_ALL")" "tcpdump -r -w: $(calc %.0f "$n / $FT_ALL")" "$(ratio "$FT_ALL" "$FE_ALL")"
	row "frames: pkt_export, '$FRAMES_FILTER' (s)" "$FE_F" "tcpdump -r: $FT_F" "$(ratio "$FT_F" "$FE_F")"
	row "frames: client/pkt-export, the same (s)" "$FC_F" "pkt_export: $FE_F" "$(ratio "$FE_F" "$FC_F")"
	note "frames: $FPCAP: $FRAMES_PACKETS frames, $F_IP IP, full frames (mean $(calc %.0f "$(stat -c %s "$FPCAP") / $FRAMES_PACKETS") bytes a record). Loads into emptied tables, alternating 0 / 128 / 65535, median of $FRAMES_REPS: 0 ${FL_T[0]}, 128 ${FL_T[128]}, 65535 ${FL_T[65535]} s; every load checked: a row per IP packet, a frame per row when kept. Exports: pkt_export of all $n frames and of the $nf that '$FRAMES_FILTER' takes, in a session each, vs tcpdump -r of pkt_export's file writing the same frames to a file (ratio: tcpdump's time / pkt_export's); client/pkt-export over the Unix socket, byte-identical to pkt_export's file."

	# a live capture with and without frames
	FL_PPS_K=$(calc %.0fk "$FRAMES_PPS / 1000")
	log "frames: live captures of $FPCAP at $FRAMES_PPS pkt/s, frame_snaplen 0 and 1514"
	LIVE_SET="" live_run "frames-0" "$FPCAP" "$FRAMES_PPS"
	LIVE_SET="SET pktcapture.frame_snaplen = 1514; " live_run "frames-1514" "$FPCAP" "$FRAMES_PPS"
	n=$(q "SELECT count(frame) FROM packets")
	for tag in frames-0 frames-1514; do
		row "frames: live $FL_PPS_K pps, ${tag#frames-} kept: kernel dropped" "$(lv "$tag" KD)" "sent $(lv "$tag" SENT)" "$(ratio "$(lv "$tag" KD)" "$(lv "$tag" SENT)")"
		row "frames: live $FL_PPS_K pps, ${tag#frames-} kept: rows stored" "$(lv "$tag" ROWS)" "frames seen $(lv "$tag" FRAMES)" "-"
	done
	row "frames: live $FL_PPS_K pps: worker CPU (s), 1514 / 0" "$(lv frames-1514 CPU)" "0: $(lv frames-0 CPU)" "$(ratio "$(lv frames-1514 CPU)" "$(lv frames-0 CPU)")"
	note "frames: live: tcpreplay --pps $FRAMES_PPS of the file to $V0 (rates: $(lv frames-0 PPS) and $(lv frames-1514 PPS) pkt/s); frames kept by the second capture: $n of its $(lv frames-1514 ROWS) rows."
fi

# ---------------------------------------------------------------------------
# hub: two sensors and a hub, at full replay speed (bench/hub.sh)
# ---------------------------------------------------------------------------
if enabled hub; then
	log "hub: two sensors capturing at full replay speed, a hub receiving both"
	cluster_stop
	"$BENCH_DIR/hub.sh" HUB_BENCH_PACKETS="$HUB_BENCH_PACKETS" >"$WORK/hub.out" 2>"$WORK/hub.err" ||
		note "hub: bench/hub.sh failed: $(tail -3 "$WORK/hub.err" | tr '\n' ' ')"
	while IFS='|' read -r kind a b c d; do
		case $kind in
		ROW) row "$a" "$b" "$c" "$d" ;;
		NOTE) note "$a" ;;
		esac
	done <"$WORK/hub.out"
fi

# ---------------------------------------------------------------------------
# the results table
# ---------------------------------------------------------------------------
{
	echo "pktcapture benchmark, bench/run.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "source: $GIT_HEAD$([ "${GIT_DIRTY:-0}" -gt 0 ] && echo " (+$GIT_DIRTY modified files)")"
	echo "library: $LIBNOTE $SO md5 $SO_MD5$([ -n "$BUILT_MD5" ] && [ "$BUILT_MD5" != "$SO_MD5" ] && echo " (differs from the tree's pktcapture.so $BUILT_MD5)")"
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r); PostgreSQL $PG_VERSION"
	echo "load average at start $LOADAVG0, at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
	echo "server: shared_buffers $SHARED_BUFFERS, max_wal_size $MAX_WAL_SIZE, fsync off, autovacuum off, wal_level replica; pktcapture.batch_size $BATCH, buffer_size $BUF_KB KiB${PKT_CONF:+; extra: $PKT_CONF}"
	echo "table: packets, identity CACHE $IDCACHE, indexes: $INDEXES; extension tables truncated before each pkt_load: $EXT_TABLES"
	enabled load && echo "input: $FRAMES frames, $IP_PACKETS IP packets, seed $SEED, snaplen $SNAPLEN, generated in $GEN_S s (bench/gen-pcap.py)"
	for l in "${INPUTS[@]}"; do echo "input: $l"; done
	[ "$PGSS" = 1 ] && echo "pg_stat_statements preloaded (track top), for the writes section"
	echo
	printf '%-50s %-14s %-32s %s\n' metric value reference ratio
	printf '%s\n' "${ROWS[@]}"
	echo
	for n in "${NOTES[@]}"; do
		echo "$n" | fold -s -w 100 | awk 'NR == 1 { print "- " $0; next } { print "  " $0 }'
	done
	if [ -s "$WORK/profile.txt" ]; then
		echo
		echo "profile of one pkt_load ($FRAMES frames), perf --call-graph dwarf, share of the backend's samples:"
		cat "$WORK/profile.txt"
	fi
} >"$WORK/report.txt"
echo
cat "$WORK/report.txt"
cp "$WORK/report.txt" "$RESULTS" && echo "# written to $RESULTS" >&2
