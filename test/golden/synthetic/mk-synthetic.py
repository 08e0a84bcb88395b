#!/usr/bin/python3
"""Write pktcapture-synthetic.pcap: frames of our own (never corpus
bytes) for cases the tcpdump corpus lacks, so that tshark's answer for
them is in expected/ like any corpus file's.

    test/golden/synthetic/mk-synthetic.py     # then test/golden/gen-expected.sh

Ethernet, microsecond pcap, one frame a second from 2023-11-14 22:13:20
UTC.  The frames, in order, are listed in FRAMES with what each checks.
Standard library only; the output is the same bytes on every run.
"""
import os
import struct

SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
SRC4 = bytes([192, 0, 2, 1])
DST4 = bytes([198, 51, 100, 2])


def eth(ethertype, payload):
    return bytes.fromhex("020000000002" "020000000001") + \
        struct.pack(">H", ethertype) + payload


def tci(tci, ethertype):
    """The rest of an 802.1Q/802.1ad tag after its TPID: the Tag Control
    Information (PCP, DEI, VID) and the EtherType that follows."""
    return struct.pack(">HH", tci, ethertype)


def ip6(nh, payload, plen=None):
    return struct.pack(">IHBB", 0x60000000,
                       len(payload) if plen is None else plen, nh, 64) + \
        SRC6 + DST6 + payload


def ip4(proto, payload):
    return struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(payload), 1, 0, 64,
                       proto, 0) + SRC4 + DST4 + payload


def tcp(flags, sport=40000, dport=80):
    """20 bytes; flags are the 12 bits after the data offset."""
    return struct.pack(">HHIIHHHH", sport, dport, 1, 0, (5 << 12) | flags,
                       8192, 0, 0)


def udp(sport, dport, body=b"pktcapture"):
    return struct.pack(">HHHH", sport, dport, 8 + len(body), 0) + body


def mobility(payload_proto):
    """RFC 6275 Mobility Header, Binding Update (type 5), 16 bytes."""
    # sequence, flags (A), lifetime, then a PadN option of 2 bytes
    body = struct.pack(">HHH", 1, 0x8000, 10) + bytes([1, 2, 0, 0])
    return struct.pack(">BBBBH", payload_proto, 1, 5, 0, 0) + body


def opts(nh):
    """Hop-by-Hop or Destination Options header with one PadN, 8 bytes."""
    return bytes([nh, 0, 1, 4, 0, 0, 0, 0])


def hip(nh):
    """RFC 7401 HIP header: I1 (type 1), sender and receiver HITs, 40 bytes."""
    return struct.pack(">BBBBHH", nh, 4, 1, 0x21, 0, 0) + \
        bytes.fromhex("20010010000000000000000000000001") + \
        bytes.fromhex("20010010000000000000000000000002")


def shim6_control(nh):
    """RFC 5533 Shim6 control message (P = 0), I1 (type 1), 16 bytes."""
    return struct.pack(">BBBBH", nh, 1, 0x01, 0x00, 0) + bytes(10)


def shim6_payload(nh):
    """RFC 5533 Shim6 payload extension header (P = 1), 8 bytes."""
    return struct.pack(">BBB", nh, 0, 0x80) + bytes(5)


# (frame bytes, bytes captured or None for all, what it checks)
FRAMES = [
    # IPv6 chains that end in a header that is itself the last one
    (eth(0x86DD, ip6(135, mobility(59))), None,
     "Mobility, payload proto 59: the upper layer is Mobility (135)"),
    (eth(0x86DD, ip6(135, mobility(6) + tcp(0x002))), None,
     "Mobility, payload proto 6 and a TCP header after it: still 135, no ports"),
    (eth(0x86DD, ip6(0, opts(135) + mobility(59))), None,
     "Hop-by-Hop, then Mobility: 135"),
    (eth(0x86DD, ip6(60, opts(135) + mobility(59))), None,
     "Destination Options, then Mobility: 135"),
    (eth(0x86DD, ip6(135, mobility(59)[:6], plen=6)), None,
     "Mobility cut by the payload length: 135"),
    (eth(0x86DD, ip6(135, mobility(59))), 14 + 40 + 1,
     "Mobility cut by the snap length after 1 byte: 135"),
    (eth(0x86DD, ip6(62, mobility(59))), None,
     "the drafts' Mobility number (62): 62"),
    (eth(0x86DD, ip6(139, hip(59))), None,
     "HIP, next header 59: the upper layer is HIP (139)"),
    (eth(0x86DD, ip6(139, hip(6) + tcp(0x002))), None,
     "HIP, next header 6 and a TCP header after it: still 139, no ports"),
    # headers that go on to their Next Header
    (eth(0x86DD, ip6(140, shim6_control(59))), None,
     "Shim6 control message, next header 59: 59 (tshark follows Shim6)"),
    (eth(0x86DD, ip6(140, shim6_payload(6) + tcp(0x012))), None,
     "Shim6 payload extension header, then TCP: 6 with ports and flags"),
    (eth(0x86DD, ip6(60, opts(59))), None,
     "Destination Options, next header 59: 59"),
    (eth(0x86DD, ip6(59, b"")), None,
     "No Next Header right after the IPv6 header: 59"),
    # columns the corpus has no example of
    (eth(0x88A8, tci(100, 0x8100) + tci(200, 0x0800) + ip4(17, udp(5000, 53))), None,
     "802.1ad S-tag 100 then 802.1Q C-tag 200: vlan_id is the outer 100"),
    (eth(0x9100, tci(300, 0x8100) + tci(400, 0x0800) + ip4(17, udp(5000, 53))), None,
     "pre-standard QinQ tag 0x9100 (300) then 802.1Q (400): vlan_id 300"),
    (eth(0x8100, tci(0xE000, 0x86DD) + ip6(6, tcp(0x010))), None,
     "802.1Q priority tag (VID 0, PCP 7): vlan_id 0"),
    (eth(0x0800, ip4(136, udp(7000, 7001))), None,
     "UDP-Lite (136): ports"),
    (eth(0x0800, ip4(6, tcp(0xFFF))), None,
     "TCP with all 12 flag bits set (the 3 reserved ones too): 4095"),
    (eth(0x0800, ip4(6, tcp(0x1C1))), None,
     "TCP AE, CWR, ECE and FIN: 449"),
]


def main():
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, (frame, caplen, _) in enumerate(FRAMES):
        cap = frame if caplen is None else frame[:caplen]
        out += struct.pack("<IIII", 1700000000 + i, i, len(cap), len(frame)) + cap
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "pktcapture-synthetic.pcap")
    with open(path, "wb") as f:
        f.write(out)
    print("%s: %d frames" % (path, len(FRAMES)))


if __name__ == "__main__":
    main()
