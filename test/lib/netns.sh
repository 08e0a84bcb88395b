# test/lib/netns.sh: a private test network for the live tests and the
# benchmark: a network namespace holding one end of each veth pair, the
# other end in the root namespace (where it is captured).  Traffic only
# ever goes between the two ends.  Source it from a script running as root,
# after test/lib/cluster.sh (or test/lib/wait.sh).
#
#   netns_add NS                       the namespace
#   netns_veth V0 V1 [MAC0 MAC1]       a pair: V0 here, V1 in NS
#   netns_exec CMD...                  CMD inside NS
#   netns_up V0 V1 [V0 V1 ...]         both ends and NS's lo up; waits
#                                      until every V0 has its carrier
#   netns_cleanup                      removes the pairs and NS (idempotent)
#
# For traffic files made by test/live/gen_traffic.py in $WORK (NAME.pcap,
# NAME.json) and replayed with output in NAME.tcpreplay; they need $PY and
# the step of test/lib/check.sh:
#   gen_traffic NAME ARGS...           gen_traffic.py ARGS: NAME.pcap, NAME.json
#   netns_replay IFACE NAME OPTIONS... tcpreplay of NAME.pcap on IFACE in NS
#                                      (at most 300 s; OPTIONS: the rate)
#   jget NAME KEY                      a value of NAME.json
#   replay_check NAME                  a step: every frame was sent
#   tcpreplay_sent FILE                the frames tcpreplay's output FILE
#                                      says it sent
#
# The reference capture, tcpdump writing each frame to FILE as it gets it
# (-U), its messages and closing statistics in FILE.err:
#   tcpdump_start IFACE FILE FILTER    pid in TD; waits until it listens
#   tcpdump_stop PID FILE FRAMES       waits until FILE holds FRAMES frames
#                                      (at most 10 s), then stops it (SIGINT)
#   tcpdump_stats FILE                 "captured received dropped" of its
#                                      closing statistics (? if missing)
#   pcap_frames FILE                   the whole records FILE holds now
NETNS_NAME=""
NETNS_LINKS=""

netns_add() {
	ip netns add "$1" || return 1
	NETNS_NAME=$1
}

netns_veth() {
	ip link add "$1" ${3:+address "$3"} type veth peer name "$2" ${4:+address "$4"} \
		netns "$NETNS_NAME" || return 1
	NETNS_LINKS="$NETNS_LINKS $1"
}

netns_exec() {
	ip netns exec "$NETNS_NAME" "$@"
}

netns_up() {
	local v0=""
	netns_exec ip link set lo up || return 1
	while [ $# -ge 2 ]; do
		ip link set "$1" up && netns_exec ip link set "$2" up || return 1
		v0="$v0 $1"
		shift 2
	done
	wait_until 5 netns_carriers $v0
}

netns_carriers() {	# netns_carriers IFACE...: each has its carrier
	local l
	for l in "$@"; do
		ip -br link show "$l" | grep -q ' UP ' || return 1
	done
}

netns_cleanup() {
	local l
	for l in $NETNS_LINKS; do
		ip link del "$l" 2>/dev/null
	done
	NETNS_LINKS=""
	[ -n "$NETNS_NAME" ] && ip netns del "$NETNS_NAME" 2>/dev/null
	NETNS_NAME=""
	return 0
}

NETNS_GEN=$(cd "$(dirname "${BASH_SOURCE[0]}")/../live" && pwd)/gen_traffic.py

gen_traffic() {	# gen_traffic NAME ARGS...
	local name=$1
	shift
	"$PY" "$NETNS_GEN" --out "$WORK/$name.pcap" "$@" >"$WORK/$name.json"
}

netns_replay() {	# netns_replay IFACE NAME OPTIONS...
	local ifc=$1 name=$2
	shift 2
	timeout 300 ip netns exec "$NETNS_NAME" tcpreplay --no-flow-stats -i "$ifc" "$@" \
		"$WORK/$name.pcap" >"$WORK/$name.tcpreplay" 2>&1
}

jget() {	# jget NAME KEY
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$WORK/$1.json" "$2"
}

tcpreplay_sent() {	# tcpreplay_sent FILE
	sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$1" | head -1
}

replay_check() {	# replay_check NAME: every frame of the file was sent
	local sent fail want
	sent=$(tcpreplay_sent "$WORK/$1.tcpreplay")
	fail=$(sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p' "$WORK/$1.tcpreplay" | head -1)
	want=$(jget "$1" frames)
	step "tcpreplay sent all $want frames of $1.pcap (sent '$sent', failed '$fail')" \
		[ "$sent:$fail" == "$want:0" ] ||
		sed 's/^/    /' "$WORK/$1.tcpreplay" | tail -15
}

tcpdump_start() {	# tcpdump_start IFACE FILE FILTER
	tcpdump -i "$1" -w "$2" -U -s 128 -n -B 65536 -Z root "$3" 2>"$2.err" &
	TD=$!
	wait_until 10 tcpdump_ready "$2" && grep -q "listening on" "$2.err"
}

tcpdump_ready() {	# tcpdump_ready FILE: tcpdump $TD listens, or is gone
	grep -q "listening on" "$1.err" 2>/dev/null || ! kill -0 "$TD" 2>/dev/null
}

# tcpdump gets the frames in blocks of the kernel ring, handed over when
# full or after its 1 s timeout, and does not drain a partial block on
# SIGINT: stop it once its file holds every frame it is to see.
tcpdump_stop() {	# tcpdump_stop PID FILE FRAMES
	wait_until 10 pcap_holds "$2" "$3"
	kill -INT "$1"
	wait "$1"
}

pcap_holds() {	# pcap_holds FILE FRAMES
	[ "$(pcap_frames "$1")" -ge "$2" ]
}

tcpdump_stats() {	# tcpdump_stats FILE
	local c r d
	c=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$1.err")
	r=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$1.err")
	d=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$1.err")
	echo "${c:-?} ${r:-?} ${d:-?}"
}

pcap_frames() {	# pcap_frames FILE: whole records in a pcap file being written
	"$PY" -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
o, n = 24, 0
while o + 16 <= len(d):
    o += 16 + struct.unpack_from(e + "I", d, o + 8)[0]
    if o > len(d):
        break
    n += 1
print(n)' "$1" 2>/dev/null || echo 0
}
