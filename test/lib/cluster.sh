# test/lib/cluster.sh: start and stop a throwaway PostgreSQL cluster for tests.
#
# Source it from a script running as root.  The cluster runs as the
# postgres user, in a temporary directory, on a free port, listening only
# on a Unix socket in that directory (mode 0700: no other local user may
# connect, though authentication is trust), with the one capability a
# capture needs (CAP_NET_RAW) as an ambient capability.  It never touches
# a system-wide cluster.
#
#   cluster_start DIR [extra postgresql.conf lines...]   sets PGHOST PGPORT
#   cluster_init DIR PORT [lines...]  initdb and the common settings only
#   cluster_psql [psql args...]                          as superuser postgres
#   psql_at [psql args...]            cluster_psql -At
#   sql SQL                           its rows, unaligned (psql -At -c)
#   cluster_poll SECONDS SQL          until SQL says t (every 0.1 s, at most
#                                     SECONDS); fails if it never does
#   capture_saw PID FRAMES            cluster_poll: the capture of worker PID
#                                     has seen FRAMES frames (pkt_status), or
#                                     no capture has that worker any more
#   cluster_postmaster_pid            the PID of the running postmaster
#   crash_lines LOG [FROM_BYTE [RE]]  lines of a server log (from FROM_BYTE
#                                     on) that say a process crashed or the
#                                     server restarted; RE: more to look for
#   cluster_stop                      fast shutdown; fails if pg_ctl does
PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir)}
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

cluster_free_port() {
	local port
	for port in $(seq 55432 55532); do
		if ! ss -ltnH "sport = :$port" 2>/dev/null | grep -q . &&
			[ ! -e "/tmp/.s.PGSQL.$port" ]; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

cluster_as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups \
		--inh-caps=+net_raw --ambient-caps=+net_raw -- "$@"
}

# cluster_init DIR PORT [postgresql.conf lines...]: initdb of DIR/data, with
# the settings every test cluster has (a socket in DIR only, on PORT)
cluster_init() {
	local dir=$1 port=$2
	shift 2
	cluster_as_postgres "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "unix_socket_permissions = 0700"
		echo "max_worker_processes = 16"
		echo "fsync = off"
		echo "log_line_prefix = '%m [%p] '"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
}

cluster_start() {
	CLUSTER_DIR=$1
	shift
	mkdir -p "$CLUSTER_DIR"
	chown postgres: "$CLUSTER_DIR"
	PGPORT=$(cluster_free_port) || { echo "no free port" >&2; return 1; }
	PGHOST=$CLUSTER_DIR
	export PGHOST PGPORT
	cluster_init "$CLUSTER_DIR" "$PGPORT" "$@" || return 1
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-w -t 60 start >/dev/null || { cat "$CLUSTER_DIR/server.log"; return 1; }
}

cluster_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -U postgres -d "${CLUSTER_DB:-postgres}" "$@"
}

psql_at() {
	cluster_psql -At "$@"
}

sql() {
	cluster_psql -At -c "$1"
}

cluster_poll() {
	wait_until "$1" says_t cluster_psql -At -c "$2"
}

# The counters in pkt_status are published four times a second; frames
# reach the worker in blocks of the kernel buffer (100 ms timeout).
capture_saw() {
	cluster_poll "${3:-15}" "SELECT coalesce((SELECT frames >= $2 FROM pkt_status() WHERE pid = $1), true)"
}

cluster_postmaster_pid() {
	head -1 "$CLUSTER_DIR/data/postmaster.pid"
}

# a crash, a server restart, an assertion; not the normal end of a worker
CRASH_RE='terminated by signal|server process .* was terminated|PANIC|all server processes terminated|database system was not properly shut down|TRAP:'
crash_lines() {
	tail -c +"$((${2:-0} + 1))" "$1" | grep -aE "$CRASH_RE${3:+|$3}"
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -f "$CLUSTER_DIR/data/postmaster.pid" ] || return 0
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1
}
