# test/lib/netns.sh: a private test network for the live tests and the
# benchmark: a network namespace holding one end of each veth pair, the
# other end in the root namespace (where it is captured).  Traffic only
# ever goes between the two ends.  Source it from a script running as root.
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
# the ok/not_ok of test/lib/check.sh:
#   jget NAME KEY                      a value of NAME.json
#   replay_check NAME                  a check: every frame was sent
#
# The reference capture, tcpdump writing each frame to FILE as it gets it
# (-U), its messages and closing statistics in FILE.err:
#   tcpdump_start IFACE FILE FILTER    pid in TD; waits until it listens
#   tcpdump_stop PID FILE FRAMES       waits until FILE holds FRAMES frames
#                                      (at most 10 s), then stops it (SIGINT)
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
	local v0="" _
	netns_exec ip link set lo up || return 1
	while [ $# -ge 2 ]; do
		ip link set "$1" up && netns_exec ip link set "$2" up || return 1
		v0="$v0 $1"
		shift 2
	done
	for _ in $(seq 1 50); do
		local all=1 l
		for l in $v0; do
			ip -br link show "$l" | grep -q ' UP ' || all=0
		done
		[ "$all" = 1 ] && return 0
		sleep 0.1
	done
	return 1
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

jget() {	# jget NAME KEY
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$WORK/$1.json" "$2"
}

replay_check() {	# replay_check NAME: every frame of the file was sent
	local sent fail want
	sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$WORK/$1.tcpreplay" | head -1)
	fail=$(sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p' "$WORK/$1.tcpreplay" | head -1)
	want=$(jget "$1" frames)
	if [ "$sent" == "$want" ] && [ "$fail" == 0 ]; then
		ok "tcpreplay sent all $want frames of $1.pcap"
	else
		not_ok "tcpreplay $1.pcap: sent '$sent' failed '$fail', want $want sent"
		sed 's/^/    /' "$WORK/$1.tcpreplay" | tail -15
	fi
}

tcpdump_start() {	# tcpdump_start IFACE FILE FILTER
	local _
	tcpdump -i "$1" -w "$2" -U -s 128 -n -B 65536 -Z root "$3" 2>"$2.err" &
	TD=$!
	for _ in $(seq 1 100); do
		grep -q "listening on" "$2.err" 2>/dev/null && return 0
		kill -0 "$TD" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# tcpdump gets the frames in blocks of the kernel ring, handed over when
# full or after its 1 s timeout, and does not drain a partial block on
# SIGINT: stop it once its file holds every frame it is to see.
tcpdump_stop() {	# tcpdump_stop PID FILE FRAMES
	local _
	for _ in $(seq 1 100); do
		[ "$(pcap_frames "$2")" -ge "$3" ] && break
		sleep 0.1
	done
	kill -INT "$1"
	wait "$1"
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
