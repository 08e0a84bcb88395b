#!/usr/bin/env python3
"""bench/gen-pcap.py: deterministic synthetic capture for the pktcapture benchmark.

    gen-pcap.py --out FILE [--count N] [--seed S] [--snaplen B] [--json FILE]

Writes a classic pcap (Ethernet, microsecond timestamps) of N frames (default
1,000,000) with a realistic mix:

  * about 1.2% non-IP frames (ARP, LLDP), the rest IP: ~72% IPv4, ~28% IPv6;
  * TCP (~74%, with realistic flag combinations including ECE/CWR/AE), UDP
    (~19%), ICMP / ICMPv6 (~2.5%, some ICMPv6 behind an IPv6 hop-by-hop
    header as MLD is), GRE 47, ESP 50, SCTP 132 (with ports), IGMP 2,
    OSPF 89, VRRP 112, PIM 103, IP-in-IP 4, 6in4 41;
  * ~10% of frames with an 802.1Q tag (a handful of VLAN ids);
  * Zipf-like host popularity (exponent 1.1): a few heavy talkers, a long
    tail; IPv4 hosts in 198.18.0.0/15, IPv6 hosts in 2001:db8::/32;
  * wire sizes 60..1514 (+4 when tagged), bimodal for TCP (ACKs and full
    segments), small-skewed for UDP; captured size = min(wire, snaplen),
    snaplen 128 by default: pcap "len" is the full size;
  * timestamps increasing, microsecond resolution.

Frames are sent to a unicast MAC that is nobody's (02:00:5e:00:00:02), so a
replay on a veth is dropped by the receiving kernel as PACKET_OTHERHOST and
only promiscuous captures see it.  IP/TCP checksums are left 0.

Expected totals (independent of pktcapture) go to --json (default:
FILE.json) and a short summary to stdout: frames, IP packets, non-IP frames,
IP bytes on the wire (sum of pcap len over IP packets), packets and bytes per
protocol as pktcapture's "protocol" column spells it ("TCP", "UDP" or the
number), IPv4/IPv6 and VLAN counts, packets with ports, and the top 10
sources and destinations by packets (ties broken by address) -- compare the
first 5.

Same arguments, same bytes: everything comes from random.Random(seed).
"""
import argparse
import bisect
import collections
import itertools
import ipaddress
import json
import random
import struct
import sys
import time

# The traffic mix, shared with gen-traffic.py (which imports this file):
# weights, not probabilities.  Frame kinds: IPv4, IPv6, ARP, LLDP.
KIND_VALS = (0, 1, 2, 3)
KIND_W = (71.2, 27.6, 1.0, 0.2)
# upper-layer protocol, per family
P4_VALS = (6, 17, 1, 47, 50, 132, 2, 89, 112, 103, 4, 41)
P4_W = (74.0, 19.0, 2.5, 1.2, 1.3, 0.4, 0.3, 0.3, 0.3, 0.2, 0.2, 0.3)
P6_VALS = (6, 17, 58, 47, 50, 132, 89, 103, 41)
P6_W = (74.0, 19.0, 2.5, 1.2, 1.3, 0.6, 0.6, 0.4, 0.4)
VLAN_VALS = (0, 10, 20, 30, 100, 200, 4001)
VLAN_W = (90, 3, 2, 2, 1, 1, 1)
# TCP flags (12 bits: FIN 1 SYN 2 RST 4 PSH 8 ACK 16 URG 32 ECE 64 CWR 128 AE 256)
TCP_FLAG_VALS = (0x010, 0x018, 0x002, 0x012, 0x011, 0x004, 0x014, 0x0c2, 0x052, 0x090, 0x038, 0x110, 0x019)
TCP_FLAG_W = (50.0, 30.0, 4.0, 4.0, 4.0, 1.5, 2.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.5)
TCP_SRV = (443, 80, 22, 25, 993, 3306, 5432, 8080, 8443, 179)
TCP_SRV_W = (60, 15, 5, 3, 3, 3, 3, 4, 3, 1)
UDP_SRV = (53, 443, 123, 161, 514, 5353, 4789, 1194, 67, 500)
UDP_SRV_W = (45, 25, 8, 5, 4, 4, 3, 2, 2, 2)
HBH_SHARE = 0.3     # ICMPv6 behind a hop-by-hop header (MLD)
# frame templates
DST_MAC = bytes.fromhex("02005e000002")
SRC_MAC = bytes.fromhex("02706b740501")
ARP_BODY = bytes.fromhex("0001080006040001") + SRC_MAC + bytes([198, 18, 255, 1]) + bytes(6) + bytes([198, 18, 255, 2])
LLDP_BODY = bytes.fromhex("020704") + SRC_MAC + bytes.fromhex("04030302") + bytes([0x31]) + bytes.fromhex("06020078") + bytes(2)
PADN = bytes.fromhex("010400000000")
OTHER_L4 = {
    1: bytes.fromhex("0800000012340001"),       # ICMP echo request
    58: bytes.fromhex("8000000012340001"),      # ICMPv6 echo request
    47: bytes.fromhex("00000800"),              # GRE carrying IPv4
    50: bytes.fromhex("0000100100000001"),      # ESP SPI, sequence
    2: bytes.fromhex("1600fa04e0000001"),       # IGMPv2 report
    89: bytes.fromhex("0201002cc0a80001000000000000000000000000"),
    112: bytes.fromhex("2101640100010000"),
    103: bytes.fromhex("2000000000010000"),
    4: bytes(20),                               # inner header not decoded
    41: bytes(40),
}
MLD = bytes.fromhex("8f00000000000000")       # MLDv2 report, behind HBH


def eth_headers():
    """(vlan, ethertype) -> Ethernet header, with the 802.1Q tag if vlan"""
    h = {}
    for v in VLAN_VALS:
        for et in (0x0800, 0x86DD, 0x0806, 0x88CC):
            if v:
                h[(v, et)] = DST_MAC + SRC_MAC + struct.pack(">HHH", 0x8100, v, et)
            else:
                h[(v, et)] = DST_MAC + SRC_MAC + struct.pack(">H", et)
    return h


def zipf_cum_weights(n, s):
    w = [1.0 / (i ** s) for i in range(1, n + 1)]
    return list(itertools.accumulate(w))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--snaplen", type=int, default=128)
    ap.add_argument("--json", default=None)
    ap.add_argument("--v4-hosts", type=int, default=65536)
    ap.add_argument("--v6-hosts", type=int, default=16384)
    ap.add_argument("--zipf", type=float, default=1.1)
    args = ap.parse_args()
    if args.snaplen < 96:
        ap.error("--snaplen must be at least 96 (headers up to 86 bytes)")

    t_start = time.time()
    rng = random.Random(args.seed)
    N = args.count
    snap = args.snaplen

    # ---- host pools, shuffled so the heavy talkers are scattered addresses
    v4_base = int(ipaddress.IPv4Address("198.18.0.0"))
    v4_idx = rng.sample(range(1, 131071), args.v4_hosts)
    v4_addr = [struct.pack(">I", v4_base + i) for i in v4_idx]
    v6_base = int(ipaddress.IPv6Address("2001:db8::"))
    v6_addr = []
    for _ in range(args.v6_hosts):
        v6_addr.append((v6_base + (rng.getrandbits(64) << 16) + rng.getrandbits(16)).to_bytes(16, "big"))
    cw4 = zipf_cum_weights(args.v4_hosts, args.zipf)
    cw6 = zipf_cum_weights(args.v6_hosts, args.zipf)
    # sources and destinations rank hosts differently (two permutations)
    perm4_dst = list(range(args.v4_hosts)); rng.shuffle(perm4_dst)
    perm6_dst = list(range(args.v6_hosts)); rng.shuffle(perm6_dst)

    # ---- per-frame choices drawn in bulk (fast)
    # kind: 0 IPv4, 1 IPv6, 2 ARP, 3 LLDP
    kinds = rng.choices(KIND_VALS, weights=KIND_W, k=N)
    src4 = rng.choices(range(args.v4_hosts), cum_weights=cw4, k=N)
    dst4 = rng.choices(range(args.v4_hosts), cum_weights=cw4, k=N)
    src6 = rng.choices(range(args.v6_hosts), cum_weights=cw6, k=N)
    dst6 = rng.choices(range(args.v6_hosts), cum_weights=cw6, k=N)
    proto4 = rng.choices(P4_VALS, weights=P4_W, k=N)
    proto6 = rng.choices(P6_VALS, weights=P6_W, k=N)
    vlan_pick = rng.choices(VLAN_VALS, weights=VLAN_W, k=N)
    r_size = [rng.random() for _ in range(N)]
    gaps = rng.choices((1, 2, 3, 5, 8, 13, 40, 120, 900), weights=(20, 20, 15, 15, 10, 8, 6, 4, 2), k=N)
    tflags = rng.choices(TCP_FLAG_VALS, weights=TCP_FLAG_W, k=N)
    srv_tcp = rng.choices(TCP_SRV, weights=TCP_SRV_W, k=N)
    srv_udp = rng.choices(UDP_SRV, weights=UDP_SRV_W, k=N)
    eph = [rng.randrange(32768, 61000) for _ in range(N)]
    direction = [rng.random() < 0.5 for _ in range(N)]
    hbh = [rng.random() < HBH_SHARE for _ in range(N)]     # ICMPv6 behind hop-by-hop

    # ---- templates
    eth_hdr = eth_headers()
    arp_body = ARP_BODY
    lldp_body = LLDP_BODY
    ip4 = struct.Struct(">BBHHHBBH4s4s")
    ip6 = struct.Struct(">IHBB16s16s")
    tcp = struct.Struct(">HHIIBBHHH")
    udp = struct.Struct(">HHHH")
    rec = struct.Struct("<IIII")
    hop_by_hop = struct.Struct(">BB6s")
    padn = PADN
    other_l4 = OTHER_L4
    mld = MLD
    zeros = bytes(2048)

    # ---- expected totals
    frames = ip_packets = non_ip = ip_bytes = all_bytes = 0
    v4n = v6n = vlan_n = ports_n = tcp_flags_n = 0
    per_proto = collections.Counter()
    per_proto_bytes = collections.Counter()
    cnt_src = collections.Counter()
    cnt_dst = collections.Counter()

    out = open(args.out, "wb", buffering=1 << 22)
    # pcap global header: magic, 2.4, thiszone 0, sigfigs 0, snaplen, DLT_EN10MB
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, 1))
    ts = 1_700_000_000 * 1_000_000
    chunks = []
    append = chunks.append
    for i in range(N):
        ts += gaps[i]
        kind = kinds[i]
        vlan = vlan_pick[i]
        r = r_size[i]
        if kind >= 2:
            et = 0x0806 if kind == 2 else 0x88CC
            body = arp_body if kind == 2 else lldp_body
            frame = eth_hdr[(vlan, et)] + body
            wire = max(60 + (4 if vlan else 0), len(frame))
            frame = frame + zeros[:wire - len(frame)]
            non_ip += 1
        else:
            l2 = 18 if vlan else 14
            if kind == 0:
                proto = proto4[i]
                sa = src4[i]; da = perm4_dst[dst4[i]]
                src = v4_addr[sa]; dst = v4_addr[da]
                key_s = (4, sa); key_d = (4, da)
                l3 = 20
            else:
                proto = proto6[i]
                sa = src6[i]; da = perm6_dst[dst6[i]]
                src = v6_addr[sa]; dst = v6_addr[da]
                key_s = (6, sa); key_d = (6, da)
                l3 = 40
            # L4 header
            ext = b""
            if proto == 6:
                srv = srv_tcp[i]; e = eph[i]
                sp, dp = (srv, e) if direction[i] else (e, srv)
                f = tflags[i]
                l4 = tcp.pack(sp, dp, (i * 2654435761) & 0xFFFFFFFF, (i * 40503) & 0xFFFFFFFF,
                              0x50 | (f >> 8), f & 0xFF, 65535, 0, 0)
                # bimodal: ACK-only small, data segments often full size
                if f == 0x010 and r < 0.75:
                    wire = 60 + int(r * 12)
                elif r < 0.55:
                    wire = 1514
                else:
                    wire = 60 + int(r * r * 1454)
                ports_n += 1
                tcp_flags_n += 1
            elif proto == 17:
                srv = srv_udp[i]; e = eph[i]
                sp, dp = (srv, e) if direction[i] else (e, srv)
                wire = 60 + int(r * r * r * 1454)
                l4 = udp.pack(sp, dp, max(8, wire - l2 - l3), 0)
                ports_n += 1
            elif proto == 132:
                srv = 3868 if r < 0.5 else 2905; e = eph[i]
                sp, dp = (srv, e) if direction[i] else (e, srv)
                l4 = struct.pack(">HHII", sp, dp, 0x12345678, 0)
                wire = 60 + int(r * 400)
                ports_n += 1
            elif proto == 58 and hbh[i]:
                ext = hop_by_hop.pack(58, 0, padn)
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
            ip_len = wire - l2
            if kind == 0:
                l3h = ip4.pack(0x45, 0, ip_len, i & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
                v4n += 1
            else:
                nh = 0 if ext else proto
                l3h = ip6.pack(0x60000000, ip_len - 40, nh, 64, src, dst)
                v6n += 1
            frame = eth_hdr[(vlan, 0x0800 if kind == 0 else 0x86DD)] + l3h + ext + l4
            ip_packets += 1
            ip_bytes += wire
            pname = "TCP" if proto == 6 else "UDP" if proto == 17 else str(proto)
            per_proto[pname] += 1
            per_proto_bytes[pname] += wire
            cnt_src[key_s] += 1
            cnt_dst[key_d] += 1
            if vlan:
                vlan_n += 1
        cap = wire if wire < snap else snap
        flen = len(frame)
        if flen < cap:
            frame = frame + zeros[:cap - flen]
        elif flen > cap:
            frame = frame[:cap]
        all_bytes += wire
        frames += 1
        append(rec.pack(ts // 1_000_000, ts % 1_000_000, cap, wire))
        append(frame)
        if len(chunks) >= 65536:
            out.write(b"".join(chunks))
            chunks.clear()
    out.write(b"".join(chunks))
    out.close()

    def addr_text(key):
        fam, idx = key
        return str(ipaddress.ip_address(v4_addr[idx] if fam == 4 else v6_addr[idx]))

    def top(counter, n=10):
        items = sorted(counter.items(), key=lambda kv: (-kv[1], addr_text(kv[0])))
        # only the head matters; sorting all is fine for <100k hosts
        return [[addr_text(k), c] for k, c in items[:n]]

    expected = {
        "generator": "bench/gen-pcap.py",
        "seed": args.seed,
        "frames": frames,
        "ip_packets": ip_packets,
        "non_ip": non_ip,
        "ipv4": v4n,
        "ipv6": v6n,
        "vlan_tagged_ip": vlan_n,
        "with_ports": ports_n,
        "with_tcp_flags": tcp_flags_n,
        "ip_bytes": ip_bytes,
        "wire_bytes": all_bytes,
        "snaplen": snap,
        "first_ts_us": 1_700_000_000 * 1_000_000 + gaps[0] if N else None,
        "last_ts_us": ts,
        "protocols": dict(sorted(per_proto.items(), key=lambda kv: -kv[1])),
        "protocol_bytes": dict(sorted(per_proto_bytes.items(), key=lambda kv: -kv[1])),
        "top_sources": top(cnt_src),
        "top_destinations": top(cnt_dst),
        "seconds": round(time.time() - t_start, 2),
    }
    with open(args.json or args.out + ".json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("%s: %d frames, %d IP packets (%d IPv4, %d IPv6), %d non-IP, %d IP bytes, %.1f s"
          % (args.out, frames, ip_packets, v4n, v6n, non_ip, ip_bytes, expected["seconds"]))
    print("protocols: " + ", ".join("%s %d" % kv for kv in expected["protocols"].items()))
    print("top sources: " + ", ".join("%s %d" % tuple(x) for x in expected["top_sources"][:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
