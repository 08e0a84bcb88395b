#!/bin/bash
# test/golden/decoder.sh: the standalone decoder over every corpus file and
# our own captures (synthetic/), every column of its rows compared with
# tshark's answers (expected/, differences.tsv), for each binary given
# (test/pktdecode, built plain and with ASan + UBSan).  Seconds; no database.
#
#   test/golden/decoder.sh BINARY...        (make decoder-test builds and runs it)
#
# PKT_CORPUS: the corpus (default ../shared/pcaps/tcpdump); PKT_DECODER_LOGDIR:
# where each binary's output goes (default a temporary directory).
# Exit 0 when every binary exits 0 (see test/pktdecode.c for its exit
# codes) and its rows match; 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
corpus=${PKT_CORPUS:-$(cd "$here/../../../shared/pcaps/tcpdump" && pwd)} ||
	{ echo "decoder.sh: corpus not found" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
logdir=${PKT_DECODER_LOGDIR:-}
if [ -z "$logdir" ]; then
	logdir=$(mktemp -d /tmp/pktcapture-decoder.XXXXXX)
	trap 'rm -rf "$logdir"' EXIT
fi
mkdir -p "$logdir"
# any sanitizer report aborts, which no exit code of pktdecode is
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

files=("$corpus"/* "$here"/synthetic/*.pcap)
rc=0
for bin in "$@"; do
	name=$(basename "$bin")
	out=$logdir/$name.tsv
	err=$logdir/$name.log
	"$bin" "${files[@]}" >"$out" 2>"$err"
	st=$?
	case $st in
	0) ;;
	3) echo "FAIL $name: exit 3, a file could not be opened or read (the input, not the decoder):"
	   grep -E "cannot open|read error" "$err" | head -n 10 ;;
	4) echo "FAIL $name: exit 4, the decoder broke its contract:"
	   grep -E "outside the decoder's contract" "$err" | head -n 10 ;;
	*) echo "FAIL $name: exit $st (a sanitizer report or a crash):"
	   tail -n 30 "$err" ;;
	esac
	[ $st -eq 0 ] || rc=1
	if result=$(python3 "$here/compare.py" --pktdecode "$out"); then
		echo "$name: ${#files[@]} files, $(grep -c . "$out") frames, exit $st; $(tail -n 2 <<<"$result" | head -n 1)"
	else
		echo "FAIL $name: rows differ from tshark's"
		if [ "$(wc -l <<<"$result")" -gt 62 ]; then
			head -n 60 <<<"$result"
			echo "..."
			tail -n 2 <<<"$result"
		else
			echo "$result"
		fi
		rc=1
	fi
done
exit $rc
