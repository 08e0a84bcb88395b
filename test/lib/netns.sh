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
