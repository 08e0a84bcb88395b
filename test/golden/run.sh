#!/bin/bash
# test/golden/run.sh: pkt_load every corpus file and our own captures
# (synthetic/) into a throwaway server and compare every stored column of
# the rows with tshark's answers (expected/, differences.tsv).
# Also checks that no input took the server down: same postmaster PID at
# the end, no process terminated by a signal in the log.
# Run as root (from test/run.sh golden).
set -u
here=$(cd "$(dirname "$0")" && pwd)
corpus=${PKT_CORPUS:-$(cd "$here/../../../shared/pcaps/tcpdump" && pwd)}
files=("$corpus"/* "$here"/synthetic/*.pcap)
. "$here/../lib/cluster.sh"

work=$(mktemp -d /tmp/pktcapture-golden.XXXXXX)
chmod 755 "$work"
trap 'cluster_stop; rm -rf "$work"' EXIT

cluster_start "$work/pg" "shared_preload_libraries = 'pktcapture'" || exit 1
cluster_psql -c 'CREATE EXTENSION pktcapture' || exit 1
pm_pid=$(cluster_postmaster_pid)

# One pkt_load per file, each in its own statement: a file libpcap cannot
# open is an ERROR for that file only (tshark has no rows for those either).
{
	for f in "${files[@]}"; do
		printf "SELECT pkt_load('%s');\n" "${f//\'/\'\'}"
	done
} >"$work/load.sql"
psql -X -q -U postgres -d postgres -f "$work/load.sql" >"$work/load.out" 2>"$work/load.err"
echo "loaded: $(grep -c '^ *[0-9]' "$work/load.out") files gave rows counts; $(grep -c ERROR "$work/load.err") could not be opened"

# Rows per file, in file order, as compare.py reads them: the frames the
# load read, then every stored column of its rows (NULL as \N).
mkdir -p "$work/actual"
for f in "${files[@]}"; do : >"$work/actual/$(basename "$f").tsv"; done
cluster_psql -At -F $'\t' -c "SELECT source, frames FROM pkt_runs WHERE kind = 'file'" |
	awk -F'\t' -v dir="$work/actual" '{
		n = split($1, parts, "/"); out = dir "/" parts[n] ".tsv"
		print "#frames\t" $2 > out; close(out)
	}'
cluster_psql -At -F $'\t' -P 'null=\N' -c "
	SELECT r.source, p.ip_version, host(p.src_ip), host(p.dst_ip), p.ip_proto,
	       p.protocol, p.src_port, p.dst_port, p.tcp_flags, p.vlan_id,
	       p.packet_size, p.captured_size,
	       to_char(extract(epoch FROM p.capture_time), 'FM99999999990.000000')
	FROM packets p JOIN pkt_runs r USING (run_id)
	ORDER BY p.id" |
	awk -F'\t' -v dir="$work/actual" '{
		n = split($1, parts, "/"); out = dir "/" parts[n] ".tsv"
		line = $2
		for (i = 3; i <= NF; i++) line = line "\t" $i
		print line >> out
	}'

# rows from files are not from an interface; every row belongs to a run
others=$(cluster_psql -At -c "SELECT count(*) FROM packets WHERE interface IS NOT NULL OR run_id IS NULL")
rc=0
python3 "$here/compare.py" --actual "$work/actual" || rc=1
if [ "$others" != "0" ]; then
	echo "FAIL: $others rows from files have an interface or no run_id"
	rc=1
fi

# pkt_report (from the per-minute summaries) agrees exactly with GROUP BY
# over the stored rows of the whole corpus (pkt_stats keeps only the last
# pktcapture.max_captures loads: it is compared in sql/load.sql and the
# live test)
disagree=$(cluster_psql -At -v from=1970-01-01 -v to=infinity -f "$here/../report_check.sql" | wc -l)
if [ "$disagree" = "0" ]; then
	echo "pkt_report agrees with GROUP BY over $(cluster_psql -At -c 'SELECT count(*) FROM packets') rows"
else
	echo "FAIL: pkt_report and GROUP BY disagree on $disagree lines"
	rc=1
fi

# the corpus is hostile input: the server must still be the same
if [ "$(cluster_postmaster_pid)" != "$pm_pid" ] ||
	grep -E "terminated by signal|was terminated|server process .* exited" "$CLUSTER_DIR/server.log"; then
	echo "FAIL: the server restarted while loading the corpus"
	rc=1
else
	echo "server: same postmaster ($pm_pid), no process killed"
fi
exit $rc
