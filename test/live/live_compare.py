#!/usr/bin/python3
"""Compare the rows pktcapture stored with what tcpdump saw (test/live-test.sh).

    live_compare.py --fields
        the tshark -e arguments, one per line

    live_compare.py --ref REF.tsv --rows ROWS.tsv --summary OUT.sh
                    [--tolerance-us N] [--label NAME]
                    [--prefix [--status-frames N]]

With --prefix the capture was stopped while traffic still flowed and
tcpdump went on: the rows must then be the first IP frames tcpdump saw.

REF.tsv is `tshark -T fields -E occurrence=a -E aggregator=,` of the
reference capture (the fields of --fields, in that order), read with
TZ=UTC, -n, and IP reassembly off.  The reference row of each frame is
derived from tshark's dissection alone, following the rules pktcapture
documents (README "What is stored"):

  - the outermost IP header is the one recorded (GRE, ICMP errors and
    payloads that look like tunnels are not descended into);
  - for IPv6 the upper-layer protocol is found by walking the extension
    headers tshark dissected (hop-by-hop, routing, fragment, destination
    options, AH);
  - ports from TCP, UDP, UDP-Lite, SCTP and DCCP, only when tshark
    dissected that transport header, which it does for unfragmented
    packets and first fragments only (reassembly off);
  - vlan_id is the outermost tag (802.1Q "vlan.id", or 802.1ad
    "ieee8021ad.id");
  - capture_time is frame.time_epoch truncated to the microsecond;
  - interface is --iface, or for "any" the name of sll.ifindex.

ROWS.tsv is `\\copy (SELECT id, epoch_us, ip_version, host(src_ip),
host(dst_ip), protocol, ip_proto, packet_size, captured_size, src_port,
dst_port, tcp_flags, vlan_id, interface FROM packets ... ORDER BY id) TO
...` in text format (NULL is \\N).  --iface gives the interface the rows
must name: one name, or IFINDEX=NAME,... to map sll.ifindex of a capture
on "any".

Prints one line per check, "ok - ..." or "not ok - ...", with details of
the first differences, and writes shell assignments of the figures
(ref_frames, ref_ip, ref_non_ip, rows, ts_max_diff_us...) to OUT.sh.
Exit status 0 if every check passed, 1 otherwise.
"""
import argparse
import collections
import ipaddress
import sys

FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "frame.time_epoch",
    "frame.protocols", "sll.ifindex",
    "vlan.id", "ieee8021ad.id",
    "ip.src", "ip.dst", "ip.proto",
    "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
    "ipv6.dstopts.nxt", "ah.next_header",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "dccp.srcport", "dccp.dstport",
]

# IPv6 extension header -> field with its Next Header
IPV6_EXT = {
    0: "ipv6.hopopts.nxt",
    43: "ipv6.routing.nxt",
    44: "ipv6.fraghdr.nxt",
    60: "ipv6.dstopts.nxt",
    51: "ah.next_header",
}

# transport protocol -> (source port field, destination port field)
PORT_FIELDS = {
    6: ("tcp.srcport", "tcp.dstport"),
    17: ("udp.srcport", "udp.dstport"),
    136: ("udp.srcport", "udp.dstport"),      # UDP-Lite uses udp.* fields
    132: ("sctp.srcport", "sctp.dstport"),
    33: ("dccp.srcport", "dccp.dstport"),
}

# Row layout used for comparisons (everything but time).
KEY_NAMES = ["ip_version", "src_ip", "dst_ip", "protocol", "ip_proto",
             "packet_size", "captured_size", "src_port", "dst_port",
             "tcp_flags", "vlan_id", "interface"]


def occ(value, i):
    if value == "":
        return None
    parts = value.split(",")
    return parts[i] if i < len(parts) else None


def norm_ip(s):
    return ipaddress.ip_address(s).compressed


def proto_label(p):
    return {6: "TCP", 17: "UDP"}.get(p, str(p))


def epoch_us(t):
    sec, _, frac = t.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def ref_row(f, iface):
    """(ip, ts_us, key) of one tshark line; ip False for non-IP frames.

    iface: the interface name of every frame, or a dict ifindex -> name
    for a capture on "any" (Linux cooked, sll.ifindex)."""
    protos = f["frame.protocols"].split(":")
    # link layer: eth or sll, ethertype, then tags
    i = 0
    vlan = None
    while i < len(protos) and protos[i] in ("eth", "sll", "ethertype", "vlan", "ieee8021ad"):
        if vlan is None and protos[i] == "vlan":
            vlan = int(occ(f["vlan.id"], 0))
        elif vlan is None and protos[i] == "ieee8021ad":
            vlan = int(occ(f["ieee8021ad.id"], 0))
        i += 1
    ts = epoch_us(f["frame.time_epoch"])
    if i >= len(protos) or protos[i] not in ("ip", "ipv6"):
        return False, ts, None
    if protos[i] == "ip":
        ver = 4
        src, dst = occ(f["ip.src"], 0), occ(f["ip.dst"], 0)
        proto = int(occ(f["ip.proto"], 0))
    else:
        ver = 6
        src, dst = occ(f["ipv6.src"], 0), occ(f["ipv6.dst"], 0)
        proto = int(occ(f["ipv6.nxt"], 0))
        seen = collections.Counter()
        while proto in IPV6_EXT:
            field = IPV6_EXT[proto]
            v = occ(f[field], seen[field])
            if v is None:
                break           # not dissected: keep the header type
            seen[field] += 1
            proto = int(v)
    sport = dport = flags = None
    if proto in PORT_FIELDS:
        sf, df = PORT_FIELDS[proto]
        s, d = occ(f[sf], 0), occ(f[df], 0)
        if s is not None and d is not None:
            sport, dport = int(s), int(d)
        if proto == 6 and occ(f["tcp.flags"], 0) is not None:
            flags = int(occ(f["tcp.flags"], 0), 16) & 0x0FFF
    if isinstance(iface, dict):
        idx = occ(f["sll.ifindex"], 0)
        name = iface.get(int(idx), "ifindex %s" % idx) if idx is not None else None
    else:
        name = iface
    key = (ver, norm_ip(src), norm_ip(dst), proto_label(proto), proto,
           int(f["frame.len"]), int(f["frame.cap_len"]), sport, dport, flags,
           vlan, name)
    return True, ts, key


def read_ref(path, iface):
    frames = 0
    non_ip = 0
    rows = []
    positions = []      # 1-based frame count at each IP frame
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            vals = line.split("\t")
            vals += [""] * (len(FIELDS) - len(vals))
            f = dict(zip(FIELDS, vals))
            frames += 1
            ip, ts, key = ref_row(f, iface)
            if ip:
                rows.append((ts, key, int(f["frame.number"])))
                positions.append(frames)
            else:
                non_ip += 1
    return frames, non_ip, rows, positions


def nint(s):
    return None if s == "\\N" else int(s)


def read_rows(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            v = line.rstrip("\n").split("\t")
            (rid, ts, ver, src, dst, proto, ip_proto, size, caplen, sport,
             dport, flags, vlan, iface) = v
            key = (int(ver), norm_ip(src), norm_ip(dst), proto, int(ip_proto),
                   int(size), int(caplen), nint(sport), nint(dport), nint(flags),
                   nint(vlan), None if iface == "\\N" else iface)
            rows.append((int(ts), key, int(rid)))
    return rows


def fmt(key):
    return " ".join("%s=%s" % (n, "NULL" if v is None else v)
                    for n, v in zip(KEY_NAMES, key))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", action="store_true")
    ap.add_argument("--ref")
    ap.add_argument("--rows")
    ap.add_argument("--summary")
    ap.add_argument("--tolerance-us", type=int, default=1000)
    ap.add_argument("--label", default="")
    ap.add_argument("--iface", required=False,
                    help="interface name of every reference frame, or for a "
                    "capture on \"any\" IFINDEX=NAME,... (sll.ifindex)")
    ap.add_argument("--prefix", action="store_true",
                    help="the capture stopped before tcpdump: compare with "
                    "the first IP frames tcpdump saw")
    ap.add_argument("--status-frames", type=int,
                    help="with --prefix: pkt_status().frames, checked against "
                    "the frames of the prefix")
    a = ap.parse_args()
    if a.fields:
        for x in FIELDS:
            print("-e")
            print(x)
        return 0

    lab = "[%s] " % a.label if a.label else ""
    failed = 0

    def check(ok, what, details=()):
        nonlocal failed
        print("%s - %s%s" % ("ok" if ok else "not ok", lab, what))
        if not ok:
            failed += 1
            for d in list(details)[:12]:
                print("    " + d)

    iface = a.iface
    if iface and "=" in iface:
        iface = {int(k): v for k, v in (x.split("=", 1) for x in iface.split(","))}
    frames, non_ip, ref, positions = read_ref(a.ref, iface)
    rows = read_rows(a.rows)
    fig = {"ref_frames": frames, "ref_non_ip": non_ip, "ref_ip": len(ref),
           "rows": len(rows)}

    if a.prefix:
        # pktcapture stopped while traffic flowed and tcpdump went on: the
        # rows must be the first len(rows) IP frames tcpdump saw.
        check(len(rows) <= len(ref),
              "rows stored (%d) <= IP frames tcpdump saw (%d, %d after the stop)"
              % (len(rows), len(ref), len(ref) - len(rows)))
        k = len(rows)
        # frames pktcapture saw: at least up to its last IP frame, and
        # fewer than up to the next IP frame tcpdump saw
        lo = positions[k - 1] if k > 0 else 0
        hi = positions[k] - 1 if k < len(positions) else frames
        if a.status_frames is not None:
            check(lo <= a.status_frames <= hi,
                  "frames pktcapture counted (%d) fit the prefix of tcpdump's frames "
                  "(%d..%d)" % (a.status_frames, lo, hi))
            fig["prefix_non_ip"] = a.status_frames - k
            fig["ref_prefix_non_ip_min"] = lo - k
            fig["ref_prefix_non_ip_max"] = hi - k
        ref = ref[:k]
    else:
        check(len(rows) == len(ref),
              "rows stored (%d) == IP frames tcpdump saw (%d)" % (len(rows), len(ref)))

    # 1. multisets of every field but time
    rc = collections.Counter(k for _, k, _ in ref)
    pc = collections.Counter(k for _, k, _ in rows)
    only_ref = rc - pc
    only_rows = pc - rc
    det = []
    for k, n in list(only_ref.items())[:6]:
        det.append("only in tcpdump (x%d): %s" % (n, fmt(k)))
    for k, n in list(only_rows.items())[:6]:
        det.append("only in packets (x%d): %s" % (n, fmt(k)))
    check(not only_ref and not only_rows,
          ("rows equal the first %d IP frames tcpdump saw" % len(ref) if a.prefix else
           "rows equal tcpdump's IP frames") + " as multisets (all fields but time; "
          "%d only in tcpdump, %d only in packets)"
          % (sum(only_ref.values()), sum(only_rows.values())), det)

    if isinstance(iface, dict):
        # on "any", separate the IP layer from what depends on the link
        # layer (cooked header length, interface name)
        def ip_only(k):
            return k[:5] + k[7:11]
        a_ = collections.Counter(ip_only(k) for _, k, _ in ref)
        b_ = collections.Counter(ip_only(k) for _, k, _ in rows)
        check(a_ == b_, "rows equal tcpdump's IP frames as multisets on the IP-layer "
              "fields alone (without packet_size, captured_size, interface)")

    # 2. the same sequence: row i (by id) is frame i of tcpdump.  On "any"
    # frames of different interfaces reach the two packet sockets from
    # different CPUs, so only the order within each interface is defined.
    per_if = isinstance(iface, dict)

    def groups(lst):
        g = collections.OrderedDict()
        for x in lst:
            g.setdefault(x[1][11] if per_if else None, []).append(x)
        return g

    rg, pg = groups(ref), groups(rows)
    ordered = len(ref) == len(rows) and list(sorted(rg, key=str)) == list(sorted(pg, key=str))
    det = []
    pairs = []
    for name in sorted(set(rg) | set(pg), key=str):
        r, p = rg.get(name, []), pg.get(name, [])
        if len(r) != len(p):
            ordered = False
            det.append("interface %s: %d frames in tcpdump, %d rows" % (name, len(r), len(p)))
        for i in range(min(len(r), len(p))):
            if r[i][1] != p[i][1]:
                ordered = False
                det += ["position %d: tcpdump frame %d: %s" % (i, r[i][2], fmt(r[i][1])),
                        "position %d: packets id %d: %s" % (i, p[i][2], fmt(p[i][1]))]
                break
        pairs += list(zip(r, p))
    check(ordered, "rows in id order are tcpdump's IP frames in capture order%s"
          % (" (per interface)" if per_if else ""), det)

    # 3. timestamps: the two captures use separate packet sockets, so the
    # kernel may stamp a frame for each one separately: allow a tolerance.
    diffs = [p[0] - r[0] for r, p in pairs]
    absd = [abs(d) for d in diffs]
    n = len(pairs)
    fig["ts_max_diff_us"] = max(absd) if absd else 0
    fig["ts_mean_diff_us"] = "%.2f" % (sum(absd) / len(absd)) if absd else "0"
    fig["ts_nonzero_diffs"] = sum(1 for d in diffs if d)
    big = [i for i in range(n) if absd[i] > a.tolerance_us]
    det = ["tcpdump frame %d at %d us, packets id %d at %d us (diff %+d us)"
           % (pairs[i][0][2], pairs[i][0][0], pairs[i][1][2], pairs[i][1][0], diffs[i])
           for i in big[:6]]
    check(ordered and not big,
          "capture_time equals tcpdump's timestamp within %d us, frame by frame "
          "(max |diff| %s us, %s of %d differ at all)"
          % (a.tolerance_us, fig["ts_max_diff_us"], fig["ts_nonzero_diffs"], n),
          det if ordered else ["not compared frame by frame: the order differs"])

    # 4. capture_time never goes back in id order (per interface on "any")
    back = []
    for name, p in pg.items():
        back += [(p[i], p[i - 1]) for i in range(1, len(p)) if p[i][0] < p[i - 1][0]]
    check(not back, "capture_time is non-decreasing in id order%s (%d steps back)"
          % (" per interface" if per_if else "", len(back)),
          ["id %d at %d us after id %d at %d us" % (x[2], x[0], y[2], y[0])
           for x, y in back[:6]])

    # 5. sanity of the reference itself: non-decreasing timestamps
    back = 0
    for name, r in rg.items():
        back += sum(1 for i in range(1, len(r)) if r[i][0] < r[i - 1][0])
    check(back == 0, "reference timestamps are non-decreasing%s (%d steps back)"
          % (" per interface" if per_if else "", back))

    fig["ref_bytes"] = sum(k[5] for _, k, _ in ref)
    fig["ref_vlan"] = sum(1 for _, k, _ in ref if k[10] is not None)
    fig["ref_v6"] = sum(1 for _, k, _ in ref if k[0] == 6)
    fig["ref_ports"] = sum(1 for _, k, _ in ref if k[7] is not None)
    fig["ref_protocols"] = len(set(k[4] for _, k, _ in ref))
    if a.summary:
        with open(a.summary, "w") as fh:
            for k, v in sorted(fig.items()):
                fh.write("%s=%s\n" % (k, v))
    print("    %sfigures: %s" % (lab, " ".join("%s=%s" % kv for kv in sorted(fig.items()))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
