#!/bin/bash
# test/export-test.sh: the frames kept (packets.frame, pktcapture 1.7) and
# their export as pcapng, against tcpdump and tshark.
#
#   test/export-test.sh      (as root; about 2 minutes)
#   ONLY=filter test/export-test.sh     one section (--sections lists them)
#
# The extension must be built and installed (make install).  Expected
# frames come from the capture files themselves: tshark -Y 'ip || ipv6'
# writes the IP frames of a file (each becomes a row), tcpdump -r applies
# a BPF filter to them, tshark -Y frame.time_epoch cuts a window,
# reordercap sorts them by time; an export equals them when tcpdump -tt
# -nn -xx (timestamps, decoding and every byte) and tshark (frame.len,
# frame.cap_len, the time to the microsecond) read both alike.  Never from
# pktcapture.  A throwaway cluster, a database per section.
#
#   1. load: corpus files (Ethernet, VLAN, GRE, IPv6 jumbograms, a pcapng
#      file over 14 days) loaded with pktcapture.frame_snaplen = 262144:
#      every row has its frame, none counted in frames_not_kept; each
#      run's export (pkt_export_rows, in id order) equals the file's IP
#      frames; pkt_export of everything equals them all sorted by time,
#      with one interface block per file (capinfos: its link type and the
#      snap length kept); frame_snaplen = 64 keeps 64 bytes, the length
#      on the wire intact; 0 keeps none.
#   2. window: the 14-day file, a window crossing many partitions equals
#      tshark's frames of that window; a dropped partition's frames are
#      gone from the export, the others still there.
#   3. filter: gen.py's mix (TCP, UDP, IPv6, VLANs, fragments) through
#      BPF filters (tcp, udp port, ip6, vlan, SYN flags, host, net):
#      each export equals tcpdump -r with the same filter.
#   4. rows: a conversation chosen from flows (pkt_flow_packets) equals
#      tcpdump's frames of its addresses and ports.
#   5. client: client/pkt-export as a role pkt_grant_read() made: the
#      same bytes as pkt_export's file; --query; a role without the grant
#      is refused; pkt_export to a file needs pg_write_server_files.
#   6. hostile: bad and over-long filters, relative paths, a directory, a
#      FIFO, a symbolic link, an unwritable directory, a query that is no
#      SELECT or modifies data or lacks packets' columns: each a clear
#      error, no file left behind, the server up, packets unchanged.
#   7. memory: pktcapture.frame_memory at its least (1 MB) and frames of
#      up to 64 kB: every frame kept, the export equal to the file.
#   8. live: a capture on a veth pair with frame_snaplen 2048 while
#      tcpreplay sends gen.py's traffic: every row has its frame, and the
#      exported frames are the file's, byte for byte, in order; again with
#      packets locked for 4 s and 1 MB of frame memory: every row stored,
#      those whose frame found no room counted in frames_not_kept.
#   9. hub: two sensors (test/lib/nodes.sh) load files with frames kept;
#      at the hub, pkt_export(sensor => ...) of each equals the sensor's
#      own export frame for frame, its interface blocks named after it.
# Prints "ok - ..." / "not ok - ..." and "export: N passed, M failed".
# EXPORT_KEEP=1 (or KEEP_WORK=1) keeps the work directory even when all pass.
set -u
. "$(dirname "$0")/lib/suite.sh"
sections load window filter rows:filter client:rows hostile:filter memory live hub
suite_init export EXPORT_ "$@"
. "$here/lib/netns.sh"
. "$here/lib/nodes.sh"

FILES=${EXPORT_CORPUS_FILES:-"of13_ericsson.pcapng mptcp-v0.pcap various_gre.pcap bigtcp-ipv6-hbh.pcap dns_tcp_8053.pcap vrrp.pcap dhcpv4v6-rfc5970-rfc8572.pcap"}
LONG=of13_ericsson.pcapng
GEN=$here/flows/gen.py
MAC=02:70:6b:74:65:01
WORK_NOTE="capture files, exports (*.pcapng), their readings (*.txt), server logs"

for cmd in tshark tcpdump reordercap capinfos tcpreplay ip psql setpriv perl; do
	command -v "$cmd" >/dev/null || fatal "$cmd not found"
done

# ip_frames IN OUT: the IP frames of a capture file (each a row), as pcapng
ip_frames() {
	tshark -r "$1" -Y 'ip || ipv6' -w "$2" -F pcapng 2>/dev/null && [ -s "$2" ]
}
# reading HOW FILE: how tcpdump (or, for pcapng files whose interfaces
# differ in snap length, which libpcap does not read, tshark -x) and
# tshark read each frame: time, decoding, bytes; length on the wire and
# captured, time to the microsecond
reading() {
	if [ "$1" = tcpdump ]; then
		tcpdump -r "$2" -tt -nn -xx 2>/dev/null
	else
		tshark -r "$2" -x 2>/dev/null
	fi
	tshark -r "$2" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null |
		awk '{ sub(/[0-9][0-9][0-9]$/, "", $1); print }'
}
libpcap_reads() {	# libpcap_reads FILE
	tcpdump -r "$1" -w /dev/null 2>/dev/null
}
# linktype FILE: its DLT_ value, from the name tcpdump gives it
linktype() {
	case $(tcpdump -r "$1" -c 1 2>&1 >/dev/null | grep -o 'link-type [A-Z0-9_]*') in
	"link-type EN10MB") echo 1 ;;
	"link-type LINUX_SLL") echo 113 ;;
	"link-type LINUX_SLL2") echo 276 ;;
	"link-type RAW") echo 12 ;;
	*) echo "?" ;;
	esac
}
frames_in() {	# frames_in FILE: its frames, as capinfos counts them
	capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ { print $NF }'
}
# same_frames WHAT GOT WANT: the export GOT reads as WANT does
same_frames() {
	local how=tcpdump
	libpcap_reads "$2" && libpcap_reads "$3" || how=tshark
	reading $how "$2" >"$2.txt"
	reading $how "$3" >"$3.txt"
	if cmp -s "$2.txt" "$3.txt"; then
		ok "$1 ($(frames_in "$2") frames, byte for byte)"
	else
		not_ok "$1: $(frames_in "$2") frames, want $(frames_in "$3"); first difference: $(diff "$2.txt" "$3.txt" | head -3 | tr '\n' ' ')"
	fi
}
# db NAME: a database of its own with the extension, for the next sql calls
db() {
	CLUSTER_DB=postgres sql "CREATE DATABASE $1" &&
		CLUSTER_DB=$1 sql "CREATE EXTENSION pktcapture" && CLUSTER_DB=$1
}
# load FILE SNAPLEN: pkt_load with pktcapture.frame_snaplen; RUN, LOADED
load() {
	local out
	out=$(cluster_psql -At -c "SET pktcapture.frame_snaplen = $2" -c "SELECT pkt_load('$1')") || return 1
	LOADED=$(tail -1 <<<"$out")
	RUN=$(sql "SELECT max(run_id) FROM pkt_runs")
}
corpus_copy() {	# corpus_copy NAME: the corpus file, readable by the server
	cp "$CORPUS/$1" "$WORK/$1" && chmod 644 "$WORK/$1"
}
# export_rows OUT QUERY [FILTER]: pkt_export_rows; N the frames it wrote
export_rows() {
	N=$(sql "SELECT pkt_export_rows('$1', \$q\$$2\$q\$${3:+, '$3'})")
}
gen() {	# gen NAME MODE ARGS...: gen.py's NAME.pcap in $WORK
	local name=$1
	shift
	"$PY" "$GEN" "$@" --out "$WORK/$name.pcap" --truth "$WORK/$name.truth.tsv" \
		--json "$WORK/$name.json" >/dev/null && chmod 644 "$WORK/$name.pcap"
}

# ---------------------------------------------------------------------------
heading "cluster"
must "a cluster" cluster_start "$WORK/pg" "shared_preload_libraries = 'pktcapture'" \
	"timezone = 'UTC'" "pktcapture.sensor = 'exp'"
PM=$(cluster_postmaster_pid)
must "CREATE EXTENSION pktcapture" sql "CREATE EXTENSION pktcapture"
echo "# pktcapture $(sql "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'"); frame_snaplen $(sql "SHOW pktcapture.frame_snaplen") ($(sql "SELECT context FROM pg_settings WHERE name = 'pktcapture.frame_snaplen'")), frame_memory $(sql "SHOW pktcapture.frame_memory")"
chmod 777 "$WORK"

# ---------------------------------------------------------------------------
if section load "1. pkt_load with frames kept, exported whole and by run"; then
	must "a database" db exp_loads
	all=()
	for name in $FILES; do
		corpus_copy "$name" || { not_ok "$name: no such corpus file"; continue; }
		f=$WORK/$name
		step "tshark writes the IP frames of $name" ip_frames "$f" "$WORK/$name.ip.pcapng" || continue
		want=$(frames_in "$WORK/$name.ip.pcapng")
		load "$f" 262144 || { not_ok "pkt_load('$f')"; continue; }
		check_eq "pkt_load of $name (run $RUN): a row per IP frame tshark reads" "$LOADED" "$want"
		check_eq "... every row has its frame; pkt_runs: frame_snaplen, none not kept, the link type" \
			"$(sql "SELECT count(*) FILTER (WHERE frame IS NULL) FROM packets WHERE run_id = $RUN") $(sql "SELECT frame_snaplen || ' ' || frames_not_kept || ' ' || linktype FROM pkt_runs WHERE run_id = $RUN")" \
			"0 262144 0 $(linktype "$f")"
		export_rows "$WORK/$name.run.pcapng" "SELECT * FROM packets WHERE run_id = $RUN ORDER BY id"
		check_eq "pkt_export_rows of run $RUN: every frame" "$N" "$want"
		same_frames "... equal to $name's IP frames" "$WORK/$name.run.pcapng" "$WORK/$name.ip.pcapng"
		all+=("$WORK/$name.ip.pcapng")
	done
	# everything, in time order: the files' IP frames merged by time
	must "reordercap: every file's IP frames, by time" sh -c "mergecap -a -w '$WORK/all.unsorted.pcapng' ${all[*]} && reordercap '$WORK/all.unsorted.pcapng' '$WORK/all.pcapng' >/dev/null"
	N=$(sql "SELECT pkt_export('$WORK/all.export.pcapng', '-infinity', 'infinity')")
	check_eq "pkt_export of everything: every frame" "$N" "$(frames_in "$WORK/all.pcapng")"
	same_frames "... in time order, equal to the files' frames sorted by time" "$WORK/all.export.pcapng" "$WORK/all.pcapng"
	check_eq "... owned by the server, readable by all (as COPY TO makes its files)" \
		"$(stat -c '%U %a' "$WORK/all.export.pcapng")" "postgres 644"
	check_eq "... one interface block per file loaded" \
		"$(capinfos -M "$WORK/all.export.pcapng" | sed -n 's/^Number of interfaces in file: *//p')" "$(wc -w <<<"$FILES")"
	check_eq "... each with the snap length kept" \
		"$(capinfos -M "$WORK/all.export.pcapng" | grep -c 'Capture length = 262144')" "$(wc -w <<<"$FILES")"
	check "... each named after its file" \
		sh -c "capinfos -M '$WORK/all.export.pcapng' | grep -q 'Name = $WORK/$LONG'"
	# a snap length of 64: the first 64 bytes, the length on the wire intact
	name=mptcp-v0.pcap
	load "$WORK/$name" 64
	export_rows "$WORK/snap64.pcapng" "SELECT * FROM packets WHERE run_id = $RUN ORDER BY id"
	must "editcap -s 64 of $name's IP frames" editcap -s 64 "$WORK/$name.ip.pcapng" "$WORK/snap64.want.pcapng"
	same_frames "frame_snaplen = 64: each frame's first 64 bytes, its length on the wire intact" \
		"$WORK/snap64.pcapng" "$WORK/snap64.want.pcapng"
	check "... its interface block says 64" sh -c "capinfos -M '$WORK/snap64.pcapng' | grep -q 'Capture length = 64$'"
	load "$WORK/$name" 0
	check_eq "frame_snaplen = 0: no frame kept; pkt_export_rows writes none" \
		"$(sql "SELECT count(frame) FROM packets WHERE run_id = $RUN") $(sql "SELECT pkt_export_rows('$WORK/none.pcapng', 'SELECT * FROM packets WHERE run_id = $RUN')")" "0 0"
	check_eq "... and the file is an empty pcapng (no interface, no frame)" \
		"$(capinfos -c -M "$WORK/none.pcapng" 2>/dev/null | awk '/Number of packets/ { print $NF }')" 0
	check_eq "pktcapture.frame_snaplen is a superuser's setting (refused to another role)" \
		"$(sql "CREATE ROLE exp_plain LOGIN" && psql -X -q -At -U exp_plain -d "$CLUSTER_DB" -c "SET pktcapture.frame_snaplen = 100" 2>&1 | grep -c 'permission denied')" 1
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section window "2. a window over partitions; a dropped partition's frames"; then
	must "a database" db exp_window
	corpus_copy "$LONG"
	must "tshark writes the IP frames of $LONG, sorted by time" sh -c \
		"tshark -r '$WORK/$LONG' -Y 'ip || ipv6' -w '$WORK/long.u.pcapng' -F pcapng 2>/dev/null && reordercap '$WORK/long.u.pcapng' '$WORK/long.pcapng' >/dev/null"
	must "pkt_load of $LONG" load "$WORK/$LONG" 262144
	# the times of the frames at a quarter and three quarters of the file
	mapfile -t T < <(tshark -r "$WORK/long.pcapng" -T fields -e frame.time_epoch 2>/dev/null)
	n=${#T[@]}
	t1=${T[$((n / 4))]}
	t2=${T[$((3 * n / 4))]}
	parts=$(sql "SELECT count(DISTINCT tableoid) FROM packets WHERE capture_time >= to_timestamp($t1) AND capture_time < to_timestamp($t2)")
	N=$(sql "SELECT pkt_export('$WORK/window.pcapng', to_timestamp($t1), to_timestamp($t2))")
	must "tshark: the frames of [$t1, $t2)" sh -c \
		"tshark -r '$WORK/long.pcapng' -Y 'frame.time_epoch >= $t1 && frame.time_epoch < $t2' -w '$WORK/window.want.pcapng' -F pcapng 2>/dev/null"
	check_eq "the window crosses partitions ($parts)" "$( [ "$parts" -gt 2 ] && echo yes)" yes
	check_eq "pkt_export of the window: its frames" "$N" "$(frames_in "$WORK/window.want.pcapng")"
	same_frames "... equal to tshark's frames of the window" "$WORK/window.pcapng" "$WORK/window.want.pcapng"
	# drop the partition holding the middle frame
	mid=${T[$((n / 2))]}
	read -r part lo hi <<<"$(sql "SELECT relname, extract(epoch FROM range_start), extract(epoch FROM range_end) FROM pkt_partitions
		WHERE range_start <= to_timestamp($mid) AND range_end > to_timestamp($mid) AND dropped_at IS NULL" | tr '|' ' ')"
	must "pkt_partition_drop('$part') (by hand)" sql "SELECT pkt_partition_drop('$part', 'by hand')"
	N=$(sql "SELECT pkt_export('$WORK/dropped.pcapng', '-infinity', 'infinity')")
	must "tshark: every frame but those of [$lo, $hi)" sh -c \
		"tshark -r '$WORK/long.pcapng' -Y 'frame.time_epoch < $lo || frame.time_epoch >= $hi' -w '$WORK/dropped.want.pcapng' -F pcapng 2>/dev/null"
	check "... some frames were in it" test "$(frames_in "$WORK/dropped.want.pcapng")" -lt "$n"
	check_eq "after the drop: pkt_export of everything" "$N" "$(frames_in "$WORK/dropped.want.pcapng")"
	same_frames "... the dropped partition's frames are gone, the others there" "$WORK/dropped.pcapng" "$WORK/dropped.want.pcapng"
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section filter "3. BPF filters, against tcpdump"; then
	must "a database" db exp_filters
	must "traffic: gen.py mix" gen mix mix --seed 5
	must "tshark writes the IP frames of mix.pcap, sorted by time" sh -c \
		"tshark -r '$WORK/mix.pcap' -Y 'ip || ipv6' -w '$WORK/mix.u.pcapng' -F pcapng 2>/dev/null && reordercap '$WORK/mix.u.pcapng' '$WORK/mix.ip.pcapng' >/dev/null"
	must "pkt_load of mix.pcap" load "$WORK/mix.pcap" 262144
	MIXRUN=$RUN
	host=$(tcpdump -r "$WORK/mix.pcap" -nn 'tcp and not vlan' 2>/dev/null | awk 'NR == 3 { split($3, a, "."); print a[1] "." a[2] "." a[3] "." a[4] }')
	i=0
	for f in "tcp" "udp port 53" "ip6" "vlan" "tcp[tcpflags] & tcp-syn != 0" "host $host" \
		"net 10.0.0.0/8 or vlan and net 10.0.0.0/8" "ip[6:2] & 0x3fff != 0" "ether src $MAC or not ip"; do
		i=$((i + 1))
		tcpdump -r "$WORK/mix.ip.pcapng" -w "$WORK/f$i.want.pcap" "$f" 2>/dev/null
		N=$(sql "SELECT pkt_export('$WORK/f$i.pcapng', '-infinity', 'infinity', '$f')")
		check_eq "filter '$f': the frames tcpdump takes" "$N" "$(frames_in "$WORK/f$i.want.pcap")"
		same_frames "... equal to them" "$WORK/f$i.pcapng" "$WORK/f$i.want.pcap"
	done
	check_eq "filter 'vlan' took frames" "$( [ "$(frames_in "$WORK/f4.want.pcap")" -gt 0 ] && echo yes)" yes
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section rows "4. a conversation chosen from flows"; then
	CLUSTER_DB=exp_filters
	# a TCP conversation of one interval, no VLAN, in flows
	read -r src dst sp dp <<<"$(sql "SELECT host(src_ip), host(dst_ip), src_port, dst_port FROM flows
		WHERE run_id = $MIXRUN AND ip_proto = 6 AND NOT folded AND vlan_id IS NULL
		GROUP BY 1, 2, 3, 4 HAVING count(*) = 1 ORDER BY sum(packets + reverse_packets) DESC LIMIT 1" | tr '|' ' ')"
	check "a conversation to export ($src:$sp - $dst:$dp)" test -n "$dp"
	export_rows "$WORK/conv.pcapng" "SELECT p.* FROM flows f, pkt_flow_packets(f) p
		WHERE f.run_id = $MIXRUN AND f.src_ip = '$src' AND f.dst_ip = '$dst' AND f.src_port = $sp AND f.dst_port = $dp
		ORDER BY p.capture_time, p.id"
	tcpdump -r "$WORK/mix.ip.pcapng" -w "$WORK/conv.want.pcap" \
		"tcp and host $src and host $dst and port $sp and port $dp" 2>/dev/null
	check_eq "pkt_export_rows of the conversation: its frames both ways" "$N" "$(frames_in "$WORK/conv.want.pcap")"
	same_frames "... equal to tcpdump's frames of its addresses and ports" "$WORK/conv.pcapng" "$WORK/conv.want.pcap"
	check_eq "... as many as flows counts for it" "$N" \
		"$(sql "SELECT sum(packets + reverse_packets) FROM flows WHERE run_id = $MIXRUN AND src_ip = '$src' AND dst_ip = '$dst' AND src_port = $sp AND dst_port = $dp")"
	export_rows "$WORK/conv-syn.pcapng" "SELECT p.* FROM flows f, pkt_flow_packets(f) p
		WHERE f.run_id = $MIXRUN AND f.src_ip = '$src' AND f.dst_ip = '$dst' AND f.src_port = $sp AND f.dst_port = $dp
		ORDER BY p.capture_time, p.id" "tcp[tcpflags] & tcp-syn != 0"
	tcpdump -r "$WORK/conv.want.pcap" -w "$WORK/conv-syn.want.pcap" "tcp[tcpflags] & tcp-syn != 0" 2>/dev/null
	same_frames "... with a filter too (its SYNs)" "$WORK/conv-syn.pcapng" "$WORK/conv-syn.want.pcap"
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section client "5. client/pkt-export as a reader; who may export"; then
	CLUSTER_DB=exp_filters
	must "a reader (pkt_grant_read) and a role without it" sql "CREATE ROLE exp_reader LOGIN; CREATE ROLE exp_other LOGIN;
		SELECT pkt_grant_read('exp_reader')"
	N=$(sql "SELECT pkt_export('$WORK/server.pcapng', '-infinity', 'infinity', 'udp')")
	rm -f "$WORK/client.pcapng"
	check "client/pkt-export --filter udp as exp_reader" \
		"$ROOT/client/pkt-export" -o "$WORK/client.pcapng" --filter udp -- -U exp_reader -d exp_filters
	check "... writes the very bytes of pkt_export's file" cmp "$WORK/client.pcapng" "$WORK/server.pcapng"
	check "client/pkt-export --query (a conversation) as exp_reader" \
		"$ROOT/client/pkt-export" -o "$WORK/client-conv.pcapng" --query "SELECT p.* FROM flows f, pkt_flow_packets(f) p
		WHERE f.run_id = $MIXRUN AND f.src_ip = '$src' AND f.dst_ip = '$dst' AND f.src_port = $sp AND f.dst_port = $dp
		ORDER BY p.capture_time, p.id" -- -U exp_reader -d exp_filters
	same_frames "... the conversation's frames" "$WORK/client-conv.pcapng" "$WORK/conv.want.pcap"
	check "... to standard output too (-o -)" sh -c "'$ROOT/client/pkt-export' -o - --filter udp -- -U exp_reader -d exp_filters | cmp - '$WORK/server.pcapng'"
	out=$("$ROOT/client/pkt-export" -o "$WORK/other.pcapng" -- -U exp_other -d exp_filters 2>&1)
	check_eq "a role without pkt_grant_read is refused (exit 1, the server's error), no file" \
		"$? $(grep -c 'permission denied' <<<"$out") $(ls "$WORK"/other.pcapng "$WORK"/.pkt-export.* 2>/dev/null | wc -l)" "1 1 0"
	out=$(psql -X -q -At -U exp_reader -d exp_filters -c "SELECT pkt_export('$WORK/r.pcapng', '-infinity', 'infinity')" 2>&1)
	check "pkt_export to a file: refused to a reader without pg_write_server_files" grep -q 'permission denied to export frames to a file' <<<"$out"
	must "GRANT pg_write_server_files TO exp_reader" sql "GRANT pg_write_server_files TO exp_reader"
	check_eq "... allowed with it" \
		"$(psql -X -q -At -U exp_reader -d exp_filters -c "SELECT pkt_export('$WORK/r.pcapng', '-infinity', 'infinity', 'udp')" 2>&1)" "$N"
	check "... the same bytes" cmp "$WORK/r.pcapng" "$WORK/server.pcapng"
	must "a policy: exp_reader sees only UDP rows (row-level security)" sql "ALTER TABLE packets ENABLE ROW LEVEL SECURITY;
		CREATE POLICY udp_only ON packets FOR SELECT TO exp_reader USING (ip_proto = 17)"
	check_eq "the export reads with the caller's rights: exp_reader exports only the rows it may read" \
		"$(psql -X -q -At -U exp_reader -d exp_filters -c "SELECT pkt_export('$WORK/rls.pcapng', '-infinity', 'infinity')" 2>&1)" \
		"$(sql "SELECT count(frame) FROM packets WHERE ip_proto = 17")"
	must "policy removed" sql "DROP POLICY udp_only ON packets; ALTER TABLE packets DISABLE ROW LEVEL SECURITY"
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section hostile "6. hostile filters, paths and queries"; then
	CLUSTER_DB=exp_filters
	before=$(sql "SELECT count(*) || ' ' || count(frame) FROM packets")
	passwd=$(md5sum </etc/passwd)
	# refused WHAT SQL PATTERN: an error matching PATTERN, nothing written
	refused() {
		local out
		out=$(timeout 20 psql -X -q -At -U postgres -d exp_filters -c "$2" 2>&1)
		if [ $? -ne 124 ] && grep -q "$3" <<<"$out"; then
			ok "$1: $(grep -m1 ERROR <<<"$out")"
		else
			not_ok "$1: got '$out'"
		fi
	}
	refused "a filter libpcap cannot parse" \
		"SELECT pkt_export('$WORK/h.pcapng', '-infinity', 'infinity', 'tcp and and')" "invalid BPF filter"
	refused "a filter valid nowhere the frames are (an empty window too)" \
		"SELECT pkt_export('$WORK/h.pcapng', '1999-01-01', '1999-01-02', 'nonsense(')" "invalid BPF filter"
	refused "a filter of 100 kB" \
		"SELECT pkt_export('$WORK/h.pcapng', '-infinity', 'infinity', repeat('tcp or ', 15000) || 'tcp')" "BPF filter too long"
	refused "a relative path" "SELECT pkt_export('h.pcapng', '-infinity', 'infinity')" "relative path not allowed"
	mkdir -p "$WORK/adir"
	refused "a directory" "SELECT pkt_export('$WORK/adir', '-infinity', 'infinity')" "is not a regular file"
	mkfifo "$WORK/afifo"
	refused "a FIFO (no reader: must not hang)" "SELECT pkt_export('$WORK/afifo', '-infinity', 'infinity')" "is not a regular file"
	ln -s /etc/passwd "$WORK/alink"
	refused "a symbolic link (to /etc/passwd)" "SELECT pkt_export('$WORK/alink', '-infinity', 'infinity')" "is not a regular file"
	mkdir -p "$WORK/closed" && chmod 700 "$WORK/closed"
	refused "a directory the server may not write" \
		"SELECT pkt_export('$WORK/closed/x.pcapng', '-infinity', 'infinity')" "could not create file"
	refused "a directory that does not exist" \
		"SELECT pkt_export('$WORK/nowhere/x.pcapng', '-infinity', 'infinity')" "could not create file"
	refused "a NULL path" "SELECT pkt_export(NULL, '-infinity', 'infinity')" "path must not be null"
	refused "a NULL window" "SELECT pkt_export('$WORK/h.pcapng', NULL, 'infinity')" "from_time must not be null"
	refused "a query that is no SELECT" \
		"SELECT pkt_export_rows('$WORK/h.pcapng', 'DELETE FROM packets RETURNING *')" "must be one SELECT"
	refused "a SELECT that modifies data (WITH ... DELETE)" \
		"SELECT pkt_export_rows('$WORK/h.pcapng', 'WITH d AS (DELETE FROM packets RETURNING *) SELECT * FROM d')" "not allowed"
	refused "two statements" \
		"SELECT pkt_export_rows('$WORK/h.pcapng', 'SELECT * FROM packets; SELECT * FROM packets')" "must be one SELECT"
	refused "a query without packets' columns" \
		"SELECT pkt_export_rows('$WORK/h.pcapng', 'SELECT 1 AS capture_time')" "must return column"
	refused "a query whose column has another type" \
		"SELECT pkt_export_rows('$WORK/h.pcapng', 'SELECT capture_time, frame, packet_size::bigint AS packet_size, run_id, sensor FROM packets')" "must return column \"packet_size\""
	refused "pkt_pcapng_rows: a query that is no SELECT" \
		"SELECT count(*) FROM pkt_pcapng_rows('UPDATE packets SET frame = NULL RETURNING *')" "must be one SELECT"
	check_eq "no file left behind (h.pcapng, temporary files), /etc/passwd untouched" \
		"$(find "$WORK" -maxdepth 2 \( -name 'h.pcapng*' -o -name '*.pkt_export.*' -o -path '*/closed/*' -o -path '*/adir/*' \) | wc -l) $(md5sum </etc/passwd | cmp -s - <(echo "$passwd") && echo untouched)" "0 untouched"
	check_eq "packets unchanged (rows, frames)" "$(sql "SELECT count(*) || ' ' || count(frame) FROM packets")" "$before"
	# frames a user may have changed by hand (UPDATE): written as they are, the
	# length on the wire never below what is there
	must "a row's frame replaced by 3 bytes, another's by 70 kB" sql "UPDATE packets SET frame = '\\x010203' WHERE id = (SELECT min(id) FROM packets);
		UPDATE packets SET frame = decode(repeat('ab', 70000), 'hex') WHERE id = (SELECT max(id) FROM packets)"
	N=$(sql "SELECT pkt_export('$WORK/odd.pcapng', '-infinity', 'infinity', 'tcp')")
	check "an export of odd frames reads as pcapng" sh -c "capinfos -M '$WORK/odd.pcapng' >/dev/null && tshark -r '$WORK/odd.pcapng' >/dev/null"
	N=$(sql "SELECT pkt_export('$WORK/odd2.pcapng', '-infinity', 'infinity')")
	check_eq "... and without a filter, every row's frame" "$N" "$(sql "SELECT count(frame) FROM packets")"
	check "... which tshark reads" sh -c "tshark -r '$WORK/odd2.pcapng' >/dev/null"
	check_eq "the server is up, the same postmaster" "$(cluster_postmaster_pid)" "$PM"
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section memory "7. frames waiting in the least memory"; then
	must "a database" db exp_memory
	must "pktcapture.frame_memory = 1MB (ALTER SYSTEM)" sh -c \
		"psql -X -q -U postgres -d postgres -c \"ALTER SYSTEM SET pktcapture.frame_memory = '1MB'\" -c 'SELECT pg_reload_conf()' >/dev/null"
	check "... in force" cluster_poll 10 "SELECT current_setting('pktcapture.frame_memory') = '1MB'"
	# the three frames of 80 kB ten times over: 2.4 MB of frames in a batch
	big=""
	for name in bigtcp-ipv6-geneve-ipv6.pcap bigtcp-ipv6-geneve-ipv4.pcap bigtcp-ipv6-hbh.pcap mptcp-v0.pcap; do
		corpus_copy "$name" || continue
		if [ "$name" = mptcp-v0.pcap ]; then big="$big $WORK/$name"; else big="$big$(printf " $WORK/$name%.0s" $(seq 10))"; fi
	done
	# shellcheck disable=SC2086
	must "one file of them all (frames up to 64 kB)" sh -c "mergecap -a -F pcap -w '$WORK/big.pcap' $big && chmod 644 '$WORK/big.pcap'"
	must "tshark writes its IP frames" ip_frames "$WORK/big.pcap" "$WORK/big.ip.pcapng"
	must "pkt_load of it, frames kept whole" load "$WORK/big.pcap" 262144
	check_eq "every frame kept: rows, frames, not kept" \
		"$(sql "SELECT count(*) || ' ' || count(frame) FROM packets WHERE run_id = $RUN") $(sql "SELECT frames_not_kept FROM pkt_runs WHERE run_id = $RUN")" \
		"$(frames_in "$WORK/big.ip.pcapng") $(frames_in "$WORK/big.ip.pcapng") 0"
	check_eq "... 30 frames over 60 kB" "$(sql "SELECT count(*) FROM packets WHERE length(frame) > 60000")" 30
	export_rows "$WORK/big.pcapng" "SELECT * FROM packets WHERE run_id = $RUN ORDER BY id"
	same_frames "... exported equal to the file's IP frames" "$WORK/big.pcapng" "$WORK/big.ip.pcapng"
	sql "ALTER SYSTEM RESET pktcapture.frame_memory" >/dev/null && sql "SELECT pg_reload_conf()" >/dev/null
	CLUSTER_DB=postgres
fi

# ---------------------------------------------------------------------------
if section live "8. a live capture keeps its frames"; then
	NS=pktex-peer-$$
	V0=pktex0-$$; V0=${V0:0:15}
	V1=pktex1-$$; V1=${V1:0:15}
	quiet() {
		sysctl -qw "net.ipv6.conf.$V0.disable_ipv6=1" >/dev/null &&
			netns_exec sysctl -qw "net.ipv6.conf.$V1.disable_ipv6=1" >/dev/null
	}
	must "a network namespace $NS" netns_add "$NS"
	must "veth $V0 here, $V1 in $NS" netns_veth "$V0" "$V1"
	must "no IPv6 of their own on $V0 and $V1" quiet
	must "the test network comes up" netns_up "$V0" "$V1"
	must "traffic: gen.py live" gen live live --seed 4 --mac "$MAC" --conversations 12
	LOOPS=20
	frames=$(frames_in "$WORK/live.pcap")
	FRAMES=$((frames * LOOPS))
	must_get pid "pkt_start('$V0') with frame_snaplen 2048" \
		cluster_psql -At -c "SET pktcapture.frame_snaplen = 2048" -c "SELECT pkt_start('$V0', 'ether src $MAC')"
	LRUN=$(sql "SELECT run_id FROM pkt_status() WHERE pid = $pid")
	must "tcpreplay: $LOOPS times live.pcap ($FRAMES frames)" netns_replay "$V1" live --pps=2000 --loop=$LOOPS
	step "tcpreplay sent every frame" test "$(tcpreplay_sent "$WORK/live.tcpreplay")" = "$FRAMES"
	capture_saw "$pid" "$FRAMES" 20 || echo "# the capture has not seen every frame"
	must "pkt_stop('$V0')" sql "SELECT pkt_stop('$V0')"
	check_eq "every frame stored with its frame (rows, frames, not kept, lost)" \
		"$(sql "SELECT count(*) || ' ' || count(frame) FROM packets WHERE run_id = $LRUN") $(sql "SELECT frames_not_kept || ' ' || (not_stored + kernel_dropped) || ' ' || frame_snaplen FROM pkt_runs WHERE run_id = $LRUN")" \
		"$FRAMES $FRAMES 0 0 2048"
	export_rows "$WORK/live.export.pcapng" "SELECT * FROM packets WHERE run_id = $LRUN ORDER BY id"
	check_eq "pkt_export_rows of the capture" "$N" "$FRAMES"
	# the bytes of each frame, in order: the file's, $LOOPS times
	tcpdump -r "$WORK/live.export.pcapng" -t -nn -xx 2>/dev/null >"$WORK/live.got.txt"
	for _ in $(seq "$LOOPS"); do tcpdump -r "$WORK/live.pcap" -t -nn -xx 2>/dev/null; done >"$WORK/live.want.txt"
	check "... the frames sent, byte for byte, in order" cmp -s "$WORK/live.got.txt" "$WORK/live.want.txt"
	check "... its interface block names $V0" sh -c "capinfos -M '$WORK/live.export.pcapng' | grep -q 'Name = exp:$V0\\|Name = $V0'"

	# frames that find no room: packets locked for 4 s, the least frame memory
	must "pktcapture.frame_memory = 1MB (ALTER SYSTEM)" sh -c \
		"psql -X -q -U postgres -d postgres -c \"ALTER SYSTEM SET pktcapture.frame_memory = '1MB'\" -c 'SELECT pg_reload_conf()' >/dev/null"
	check "... in force" cluster_poll 10 "SELECT current_setting('pktcapture.frame_memory') = '1MB'"
	must_get pid "pkt_start('$V0') with frame_snaplen 2048" \
		cluster_psql -At -c "SET pktcapture.frame_snaplen = 2048" -c "SELECT pkt_start('$V0', 'ether src $MAC')"
	LRUN=$(sql "SELECT run_id FROM pkt_status() WHERE pid = $pid")
	cluster_psql -c "BEGIN; LOCK TABLE packets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1 &
	LOCKER=$!
	track_bg "$LOCKER"
	must "packets is locked" cluster_poll 10 "SELECT count(*) > 0 FROM pg_locks WHERE relation = 'packets'::regclass AND mode = 'AccessExclusiveLock' AND granted"
	LOOPS=60
	FRAMES=$((frames * LOOPS))
	must "tcpreplay: $LOOPS times live.pcap ($FRAMES frames) while it is" netns_replay "$V1" live --pps=4000 --loop=$LOOPS
	wait "$LOCKER"
	capture_saw "$pid" "$FRAMES" 20 || echo "# the capture has not seen every frame"
	must "pkt_stop('$V0')" sql "SELECT pkt_stop('$V0')"
	read -r rows kept nk <<<"$(sql "SELECT count(*), count(frame), (SELECT frames_not_kept FROM pkt_runs WHERE run_id = $LRUN) FROM packets WHERE run_id = $LRUN" | tr '|' ' ')"
	check_eq "while packets was locked: every row stored, some frames found no room" "$rows $( [ "${nk:-0}" -gt 0 ] && echo some)" "$FRAMES some"
	check_eq "... each row without its frame counted in frames_not_kept (rows - frames kept)" "$((rows - kept))" "$nk"
	sql "ALTER SYSTEM RESET pktcapture.frame_memory" >/dev/null && sql "SELECT pg_reload_conf()" >/dev/null
fi

# ---------------------------------------------------------------------------
if section hub "9. frames at a hub, exported by sensor"; then
	[ -f "$(pg_config --pkglibdir)/dblink.so" ] || fatal "dblink is not installed (Debian: postgresql-15)"
	declare -A PORT
	[ -f "$WORK/mix.pcap" ] || must "traffic: gen.py mix" gen mix mix --seed 5
	corpus_copy mptcp-v0.pcap
	for n in sensor-a sensor-b; do
		must "start $n" node_start "$n" "max_slot_wal_keep_size = '1GB'"
		must "CREATE EXTENSION on $n" nsql "$n" "CREATE EXTENSION pktcapture"
	done
	must "start the hub" node_start hub
	must "CREATE EXTENSION pktcapture, dblink on the hub" nsql hub "CREATE EXTENSION pktcapture; CREATE EXTENSION dblink"
	must "sensor-a loads mix.pcap, frames kept" nsql sensor-a "SET pktcapture.frame_snaplen = 65535; SELECT pkt_load('$WORK/mix.pcap')"
	for n in sensor-a sensor-b; do
		must "pkt_hub_add('$n')" nsql hub "SELECT pkt_hub_add('$n', 'host=$WORK/$n port=${PORT[$n]} dbname=postgres user=postgres')"
	done
	must "sensor-b loads mptcp-v0.pcap, frames kept" nsql sensor-b "SET pktcapture.frame_snaplen = 65535; SELECT pkt_load('$WORK/mptcp-v0.pcap')"
	declare -A NF
	for n in sensor-a sensor-b; do
		NF[$n]=$(nsql "$n" "SELECT pkt_export('$WORK/$n.own.pcapng', '-infinity', 'infinity', NULL, NULL, '$n')")
	done
	check "the hub holds both sensors' frames (within 60 s)" node_until hub 60 \
		"SELECT count(frame) FILTER (WHERE sensor = 'sensor-a') = ${NF[sensor-a]} AND count(frame) FILTER (WHERE sensor = 'sensor-b') = ${NF[sensor-b]} FROM packets"
	for n in sensor-a sensor-b; do
		check_eq "pkt_export(sensor => '$n') at the hub: its frames" \
			"$(nsql hub "SELECT pkt_export('$WORK/$n.hub.pcapng', '-infinity', 'infinity', NULL, NULL, '$n')")" "${NF[$n]}"
		same_frames "... equal to $n's own export" "$WORK/$n.hub.pcapng" "$WORK/$n.own.pcapng"
		check "... its interface block named $n:<file>" sh -c "capinfos -M '$WORK/$n.hub.pcapng' | grep -q 'Name = $n:$WORK/'"
	done
	check_eq "sensor-a's export by its own name equals its export of everything" \
		"$(nsql sensor-a "SELECT pkt_export('$WORK/a-all.pcapng', '-infinity', 'infinity')")" "${NF[sensor-a]}"
	for n in sensor-a sensor-b hub; do
		check_eq "no crash in $n's log" "$(crash_lines "$WORK/$n/server.log" | head -3)" ""
	done
	nodes_stop
fi

finish
