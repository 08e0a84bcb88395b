#!/usr/bin/env python3
"""bench/gen-flows.py: a capture of realistic conversations, for pktcapture's flows benchmark.

    gen-flows.py --out FILE [--count N] [--span SECONDS|1d|7d] [--truth FILE] ...

Writes a classic pcap (Ethernet, microsecond timestamps, snap length 128 by
default, timestamps in order) of N IP packets (default 4,000,000) that are
whole conversations between clients and servers, spread over --span
(default one day, "7d" a week) from --start:

  hosts    --clients clients (20,000) and --servers servers (2,000), each a
           --v6-share IPv6 (15%; clients in 100.64.0.0/10 and
           2001:db8:1::/48, servers in 198.18.0.0/15 and 2001:db8:2::/48);
           popularity Zipf-like (clients --client-zipf 1.0, servers
           --server-zipf 1.2), by ranks scattered over the addresses.  A
           conversation's two ends have the same address family.
  services the first 5% of the servers (at least 1 a family) are DNS
           resolvers (UDP 53); each other server has one service: TCP 443
           (55%, with 20% of its conversations UDP 443, as QUIC), TCP 80
           (17%), TCP 22 (8%), a random TCP port (13%) or a random UDP port
           (7%) of 1024-32767.  Clients use ephemeral ports 32768-60999; no
           5-tuple (with the VLAN) is used twice in a file, so a
           conversation is what tshark -z conv and a flow key both see.
  kinds    dns: --dns-share (30%) of the conversations, a query and its
           answer (2 packets, 15% of them 4), within milliseconds.
           tcp: SYN, SYN/ACK, ACK, data both ways (requests and ACKs from
           the client, mostly full-size segments from the server), FIN/ACK
           each way and the last ACK (3% end with the client's RST/ACK
           instead); 6 + lognormal(2.9, 1.3) packets (mean ~48), per
           conversation an RTT (lognormal, median 30 ms) and, between
           packets, 2% of "think" pauses (exponential, mean 5 s): most last
           under a second, some cross a minute.
           udp: the same lengths without handshake, the client first.
           long: --long-share (0.5%) of the TCP conversations last 10
           minutes to --long-max (6 h; log-uniform) with 300-30,000 packets
           in bursts spread over that time: one flow row per active
           interval.
  time     conversations start on a diurnal curve (rate 1 + 0.6 sin, lowest
           at 03:00 UTC, highest at 15:00; Saturdays and Sundays x0.7 when
           the span covers them); a conversation that would end after the
           span starts earlier.  Packets of all conversations are merged
           by time (ties in the order generated).
  vlans    --vlan-share (5%) of the conversations carry an 802.1Q tag (VLAN
           10 or 20).

Totals independent of pktcapture go to --json (default FILE.json), with the
keys of gen-traffic.py that bench/run.sh checks rows against (ip_packets,
ip_bytes, ipv4, ipv6, vlan_tagged_ip, with_ports, with_tcp_flags,
protocols, protocol_bytes), plus conversations (by kind), their mean
packets, the long ones and their longest duration, the busiest server (by
bytes both ways) and its service, a rare host (the client with the fewest
packets among those with at least 2 conversations) and the window.

--truth FILE writes the generator's own truth, one line per conversation
(tab-separated, with a header line): proto (6/17), vlan (empty if none),
client, client_port, server, server_port, first_us, last_us (its first
and last packet), c2s_packets, c2s_bytes, s2c_packets, s2c_bytes (bytes on
the wire: the pcap record's length), kind.  The client is the initiator.

Same arguments, same bytes: everything comes from random.Random(seed).
Speed: ~6 s per million packets on this machine (4 M: 25 s; all of it in memory:
~100 bytes a packet while generating).
"""
import argparse
import ipaddress
import itertools
import json
import math
import random
import struct
import sys
import time
from array import array

DAY_START = 1_699_920_000          # 2023-11-14 00:00:00 UTC (a Tuesday)
DST_MAC = bytes.fromhex("02005e000002")
SRC_MAC = bytes.fromhex("02706b740501")
# TCP flags
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def zipf_cum(n, s):
    return list(itertools.accumulate(1.0 / (i ** s) for i in range(1, n + 1)))


def parse_span(s):
    s = s.strip().lower()
    mult = 1
    for suf, m in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s.endswith(suf):
            s, mult = s[:-1], m
            break
    v = int(float(s) * mult)
    if v < 60:
        raise argparse.ArgumentTypeError("span must be at least a minute")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", default=None)
    ap.add_argument("--truth", default=None, help="per-conversation truth (TSV), optional")
    ap.add_argument("--count", type=int, default=4_000_000, help="IP packets (all frames are IP)")
    ap.add_argument("--span", type=parse_span, default=86400, help="seconds, or 1d, 7d, 6h...")
    ap.add_argument("--start", type=int, default=DAY_START, help="Unix time of the first second (a whole minute)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--snaplen", type=int, default=128)
    ap.add_argument("--clients", type=int, default=20000)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--v6-share", type=float, default=0.15)
    ap.add_argument("--client-zipf", type=float, default=1.0)
    ap.add_argument("--server-zipf", type=float, default=1.2)
    ap.add_argument("--dns-share", type=float, default=0.30)
    ap.add_argument("--long-share", type=float, default=0.005)
    ap.add_argument("--long-max", type=parse_span, default=6 * 3600, help="longest long connection")
    ap.add_argument("--vlan-share", type=float, default=0.05)
    ap.add_argument("--diurnal", type=float, default=0.6)
    args = ap.parse_args()
    if args.snaplen < 96:
        ap.error("--snaplen must be at least 96")
    if args.start % 60:
        ap.error("--start must be a whole minute")
    if args.clients < 2 or args.servers < 40:
        ap.error("at least 2 clients and 40 servers")
    N = args.count
    t_begin = time.time()
    rng = random.Random(args.seed)
    rnd = rng.random
    expo = rng.expovariate
    lognorm = rng.lognormvariate
    span_us = args.span * 1_000_000
    start_us = args.start * 1_000_000

    # ---- hosts: index 0..n4-1 IPv4, n4.. IPv6; popularity rank = index within a family
    def hosts(n, net4, net6):
        n6 = int(round(n * args.v6_share))
        n4 = n - n6
        b4 = int(net4.network_address)
        a4 = [struct.pack(">I", b4 + i) for i in rng.sample(range(1, net4.num_addresses - 1), n4)]
        b6 = int(net6.network_address)
        a6 = [(b6 + x).to_bytes(16, "big") for x in rng.sample(range(1, 1 << 40), n6)]
        return n4, n6, a4 + a6
    cn4, cn6, caddr = hosts(args.clients, ipaddress.IPv4Network("100.64.0.0/10"), ipaddress.IPv6Network("2001:db8:1::/48"))
    sn4, sn6, saddr = hosts(args.servers, ipaddress.IPv4Network("198.18.0.0/15"), ipaddress.IPv6Network("2001:db8:2::/48"))
    ctext = [str(ipaddress.ip_address(a)) for a in caddr]
    stext = [str(ipaddress.ip_address(a)) for a in saddr]
    # popularity by rank, ranks scattered over the addresses (they were sampled at random)
    c_cum = (zipf_cum(cn4, args.client_zipf), zipf_cum(cn6, args.client_zipf) if cn6 else None)
    c_pop = (range(cn4), range(cn4, cn4 + cn6))

    # services: per family, the first 5% of the servers (at least 1) are resolvers
    svc = [None] * (sn4 + sn6)           # (proto, port, kind weights) per server
    dns_srv, oth_srv = [], []
    for fam, lo, n in ((0, 0, sn4), (1, sn4, sn6)):
        if n == 0:
            dns_srv.append([]); oth_srv.append([])
            continue
        nd = max(1, n // 20)
        d = list(range(lo, lo + nd))
        o = list(range(lo + nd, lo + n))
        for s in d:
            svc[s] = (17, 53)
        for s in o:
            r = rnd()
            if r < 0.55:
                svc[s] = (6, 443)
            elif r < 0.72:
                svc[s] = (6, 80)
            elif r < 0.80:
                svc[s] = (6, 22)
            elif r < 0.93:
                svc[s] = (6, rng.randrange(1024, 32768))
            else:
                svc[s] = (17, rng.randrange(1024, 32768))
        dns_srv.append(d)
        oth_srv.append(o)
    d_cum = [zipf_cum(len(x), args.server_zipf) if x else None for x in dns_srv]
    o_cum = [zipf_cum(len(x), args.server_zipf) if x else None for x in oth_srv]
    v6_conv = args.v6_share if cn6 and sn6 > 1 else 0.0

    # ---- start times: minute weights over the span (diurnal, weekends lower)
    minutes = (span_us + 59_999_999) // 60_000_000
    w = []
    for m in range(minutes):
        t = args.start + m * 60
        day_min = (t // 60) % 1440
        wd = (t // 86400 + 3) % 7          # 0 = Monday (1970-01-01 was a Thursday)
        f = 1.0 + args.diurnal * math.sin(2 * math.pi * (day_min / 1440.0 - 9.0 / 24.0))
        if args.span > 2 * 86400 and wd >= 5:
            f *= 0.7
        w.append(f)
    m_cum = list(itertools.accumulate(w))
    mrange = range(minutes)

    # ---- per packet: sort key (time << B | index), conversation, direction + flags, wire size
    B = max(1, N.bit_length())
    keys = []
    kapp = keys.append
    pconv = array("I")
    pcode = array("H")                    # direction (bit 0: server to client) | flags << 1
    pwire = array("H")
    # per conversation
    cv_client = array("I"); cv_server = array("I"); cv_vlan = array("H")
    cv_proto = array("B"); cv_cport = array("H"); cv_sport = array("H"); cv_kind = array("B")
    cv_first = array("q"); cv_last = array("q")
    KINDS = ("dns", "tcp", "udp", "long")
    used = set()
    total = 0
    long_max_us = min(args.long_max, args.span) * 1_000_000
    long_min_us = min(600, args.span // 2) * 1_000_000
    long_pk_max = max(300, min(30000, N // 50))

    def data_count():
        return int(lognorm(2.9, 1.3))

    while total < N:
        ci = len(cv_kind)
        fam = 1 if rnd() < v6_conv else 0
        client = rng.choices(c_pop[fam], cum_weights=c_cum[fam])[0]
        if rnd() < args.dns_share:
            server = rng.choices(dns_srv[fam], cum_weights=d_cum[fam])[0]
        else:
            server = rng.choices(oth_srv[fam], cum_weights=o_cum[fam])[0]
        proto, sport = svc[server]
        if sport == 443 and rnd() < 0.2:
            proto = 17
        vlan = (10 if rnd() < 0.6 else 20) if rnd() < args.vlan_share else 0
        while True:
            cport = rng.randrange(32768, 61000)
            k = (client, server, proto, cport, vlan)
            if k not in used:
                used.add(k)
                break
        l2 = 18 if vlan else 14
        l3 = 40 if fam else 20
        l4 = 20 if proto == 6 else 8
        hdr = l2 + l3 + l4
        minw = max(64 if vlan else 60, hdr)
        # the packets of the conversation: (offset_us, code, wire)
        rtt = int(min(500_000, max(500, lognorm(math.log(30_000), 1.0))))
        pk = []
        t = 0
        if proto == 17 and sport == 53:
            kind = 0
            for _ in range(4 if rnd() < 0.15 else 2):
                pk.append((t, 0, min(1514, minw + 20 + int(rnd() * 40))))
                t += max(1, int(rtt * (0.5 + rnd())))
                pk.append((t, 1, min(1514, minw + 40 + int(rnd() * rnd() * 400))))
                t += max(1, int(expo(1.0 / 2000)) + 1)
        elif proto == 17:
            kind = 2
            n = 2 + data_count()
            for i in range(n):
                d = 0 if i == 0 else (1 if rnd() < 0.6 else 0)
                if d:
                    wire = 1514 if rnd() < 0.6 else minw + int(rnd() * (1514 - minw))
                else:
                    wire = minw + int(rnd() * rnd() * 600)
                pk.append((t, d, min(1514, wire)))
                t += max(1, int(expo(4.0 / rtt)))
                if rnd() < 0.02:
                    t += int(expo(1.0 / 5e6))
        else:
            long = rnd() < args.long_share
            kind = 3 if long else 1
            ack_fl = ACK << 1
            pk.append((t, SYN << 1, minw))
            t += rtt // 2 + 1
            pk.append((t, 1 | (SYN | ACK) << 1, minw))
            t += rtt // 2 + 1
            pk.append((t, ack_fl, minw))
            t += 1 + int(expo(4.0 / rtt))
            if long:
                dur = int(math.exp(math.log(long_min_us) + rnd() * (math.log(long_max_us) - math.log(long_min_us))))
                nd = int(math.exp(math.log(300) + rnd() * (math.log(long_pk_max) - math.log(300))))
                nb = max(1, nd // (20 + int(rnd() * 200)))
                bstarts = sorted(t + int(rnd() * dur) for _ in range(nb))
                per = [0] * nb
                for b in rng.choices(range(nb), k=nd):
                    per[b] += 1
                seq = []
                for b in range(nb):
                    if t < bstarts[b]:
                        t = bstarts[b]
                    for _ in range(per[b]):
                        seq.append(t)
                        t += max(1, int(expo(4.0 / rtt)))
            else:
                nd = data_count()
                seq = []
                for _ in range(nd):
                    seq.append(t)
                    t += max(1, int(expo(4.0 / rtt)))
                    if rnd() < 0.02:
                        t += int(expo(1.0 / 5e6))
            for ts in seq:
                if rnd() < 0.6:      # server data
                    wire = 1514 if rnd() < 0.7 else minw + int(rnd() * (1514 - minw))
                    pk.append((ts, 1 | ((ACK | PSH) if rnd() < 0.3 else ACK) << 1, min(1514, wire)))
                elif rnd() < 0.6:    # client ACK
                    pk.append((ts, ack_fl, minw))
                else:                # client request
                    pk.append((ts, (ACK | PSH) << 1, min(1514, minw + 40 + int(rnd() * 700))))
            if rnd() < 0.03:
                pk.append((t, (RST | ACK) << 1, minw))
            else:
                pk.append((t, (FIN | ACK) << 1, minw))
                t += rtt // 2 + 1
                pk.append((t, 1 | (FIN | ACK) << 1, minw))
                t += rtt // 2 + 1
                pk.append((t, ack_fl, minw))
        if total + len(pk) > N:
            del pk[N - total:]
        dur = pk[-1][0]
        if dur >= span_us:                 # squeeze it into the span (rare)
            f = (span_us - len(pk) - 1) / dur
            prev = -1
            for i, (o, c, wv) in enumerate(pk):
                o = max(prev + 1, int(o * f))
                pk[i] = (o, c, wv)
                prev = o
            dur = pk[-1][0]
        m = rng.choices(mrange, cum_weights=m_cum)[0]
        st = m * 60_000_000 + int(rnd() * 60_000_000)
        if st + dur >= span_us:
            st = span_us - 1 - dur
        st += start_us
        cv_client.append(client); cv_server.append(server); cv_vlan.append(vlan)
        cv_proto.append(proto); cv_cport.append(cport); cv_sport.append(sport); cv_kind.append(kind)
        cv_first.append(st); cv_last.append(st + dur)
        for o, c, wv in pk:
            kapp((st + o) << B | total)
            pconv.append(ci)
            pcode.append(c)
            pwire.append(wv)
            total += 1
    t_gen = time.time() - t_begin
    keys.sort()
    t_sort = time.time() - t_begin - t_gen

    # ---- the file
    NC = len(cv_kind)
    snap = args.snaplen
    rec = struct.Struct("<IIII")
    st4t = {l2: struct.Struct(">%ds BBHHHBBH4s4s HHIIBBHHH" % l2) for l2 in (14, 18)}
    st4u = {l2: struct.Struct(">%ds BBHHHBBH4s4s HHHH" % l2) for l2 in (14, 18)}
    st6t = {l2: struct.Struct(">%ds IHBB16s16s HHIIBBHHH" % l2) for l2 in (14, 18)}
    st6u = {l2: struct.Struct(">%ds IHBB16s16s HHHH" % l2) for l2 in (14, 18)}
    eth = {0: {fam: DST_MAC + SRC_MAC + struct.pack(">H", et) for fam, et in ((0, 0x0800), (1, 0x86DD))}}
    for v in (10, 20):
        eth[v] = {fam: DST_MAC + SRC_MAC + struct.pack(">HHH", 0x8100, v, et) for fam, et in ((0, 0x0800), (1, 0x86DD))}
    # per conversation: (struct, l2 bytes, v6, tcp, hdr, minw, client addr, server addr)
    info = []
    for c in range(NC):
        v6 = cv_client[c] >= cn4
        tcp = cv_proto[c] == 6
        vlan = cv_vlan[c]
        l2 = 18 if vlan else 14
        hdr = l2 + (40 if v6 else 20) + (20 if tcp else 8)
        st = (st6t if tcp else st6u)[l2] if v6 else (st4t if tcp else st4u)[l2]
        info.append((st, eth[vlan][1 if v6 else 0], v6, tcp, hdr, max(64 if vlan else 60, hdr), l2,
                     caddr[cv_client[c]], saddr[cv_server[c]], cv_cport[c], cv_sport[c]))
    seqs = array("I", (rng.getrandbits(32) for _ in range(2 * NC)))
    zeros = bytes(2048)
    mask = (1 << B) - 1
    # truth and totals
    c2s_p = array("I", bytes(4 * NC)); c2s_b = array("Q", bytes(8 * NC))
    s2c_p = array("I", bytes(4 * NC)); s2c_b = array("Q", bytes(8 * NC))
    out = open(args.out, "wb", buffering=1 << 22)
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, 1))
    chunk = []
    app = chunk.append
    ipid = 0
    for k in keys:
        i = k & mask
        t = k >> B
        c = pconv[i]
        code = pcode[i]
        w = pwire[i]
        st, l2b, v6, tcp, hdr, minw, l2, ca, sa, cp, sp = info[c]
        d = code & 1
        if d:
            src, dst, spt, dpt = sa, ca, sp, cp
            s2c_p[c] += 1; s2c_b[c] += w
        else:
            src, dst, spt, dpt = ca, sa, cp, sp
            c2s_p[c] += 1; c2s_b[c] += w
        pay = w - hdr if w > minw else 0
        iplen = hdr - l2 + pay
        ipid = (ipid + 1) & 0xFFFF
        if tcp:
            fl = code >> 1
            j = 2 * c + d
            sq = seqs[j]
            ak = seqs[j ^ 1] if fl & ACK else 0
            seqs[j] = (sq + pay + (1 if fl & (SYN | FIN) else 0)) & 0xFFFFFFFF
            if v6:
                frame = st.pack(l2b, 0x60000000, iplen - 40, 6, 64, src, dst, spt, dpt, sq, ak, 0x50, fl, 65535, 0, 0)
            else:
                frame = st.pack(l2b, 0x45, 0, iplen, ipid, 0x4000, 64, 6, 0, src, dst, spt, dpt, sq, ak, 0x50, fl, 65535, 0, 0)
        else:
            if v6:
                frame = st.pack(l2b, 0x60000000, iplen - 40, 17, 64, src, dst, spt, dpt, iplen - 40, 0)
            else:
                frame = st.pack(l2b, 0x45, 0, iplen, ipid, 0x4000, 64, 17, 0, src, dst, spt, dpt, iplen - 20, 0)
        cap = w if w < snap else snap
        app(rec.pack(t // 1_000_000, t % 1_000_000, cap, w))
        app(frame)
        if cap > hdr:
            app(zeros[:cap - hdr])
        if len(chunk) >= 196608:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))
    out.close()
    t_write = time.time() - t_begin - t_gen - t_sort

    # ---- totals
    ipv4 = ipv6 = vl = 0
    by = {6: [0, 0], 17: [0, 0]}
    kinds = [0, 0, 0, 0]
    kind_pk = [0, 0, 0, 0]
    host_bytes = {}
    srv_bytes = [0] * len(saddr)
    cli_pk = [0] * len(caddr)
    cli_conv = [0] * len(caddr)
    long_dur = 0
    for c in range(NC):
        p = c2s_p[c] + s2c_p[c]
        b = c2s_b[c] + s2c_b[c]
        if cv_client[c] >= cn4:
            ipv6 += p
        else:
            ipv4 += p
        if cv_vlan[c]:
            vl += p
        by[cv_proto[c]][0] += p
        by[cv_proto[c]][1] += b
        kinds[cv_kind[c]] += 1
        kind_pk[cv_kind[c]] += p
        srv_bytes[cv_server[c]] += b
        cli_pk[cv_client[c]] += p
        cli_conv[cv_client[c]] += 1
        if cv_kind[c] == 3:
            long_dur = max(long_dur, cv_last[c] - cv_first[c])
    busiest = max(range(len(saddr)), key=lambda s: (srv_bytes[s], stext[s]))
    rare = min((h for h in range(len(caddr)) if cli_conv[h] >= 2), key=lambda h: (cli_pk[h], ctext[h]), default=None)
    ip_bytes = by[6][1] + by[17][1]
    protos = {n: by[p][0] for p, n in ((6, "TCP"), (17, "UDP")) if by[p][0]}
    pbytes = {n: by[p][1] for p, n in ((6, "TCP"), (17, "UDP")) if by[p][0]}
    first_ts = keys[0] >> B if keys else None
    last_ts = keys[-1] >> B if keys else None
    expected = {
        "generator": "bench/gen-flows.py",
        "seed": args.seed,
        "start_us": start_us,
        "span_s": args.span,
        "end_us": start_us + span_us,
        "clients": len(caddr), "servers": len(saddr),
        "frames": total, "ip_packets": total, "non_ip": 0,
        "ip_bytes": ip_bytes, "wire_bytes": ip_bytes,
        "ipv4": ipv4, "ipv6": ipv6, "vlan_tagged_ip": vl,
        "with_ports": total, "with_tcp_flags": by[6][0],
        "protocols": dict(sorted(protos.items(), key=lambda kv: (-kv[1], kv[0]))),
        "protocol_bytes": dict(sorted(pbytes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "conversations": NC,
        "conversations_by_kind": {KINDS[i]: kinds[i] for i in range(4)},
        "packets_by_kind": {KINDS[i]: kind_pk[i] for i in range(4)},
        "mean_packets_per_conversation": round(total / NC, 2) if NC else 0,
        "longest_long_connection_s": round(long_dur / 1e6, 1),
        "busiest_server": stext[busiest],
        "busiest_server_service": "%s/%d" % ("TCP" if svc[busiest][0] == 6 else "UDP", svc[busiest][1]),
        "busiest_server_bytes": srv_bytes[busiest],
        "rare_host": ctext[rare] if rare is not None else None,
        "rare_host_packets": cli_pk[rare] if rare is not None else 0,
        "rare_host_conversations": cli_conv[rare] if rare is not None else 0,
        "clients_seen": sum(1 for x in cli_conv if x),
        "servers_seen": sum(1 for x in srv_bytes if x),
        "snaplen": snap,
        "first_ts_us": first_ts,
        "last_ts_us": last_ts,
    }
    if args.truth:
        with open(args.truth, "w") as f:
            f.write("proto\tvlan\tclient\tclient_port\tserver\tserver_port\tfirst_us\tlast_us\t"
                    "c2s_packets\tc2s_bytes\ts2c_packets\ts2c_bytes\tkind\n")
            for c in range(NC):
                f.write("%d\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n" % (
                    cv_proto[c], cv_vlan[c] or "", ctext[cv_client[c]], cv_cport[c], stext[cv_server[c]],
                    cv_sport[c], cv_first[c], cv_last[c], c2s_p[c], c2s_b[c], s2c_p[c], s2c_b[c],
                    KINDS[cv_kind[c]]))
    expected["seconds"] = round(time.time() - t_begin, 2)
    with open(args.json or args.out + ".json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("%s: %d packets (%d IPv4, %d IPv6), %d bytes, %d conversations (%s), %.1f packets each, "
          "longest %.0f s; busiest server %s (%s), rare host %s; %.1f s (generate %.1f, sort %.1f, write %.1f)"
          % (args.out, total, ipv4, ipv6, ip_bytes, NC,
             ", ".join("%s %d" % kv for kv in expected["conversations_by_kind"].items()),
             expected["mean_packets_per_conversation"], long_dur / 1e6, expected["busiest_server"],
             expected["busiest_server_service"], expected["rare_host"], expected["seconds"], t_gen, t_sort, t_write))
    return 0


if __name__ == "__main__":
    sys.exit(main())
