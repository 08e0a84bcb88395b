#!/usr/bin/python3
"""Reduce `tshark -T fields` output (fields in FIELDS order, see
gen-expected.sh) to the golden expected format, one line per frame that
tshark dissects as IP:

    frame_no  src  dst  protocol  packet_size  capture_time

protocol is TCP, UDP or the protocol number, taken from the OUTERMOST IP
header; for IPv6, the upper-layer protocol after the extension headers of
that outermost header (RFC 8200 / IANA "IPv6 Extension Header Types").
capture_time is frame.time_epoch truncated to microseconds (see epoch_us).
The first line is "#frames<TAB>N": the number of frames tshark read.

Standard library only.  Reads stdin, writes stdout.
"""
import sys

FIELDS = [
    "frame.number", "frame.len", "frame.time_epoch", "frame.protocols",
    "ip.src", "ip.dst", "ip.proto",
    "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
    "ipv6.dstopts.nxt", "ah.next_header", "mip6.proto", "hip.proto",
    "shim6.nxt",
]

# IPv6 extension header number -> (tshark protocol name, field with its
# Next Header).  Only IANA extension headers; ESP (50) ends the walk.
IPV6_EXT = {
    0: ("ipv6.hopopts", "ipv6.hopopts.nxt"),
    43: ("ipv6.routing", "ipv6.routing.nxt"),
    44: ("ipv6.fraghdr", "ipv6.fraghdr.nxt"),
    60: ("ipv6.dstopts", "ipv6.dstopts.nxt"),
    51: ("ah", "ah.next_header"),
    135: ("mipv6", "mip6.proto"),
    139: ("hip", "hip.proto"),
    140: ("shim6", "shim6.nxt"),
}

PROTO_NAME = {6: "TCP", 17: "UDP"}


def occ(value, i):
    """The i-th occurrence of a multi-occurrence field, or None."""
    if value == "":
        return None
    parts = value.split(",")
    return parts[i] if i < len(parts) else None


def ipv6_upper(protos, start, f):
    """Walk the extension headers of the outermost IPv6 header.

    protos[start] is that header's "ipv6" token.  The outermost header is
    the first IPv6 layer, and its extension headers are the first layers of
    their kind, so occurrence k of each *.nxt field belongs to the k-th
    header of that kind in the chain."""
    nxt = occ(f["ipv6.nxt"], 0)
    if nxt is None:
        return None
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
    return nxt


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
        src, dst, proto = (occ(f["ip.src"], 0), occ(f["ip.dst"], 0),
                           occ(f["ip.proto"], 0))
        proto = int(proto) if proto is not None else None
    else:
        src, dst = occ(f["ipv6.src"], 0), occ(f["ipv6.dst"], 0)
        proto = ipv6_upper(protos, outer, f)
    if src is None or dst is None or proto is None:
        return None         # tshark has no addresses: not a storable packet
    t = epoch_us(f["frame.time_epoch"])
    return "\t".join([f["frame.number"], src, dst,
                      PROTO_NAME.get(proto, str(proto)), f["frame.len"], t])


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
