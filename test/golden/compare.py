#!/usr/bin/python3
"""Compare pktcapture's rows with tshark's golden answers, file by file,
every stored column of every row.

Actual rows come from one of:
  --actual DIR      one TSV per corpus file, DIR/<file name>.tsv (e.g.
                    empty.pcapng.tsv), in id order, columns ACTUAL_COLS:
                    ip_version src dst ip_proto protocol src_port dst_port
                    tcp_flags vlan_id packet_size captured_size capture_time
                    (NULL as \\N, addresses as text, protocol the stored
                    TCP/UDP/number, capture_time as epoch seconds with 6
                    decimals; see run.sh).  An optional first line
                    "#frames<TAB>N" is the frames the load read.  A header
                    line starting with "ip_version" and other lines
                    starting with "#" are ignored.
  --pktdecode FILE  the stdout of test/pktdecode ("-" for stdin); only
                    frames with result "ip" are rows.  With this input the
                    rows also carry frame numbers, which must agree too,
                    and every frame read is counted.

Expected rows: test/golden/expected/<file name>.tsv (gen-expected.sh,
format in tshark2tsv.py).  Documented differences:
test/golden/differences.tsv (see README.md).

Compared per row: ip_version, src, dst, ip_proto, protocol (which must be
TCP/UDP/the number of tshark's ip_proto), src_port, dst_port, tcp_flags,
vlan_id, packet_size, captured_size, capture_time.  Per file, when tshark
read any frame: the number of frames read, if the input says it.

A rule whose file is written "NAME@db" or "NAME@pktdecode" applies only to
that input (--actual is "db"): the server drops frames whose timestamp is
invalid, where pktdecode prints them.

Exit status: 0 when every corpus file matches tshark exactly or differs
exactly as documented; 1 otherwise (the first mismatching rows of each
failing file are printed, with the columns that differ).  Rules of class
"bug" are known decoder or pipeline bugs: their files are reported as
XFAIL and do not fail the run unless --strict; when such a file matches
again (XPASS) the run fails so that the rule gets removed.

--convert DIR writes the --pktdecode input as an --actual directory.
Standard library only.
"""
import argparse
import ipaddress
import os
import struct
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the tree
import tshark2tsv                   # noqa: E402  (the expected format)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
NULL = tshark2tsv.NULL
# every compared column, in display order
COLS = ("ip_version", "src", "dst", "ip_proto", "protocol", "src_port",
        "dst_port", "tcp_flags", "vlan_id", "packet_size", "captured_size",
        "capture_time")
ACTUAL_COLS = COLS
INT_COLS = ("ip_version", "ip_proto", "src_port", "dst_port", "tcp_flags",
            "vlan_id", "packet_size", "captured_size")
PROTO_NAME = {6: "TCP", 17: "UDP"}
KINDS = ("no_rows", "missing", "extra", "field", "time_offset", "snaplen")


def proto_name(n):
    """The packets.protocol of ip_proto n (its generated column)."""
    return None if n is None else PROTO_NAME.get(n, str(n))


def show_time(t):
    if t is None:
        return NULL
    return "%s%d.%06d" % ("-" if t < 0 else "", abs(t) // 1000000,
                          abs(t) % 1000000)


class Row:
    __slots__ = ("frame", "vals")

    def __init__(self, frame, vals):
        self.frame = frame          # tshark/pcap frame number or None
        self.vals = vals            # dict col -> normalised value (None = NULL)

    def show(self, cols=COLS):
        v = self.vals
        out = []
        for c in cols:
            x = v[c]
            if c == "capture_time":
                x = show_time(x)
            out.append("%s=%s" % (c, NULL if x is None else x))
        return "frame %s %s" % (self.frame if self.frame is not None else "?",
                                " ".join(out))


# ---------------------------------------------------------------- parsing

def norm_addr(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip()


def norm_int(text):
    t = text.strip()
    if t == NULL:
        return None
    return int(t, 0)


def decimal_us(text):
    """'-12.345678' -> -12345678 (integer microseconds, extra digits cut)."""
    t = text.strip()
    neg = t.startswith("-")
    sec, _, frac = t.lstrip("-+").partition(".")
    us = int(sec or "0") * 1000000 + int((frac + "000000")[:6])
    return -us if neg else us


def norm_value(col, text):
    """A column's text (tshark's, ours or a rule's) -> comparable value."""
    if text.strip() == NULL:
        return None
    if col in ("src", "dst"):
        return norm_addr(text)
    if col == "capture_time":
        return decimal_us(text)
    if col == "protocol":
        return text.strip().upper() if text.strip().upper() in ("TCP", "UDP") \
            else text.strip()
    return norm_int(text)


def make_row(frame, vals):
    """vals: col -> text for every column of COLS but protocol, which is
    derived from ip_proto unless given (the database's own column)."""
    row = {c: norm_value(c, vals[c]) for c in COLS if c in vals}
    if "protocol" not in row:
        row["protocol"] = proto_name(row["ip_proto"])
    return Row(frame, row)


def read_expected(path):
    """tshark2tsv.py's output -> ([Row], frames tshark read)."""
    rows, frames = [], None
    names = tshark2tsv.COLUMNS
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#frames\t"):
                frames = int(line.split("\t")[1])
                continue
            if not line or line.startswith("#"):
                continue
            v = line.split("\t")
            if len(v) != len(names):
                raise SystemExit("%s: want %d columns: %s" % (path, len(names), line))
            d = dict(zip(names, v))
            rows.append(make_row(int(d.pop("frame")), d))
    return rows, frames


def read_actual_file(path):
    """One --actual file -> ([Row], frames read or None)."""
    rows, frames = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#frames\t"):
                frames = int(line.split("\t")[1])
                continue
            if not line or line.startswith("#") or line.startswith("ip_version"):
                continue
            v = line.split("\t")
            if len(v) != len(ACTUAL_COLS):
                raise SystemExit("%s: want %d columns (%s): %s" % (
                    path, len(ACTUAL_COLS), " ".join(ACTUAL_COLS), line))
            rows.append(make_row(None, dict(zip(ACTUAL_COLS, v))))
    return rows, frames


def read_pktdecode(path):
    """pktdecode stdout -> {file name: ([Row], frames read)}.

    Lines: file frame result [ipver src dst proto sport dport tcpflags
    vlan len caplen time] (the bracketed part only for result ip)."""
    out = {}
    f = sys.stdin if path == "-" else open(path)
    for line in f:
        v = line.rstrip("\n").split("\t")
        if len(v) < 3:
            continue
        name = os.path.basename(v[0])
        rows, frames = out.get(name, ([], 0))
        out[name] = (rows, max(frames, int(v[1])))
        if v[2] != "ip":
            continue
        if len(v) != 14:
            raise SystemExit("pktdecode output: want 14 columns: %s" % line)
        # time printed as %lld.%06ld of tv_sec, tv_usec: combine them as
        # integers (tv_usec may be out of range in hostile files)
        sec, _, usec = v[13].partition(".")
        t = int(sec) * 1000000 + int(usec)
        row = make_row(int(v[1]), {
            "ip_version": v[3], "src": v[4], "dst": v[5], "ip_proto": v[6],
            "src_port": v[7], "dst_port": v[8], "tcp_flags": v[9],
            "vlan_id": v[10], "packet_size": v[11], "captured_size": v[12],
            "capture_time": "0"})
        row.vals["capture_time"] = t
        rows.append(row)
    return out


def pcap_header(path):
    """(LINKTYPE_, snap length) of a pcap file, or of the first interface
    of a pcapng file; (None, None) if unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError:
        return None, None
    if len(data) < 24:
        return None, None
    magic = data[:4]
    for bo, magics in (("<", (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")),
                       (">", (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"))):
        if magic in magics:
            snaplen, linktype = struct.unpack(bo + "II", data[16:24])
            return linktype & 0x0FFFFFFF, snaplen
    if magic == b"\x0a\x0d\x0d\x0a":
        bo = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 16 <= len(data):
            btype, blen = struct.unpack(bo + "II", data[off:off + 8])
            if btype == 1:
                linktype, _, snaplen = struct.unpack(bo + "HHI", data[off + 8:off + 16])
                return linktype, snaplen
            if blen < 12:
                return None, None
            off += blen
    return None, None


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
        self.changes = []           # field: [(col, ours)]
        if kind == "field":
            for part in value.split(","):
                col, _, val = part.partition("=")
                self.changes.append((col, norm_value(col, val)))

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
            if only not in ("", "db", "pktdecode"):
                errors.append("%s:%d: @%s: want @db or @pktdecode" % (path, n, only))
                continue
            if only and only != source:
                continue            # rule for the other input (db/pktdecode)
            if kind not in KINDS or cls not in ("diff", "bug") or not why.strip():
                errors.append("%s:%d: bad kind/class/justification" % (path, n))
                continue
            if kind == "field":
                bad = [p for p in value.split(",") if "=" not in p or
                       p.partition("=")[0] not in COLS or
                       p.partition("=")[0] == "protocol"]
                if bad:
                    errors.append("%s:%d: field value must be COLUMN=OURS[,COLUMN=OURS...] "
                                  "with COLUMN one of %s (protocol follows ip_proto)" % (
                                      path, n, " ".join(c for c in COLS if c != "protocol")))
                    continue
                try:
                    Rule(n, file, kind, frames, value, cls, why)
                except ValueError:
                    errors.append("%s:%d: bad value %s" % (path, n, value))
                    continue
            rules.setdefault(file, []).append(
                Rule(n, file, kind, frames, value, cls, why))
    return rules, errors


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
            for col, val in r.changes:
                if want[col] == val:
                    return False, []    # tshark agrees: rule is stale
                want[col] = val
                if col == "ip_proto":
                    want["protocol"] = proto_name(val)
            used.append(r)
        elif r.kind == "time_offset":
            want["capture_time"] += int(r.value) * 1000000
            used.append(r)
        elif r.kind == "snaplen":
            if want["captured_size"] > int(r.value):
                want["captured_size"] = int(r.value)
                used.append(r)
            elif r.frames is not None:
                return False, []    # a listed frame within the snap length
    return want == a.vals, used


def differing(e, a, rules):
    """Columns in which a differs from what e and the rules want."""
    want = dict(e.vals)
    for r in rules:
        if r.kind == "field" and r.covers(e.frame):
            for col, val in r.changes:
                want[col] = val
                if col == "ip_proto":
                    want["protocol"] = proto_name(val)
        if r.kind == "snaplen" and r.covers(e.frame):
            want["captured_size"] = min(want["captured_size"], int(r.value))
    return [c for c in COLS if want[c] != a.vals[c]]


def compare_file(name, expected, actual, rules, header):
    """-> (status, message).  status: match, documented, stale, fail."""
    kinds = {r.kind for r in rules}
    exact = len(expected) == len(actual) and all(
        row_matches(e, a, [])[0] for e, a in zip(expected, actual))
    if not rules:
        if exact:
            return "match", ""
        return "fail", first_diff(expected, actual, [])
    if exact:
        return "stale", "matches tshark exactly; remove its rules (lines %s)" % (
            ",".join(str(r.lineno) for r in rules))

    if "no_rows" in kinds:
        r = [r for r in rules if r.kind == "no_rows"][0]
        if len(rules) != 1:
            return "fail", "no_rows must be the only rule of its file"
        if header[0] != int(r.value):
            return "fail", "documented link type %s, file has %s" % (r.value, header[0])
        if actual:
            return "fail", "unsupported link type %s: want 0 rows, have %d" % (
                r.value, len(actual))
        return "documented", ""

    for r in rules:
        if r.kind == "snaplen" and header[1] != int(r.value):
            return "fail", "line %d: documented snap length %s, file has %s" % (
                r.lineno, r.value, header[1])
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
        if r.kind in ("field", "time_offset", "snaplen") and id(r) not in used:
            return "fail", "line %d (%s %s %s) did not apply: tshark already says so, " \
                "or the frame is not ours" % (r.lineno, r.kind, r.frames_spec, r.value)
    return "documented", ""


def first_diff(expected, actual, rules, context=1):
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
        if j < len(expected) and j < len(actual):
            cols = differing(expected[j], actual[j], rules)
            if expected[j].frame is not None and actual[j].frame is not None and \
                    expected[j].frame != actual[j].frame:
                cols = ["frame"] + cols
            lines.append("%s row %d differs in: %s" % (mark, j + 1, " ".join(cols) or "-"))
        else:
            lines.append("%s row %d" % (mark, j + 1))
        e = expected[j].show() if j < len(expected) else "-"
        a = actual[j].show() if j < len(actual) else "-"
        lines.append("    tshark: %s\n    ours:   %s" % (e, a))
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def write_actual(path, rows, frames):
    """Rows in the --actual format (what run.sh dumps from the database)."""
    with open(path, "w") as f:
        if frames is not None:
            f.write("#frames\t%d\n" % frames)
        for r in rows:
            v = dict(r.vals)
            v["capture_time"] = show_time(v["capture_time"])
            f.write("\t".join(NULL if v[c] is None else str(v[c])
                              for c in ACTUAL_COLS) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--actual", metavar="DIR")
    src.add_argument("--pktdecode", metavar="FILE")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected"))
    ap.add_argument("--differences", default=os.path.join(HERE, "differences.tsv"))
    ap.add_argument("--corpus", action="append",
                    help="directory of the capture files (for link types); "
                    "default ../shared/pcaps/tcpdump and test/golden/synthetic")
    ap.add_argument("--convert", metavar="DIR",
                    help="write --pktdecode input as an --actual directory and exit")
    ap.add_argument("--strict", action="store_true",
                    help="known bugs (class bug) fail too")
    ap.add_argument("--only", metavar="FILE", action="append",
                    help="compare only these corpus files")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    corpora = args.corpus or [os.path.join(ROOT, "..", "shared", "pcaps", "tcpdump"),
                              os.path.join(HERE, "synthetic")]

    names = sorted(f[:-4] for f in os.listdir(args.expected) if f.endswith(".tsv"))
    if args.only:
        names = [n for n in names if n in args.only]

    pkt = read_pktdecode(args.pktdecode) if args.pktdecode else None
    if args.convert:
        os.makedirs(args.convert, exist_ok=True)
        for n in names:
            rows, frames = pkt.get(n, ([], None))
            write_actual(os.path.join(args.convert, n + ".tsv"), rows, frames)
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
    nrows = 0
    for n in names:
        expected, tshark_frames = read_expected(os.path.join(args.expected, n + ".tsv"))
        if pkt is not None:
            # a file with no frame line: pktdecode read no frame of it
            actual, frames = pkt.get(n, ([], 0))
        else:
            p = os.path.join(args.actual, n + ".tsv")
            if not os.path.exists(p):
                counts["fail"] = counts.get("fail", 0) + 1
                failed.append(n)
                print("FAIL %s: no actual file %s" % (n, p))
                continue
            actual, frames = read_actual_file(p)
        nrows += len(actual)
        if tshark_frames and frames is not None and frames != tshark_frames:
            counts["fail"] = counts.get("fail", 0) + 1
            failed.append(n)
            print("FAIL %s: tshark read %d frames, ours %d" % (n, tshark_frames, frames))
            continue
        frules = rules.get(n, [])
        header = (None, None)
        if any(r.kind in ("no_rows", "snaplen") for r in frules):
            for d in corpora:
                if os.path.exists(os.path.join(d, n)):
                    header = pcap_header(os.path.join(d, n))
                    break
        status, msg = compare_file(n, expected, actual, frules, header)
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
    print("files %d (%d rows, every column): match %d, documented %d, "
          "xfail (known bugs) %d, fail %d, stale rules %d, xpass %d" % (
              len(names), nrows, counts.get("match", 0), counts.get("documented", 0),
              counts.get("xfail", 0), counts.get("fail", 0),
              counts.get("stale", 0), counts.get("xpass", 0)))
    print("documented files by kind: " + ", ".join(
        "%s %d" % kv for kv in sorted(by_kind.items())))
    return 1 if fatal or errors else 0


if __name__ == "__main__":
    sys.exit(main())
