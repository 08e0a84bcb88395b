# test/lib/compare.sh: the rows of a live capture against tcpdump's file of
# the same frames, by test/live/live_compare.py (the live and robust suites).
# Needs $WORK, $PY, $here (test/), test/lib/cluster.sh and check.sh.
#
#   live_reference NAME          tshark's reading of $WORK/ref-NAME.pcap
#                                into ref-NAME.tsv
#   live_rows NAME CONDITION     the rows of packets WHERE CONDITION, in id
#                                order, into rows-NAME.tsv
#   live_compare NAME OPTIONS... live_compare.py of the two, its checks
#                                counted; its figures (ref_frames, ref_ip,
#                                ref_non_ip, rows, ...) in summary-NAME.sh
live_reference() {
	# shellcheck disable=SC2046
	TZ=UTC tshark -n -r "$WORK/ref-$1.pcap" \
		-o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, \
		$("$PY" "$here/live/live_compare.py" --fields) \
		>"$WORK/ref-$1.tsv" 2>"$WORK/ref-$1.tshark.err"
}

live_rows() {
	cluster_psql -c "\\copy (SELECT id, (extract(epoch FROM capture_time) * 1000000)::bigint,
		ip_version, host(src_ip), host(dst_ip), protocol, ip_proto, packet_size,
		captured_size, src_port, dst_port, tcp_flags, vlan_id, interface
		FROM packets WHERE $2 ORDER BY id) TO '$WORK/rows-$1.tsv'"
}

live_compare() {
	local name=$1
	shift
	checks_from < <("$PY" "$here/live/live_compare.py" --ref "$WORK/ref-$name.tsv" \
		--rows "$WORK/rows-$name.tsv" --summary "$WORK/summary-$name.sh" "$@")
}
