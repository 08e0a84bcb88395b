#!/usr/bin/python3
"""The frames of many Ethernet capture files in one pcap, for tcpreplay.

    wire_merge.py --out OUT.pcap [--max-frames N] [--max-len L] FILE...

Reads each FILE (pcap or pcapng, as test/robust/mutate.py parses them,
damaged files included: their records up to the damage) and writes the
bytes of every frame, as captured, into one classic pcap file of link type
Ethernet, in file order, with synthetic increasing timestamps (tcpreplay
--topspeed ignores them).  One tcpreplay then sends everything, instead
of one process per file.  Frames shorter than 1 byte or longer than L
(default 9014, the veth's MTU 9000 plus an Ethernet header) are skipped:
the kernel would refuse to send them anyway.

Prints: files=N frames=M bytes=B skipped=S
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutate  # noqa: E402


def frames_of(b):
    p = mutate.parse(b)
    for _s, _e, d, n in p.records:
        yield bytes(b[d:d + n])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-frames", type=int, default=200000)
    ap.add_argument("--max-len", type=int, default=9014)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    nfiles = nframes = nbytes = skipped = 0
    ts = 1700000000 * 1000000
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for path in a.files:
            if nframes >= a.max_frames:
                break
            with open(path, "rb") as fh:
                b = fh.read()
            nfiles += 1
            for fr in frames_of(b):
                if nframes >= a.max_frames:
                    break
                if len(fr) < 1 or len(fr) > a.max_len:
                    skipped += 1
                    continue
                ts += 10
                out.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)))
                out.write(fr)
                nframes += 1
                nbytes += len(fr)
    print("files=%d frames=%d bytes=%d skipped=%d" % (nfiles, nframes, nbytes, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
