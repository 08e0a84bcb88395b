#!/bin/bash
# test/security-test.sh: pktcapture against roles that are not to be trusted.
#
#   test/security-test.sh        (as root, or with sudo; from anywhere;
#                                about a minute)
#   ONLY=owner,revoke test/security-test.sh   those sections (--sections
#                                             lists them)
#
# Tests the extension as installed (make install, or test/run.sh, before):
# it builds and installs nothing of pktcapture.  A throwaway cluster
# (test/lib/cluster.sh) preloading pktcapture; traffic only on lo (UDP
# datagrams to 127.0.0.1, a random port each).  Each check states the
# secure behaviour; expected values come from the attacker's own markers
# or from what the test sent, never from pktcapture.
#
#   1. install: installing into a schema a non-superuser controls is refused: in
#      database victim owned by the non-superuser dbo (who so owns schema
#      public), CREATE EXTENSION pktcapture fails with an error about the
#      schema; so does CREATE EXTENSION ... SCHEMA s2 where dbo only has
#      CREATE; it succeeds in schema pkt, owned by postgres.
#   2. planted: planted built-ins never run as the extension's owner: dbo plants in
#      public (first on its and the database's search_path) now(),
#      date_bin, current_setting, unnest and the operators = + || <=,
#      each leaving a marker row (and a WARNING) and, run by a superuser,
#      making dbo a superuser.  dbo captures lo (pkt_start, traffic,
#      pkt_report, pkt_stats, pkt_status, pkt_maintain if it may, every
#      SECURITY DEFINER function it may call, pkt_stop); then a superuser
#      session with the database's search_path does what cron does (CALL
#      pkt_maintain(), pkt_report()).  dbo never becomes superuser, no
#      marker row or WARNING is a superuser's, the capture stored the rows.
#   3. pinned: every SQL and PL/pgSQL function of the extension is pinned: SET
#      search_path = pg_catalog, pg_temp, or (no SET) it runs under
#      search_path ''; plpgsql_check (Debian's postgresql-15-plpgsql-check,
#      installed if missing) finds no error in any PL/pgSQL function.
#   4. owner: a capture belongs to its database and its role: r1's capture in db1
#      is not stopped by r2 (db2) or r3 (db1), whose pkt_status() and
#      pkt_stats() show nothing of it; pg_monitor and a superuser see it;
#      r1 stops it.
#   5. no-insert: a capture role needs no INSERT on packets (and gets none): r1 with
#      EXECUTE on pkt_start and pkt_stop only captures every datagram sent;
#      its own INSERT into packets is refused (42501).
#   6. revoke: REVOKE SELECT ON packets reaches the partitions at once (no capture
#      or maintenance in between); with row-level security on packets, a
#      reader sees no row through packets nor through a partition.
#   7. quickstart: the quick start's roles: ./quickstart.sh (a copy of the tree, its
#      `make install` and the extension's build skipped: the installed
#      extension is tested) capturing lo 3 s; packetuser is no superuser,
#      does not own packetdb, has no CREATE on the extension's schema nor
#      membership in its owner, cannot INSERT into packets, cannot become
#      superuser by the planted built-ins of 2; the server runs with
#      CAP_NET_RAW and without CAP_NET_ADMIN.
#   8. renamed: a schema's name never becomes SQL: the extension's schema renamed
#      (by a superuser) to x'||public.evil8()||' and the server restarted:
#      the look for hubs at server start reaches the database and
#      evil8() never runs.
#
# An attacker's step that fails is counted as a failure, not as a pass:
# the secure outcome after it would prove nothing.
#
# Environment:
#   SECURITY_KEEP=1    keep the work directory even when all checks pass
#                      (or KEEP_WORK=1)
#   PG_BINDIR          server binaries (default: pg_config --bindir)
#
# Prints one line per check, "ok - ..." or "not ok - ...", and last
# "security: N passed, M failed".  Exit status 0 when every check passed.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections install planted:install pinned owner no-insert revoke quickstart renamed
suite_init security SECURITY_ "$@"
unset PGOPTIONS PGDATABASE PGUSER PGPASSWORD

for cmd in psql pg_config setpriv python3 tar; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

QS_DIR=$WORK/qs
QS_SOCK=/var/run/pktcapture	# quickstart.sh's socket directory, fixed
QS_PORT=""
at_exit '[ -f "$QS_DIR/data/postmaster.pid" ] &&
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$QS_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1'
WORK_NOTE="server logs: $WORK/cluster/server.log, $QS_DIR/server.log"

PGC=$PG_BINDIR/pg_config
[ -x "$PGC" ] || PGC=pg_config
PG_MAJOR=$("$PGC" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
SO=$("$PGC" --pkglibdir)/pktcapture.so
CONTROL=$("$PGC" --sharedir)/extension/pktcapture.control
[ -f "$SO" ] && [ -f "$CONTROL" ] || fatal "pktcapture is not installed ($SO, $CONTROL): make install first"
ext_id() { cat "$SO" "$("$PGC" --sharedir)"/extension/pktcapture* 2>/dev/null | md5sum | cut -c1-12; }
EXT_ID=$(ext_id)
echo "# installed pktcapture: default_version $(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$CONTROL"), library and scripts md5 $EXT_ID"
echo "# work directory $WORK"

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose)
# su DB psql-args: as superuser postgres, the server's defaults
su_() { local db=$1; shift; "${PSQL[@]}" -U postgres -d "$db" "$@"; }
# as_r ROLE DB psql-args: as ROLE, with its own and the database's settings
as_r() { local r=$1 db=$2; shift 2; "${PSQL[@]}" -U "$r" -d "$db" "$@"; }
# err_of COMMAND...: "SQLSTATE: message" of its first ERROR, or nothing
err_of() { "$@" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }
# until_t SECONDS COMMAND...: until COMMAND prints t (every 0.1 s)
until_t() {
	local secs=$1
	shift
	wait_until "$secs" says_t "$@"
}
# udp_send PORT COUNT: COUNT datagrams to 127.0.0.1:PORT
udp_send() {
	"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(i.to_bytes(4, "big") + b"security-test" * 3, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.001)
' "$1" "$2"
}
# a UDP port no other test of this run uses
declare -A USED_PORTS
new_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[ -z "${USED_PORTS[$p]:-}" ] && { USED_PORTS[$p]=1; echo "$p"; return; }
	done
}
oneline() { tr '\n' ' ' | sed 's/ *$//' | cut -c1-"${1:-400}"; }
# old_pcap FILE: 3 UDP datagrams of 2009-01-01 (Ethernet, IPv4), for a
# partition older than any retention
old_pcap() {
	"$PY" -c '
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
for i in range(3):
    payload = b"security-test old" + bytes([i])
    udp = struct.pack("!HHHH", 40000 + i, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp
    out += struct.pack("<IIII", 1230768000 + i, 0, len(frame), len(frame)) + frame
open(sys.argv[1], "wb").write(out)
' "$1" && chmod 644 "$1"
}

# The call of a function with sample arguments: for the rows of pg_proc p
# (joined with pg_namespace n) that WHERE selects, "regprocedure<TAB>statement";
# arguments with defaults are left out, so the defaults are used.
CALLGEN="SELECT p.oid::regprocedure::text || E'\t' ||
	CASE WHEN p.prokind = 'p' THEN 'CALL ' ELSE 'SELECT count(*) FROM ' END ||
	format('%I.%I(', n.nspname, p.proname) ||
	coalesce((SELECT string_agg(format('%L::%s',
		CASE WHEN a.t IN ('timestamptz'::regtype, 'timestamp'::regtype) THEN
				CASE WHEN a.i = (SELECT min(b.i) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS b(t, i)
				                 WHERE b.t IN ('timestamptz'::regtype, 'timestamp'::regtype))
				     THEN (now() - interval '1 hour')::text ELSE (now() + interval '1 minute')::text END
			WHEN a.t = 'interval'::regtype THEN '1 hour'
			WHEN a.t IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
			             'float8'::regtype) THEN '5'
			WHEN a.t IN ('text'::regtype, 'varchar'::regtype) THEN 'lo'
			WHEN a.t = 'name'::regtype THEN current_user::text
			WHEN a.t = 'bool'::regtype THEN 'false'
			WHEN a.t = 'inet'::regtype THEN '127.0.0.1'
			WHEN (SELECT typcategory FROM pg_type WHERE oid = a.t) = 'A' THEN '{}'
		END, format_type(a.t, NULL)), ', ' ORDER BY a.i)
		FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)
		WHERE a.i <= p.pronargs - p.pronargdefaults), '') || ')'
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "

# the functions and procedures that belong to the extension (pg_proc p)
EXT_PROCS="p.oid IN (SELECT objid FROM pg_depend WHERE classid = 'pg_proc'::regclass
	AND refclassid = 'pg_extension'::regclass AND deptype = 'e'
	AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pktcapture'))"

# ---------------------------------------------------------------------------
# the planted built-ins (sections 2 and 7)
# ---------------------------------------------------------------------------
# plant_sql SCHEMA ATTACKER: what the attacker runs to plant them in SCHEMA.
# Each hijacker leaves a marker row (who, what) and a WARNING
# "SEC-HIJACK: <what> ran as <role>"; run as a superuser it makes ATTACKER
# one; then it does what the real one does.  Their own bodies name
# pg_catalog's functions and operators, so they never call each other.
plant_sql() {
	sed -e "s/@S@/$1/g" -e "s/@ATT@/$2/g" <<-'EOF'
		SET search_path = pg_catalog, pg_temp;
		CREATE TABLE @S@.marker (who text, what text);
		GRANT SELECT, INSERT ON @S@.marker TO PUBLIC;
		CREATE FUNCTION @S@.sec_mark(what text) RETURNS void LANGUAGE plpgsql AS $$
		BEGIN
			RAISE WARNING 'SEC-HIJACK: % ran as %', what, current_user;
			BEGIN
				INSERT INTO @S@.marker (who, what) VALUES (current_user, what);
				IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
					EXECUTE 'ALTER ROLE @ATT@ SUPERUSER';
				END IF;
			EXCEPTION WHEN OTHERS THEN
				RAISE WARNING 'SEC-HIJACK-FAILED: % as %: %', what, current_user, SQLERRM;
			END;
		END $$;
		CREATE FUNCTION @S@.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('now()'); RETURN pg_catalog.now(); END $$;
		CREATE FUNCTION @S@.date_bin(s interval, t timestamptz, o timestamptz) RETURNS timestamptz
			LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('date_bin(interval,timestamptz,timestamptz)'); RETURN pg_catalog.date_bin(s, t, o); END $$;
		CREATE FUNCTION @S@.date_bin(s text, t timestamptz, o text) RETURNS timestamptz
			LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM @S@.sec_mark('date_bin(text,timestamptz,text)');
			RETURN pg_catalog.date_bin(s::pg_catalog.interval, t, o::pg_catalog.timestamptz);
		END $$;
		CREATE FUNCTION @S@.current_setting(n text) RETURNS text LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('current_setting(text)'); RETURN pg_catalog.current_setting(n); END $$;
		CREATE FUNCTION @S@.current_setting(n text, m boolean) RETURNS text LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('current_setting(text,boolean)'); RETURN pg_catalog.current_setting(n, m); END $$;
		CREATE FUNCTION @S@.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('unnest(anyarray)'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
		CREATE FUNCTION @S@.sec_eq_text(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('text = text'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
		CREATE OPERATOR @S@.= (LEFTARG = text, RIGHTARG = text, FUNCTION = @S@.sec_eq_text);
		CREATE FUNCTION @S@.sec_eq_int4(a int4, b int4) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('int4 = int4'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
		CREATE OPERATOR @S@.= (LEFTARG = int4, RIGHTARG = int4, FUNCTION = @S@.sec_eq_int4);
		CREATE FUNCTION @S@.sec_plus_int8(a int8, b int8) RETURNS int8 LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('int8 + int8'); RETURN a OPERATOR(pg_catalog.+) b; END $$;
		CREATE OPERATOR @S@.+ (LEFTARG = int8, RIGHTARG = int8, FUNCTION = @S@.sec_plus_int8);
		CREATE FUNCTION @S@.sec_plus_int4(a int4, b int4) RETURNS int4 LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('int4 + int4'); RETURN a OPERATOR(pg_catalog.+) b; END $$;
		CREATE OPERATOR @S@.+ (LEFTARG = int4, RIGHTARG = int4, FUNCTION = @S@.sec_plus_int4);
		CREATE FUNCTION @S@.sec_cat_text(a text, b text) RETURNS text LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('text || text'); RETURN a OPERATOR(pg_catalog.||) b; END $$;
		CREATE OPERATOR @S@.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = @S@.sec_cat_text);
		CREATE FUNCTION @S@.sec_le_tstz(a timestamptz, b timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN PERFORM @S@.sec_mark('timestamptz <= timestamptz'); RETURN a OPERATOR(pg_catalog.<=) b; END $$;
		CREATE OPERATOR @S@.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = @S@.sec_le_tstz);
	EOF
}
# what the attacker's own session calls to see its hijackers work: one
# call of each, HIJACKERS of them
PROBE_SQL="SELECT now() IS NOT NULL, date_bin('1 minute'::interval, now(), '2000-01-01'::timestamptz) IS NOT NULL,
	date_bin('1 minute', now(), '2000-01-01') IS NOT NULL, current_setting('search_path') <> '',
	current_setting('search_path', true) <> '', (SELECT count(*) FROM unnest(ARRAY[1, 2])),
	'a'::text = 'a'::text, 1 = 1, 1::int8 + 1::int8, 1 + 1, 'a'::text || 'b'::text, now() <= now()"
# distinct markers: now(), date_bin x2, current_setting x2, unnest, = x2, + x2, ||, <=
HIJACKERS=12

# hijack_round LABEL: the attack of section 2 with the connections set in
#   ATT   (psql as the attacker: its own and the database's settings)
#   SAFE  (psql as superuser, search_path = pg_catalog, pg_temp)
#   DFLT  (psql as superuser, with the database's settings: as cron would)
# and the variables A (attacker role), S (schema planted in), X (the
# extension's schema), LOG (the server's log), NSENT (datagrams to send).
hijack_round() {
	local lbl=$1 supers off pid port f0 rows calls fn stmt e
	supers=$("${SAFE[@]}" -c "SELECT rolname FROM pg_roles WHERE rolsuper AND rolname <> '$A'
		UNION SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'pktcapture'" | sort -u | tr '\n' ' ')
	echo "# [$lbl] superusers and the extension's owner before the attack: $supers"
	# phase A: the attacker's own captures and calls
	off=$(stat -c %s "$LOG")
	port=$(new_port)
	pid=$("${ATT[@]}" -c "SELECT $X.pkt_start('lo')" 2>"$WORK/start-$lbl.err")
	e=$(sed -n 's/^ERROR: *//p' "$WORK/start-$lbl.err" | head -1)
	if [ -z "$pid" ] && [[ $e == 42501:*insert* ]]; then
		not_ok "[$lbl] $A, given what a capture role gets, may not start a capture: $e"
		echo "# [$lbl] granting INSERT ON $X.packets TO $A (as this version requires) to go on with the attack"
		"${SAFE[@]}" -c "GRANT INSERT ON $X.packets TO $A" >/dev/null
		pid=$("${ATT[@]}" -c "SELECT $X.pkt_start('lo')" 2>"$WORK/start-$lbl.err")
	fi
	if [ -z "$pid" ]; then
		not_ok "[$lbl] $A: pkt_start('lo') failed: $(grep ERROR "$WORK/start-$lbl.err" | oneline)"
	else
		until_t 15 "${SAFE[@]}" -c "SELECT coalesce((SELECT state = 'running' FROM $X.pkt_status() WHERE pid = $pid), false)" ||
			echo "# [$lbl] worker $pid not seen running within 15 s"
		f0=$("${SAFE[@]}" -c "SELECT coalesce((SELECT frames FROM $X.pkt_status() WHERE pid = $pid), 0)")
		udp_send "$port" "$NSENT"
		until_t 15 "${SAFE[@]}" -c "SELECT coalesce((SELECT frames >= ${f0:-0} + $NSENT FROM $X.pkt_status() WHERE pid = $pid), true)" ||
			echo "# [$lbl] the capture has not seen the $NSENT datagrams within 15 s"
	fi
	calls="pkt_report() pkt_stats() pkt_status()"
	"${ATT[@]}" -c "SELECT count(*) FROM $X.pkt_report()" >/dev/null 2>>"$WORK/calls-$lbl.err"
	"${ATT[@]}" -c "SELECT count(*) FROM $X.pkt_stats()" >/dev/null 2>>"$WORK/calls-$lbl.err"
	"${ATT[@]}" -c "SELECT count(*) FROM $X.pkt_status()" >/dev/null 2>>"$WORK/calls-$lbl.err"
	if [ "$("${SAFE[@]}" -c "SELECT coalesce(has_function_privilege('$A', to_regprocedure('$X.pkt_maintain()'), 'EXECUTE'), false)")" = t ]; then
		"${ATT[@]}" -c "CALL $X.pkt_maintain()" >/dev/null 2>>"$WORK/calls-$lbl.err"
		calls="$calls pkt_maintain()"
	else
		echo "# [$lbl] $A may not CALL pkt_maintain(): not called"
	fi
	# every SECURITY DEFINER function the attacker may execute
	while IFS=$'\t' read -r fn stmt; do
		[ -n "$fn" ] || continue
		"${ATT[@]}" -c "$stmt" >/dev/null 2>>"$WORK/calls-$lbl.err"
		calls="$calls ${fn}[definer]"
	done < <("${SAFE[@]}" -c "$CALLGEN n.nspname = '$X' AND p.prosecdef AND p.prorettype <> 'trigger'::regtype
		AND has_function_privilege('$A', p.oid, 'EXECUTE') ORDER BY 1")
	echo "# [$lbl] $A called:$calls ($(cat "$WORK/calls-$lbl.err" 2>/dev/null | grep -c '^ERROR') errors: $WORK/calls-$lbl.err)"
	if [ -n "$pid" ]; then
		"${ATT[@]}" -c "SELECT $X.pkt_stop('lo')" >/dev/null 2>>"$WORK/calls-$lbl.err" ||
			not_ok "[$lbl] $A: pkt_stop('lo') failed: $(grep ERROR "$WORK/calls-$lbl.err" | tail -1)"
		rows=$("${SAFE[@]}" -c "SELECT count(*) FROM $X.packets WHERE protocol = 'UDP' AND dst_port = $port")
		check_eq "[$lbl] the capture of $A stored every datagram sent to port $port (rows in $X.packets, as superuser)" \
			"$rows" "$NSENT"
	fi
	hijack_verdict "$lbl" "$A's own captures and calls" "$off" "$supers"
	# phase B: a superuser session with the database's settings, as cron
	"${SAFE[@]}" -c "ALTER ROLE $A NOSUPERUSER; DELETE FROM $S.marker" >/dev/null
	off=$(stat -c %s "$LOG")
	local sp
	sp=$("${DFLT[@]}" -c "SHOW search_path" 2>&1)
	if [[ $sp != "$S"* ]]; then
		ok "[$lbl] the attacker could not give a superuser's sessions its search_path (theirs: $sp)"
		return
	fi
	echo "# [$lbl] a superuser session with the database's settings has search_path = $sp"
	# something for pkt_maintain() to drop: a partition of 2009 (pkt_load of
	# a file of 2009, as superuser), and pktcapture.retention = 30 days
	local old=$WORK/old-$lbl.pcap nold
	old_pcap "$old"
	"${SAFE[@]}" -c "SELECT $X.pkt_load('$old')" >/dev/null 2>>"$WORK/calls-$lbl.err" ||
		echo "# [$lbl] superuser: pkt_load of a file of 2009 failed: $(grep ERROR "$WORK/calls-$lbl.err" | tail -1)"
	# retention spares a partition made less than that long ago (a load of
	# old rows): its record says it was made in 2009, as if loaded then
	"${SAFE[@]}" -c "UPDATE $X.pkt_partitions SET created_at = range_start WHERE range_end < '2010-01-01'" \
		>/dev/null 2>>"$WORK/calls-$lbl.err" ||
		echo "# [$lbl] superuser: could not date the partition of 2009 back: $(grep ERROR "$WORK/calls-$lbl.err" | tail -1)"
	"${SAFE[@]}" -c "ALTER SYSTEM SET pktcapture.retention = '30d'" -c "SELECT pg_reload_conf()" >/dev/null
	until_t 10 "${SAFE[@]}" -c "SELECT current_setting('pktcapture.retention') <> '0'" ||
		echo "# [$lbl] pktcapture.retention not in effect after 10 s"
	"${DFLT[@]}" -c "CALL $X.pkt_maintain()" >/dev/null 2>>"$WORK/calls-$lbl.err" ||
		echo "# [$lbl] superuser: CALL pkt_maintain() failed: $(grep ERROR "$WORK/calls-$lbl.err" | tail -1)"
	nold=$("${SAFE[@]}" -c "SELECT count(*) FROM $X.packets WHERE capture_time < '2010-01-01'")
	echo "# [$lbl] rows of 2009 left after that CALL pkt_maintain() (retention 30 days): $nold"
	"${SAFE[@]}" -c "ALTER SYSTEM RESET pktcapture.retention" -c "SELECT pg_reload_conf()" >/dev/null
	"${DFLT[@]}" -c "SELECT count(*) FROM $X.pkt_report()" >/dev/null 2>>"$WORK/calls-$lbl.err" ||
		echo "# [$lbl] superuser: pkt_report() failed: $(grep ERROR "$WORK/calls-$lbl.err" | tail -1)"
	hijack_verdict "$lbl" "a superuser's CALL pkt_maintain() (a partition past retention to drop) and pkt_report() in a session with the database's search_path" "$off" "$supers"
}
# hijack_verdict LABEL WHAT LOG_OFFSET SUPERS: the checks after a phase
hijack_verdict() {
	local lbl=$1 what=$2 off=$3 supers=$4 rs marks logmarks re
	rs=$("${SAFE[@]}" -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$A'")
	check_eq "[$lbl] after $what: $A is not a superuser (pg_roles.rolsuper)" "$rs" f
	marks=$("${SAFE[@]}" -c "SELECT string_agg(DISTINCT what || ' as ' || who, '; ') FROM $S.marker
		WHERE who = ANY (string_to_array(trim('$supers'), ' '))")
	re=$(sed 's/ *$//; s/ /|/g' <<<"$supers")
	logmarks=$(tail -c +"$((off + 1))" "$LOG" | grep -aoE "SEC-HIJACK: .* ran as ($re)\$" | sort | uniq -c |
		sed 's/^ *//' | oneline 600)
	if [ -z "$marks" ] && [ -z "$logmarks" ]; then
		ok "[$lbl] after $what: no planted function or operator ran as a superuser or the extension's owner (marker rows, server log)"
	else
		not_ok "[$lbl] after $what: planted built-ins ran as a superuser: markers: ${marks:-none}; log: ${logmarks:-none}"
		tail -c +"$((off + 1))" "$LOG" | grep -aE -A12 "SEC-HIJACK: .* ran as ($re)\$" |
			grep -aE $'^\t(SQL statement|PL/pgSQL function)|CONTEXT' | grep -av sec_mark | cut -c1-160 |
			sort | uniq -c | sort -rn | head -5 | sed 's/^ */    /'
	fi
}
# plant ATTACKER SCHEMA: plant the hijackers as ATT; 0 if planted, 1 if
# refused for want of privilege (message in PLANT_ERR), 2 otherwise
plant() {
	PLANT_ERR=$(plant_sql "$2" "$1" | "${ATT[@]}" 2>&1 >/dev/null | grep '^ERROR' | head -1)
	[ -z "$PLANT_ERR" ] && return 0
	[[ $PLANT_ERR == *42501* ]] && return 1
	return 2
}
# probe: the attacker's own session runs its hijackers (they work): the
# attack's step, without which its checks would prove nothing
probe() {
	local lbl=$1 n
	"${ATT[@]}" -c "$PROBE_SQL" >/dev/null 2>"$WORK/probe-$lbl.err" ||
		echo "# [$lbl] probe failed: $(grep ERROR "$WORK/probe-$lbl.err" | oneline)"
	n=$("${SAFE[@]}" -c "SELECT count(DISTINCT what) FROM $S.marker WHERE who = '$A'")
	step "[$lbl] the planted built-ins work: $A's own session (search_path $("${ATT[@]}" -c "SHOW search_path" 2>/dev/null)) runs each of them ($n of $HIJACKERS distinct markers)" \
		[ "$n" = "$HIJACKERS" ]
	"${SAFE[@]}" -c "DELETE FROM $S.marker" >/dev/null
}

# ---------------------------------------------------------------------------
heading "setup"
must "start a cluster, pktcapture preloaded" cluster_start "$WORK/cluster" "shared_preload_libraries = 'pktcapture'"
LOG_MAIN=$CLUSTER_DIR/server.log
echo "# cluster on port $PGPORT"

# ---------------------------------------------------------------------------
if section install "1. install into a schema a non-superuser controls is refused"; then
	# the superuser's sessions in victim never take the database's settings
	vsu() { PGOPTIONS="-c search_path=pg_catalog,pg_temp" "${PSQL[@]}" -U postgres -d victim "$@"; }
	must "role dbo and its database victim" su_ postgres -c "CREATE ROLE dbo LOGIN" -c "CREATE DATABASE victim OWNER dbo"
	echo "# victim's schema public: owner $(vsu -c "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'"), dbo a member of it: $(vsu -c "SELECT pg_has_role('dbo', (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'MEMBER')")"
	# refused_install LABEL SQL: CREATE EXTENSION must fail with an error about
	# the schema; if it succeeds, the extension is dropped again
	# (a session with the server's default search_path: "$user", public)
	refused_install() {
		local e
		vsu -c "DROP EXTENSION IF EXISTS pktcapture CASCADE" >/dev/null 2>&1
		e=$(err_of su_ victim -c "$2")
		if [ -z "$e" ]; then
			not_ok "$1: '$2' succeeded (in schema $(vsu -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pktcapture'"))"
			vsu -c "DROP EXTENSION pktcapture CASCADE" >/dev/null 2>&1
		elif grep -qi 'schema' <<<"$e" && ! grep -qi 'already exists' <<<"$e"; then
			ok "$1: refused ($e)"
		else
			not_ok "$1: failed, but not because of the schema: $e"
		fi
	}
	refused_install "CREATE EXTENSION pktcapture as superuser in victim, whose public is dbo's (pg_database_owner)" \
		"CREATE EXTENSION pktcapture"
	must "schema s2, where dbo has CREATE" vsu -c "CREATE SCHEMA s2" -c "GRANT CREATE ON SCHEMA s2 TO dbo"
	refused_install "CREATE EXTENSION pktcapture SCHEMA s2, where dbo has CREATE" \
		"CREATE EXTENSION pktcapture SCHEMA s2"
	vsu -c "DROP EXTENSION IF EXISTS pktcapture CASCADE" >/dev/null 2>&1
	must "schema pkt, postgres's" vsu -c "CREATE SCHEMA pkt AUTHORIZATION postgres"
	e=$(err_of vsu -c "CREATE EXTENSION pktcapture SCHEMA pkt")
	if [ -z "$e" ] && [ "$(vsu -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pktcapture'")" = pkt ]; then
		ok "CREATE EXTENSION pktcapture SCHEMA pkt (owned by postgres, no CREATE for others) in victim succeeds"
		VICTIM_OK=1
	else
		not_ok "CREATE EXTENSION pktcapture SCHEMA pkt in victim failed: $e"
		VICTIM_OK=0
	fi
fi

# ---------------------------------------------------------------------------
if section planted "2. planted built-ins do not run as the extension's owner"; then
	if [ "$VICTIM_OK" = 1 ]; then
		ATT=("${PSQL[@]}" -U dbo -d victim)
		SAFE=(env PGOPTIONS="-c search_path=pg_catalog,pg_temp" "${PSQL[@]}" -U postgres -d victim)
		DFLT=("${PSQL[@]}" -U postgres -d victim)
		A=dbo S=public X=pkt LOG=$LOG_MAIN NSENT=50
		step "dbo plants in public (which it owns): now(), date_bin x2, current_setting x2, unnest, = (text, int4), + (int8, int4), ||, <=" \
			plant dbo public || echo "#   $PLANT_ERR"
		step "dbo's and victim's search_path: public first" \
			vsu -c "ALTER ROLE dbo SET search_path = public, pg_catalog" \
			-c "ALTER DATABASE victim SET search_path = public, pg_catalog"
		# what a capture role gets (every overload of these names)
		step "dbo gets what a capture role gets" vsu <<-'EOF'
			GRANT USAGE ON SCHEMA pkt TO dbo;
			SELECT format('GRANT EXECUTE ON FUNCTION %s TO dbo', p.oid::regprocedure)
			FROM pg_proc p WHERE p.pronamespace = 'pkt'::regnamespace
			  AND p.proname IN ('pkt_start', 'pkt_stop', 'pkt_stats', 'pkt_status', 'pkt_report', 'pkt_report_between') \gexec
		EOF
		echo "# dbo may execute: $(vsu -c "SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1) FROM pg_proc p
			WHERE p.pronamespace = 'pkt'::regnamespace AND has_function_privilege('dbo', p.oid, 'EXECUTE')")"
		echo "# SECURITY DEFINER functions of the extension: $(vsu -c "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1), 'none') FROM pg_proc p
			WHERE p.pronamespace = 'pkt'::regnamespace AND p.prosecdef")"
		probe victim
		hijack_round victim
	else
		not_ok "no extension in schema pkt of victim: the planted built-ins were not tried"
	fi
fi

# ---------------------------------------------------------------------------
if section pinned "3. every function of the extension is pinned"; then
	must "database scratch" su_ postgres -c "CREATE DATABASE scratch"
	must "CREATE EXTENSION pktcapture SCHEMA pkt in database scratch" \
		su_ scratch -c "CREATE SCHEMA pkt AUTHORIZATION postgres" -c "CREATE EXTENSION pktcapture SCHEMA pkt"
	scr() { PGOPTIONS="-c search_path=pg_catalog,pg_temp" "${PSQL[@]}" -U postgres -d scratch "$@"; }
	# name, language, the search_path settings of its SET clauses ('' if none)
	scr -F $'\t' -c "SELECT p.oid::regprocedure, l.lanname, p.prokind, p.prorettype::regtype,
		coalesce(array_to_string(ARRAY(SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'), ' | '), '')
		FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		WHERE $EXT_PROCS AND l.lanname IN ('sql', 'plpgsql') ORDER BY 1" >"$WORK/procs.tsv"
	nprocs=$(wc -l <"$WORK/procs.tsv")
	[ "$nprocs" -gt 0 ] || not_ok "no SQL or PL/pgSQL function of the extension found in database scratch"
	pinned=0 wrong="" unpinned=()
	while IFS=$'\t' read -r fn _ _ _ sp; do
		if [ "$sp" = "search_path=pg_catalog, pg_temp" ]; then
			pinned=$((pinned + 1))
		elif [ -z "$sp" ]; then
			unpinned+=("$fn")
		else
			wrong="$wrong ${fn%%(*} [${sp#search_path=}];"
		fi
	done <"$WORK/procs.tsv"
	echo "# $nprocs SQL and PL/pgSQL functions: $pinned pinned to 'pg_catalog, pg_temp', ${#unpinned[@]} without SET: ${unpinned[*]:-none}"
	if [ -z "$wrong" ]; then
		ok "every SQL/PL/pgSQL function of the extension with a SET search_path has exactly 'pg_catalog, pg_temp' ($pinned)"
	else
		not_ok "functions whose SET search_path is not 'pg_catalog, pg_temp':$wrong"
	fi
	# the ones without SET: each called with sample arguments under search_path ''
	bad=""
	for fn in "${unpinned[@]}"; do
		if [ "$(scr -c "SELECT prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) FROM pg_proc WHERE oid = '$fn'::regprocedure")" = t ]; then
			bad="$bad ${fn%%(*} [a trigger function without SET: cannot be called to check it];"
			continue
		fi
		stmt=$(scr -c "$CALLGEN p.oid = '$fn'::regprocedure" | cut -f2)
		e=$(err_of su_ scratch -c "SET search_path = ''" -c "$stmt")
		if [ -n "$e" ]; then
			bad="$bad ${fn%%(*} [$stmt: $e];"
		else
			echo "# under search_path '': $stmt: no error"
		fi
	done
	if [ ${#unpinned[@]} -eq 0 ]; then
		ok "no SQL/PL/pgSQL function of the extension is without SET search_path"
	elif [ -z "$bad" ]; then
		ok "every function without SET search_path (${#unpinned[@]}) runs under search_path '' (sample arguments)"
	else
		not_ok "functions without SET search_path that fail under search_path '':$bad"
	fi
	# plpgsql_check
	PLC_PKG=postgresql-$PG_MAJOR-plpgsql-check
	plc_reason=""
	if ! dpkg-query -W -f='${Status}' "$PLC_PKG" 2>/dev/null | grep -q "install ok installed"; then
		echo "# installing $PLC_PKG"
		if ! DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq "$PLC_PKG" >"$WORK/apt.log" 2>&1; then
			DEBIAN_FRONTEND=noninteractive timeout 120 apt-get update -qq >>"$WORK/apt.log" 2>&1
			DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq "$PLC_PKG" >>"$WORK/apt.log" 2>&1 ||
				plc_reason="apt-get install -y $PLC_PKG failed: $(grep -E '^E:' "$WORK/apt.log" | oneline 200)"
		fi
	fi
	if [ -z "$plc_reason" ]; then
		e=$(err_of scr -c "CREATE EXTENSION IF NOT EXISTS plpgsql_check")
		[ -z "$e" ] || plc_reason="CREATE EXTENSION plpgsql_check failed: $e"
	fi
	if [ -n "$plc_reason" ]; then
		not_ok "plpgsql_check of the extension's PL/pgSQL functions not done: $plc_reason"
	else
		errs="" checked=0 notchecked=""
		while IFS=$'\t' read -r fn rel; do
			out=$(scr -F $'\t' -c "SELECT level, message, coalesce(lineno::text, '?') FROM plpgsql_check_function_tb('$fn'::regprocedure, '${rel:-0}'::oid::regclass)" 2>&1)
			if [ $? -ne 0 ]; then
				notchecked="$notchecked ${fn%%(*} ($(grep ERROR <<<"$out" | oneline 120));"
				continue
			fi
			checked=$((checked + 1))
			e=$(awk -F'\t' '$1 == "error" { printf " %s (line %s);", $2, $3 }' <<<"$out")
			[ -n "$e" ] && errs="$errs ${fn%%(*}:$e"
			w=$(awk -F'\t' '$1 != "error" && $1 != "" { printf " %s: %s;", $1, $2 }' <<<"$out")
			[ -n "$w" ] && echo "# plpgsql_check ${fn%%(*} (not failures):$w"
		done < <(scr -F $'\t' -c "SELECT p.oid::regprocedure,
			CASE WHEN p.prorettype = 'trigger'::regtype THEN
				-- the table its trigger is on, else where 1.3 attaches it (at a hub), else packets
				coalesce((SELECT min(tgrelid) FROM pg_trigger WHERE tgfoid = p.oid),
					to_regclass(format('%I.%I', n.nspname, CASE p.proname WHEN 'pkt_hub_partitions' THEN 'pkt_partitions'
						WHEN 'pkt_hub_replace' THEN 'pkt_runs' ELSE 'packets' END)))::oid::text END
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE $EXT_PROCS AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
			  AND p.prorettype <> 'event_trigger'::regtype ORDER BY 1")
		[ -n "$notchecked" ] && echo "# plpgsql_check could not check (not counted):$notchecked"
		if [ "$checked" -eq 0 ]; then
			not_ok "plpgsql_check checked no PL/pgSQL function of the extension"
		elif [ -z "$errs" ]; then
			ok "plpgsql_check: no error in the extension's $checked PL/pgSQL functions"
		else
			not_ok "plpgsql_check reports errors:$errs"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# db1 and db2 with the extension, roles r1, r2, r3 and watcher, and the
# grants of a capture role: what sections 4, 5 and 6 look at
# ext_in DB: CREATE EXTENSION pktcapture; in schema pkt (postgres's) if refused
ext_in() {
	local e
	e=$(err_of su_ "$1" -c "CREATE EXTENSION pktcapture")
	if [ -z "$e" ]; then
		su_ "$1" -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pktcapture'"
		return
	fi
	echo "# CREATE EXTENSION pktcapture in $1 (owned by postgres) refused ($e): in schema pkt instead" >&2
	su_ "$1" -c "CREATE SCHEMA pkt AUTHORIZATION postgres" -c "GRANT USAGE ON SCHEMA pkt TO PUBLIC" \
		-c "CREATE EXTENSION pktcapture SCHEMA pkt" >/dev/null 2>&1 && echo pkt
}
# gexec DB SQL: the statements SQL returns, run as superuser in DB
gexec() { printf '%s\n\\gexec\n' "$2" | su_ "$1" >/dev/null; }
d1() { su_ db1 "$@"; }
d2() { su_ db2 "$@"; }
grant_exec() {	# grant_exec DB SCHEMA ROLES NAME...
	local db=$1 xs=$2 roles=$3
	shift 3
	local names
	names=$(printf "'%s'," "$@")
	gexec "$db" "SELECT format('GRANT EXECUTE ON FUNCTION %s TO $roles', p.oid::regprocedure) FROM pg_proc p
		WHERE p.pronamespace = '$xs'::regnamespace AND p.proname IN (${names%,})"
}
dbs() {
	[ -n "${X1:-}" ] && return
	must "databases db1, db2 and roles r1, r2, r3, watcher (pg_monitor)" \
		su_ postgres -c "CREATE DATABASE db1" -c "CREATE DATABASE db2" \
		-c "CREATE ROLE r1 LOGIN" -c "CREATE ROLE r2 LOGIN" -c "CREATE ROLE r3 LOGIN" \
		-c "CREATE ROLE watcher LOGIN IN ROLE pg_monitor"
	must_get X1 "CREATE EXTENSION pktcapture in db1" ext_in db1
	must_get X2 "CREATE EXTENSION pktcapture in db2" ext_in db2
	must "r1 and r3 may capture in db1" grant_exec db1 "$X1" "r1, r3" pkt_start pkt_stop pkt_stats pkt_status
	must "r2 may capture in db2" grant_exec db2 "$X2" "r2" pkt_start pkt_stop pkt_stats pkt_status
}

# ---------------------------------------------------------------------------
if section owner "4. captures belong to a database and a role"; then
	dbs
	P4=$(new_port)
	R1_INSERT=0
	# r1_start: r1 starts a capture on lo in db1; sets PID4 and START4 (its
	# started_at, which names the run in pkt_status whatever its pid)
	r1_start() {
		local e
		PID4=$(as_r r1 db1 -c "SELECT $X1.pkt_start('lo', 'udp port $P4')" 2>"$WORK/r1start.err")
		e=$(sed -n 's/^ERROR: *//p' "$WORK/r1start.err" | head -1)
		if [ -z "$PID4" ] && [[ $e == 42501:*insert* ]] && [ "$R1_INSERT" = 0 ]; then
			echo "# r1 may not start a capture without INSERT on packets ($e): granted for this section only (section 5 checks that)"
			d1 -c "GRANT INSERT ON $X1.packets TO r1" >/dev/null
			R1_INSERT=1
			PID4=$(as_r r1 db1 -c "SELECT $X1.pkt_start('lo', 'udp port $P4')" 2>"$WORK/r1start.err")
		fi
		[ -n "$PID4" ] || { START4=""; return 1; }
		until_t 15 d1 -c "SELECT coalesce((SELECT state = 'running' FROM $X1.pkt_status() WHERE pid = $PID4), false)" ||
			echo "# r1's worker $PID4 not seen running within 15 s"
		START4=$(d1 -c "SELECT started_at FROM $X1.pkt_status() WHERE pid = $PID4")
	}
	state4() { d1 -c "SELECT coalesce((SELECT string_agg(state, ',') FROM $X1.pkt_status() WHERE started_at = '$START4' AND interface = 'lo'), 'gone')"; }
	if r1_start; then
		ok "r1 started a capture on lo in db1 (worker $PID4, started at $START4)"
		udp_send "$P4" 10
		until_t 15 d1 -c "SELECT coalesce((SELECT frames >= 10 FROM $X1.pkt_status() WHERE pid = $PID4), true)" ||
			echo "# r1's capture has not seen 10 datagrams within 15 s"
		# who sees it
		check_eq "r2 in db2: pkt_status() has no row of r1's capture (pid $PID4)" \
			"$(as_r r2 db2 -c "SELECT count(*) FROM $X2.pkt_status() WHERE pid = $PID4" 2>&1 | oneline)" 0
		check_eq "r2 in db2 (where nothing was ever captured): pkt_stats() and pkt_stats('lo') show nothing (rows)" \
			"$(as_r r2 db2 -c "SELECT (SELECT count(*) FROM $X2.pkt_stats()) + (SELECT count(*) FROM $X2.pkt_stats('lo'))" 2>&1 | oneline)" 0
		check_eq "r3 in db1 (not a member of r1): pkt_status() has no row of r1's capture" \
			"$(as_r r3 db1 -c "SELECT count(*) FROM $X1.pkt_status() WHERE pid = $PID4" 2>&1 | oneline)" 0
		check_eq "watcher (pg_monitor) in db1: pkt_status() shows r1's capture" \
			"$(as_r watcher db1 -c "SELECT count(*) FROM $X1.pkt_status() WHERE pid = $PID4" 2>&1 | oneline)" 1
		check_eq "a superuser in db2: pkt_status() shows r1's capture (in db1)" \
			"$(d2 -c "SELECT count(*) FROM $X2.pkt_status() WHERE pid = $PID4" 2>&1 | oneline)" 1
		# who may stop it
		for who in "r2 db2 $X2 pkt_stop()" "r2 db2 $X2 pkt_stop('lo')" "r3 db1 $X1 pkt_stop('lo')" "r3 db1 $X1 pkt_stop()"; do
			read -r role db xs call <<<"$who"
			out=$(as_r "$role" "$db" -c "SELECT $xs.$call" 2>&1 | oneline 200)
			st=$(state4)
			if [ "$st" = running ]; then
				ok "$role in $db: $call (said: ${out:-nothing}) leaves r1's capture running"
			else
				not_ok "$role in $db: $call (said: ${out:-nothing}) stopped r1's capture: state '$st'"
				r1_start && echo "# r1 started its capture again (worker $PID4)" || not_ok "r1 could not start its capture again"
			fi
		done
		out=$(as_r r1 db1 -c "SELECT $X1.pkt_stop('lo')" 2>&1)
		rc=$?
		until_t 10 d1 -c "SELECT coalesce((SELECT bool_and(state = 'stopped') FROM $X1.pkt_status() WHERE started_at = '$START4' AND interface = 'lo'), false)"
		check_eq "r1 stops its own capture: pkt_stop('lo') returns (exit status, result '$(oneline <<<"$out")'), then its state" \
			"$rc $(state4)" "0 stopped"
	else
		not_ok "r1 could not start a capture on lo in db1: $(grep ERROR "$WORK/r1start.err" | oneline)"
	fi
	if [ "$R1_INSERT" = 1 ]; then
		# as before: r1 has no privilege on packets or any partition
		d1 -c "REVOKE INSERT ON $X1.packets FROM r1" >/dev/null
		gexec db1 "SELECT format('REVOKE ALL ON %s FROM r1', inhrelid::regclass) FROM pg_inherits WHERE inhparent = '$X1.packets'::regclass"
	fi
fi

# ---------------------------------------------------------------------------
if section no-insert "5. a capture role needs no INSERT on packets, and gets none"; then
	dbs
	gexec db1 "SELECT format('REVOKE EXECUTE ON FUNCTION %s FROM r1', p.oid::regprocedure) FROM pg_proc p
		WHERE p.pronamespace = '$X1'::regnamespace AND p.proname IN ('pkt_stats', 'pkt_status')"
	echo "# r1 may: $(d1 -c "SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p WHERE p.pronamespace = '$X1'::regnamespace
		AND has_function_privilege('r1', p.oid, 'EXECUTE') AND NOT has_function_privilege('public', p.oid, 'EXECUTE')");" \
		"privileges on packets: $(d1 -c "SELECT coalesce(string_agg(privilege_type, ', '), 'none') FROM information_schema.table_privileges
		WHERE grantee = 'r1' AND table_name = 'packets'")"
	P5=$(new_port)
	N5=200
	pid5=$(as_r r1 db1 -c "SELECT $X1.pkt_start('lo', 'udp port $P5')" 2>"$WORK/r1start5.err")
	if [ -n "$pid5" ]; then
		ok "r1 (EXECUTE on pkt_start and pkt_stop, no privilege on packets) starts a capture on lo (worker $pid5)"
		until_t 15 d1 -c "SELECT coalesce((SELECT state = 'running' FROM $X1.pkt_status() WHERE pid = $pid5), false)" ||
			echo "# worker $pid5 not seen running within 15 s"
		udp_send "$P5" "$N5"
		CLUSTER_DB=db1 capture_saw "$pid5" "$N5" || echo "# the capture has not seen $N5 frames within 15 s"
		as_r r1 db1 -c "SELECT $X1.pkt_stop('lo')" >/dev/null 2>>"$WORK/r1start5.err" ||
			not_ok "r1: pkt_stop('lo') failed: $(grep ERROR "$WORK/r1start5.err" | oneline)"
	else
		not_ok "r1 (EXECUTE on pkt_start and pkt_stop, no privilege on packets) cannot start a capture: $(grep ERROR "$WORK/r1start5.err" | oneline)"
	fi
	check_eq "rows in packets for the $N5 datagrams r1's capture saw (UDP to port $P5; counted as superuser)" \
		"$(d1 -c "SELECT count(*) FROM $X1.packets WHERE protocol = 'UDP' AND dst_port = $P5")" "$N5"
	e=$(err_of as_r r1 db1 -c "INSERT INTO $X1.packets (src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, captured_size)
		VALUES ('1.2.3.4', '5.6.7.8', 60, now(), 4, 17, 60)")
	if [[ $e == 42501:* ]]; then
		ok "r1's own INSERT into packets is refused ($e)"
	else
		not_ok "r1's own INSERT into packets: want permission denied (42501), got: ${e:-no error: the row was inserted}"
	fi
fi

# ---------------------------------------------------------------------------
if section revoke "6. a REVOKE on packets reaches the partitions at once"; then
	dbs
	must "role reader" su_ postgres -c "CREATE ROLE reader LOGIN"
	e=$(err_of d1 -c "SELECT $X1.pkt_grant_read('reader')")
	[ -z "$e" ] && ok "pkt_grant_read('reader') in db1" || not_ok "pkt_grant_read('reader') failed: $e"
	# rows and a partition: a short capture as superuser if packets is empty
	if [ "$(d1 -c "SELECT count(*) FROM $X1.packets")" = 0 ]; then
		P6=$(new_port)
		pid6=$(d1 -c "SELECT $X1.pkt_start('lo', 'udp port $P6')")
		udp_send "$P6" 10
		CLUSTER_DB=db1 capture_saw "$pid6" 10
		d1 -c "SELECT $X1.pkt_stop('lo')" >/dev/null
		echo "# packets was empty: a superuser captured 10 datagrams"
	fi
	mapfile -t PARTS < <(d1 -c "SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = '$X1.packets'::regclass ORDER BY 1")
	if [ ${#PARTS[@]} -eq 0 ] && [ "$(d1 -c "SELECT to_regprocedure('$X1.pkt_partitions_ahead()') IS NOT NULL")" = t ]; then
		d1 -c "SELECT $X1.pkt_partitions_ahead()" >/dev/null
		mapfile -t PARTS < <(d1 -c "SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = '$X1.packets'::regclass ORDER BY 1")
	fi
	NROWS6=$(d1 -c "SELECT count(*) FROM $X1.packets")
	echo "# partitions of packets: ${PARTS[*]:-none}; rows: $NROWS6"
	if [ ${#PARTS[@]} -eq 0 ]; then
		not_ok "packets has no partition in db1: the REVOKE could not be tried"
	else
		before=""
		for part in "${PARTS[@]}"; do
			before="$before $part:$(as_r reader db1 -c "SELECT count(*) FROM $part" 2>&1 | sed -n 's/^ERROR: *\([0-9A-Z]*\):.*/error \1/p;/^[0-9]*$/p' | head -1)"
		done
		echo "# reader reads each partition before the REVOKE:$before"
		running=$(d1 -c "SELECT count(*) FROM $X1.pkt_status() WHERE state IN ('starting', 'running', 'stopping')")
		step "no capture running in db1 before the REVOKE ($running)" [ "$running" = 0 ]
		step "REVOKE SELECT ON packets FROM reader" d1 -c "REVOKE SELECT ON $X1.packets FROM reader"
		readable=""
		for part in "${PARTS[@]}"; do
			e=$(err_of as_r reader db1 -c "SELECT count(*) FROM $part")
			[[ $e == 42501:* ]] || readable="$readable $part (${e:-read: $(as_r reader db1 -c "SELECT count(*) FROM $part" 2>&1 | oneline) rows})"
		done
		if [ -z "$readable" ]; then
			ok "after REVOKE SELECT ON packets FROM reader, reader may read none of the ${#PARTS[@]} partitions (permission denied)"
		else
			not_ok "after REVOKE SELECT ON packets FROM reader, reader still reads partitions:$readable"
		fi
		# row-level security on packets
		step "row-level security on packets: a policy USING (false) for reader" \
			d1 -c "ALTER TABLE $X1.packets ENABLE ROW LEVEL SECURITY" \
			-c "CREATE POLICY p ON $X1.packets FOR SELECT TO reader USING (false)" \
			-c "GRANT SELECT ON $X1.packets TO reader"
		[ "${NROWS6:-0}" -gt 0 ] || not_ok "packets holds no row: row-level security cannot be checked"
		check_eq "with a policy USING (false) for reader on packets ($NROWS6 rows), reader sees through packets (rows)" \
			"$(as_r reader db1 -c "SELECT count(*) FROM $X1.packets" 2>&1 | oneline)" 0
		leaks=""
		for part in "${PARTS[@]}"; do
			[ "$(d1 -c "SELECT count(*) > 0 FROM $part")" = t ] || continue
			e=$(err_of as_r reader db1 -c "SELECT count(*) FROM $part")
			if [ -z "$e" ]; then
				n=$(as_r reader db1 -c "SELECT count(*) FROM $part" 2>&1)
				[ "$n" = 0 ] || leaks="$leaks $part: $n rows;"
			elif [[ $e != 42501:* ]]; then
				leaks="$leaks $part: $e;"
			fi
		done
		if [ -z "$leaks" ]; then
			ok "under that policy, reader reads no row through any partition of packets directly (permission denied or 0 rows)"
		else
			not_ok "under that policy, reader reads rows through partitions directly:$leaks"
		fi
	fi
fi

# ---------------------------------------------------------------------------
if section quickstart "7. the quick start's roles"; then
	# quickstart.sh of a copy of the tree; its make install and the build of the
	# extension are skipped (the installed extension is tested; test/run.sh has
	# installed it), its client pktop is built.
	mkdir -p "$WORK/tree" "$WORK/bin"
	copy_tree() { tar -C "$ROOT" --exclude=.git --exclude=./test/logs -cf - . | tar -C "$WORK/tree" -xf -; }
	must "a copy of the tree" copy_tree
	REAL_MAKE=$(command -v make)
	cat >"$WORK/bin/make" <<-EOF
		#!/bin/bash
		# test/security-test.sh: the installed extension is tested; no install, no build of it
		dir=.
		args=("\$@")
		for ((i = 0; i < \${#args[@]}; i++)); do [ "\${args[i]}" = -C ] && dir=\${args[i+1]}; done
		for a in "\$@"; do
			[ "\$a" = install ] && { echo "security-test: skipped: make \$*" >&2; exit 0; }
		done
		[ "\$(basename "\$dir")" = client ] && exec "$REAL_MAKE" "\$@"
		echo "security-test: skipped: make \$*" >&2
		exit 0
	EOF
	chmod 755 "$WORK/bin/make"
	must_get QS_PORT "a free port for the quick start" cluster_free_port
	PATH=$WORK/bin:$PATH PKT_PRIVATE_DIR=$QS_DIR PKT_PRIVATE_PORT=$QS_PORT PKT_INTERFACE=lo PKT_DURATION=3 \
		timeout 300 "$WORK/tree/quickstart.sh" </dev/null >"$WORK/qs-out.txt" 2>&1
	rc=$?
	check_eq "./quickstart.sh (capturing lo 3 s) exits 0" "$rc" 0
	[ "$rc" -eq 0 ] || tail -15 "$WORK/qs-out.txt" | sed 's/^/    /'
	if [ -f "$QS_DIR/data/postmaster.pid" ]; then
		qsu() { cluster_as_postgres env PGOPTIONS="-c search_path=pg_catalog,pg_temp" "${PSQL[@]}" -h "$QS_SOCK" -p "$QS_PORT" -U postgres -d packetdb "$@"; }
		QX=$(qsu -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pktcapture'")
		echo "# packetdb: owner $(qsu -c "SELECT datdba::regrole FROM pg_database WHERE datname = 'packetdb'"), extension in schema ${QX:-?} (owner $(qsu -c "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = '$QX'"))"
		check_eq "packetuser is not a superuser" "$(qsu -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'packetuser'")" f
		check_eq "packetuser does not own database packetdb" \
			"$(qsu -c "SELECT datdba = 'packetuser'::regrole FROM pg_database WHERE datname = 'packetdb'")" f
		check_eq "packetuser has no CREATE on the extension's schema ($QX)" \
			"$(qsu -c "SELECT has_schema_privilege('packetuser', '$QX', 'CREATE')")" f
		check_eq "packetuser is not a member of the owner of the extension's schema" \
			"$(qsu -c "SELECT pg_has_role('packetuser', nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = '$QX'")" f
		ATT=(env PGPASSWORD=packetpass "${PSQL[@]}" -h localhost -p "$QS_PORT" -U packetuser -d packetdb)
		SAFE=(qsu)
		DFLT=(cluster_as_postgres "${PSQL[@]}" -h "$QS_SOCK" -p "$QS_PORT" -U postgres -d packetdb)
		e=$(err_of "${ATT[@]}" -c "BEGIN" -c "INSERT INTO $QX.packets (src_ip, dst_ip, packet_size, capture_time, ip_version, ip_proto, captured_size)
			VALUES ('1.2.3.4', '5.6.7.8', 60, now(), 4, 17, 60)" -c "ROLLBACK")
		if [[ $e == 42501:* ]]; then
			ok "packetuser's INSERT into packets is refused ($e)"
		else
			not_ok "packetuser's INSERT into packets: want permission denied (42501), got: ${e:-no error (rolled back)}"
		fi
		# the planted built-ins of section 2, as far as packetuser can plant them
		A=packetuser S=public X=$QX LOG=$QS_DIR/server.log NSENT=20
		plant packetuser public
		prc=$?
		if [ "$prc" = 1 ]; then
			ok "packetuser cannot plant built-ins in public: $PLANT_ERR"
		elif [ "$prc" = 2 ]; then
			not_ok "planting the built-ins as packetuser failed: $PLANT_ERR"
		else
			echo "# packetuser planted its built-ins in public"
			# what packetuser may set itself: its own settings, the database's if it owns it
			"${ATT[@]}" -c "ALTER ROLE packetuser SET search_path = public, pg_catalog" >/dev/null 2>&1 ||
				echo "# packetuser may not ALTER ROLE packetuser SET search_path"
			"${ATT[@]}" -c "ALTER DATABASE packetdb SET search_path = public, pg_catalog" >/dev/null 2>&1 &&
				echo "# packetuser set packetdb's search_path (it owns the database)" ||
				echo "# packetuser may not ALTER DATABASE packetdb SET search_path"
			probe quickstart
			hijack_round quickstart
		fi
		# the server's capabilities
		qpm=$(head -1 "$QS_DIR/data/postmaster.pid")
		capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$qpm/status")
		capamb=$(sed -n 's/^CapAmb:[[:space:]]*//p' "/proc/$qpm/status")
		check_eq "the quick start's server (postmaster $qpm) has CAP_NET_RAW (bit 13) and not CAP_NET_ADMIN (bit 12): CapEff $capeff, CapAmb $capamb" \
			"raw=$(((0x$capeff >> 13) & 1))$(((0x$capamb >> 13) & 1)) admin=$(((0x$capeff >> 12) & 1))$(((0x$capamb >> 12) & 1))" \
			"raw=11 admin=00"
	else
		not_ok "the quick start's server is not running: its roles were not checked"
	fi
fi

# ---------------------------------------------------------------------------
if section renamed "8. a schema's name never becomes SQL: the hub's look at server start"; then
	# The worker that looks for hubs at server start (as the bootstrap
	# superuser) once put the schema's name, quoted twice, inside a string
	# literal.  A superuser here renames the extension's schema to a name that
	# closes the literal and calls a function; the database looks like a hub
	# (a row in pkt_hub_sensors), so the look goes on past its first question.
	must "database renamed" su_ postgres -c "CREATE DATABASE renamed"
	if su_ renamed >"$WORK/renamed.out" 2>&1 <<-'EOF'
		CREATE SCHEMA pkt8;
		CREATE EXTENSION pktcapture SCHEMA pkt8;
		CREATE TABLE public.marker8 (who text, at timestamptz DEFAULT clock_timestamp());
		CREATE FUNCTION public.evil8() RETURNS text LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO public.marker8 (who) VALUES (current_user); RETURN ''; END $$;
		INSERT INTO pkt8.pkt_hub_sensors (sensor, subscription, slot, system_identifier)
		VALUES ('ghost', 'pktcapture:ghost', 'none', 1);
		ALTER SCHEMA pkt8 RENAME TO "x'||public.evil8()||'";
	EOF
	then
		echo "# database renamed: pktcapture's schema renamed to x'||public.evil8()||'"
		off8=$(wc -c <"$LOG_MAIN")
		if cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$LOG_MAIN" -m fast -w -t 60 restart >/dev/null; then
			echo "# the server restarted"
			# the look has reached the database once its log names it (the old
			# schema's name, which the functions still carry: their errors)
			# or a hub worker runs there
			looked=0
			until_t 30 su_ postgres -c "SELECT count(*) > 0 FROM pg_stat_activity
				WHERE backend_type = 'pktcapture hub' AND datname = 'renamed'" && looked=1
			[ "$looked" = 1 ] || { tail -c +"$((off8 + 1))" "$LOG_MAIN" | grep -q 'pkt8' && looked=1; }
			check "the look at server start reached database renamed (a hub worker there, or its errors in the log)" [ "$looked" = 1 ]
			check_eq "the schema's name never ran as SQL (rows evil8() wrote)" \
				"$(su_ renamed -c "SELECT count(*) FROM public.marker8")" 0
			echo "# server log since the restart, pktcapture's lines: $(tail -c +"$((off8 + 1))" "$LOG_MAIN" | grep -i 'pktcapture\|pkt8\|evil8' | head -5 | oneline 600)"
		else
			not_ok "the server restarted: $(tail -5 "$LOG_MAIN" | oneline)"
		fi
	else
		not_ok "could not set up database renamed: $(oneline <"$WORK/renamed.out")"
	fi
	su_ postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'renamed'" >/dev/null
	until_t 10 su_ postgres -c "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'renamed'" >/dev/null
	su_ postgres -c "DROP DATABASE renamed" >/dev/null 2>&1 || echo "# database renamed could not be dropped"
fi

# ---------------------------------------------------------------------------
heading "end"
[ "$(ext_id)" = "$EXT_ID" ] ||
	echo "# NOTE: the installed extension changed during the run (md5 $EXT_ID, now $(ext_id)): what ran mixes two builds"
finish
