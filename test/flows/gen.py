#!/usr/bin/python3
"""Deterministic traffic for test/flows-test.sh: conversations whose
packets and bytes each way, intervals and initiators are known.

    gen.py MODE --out FILE.pcap --truth FILE.tsv [--json FILE.json]
           [--start EPOCH] [--interval SECONDS] [--seed S] [--mac M]

Writes a classic pcap (Ethernet, microsecond timestamps, frames whole:
caplen = len, sent to a unicast MAC that is nobody's) and, in --truth,
one line per IP frame as the generator built it, in the format of
test/golden/tshark2tsv.py (the same columns tshark's reading gives, so
that test/flows/flowcheck.py reads either):

    frame ip_version src dst ip_proto src_port dst_port tcp_flags vlan_id
    packet_size captured_size capture_time

Timestamps increase (never two frames out of order), except in mode
disorder.  --start is rounded
down to a whole interval from 2000-01-01 00:00 UTC, as pktcapture's
intervals are.  Modes:

  mix    four intervals of conversations with every case of the contract:
         TCP handshakes (IPv4, IPv6) spanning intervals in which the
         server speaks first, a connection seen mid-stream (no SYN), one
         whose SYN was missed (SYN+ACK first), UDP queries from many
         ports, IPv6 UDP, ICMP and ICMPv6 echo, the same UDP 5-tuple
         untagged and on VLANs 100 and 200 (three conversations), QinQ
         (outer tag 300), IPv4 and IPv6 fragments (later fragments have no
         ports: a conversation of their own), GRE, SCTP, OSPF to a
         multicast group, packets at an interval's last microsecond and
         first, a conversation whose initiator changes after an interval
         of silence, and random background traffic among a few hosts.
  long   a TCP connection over --intervals intervals (SYN from
         10.3.0.1:45000 to 10.4.0.1:443 in the first, FIN in the last),
         silent in a few (--gaps), the server speaking first in every
         other interval (except right after a gap); a UDP stream
         10.3.0.2:5000 <-> 10.4.0.2:5001 started by 10.3.0.2, active in
         every interval, 10.4.0.2 first in each after the first; short
         DNS exchanges beside them.
  flood  intervals of --flood-capacity-like layouts: interval 0: 50
         ordinary conversations; interval 1: exactly --conv conversations
         (64); interval 2: 10 established conversations, then --flood
         packets from spoofed random sources and ports, to 10.9.0.1:80,
         10.9.0.2:443 (TCP SYN), 10.9.0.3:53 (UDP), 2001:db8:9::1:80
         (IPv6 SYN) and to random destinations and ports (TCP or UDP);
         interval 3: the established ones again, then a smaller flood.
  days   a few UDP and TCP exchanges on each of --days (days before
         --start, e.g. 10,5,1,0), each at 12:00 UTC of its day except
         day 0, at --start itself.
  disorder  --intervals intervals of --conv conversations each (a SYN
         and its SYN+ACK, to 10 servers), then, later in the file with
         older timestamps, --conv new ones in each interval of --revisit:
         intervals a run has written come back.
  live   --conversations small conversations (TCP handshakes, UDP, ICMP,
         IPv6), for replay on a link; timestamps only order them.

--json: a summary (frames, ip, bytes; per mode, what the test needs).
Standard library only; same arguments, same bytes.
"""
import argparse
import datetime
import ipaddress
import json
import random
import struct
import sys

EPOCH2000 = 946684800
DST_MAC = bytes.fromhex("02706b7463fe")     # unicast, nobody's

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ipb(a):
    return ipaddress.ip_address(a).packed


class Pcap:
    def __init__(self, src_mac):
        self.frames = []        # (time_us, seq, bytes, truth or None)
        self.src_mac = src_mac
        self.seq = 0

    def add(self, t_us, frame, truth):
        self.frames.append((t_us, self.seq, frame, truth))
        self.seq += 1

    keep_order = False     # write the frames as they are (timestamps may go back)

    def write(self, out, truth_out):
        if not self.keep_order:
            self.frames.sort(key=lambda f: (f[0], f[1]))
        n = 0
        with open(out, "wb") as f, open(truth_out, "w") as t:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for i, (us, _, frame, truth) in enumerate(self.frames, 1):
                f.write(struct.pack("<IIII", us // 1000000, us % 1000000,
                                    len(frame), len(frame)))
                f.write(frame)
                if truth is not None:
                    v = [str(i)] + [("\\N" if x is None else str(x)) for x in truth]
                    v += [str(len(frame)), str(len(frame)),
                          "%d.%06d" % (us // 1000000, us % 1000000)]
                    t.write("\t".join(v) + "\n")
                    n += 1
        return n


def eth(src_mac, payload, ethertype, vlans=()):
    h = DST_MAC + src_mac
    for i, v in enumerate(vlans):
        tpid = 0x88A8 if (i == 0 and len(vlans) > 1) else 0x8100
        h += struct.pack("!HH", tpid, v & 0x0FFF)
    return h + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, frag, 64, proto,
                       0, ipb(src), ipb(dst)) + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       ipb(src), ipb(dst)) + payload


def tcp(sport, dport, flags, data):
    return struct.pack("!HHIIHHHH", sport, dport, 1000, 2000,
                       (5 << 12) | (flags & 0x1FF), 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def sctp(sport, dport, data):
    pad = (-len(data)) % 4
    chunk = struct.pack("!BBHIHHI", 0, 3, 16 + len(data), 1, 1, 0, 0) + data + b"\0" * pad
    return struct.pack("!HHII", sport, dport, 0x11223344, 0) + chunk


class Gen:
    def __init__(self, args):
        self.a = args
        self.r = random.Random(args.seed)
        self.p = Pcap(bytes.fromhex(args.mac.replace(":", "")))
        self.I = args.interval * 1000000
        s = args.start - EPOCH2000
        self.S = (EPOCH2000 + s - s % args.interval) * 1000000   # microseconds

    def payload(self, lo=0, hi=1200):
        return bytes(self.r.randrange(256) for _ in range(self.r.randint(lo, hi)))

    def ip(self, src, dst, proto, l4, vlans=(), ident=0, frag=0):
        if ":" in src:
            return eth(self.p.src_mac, ipv6(src, dst, proto, l4), 0x86DD, vlans)
        return eth(self.p.src_mac, ipv4(src, dst, proto, l4, ident, frag), 0x0800, vlans)

    def pkt(self, t, src, dst, proto, sport=None, dport=None, flags=None,
            data=None, vlans=()):
        """One packet at t (microseconds); its truth line."""
        if data is None:
            data = self.payload()
        if proto == 6:
            l4 = tcp(sport, dport, flags, data)
        elif proto == 17:
            l4 = udp(sport, dport, data)
        elif proto == 132:
            l4 = sctp(sport, dport, data)
        elif proto == 1:
            l4 = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + data
        elif proto == 58:
            l4 = struct.pack("!BBHHH", 128, 0, 0, 1, 1) + data
        elif proto == 47:
            l4 = struct.pack("!HH", 0, 0x0800) + ipv4("192.0.2.1", "192.0.2.2", 17, udp(1, 2, data))
        else:
            l4 = data
        frame = self.ip(src, dst, proto, l4, vlans)
        ports = proto in (6, 17, 132)
        self.p.add(t, frame, (6 if ":" in src else 4, norm(src), norm(dst), proto,
                              sport if ports else None, dport if ports else None,
                              flags if proto == 6 else None,
                              vlans[0] if vlans else None))

    def frag4(self, t, src, dst, sport, dport, ident, nfrag):
        """A UDP datagram in nfrag IPv4 fragments: the first has the ports."""
        data = self.payload(800, 1200)
        l4 = udp(sport, dport, data * nfrag)
        step = (len(l4) // nfrag) // 8 * 8
        for i in range(nfrag):
            part = l4[i * step:(i + 1) * step] if i < nfrag - 1 else l4[i * step:]
            fl = (i * step // 8) | (0x2000 if i < nfrag - 1 else 0)
            frame = eth(self.p.src_mac, ipv4(src, dst, 17, part, ident, fl), 0x0800)
            self.p.add(t + i, frame, (4, src, dst, 17, sport if i == 0 else None,
                                      dport if i == 0 else None, None, None))

    def frag6(self, t, src, dst, sport, dport, ident, nfrag):
        data = self.payload(800, 1200)
        l4 = udp(sport, dport, data * nfrag)
        step = (len(l4) // nfrag) // 8 * 8
        for i in range(nfrag):
            part = l4[i * step:(i + 1) * step] if i < nfrag - 1 else l4[i * step:]
            off = (i * step // 8) << 3 | (1 if i < nfrag - 1 else 0)
            fh = struct.pack("!BBHI", 17, 0, off, ident)
            frame = eth(self.p.src_mac, ipv6(src, dst, 44, fh + part), 0x86DD)
            self.p.add(t + i, frame, (6, norm(src), norm(dst), 17, sport if i == 0 else None,
                                      dport if i == 0 else None, None, None))

    def at(self, k, frac):
        """Microseconds at fraction frac of interval k."""
        return self.S + k * self.I + int(frac * self.I)

    def tcp_exchange(self, t0, t1, c, cp, s, sp, n, server_first=False, vlans=()):
        """n data packets between t0 and t1, alternating; who speaks first."""
        ts = sorted(self.r.randrange(t0, t1) for _ in range(n))
        for i, t in enumerate(ts):
            from_client = (i % 2 == 0) != server_first
            if from_client:
                self.pkt(t, c, s, 6, cp, sp, PSH | ACK if i % 3 else ACK, vlans=vlans)
            else:
                self.pkt(t, s, c, 6, sp, cp, PSH | ACK if i % 3 else ACK, vlans=vlans)

    def handshake(self, t, c, cp, s, sp, vlans=()):
        self.pkt(t, c, s, 6, cp, sp, SYN, data=b"", vlans=vlans)
        self.pkt(t + 100, s, c, 6, sp, cp, SYN | ACK, data=b"", vlans=vlans)
        self.pkt(t + 200, c, s, 6, cp, sp, ACK, data=b"", vlans=vlans)

    def close(self, t, c, cp, s, sp):
        self.pkt(t, c, s, 6, cp, sp, FIN | ACK, data=b"")
        self.pkt(t + 100, s, c, 6, sp, cp, FIN | ACK, data=b"")
        self.pkt(t + 200, c, s, 6, cp, sp, ACK, data=b"")


def norm(a):
    return str(ipaddress.ip_address(a))


def mode_mix(g):
    at = g.at
    # A: TCP4, handshake in interval 0, the server first in 1, FIN in 2
    c, s = "10.1.0.1", "10.2.0.1"
    g.handshake(at(0, 0.10), c, 40001, s, 443)
    g.tcp_exchange(at(0, 0.11), at(0, 0.9), c, 40001, s, 443, 30)
    g.tcp_exchange(at(1, 0.05), at(1, 0.9), c, 40001, s, 443, 25, server_first=True)
    g.tcp_exchange(at(2, 0.05), at(2, 0.5), c, 40001, s, 443, 10, server_first=True)
    g.close(at(2, 0.6), c, 40001, s, 443)
    # B: TCP6, handshake in 0, the server first in 1
    c, s = "2001:db8:1::1", "2001:db8:2::1"
    g.handshake(at(0, 0.20), c, 40002, s, 80)
    g.tcp_exchange(at(0, 0.21), at(0, 0.95), c, 40002, s, 80, 20)
    g.tcp_exchange(at(1, 0.02), at(1, 0.7), c, 40002, s, 80, 20, server_first=True)
    # C: mid-stream, no SYN: the first packet's sender (the server here)
    g.tcp_exchange(at(0, 0.3), at(0, 0.8), "10.1.0.2", 50000, "10.2.0.2", 22, 15, server_first=True)
    # D: the SYN missed: SYN+ACK first, its receiver initiated
    g.pkt(at(0, 0.4), "10.2.0.3", "10.1.0.3", 6, 8080, 40003, SYN | ACK, data=b"")
    g.tcp_exchange(at(0, 0.41), at(0, 0.6), "10.1.0.3", 40003, "10.2.0.3", 8080, 8, server_first=True)
    # E: UDP queries from many ports, across the intervals
    for i in range(24):
        t = at(i % 4, 0.05 + 0.035 * i)
        g.pkt(t, "10.1.0.4", "10.2.0.53", 17, 5353 + i, 53, data=g.payload(20, 60))
        g.pkt(t + 900, "10.2.0.53", "10.1.0.4", 17, 53, 5353 + i, data=g.payload(40, 400))
    # F: UDP6, in every interval
    for k in range(4):
        for j in range(6):
            t = at(k, 0.1 + 0.12 * j)
            if j % 2:
                g.pkt(t, "2001:db8:2::53", "2001:db8:1::4", 17, 53, 6000)
            else:
                g.pkt(t, "2001:db8:1::4", "2001:db8:2::53", 17, 6000, 53)
    # G: ICMP and ICMPv6 echo
    for j in range(5):
        g.pkt(at(1, 0.2 + 0.1 * j), "10.1.0.5", "10.2.0.5", 1, data=g.payload(56, 56))
        g.pkt(at(1, 0.2 + 0.1 * j) + 500, "10.2.0.5", "10.1.0.5", 1, data=g.payload(56, 56))
        g.pkt(at(2, 0.2 + 0.1 * j), "2001:db8:1::5", "2001:db8:2::5", 58, data=g.payload(56, 56))
        g.pkt(at(2, 0.2 + 0.1 * j) + 500, "2001:db8:2::5", "2001:db8:1::5", 58, data=g.payload(56, 56))
    # H: one UDP 5-tuple untagged, on VLAN 100 and 200: three conversations;
    # and QinQ (outer 300, inner 301)
    for vl, n in (((), 3), ((100,), 5), ((200,), 7), ((300, 301), 4)):
        for j in range(n):
            t = at(2, 0.3 + 0.05 * j) + (vl[0] if vl else 0)
            if j % 3 == 2:
                g.pkt(t, "10.2.0.6", "10.1.0.6", 17, 7000, 7000, vlans=vl)
            else:
                g.pkt(t, "10.1.0.6", "10.2.0.6", 17, 7000, 7000, vlans=vl)
    # I: IPv4 fragments; the whole answer the other way
    g.frag4(at(1, 0.5), "10.1.0.7", "10.2.0.7", 9000, 9001, 0x4242, 3)
    g.frag4(at(1, 0.6), "10.1.0.7", "10.2.0.7", 9000, 9001, 0x4243, 2)
    g.pkt(at(1, 0.65), "10.2.0.7", "10.1.0.7", 17, 9001, 9000)
    # J: IPv6 fragments
    g.frag6(at(3, 0.5), "2001:db8:1::7", "2001:db8:2::7", 9100, 9101, 77, 3)
    # K: GRE, L: SCTP, P: OSPF to a group
    for j in range(4):
        g.pkt(at(3, 0.1 + 0.1 * j), "10.1.0.8" if j % 2 else "10.2.0.8",
              "10.2.0.8" if j % 2 else "10.1.0.8", 47)
        g.pkt(at(3, 0.15 + 0.1 * j), "10.1.0.9" if j % 2 == 0 else "10.2.0.9",
              "10.2.0.9" if j % 2 == 0 else "10.1.0.9", 132, 3868, 3868)
        g.pkt(at(0, 0.15 + 0.2 * j), "10.1.0.12", "224.0.0.5", 89, data=g.payload(40, 80))
    # M: the last microsecond of interval 0, the first of 1, the last of 1
    g.pkt(at(1, 0) - 1, "10.1.0.10", "10.2.0.10", 17, 1111, 2222)
    g.pkt(at(1, 0), "10.2.0.10", "10.1.0.10", 17, 2222, 1111)
    g.pkt(at(2, 0) - 1, "10.1.0.10", "10.2.0.10", 17, 1111, 2222)
    # N: 10.2.0.11 first in interval 0; silent in 1; 10.1.0.11 first in 2
    g.pkt(at(0, 0.5), "10.2.0.11", "10.1.0.11", 17, 6000, 5000)
    g.pkt(at(0, 0.6), "10.1.0.11", "10.2.0.11", 17, 5000, 6000)
    g.pkt(at(2, 0.5), "10.1.0.11", "10.2.0.11", 17, 5000, 6000)
    g.pkt(at(2, 0.6), "10.2.0.11", "10.1.0.11", 17, 6000, 5000)
    # O: background among a few hosts, a few ports
    hosts4 = ["10.5.0.%d" % i for i in range(1, 7)]
    hosts6 = ["2001:db8:5::%d" % i for i in range(1, 4)]
    for _ in range(400):
        hs = hosts4 if g.r.random() < 0.75 else hosts6
        a, b = g.r.sample(hs, 2)
        proto = g.r.choice((6, 6, 17, 17, 1 if hs is hosts4 else 58))
        t = at(0, 0) + g.r.randrange(4 * g.I)
        if proto in (6, 17):
            g.pkt(t, a, b, proto, g.r.choice((1000, 1001, 1002)), g.r.choice((80, 443)),
                  g.r.choice((ACK, PSH | ACK, FIN | ACK, RST)) if proto == 6 else None)
        else:
            g.pkt(t, a, b, proto)


def mode_long(g):
    a = g.a
    gaps = set(int(x) for x in a.gaps.split(",") if x != "")
    c, s = "10.3.0.1", "10.4.0.1"
    uc, us = "10.3.0.2", "10.4.0.2"
    g.handshake(g.at(0, 0.01), c, 45000, s, 443)
    active = []
    for k in range(a.intervals):
        # UDP stream: 10.3.0.2 first in interval 0 only
        n = g.r.randint(4, 12)
        for j, t in enumerate(sorted(g.r.randrange(g.at(k, 0.02), g.at(k, 0.98)) for _ in range(n))):
            if (j % 2 == 0) == (k == 0):
                g.pkt(t, uc, us, 17, 5000, 5001)
            else:
                g.pkt(t, us, uc, 17, 5001, 5000)
        # DNS beside
        t = g.at(k, 0.5)
        g.pkt(t, "10.3.0.9", "10.4.0.53", 17, 20000 + k, 53, data=g.payload(20, 50))
        g.pkt(t + 700, "10.4.0.53", "10.3.0.9", 17, 53, 20000 + k, data=g.payload(50, 300))
        if k in gaps:
            continue
        active.append(k)
        after_gap = k > 0 and (k - 1) in gaps
        server_first = k % 2 == 1 and not after_gap
        end = 0.7 if k == a.intervals - 1 else 0.99
        g.tcp_exchange(g.at(k, 0.02), g.at(k, end), c, 45000, s, 443, g.r.randint(20, 60),
                       server_first=server_first)
    g.close(g.at(a.intervals - 1, 0.8), c, 45000, s, 443)
    return {"tcp_active_intervals": active, "intervals": a.intervals}


def rand4(r):
    while True:
        x = r.randrange(0x01000000, 0xE0000000)
        if x >> 24 not in (10, 127):
            return str(ipaddress.IPv4Address(x))


def mode_flood(g):
    a = g.a
    r = g.r
    info = {}

    def ordinary(k, n, lo, hi, base):
        # n conversations, each a few packets both ways inside [lo, hi) of interval k,
        # each started (first packet) in the order of i
        starts = [g.at(k, lo) + i * 1000 for i in range(n)]
        for i in range(n):
            c = "10.7.%d.%d" % (base, i + 1)
            s = "10.8.0.%d" % (i % 5 + 1)
            t = starts[i]
            g.pkt(t, c, s, 6, 30000 + i, 80, SYN, data=b"")
            g.pkt(t + 50, s, c, 6, 80, 30000 + i, SYN | ACK, data=b"")
            for j in range(r.randint(2, 8)):
                tt = r.randrange(g.at(k, lo) + n * 1000 + 10, g.at(k, hi))
                if j % 2:
                    g.pkt(tt, s, c, 6, 80, 30000 + i, ACK)
                else:
                    g.pkt(tt, c, s, 6, 30000 + i, 80, PSH | ACK)

    ordinary(0, 50, 0.05, 0.95, 0)
    ordinary(1, a.conv, 0.05, 0.95, 1)

    fixed = [("10.9.0.1", 80, 6, 0.38), ("10.9.0.2", 443, 6, 0.2),
             ("10.9.0.3", 53, 17, 0.1), ("2001:db8:9::1", 80, 6, 0.05)]

    def flood(k, n, lo, hi):
        # the established ones first (their first packets), then the flood
        est = [("10.6.0.%d" % (i + 1), 40000 + i, "10.8.1.%d" % (i % 3 + 1), 8443) for i in range(10)]
        for i, (c, cp, s, sp) in enumerate(est):
            t0 = g.at(k, lo) + i * 100
            g.pkt(t0, c, s, 6, cp, sp, PSH | ACK)
            for j in range(9):
                t = r.randrange(t0 + 1, g.at(k, hi))
                if j % 2:
                    g.pkt(t, s, c, 6, sp, cp, ACK)
                else:
                    g.pkt(t, c, s, 6, cp, sp, PSH | ACK)
        t0 = g.at(k, lo) + 2000
        span = g.at(k, hi) - t0
        times = sorted(t0 + r.randrange(span) for _ in range(n))
        for i, t in enumerate(times):
            if i < len(fixed):
                d = fixed[i]       # each fixed server seen before any random one
            else:
                x = r.random()
                d = None
                for f in fixed:
                    if x < f[3]:
                        d = f
                        break
                    x -= f[3]
            if d is not None:
                dst, dport, proto = d[0], d[1], d[2]
                src = ("2001:db8:%x:%x::%x" % (r.randrange(0x10000), r.randrange(0x10000), r.randrange(1, 0x10000))
                       if ":" in dst else rand4(r))
            else:
                dst = "10.200.%d.%d" % (r.randrange(256), r.randrange(1, 255))
                dport = r.randrange(1, 65536)
                proto = r.choice((6, 17))
                src = rand4(r)
            sport = r.randrange(1024, 65536)
            if proto == 6:
                g.pkt(t, src, dst, 6, sport, dport, SYN, data=b"")
            else:
                g.pkt(t, src, dst, 17, sport, dport, data=g.payload(10, 60))

    flood(2, a.flood, 0.05, 0.95)
    flood(3, a.flood // 2, 0.05, 0.95)
    info["intervals"] = 4
    return info


def mode_days(g):
    days = [int(x) for x in g.a.days.split(",")]
    out = {}
    for d in days:
        if d == 0:
            t = g.a.start * 1000000
        else:
            day0 = (g.a.start // 86400 - d) * 86400
            t = (day0 + 12 * 3600) * 1000000
        for j in range(5):
            g.pkt(t + j * 1000, "10.10.%d.1" % d, "10.11.0.1", 17, 4000 + d, 53)
            g.pkt(t + j * 1000 + 500, "10.11.0.1", "10.10.%d.1" % d, 17, 53, 4000 + d)
        g.handshake(t + 10000, "10.10.%d.2" % d, 50000 + d, "10.11.0.2", 443)
        out[str(d)] = datetime.datetime.fromtimestamp(t // 1000000, datetime.timezone.utc).strftime("%Y%m%d")
    return {"days": out}


def mode_disorder(g):
    """--intervals intervals of --conv conversations each (2 packets: SYN,
    SYN+ACK) to 10 servers; then, in file order after them (timestamps
    going back), --conv new conversations in each interval of --revisit."""
    a = g.a
    for k in range(a.intervals):
        for i in range(a.conv):
            t = g.at(k, 0.1) + i * 1000
            c, s = "10.12.%d.%d" % (k, i + 1), "10.13.0.%d" % (i % 10 + 1)
            g.pkt(t, c, s, 6, 1000 + i, 80, SYN, data=b"")
            g.pkt(t + 10, s, c, 6, 80, 1000 + i, SYN | ACK, data=b"")
    # the file's order is its timestamps': these come after, with older times
    g.p.frames.sort(key=lambda f: (f[0], f[1]))
    g.p.frames = [(i, i, f[2], f[3], f[0]) for i, f in enumerate(g.p.frames)]
    base = len(g.p.frames)
    later = Pcap(g.p.src_mac)
    g.p, first = later, g.p
    for k in (int(x) for x in a.revisit.split(",")):
        for i in range(a.conv):
            t = g.at(k, 0.5) + i * 1000
            c, s = "10.14.%d.%d" % (k, i + 1), "10.13.0.%d" % (i % 10 + 1)
            g.pkt(t, c, s, 6, 2000 + i, 80, SYN, data=b"")
            g.pkt(t + 10, s, c, 6, 80, 2000 + i, SYN | ACK, data=b"")
    later.frames.sort(key=lambda f: (f[0], f[1]))
    merged = Pcap(first.src_mac)
    merged.frames = [(f[4], f[1], f[2], f[3]) for f in first.frames] + \
        [(f[0], base + j, f[2], f[3]) for j, f in enumerate(later.frames)]
    merged.keep_order = True
    g.p = merged
    return {"revisit": a.revisit}


def mode_live(g):
    n = g.a.conversations
    t = 1000000
    for i in range(n):
        kind = i % 4
        if kind == 0:
            c, s = "198.18.%d.%d" % (i // 200, i % 200 + 1), "198.19.0.%d" % (i % 7 + 1)
            g.handshake(t, c, 41000 + i, s, 443)
            g.tcp_exchange(t + 300, t + 5000, c, 41000 + i, s, 443, 6)
            g.close(t + 6000, c, 41000 + i, s, 443)
        elif kind == 1:
            c, s = "198.18.%d.%d" % (i // 200, i % 200 + 1), "198.19.1.53"
            g.pkt(t, c, s, 17, 42000 + i, 53, data=g.payload(20, 60))
            g.pkt(t + 500, s, c, 17, 53, 42000 + i, data=g.payload(60, 400))
        elif kind == 2:
            c, s = "2001:db8:18::%x" % (i + 1), "2001:db8:19::1"
            g.handshake(t, c, 43000 + i, s, 80)
            g.tcp_exchange(t + 300, t + 4000, c, 43000 + i, s, 80, 4)
        else:
            c, s = "198.18.%d.%d" % (i // 200, i % 200 + 1), "198.19.2.1"
            g.pkt(t, c, s, 1, data=g.payload(56, 56))
            g.pkt(t + 300, s, c, 1, data=g.payload(56, 56))
        t += 10000
    return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("mix", "long", "flood", "days", "live", "disorder"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--json")
    ap.add_argument("--start", type=int, default=1709287200)   # 2024-03-01 10:00 UTC
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mac", default="02:70:6b:74:66:01")
    ap.add_argument("--intervals", type=int, default=30)
    ap.add_argument("--gaps", default="9,10,21")
    ap.add_argument("--conv", type=int, default=64)
    ap.add_argument("--flood", type=int, default=12000)
    ap.add_argument("--days", default="10,5,1,0")
    ap.add_argument("--conversations", type=int, default=40)
    ap.add_argument("--revisit", default="0,1,2")
    a = ap.parse_args()
    g = Gen(a)
    info = {"mix": mode_mix, "long": mode_long, "flood": mode_flood,
            "days": mode_days, "live": mode_live, "disorder": mode_disorder}[a.mode](g) or {}
    ip = g.p.write(a.out, a.truth)
    info.update({"frames": len(g.p.frames), "ip": ip,
                 "bytes": sum(len(f[2]) for f in g.p.frames),
                 "start": g.S // 1000000, "interval": a.interval})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(info, f)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
