#!/bin/bash
# quickstart.sh: set everything up, then capture with live statistics.
#
#   ./quickstart.sh       (as root, or as a user who may use sudo)
#
# 1. installs what is missing (Debian 12 packages), builds and installs the
#    extension;
# 2. prepares a PostgreSQL server that preloads pktcapture and may capture:
#    by default a private cluster in /var/lib/pktcapture (port 5433, socket
#    in /var/run/pktcapture), run as postgres with CAP_NET_RAW, with the
#    original program's defaults: database packetdb, role packetuser,
#    password packetpass.  Set DB_HOST (and DB_PORT, DB_NAME, DB_USER,
#    DB_PASSWORD) to use an existing server instead;
# 3. lists the interfaces and asks which one to capture (or takes
#    PKT_INTERFACE; PKT_FILTER sets a BPF filter);
# 4. starts the capture and shows it live in pktop (client/), refreshed every
#    second, until q or Ctrl+C (or for PKT_DURATION seconds), which stop the
#    capture, write every row, and print the final statistics.
# PKT_SENSOR=name makes the private cluster a sensor a hub can add
# (pktcapture.sensor, wal_level = logical, max_slot_wal_keep_size =
# PKT_SLOT_WAL_KEEP or 10GB, a role pkthub with PKT_HUB_PASSWORD or a
# random one kept in PKT_PRIVATE_DIR/pkthub.password); PKT_HUB=1 makes it a
# hub (dblink).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PRIVATE_DIR=${PKT_PRIVATE_DIR:-/var/lib/pktcapture}
PRIVATE_PORT=${PKT_PRIVATE_PORT:-5433}
SOCKET_DIR=/var/run/pktcapture

say() { printf 'pktcapture: %s\n' "$*"; }
die() { printf 'pktcapture: %s\n' "$*" >&2; exit 1; }

# root installs packages and starts a server that may capture: not root,
# it runs itself again with sudo, keeping the settings below
AS_ROOT_KEEP="DB_ PKT_ TZ"
. "$here/test/lib/as-root.sh"
as_root "$@"

"$here/scripts/install-deps.sh"
PG_BINDIR=$(pg_config --bindir)
say "building and installing the extension"
make -s -C "$here" >/dev/null
make -s -C "$here" install >/dev/null
make -s -C "$here/client" >/dev/null

as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups \
		--inh-caps=+net_raw --ambient-caps=+net_raw -- "$@"
}

if [ -z "${DB_HOST:-}" ]; then
	DB_HOST=localhost
	DB_PORT=$PRIVATE_PORT
	DB_NAME=${DB_NAME:-packetdb}
	DB_USER=${DB_USER:-packetuser}
	DB_PASSWORD=${DB_PASSWORD:-packetpass}
	data=$PRIVATE_DIR/data
	mkdir -p "$PRIVATE_DIR" "$SOCKET_DIR"
	chown postgres: "$PRIVATE_DIR" "$SOCKET_DIR"
	if [ ! -f "$data/PG_VERSION" ]; then
		say "creating a private PostgreSQL cluster in $data (port $DB_PORT)"
		as_postgres "$PG_BINDIR/initdb" -D "$data" -U postgres --auth-local=peer \
			--auth-host=scram-sha-256 >/dev/null
		cat >>"$data/postgresql.conf" <<-EOF
			# pktcapture quick start
			port = $DB_PORT
			listen_addresses = 'localhost'
			unix_socket_directories = '$SOCKET_DIR'
			shared_preload_libraries = 'pktcapture'
			max_worker_processes = 16
			# a burst faster than rows are stored waits here, not in the kernel
			pktcapture.spool_size = '1GB'
		EOF
	fi
	# a server started before the library was (re)installed runs the old code
	lib=$(pg_config --pkglibdir)/pktcapture.so
	if [ -f "$data/postmaster.pid" ] && as_postgres "$PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1 &&
		[ "$(stat -c %Y "$lib")" -gt "$(sed -n 3p "$data/postmaster.pid")" ]; then
		say "restarting the private cluster: the extension was reinstalled"
		as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	fi
	if ! as_postgres "$PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		say "starting it with the CAP_NET_RAW capability (log: $PRIVATE_DIR/server.log)"
		as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -l "$PRIVATE_DIR/server.log" -w start >/dev/null ||
			die "the server did not start; see $PRIVATE_DIR/server.log"
	fi
	admin() { as_postgres psql -X -q -h "$SOCKET_DIR" -p "$DB_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
	# passwords reach psql by its environment, not its command line (which
	# every local user may read in ps)
	PKT_QS_PASSWORD=$DB_PASSWORD admin -d postgres -v user="$DB_USER" <<-'EOF'
		\getenv pass PKT_QS_PASSWORD
		SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'user', :'pass')
		WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
	EOF
	# the database is postgres's, not packetuser's: its owner owns schema
	# public, where the extension lives, and pktcapture refuses a schema a
	# role other than a superuser may change (docs/privileges.md)
	admin -d postgres -v db="$DB_NAME" <<-'EOF'
		SELECT format('CREATE DATABASE %I', :'db')
		WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
		SELECT format('ALTER DATABASE %I OWNER TO postgres', :'db')
		FROM pg_database WHERE datname = :'db' AND datdba <> 'postgres'::regrole \gexec
	EOF
	# each statement only when it has something to do: IF NOT EXISTS, or
	# ALTER EXTENSION ... UPDATE at the installed version, would print a NOTICE
	admin -d "$DB_NAME" -v user="$DB_USER" <<-'EOF'
		SELECT 'CREATE EXTENSION pktcapture'
		WHERE NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pktcapture') \gexec
		SELECT 'ALTER EXTENSION pktcapture UPDATE'
		FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
		WHERE e.extname = 'pktcapture' AND e.extversion IS DISTINCT FROM a.default_version \gexec
		SELECT format('GRANT EXECUTE ON FUNCTION pkt_start(text, text), pkt_stop(text), pkt_stats(text), pkt_status(), pkt_interfaces() TO %I', :'user') \gexec
		SELECT format('DO $d$ BEGIN PERFORM pkt_grant_read(%L); END $d$', :'user') \gexec
	EOF
	# a sensor a hub can add (PKT_SENSOR=name), or a hub (PKT_HUB=1)
	if [ -n "${PKT_SENSOR:-}" ]; then
		keep=${PKT_SLOT_WAL_KEEP:-10GB}
		admin -d postgres -v name="$PKT_SENSOR" -v keep="$keep" <<-'EOF'
			ALTER SYSTEM SET pktcapture.sensor = :'name';
			ALTER SYSTEM SET wal_level = logical;
			ALTER SYSTEM SET max_slot_wal_keep_size = :'keep';
		EOF
		if [ "$(admin -d postgres -At -c "SELECT current_setting('wal_level') || ' ' || current_setting('pktcapture.sensor')")" != "logical $PKT_SENSOR" ]; then
			say "restarting the private cluster: it becomes sensor $PKT_SENSOR (wal_level = logical)"
			as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -l "$PRIVATE_DIR/server.log" -m fast -w restart >/dev/null ||
				die "the server did not start again; see $PRIVATE_DIR/server.log"
		fi
		admin -d postgres -c "SELECT pg_reload_conf()" >/dev/null
		# the hub's password: PKT_HUB_PASSWORD, else one made here, kept in a
		# file only root reads (no default anyone could guess)
		hubpass_file=$PRIVATE_DIR/pkthub.password
		if [ -n "${PKT_HUB_PASSWORD:-}" ]; then
			hubpass=$PKT_HUB_PASSWORD
		elif [ -s "$hubpass_file" ]; then
			hubpass=$(cat "$hubpass_file")
		else
			hubpass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
		fi
		(umask 077 && printf '%s\n' "$hubpass" >"$hubpass_file")
		PKT_QS_PASSWORD=$hubpass admin -d "$DB_NAME" <<-'EOF'
			\getenv pass PKT_QS_PASSWORD
			SELECT format('CREATE ROLE pkthub LOGIN REPLICATION PASSWORD %L', :'pass')
			WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pkthub') \gexec
			SELECT format('ALTER ROLE pkthub PASSWORD %L', :'pass') \gexec
			SELECT 'DO $d$ BEGIN PERFORM pkt_sensor_grant(''pkthub''); END $d$' \gexec
		EOF
		say "this server is sensor $PKT_SENSOR (WAL a hub has not received is kept up to $keep); a hub adds it with:"
		say "  SELECT pkt_hub_add('$PKT_SENSOR', 'host=$(hostname -f 2>/dev/null || hostname) port=$DB_PORT dbname=$DB_NAME user=pkthub');"
		say "  with pkthub's password (in $hubpass_file) in the hub's ~postgres/.pgpass, not in the connection string"
		say "  (the hub must reach it: listen_addresses, and a pg_hba.conf line for pkthub and $DB_NAME; no replication line)"
	fi
	if [ "${PKT_HUB:-0}" = 1 ]; then
		admin -d "$DB_NAME" <<-'EOF'
			SELECT 'CREATE EXTENSION dblink' WHERE NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') \gexec
		EOF
		say "this server is a hub: as postgres, SELECT pkt_hub_add('<sensor>', '<connection string>') in $DB_NAME adds a sensor"
	fi
else
	DB_PORT=${DB_PORT:-5432}
	DB_NAME=${DB_NAME:-packetdb}
	DB_USER=${DB_USER:-packetuser}
	DB_PASSWORD=${DB_PASSWORD:-packetpass}
	say "using the server at $DB_HOST:$DB_PORT, database $DB_NAME, role $DB_USER"
fi

export PGHOST=$DB_HOST PGPORT=$DB_PORT PGDATABASE=$DB_NAME PGUSER=$DB_USER PGPASSWORD=$DB_PASSWORD
export PGAPPNAME=pktcapture-quickstart PGTZ=${TZ:-UTC}
q() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 "$@"; }
# qv SQL [psql args]: SQL may use :'var' set with -v (psql -c does not interpolate)
qv() { local sql=$1; shift; printf '%s\n' "$sql" | q "$@"; }

q -c 'SELECT 1' >/dev/null || die "cannot connect to $DB_HOST:$DB_PORT as $DB_USER"
if ! q -At -c "SELECT 1 FROM pg_extension WHERE extname = 'pktcapture'" | grep -q 1; then
	die "extension pktcapture is not installed in $DB_NAME: a superuser must run CREATE EXTENSION pktcapture there (and preload it: shared_preload_libraries = 'pktcapture')"
fi
say "connected to database $DB_NAME at $DB_HOST:$DB_PORT as $DB_USER; table packets is ready"

say "capture interfaces:"
q -c "SELECT name, array_to_string(addresses, ' ') AS addresses, array_to_string(flags, ',') AS flags
      FROM pkt_interfaces()
      WHERE NOT 'loopback' = ANY (flags) OR name = 'lo'
      ORDER BY 'up' = ANY (flags) DESC, name"
iface=${PKT_INTERFACE:-}
if [ -z "$iface" ]; then
	[ -r /dev/tty ] || die "no terminal to ask for the interface: set PKT_INTERFACE"
	read -r -p "Interface to capture (e.g. eth0, any): " iface </dev/tty
fi
[ -n "$iface" ] || die "no interface given"

# a clear error, as the original program gave, for an interface that does not exist
if ! qv "SELECT pkt_start(:'iface', NULLIF(:'filter', ''))" -At \
	-v iface="$iface" -v filter="${PKT_FILTER:-}" >/dev/null; then
	die "could not start the capture on \"$iface\""
fi

# The live view: refreshed every second until q or Ctrl+C, which stop the
# capture (every remaining row is written) and print the final statistics.
"$here/client/pktop" -i "$iface" ${PKT_DURATION:+--duration "$PKT_DURATION"} ||
	die "the live view ended with an error"
qv "SELECT rows_stored, kernel_dropped, not_stored, started_at, stopped_at
    FROM pkt_status() WHERE interface = :'iface'" -v iface="$iface"
say "the rows are in table packets: psql -h $DB_HOST -p $DB_PORT -U $DB_USER $DB_NAME (password $DB_PASSWORD)"
