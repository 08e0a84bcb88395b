#!/usr/bin/python3
"""Deterministic traffic generator for test/live-test.sh.

Writes a classic pcap file (Ethernet, microsecond timestamps) of COUNT
frames built with the standard library only, from a seeded PRNG, so the
same arguments always give the same bytes.  Prints a summary as JSON on
stdout (what was written, by kind), which live-test.sh uses as a sanity
check against what tcpdump saw.

    gen_traffic.py --out FILE --count N [--seed S] [--mac M] [--decoy-mac M]
                   [--decoys N] [--profile main|side]

Every frame carries source MAC --mac, except --decoys frames that carry
--decoy-mac: a capture filter "ether src <mac>" keeps exactly the
generated frames and drops the decoys and whatever the kernel itself
sends on the interface (IPv6 ND/MLD...).  IP frames go to a unicast MAC
that is nobody's, so the receiving kernel drops them (PACKET_OTHERHOST)
and never answers; the addresses are from the benchmarking ranges
198.18.0.0/15 and 2001:db8::/32 (documentation), never routed.

Profile "main" mixes: IPv4 and IPv6; TCP with many flag combinations;
UDP; ICMP and ICMPv6 echo; GRE (47) carrying IPv4/TCP; SCTP (132);
UDP-Lite (136); DCCP (33); other protocol numbers (50 ESP, 89 OSPF,
103 PIM, 253); IPv4 options; IPv4 first and later fragments; IPv6
hop-by-hop, routing, destination options and fragment headers, first
and later fragments; IPv6 "no next header" (59); 802.1Q tagged frames
and a few 802.1ad+802.1Q (QinQ); ARP requests and replies and a few
other non-IP EtherTypes (not_ip); frame sizes from 42 to 1514 bytes
(IP datagrams up to 1500 bytes).  One source and one destination
address are much busier than the rest, so the top talkers are
unambiguous.

Profile "side" is a smaller mix (UDP, TCP, ICMP, ARP) for the second,
concurrent capture.
"""
import argparse
import json
import random
import struct
import sys

DST_MAC = bytes.fromhex("02706b7463fe")     # unicast, nobody's
BCAST = b"\xff" * 6

TOP_SRC4 = "198.18.1.10"
TOP_DST4 = "198.19.2.20"

TCP_FLAG_SETS = [
    0x002,              # SYN
    0x012,              # SYN ACK
    0x010,              # ACK
    0x018,              # PSH ACK
    0x011,              # FIN ACK
    0x004,              # RST
    0x014,              # RST ACK
    0x030,              # URG ACK
    0x0C2,              # SYN ECE CWR
    0x052,              # SYN ACK ECE
    0x110,              # AE(NS) ACK
    0x0FF,              # all eight classic flags
    0x000,              # none
    0x029,              # FIN PSH URG (xmas-ish)
    0xE10,              # reserved bits + ACK
]


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    # minimal inet_pton for the forms used here ("x:y::z")
    if "::" in a:
        head, tail = a.split("::")
        h = [int(x, 16) for x in head.split(":") if x]
        t = [int(x, 16) for x in tail.split(":") if x]
        words = h + [0] * (8 - len(h) - len(t)) + t
    else:
        words = [int(x, 16) for x in a.split(":")]
    return struct.pack("!8H", *words)


def eth(src, dst, ethertype, payload, vlans=()):
    """vlans: list of (tpid, vid), outermost first."""
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid & 0x0FFF)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, options=b"", ttl=64):
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag,
                      ttl, proto, 0, ip4(src), ip4(dst)) + options
    c = csum(hdr)
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       ip6(src), ip6(dst)) + payload


def tcp(sport, dport, flags, data):
    off_flags = (5 << 12) | (flags & 0x0FFF)
    return struct.pack("!HHIIHHHH", sport, dport, 0x01020304, 0x0A0B0C0D,
                       off_flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def udplite(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8, 0) + data


def sctp(sport, dport, data):
    # common header + one DATA chunk
    chunk_len = 16 + len(data)
    chunk = struct.pack("!BBHIHHI", 0, 3, chunk_len, 1, 1, 0, 0) + data
    chunk += b"\0" * ((4 - chunk_len % 4) % 4)
    return struct.pack("!HHII", sport, dport, 0x11223344, 0) + chunk


def dccp(sport, dport, data):
    # generic header, X=1 (48-bit sequence), type 2 (Data): 16 bytes
    return struct.pack("!HHBBHBBHI", sport, dport, 4, 0, 0,
                       (2 << 1) | 1, 0, 0, 0x01020304) + data


def icmp_echo(ident, seq, data):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def icmp6_echo(ident, seq, data):
    return struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data


def gre_ipv4(inner):
    return struct.pack("!HH", 0, 0x0800) + inner


def arp(oper, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, oper,
                       sha, ip4(spa), tha, ip4(tpa))


def ext_opts(nh):
    """Hop-by-hop or destination options: 8 bytes, one PadN."""
    return struct.pack("!BBBB4s", nh, 0, 1, 4, b"\0" * 4)


def ext_routing2(nh, addr):
    """Type 2 routing header (RFC 6275): 24 bytes."""
    return struct.pack("!BBBBI16s", nh, 2, 2, 1, 0, ip6(addr))


def ext_frag(nh, offset8, more, ident):
    return struct.pack("!BBHI", nh, 0, (offset8 << 3) | (1 if more else 0),
                       ident)


class Gen:
    def __init__(self, seed, src_mac, profile):
        self.r = random.Random(seed)
        self.mac = src_mac
        self.profile = profile
        self.src4 = ["198.18.%d.%d" % (self.r.randrange(0, 256),
                                       self.r.randrange(1, 255))
                     for _ in range(150)]
        self.dst4 = ["198.19.%d.%d" % (self.r.randrange(0, 256),
                                       self.r.randrange(1, 255))
                     for _ in range(150)]
        self.src6 = ["2001:db8:%x::%x" % (self.r.randrange(1, 0xffff),
                                          self.r.randrange(1, 0xffff))
                     for _ in range(80)]
        self.dst6 = ["2001:db8:ffff:%x::%x" % (self.r.randrange(1, 0xffff),
                                               self.r.randrange(1, 0xffff))
                     for _ in range(80)]
        self.ident = 0
        self.maxip = 1500

    # -- helpers ---------------------------------------------------------
    def a4(self):
        r = self.r
        s = TOP_SRC4 if r.random() < 0.30 else r.choice(self.src4)
        d = TOP_DST4 if r.random() < 0.25 else r.choice(self.dst4)
        return s, d

    def a6(self):
        return self.r.choice(self.src6), self.r.choice(self.dst6)

    def port(self):
        r = self.r
        return r.choice([53, 80, 443, 123, 5432, 0, 65535]) \
            if r.random() < 0.3 else r.randrange(1, 65536)

    def fill(self, n):
        n = max(0, n)
        b = self.r.randrange(0, 256)
        return bytes((b + i) & 0xFF for i in range(n))

    def ip_len(self, minimum):
        """An IP datagram size: many small, some large, a few maximal."""
        r = self.r
        x = r.random()
        if x < 0.45:
            n = r.randrange(minimum, minimum + 64)
        elif x < 0.90:
            n = r.randrange(minimum, 1501)
        else:
            n = self.maxip
        return max(minimum, min(n, self.maxip))

    def vlans(self):
        x = self.r.random()
        if x < 0.04:
            return [(0x8100, self.r.randrange(1, 4095))]
        if x < 0.05:
            return [(0x88A8, self.r.randrange(1, 4095)),
                    (0x8100, self.r.randrange(1, 4095))]
        return []

    def nextid(self):
        self.ident = (self.ident + 1) & 0xFFFF
        return self.ident

    # -- frames ----------------------------------------------------------
    def v4(self, kind):
        r = self.r
        s, d = self.a4()
        opts = b""
        if kind == "tcp4_opts":
            n = r.choice([4, 8, 12, 40])
            opts = b"\x01" * (n - 1) + b"\x00"
        hl = 20 + len(opts)
        if kind in ("tcp4", "tcp4_opts"):
            total = self.ip_len(hl + 20)
            pl = tcp(self.port(), self.port(), r.choice(TCP_FLAG_SETS),
                     self.fill(total - hl - 20))
            return ipv4(s, d, 6, pl, self.nextid(), 0x4000, opts)
        if kind == "udp4":
            total = self.ip_len(hl + 8)
            return ipv4(s, d, 17, udp(self.port(), self.port(),
                                      self.fill(total - hl - 8)), self.nextid())
        if kind == "icmp4":
            total = self.ip_len(28)
            return ipv4(s, d, 1, icmp_echo(r.randrange(65536), r.randrange(65536),
                                           self.fill(total - 28)), self.nextid())
        if kind == "gre4":
            total = self.ip_len(20 + 4 + 20 + 20)
            inner = ipv4("198.18.200.1", "198.18.200.2", 6,
                         tcp(1111, 2222, 0x18, self.fill(total - 64)),
                         self.nextid())
            return ipv4(s, d, 47, gre_ipv4(inner), self.nextid())
        if kind == "sctp4":
            total = self.ip_len(20 + 12 + 16)
            return ipv4(s, d, 132, sctp(self.port(), self.port(),
                                        self.fill((total - 48) & ~3)),
                        self.nextid())
        if kind == "udplite4":
            total = self.ip_len(28)
            return ipv4(s, d, 136, udplite(self.port(), self.port(),
                                           self.fill(total - 28)), self.nextid())
        if kind == "dccp4":
            total = self.ip_len(36)
            return ipv4(s, d, 33, dccp(self.port(), self.port(),
                                       self.fill(total - 36)), self.nextid())
        if kind == "other4":
            proto = r.choice([50, 89, 103, 253, 2, 254])
            total = self.ip_len(24)
            return ipv4(s, d, proto, self.fill(total - 20), self.nextid())
        if kind == "frag4_first":
            proto = r.choice([17, 6])
            ident = self.nextid()
            # payload of a first fragment: a multiple of 8 bytes
            n = max(32, (self.ip_len(60) - 20) & ~7)
            if proto == 17:
                pl = udp(self.port(), self.port(), self.fill(n - 8 + 400))[:n]
            else:
                pl = tcp(self.port(), self.port(), 0x18, self.fill(n - 20))
            return ipv4(s, d, proto, pl, ident, 0x2000)
        if kind == "frag4_later":
            proto = r.choice([17, 6, 1, 47])
            off = r.randrange(1, 8000)
            more = 0x2000 if r.random() < 0.5 else 0
            total = self.ip_len(28)
            # bytes that would look like ports if wrongly decoded
            return ipv4(s, d, proto, self.fill(total - 20), self.nextid(),
                        more | off)
        raise ValueError(kind)

    def v6(self, kind):
        r = self.r
        s, d = self.a6()
        if kind == "tcp6":
            total = self.ip_len(60)
            return ipv6(s, d, 6, tcp(self.port(), self.port(),
                                     r.choice(TCP_FLAG_SETS), self.fill(total - 60)))
        if kind == "udp6":
            total = self.ip_len(48)
            return ipv6(s, d, 17, udp(self.port(), self.port(), self.fill(total - 48)))
        if kind == "icmp6":
            total = self.ip_len(48)
            return ipv6(s, d, 58, icmp6_echo(r.randrange(65536), r.randrange(65536),
                                             self.fill(total - 48)))
        if kind == "sctp6":
            total = self.ip_len(68)
            return ipv6(s, d, 132, sctp(self.port(), self.port(),
                                        self.fill((total - 68) & ~3)))
        if kind == "nonxt6":
            total = self.ip_len(40)
            return ipv6(s, d, 59, self.fill(total - 40))
        if kind == "ext6":
            # a chain of extension headers, then TCP or UDP
            chain = r.choice([[0], [60], [43], [0, 60], [0, 43, 60], [0, 44],
                              [44], [60, 44]])
            upper = r.choice([6, 17])
            upper_len = 20 if upper == 6 else 8
            ext_len = sum({0: 8, 60: 8, 43: 24, 44: 8}[h] for h in chain)
            total = self.ip_len(40 + ext_len + upper_len)
            body = self.fill(total - 40 - ext_len - upper_len)
            if upper == 6:
                pl = tcp(self.port(), self.port(), r.choice(TCP_FLAG_SETS), body)
            else:
                pl = udp(self.port(), self.port(), body)
            nh = upper
            for h in reversed(chain):
                if h in (0, 60):
                    pl = ext_opts(nh) + pl
                elif h == 43:
                    pl = ext_routing2(nh, "2001:db8:1::1") + pl
                else:
                    pl = ext_frag(nh, 0, True, r.randrange(1 << 32)) + pl
                nh = h
            return ipv6(s, d, nh, pl)
        if kind == "frag6_later":
            upper = r.choice([6, 17, 58])
            total = self.ip_len(56)
            pl = ext_frag(upper, r.randrange(1, 8000), r.random() < 0.5,
                          r.randrange(1 << 32)) + self.fill(total - 48)
            if r.random() < 0.5:
                return ipv6(s, d, 44, pl)
            return ipv6(s, d, 0, ext_opts(44) + pl[:len(pl) - 8])
        raise ValueError(kind)

    def non_ip(self):
        r = self.r
        x = r.random()
        if x < 0.75:
            oper = r.choice([1, 2])
            spa = r.choice(self.src4)
            tpa = r.choice(self.dst4)
            if oper == 1:
                body = arp(1, self.mac, spa, b"\0" * 6, tpa)
                dst = BCAST
            else:
                body = arp(2, self.mac, spa, DST_MAC, tpa)
                dst = DST_MAC
            if r.random() < 0.5:
                body += b"\0" * 18          # padded to 60 bytes
            return dst, 0x0806, body
        if x < 0.9:
            return DST_MAC, 0x88B5, self.fill(r.randrange(46, 200))  # local experimental
        return DST_MAC, 0x88CC, self.fill(r.randrange(46, 100))      # LLDP-ish

    def frame(self):
        """(bytes, kind) of one frame."""
        r = self.r
        if self.profile == "side":
            kinds = [("udp4", 40), ("tcp4", 25), ("icmp4", 10), ("udp6", 15),
                     ("nonip", 10)]
        else:
            kinds = [("tcp4", 22), ("udp4", 14), ("icmp4", 4), ("tcp4_opts", 2),
                     ("gre4", 2), ("sctp4", 2), ("udplite4", 1), ("dccp4", 1),
                     ("other4", 2), ("frag4_first", 2), ("frag4_later", 3),
                     ("tcp6", 14), ("udp6", 9), ("icmp6", 3), ("sctp6", 1),
                     ("nonxt6", 1), ("ext6", 6), ("frag6_later", 3),
                     ("nonip", 3)]
        tot = sum(w for _, w in kinds)
        x = r.random() * tot
        for kind, w in kinds:
            x -= w
            if x < 0:
                break
        vl = self.vlans() if self.profile == "main" else []
        # A packet socket sends 1514 bytes, or 1518 if the frame starts
        # with an 802.1Q tag; 802.1ad (QinQ) frames must fit in 1514.
        self.maxip = 1500 if len(vl) <= 1 else 1492
        if kind == "nonip":
            dst, et, body = self.non_ip()
            return eth(self.mac, dst, et, body, vl), "non_ip"
        if "6" in kind:
            pkt = self.v6(kind)
            et = 0x86DD
        else:
            pkt = self.v4(kind)
            et = 0x0800
        assert len(pkt) <= self.maxip, (kind, len(pkt))
        return eth(self.mac, DST_MAC, et, pkt, vl), kind


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mac", default="02:70:6b:74:63:01")
    ap.add_argument("--decoy-mac", default="02:70:6b:74:63:99")
    ap.add_argument("--decoys", type=int, default=0)
    ap.add_argument("--profile", choices=["main", "side"], default="main")
    ap.add_argument("--start", type=int, default=1700000000)
    args = ap.parse_args()

    g = Gen(args.seed, mac(args.mac), args.profile)
    decoy = Gen(args.seed + 1000, mac(args.decoy_mac), "side")
    # decoys at deterministic positions
    dpos = set(random.Random(args.seed + 7).sample(range(args.count + args.decoys),
                                                    args.decoys))
    summary = {"frames": 0, "matching": 0, "decoys": 0, "ip": 0, "non_ip": 0,
               "vlan": 0, "bytes": 0, "max_len": 0, "min_len": 1 << 30,
               "kinds": {}}
    ts = args.start * 1000000
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(args.count + args.decoys):
            if i in dpos:
                fr, kind = decoy.frame()
                summary["decoys"] += 1
            else:
                fr, kind = g.frame()
                summary["matching"] += 1
                summary["kinds"][kind] = summary["kinds"].get(kind, 0) + 1
                summary["ip" if kind != "non_ip" else "non_ip"] += 1
                if fr[12:14] in (b"\x81\x00", b"\x88\xa8"):
                    summary["vlan"] += 1
                summary["bytes"] += len(fr)
                summary["max_len"] = max(summary["max_len"], len(fr))
                summary["min_len"] = min(summary["min_len"], len(fr))
            summary["frames"] += 1
            ts += 10
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000,
                                len(fr), len(fr)))
            f.write(fr)
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
