#!/usr/bin/env python3
"""bench/gen-traffic.py: synthetic captures of whole days and of floods, for the pktcapture benchmark.

    gen-traffic.py --mode day   --out FILE [--count N] [--hosts H] [--hour H] ...
    gen-traffic.py --mode rate  --out FILE [--count N] [--rate PPS] ...
    gen-traffic.py --mode spoof --out FILE [--count N] [--rate PPS] [--spoof-share F] ...

Writes a classic pcap (Ethernet, microsecond timestamps, snap length 128 by
default) whose cost for pktcapture depends on time and on the number of
distinct addresses rather than on the number of packets:

  day    N packets spread over the 24 hours of one UTC day (--start), with
         a diurnal curve (rate 1 + 0.6 sin, lowest at 03:00, highest at
         15:00): the packets of each minute are allotted from the curve
         (largest remainders, exactly N in all) and placed uniformly at
         random inside their minute, so arrivals are Poisson-like and
         timestamps increase.  Default 864,000 packets: 10 packets/s.
  rate   N packets of the same traffic at a steady Poisson rate (--rate,
         default 200,000 packets/s), starting at the beginning of --hour of
         that day: the ordinary traffic a flood is compared with.
  spoof  a SYN flood: a share (--spoof-share, default 1.0) of the frames are
         TCP SYNs to --victims addresses (the most popular destinations of
         the ordinary traffic) on --victim-ports, each from a fresh random
         IPv4 source of --spoof-net (default 10.0.0.0/8), 60 bytes on the
         wire; the other frames are ordinary traffic.  Same timing as rate.

Ordinary traffic has the mix of gen-pcap.py (its tables are imported from
it): ~1.2% ARP/LLDP frames, IPv4 and IPv6, TCP with flags, UDP, ICMP,
ICMPv6 (some behind a hop-by-hop header), GRE, ESP, SCTP and others, ~10%
of frames with an 802.1Q tag, wire sizes 60-1514, and hosts drawn Zipf-like
(exponent --zipf, 1.1) from --hosts hosts (default 65,536: a quarter IPv6 in
2001:db8::/32, the rest IPv4 in 198.18.0.0/15, or 100.64.0.0/10 beyond
131,070), sources and destinations ranked differently.

Expected totals, independent of pktcapture, go to --json (default
FILE.json): frames, IP packets, non-IP frames, IP bytes (sum of the wire
sizes of IP packets), IPv4/IPv6, VLAN-tagged IP packets, packets with ports
and with TCP flags, packets and bytes per protocol as pktcapture's
"protocol" column spells it ("TCP", "UDP" or the number), distinct sources,
destinations and addresses, minutes with IP packets and distinct (minute,
address) pairs (what a per-minute, per-address summary holds, max per
minute too), and the top 10 sources and destinations by packets
(top_sources, top_destinations) and by bytes (top_sources_bytes,
top_destinations_bytes), each entry [address, packets, bytes], ties broken
by the address text (C collation): compare the first 5.  The same figures
(but the distinct counts) for one hour of the file, --hour, under "hour".

Same arguments, same bytes: everything comes from random.Random(seed).
Speed: frames are packed with struct and written in chunks of a minute (day)
or 65,536 frames; ~1.8 s per million flood frames, ~3.5 s per million
ordinary frames on this machine.
"""
import argparse
import bisect
import collections
import importlib.util
import ipaddress
import itertools
import json
import math
import os
import random
import struct
import sys
import time
from array import array

_spec = importlib.util.spec_from_file_location(
    "gen_pcap", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-pcap.py"))
mix = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mix)

DAY_START = 1_699_920_000          # 2023-11-14 00:00:00 UTC
MINUTE_US = 60_000_000
FLOOD_WIRE = 60                    # a SYN without options, padded to Ethernet's minimum


def zipf_cum_weights(n, s):
    return list(itertools.accumulate(1.0 / (i ** s) for i in range(1, n + 1)))


def allot(n, weights):
    """n split into integers proportional to weights (largest remainders)"""
    tot = sum(weights)
    q = [n * w / tot for w in weights]
    base = [int(x) for x in q]
    rest = n - sum(base)
    order = sorted(range(len(q)), key=lambda i: (-(q[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


class Segment:
    """counters of one stretch of the file: before, inside or after the hour"""

    def __init__(self, nhosts):
        self.src_pk = [0] * nhosts
        self.src_by = [0] * nhosts
        self.dst_pk = [0] * nhosts
        self.dst_by = [0] * nhosts
        self.proto_pk = [0] * 512       # ip_proto + 256 * (IPv6)
        self.proto_by = [0] * 512
        self.vlan = 0
        self.flood = None               # array of packets per spoofed source


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("day", "rate", "spoof"), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", default=None)
    ap.add_argument("--count", type=int, default=None,
                    help="frames (default: 864000 for day, 1000000 otherwise)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--snaplen", type=int, default=128)
    ap.add_argument("--hosts", type=int, default=65536, help="ordinary hosts, IPv4 and IPv6")
    ap.add_argument("--v6-share", type=float, default=0.25, help="share of the hosts that are IPv6")
    ap.add_argument("--zipf", type=float, default=1.1)
    ap.add_argument("--start", type=int, default=DAY_START,
                    help="the day, as the Unix time of its first second (a whole minute)")
    ap.add_argument("--hour", type=int, default=15,
                    help="the hour of the day summed apart under \"hour\" (rate and spoof files start there)")
    ap.add_argument("--diurnal", type=float, default=0.6, help="amplitude of the day's curve (0: flat)")
    ap.add_argument("--rate", type=float, default=200000.0, help="packets/s of the rate and spoof files")
    ap.add_argument("--spoof-share", type=float, default=1.0)
    ap.add_argument("--spoof-net", default="10.0.0.0/8")
    ap.add_argument("--victims", type=int, default=1)
    ap.add_argument("--victim-ports", default="80")
    args = ap.parse_args()
    if args.snaplen < 96:
        ap.error("--snaplen must be at least 96 (headers up to 86 bytes)")
    if args.start % 60:
        ap.error("--start must be a whole minute")
    if not 0 <= args.hour < 24:
        ap.error("--hour must be 0-23")
    N = args.count if args.count is not None else (864_000 if args.mode == "day" else 1_000_000)
    share = args.spoof_share if args.mode == "spoof" else 0.0
    if not 0.0 <= share <= 1.0:
        ap.error("--spoof-share must be between 0 and 1")

    t_start = time.time()
    rng = random.Random(args.seed)
    snap = args.snaplen

    # ---- hosts: hid 0..n4-1 IPv4, n4..n4+n6-1 IPv6; shuffled addresses
    n6 = int(round(args.hosts * args.v6_share))
    n4 = args.hosts - n6
    if n4 < max(1, args.victims):
        ap.error("too few IPv4 hosts")
    if n4 <= 131070:
        v4_net = ipaddress.IPv4Network("198.18.0.0/15")
    elif n4 <= 4194302:
        v4_net = ipaddress.IPv4Network("100.64.0.0/10")
    else:
        ap.error("at most 4194302 IPv4 hosts")
    v4_base = int(v4_net.network_address)
    addr = [struct.pack(">I", v4_base + i) for i in rng.sample(range(1, v4_net.num_addresses - 1), n4)]
    v6_base = int(ipaddress.IPv6Address("2001:db8::"))
    for _ in range(n6):
        addr.append((v6_base + (rng.getrandbits(64) << 16) + rng.getrandbits(16)).to_bytes(16, "big"))
    H = n4 + n6
    cw4 = zipf_cum_weights(n4, args.zipf)
    cw6 = zipf_cum_weights(n6, args.zipf) if n6 else None
    perm4 = list(range(n4)); rng.shuffle(perm4)
    perm6 = list(range(n4, H)); rng.shuffle(perm6)
    src_pop4 = range(n4)
    src_pop6 = range(n4, H)
    kind_w = mix.KIND_W if n6 else (mix.KIND_W[0], 0.0) + tuple(mix.KIND_W[2:])

    # ---- the flood
    snet = ipaddress.IPv4Network(args.spoof_net)
    sbits = 32 - snet.prefixlen
    if share > 0:
        if sbits > 24:
            ap.error("--spoof-net: at most a /8")
        if snet.overlaps(v4_net):
            ap.error("--spoof-net overlaps the hosts' %s" % v4_net)
    s_base = int(snet.network_address)
    s_mask = (1 << sbits) - 1
    victims = [perm4[i] for i in range(args.victims)]   # the busiest destinations
    vports = [int(p) for p in args.victim_ports.split(",")]

    # ---- timestamps, in chunks: (first_us, [offsets...]) per chunk
    day0 = args.start * 1_000_000
    hour0 = day0 + args.hour * 3_600_000_000
    hour1 = hour0 + 3_600_000_000
    if args.mode == "day":
        w = [1.0 + args.diurnal * math.sin(2 * math.pi * (m / 1440.0 - 9.0 / 24.0)) for m in range(1440)]
        per_min = allot(N, w)

        def chunks():
            rnd = rng.random
            for m, k in enumerate(per_min):
                if k:
                    t0 = day0 + m * MINUTE_US
                    yield sorted([t0 + int(rnd() * MINUTE_US) for _ in range(k)])
    else:
        mean_us = 1e6 / args.rate

        def chunks():
            t = hour0
            left = N
            expo = rng.expovariate
            lam = 1.0 / mean_us
            first = True
            while left:
                k = min(left, 65536)
                left -= k
                ts = []
                app = ts.append
                for _ in range(k):
                    if first:
                        first = False        # the first frame at the start
                    else:
                        g = int(expo(lam) + 0.5)
                        t += g if g > 0 else 1
                    app(t)
                yield ts

    # ---- templates
    eth_hdr = mix.eth_headers()
    arp_body, lldp_body = mix.ARP_BODY, mix.LLDP_BODY
    ip4 = struct.Struct(">BBHHHBBH4s4s")
    ip6 = struct.Struct(">IHBB16s16s")
    tcp = struct.Struct(">HHIIBBHHH")
    udp = struct.Struct(">HHHH")
    sctp = struct.Struct(">HHII")
    rec = struct.Struct("<IIII")
    hop_by_hop = struct.Struct(">BB6s")
    hbh_ext = hop_by_hop.pack(58, 0, mix.PADN)
    other_l4 = mix.OTHER_L4
    mld = mix.MLD
    zeros = bytes(2048)
    # the whole flood frame but its record header, one pack
    flood = struct.Struct(">12sH BBHHHBBHI4s HHIIBBHHH 6x")
    macs = mix.DST_MAC + mix.SRC_MAC
    flood_rec = struct.Struct("<IIII")
    tcp_srv, tcp_srv_w = mix.TCP_SRV, mix.TCP_SRV_W
    udp_srv, udp_srv_w = mix.UDP_SRV, mix.UDP_SRV_W
    hbh_cut = int(mix.HBH_SHARE * 1024)

    # ---- counters
    segs = {}
    seg_of = lambda t: 0 if t < hour0 else (1 if t < hour1 else 2)
    frames = non_ip = wire_all = 0
    last_min = [-1] * H            # the last minute each host was seen in
    minutes = 0
    minute_addrs = 0
    max_minute_addrs = 0
    flood_pk = 0
    fbits = bytearray((1 << sbits) // 8 + 1) if share > 0 else None
    ftype = "H" if sbits >= 20 else "I"     # packets per spoofed source

    out = open(args.out, "wb", buffering=1 << 22)
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, 1))
    first_ts = last_ts = None
    cur_min = -1
    cur_min_addrs = 0
    for ts in chunks():
        n = len(ts)
        # which frames are flood (spoof mode), and the ordinary ones' draws
        if share >= 1.0:
            is_flood = None
            n_ord = 0
        elif share > 0:
            rnd = rng.random
            is_flood = [rnd() < share for _ in range(n)]
            n_ord = n - sum(is_flood)
        else:
            is_flood = None
            n_ord = n
        if n_ord:
            kinds = rng.choices(mix.KIND_VALS, weights=kind_w, k=n_ord)
            k4 = kinds.count(0)
            k6 = kinds.count(1)
            s4 = rng.choices(src_pop4, cum_weights=cw4, k=k4)
            d4 = rng.choices(perm4, cum_weights=cw4, k=k4)
            p4 = rng.choices(mix.P4_VALS, weights=mix.P4_W, k=k4)
            if k6:
                s6 = rng.choices(src_pop6, cum_weights=cw6, k=k6)
                d6 = rng.choices(perm6, cum_weights=cw6, k=k6)
                p6 = rng.choices(mix.P6_VALS, weights=mix.P6_W, k=k6)
            vlans = rng.choices(mix.VLAN_VALS, weights=mix.VLAN_W, k=n_ord)
            rnd = rng.random
            r_size = [rnd() for _ in range(n_ord)]
            tflags = rng.choices(mix.TCP_FLAG_VALS, weights=mix.TCP_FLAG_W, k=n_ord)
            srv_t = rng.choices(tcp_srv, weights=tcp_srv_w, k=n_ord)
            srv_u = rng.choices(udp_srv, weights=udp_srv_w, k=n_ord)
            # 32 random bits per frame: ephemeral port, direction, HBH
            bits = struct.unpack("<%dI" % n_ord, rng.getrandbits(32 * n_ord).to_bytes(4 * n_ord, "little"))
        n_fl = n - n_ord
        if n_fl:
            # 96 random bits per flood frame: source, victim, port, id, TTL, seq
            fw = struct.unpack("<%dI" % (3 * n_fl), rng.getrandbits(96 * n_fl).to_bytes(12 * n_fl, "little"))
        i4 = i6 = io = ifl = 0
        chunk = []
        app = chunk.append
        seg = None
        seg_end = -1
        for j in range(n):
            t = ts[j]
            if t >= seg_end:
                sidx = seg_of(t)
                seg = segs.get(sidx)
                if seg is None:
                    seg = segs[sidx] = Segment(H)
                seg_end = hour0 if sidx == 0 else (hour1 if sidx == 1 else 1 << 62)
                src_pk, src_by, dst_pk, dst_by = seg.src_pk, seg.src_by, seg.dst_pk, seg.dst_by
                proto_pk, proto_by = seg.proto_pk, seg.proto_by
            mnt = t // MINUTE_US
            if mnt != cur_min:
                if cur_min_addrs:
                    minutes += 1
                    minute_addrs += cur_min_addrs
                    if cur_min_addrs > max_minute_addrs:
                        max_minute_addrs = cur_min_addrs
                if fbits is not None and cur_min >= 0:
                    fbits[:] = bytes(len(fbits))
                cur_min = mnt
                cur_min_addrs = 0
            if is_flood is None:
                fl = n_fl > 0
            else:
                fl = is_flood[j]
            if fl:
                # ---- a spoofed SYN
                a = fw[ifl]; b = fw[ifl + 1]; c = fw[ifl + 2]
                ifl += 3
                so = a & s_mask
                vi = victims[(a >> 24) % len(victims)] if len(victims) > 1 else victims[0]
                dport = vports[(b >> 28) % len(vports)]
                app(flood_rec.pack(t // 1_000_000, t % 1_000_000, FLOOD_WIRE, FLOOD_WIRE))
                app(flood.pack(macs, 0x0800, 0x45, 0, 40, b & 0xFFFF, 0, 32 + ((b >> 16) & 0xBF), 6, 0,
                               s_base + so, addr[vi], 1024 + (c >> 16) % 64511, dport, c, 0, 0x50, 0x02,
                               1024 if b & 0x100000 else 65535, 0, 0))
                fs = seg.flood
                if fs is None:
                    fs = seg.flood = array(ftype, bytes(array(ftype).itemsize << sbits))
                fs[so] += 1
                dst_pk[vi] += 1
                dst_by[vi] += FLOOD_WIRE
                proto_pk[6] += 1
                proto_by[6] += FLOOD_WIRE
                byte = fbits[so >> 3]
                m = 1 << (so & 7)
                if not byte & m:
                    fbits[so >> 3] = byte | m
                    cur_min_addrs += 1
                if last_min[vi] != mnt:
                    last_min[vi] = mnt
                    cur_min_addrs += 1
                flood_pk += 1
                wire_all += FLOOD_WIRE
                continue
            # ---- an ordinary frame (gen-pcap.py's rules)
            kind = kinds[io]
            vlan = vlans[io]
            r = r_size[io]
            wb = bits[io]
            if kind >= 2:
                et = 0x0806 if kind == 2 else 0x88CC
                frame = eth_hdr[(vlan, et)] + (arp_body if kind == 2 else lldp_body)
                wire = 64 if vlan else 60
                if wire < len(frame):
                    wire = len(frame)
                non_ip += 1
            else:
                l2 = 18 if vlan else 14
                if kind == 0:
                    proto = p4[i4]; sa = s4[i4]; da = d4[i4]
                    i4 += 1
                    l3 = 20
                    pk = proto
                else:
                    proto = p6[i6]; sa = s6[i6]; da = d6[i6]
                    i6 += 1
                    l3 = 40
                    pk = proto + 256
                ext = b""
                if proto == 6:
                    e = 32768 + (wb & 0xFFFF) % 28232
                    sp, dp = (srv_t[io], e) if wb & 0x10000 else (e, srv_t[io])
                    f = tflags[io]
                    l4 = tcp.pack(sp, dp, (frames * 2654435761) & 0xFFFFFFFF, (frames * 40503) & 0xFFFFFFFF,
                                  0x50 | (f >> 8), f & 0xFF, 65535, 0, 0)
                    if f == 0x010 and r < 0.75:
                        wire = 60 + int(r * 12)
                    elif r < 0.55:
                        wire = 1514
                    else:
                        wire = 60 + int(r * r * 1454)
                elif proto == 17:
                    e = 32768 + (wb & 0xFFFF) % 28232
                    sp, dp = (srv_u[io], e) if wb & 0x10000 else (e, srv_u[io])
                    wire = 60 + int(r * r * r * 1454)
                    ulen = wire - l2 - l3
                    l4 = udp.pack(sp, dp, ulen if ulen > 8 else 8, 0)
                elif proto == 132:
                    e = 32768 + (wb & 0xFFFF) % 28232
                    srv = 3868 if r < 0.5 else 2905
                    sp, dp = (srv, e) if wb & 0x10000 else (e, srv)
                    l4 = sctp.pack(sp, dp, 0x12345678, 0)
                    wire = 60 + int(r * 400)
                elif proto == 58 and ((wb >> 17) & 1023) < hbh_cut:
                    ext = hbh_ext
                    l4 = mld
                    wire = 90
                else:
                    l4 = other_l4[proto]
                    wire = 60 + int(r * r * 1454)
                hdr_len = l2 + l3 + len(ext) + len(l4)
                if wire < hdr_len:
                    wire = hdr_len
                if vlan:
                    wire += 4
                    seg.vlan += 1
                if kind == 0:
                    l3h = ip4.pack(0x45, 0, wire - l2, frames & 0xFFFF, 0x4000, 64, proto, 0, addr[sa], addr[da])
                    frame = eth_hdr[(vlan, 0x0800)] + l3h + l4
                else:
                    l3h = ip6.pack(0x60000000, wire - l2 - 40, 0 if ext else proto, 64, addr[sa], addr[da])
                    frame = eth_hdr[(vlan, 0x86DD)] + l3h + ext + l4
                src_pk[sa] += 1
                src_by[sa] += wire
                dst_pk[da] += 1
                dst_by[da] += wire
                proto_pk[pk] += 1
                proto_by[pk] += wire
                if last_min[sa] != mnt:
                    last_min[sa] = mnt
                    cur_min_addrs += 1
                if last_min[da] != mnt:
                    last_min[da] = mnt
                    cur_min_addrs += 1
            io += 1
            cap = wire if wire < snap else snap
            flen = len(frame)
            if flen < cap:
                frame += zeros[:cap - flen]
            elif flen > cap:
                frame = frame[:cap]
            wire_all += wire
            frames += 1
            app(rec.pack(t // 1_000_000, t % 1_000_000, cap, wire))
            app(frame)
        frames += n_fl
        if first_ts is None and n:
            first_ts = ts[0]
        if n:
            last_ts = ts[-1]
        out.write(b"".join(chunk))
    out.close()
    if cur_min_addrs:
        minutes += 1
        minute_addrs += cur_min_addrs
        max_minute_addrs = max(max_minute_addrs, cur_min_addrs)

    # ---- expected totals
    def text(h):
        return str(ipaddress.ip_address(addr[h]))

    def ftext(so):
        return str(ipaddress.IPv4Address(s_base + so))

    def top_hosts(val, other, n=10):
        """[(sortkey, [text, packets, bytes])] of the n best hosts by val"""
        if not any(val):
            return []
        t = sorted(val, reverse=True)[min(n, len(val)) - 1]
        if t == 0:
            t = 1
        c = [(-val[h], text(h), h) for h in range(len(val)) if val[h] >= t]
        c.sort()
        return c[:n]

    def top_flood(arr, n=10):
        """the n most frequent spoofed sources, ties by address text"""
        if arr is None:
            return []
        # the largest counts, from the top, until they hold n sources
        # (array.count and max run in C; the array is 16 M entries for a /8)
        vals = []
        need = n
        v = max(arr)
        while v > 0 and need > 0:
            c = arr.count(v)
            if c:
                vals.append((v, c))
                need -= c
            v -= 1
        cands = []
        for v, c in vals:
            k = -1
            for _ in range(c):
                k = arr.index(v, k + 1)
                cands.append((-v, ftext(k)))
        cands.sort()
        return cands[:n]

    def summarize(parts):
        if not parts:
            return None
        one = parts[0]
        if len(parts) > 1:
            tot = Segment(H)
            for p in parts:
                for a_, b_ in ((tot.src_pk, p.src_pk), (tot.src_by, p.src_by), (tot.dst_pk, p.dst_pk),
                               (tot.dst_by, p.dst_by), (tot.proto_pk, p.proto_pk), (tot.proto_by, p.proto_by)):
                    for i, v in enumerate(b_):
                        if v:
                            a_[i] += v
                tot.vlan += p.vlan
                if p.flood is not None:
                    if tot.flood is None:
                        tot.flood = array("H", p.flood)
                    else:
                        tf = tot.flood
                        for i, v in enumerate(p.flood):
                            if v:
                                tf[i] += v
            one = tot
        s = one
        ip_packets = sum(s.proto_pk)
        protos = collections.Counter()
        pbytes = collections.Counter()
        for k in range(512):
            if s.proto_pk[k]:
                p = k & 255
                name = "TCP" if p == 6 else "UDP" if p == 17 else str(p)
                protos[name] += s.proto_pk[k]
                pbytes[name] += s.proto_by[k]
        # sources: hosts and spoofed addresses
        def merge(host_c, flood_c, n=10):
            allc = [(k, t, h) for k, t, h in host_c] + [(k, t, None) for k, t in flood_c]
            allc.sort(key=lambda x: (x[0], x[1]))
            return allc[:n]

        def entry(x, pk, by, fl):
            k, t, h = x
            if h is None:
                c = -k if fl == "packets" else -k // FLOOD_WIRE
                return [t, c, c * FLOOD_WIRE]
            return [t, pk[h], by[h]]

        fl_top = top_flood(s.flood)
        fl_top_b = [(k * FLOOD_WIRE, t) for k, t in fl_top]
        res = {
            "ip_packets": ip_packets,
            "ip_bytes": sum(s.proto_by),
            "ipv4": sum(s.proto_pk[:256]),
            "ipv6": sum(s.proto_pk[256:]),
            "vlan_tagged_ip": s.vlan,
            "with_ports": sum(s.proto_pk[p] + s.proto_pk[p + 256] for p in (6, 17, 132)),
            "with_tcp_flags": s.proto_pk[6] + s.proto_pk[262],
            "protocols": dict(sorted(protos.items(), key=lambda kv: (-kv[1], kv[0]))),
            "protocol_bytes": dict(sorted(pbytes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "top_sources": [entry(x, s.src_pk, s.src_by, "packets")
                            for x in merge(top_hosts(s.src_pk, s.src_by), fl_top)],
            "top_destinations": [[t, s.dst_pk[h], s.dst_by[h]] for k, t, h in top_hosts(s.dst_pk, s.dst_by)],
            "top_sources_bytes": [entry(x, s.src_pk, s.src_by, "bytes")
                                  for x in merge(top_hosts(s.src_by, s.src_pk), fl_top_b)],
            "top_destinations_bytes": [[t, s.dst_pk[h], s.dst_by[h]] for k, t, h in top_hosts(s.dst_by, s.dst_pk)],
        }
        nsrc = sum(1 for v in s.src_pk if v)
        nfl = (len(s.flood) - s.flood.count(0)) if s.flood is not None else 0
        res["distinct_sources"] = nsrc + nfl
        res["distinct_destinations"] = sum(1 for v in s.dst_pk if v)
        res["distinct_addresses"] = sum(1 for h in range(H) if s.src_pk[h] or s.dst_pk[h]) + nfl
        return res

    whole = summarize([segs[k] for k in sorted(segs)])
    if list(segs) == [1]:
        hour = dict(whole)          # the whole file is inside the hour
    else:
        hour = summarize([segs[1]] if 1 in segs else [])
    if hour is None:
        hour = {"ip_packets": 0, "ip_bytes": 0}
    for k in ("distinct_sources", "distinct_destinations", "distinct_addresses"):
        hour.pop(k, None)
    hour["start_us"] = hour0
    hour["end_us"] = hour1
    hour["hour"] = args.hour

    expected = {
        "generator": "bench/gen-traffic.py",
        "mode": args.mode,
        "seed": args.seed,
        "hosts": H,
        "ipv4_hosts": n4,
        "ipv6_hosts": n6,
        "zipf": args.zipf,
        "spoof_share": share,
        "spoof_net": str(snet) if share > 0 else None,
        "victims": [text(v) for v in victims] if share > 0 else None,
        "rate_pps": args.rate if args.mode != "day" else None,
        "day_start_us": day0,
        "frames": frames,
        "non_ip": non_ip,
        "flood_packets": flood_pk,
        "wire_bytes": wire_all,
        "snaplen": snap,
        "first_ts_us": first_ts,
        "last_ts_us": last_ts,
    }
    expected.update(whole or {"ip_packets": 0, "ip_bytes": 0})
    expected["minutes"] = minutes
    expected["minute_addresses"] = minute_addrs
    expected["max_minute_addresses"] = max_minute_addrs
    expected["hour"] = hour
    expected["seconds"] = round(time.time() - t_start, 2)
    with open(args.json or args.out + ".json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("%s: %s, %d frames, %d IP packets (%d IPv4, %d IPv6, %d spoofed), %d non-IP, %d IP bytes, "
          "%d minutes, %d distinct addresses, %d (minute, address) pairs, %.1f s"
          % (args.out, args.mode, frames, expected["ip_packets"], expected.get("ipv4", 0), expected.get("ipv6", 0),
             flood_pk, non_ip, expected["ip_bytes"], minutes, expected.get("distinct_addresses", 0),
             minute_addrs, expected["seconds"]))
    print("top sources: " + ", ".join("%s %d" % (x[0], x[1]) for x in expected.get("top_sources", [])[:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
