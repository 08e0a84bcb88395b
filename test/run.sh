#!/bin/bash
# test/run.sh: the whole test suite, on Debian 12, as root (a user who may
# use sudo: it runs itself with sudo):
#
#   test/run.sh                       every suite
#   test/run.sh robust hub            those suites
#   ONLY=lock,wire test/run.sh robust those sections of one suite (an ONLY=
#                                     naming no section is an error; for
#                                     regress, names of sql/*.sql or
#                                     test/t/*.pl)
#
# Installs what the tests need, builds and installs the extension, then
# runs each suite and prints one line per suite and a closing
# "N passed, M failed"; each suite's whole output is in test/logs/SUITE.log
# (PKT_TEST_LOGDIR).  Every server it starts is a throwaway cluster in a
# temporary directory; it never touches a system-wide cluster.  The shared
# capture corpus is read in place from ../shared/pcaps.  KEEP_WORK=1 keeps
# the suites' work directories.
#
# The suites, what each covers, and how to run one test: docs/testing.md.
set -u

AS_ROOT_KEEP="PKT_ KEEP_WORK ONLY LIVE_ ROBUST_ VIEW_ PG_TEST_ HUB_ RT_ METRICS_ SECURITY_ SECHUB_ PACKAGE_ QUICKSTART_ FLOWS_"
. "$(dirname "$0")/lib/as-root.sh"
as_root "$@"
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) ||
	{ echo "test/run.sh: ../shared (the capture corpus) is missing beside the project" >&2; exit 2; }
export PKT_CORPUS=$SHARED/pcaps/tcpdump

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(layers decoder fuzz regress golden upgrade live robust security retention flows export hub view metrics quickstart package)

# the scripts of a suite that has sections
suite_scripts() {
	case $1 in
	security) echo test/security-test.sh test/security-hub-test.sh ;;
	export | flows | hub | live | metrics | package | quickstart | retention | robust | view) echo "test/$1-test.sh" ;;
	esac
}
# the sections of a suite, one a line
sections_of() {
	local f
	if [ "$1" = regress ]; then
		for f in sql/*.sql test/t/*.pl; do f=${f##*/}; echo "${f%.*}"; done
		return
	fi
	for f in $(suite_scripts "$1"); do "$f" --sections; done
}
# only_for SCRIPT: the names of ONLY that are sections of SCRIPT
only_for() {
	local n have
	have=$("$1" --sections)
	for n in ${ONLY//,/ }; do grep -qx -- "$n" <<<"$have" && echo "$n"; done | paste -sd, -
}
if [ -n "${ONLY:-}" ]; then
	if [ ${#suites[@]} -ne 1 ]; then
		echo "test/run.sh: ONLY=$ONLY needs one suite: test/run.sh SUITE" >&2
		exit 2
	fi
	have=$(sections_of "${suites[0]}")
	if [ -z "$have" ]; then
		echo "test/run.sh: suite ${suites[0]} has no sections for ONLY= to choose" >&2
		exit 2
	fi
	for n in ${ONLY//,/ }; do
		n=${n%.pl}
		grep -qx -- "$n" <<<"$have" && continue
		echo "test/run.sh: ONLY=$ONLY: no section '$n' in suite ${suites[0]} (its sections: $(paste -sd' ' <<<"$have"))" >&2
		exit 2
	done
	export ONLY
fi

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

# ONLY= picks TAP tests and pg_regress tests by name; the pg_regress tests
# share one database, each expecting the runs of those before it in
# REGRESS (Makefile): a test runs with those before it
suite_regress() {
	local args=() r="" t="" last="" n
	if [ -n "${ONLY:-}" ]; then
		for n in ${ONLY//,/ }; do
			n=${n%.pl}
			if [ -f "sql/$n.sql" ]; then last="$last $n"; else t="$t test/t/$n.pl"; fi
		done
		for n in $(sed -n 's/^REGRESS = //p' Makefile); do
			[ -n "$last" ] || break
			r="$r $n"
			last=${last/ $n/}
		done
		args=("REGRESS=${r# }" "PROVE_TESTS=${t# }")
		[ -n "$t" ] || args+=("TAP_TESTS=")
		echo "# make installcheck ${args[*]}"
	fi
	copy_tree
	(cd "$WORK/pktcapture" && as_postgres make -s installcheck "${args[@]}")
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
	local f only rc=0
	for f in test/security-test.sh test/security-hub-test.sh; do
		if [ -z "${ONLY:-}" ]; then
			"$f" || rc=1
		elif only=$(only_for "$f") && [ -n "$only" ]; then
			ONLY=$only "$f" || rc=1
		else
			echo "# $f: skipped (none of its sections in ONLY=$ONLY)"
		fi
	done
	return $rc
}

suite_retention() {
	test/retention-test.sh
}

suite_flows() {
	test/flows-test.sh
}

suite_export() {
	test/export-test.sh
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
