#!/usr/bin/python3
"""Duplicates in a reference capture, for test/robust-test.sh.

    dupcount.py REF.tsv

REF.tsv is tshark's reading of tcpdump's file, with the fields of
test/live/live_compare.py --fields.  Prints one line:

    ref_frames=N ref_ip=M ref_dups=D

where ref_dups is the number of IP frames whose stored row (every column
pktcapture writes, capture_time included, to the microsecond) equals the
row of an earlier frame: what count(*) - count(DISTINCT (...)) over the
rows in packets must also give if no row was written twice.
"""
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import live_compare  # noqa: E402


def main():
    frames, _non_ip, rows, _pos = live_compare.read_ref(sys.argv[1], None)
    c = collections.Counter((ts, key[:11]) for ts, key, _n in rows)
    dups = sum(n - 1 for n in c.values())
    print("ref_frames=%d ref_ip=%d ref_dups=%d" % (frames, len(rows), dups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
