#!/usr/bin/env python3
"""bench/verify-flows.py: gen-flows.py's truth file against tshark.

    verify-flows.py FILE.pcap FILE.tsv

Checks, for every conversation of the truth file (gen-flows.py --truth):
  * its frames each way against tshark's conversation statistics
    (tshark -q -z conv,tcp -z conv,udp: frames are exact there, bytes are
    rounded to kB, so they are not compared from it);
  * its frames and bytes each way, first and last timestamps, against
    tshark's per-frame fields (frame.len, frame.time_epoch, addresses and
    ports) summed by conversation;
  * that tshark sees no other conversation and that the file's timestamps
    never go back.
Prints "ok ..." or the first mismatches; exit status 1 on a mismatch.
"""
import collections
import subprocess
import sys


def key(proto, a, pa, b, pb, vlan=""):
    x, y = (a, int(pa)), (b, int(pb))
    return (int(proto), vlan) + ((x, y) if x <= y else (y, x))


def main():
    pcap, tsv = sys.argv[1:3]
    truth = {}
    with open(tsv) as f:
        next(f)
        for line in f:
            p, vlan, c, cp, s, sp, first, last, cpk, cby, spk, sby, kind = line.rstrip("\n").split("\t")
            k = key(p, c, cp, s, sp, vlan)
            if k in truth:
                print("MISMATCH: conversation twice in the truth file: %s" % (k,))
                return 1
            truth[k] = ((c, int(cp)), int(first), int(last), int(cpk), int(cby), int(spk), int(sby))
    bad = []

    # ---- conversation statistics: frames each way
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-q", "-z", "conv,tcp", "-z", "conv,udp"],
                         check=True, capture_output=True, text=True).stdout
    proto = None
    seen = 0
    # tshark's conversations ignore the VLAN: truth without it (5-tuples are unique)
    novlan = {(k[0],) + k[2:]: v for k, v in truth.items()}
    for line in out.split("\n"):
        if line.startswith("TCP Conversations"):
            proto = 6
        elif line.startswith("UDP Conversations"):
            proto = 17
        f = line.split()
        if proto is None or len(f) < 8 or f[1] != "<->":
            continue
        a, pa = f[0].rsplit(":", 1)
        b, pb = f[2].rsplit(":", 1)
        # columns: frames B->A, bytes (number + unit), frames A->B, bytes...
        rest = f[3:]
        ba = int(rest[0])
        ab = int(rest[3])
        k = (proto,) + key(proto, a, pa, b, pb)[2:]
        t = novlan.get(k)
        seen += 1
        if t is None:
            bad.append("tshark conversation not in the truth: %s" % line.strip())
            continue
        a_is_client = (a, int(pa)) == t[0]
        c2s, s2c = (ab, ba) if a_is_client else (ba, ab)
        if (c2s, s2c) != (t[3], t[5]):
            bad.append("%s: tshark frames c2s %d s2c %d, truth %d %d" % (k, c2s, s2c, t[3], t[5]))
    if seen != len(truth):
        bad.append("tshark conv: %d conversations, truth %d" % (seen, len(truth)))

    # ---- per-frame fields: frames, bytes, first and last time each way
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
           "-e", "frame.time_epoch", "-e", "frame.len", "-e", "ip.proto", "-e", "ipv6.nxt",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
           "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "tcp.dstport", "-e", "udp.dstport", "-e", "vlan.id"]
    agg = {}
    prev = None
    back = 0
    frames = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as pr:
        for line in pr.stdout:
            te, ln, p4, p6, s4, s6, d4, d6, ts_, us_, td, ud, vl = line.rstrip("\n").split("\t")
            frames += 1
            sec, _, frac = te.partition(".")
            t = int(sec) * 1_000_000 + int((frac + "000000")[:6])
            if prev is not None and t < prev:
                back += 1
            prev = t
            p = int(p4 or p6)
            src, dst = s4 or s6, d4 or d6
            sp, dp = ts_ or us_, td or ud
            k = key(p, src, sp, dst, dp, vl)
            a = agg.get(k)
            if a is None:
                a = agg[k] = [(src, int(sp)), t, t, 0, 0, 0, 0]
            a[2] = t
            if (src, int(sp)) == a[0]:
                a[3] += 1; a[4] += int(ln)
            else:
                a[5] += 1; a[6] += int(ln)
    if back:
        bad.append("%d timestamps go back" % back)
    for k, t in truth.items():
        a = agg.get(k)
        if a is None:
            bad.append("truth conversation not in the file: %s" % (k,))
            continue
        # a's first sender is the client in the truth (it always sends first)
        if a[0] != t[0] or a[1:] != list(t[1:]):
            bad.append("%s: tshark %s, truth %s" % (k, a, t))
    for k in agg:
        if k not in truth:
            bad.append("file conversation not in the truth: %s" % (k,))
    if bad:
        print("MISMATCH (%d): %s" % (len(bad), "; ".join(bad[:10])))
        return 1
    print("ok: %d conversations, %d frames, frames each way equal to tshark -z conv, frames, bytes, "
          "first and last time each way equal to tshark's fields; timestamps in order" % (len(truth), frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
