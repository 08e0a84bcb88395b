# test/lib/nodes.sh: several throwaway clusters at once (sensors and a hub).
#
# Source it after test/lib/cluster.sh, with WORK set and PORT declared
# (declare -A PORT).  Each node NAME is a cluster in $WORK/NAME, run as
# postgres with the capture capabilities, listening on a Unix socket only,
# with pktcapture preloaded, pktcapture.sensor = NAME and wal_level =
# logical.
#
#   node_start NAME [postgresql.conf lines...]   made the first time, then started
#   node_stop NAME                               fast shutdown (if it runs); fails
#                                                if pg_ctl does
#   nodes_stop                                   every node started
#   nsql NAME SQL [DB]                           as superuser postgres, -At
#   nerr NAME SQL                                the ERROR message of SQL
#   node_says_t NAME SQL                         SQL says t (each try at most 30 s)
#   node_until NAME SECONDS SQL                  until SQL says t (every 0.1 s)
NODES_STARTED=""

node_start() {
	local n=$1 dir=$WORK/$1
	shift
	mkdir -p "$dir" && chown postgres: "$dir"
	if [ ! -d "$dir/data" ]; then
		PORT[$n]=$(cluster_free_port) || return 1
		# each its own number too (their sockets are in their own directories)
		while [ "$(printf '%s\n' "${PORT[@]}" | grep -cx "${PORT[$n]}")" -gt 1 ]; do
			PORT[$n]=$((PORT[$n] + 1))
		done
		cluster_init "$dir" "${PORT[$n]}" "shared_preload_libraries = 'pktcapture'" \
			"pktcapture.sensor = '$n'" "wal_level = logical" "$@" || return 1
	fi
	[[ " $NODES_STARTED " == *" $n "* ]] || NODES_STARTED="$NODES_STARTED $n"
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w -t 60 start >/dev/null || { tail -20 "$dir/server.log"; return 1; }
}

node_stop() {
	[ -f "$WORK/$1/data/postmaster.pid" ] || return 0
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$WORK/$1/data" -m fast -w -t 60 stop >/dev/null 2>&1
}

nodes_stop() {
	local n
	for n in $NODES_STARTED; do node_stop "$n"; done
	return 0
}

nsql() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/$1" -p "${PORT[$1]}" -U postgres -d "${3:-postgres}" -c "$2"; }

nerr() { psql -X -q -At -h "$WORK/$1" -p "${PORT[$1]}" -U postgres -d postgres -c "$2" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }

# a node that never answers must not hold the wait past its bound
node_says_t() {
	[ "$(timeout 30 psql -X -q -At -h "$WORK/$1" -p "${PORT[$1]}" -U postgres -d postgres \
		-c "$2" 2>/dev/null)" = t ]
}

node_until() {
	wait_until "$2" node_says_t "$1" "$3"
}
