#!/usr/bin/python3
"""The flows of a run against what was sent, for test/flows-test.sh.

Expected values come from per-frame rows in the format of
test/golden/tshark2tsv.py (tshark's reading of a capture file, or
test/flows/gen.py's truth, which is the same format): never from
pktcapture.  The actual rows are the run's rows of flows, tab-separated,
NULL as \\N, in the columns of ACTUAL (flows-test.sh's flows_tsv).

    flowcheck.py compare --expected E.tsv --actual A.tsv --interval S
                 [--label L] [--initiator] [--in-order | --totals]
        conversation rows only (no folding expected).  Always: no folded
        row; per directed (vlan, protocol, src, sport, dst, dport),
        packets and bytes over the run equal the expected ones.  When the
        expected timestamps never go back (--in-order: they must), unless
        --totals (times of another capture of the traffic): one row per
        conversation per interval, packets and bytes each way in each
        interval, first_seen and last_seen, the TCP flags each way, the
        protocol column.  With --initiator: each row's src is the one of
        the contract (the sender of a SYN, the receiver of a SYN+ACK, the
        src of the previous interval's row, the sender of the first
        packet).
    flowcheck.py flood --expected E.tsv --actual A.tsv --interval S
                 --capacity N [--label L] [--folded-ledger P]
        the bound (per interval at most N conversation rows, N - 1 folded
        rows, 1 overflow row); totals per interval; every conversation
        row equals the conversation it names; every folded row holds
        exactly the packets of its server's conversations not kept apart,
        its sources within 30% of the distinct initiators folded in (100
        or more); the overflow row the rest; intervals of at most N
        conversations fold nothing; the packets folded = the ledger's
        flow_folded (P) = those of the conversations after the first N of
        their interval.
    flowcheck.py conv --expected E.tsv --conv C.txt --actual A.tsv --proto P
        tshark -q -z conv,tcp (P 6) or conv,udp (17) against the run's
        rows of that protocol: the same conversations, frames each way
        equal, bytes too where tshark prints them in bytes (not kB).
    flowcheck.py live --expected E.tsv --live L.tsv
        exit 0 if every conversation of E is among the rows of
        pkt_flows_live() in L (interface, first_seen, last_seen, src_ip,
        dst_ip, protocol, src_port, dst_port, ...), else 1 (and what is
        missing on stderr).

Prints "ok - ..." / "not ok - ..." lines (test/lib/check.sh's
checks_from counts them) and comments starting with #.
Standard library only.
"""
import argparse
import collections
import ipaddress
import re
import sys

EPOCH2000_US = 946684800 * 1000000
N = "\\N"
ACTUAL = ("first_seen", "last_seen", "src_ip", "dst_ip", "ip_proto", "protocol",
          "src_port", "dst_port", "packets", "bytes", "reverse_packets",
          "reverse_bytes", "tcp_flags", "reverse_tcp_flags", "vlan_id", "folded",
          "sources")
SYN, ACK = 0x02, 0x10


def us(t):
    """Epoch seconds with up to 6 decimals -> integer microseconds."""
    neg = t.startswith("-")
    sec, _, frac = t.lstrip("-").partition(".")
    v = int(sec) * 1000000 + int((frac + "000000")[:6])
    return -v if neg else v


def addr(a):
    return None if a in (N, "") else str(ipaddress.ip_address(a))


def num(x):
    return None if x in (N, "") else int(x)


class Pkt:
    __slots__ = ("t", "src", "dst", "proto", "sport", "dport", "flags", "vlan", "size")


def read_expected(path):
    out = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        v = line.rstrip("\n").split("\t")
        p = Pkt()
        p.src, p.dst, p.proto = addr(v[2]), addr(v[3]), int(v[4])
        p.sport, p.dport, p.flags, p.vlan = num(v[5]), num(v[6]), num(v[7]), num(v[8])
        p.size, p.t = int(v[9]), us(v[11])
        out.append(p)
    return out


class Row:
    pass


def read_actual(path):
    out = []
    for line in open(path):
        if not line.strip():
            continue
        v = line.rstrip("\n").split("\t")
        if len(v) != len(ACTUAL):
            sys.exit("flowcheck: %s: %d columns, want %d: %r" % (path, len(v), len(ACTUAL), line))
        r = Row()
        d = dict(zip(ACTUAL, v))
        r.first, r.last = us(d["first_seen"]), us(d["last_seen"])
        r.src, r.dst = addr(d["src_ip"]), addr(d["dst_ip"])
        r.proto, r.protocol = num(d["ip_proto"]), d["protocol"]
        r.sport, r.dport = num(d["src_port"]), num(d["dst_port"])
        r.pk, r.by = int(d["packets"]), int(d["bytes"])
        r.rpk, r.rby = int(d["reverse_packets"]), int(d["reverse_bytes"])
        r.flags, r.rflags = num(d["tcp_flags"]), num(d["reverse_tcp_flags"])
        r.vlan = num(d["vlan_id"])
        r.folded = d["folded"] == "t"
        r.sources = num(d["sources"])
        out.append(r)
    return out


def bucket(t, interval_us):
    return (t - EPOCH2000_US) // interval_us


def ckey(vlan, proto, a, ap, b, bp):
    """A conversation: its endpoints in either order."""
    e1, e2 = (a or "", ap if ap is not None else -1), (b or "", bp if bp is not None else -1)
    return (vlan if vlan is not None else -1, proto) + (tuple(sorted([e1, e2])))


def fmt_dkey(k):
    vlan, proto, s, sp, d, dp = k
    return "%s%s:%s -> %s:%s proto %s" % ("vlan %s " % vlan if vlan is not None else "",
                                        s, sp, d, dp, proto)


class Out:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def ok(self, what):
        print("ok - %s: %s" % (self.label, what))

    def not_ok(self, what, details=()):
        self.failed += 1
        print("not ok - %s: %s" % (self.label, what))
        for d in list(details)[:12]:
            print("#     %s" % d)
        if len(details) > 12:
            print("#     ... %d more" % (len(details) - 12))

    def check(self, cond, what, details=()):
        if cond:
            self.ok(what)
        else:
            self.not_ok(what, details)


def directed_expected(pkts, iv=None):
    """(bucket?, vlan, proto, src, sport, dst, dport) -> [packets, bytes]."""
    c = collections.defaultdict(lambda: [0, 0])
    for p in pkts:
        k = (p.vlan, p.proto, p.src, p.sport, p.dst, p.dport)
        if iv:
            k = (bucket(p.t, iv),) + k
        c[k][0] += 1
        c[k][1] += p.size
    return c


def directed_actual(rows, iv=None):
    c = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        for k, pk, by in (((r.vlan, r.proto, r.src, r.sport, r.dst, r.dport), r.pk, r.by),
                          ((r.vlan, r.proto, r.dst, r.dport, r.src, r.sport), r.rpk, r.rby)):
            if pk == 0 and by == 0:
                continue
            if iv:
                k = (bucket(r.first, iv),) + k
            c[k][0] += pk
            c[k][1] += by
    return c


def diff_counts(exp, act, fmt):
    d = []
    for k in sorted(set(exp) | set(act), key=str):
        e, a = exp.get(k, [0, 0]), act.get(k, [0, 0])
        if list(e) != list(a):
            d.append("%s: want %d packets %d bytes, got %d packets %d bytes" % (fmt(k), e[0], e[1], a[0], a[1]))
    return d


def expected_records(pkts, iv):
    """Per (bucket, conversation): the record the contract makes, in
    timestamp order (the file's order when equal)."""
    recs = collections.OrderedDict()
    for p in sorted(pkts, key=lambda p: p.t):
        b = bucket(p.t, iv)
        k = (b,) + ckey(p.vlan, p.proto, p.src, p.sport, p.dst, p.dport)
        r = recs.get(k)
        if r is None:
            r = recs[k] = {"first": p.t, "last": p.t, "n": collections.defaultdict(lambda: [0, 0, 0]),
                           "first_sender": (p.src, p.sport), "syn": [], "synack": [],
                           "vlan": p.vlan, "proto": p.proto}
        r["last"] = p.t
        e = r["n"][(p.src, p.sport)]
        e[0] += 1
        e[1] += p.size
        if p.flags is not None:
            e[2] |= p.flags
            if p.flags & (SYN | ACK) == SYN:
                r["syn"].append((p.src, p.sport))
            elif p.flags & (SYN | ACK) == SYN | ACK:
                r["synack"].append((p.dst, p.dport))
    return recs


def initiators(recs):
    """The initiator of each record: a set of the acceptable ones (two
    when the contract leaves it open: SYNs both ways; the previous row
    not in the interval just before)."""
    out = {}
    by_conv = collections.defaultdict(list)
    buckets = sorted(set(k[0] for k in recs))
    prev_bucket = {b: (buckets[i - 1] if i else None) for i, b in enumerate(buckets)}
    for k in recs:
        by_conv[k[1:]].append(k[0])
    for conv, bs in by_conv.items():
        last = None     # (bucket, initiator set)
        for b in sorted(bs):
            r = recs[(b,) + conv]
            hs = set(r["syn"]) | set(r["synack"])
            if hs:
                if len(hs) == 1:
                    who = set(hs)
                else:
                    who = set([r["syn"][0] if r["syn"] else r["synack"][0]]) | hs
            elif last is not None and last[0] == b - 1:
                who = last[1]
            elif last is not None and last[0] == prev_bucket[b]:
                # the run had no packet in the intervals between: the
                # previous interval has no row (the first packet's sender),
                # or the one written before it has (its src): either
                who = last[1] | {r["first_sender"]}
            else:
                who = {r["first_sender"]}
            out[(b,) + conv] = who
            last = (b, who)
    return out


def cmd_compare(a):
    o = Out(a.label)
    iv = a.interval * 1000000
    pkts = read_expected(a.expected)
    rows = read_actual(a.actual)
    print("# %s: %d packets expected, %d rows of flows" % (a.label, len(pkts), len(rows)))
    folded = [r for r in rows if r.folded or r.sources is not None]
    o.check(not folded, "no folded row, no sources (%d conversation rows)" % len(rows),
            ["folded %s -> %s" % (r.src, r.dst) for r in folded])
    o.check(sum(r.pk + r.rpk for r in rows) == len(pkts) and
            sum(r.by + r.rby for r in rows) == sum(p.size for p in pkts),
            "packets and bytes of the run: %d and %d (tshark: %d and %d)" % (
                sum(r.pk + r.rpk for r in rows), sum(r.by + r.rby for r in rows),
                len(pkts), sum(p.size for p in pkts)))
    exp, act = directed_expected(pkts), directed_actual(rows)
    d = diff_counts(exp, act, fmt_dkey)
    o.check(not d, "packets and bytes of each direction of each conversation over the run (%d directions)" % len(exp), d)
    in_order = all(x.t <= y.t for x, y in zip(pkts, pkts[1:]))
    if a.in_order:
        o.check(in_order, "the expected timestamps are in order")
    if a.totals:
        print("# %s: the run's totals only (--totals)" % a.label)
        return o.failed
    if not in_order:
        print("# %s: timestamps go back in the file: the run's totals only" % a.label)
        return o.failed
    recs = expected_records(pkts, iv)
    # one row per conversation per interval
    seen = collections.Counter()
    rowof = {}
    for r in rows:
        k = (bucket(r.first, iv),) + ckey(r.vlan, r.proto, r.src, r.sport, r.dst, r.dport)
        seen[k] += 1
        rowof[k] = r
    twice = ["%s: %d rows" % (k, n) for k, n in seen.items() if n > 1]
    missing = ["no row for %s" % (k,) for k in recs if k not in seen]
    extra = ["a row for %s, no packet" % (k,) for k in seen if k not in recs]
    o.check(not (twice or missing or extra),
            "one row per conversation per interval (%d rows, %d expected, %d intervals)" % (
                len(rows), len(recs), len(set(k[0] for k in recs))), twice + missing + extra)
    exp, act = directed_expected(pkts, iv), directed_actual(rows, iv)
    d = diff_counts(exp, act, lambda k: "interval %d %s" % (k[0], fmt_dkey(k[1:])))
    o.check(not d, "packets and bytes of each direction in each interval (%d)" % len(exp), d)
    times, flags, proto = [], [], []
    for k, e in recs.items():
        r = rowof.get(k)
        if r is None:
            continue
        if (r.first, r.last) != (e["first"], e["last"]):
            times.append("%s: first/last %d/%d, want %d/%d" % (k, r.first, r.last, e["first"], e["last"]))
        if r.proto == 6:
            f1 = e["n"].get((r.src, r.sport), [0, 0, 0])[2]
            f2 = e["n"].get((r.dst, r.dport), [0, 0, 0])[2]
            if (r.flags or 0, r.rflags or 0) != (f1, f2):
                flags.append("%s: flags %s/%s, want %d/%d" % (k, r.flags, r.rflags, f1, f2))
        elif (r.flags, r.rflags) != (None, None):
            flags.append("%s: flags %s/%s, want NULL/NULL (not TCP)" % (k, r.flags, r.rflags))
        want = {6: "TCP", 17: "UDP"}.get(r.proto, str(r.proto))
        if r.protocol != want:
            proto.append("%s: protocol %s, want %s" % (k, r.protocol, want))
    o.check(not times, "first_seen and last_seen: the times of the record's first and last packets", times)
    o.check(not flags, "tcp_flags and reverse_tcp_flags: the OR of the flags each way (NULL if not TCP)", flags)
    o.check(not proto, "the protocol column", proto)
    if a.initiator:
        who = initiators(recs)
        bad = []
        amb = 0
        for k, w in who.items():
            r = rowof.get(k)
            if r is None:
                continue
            if len(w) > 1:
                amb += 1
            if (r.src, r.sport) not in w:
                e = recs[k]
                bad.append("interval %d %s: src %s:%s, want %s (SYN from %s, SYN+ACK to %s, first from %s)" % (
                    k[0], k[1:], r.src, r.sport, " or ".join("%s:%s" % x for x in sorted(w, key=str)),
                    e["syn"][:1], e["synack"][:1], e["first_sender"]))
        o.check(not bad, "the initiator (src) of every row as the contract says (%d rows; %d where it allows either)" % (
            len(who), amb), bad)
    return o.failed


def cmd_flood(a):
    o = Out(a.label)
    iv = a.interval * 1000000
    cap = a.capacity
    pkts = sorted(read_expected(a.expected), key=lambda p: p.t)
    rows = read_actual(a.actual)
    # the generator's conversations per interval, in the order they start
    convs = collections.OrderedDict()
    for p in pkts:
        k = (bucket(p.t, iv),) + ckey(p.vlan, p.proto, p.src, p.sport, p.dst, p.dport)
        c = convs.get(k)
        if c is None:
            # the server: the receiver of the packet that starts it
            c = convs[k] = {"pk": 0, "by": 0, "init": p.src, "server": (p.dst, p.dport, p.proto, p.vlan),
                            "dir": collections.defaultdict(lambda: [0, 0])}
        c["pk"] += 1
        c["by"] += p.size
        c["dir"][(p.src, p.sport)][0] += 1
        c["dir"][(p.src, p.sport)][1] += p.size
    per_b = collections.defaultdict(list)
    for k in convs:
        per_b[k[0]].append(k)
    rows_b = collections.defaultdict(list)
    for r in rows:
        rows_b[bucket(r.first, iv)].append(r)
    # the bound
    bound = []
    for b in sorted(set(per_b) | set(rows_b)):
        rs = rows_b.get(b, [])
        conv = [r for r in rs if not r.folded]
        fold = [r for r in rs if r.folded and r.dst is not None]
        over = [r for r in rs if r.folded and r.dst is None]
        print("# %s: interval %d: %d conversations sent, %d packets; rows: %d conversation, %d folded, %d overflow" % (
            a.label, b, len(per_b.get(b, [])), sum(convs[k]["pk"] for k in per_b.get(b, [])),
            len(conv), len(fold), len(over)))
        if len(rs) > 2 * cap or len(conv) > cap or len(fold) > cap - 1 or len(over) > 1:
            bound.append("interval %d: %d rows (%d conversation, %d folded, %d overflow)" % (
                b, len(rs), len(conv), len(fold), len(over)))
    o.check(not bound, "every interval holds at most %d rows: at most %d conversation rows, %d folded, 1 overflow" % (
        2 * cap, cap, cap - 1), bound)
    tot = []
    for b in sorted(set(per_b) | set(rows_b)):
        e = (sum(convs[k]["pk"] for k in per_b.get(b, [])), sum(convs[k]["by"] for k in per_b.get(b, [])))
        g = (sum(r.pk + r.rpk for r in rows_b.get(b, [])), sum(r.by + r.rby for r in rows_b.get(b, [])))
        if e != g:
            tot.append("interval %d: want %d packets %d bytes, got %d packets %d bytes" % (b, e[0], e[1], g[0], g[1]))
    o.check(not tot, "packets and bytes of every interval equal the generator's (%d packets)" % len(pkts), tot)
    shape = [r for r in rows if r.folded and (r.src is not None or r.sport is not None or r.sources is None or
                                              (r.dst is None and (r.dport is not None or r.proto is not None)))]
    shape += [r for r in rows if not r.folded and r.sources is not None]
    o.check(not shape, "folded rows: no src, sources set; overflow rows: no dst, port or protocol; conversation rows: no sources",
            ["%s:%s -> %s:%s folded %s sources %s" % (r.src, r.sport, r.dst, r.dport, r.folded, r.sources) for r in shape])
    # conversation rows: each the whole conversation it names
    kept = set()
    bad = []
    for r in rows:
        if r.folded:
            continue
        k = (bucket(r.first, iv),) + ckey(r.vlan, r.proto, r.src, r.sport, r.dst, r.dport)
        c = convs.get(k)
        if c is None or k in kept:
            bad.append("%s: %s" % (k, "twice" if c else "no such conversation"))
            continue
        kept.add(k)
        want = (c["dir"][(r.src, r.sport)], c["dir"][(r.dst, r.dport)])
        if ([r.pk, r.by], [r.rpk, r.rby]) != (list(want[0]), list(want[1])):
            bad.append("%s: %d/%d and %d/%d, want %s and %s" % (k, r.pk, r.by, r.rpk, r.rby, want[0], want[1]))
    o.check(not bad, "every conversation row holds its whole conversation (%d rows)" % len(kept), bad)
    # the first N conversations of an interval are kept apart
    first = set()
    for b, ks in per_b.items():
        first.update(ks[:cap])
    notfirst = sorted(str(k) for k in kept - first)
    o.check(not notfirst and kept == first,
            "the conversations kept apart are the first %d of each interval (%d kept, %d expected)" % (
                cap, len(kept), len(first)), notfirst + ["%s not kept" % (k,) for k in sorted(first - kept, key=str)])
    # folded rows: exactly the packets of their server's conversations not kept
    servers = collections.defaultdict(lambda: {"pk": 0, "by": 0, "src": set()})
    for k, c in convs.items():
        if k in kept:
            continue
        s = servers[(k[0],) + c["server"]]
        s["pk"] += c["pk"]
        s["by"] += c["by"]
        s["src"].add(c["init"])
    fold_bad, est = [], []
    rest = collections.defaultdict(lambda: {"pk": 0, "by": 0, "src": set()})
    has_row = set()
    for r in rows:
        if r.folded and r.dst is not None:
            has_row.add((bucket(r.first, iv), r.dst, r.dport, r.proto, r.vlan))
    for k, s in servers.items():
        if k not in has_row:
            o_ = rest[k[0]]
            o_["pk"] += s["pk"]
            o_["by"] += s["by"]
            o_["src"] |= s["src"]
    for r in rows:
        if not r.folded:
            continue
        b = bucket(r.first, iv)
        if r.dst is not None:
            s = servers.get((b, r.dst, r.dport, r.proto, r.vlan))
            what = "interval %d folded %s:%s proto %s" % (b, r.dst, r.dport, r.proto)
        else:
            s = rest.get(b)
            what = "interval %d overflow" % b
        if s is None:
            fold_bad.append("%s: no folded conversation of that server" % what)
            continue
        if (r.pk + r.rpk, r.by + r.rby) != (s["pk"], s["by"]):
            fold_bad.append("%s: %d packets %d bytes, want %d and %d" % (what, r.pk + r.rpk, r.by + r.rby, s["pk"], s["by"]))
        n = len(s["src"])
        line = "%s: sources %s, %d distinct initiators folded in" % (what, r.sources, n)
        if n >= 100:
            est.append((abs((r.sources or 0) - n) <= 0.3 * n, line))
    o.check(not fold_bad, "every folded row holds exactly its server's packets beyond those kept apart, the overflow row the rest (%d folded rows)" % (
        sum(1 for r in rows if r.folded)), fold_bad)
    for ok_, line in est:
        print("# %s" % line)
    o.check(est and all(x for x, _ in est), "sources within 30%% of the distinct initiators folded in, where 100 or more (%d rows)" % len(est),
            [line for x, line in est if not x])
    # intervals with at most N conversations fold nothing
    small = [b for b, ks in per_b.items() if len(ks) <= cap]
    sf = [b for b in small if any(r.folded for r in rows_b.get(b, []))]
    o.check(small and not sf, "intervals of at most %d conversations fold nothing (%s)" % (
        cap, ", ".join("%d: %d" % (b, len(per_b[b])) for b in sorted(small))), ["interval %d folds" % b for b in sf])
    folded_rows = sum(r.pk + r.rpk for r in rows if r.folded)
    predicted = sum(convs[k]["pk"] for k in convs if k not in first)
    o.check(folded_rows == predicted and predicted > 0,
            "packets in folded rows %d = those of the conversations after the first %d of their interval %d" % (
                folded_rows, cap, predicted))
    if a.folded_ledger is not None:
        o.check(a.folded_ledger == folded_rows and a.folded_ledger > 0,
                "pkt_runs.flow_folded %d = the packets in folded rows %d" % (a.folded_ledger, folded_rows))
    return o.failed


CONV_RE = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s")


def cmd_conv(a):
    """tshark -q -z conv,tcp|udp against the run's rows of that protocol."""
    o = Out(a.label)
    rows = [r for r in read_actual(a.actual) if r.proto == a.proto]
    act = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        for k, pk, by in (((r.src, r.sport, r.dst, r.dport), r.pk, r.by),
                          ((r.dst, r.dport, r.src, r.sport), r.rpk, r.rby)):
            act[k][0] += pk
            act[k][1] += by
    convs, bad, exact = set(), [], 0
    for line in open(a.conv):
        m = CONV_RE.match(line)
        if not m:
            continue
        A, ap, B, bp = addr(m.group(1)), int(m.group(2)), addr(m.group(3)), int(m.group(4))
        convs.add(ckey(None, a.proto, A, ap, B, bp))
        for (s, sp, d, dp), fr, by, unit in (((B, bp, A, ap), m.group(5), m.group(6), m.group(7)),
                                             ((A, ap, B, bp), m.group(8), m.group(9), m.group(10))):
            g = act.get((s, sp, d, dp), [0, 0])
            if g[0] != int(fr) or (unit == "bytes" and g[1] != int(by)):
                bad.append("%s:%s -> %s:%s: tshark %s frames %s %s, flows %d packets %d bytes" % (
                    s, sp, d, dp, fr, by, unit, g[0], g[1]))
            elif unit == "bytes":
                exact += 1
    mine = set(ckey(None, a.proto, r.src, r.sport, r.dst, r.dport) for r in rows)
    bad += ["flows has %s, tshark not" % (k,) for k in mine - convs]
    bad += ["tshark has %s, flows not" % (k,) for k in convs - mine]
    o.check(convs and not bad, "tshark -z conv: %d conversations, frames each way equal (bytes too in %d directions tshark prints exactly)" % (
        len(convs), exact), bad)
    return o.failed


def cmd_live(a):
    pkts = read_expected(a.expected)
    want = set(ckey(None, p.proto, p.src, p.sport, p.dst, p.dport) for p in pkts)
    have = set()
    for line in open(a.live):
        v = line.rstrip("\n").split("\t")
        if len(v) < 8:
            continue
        proto = {"TCP": 6, "UDP": 17}.get(v[5])
        if proto is None:
            proto = int(v[5])
        have.add(ckey(None, proto, addr(v[3]), num(v[6]), addr(v[4]), num(v[7])))
    miss = want - have
    if miss:
        print("%d of %d conversations not in pkt_flows_live(), e.g. %s" % (len(miss), len(want), sorted(miss)[:3]),
              file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("compare", "flood", "live", "conv"))
    ap.add_argument("--conv")
    ap.add_argument("--proto", type=int)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--actual")
    ap.add_argument("--live")
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--label", default="flows")
    ap.add_argument("--in-order", action="store_true")
    ap.add_argument("--totals", action="store_true")
    ap.add_argument("--initiator", action="store_true")
    ap.add_argument("--capacity", type=int)
    ap.add_argument("--folded-ledger", type=int)
    a = ap.parse_args()
    if a.cmd == "compare":
        sys.exit(1 if cmd_compare(a) else 0)
    if a.cmd == "flood":
        sys.exit(1 if cmd_flood(a) else 0)
    if a.cmd == "conv":
        sys.exit(1 if cmd_conv(a) else 0)
    sys.exit(cmd_live(a))


if __name__ == "__main__":
    main()
