#!/usr/bin/python3
"""Reduce `tshark -T fields` output (fields in FIELDS order, see
gen-expected.sh) to the golden expected format, one line per frame that
tshark dissects as IP, every column pktcapture stores for it (COLUMNS):

    frame  ip_version  src  dst  ip_proto  src_port  dst_port  tcp_flags
    vlan_id  packet_size  captured_size  capture_time

NULL is written \\N.  The first line is "#frames<TAB>N": the number of
frames tshark read.

- ip_version, src, dst: the OUTERMOST IP header (the first ip/ipv6 layer
  of frame.protocols).
- ip_proto: IPv4's Protocol; for IPv6, the upper-layer protocol of that
  outermost header's chain, as tshark dissects it (ipv6_upper).
- src_port, dst_port: of the TCP, UDP, UDP-Lite, SCTP or DCCP layer that
  directly follows that chain, when tshark dissects its ports there (not
  for a later fragment, nor for the inner header of an ICMP error or a
  tunnel); tcp_flags: tcp.flags (the 12 bits) of that TCP layer.
- vlan_id: the ID of the outermost 802.1Q (vlan) or 802.1ad (ieee8021ad)
  tag before the outermost IP header.
- packet_size = frame.len, captured_size = frame.cap_len, capture_time =
  frame.time_epoch truncated to microseconds (see epoch_us).

Standard library only.  Reads stdin, writes stdout.
"""
import sys

FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "frame.time_epoch",
    "frame.protocols",
    "vlan.id", "ieee8021ad.id",
    "ip.src", "ip.dst", "ip.proto",
    "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
    "ipv6.dstopts.nxt", "ah.next_header", "shim6.nxt",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "dccp.srcport", "dccp.dstport",
]

COLUMNS = ("frame", "ip_version", "src", "dst", "ip_proto", "src_port",
           "dst_port", "tcp_flags", "vlan_id", "packet_size",
           "captured_size", "capture_time")

NULL = "\\N"

# IPv6 headers whose tshark dissector goes on to the header their Next
# Header names: number -> (tshark protocol name, field with that Next
# Header).  The upper-layer protocol is the Next Header of the last of
# them.  Mobility (135, and 62 of the drafts), HIP (139) and ESP (50) are
# not here: tshark dissects each as the last header of its chain (their
# Payload Proto / Next Header, 59 in RFC 6275 and RFC 7401, is shown as
# mip6.proto / hip.proto and never followed), so the upper-layer protocol
# is the header itself.  Shim6 (140) is followed, control message or not.
IPV6_EXT = {
    0: ("ipv6.hopopts", "ipv6.hopopts.nxt"),
    43: ("ipv6.routing", "ipv6.routing.nxt"),
    44: ("ipv6.fraghdr", "ipv6.fraghdr.nxt"),
    60: ("ipv6.dstopts", "ipv6.dstopts.nxt"),
    51: ("ah", "ah.next_header"),
    140: ("shim6", "shim6.nxt"),
}

# Transports whose first 4 bytes are the ports: number -> (tshark
# protocol name, port field prefix).  UDP-Lite uses UDP's fields.
PORTS = {
    6: ("tcp", "tcp"),
    17: ("udp", "udp"),
    136: ("udplite", "udp"),
    132: ("sctp", "sctp"),
    33: ("dccp", "dccp"),
}

TAGS = {"vlan": "vlan.id", "ieee8021ad": "ieee8021ad.id"}


def occ(value, i):
    """The i-th occurrence of a multi-occurrence field, or None."""
    if value == "":
        return None
    parts = value.split(",")
    return parts[i] if i < len(parts) else None


def ipv6_upper(protos, start, f):
    """Walk the extension headers of the outermost IPv6 header.

    protos[start] is that header's "ipv6" token.  Returns (upper-layer
    protocol, index in protos just past the chain).  The outermost header
    is the first IPv6 layer, and its extension headers are the first
    layers of their kind, so occurrence k of each *.nxt field belongs to
    the k-th header of that kind in the chain."""
    nxt = occ(f["ipv6.nxt"], 0)
    if nxt is None:
        return None, None
    nxt = int(nxt)
    seen = {}
    pos = start + 1
    while nxt in IPV6_EXT:
        name, field = IPV6_EXT[nxt]
        if pos >= len(protos) or protos[pos] != name:
            break           # tshark did not dissect it: keep the type
        k = seen.get(field, 0)
        seen[field] = k + 1
        v = occ(f[field], k)
        if v is None:
            break           # cut short: keep the header type
        nxt = int(v)
        pos += 1
    return nxt, pos


def ports(protos, pos, proto, f):
    """(src_port, dst_port, tcp_flags) of the transport layer at
    protos[pos], if it is the one proto names; NULLs otherwise."""
    if proto not in PORTS or pos >= len(protos) or protos[pos] != PORTS[proto][0]:
        return NULL, NULL, NULL
    name, prefix = PORTS[proto]
    k = protos[:pos].count(name)
    sport = occ(f[prefix + ".srcport"], k)
    dport = occ(f[prefix + ".dstport"], k)
    if sport is None or dport is None:
        return NULL, NULL, NULL
    flags = NULL
    if proto == 6:
        v = occ(f["tcp.flags"], k)
        if v is not None:
            flags = str(int(v, 0))
    return sport, dport, flags


def vlan(protos, outer, f):
    """ID of the outermost 802.1Q/802.1ad tag before protos[outer]."""
    for i in range(outer):
        if protos[i] in TAGS:
            k = protos[:i].count(protos[i])
            v = occ(f[TAGS[protos[i]]], k)
            return v if v is not None else NULL
    return NULL


def epoch_us(t):
    """frame.time_epoch -> seconds with 6 decimals, truncated.

    tshark prints seconds "." nanoseconds, and prints the nanoseconds as
    they are in the file even when they are out of range (more than 9
    digits, files with an invalid fraction): then they are a count of
    nanoseconds, not a decimal fraction."""
    neg = t.startswith("-")
    t = t.lstrip("-")
    sec, _, frac = t.partition(".")
    if len(frac) > 9:
        ns = int(frac)
    else:
        ns = int((frac + "000000000")[:9])
    total = int(sec or "0") * 1000000000 + ns
    us = total // 1000
    return "%s%d.%06d" % ("-" if neg and us else "", us // 1000000,
                          us % 1000000)


def reduce_line(line):
    vals = line.rstrip("\n").split("\t")
    vals += [""] * (len(FIELDS) - len(vals))
    f = dict(zip(FIELDS, vals))
    protos = f["frame.protocols"].split(":")
    outer = None
    for i, p in enumerate(protos):
        if p in ("ip", "ipv6"):
            outer = i
            break
    if outer is None:
        return None
    if protos[outer] == "ip":
        version = 4
        src, dst, proto = (occ(f["ip.src"], 0), occ(f["ip.dst"], 0),
                           occ(f["ip.proto"], 0))
        proto = int(proto) if proto is not None else None
        pos = outer + 1
    else:
        version = 6
        src, dst = occ(f["ipv6.src"], 0), occ(f["ipv6.dst"], 0)
        proto, pos = ipv6_upper(protos, outer, f)
    if src is None or dst is None or proto is None:
        return None         # tshark has no addresses: not a storable packet
    sport, dport, flags = ports(protos, pos, proto, f)
    return "\t".join([f["frame.number"], str(version), src, dst, str(proto),
                      sport, dport, flags, vlan(protos, outer, f),
                      f["frame.len"], f["frame.cap_len"],
                      epoch_us(f["frame.time_epoch"])])


def main():
    out = []
    frames = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        frames += 1
        r = reduce_line(line)
        if r is not None:
            out.append(r)
    sys.stdout.write("#frames\t%d\n" % frames)
    for r in out:
        sys.stdout.write(r + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fields":
        print(" ".join("-e " + x for x in FIELDS))
    else:
        main()
