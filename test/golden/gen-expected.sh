#!/bin/bash
# Regenerate the golden expected files from tshark (Wireshark 4.0).
#
#   test/golden/gen-expected.sh [CORPUS_DIR]
#
# CORPUS_DIR defaults to ../shared/pcaps/tcpdump seen from the repo root;
# the captures of our own in test/golden/synthetic/ are read too.
# Writes test/golden/expected/<file name>.tsv (e.g. empty.pcapng.tsv), one per
# capture file (see tshark2tsv.py for the format).  The corpus is read in place.
#
# tshark options:
#   TZ=UTC, -n              no time zone or name resolution effects
#   -o ip.defragment:FALSE, -o ipv6.defragment:FALSE
#                           one answer per frame, from that frame's own
#                           headers: pktcapture does not reassemble, and
#                           reassembly would only change what tshark shows
#                           after the outermost header.
#   -E occurrence=a         all layers, comma-separated; tshark2tsv.py
#                           takes the outermost.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${1:-$root/../shared/pcaps/tcpdump}
out=$here/expected
jobs=${JOBS:-2}

command -v tshark >/dev/null || { echo "tshark not found" >&2; exit 2; }
mkdir -p "$out"

one() {
	local f=$1 here=$2 out=$3 base tmp
	base=$(basename "$f")
	tmp=$out/.$base.tsv.tmp
	# shellcheck disable=SC2046
	TZ=UTC tshark -n -r "$f" \
		-o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
		$(/usr/bin/python3 "$here/tshark2tsv.py" --fields) 2>/dev/null |
		/usr/bin/python3 "$here/tshark2tsv.py" >"$tmp"
	mv "$tmp" "$out/$base.tsv"
}
export -f one

find "$corpus" "$here/synthetic" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 |
	sort -z |
	xargs -0 -P "$jobs" -I{} bash -c 'one "$1" "$2" "$3"' _ {} "$here" "$out"

echo "$(ls "$out"/*.tsv | wc -l) expected files in $out; $(tshark --version 2>/dev/null | head -1)"
