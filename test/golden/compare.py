#!/usr/bin/python3
"""Compare pktcapture's rows with tshark's golden answers, file by file.

Actual rows come from one of:
  --actual DIR      one TSV per corpus file, DIR/<file name>.tsv (e.g.
                    empty.pcapng.tsv), in id order, columns
                    src dst protocol packet_size capture_time
                    (protocol TCP, UDP or the number; capture_time as epoch
                    seconds with 6 decimals), e.g. from
                    COPY (SELECT host(src_ip), host(dst_ip), protocol,
                          packet_size, to_char(extract(epoch FROM capture_time),
                          'FM9999999999999990.000000') ... ORDER BY id) TO ...
                    A header line starting with "src" and lines starting
                    with "#" are ignored.
  --pktdecode FILE  the stdout of test/pktdecode ("-" for stdin); only
                    frames with result "ip" are rows.  With this input the
                    rows also carry frame numbers, which must agree too.

Expected rows: test/golden/expected/<file name>.tsv (gen-expected.sh).
Documented differences: test/golden/differences.tsv (see README.md).

A rule whose file is written "NAME@db" or "NAME@pktdecode" applies only to
that input (--actual is "db"): the server drops frames whose timestamp is
invalid, where pktdecode prints them.

Exit status: 0 when every corpus file matches tshark exactly or differs
exactly as documented; 1 otherwise (the first mismatching rows of each
failing file are printed).  Rules of class "bug" are known decoder or
pipeline bugs: their files are reported as XFAIL and do not fail the run
unless --strict; when such a file matches again (XPASS) the run fails so
that the rule gets removed.

--convert DIR writes the --pktdecode input as an --actual directory.
Standard library only.
"""
import argparse
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
COLS = ("src", "dst", "protocol", "packet_size", "capture_time")
PROTO_NAME = {6: "TCP", 17: "UDP"}
KINDS = ("no_rows", "missing", "extra", "field", "time_offset")


class Row:
    __slots__ = ("frame", "vals")

    def __init__(self, frame, vals):
        self.frame = frame          # tshark/pcap frame number or None
        self.vals = vals            # dict col -> normalised value

    def show(self):
        v = self.vals
        t = v["capture_time"]
        ts = "%s%d.%06d" % ("-" if t < 0 else "", abs(t) // 1000000,
                            abs(t) % 1000000)
        return "frame %-5s %s > %s %s len %s t %s" % (
            self.frame if self.frame is not None else "?", v["src"], v["dst"],
            v["protocol"], v["packet_size"], ts)


# ---------------------------------------------------------------- parsing

def norm_addr(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip()


def norm_proto(text):
    t = text.strip()
    if t.upper() in ("TCP", "UDP"):
        return t.upper()
    try:
        n = int(t)
    except ValueError:
        return t
    return PROTO_NAME.get(n, str(n))


def decimal_us(text):
    """'-12.345678' -> -12345678 (integer microseconds, extra digits cut)."""
    t = text.strip()
    neg = t.startswith("-")
    sec, _, frac = t.lstrip("-+").partition(".")
    us = int(sec or "0") * 1000000 + int((frac + "000000")[:6])
    return -us if neg else us


def make_row(frame, src, dst, proto, size, time_us):
    return Row(frame, {"src": norm_addr(src), "dst": norm_addr(dst),
                       "protocol": norm_proto(proto),
                       "packet_size": int(size), "capture_time": time_us})


def read_expected(path):
    rows, frames = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#frames\t"):
                frames = int(line.split("\t")[1])
                continue
            if not line or line.startswith("#"):
                continue
            v = line.split("\t")
            rows.append(make_row(int(v[0]), v[1], v[2], v[3], v[4],
                                 decimal_us(v[5])))
    return rows, frames


def read_actual_file(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("src"):
                continue
            v = line.split("\t")
            rows.append(make_row(None, v[0], v[1], v[2], v[3],
                                 decimal_us(v[4])))
    return rows


def read_pktdecode(path):
    """pktdecode stdout -> {file name: [Row]} (frames with result ip)."""
    out = {}
    f = sys.stdin if path == "-" else open(path)
    for line in f:
        v = line.rstrip("\n").split("\t")
        if len(v) < 3:
            continue
        name = os.path.basename(v[0])
        lst = out.setdefault(name, [])
        if v[2] != "ip":
            continue
        # time printed as %lld.%06ld of tv_sec, tv_usec: combine them as
        # integers (tv_usec may be out of range in hostile files)
        sec, _, usec = v[13].partition(".")
        t = int(sec) * 1000000 + int(usec)
        lst.append(make_row(int(v[1]), v[4], v[5], v[6], v[11], t))
    return out


def pcap_linktype(path):
    """LINKTYPE_ of a pcap file, or of the first interface of a pcapng
    file; None if unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError:
        return None
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return struct.unpack("<I", data[20:24])[0] & 0x0FFFFFFF
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return struct.unpack(">I", data[20:24])[0] & 0x0FFFFFFF
    if magic == b"\x0a\x0d\x0d\x0a":
        bo = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack(bo + "II", data[off:off + 8])
            if btype == 1:
                return struct.unpack(bo + "H", data[off + 8:off + 10])[0]
            if blen < 12:
                return None
            off += blen
    return None


# ---------------------------------------------------------------- rules

def parse_frames(spec):
    """'*' -> None (all); '1,3-5' -> {1,3,4,5}."""
    spec = spec.strip()
    if spec in ("*", ""):
        return None
    out = set()
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


class Rule:
    def __init__(self, lineno, file, kind, frames, value, cls, why):
        self.lineno, self.file, self.kind = lineno, file, kind
        self.frames_spec = frames
        self.frames = parse_frames(frames)
        self.value, self.cls, self.why = value, cls, why

    def covers(self, frame):
        return self.frames is None or frame in self.frames


def read_rules(path, source):
    rules = {}
    errors = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            v = line.split("\t")
            if len(v) != 6:
                errors.append("%s:%d: want 6 tab-separated columns" % (path, n))
                continue
            file, kind, frames, value, cls, why = v
            file, _, only = file.partition("@")
            if only and only != source:
                continue            # rule for the other input (db/pktdecode)
            if kind not in KINDS or cls not in ("diff", "bug") or not why.strip():
                errors.append("%s:%d: bad kind/class/justification" % (path, n))
                continue
            if kind == "field":
                col, _, _ = value.partition("=")
                if col not in COLS or "=" not in value:
                    errors.append("%s:%d: field value must be COLUMN=OURS" % (path, n))
                    continue
            rules.setdefault(file, []).append(
                Rule(n, file, kind, frames, value, cls, why))
    return rules, errors


def ours_field(rule):
    col, _, val = rule.value.partition("=")
    if col == "capture_time":
        return col, decimal_us(val)
    if col == "packet_size":
        return col, int(val)
    if col in ("src", "dst"):
        return col, norm_addr(val)
    return col, norm_proto(val)


def row_matches(e, a, rules):
    """Does actual row a answer expected row e, given the rules?
    Returns (ok, list of rules used)."""
    if a.frame is not None and e.frame is not None and a.frame != e.frame:
        return False, []
    used = []
    want = dict(e.vals)
    for r in rules:
        if not r.covers(e.frame):
            continue
        if r.kind == "field":
            col, val = ours_field(r)
            if want[col] == val:
                return False, []    # tshark agrees: rule is stale
            want[col] = val
            used.append(r)
        elif r.kind == "time_offset":
            want["capture_time"] += int(r.value) * 1000000
            used.append(r)
    return want == a.vals, used


def compare_file(name, expected, actual, rules, linktype):
    """-> (status, message).  status: match, documented, fail."""
    kinds = {r.kind for r in rules}
    if not rules:
        if len(expected) == len(actual) and all(
                row_matches(e, a, [])[0] for e, a in zip(expected, actual)):
            return "match", ""
        return "fail", first_diff(expected, actual, [])
    if len(expected) == len(actual) and all(
            row_matches(e, a, [])[0] for e, a in zip(expected, actual)):
        return "stale", "matches tshark exactly; remove its rules (lines %s)" % (
            ",".join(str(r.lineno) for r in rules))

    if "no_rows" in kinds:
        r = [r for r in rules if r.kind == "no_rows"][0]
        if len(rules) != 1:
            return "fail", "no_rows must be the only rule of its file"
        if linktype != int(r.value):
            return "fail", "documented link type %s, file has %s" % (r.value, linktype)
        if actual:
            return "fail", "unsupported link type %s: want 0 rows, have %d" % (
                r.value, len(actual))
        return "documented", ""

    missing = set()
    for r in rules:
        if r.kind == "missing":
            frames = {e.frame for e in expected if r.covers(e.frame)}
            if r.frames is not None and frames != r.frames:
                return "fail", "line %d: frames %s are not tshark IP frames" % (
                    r.lineno, sorted(r.frames - frames))
            missing |= frames
    exp = [e for e in expected if e.frame not in missing]
    extra_allowed = sum(int(r.value) for r in rules if r.kind == "extra")

    # ordered alignment: every remaining expected row in order, with
    # exactly extra_allowed actual rows in between that tshark lacks
    used = set()
    i = 0
    extras = []
    for a in actual:
        if i < len(exp):
            ok, u = row_matches(exp[i], a, rules)
            if ok:
                used.update(id(x) for x in u)
                i += 1
                continue
        extras.append(a)
    if i < len(exp) or len(extras) != extra_allowed:
        return "fail", first_diff(exp, actual, rules)
    for r in rules:
        if r.kind in ("field", "time_offset") and id(r) not in used:
            return "fail", "line %d (%s) did not apply" % (r.lineno, r.kind)
    return "documented", ""


def first_diff(expected, actual, rules, context=2):
    n = max(len(expected), len(actual))
    k = 0
    while k < n:
        if k >= len(expected) or k >= len(actual) or \
                not row_matches(expected[k], actual[k], rules)[0]:
            break
        k += 1
    lines = ["tshark %d rows, ours %d rows; first difference at row %d" % (
        len(expected), len(actual), k + 1)]
    for j in range(max(0, k - context), min(n, k + context + 1)):
        mark = ">" if j == k else " "
        e = expected[j].show() if j < len(expected) else "-"
        a = actual[j].show() if j < len(actual) else "-"
        lines.append("%s row %d\n    tshark: %s\n    ours:   %s" % (mark, j + 1, e, a))
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--actual", metavar="DIR")
    src.add_argument("--pktdecode", metavar="FILE")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected"))
    ap.add_argument("--differences", default=os.path.join(HERE, "differences.tsv"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "pcaps", "tcpdump"))
    ap.add_argument("--convert", metavar="DIR",
                    help="write --pktdecode input as an --actual directory and exit")
    ap.add_argument("--strict", action="store_true",
                    help="known bugs (class bug) fail too")
    ap.add_argument("--only", metavar="FILE", action="append",
                    help="compare only these corpus files")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    names = sorted(f[:-4] for f in os.listdir(args.expected) if f.endswith(".tsv"))
    if args.only:
        names = [n for n in names if n in args.only]

    pkt = read_pktdecode(args.pktdecode) if args.pktdecode else None
    if args.convert:
        os.makedirs(args.convert, exist_ok=True)
        for n in names:
            with open(os.path.join(args.convert, n + ".tsv"), "w") as f:
                for r in pkt.get(n, []):
                    v = r.vals
                    t = v["capture_time"]
                    f.write("%s\t%s\t%s\t%d\t%s%d.%06d\n" % (
                        v["src"], v["dst"], v["protocol"], v["packet_size"],
                        "-" if t < 0 else "", abs(t) // 1000000, abs(t) % 1000000))
        print("wrote %d files to %s" % (len(names), args.convert))
        return 0

    rules, errors = read_rules(args.differences, "pktdecode" if pkt is not None else "db")
    for e in errors:
        print("ERROR " + e)
    for f in sorted(set(rules) - set(names)):
        if not args.only:
            errors.append("differences.tsv names %s, which has no expected file" % f)
            print("ERROR " + errors[-1])

    counts = {}
    failed = []
    by_kind = {}
    for n in names:
        expected, _ = read_expected(os.path.join(args.expected, n + ".tsv"))
        if pkt is not None:
            actual = pkt.get(n, [])
        else:
            p = os.path.join(args.actual, n + ".tsv")
            if not os.path.exists(p):
                counts["fail"] = counts.get("fail", 0) + 1
                failed.append(n)
                print("FAIL %s: no actual file %s" % (n, p))
                continue
            actual = read_actual_file(p)
        frules = rules.get(n, [])
        lt = pcap_linktype(os.path.join(args.corpus, n)) if any(
            r.kind == "no_rows" for r in frules) else None
        status, msg = compare_file(n, expected, actual, frules, lt)
        bug = any(r.cls == "bug" for r in frules)
        if status == "documented" and bug:
            status = "xfail"
        if status == "stale" and bug:
            status = "xpass"
        counts[status] = counts.get(status, 0) + 1
        if status in ("documented", "xfail"):
            for k in sorted({r.kind for r in frules}):
                by_kind[k] = by_kind.get(k, 0) + 1
            if args.verbose or status == "xfail":
                print("%s %s: %s" % (status.upper(), n, "; ".join(
                    "%s %s %s" % (r.kind, r.frames_spec, r.value) for r in frules)))
        elif status != "match":
            failed.append(n)
            print("%s %s: %s" % (status.upper(), n, msg))
    fatal = [s for s in ("fail", "stale", "xpass") if counts.get(s)]
    if args.strict and counts.get("xfail"):
        fatal.append("xfail")
    print("files %d: match %d, documented %d, xfail (known bugs) %d, "
          "fail %d, stale rules %d, xpass %d" % (
              len(names), counts.get("match", 0), counts.get("documented", 0),
              counts.get("xfail", 0), counts.get("fail", 0),
              counts.get("stale", 0), counts.get("xpass", 0)))
    print("documented files by kind: " + ", ".join(
        "%s %d" % kv for kv in sorted(by_kind.items())))
    return 1 if fatal or errors else 0


if __name__ == "__main__":
    sys.exit(main())
