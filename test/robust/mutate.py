#!/usr/bin/python3
"""Deterministic mutator of capture files, for test/robust-test.sh.

    mutate.py --out DIR [--seed S] [--per-file N] [--dlt-per-file K]
              --index INDEX.tsv FILE...

Reads every FILE (pcap, either byte order, micro- or nanosecond; or
pcapng) and writes into DIR mutated copies built from a PRNG seeded by
--seed and the file's name, so the same arguments always give the same
bytes:

  - K copies with the link type changed (pcap file header; every pcapng
    Interface Description Block) to one of the DLTs pktcapture decodes,
    1 (Ethernet), 113 (Linux cooked), 276 (Linux cooked v2), 101 (raw),
    228 (IPv4), 229 (IPv6), 0 (BSD loopback), 108 (OpenBSD loop),
    rotating over the files so that every DLT gets the whole corpus'
    bytes many times;
  - N copies with 1 to 3 of: bit flips in the file header, in record
    headers, in record data (mostly in the first 64 bytes, where the
    headers are); truncation at a random offset; a record's captured or
    original length set to 0, 1, a huge value or a value just past the
    snap length; the snap length of the file set to 0 or a huge value;
    records duplicated or removed; impossible timestamps (microseconds
    beyond a second, seconds near 2^32, pcapng 64-bit times beyond any
    date); the magic switched between micro- and nanoseconds; each may
    also change the link type.

Files that cannot be parsed (unknown magic) only get generic bit flips
and truncations.  Mutated files are named m<NNNNN>-<kinds>-<source>.

INDEX.tsv gets one line per input and output file:
    path <TAB> origin (corpus|mutant) <TAB> dlt (-1 if unknown)
    <TAB> kinds <TAB> source file name
Prints a one-line summary on stdout.
"""
import argparse
import hashlib
import os
import random
import struct
import sys

DLTS = [1, 113, 276, 101, 228, 229, 0, 108]

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", False),
    b"\xa1\xb2\xc3\xd4": (">", False),
    b"\x4d\x3c\xb2\xa1": ("<", True),
    b"\xa1\xb2\x3c\x4d": (">", True),
}
PCAPNG_SHB = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D


class Parsed:
    """Where the interesting fields of a capture file are."""

    def __init__(self):
        self.kind = None        # "pcap", "pcapng" or None
        self.endian = "<"
        self.hdr_len = 0        # pcap file header, or the first SHB
        self.linktype_offs = []  # (offset, size) of link type fields
        self.snaplen_offs = []
        self.records = []       # (start, end, data_start, data_len)
        self.rec_hdr_fields = []  # list per record of (offset, size, name)


def parse_pcap(b, p):
    magic = b[:4]
    e, _nano = PCAP_MAGICS[magic]
    p.kind = "pcap"
    p.endian = e
    p.hdr_len = 24
    p.linktype_offs = [(20, 4)]
    p.snaplen_offs = [(16, 4)]
    off = 24
    while off + 16 <= len(b) and len(p.records) < 100000:
        _s, _u, caplen, _l = struct.unpack(e + "IIII", b[off:off + 16])
        if caplen > 0x100000 or off + 16 + caplen > len(b):
            break
        p.records.append((off, off + 16 + caplen, off + 16, caplen))
        p.rec_hdr_fields.append([(off, 4, "sec"), (off + 4, 4, "usec"),
                                 (off + 8, 4, "caplen"), (off + 12, 4, "len")])
        off += 16 + caplen


def parse_pcapng(b, p):
    p.kind = "pcapng"
    if len(b) < 12:
        p.kind = None
        return
    bom = struct.unpack("<I", b[8:12])[0]
    e = "<" if bom == BYTE_ORDER_MAGIC else ">"
    p.endian = e
    off = 0
    first = True
    while off + 12 <= len(b) and len(p.records) < 100000:
        btype, blen = struct.unpack(e + "II", b[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(b):
            break
        if btype == PCAPNG_SHB:
            bom = struct.unpack("<I", b[off + 8:off + 12])[0]
            e = "<" if bom == BYTE_ORDER_MAGIC else ">"
            p.endian = e
            if first:
                p.hdr_len = blen
        elif btype == 1 and blen >= 20:      # IDB
            p.linktype_offs.append((off + 8, 2))
            p.snaplen_offs.append((off + 12, 4))
        elif btype == 6 and blen >= 32:      # EPB
            caplen = struct.unpack(e + "I", b[off + 20:off + 24])[0]
            p.records.append((off, off + blen, off + 28, min(caplen, blen - 32)))
            p.rec_hdr_fields.append([(off + 4, 4, "blen"), (off + 8, 4, "ifid"),
                                     (off + 12, 4, "tshigh"), (off + 16, 4, "tslow"),
                                     (off + 20, 4, "caplen"), (off + 24, 4, "len")])
        elif btype == 3 and blen >= 16:      # SPB
            p.records.append((off, off + blen, off + 12, blen - 16))
            p.rec_hdr_fields.append([(off + 4, 4, "blen"), (off + 8, 4, "len")])
        first = False
        off += blen


def parse(b):
    p = Parsed()
    if b[:4] in PCAP_MAGICS and len(b) >= 24:
        parse_pcap(b, p)
    elif len(b) >= 12 and struct.unpack("<I", b[:4])[0] == PCAPNG_SHB:
        parse_pcapng(b, p)
    return p


def dlt_of(b):
    p = parse(b)
    if not p.linktype_offs:
        return -1
    off, size = p.linktype_offs[0]
    if size == 4:
        return struct.unpack(p.endian + "I", b[off:off + 4])[0] & 0x03FFFFFF
    return struct.unpack(p.endian + "H", b[off:off + 2])[0]


def put(buf, off, size, endian, value):
    fmt = endian + ("I" if size == 4 else "H")
    if off + size <= len(buf):
        struct.pack_into(fmt, buf, off, value & (0xFFFFFFFF if size == 4 else 0xFFFF))


def flip(buf, rng, lo, hi, n):
    hi = min(hi, len(buf))
    if hi <= lo:
        return
    for _ in range(n):
        i = rng.randrange(lo, hi)
        buf[i] ^= 1 << rng.randrange(8)


# --- mutations: each takes (buf, parsed, rng) and returns (buf, tag) -------

def m_linktype(buf, p, rng, dlt=None):
    if dlt is None:
        dlt = rng.choice(DLTS)
    for off, size in p.linktype_offs:
        put(buf, off, size, p.endian, dlt)
    return buf, "dlt%d" % dlt


def m_flip_filehdr(buf, p, rng):
    flip(buf, rng, 4 if p.kind else 0, max(p.hdr_len, 24), rng.randint(1, 4))
    return buf, "fhflip"


def m_flip_rechdr(buf, p, rng):
    if not p.rec_hdr_fields:
        return m_flip_any(buf, p, rng)
    for _ in range(rng.randint(1, 4)):
        fields = rng.choice(p.rec_hdr_fields)
        off, size, _name = rng.choice(fields)
        flip(buf, rng, off, off + size, 1)
    return buf, "rhflip"


def m_flip_data(buf, p, rng):
    if not p.records:
        return m_flip_any(buf, p, rng)
    for _ in range(rng.randint(1, 6)):
        _s, _e, d, n = rng.choice(p.records)
        if n > 0:
            flip(buf, rng, d, d + min(n, 64 if rng.random() < 0.9 else n), rng.randint(1, 6))
    return buf, "dflip"


def m_flip_any(buf, p, rng):
    flip(buf, rng, 0, len(buf), rng.randint(1, 16))
    return buf, "flip"


def m_truncate(buf, p, rng):
    if len(buf) > 1:
        cut = rng.randrange(1, len(buf))
        if rng.random() < 0.7 and len(buf) > 30:
            cut = rng.randrange(24, len(buf))
        del buf[cut:]
    return buf, "trunc"


LEN_VALUES = [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x00040001, 262144,
              65536, 65535, 14, 20, 40]


def m_lengths(buf, p, rng):
    if not p.rec_hdr_fields:
        return m_flip_any(buf, p, rng)
    for _ in range(rng.randint(1, 3)):
        fields = rng.choice(p.rec_hdr_fields)
        cand = [f for f in fields if f[2] in ("caplen", "len", "blen")]
        off, size, name = rng.choice(cand)
        if name == "caplen" and p.kind == "pcap" and rng.random() < 0.3:
            snap = struct.unpack(p.endian + "I", buf[16:20])[0]
            put(buf, off, size, p.endian, snap + 1)
        else:
            put(buf, off, size, p.endian, rng.choice(LEN_VALUES))
    return buf, "len"


def m_snaplen(buf, p, rng):
    for off, size in p.snaplen_offs:
        put(buf, off, size, p.endian, rng.choice([0, 1, 14, 0x7FFFFFFF, 0xFFFFFFFF, 262145]))
    return buf, "snap"


def m_dup_remove(buf, p, rng):
    if len(p.records) < 1:
        return m_truncate(buf, p, rng)
    recs = list(p.records)
    out = bytearray(buf[:recs[0][0]])
    tail = bytes(buf[recs[-1][1]:])
    chunks = [bytes(buf[s:e]) for s, e, _d, _n in recs]
    tag = "dup"
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(chunks))
        if rng.random() < 0.5 or len(chunks) < 2:
            chunks.insert(i, chunks[i])
            tag = "dup"
        else:
            del chunks[i]
            tag = "del"
    for c in chunks:
        out += c
    out += tail
    return out, tag


def m_time(buf, p, rng):
    if not p.rec_hdr_fields:
        return m_flip_any(buf, p, rng)
    for _ in range(rng.randint(1, 5)):
        fields = {f[2]: f for f in rng.choice(p.rec_hdr_fields)}
        if "usec" in fields:
            off, size, _ = fields["usec"]
            put(buf, off, size, p.endian, rng.choice([1000000, 999999999, 1000000000,
                                                      0xFFFFFFFF, 0x80000000]))
            if rng.random() < 0.3:
                off, size, _ = fields["sec"]
                put(buf, off, size, p.endian, rng.choice([0xFFFFFFFF, 0x80000000, 0]))
        elif "tshigh" in fields:
            off, size, _ = fields["tshigh"]
            put(buf, off, size, p.endian, rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000,
                                                      0x10000000]))
    return buf, "time"


def m_magic(buf, p, rng):
    if p.kind != "pcap":
        return m_flip_filehdr(buf, p, rng)
    swap = {b"\xd4\xc3\xb2\xa1": b"\x4d\x3c\xb2\xa1", b"\x4d\x3c\xb2\xa1": b"\xd4\xc3\xb2\xa1",
            b"\xa1\xb2\xc3\xd4": b"\xa1\xb2\x3c\x4d", b"\xa1\xb2\x3c\x4d": b"\xa1\xb2\xc3\xd4"}
    buf[0:4] = swap[bytes(buf[0:4])]
    return buf, "magic"


MUTATIONS = [m_flip_filehdr, m_flip_rechdr, m_flip_data, m_flip_data, m_flip_any,
             m_truncate, m_lengths, m_lengths, m_snaplen, m_dup_remove, m_time,
             m_time, m_magic]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-file", type=int, default=3)
    ap.add_argument("--dlt-per-file", type=int, default=3)
    ap.add_argument("--index", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    n = 0
    kinds = {}
    dlt_turn = 0
    with open(a.index, "w") as idx:
        for path in sorted(a.files):
            name = os.path.basename(path)
            with open(path, "rb") as fh:
                orig = fh.read()
            idx.write("%s\tcorpus\t%d\t-\t%s\n" % (path, dlt_of(orig), name))
            seed = int.from_bytes(hashlib.sha256(("%d/%s" % (a.seed, name)).encode()).digest()[:8], "big")
            rng = random.Random(seed)
            p = parse(orig)
            jobs = []
            for _ in range(a.dlt_per_file):
                jobs.append(("dlt", DLTS[dlt_turn % len(DLTS)]))
                dlt_turn += 1
            for _ in range(a.per_file):
                jobs.append(("mix", None))
            for job, dlt in jobs:
                buf = bytearray(orig)
                tags = []
                if job == "dlt":
                    if not p.linktype_offs:
                        buf, t = m_flip_any(buf, p, rng)
                    else:
                        buf, t = m_linktype(buf, p, rng, dlt)
                        if rng.random() < 0.25:
                            buf, t2 = m_flip_data(buf, p, rng)
                            tags.append(t2)
                    tags.insert(0, t)
                else:
                    steps = rng.randint(1, 3)
                    if p.kind is None:
                        choices = [m_flip_any, m_truncate]
                    else:
                        choices = MUTATIONS
                    for s in range(steps):
                        fn = rng.choice(choices)
                        # later steps need offsets of the current bytes
                        cur = parse(bytes(buf)) if s > 0 else p
                        if cur.kind is None and fn not in (m_flip_any, m_truncate):
                            fn = m_flip_any
                        buf, t = fn(buf, cur, rng)
                        tags.append(t)
                    if p.linktype_offs and rng.random() < 0.3:
                        cur = parse(bytes(buf))
                        if cur.linktype_offs:
                            buf, t = m_linktype(buf, cur, rng)
                            tags.append(t)
                for t in tags:
                    kinds[t.rstrip("0123456789") or t] = kinds.get(t.rstrip("0123456789") or t, 0) + 1
                out = os.path.join(a.out, "m%05d-%s-%s" % (n, "+".join(tags), name))
                with open(out, "wb") as fh:
                    fh.write(buf)
                idx.write("%s\tmutant\t%d\t%s\t%s\n" % (out, dlt_of(bytes(buf)), "+".join(tags), name))
                n += 1
    print("mutate.py: %d files from %d inputs (seed %d): %s" % (
        n, len(a.files), a.seed, " ".join("%s=%d" % kv for kv in sorted(kinds.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
