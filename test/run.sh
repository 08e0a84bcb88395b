#!/bin/bash
# test/run.sh: the whole test suite, on Debian 12, as root (a user who may
# use sudo: it runs itself with sudo):
#
#   test/run.sh
#
# Installs what the tests need, builds and installs the extension, then
# runs each suite and prints one line per suite and a closing
# "N passed, M failed".  Every server it starts is a throwaway cluster in
# a temporary directory; it never touches a system-wide cluster.  The
# shared capture corpus is read in place from ../shared/pcaps.
#
# Suites (run one with: test/run.sh NAME...):
#   layers    the object files depend on each other one way (no cycle), and
#             the decoder, top-K counter and top lists use nothing of the server
#   decoder   the decoder outside the server, plain and ASan + UBSan, whole
#             corpus, every column compared with tshark's; the bounded
#             top-talker counter under 10 M hostile packets; the summaries'
#             top lists against exact counts, under ASan + UBSan
#   fuzz      the fuzz harnesses' replay of the corpus and regressions, then
#             each libFuzzer harness for 20 s (PKT_FUZZ_SECONDS)
#   regress   pg_regress (sql/, expected/) and TAP tests (test/t/)
#   golden    pkt_load of every corpus file against tshark's answers
#   upgrade   ALTER EXTENSION pktcapture UPDATE from every released version,
#             its library built from its commit, with data it wrote in place
#   live      a capture on a veth pair against tcpdump on the same link
#   robust    LOCK TABLE, DROP TABLE/EXTENSION while capturing; the corpus
#             and 3000+ mutations through pkt_load and a live replay; a
#             hostile search_path; the server never restarts
#   security  roles not to be trusted: no install into a schema others may
#             change, planted built-ins never run as a superuser, every
#             function pinned (plpgsql_check), captures per database and
#             role, no INSERT on packets for capturers, REVOKE reaching the
#             partitions, the quick start's roles and capabilities; at a
#             hub, sensors that name other sensors, overwrite ledgers, ask
#             for thousands of partitions, or accept and never answer
#   retention partitions of packets: the disk guard on a 300 MB tmpfs under a
#             100 000 pkt/s capture, retention by age during a capture and
#             for pkt_load, the longest waits while partitions come and go
#   hub       two sensors and a hub (logical replication): rows, reports and
#             ledgers equal; the hub down, a sensor restarted, a slot lost
#             past max_slot_wal_keep_size and the sensor added again; errors
#   view      the live terminal view (client/pktop) in tmux, as a user sees it
#   metrics   monitoring/pktcapture-queries.yaml through Debian's
#             postgres_exporter as a pg_monitor role: a live capture and loads
#             scraped, every value equal to pkt_status()'s
#   quickstart ./quickstart.sh as the README gives it, capturing lo a few
#             seconds: every datagram of packetuser's capture stored, it may pg_dump
#   package   the Debian package built, linted, installed with apt-get and
#             used in a server; META.json for PGXN (last: it leaves the
#             package's files installed where make install puts its own)
set -u

AS_ROOT_KEEP="PKT_ KEEP_WORK LIVE_ ROBUST_ VIEW_ PG_TEST_"
. "$(dirname "$0")/lib/as-root.sh"
as_root "$@"
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) ||
	{ echo "test/run.sh: ../shared (the capture corpus) is missing beside the project" >&2; exit 2; }
export PKT_CORPUS=$SHARED/pcaps/tcpdump

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(layers decoder fuzz regress golden upgrade live robust security retention hub view metrics quickstart package)

scripts/install-deps.sh --test || exit 2
make -s >/dev/null || exit 2
make -s install >/dev/null || exit 2

WORK=$(mktemp -d /tmp/pktcapture-test.XXXXXX)
LOGDIR=${PKT_TEST_LOGDIR:-$ROOT/test/logs}
mkdir -p "$LOGDIR"
chmod 755 "$WORK"
cleanup() {
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups \
		--inh-caps=+net_raw --ambient-caps=+net_raw -- "$@"
}

# pg_regress and TAP refuse root: run them as postgres in a copy it owns,
# with ../shared beside it as in the project.
copy_tree() {
	mkdir -p "$WORK/tree"
	tar -C "$ROOT" --exclude=.git --exclude=results --exclude=tmp_check -cf - . |
		tar -C "$WORK/tree" -xf -
	ln -sfn "$SHARED" "$WORK/shared"
	mv "$WORK/tree" "$WORK/pktcapture"
	chown -R postgres: "$WORK/pktcapture"
}

suite_layers() {
	test/layers.sh
}

suite_decoder() {
	make -s test/pktdecode test/pktdecode-asan test/topk_test-asan test/topk_test \
		test/toplist_test-asan >/dev/null || return 1
	# bounded top talkers: 2 M packets under the sanitizers, 10 M at full speed
	./test/topk_test-asan 2000000 | tail -n 1 &&
		./test/topk_test 10000000 || return 1
	# the summaries' lists: every bound against exact counts, merged as
	# hours and days are, under the sanitizers
	./test/toplist_test-asan || return 1
	# the decoder, plain and under ASan + UBSan, over the whole corpus: a
	# sanitizer report, an exit status other than 0, or any column of any
	# row other than tshark's (test/golden/differences.tsv aside) fails
	PKT_DECODER_LOGDIR=$LOGDIR/decoder test/golden/decoder.sh test/pktdecode test/pktdecode-asan
}

suite_fuzz() {
	[ -f fuzz/Makefile ] || { echo "no fuzz/Makefile"; return 1; }
	# the corpus and saved regressions without libFuzzer, then each fuzzer
	# for a bounded time under ASan + UBSan
	make -s -C fuzz replay &&
		make -s -C fuzz fuzz FUZZ_SECONDS="${PKT_FUZZ_SECONDS:-20}"
}

suite_regress() {
	copy_tree
	(cd "$WORK/pktcapture" && as_postgres make -s installcheck)
	local rc=$?
	if [ $rc -ne 0 ]; then
		cat "$WORK/pktcapture/regression.diffs" 2>/dev/null | head -n 100
		for f in "$WORK"/pktcapture/tmp_check/log/regress_log_*; do
			[ -f "$f" ] && grep -E "^not ok|Failed test|got:|expected:" "$f" | head -n 40
		done
	fi
	return $rc
}

suite_golden() {
	test/golden/run.sh
}

suite_upgrade() {
	test/upgrade-test.sh
}

suite_live() {
	test/live-test.sh
}

suite_robust() {
	test/robust-test.sh
}

suite_security() {
	test/security-test.sh && test/security-hub-test.sh
}

suite_retention() {
	test/retention-test.sh
}

suite_quickstart() {
	test/quickstart-test.sh
}

suite_hub() {
	test/hub-test.sh
}

suite_view() {
	VIEW_NO_INSTALL=1 test/view-test.sh
}

suite_metrics() {
	test/metrics-test.sh
}

suite_package() {
	test/package-test.sh
}

passed=0
failed=0
failures=()
for s in "${suites[@]}"; do
	if ! declare -F "suite_$s" >/dev/null; then
		echo "test/run.sh: no suite named $s" >&2
		exit 2
	fi
	echo "=== $s"
	start=$SECONDS
	if "suite_$s" >"$LOGDIR/$s.log" 2>&1; then
		tail -n 5 "$LOGDIR/$s.log"
		echo "--- $s: ok ($((SECONDS - start)) s)"
		passed=$((passed + 1))
	else
		tail -n 60 "$LOGDIR/$s.log"
		echo "--- $s: FAILED ($((SECONDS - start)) s; full log above or in $LOGDIR/$s.log)"
		failed=$((failed + 1))
		failures+=("$s")
	fi
done

[ $failed -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
