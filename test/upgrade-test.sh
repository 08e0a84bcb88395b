#!/bin/bash
# test/upgrade-test.sh: ALTER EXTENSION pktcapture UPDATE from every released
# version, with data in place, as a package upgrade does it.
#
#   test/upgrade-test.sh      (as root, from anywhere)
#
# For each released version (RELEASES below: the version and the commit of
# this repository that released it):
#   1. a copy of the PostgreSQL installation (binaries, share, headers) is
#      made in a temporary directory, and the release is built from that
#      commit (git archive) and installed into the copy: the "old package";
#   2. a throwaway cluster run by the copy's binaries preloads it, CREATE
#      EXTENSION pktcapture, and every row, ledger line and summary is
#      written by the old code: corpus files by pkt_load, a live capture on
#      lo stopped by pkt_stop, and one killed by kill -9 (its run is left
#      "running" by a process that is gone);
#   3. the same data directory is started by the new package's binaries
#      and library (the package upgrade), and ALTER EXTENSION pktcapture
#      UPDATE runs;
#   4. checked: the version; every row of packets and pkt_runs unchanged
#      (a checksum over all their columns but summarized_id); the ledger
#      exact; pkt_report equal to GROUP BY over the rows (report_check.sql);
#      the killed run caught up and marked interrupted by the next load;
#      that next load, and its report, right; the library refuses to
#      write while the extension is older (before the update);
#   5. the schema the update gave is a fresh install's (schema_of below):
#      the same pg_dump --schema-only, and the same members, initial
#      privileges and configuration tables of the extension.
# The new package is this tree, built and installed into a copy of the
# installation too: what else is installed system-wide meanwhile (another
# clone's build) does not matter.  The fresh install, first: CREATE
# EXTENSION pktcapture in a copy of the new package that holds the full
# script of the new version and no other script of pktcapture's, so that
# it is that script alone that installs it.
# Two probes show that the comparison sees a function's body changed and a
# member missing.
# Prints "ok - ..." / "not ok - ..." and "upgrade: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CHECK_SUITE=upgrade
. test/lib/check.sh
. test/lib/cluster.sh

# version and the commit that released it
RELEASES=(
	"1.0 174ff37"
	"1.1 ff51afa"
	"1.2 f551f0e"
	"1.3 1d59974"
	"1.4 f05f7e5"
	"1.5 2820caa"
	"1.6 dece0fd"
	"1.7 e63a3b8"
)
NEW=$(make -s --no-print-directory print-version)
SYS_BINDIR=$PG_BINDIR
CORPUS=${PKT_CORPUS:-$(cd "$ROOT/../shared/pcaps/tcpdump" && pwd)}
FILES="dns_tcp_8053.pcap RADIUS-RFC4675.pcap NHRP_registration.pcap pim-packet-assortment.pcap
	bigtcp-ipv6-hbh.pcap dhcpv6-domain-list.pcap 802.1D_spanning_tree.pcap"
WORK=$(mktemp -d /tmp/pktcapture-upgrade.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; [ "$failed" -eq 0 ] && rm -rf "$WORK"' EXIT

sql() { cluster_psql -At -c "$1"; }

# every column of packets and pkt_runs but summarized_id, as one checksum
# (the columns a version adds, with their defaults, are checked apart)
CHECKSUM="SELECT md5(string_agg((to_jsonb(p) - 'sensor' - 'frame')::text, ',' ORDER BY p.id)) FROM packets p
	UNION ALL
	SELECT md5(string_agg(concat_ws('|', r.run_id, r.kind, r.source, r.filter, r.started_at,
		r.stopped_at, r.frames, r.packets, r.bytes, r.rows_stored, r.kernel_dropped,
		r.interface_dropped, r.truncated, r.malformed, r.unsupported, r.not_ip, r.not_stored,
		r.error), ',' ORDER BY r.run_id)) FROM pkt_runs r WHERE r.state <> 'running'"

send_udp() {
	python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(i.to_bytes(4, 'big') + b'x' * 60, ('127.0.0.1', int(sys.argv[1])))
" "$1" "$2"
}

# wait until a query returns t, at most 30 s
wait_for() {
	local i
	for i in $(seq 1 300); do
		[ "$(sql "$1")" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# true when version $1 is older than version $2
older() {
	[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# copy_installation DIR: a copy of the PostgreSQL installation (binaries,
# share, headers) in DIR, pktcapture's files in it as installed
copy_installation() {
	local d
	mkdir -p "$1"
	for d in "$(dirname "$SYS_BINDIR")" "$(pg_config --sharedir)" "$(dirname "$(pg_config --includedir-server)")"; do
		(cd / && cp -a --parents "${d#/}" "$1/")
	done
}

# What the catalog says of the extension and a dump of its objects would
# not: its members (type and identity) with their initial privileges (what
# pg_dump compares a member's privileges with), and its configuration
# tables by name with their conditions.  An initial privilege recorded as
# none is the default (acldefault), as pg_dump takes it: a table that a
# role was granted, then revoked by an update script (1.4 took INSERT on
# packets back), has the default written out.  Entries of extconfig whose
# table is gone are left out: PostgreSQL keeps those of tables an update
# script dropped (1.1 dropped two), and pg_dump passes over them.
EXT_FACTS="SELECT 'member ' || o.type || ' ' || o.identity || ' '
	       || coalesce(coalesce(ip.initprivs,
	                   (SELECT acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)
	                    FROM pg_class c WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid),
	                   (SELECT acldefault('f'::\"char\", p.proowner)
	                    FROM pg_proc p WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid))::text, '-')
	FROM pg_depend d CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
	     LEFT JOIN pg_init_privs ip ON ip.classoid = d.classid AND ip.objoid = d.objid AND ip.objsubid = d.objsubid
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pktcapture')
	UNION ALL
	SELECT 'config ' || c.oid::regclass::text || ' ' || quote_literal(x.cond)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(oid, cond) JOIN pg_class c ON c.oid = x.oid
	WHERE e.extname = 'pktcapture'
	UNION ALL
	SELECT 'extension ' || extversion || ' ' || extrelocatable || ' ' || extnamespace::regnamespace::text
	FROM pg_extension WHERE extname = 'pktcapture'
	ORDER BY 1"
# Every member detached from the extension, which stays (pg_dump prints a
# member as the CREATE EXTENSION that makes it, nothing of the member).
EXT_DETACH="DO \$\$
DECLARE
    m record;
BEGIN
    FOR m IN SELECT o.type, o.identity
             FROM pg_depend d CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
             WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pktcapture')
    LOOP
        EXECUTE format('ALTER EXTENSION pktcapture DROP %s %s', m.type, m.identity);
    END LOOP;
END
\$\$"

# schema_of FILE: the schema of pktcapture in the cluster's database as
# FILE.facts (EXT_FACTS) and FILE.dump: pg_dump --schema-only once every
# member is detached (EXT_DETACH; the database is of no use after).  Left
# out of the dump: the partitions of packets and flows, made at run time with their
# times in their names, and pg_dump's \restrict lines (a random key).
schema_of() {
	cluster_psql -At -c "$EXT_FACTS" >"$1.facts" &&
		cluster_psql -c "$EXT_DETACH" >/dev/null &&
		"$PG_BINDIR/pg_dump" -U postgres --schema-only --exclude-table='packets_[0-9]*' \
			--exclude-table='flows_[0-9]*' \
			-f "$1.raw" "${CLUSTER_DB:-postgres}" &&
		sed '/^\\\(un\)\?restrict /d' "$1.raw" >"$1.dump"
}

# schema_same WHAT WANT GOT: ok when the files are the same, else not ok
# and the difference
schema_same() {
	local d
	if d=$(diff -u "$2" "$3"); then
		ok "$1"
	else
		not_ok "$1: $(grep -c '^[-+][^-+]' <<<"$d") lines differ"
		sed 's/^/#   /' <<<"$d" | head -n 100
		echo "#   (all of it: diff -u $2 $3)"
	fi
}

section "the new package: this tree in a copy of the installation"
new=$WORK/new
copy_installation "$new"
rm -f "$new$(pg_config --sharedir)"/extension/pktcapture*
make -s -C "$ROOT" PG_CONFIG="$new$SYS_BINDIR/pg_config" install >"$WORK/build-new.log" 2>&1 ||
	fatal "this tree builds and installs into a copy of the installation (see $WORK/build-new.log)"
chmod -R a+rX "$new"
NEW_BINDIR=$new$SYS_BINDIR

section "a fresh install of $NEW, from its full script alone"
# CREATE EXTENSION runs the full script of the version it installs when
# there is one, and goes through an older version's script and the update
# scripts only when there is none (the PostgreSQL manual, "Installing
# Extensions Using Update Scripts"; CreateExtensionInternal in
# src/backend/commands/extension.c).  Here the copy holds no other script.
fresh=$WORK/fresh
cp -a "$new" "$fresh"
ext=$fresh$(pg_config --sharedir)/extension
[ -f "$ext/pktcapture--$NEW.sql" ] ||
	fatal "pktcapture--$NEW.sql, the full install script of $NEW, is in the new package"
find "$ext" -name 'pktcapture--*.sql' ! -name "pktcapture--$NEW.sql" -delete
chmod -R a+rX "$fresh"
PG_BINDIR=$fresh$SYS_BINDIR
cluster_start "$WORK/pg-fresh" "shared_preload_libraries = 'pktcapture'" ||
	fatal "a cluster of the installation with the full script alone starts"
if out=$(sql "CREATE EXTENSION pktcapture" 2>&1); then
	ok "CREATE EXTENSION pktcapture with pktcapture--$NEW.sql the only script of pktcapture's"
else
	not_ok "CREATE EXTENSION pktcapture with pktcapture--$NEW.sql alone: $out"
fi
check_eq "the fresh install is at $NEW" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")" "$NEW"
schema_of "$WORK/schema-fresh" || not_ok "the schema of the fresh install is read (pg_dump)"
# the comparison sees what it is for: a function's body changed, a member
# missing from the extension
sql "CREATE DATABASE probe" >/dev/null
CLUSTER_DB=probe cluster_psql -c "CREATE EXTENSION pktcapture" \
	-c "CREATE OR REPLACE FUNCTION pkt_sensor() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
		AS \$\$SELECT 'a probe of the comparison'\$\$" \
	-c "ALTER EXTENSION pktcapture DROP FUNCTION pkt_hub_origin()" >/dev/null
CLUSTER_DB=probe schema_of "$WORK/schema-probe"
case $(diff "$WORK/schema-fresh.dump" "$WORK/schema-probe.dump") in
*"a probe of the comparison"*) ok "the comparison of dumps sees a function's body changed" ;;
*) not_ok "the comparison of dumps sees a function's body changed" ;;
esac
case $(diff "$WORK/schema-fresh.facts" "$WORK/schema-probe.facts") in
*"< member function "*".pkt_hub_origin() "*) ok "the comparison of the extension's facts sees a member missing" ;;
*) not_ok "the comparison of the extension's facts sees a member missing" ;;
esac
cluster_stop

for rel in "${RELEASES[@]}"; do
	read -r V COMMIT <<<"$rel"
	section "from $V (commit $COMMIT) to $NEW"
	if ! git -C "$ROOT" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
		not_ok "commit $COMMIT of release $V is in this repository's history"
		continue
	fi
	# the old package: a copy of the installation, with the release in it
	old=$WORK/old-$V
	copy_installation "$old"
	oldbin=$old$SYS_BINDIR
	rm -f "$old$(pg_config --sharedir)"/extension/pktcapture*
	src=$WORK/src-$V
	mkdir -p "$src"
	git -C "$ROOT" archive "$COMMIT" | tar -x -C "$src"
	if ! make -s -C "$src" PG_CONFIG="$oldbin/pg_config" install >"$WORK/build-$V.log" 2>&1; then
		not_ok "the library of $V builds and installs into a copy of the installation"
		continue
	fi
	ok "the library of $V builds from commit $COMMIT, installed into a copy of the installation"
	chmod -R a+rX "$old"

	PG_BINDIR=$oldbin
	cluster_start "$WORK/pg-$V" "shared_preload_libraries = 'pktcapture'" \
		"pktcapture.flush_interval = '100ms'" "restart_after_crash = on" || {
		not_ok "a cluster of the old package starts"
		continue
	}
	sql "CREATE EXTENSION pktcapture" >/dev/null
	check_eq "extension created at $V" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")" "$V"

	# a capture's role as a version before 1.4 had it: INSERT on packets
	older "$V" 1.4 &&
		sql "CREATE ROLE pkt_old_capturer; GRANT INSERT, DELETE ON packets TO pkt_old_capturer" >/dev/null
	# rows written by the old code
	for f in $FILES; do
		sql "SELECT pkt_load('$CORPUS/$f')" >/dev/null || not_ok "$V loads $f"
	done
	port=$((20000 + RANDOM % 20000))
	sql "SELECT pkt_start('lo', 'udp and dst port $port')" >/dev/null
	send_udp "$port" 300
	wait_for "SELECT count(*) = 300 FROM packets WHERE interface = 'lo'" ||
		not_ok "$V's live capture stores 300 rows"
	sql "SELECT pkt_stop('lo')" >/dev/null
	# a capture whose process dies: its run stays "running"
	sql "SELECT pkt_start('lo', 'udp and dst port $port')" >/dev/null
	send_udp "$port" 200
	wait_for "SELECT count(*) = 500 FROM packets WHERE interface = 'lo'" ||
		not_ok "$V's second capture stores 200 rows"
	pid=$(sql "SELECT pid FROM pkt_status() WHERE interface = 'lo' AND state = 'running'")
	kill -9 "$pid"
	# the crash restart: a new postmaster child set, the slot gone
	wait_for "SELECT count(*) = 0 FROM pkt_status() WHERE pid = $pid" ||
		not_ok "the server restarted after kill -9"
	before_sum=$(sql "$CHECKSUM")
	before_rows=$(sql "SELECT count(*) FROM packets")
	before_runs=$(sql "SELECT count(*) FROM pkt_runs")
	check_eq "a run left running by a dead process" \
		"$(sql "SELECT count(*) FROM pkt_runs WHERE state = 'running'")" 1
	cluster_stop

	# the package upgrade: the installation's binaries and the new library
	PG_BINDIR=$NEW_BINDIR
	cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-w -t 60 start >/dev/null || { not_ok "the server starts with the new library"; continue; }
	out=$(cluster_psql -At -c "SELECT pkt_load('$CORPUS/dns_tcp_8053.pcap')" 2>&1)
	case $out in
	*"extension pktcapture is at version $V, but its library is version $NEW"*"ALTER EXTENSION pktcapture UPDATE"*)
		ok "before the update, the new library refuses to write, naming the fix" ;;
	*) not_ok "before the update, the new library refuses to write: got '$out'" ;;
	esac
	if sql "ALTER EXTENSION pktcapture UPDATE" >/dev/null; then
		ok "ALTER EXTENSION pktcapture UPDATE from $V"
	else
		not_ok "ALTER EXTENSION pktcapture UPDATE from $V"
	fi
	check_eq "extension at $NEW" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")" "$NEW"
	check_eq "every row of packets and of the ledger unchanged" "$(sql "$CHECKSUM")" "$before_sum"
	check_eq "rows in packets" "$(sql "SELECT count(*) FROM packets")" "$before_rows"
	check_eq "runs in the ledger" "$(sql "SELECT count(*) FROM pkt_runs")" "$before_runs"
	check_eq "the ledger counts exactly each run's rows" "$(sql "SELECT count(*) FROM pkt_runs r
		WHERE r.rows_stored <> (SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)")" 0
	if [ "$V" = 1.0 ] || [ "$V" = 1.1 ]; then
		check_eq "packets is partitioned, the rows in place in one partition of their own" \
			"$(sql "SELECT c.relkind::text || ' ' || (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid)
				FROM pg_class c WHERE c.oid = 'packets'::regclass")" "p 1"
	fi
	check_eq "pkt_partition_rows counts each run's rows in place" "$(sql "SELECT count(*) FROM pkt_runs r
		WHERE r.rows_stored <> coalesce((SELECT sum(c.rows) FROM pkt_partition_rows c
		                                 WHERE c.run_id = r.run_id), 0)")" 0
	check_eq "every run is this server's, under its pktcapture.sensor (1.3)" \
		"$(sql "SELECT count(*) FILTER (WHERE sensor = current_setting('pktcapture.sensor')) || ' of ' || count(*) FROM pkt_runs")" \
		"$before_runs of $before_runs"
	check_eq "each partition has its primary key (id, capture_time) and BRIN index, packets none (1.3)" \
		"$(sql "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = i.inhrelid
				AND x.indisprimary AND pg_get_indexdef(x.indexrelid) LIKE '%(id, capture_time)'))
			|| ' ' || count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
				JOIN pg_am a ON a.oid = c.relam WHERE x.indrelid = i.inhrelid AND a.amname = 'brin'))
			|| ' ' || (SELECT count(*) FROM pg_index WHERE indrelid = 'packets'::regclass)
			FROM pg_inherits i WHERE i.inhparent = 'packets'::regclass")" "0 0 0"
	check_eq "every row is this server's own (sensor '')" \
		"$(sql "SELECT count(*) FROM packets WHERE sensor <> ''")" 0
	diffs=$(cluster_psql -At -v from=-infinity -v to=infinity -f test/report_check.sql | wc -l)
	check_eq "pkt_report equals GROUP BY over the rows in place (lines that differ)" "$diffs" 0
	check_eq "every line of the report is exact" \
		"$(sql "SELECT count(*) FROM pkt_report_between('-infinity', 'infinity', 1000) WHERE NOT exact")" 0
	# the next load catches the dead run up and marks it interrupted
	check_eq "a load after the update" "$(sql "SELECT pkt_load('$CORPUS/dns_tcp_8053.pcap')")" 11
	check_eq "its conversation in flows, with its 11 packets (tshark)" \
		"$(sql "SELECT count(*) || ' ' || sum(packets + reverse_packets) FROM flows
			WHERE run_id = (SELECT max(run_id) FROM pkt_runs)")" "1 11"
	check_eq "the dead run is marked interrupted" \
		"$(sql "SELECT count(*) FROM pkt_runs WHERE state = 'interrupted'")" 1
	check_eq "every ended run is wholly in the summaries" \
		"$(sql "SELECT count(*) FROM pkt_runs WHERE state <> 'running' AND summarized_id IS NOT NULL")" 0
	diffs=$(cluster_psql -At -v from=-infinity -v to=infinity -f test/report_check.sql | wc -l)
	check_eq "pkt_report equals GROUP BY after the next load" "$diffs" 0
	check_eq "the writer's functions are pktcapture's own (it writes with its rights, 1.4)" \
		"$(sql "SELECT count(*) FILTER (WHERE has_function_privilege('public', oid, 'EXECUTE')) || ' of ' || count(*)
			FROM pg_proc WHERE proname LIKE 'pkt\_batch\_%'")" "0 of 11"
	older "$V" 1.4 &&
		check_eq "a role the old version let write packets may not any more (1.4)" \
			"$(sql "SELECT has_table_privilege('pkt_old_capturer', 'packets', 'INSERT')
				OR has_table_privilege('pkt_old_capturer', 'packets', 'DELETE')")" f
	check_eq "every SQL function resolves names in pg_catalog only, or is wholly qualified (1.4)" \
		"$(sql "SELECT string_agg(p.proname, ' ' ORDER BY p.proname) FROM pg_proc p
			JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
			JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pktcapture'
			JOIN pg_language l ON l.oid = p.prolang AND l.lanname IN ('sql', 'plpgsql')
			WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
			  AND p.proname NOT IN ('pkt_bucket_floor', 'pkt_bucket_ceil', 'pkt_partition_name',
			                        'pkt_flow_partition_name', 'pkt_sensor', 'pkt_row_sensor', 'pkt_maintain',
			                        'pkt_flow_packets')")" ""
	if [ "$V" = 1.0 ] || [ "$V" = 1.1 ]; then
		# the partition of the rows in place goes as any other: the ledger follows
		part=$(sql "SELECT relname FROM pkt_partitions WHERE range_start = '-infinity'")
		sql "SELECT pkt_partition_drop('$part', 'by hand')" >/dev/null
		check_eq "dropping the partition of the rows in place: each run's rows_removed is its rows there" \
			"$(sql "SELECT count(*) FROM pkt_runs r WHERE r.rows_stored - r.rows_removed <>
				(SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)")" 0
		check_eq "... which held every row (the load after the update too: its time is older)" \
			"$(sql "SELECT count(*) FROM packets")" 0
		check_eq "a load of that file again" "$(sql "SELECT pkt_load('$CORPUS/dns_tcp_8053.pcap')")" 11
		check_eq "... makes the partition of its hour" \
			"$(sql "SELECT string_agg(relname, ' ') FROM pkt_partitions WHERE dropped_at IS NULL")" \
			packets_20200302_1500
	else
		# partitions made by the old version go as the new ones do
		part=$(sql "SELECT relname FROM pkt_partitions WHERE dropped_at IS NULL ORDER BY range_start LIMIT 1")
		n=$(sql "SELECT count(*) FROM packets p WHERE p.tableoid = '$part'::regclass")
		check_eq "a partition of $V dropped after the update ($part): the rows it held" \
			"$(sql "SELECT pkt_partition_drop('$part', 'by hand')")" "$n"
		check_eq "... each run's rows_removed is its rows there" \
			"$(sql "SELECT count(*) FROM pkt_runs r WHERE r.rows_stored - r.rows_removed <>
				(SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)")" 0
	fi
	check_eq "the summaries of 1.0 are gone" \
		"$(sql "SELECT count(*) FROM pg_class WHERE relname = 'pkt_summary_addr'")" 0
	# last, as it takes the members out of the extension
	if schema_of "$WORK/schema-$V"; then
		schema_same "the extension's members, their initial privileges and its configuration tables after the update from $V are a fresh install's" \
			"$WORK/schema-fresh.facts" "$WORK/schema-$V.facts"
		schema_same "pg_dump --schema-only after the update from $V is a fresh install's (members detached, partitions left out)" \
			"$WORK/schema-fresh.dump" "$WORK/schema-$V.dump"
	else
		not_ok "the schema of the database updated from $V is read (pg_dump)"
	fi
	cluster_stop
done

work_done 0 "clusters and builds of each release"
finish
