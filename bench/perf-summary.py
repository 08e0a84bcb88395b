#!/usr/bin/env python3
"""bench/perf-summary.py: where pkt_load's time goes, from a perf.data.

    perf-summary.py PERF_DATA [TOP]

Recorded by bench/run.sh with `perf record --call-graph dwarf -p <backend>`
around one pkt_load.  Reads the call chains (perf script) and prints, as
shares of all the backend's samples:

  1. by call site in pktcapture: every sample is attributed to the chain of
     pktcapture functions on its stack (e.g. pkt_load > pkt_run_write) and
     the first PostgreSQL/library function it calls from there (e.g.
     SPI_execute_plan, construct_md_array, pcap_next_ex, or "(self)");
  2. inside each SPI statement call site, the inclusive share of the
     executor stages: unnest into a tuplestore, generated column, identity,
     heap insert, index insertion (btree, BRIN, unique/ON CONFLICT checks),
     aggregation, WAL, memory allocation, page faults;
  3. self cost by library and the TOP (default 25) functions by self cost.

Static functions of the Debian postgres binary have no symbol (no debug
package): they are skipped when walking a chain, their cost stays in the
inclusive figures of their named callers and shows as an address in 3.
Inlined functions of pktcapture.so appear under their own names.
"""
import collections
import re
import subprocess
import sys

EXECUTOR_STAGES = [
    ("unnest into tuplestore (ExecMakeTableFunctionResult)", ["ExecMakeTableFunctionResult"]),
    ("  array_unnest", ["array_unnest"]),
    ("  tuplestore_puttuple/putvalues", ["tuplestore_putvalues", "tuplestore_puttupleslot"]),
    ("tuplestore read back (tuplestore_gettupleslot)", ["tuplestore_gettupleslot"]),
    ("generated column (ExecComputeStoredGenerated)", ["ExecComputeStoredGenerated"]),
    ("identity / sequence (nextval_internal)", ["nextval_internal"]),
    ("NOT NULL / CHECK (ExecConstraints)", ["ExecConstraints"]),
    ("heap insert (heap_insert)", ["heap_insert"]),
    ("  find a page (RelationGetBufferForTuple)", ["RelationGetBufferForTuple"]),
    ("heap update (heap_update, ON CONFLICT DO UPDATE)", ["heap_update"]),
    ("index insertion (ExecInsertIndexTuples)", ["ExecInsertIndexTuples"]),
    ("  btree (btinsert)", ["btinsert"]),
    ("    unique check (_bt_check_unique)", ["_bt_check_unique"]),
    ("  BRIN (brininsert)", ["brininsert"]),
    ("ON CONFLICT arbiter check (ExecCheckIndexConstraints)", ["ExecCheckIndexConstraints"]),
    ("hash aggregation (LookupTupleHashEntry)", ["LookupTupleHashEntry", "LookupTupleHashEntryHash"]),
    ("sort (tuplesort_*)", ["tuplesort_puttupleslot", "tuplesort_performsort", "tuplesort_gettupleslot"]),
    ("planning (GetCachedPlan)", ["GetCachedPlan"]),
    ("WAL (XLogInsert)", ["XLogInsert"]),
    ("memory allocation (palloc family)", ["palloc", "palloc0", "palloc_extended", "MemoryContextAllocZero",
                                           "MemoryContextAllocZeroAligned", "repalloc", "MemoryContextAllocHuge",
                                           "MemoryContextAllocExtended"]),
    ("page faults (kernel)", ["asm_exc_page_fault"]),
]

HEX = re.compile(r"^(0x)?[0-9a-f]+$")
FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def known(sym):
    return sym and sym != "[unknown]" and not HEX.match(sym)


def read_samples(data):
    p = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,ip,sym,dso"],
                       capture_output=True, text=True)
    samples = []
    cur = None
    for line in p.stdout.splitlines():
        if not line.strip():
            if cur:
                samples.append(list(reversed(cur)))   # root first
            cur = None
            continue
        m = FRAME.match(line)
        if m:
            if cur is None:
                cur = []
            ip, sym, dso = m.groups()
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            dso = dso.rsplit("/", 1)[-1]
            if not known(sym):
                sym = "0x" + ip
            cur.append((sym, dso))
        else:
            cur = []
    if cur:
        samples.append(list(reversed(cur)))
    # an inlined frame belongs to the library of its caller
    for st in samples:
        for i, (s, dso) in enumerate(st):
            if dso == "inlined" and i > 0:
                st[i] = (s, st[i - 1][1])
    return samples


def pct(n, total):
    return "%5.1f%%" % (100.0 * n / total) if total else "-"


def main():
    data = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    samples = read_samples(data)
    total = len(samples)
    print("samples: %d (the backend, whole pkt_load call and a little idle around it)" % total)
    if not total:
        return

    # 1. call sites: pktcapture chain + first function called outside it
    sites = collections.Counter()
    site_samples = collections.defaultdict(list)
    in_load = 0
    for st in samples:
        syms = [s for s, _ in st]
        if "pkt_load" in syms or "pkt_load_file" in syms:
            in_load += 1
        chain = []
        callee = "(self)"
        last = -1
        for i, (s, dso) in enumerate(st):
            if dso == "pktcapture.so":
                chain.append(s)
                last = i
        if last < 0:
            key = ("(outside pktcapture)", "-")
        else:
            callee = "(self)"
            for s, dso in st[last + 1:]:
                if known(s) and not s.startswith("0x"):
                    callee = s if not dso.startswith("[kernel") else "kernel: " + s
                    break
            # drop the leading pkt_load / pkt_load_file / read_capture_file (always there)
            while len(chain) > 1 and chain[0] in ("pkt_load", "pkt_load_file", "read_capture_file", "load_file"):
                chain.pop(0)
            # keep the last three pktcapture frames
            key = (" > ".join(chain[-3:]), callee)
        sites[key] += 1
        site_samples[key].append(st)
    print("inside pkt_load: %s" % pct(in_load, total))
    print()
    print("1. by call site: pktcapture functions > first function called outside pktcapture")
    print("   %-70s %s" % ("pktcapture chain (last 3) | callee", "share"))
    shown = 0
    for (chain, callee), n in sites.most_common():
        if 100.0 * n / total < 0.5 and shown >= 12:
            break
        print("   %-70s %s" % ((chain + " | " + callee)[:70], pct(n, total)))
        shown += 1

    # 2. executor stages inside each SPI call site
    print()
    print("2. executor stages inside each SPI call site (inclusive, share of all samples)")
    for (chain, callee), n in sites.most_common():
        if not callee.startswith("SPI_") or 100.0 * n / total < 1.0:
            continue
        print("   %s | %s: %s" % (chain, callee, pct(n, total)))
        for label, names in EXECUTOR_STAGES:
            names = set(names)
            c = sum(1 for st in site_samples[(chain, callee)] if any(s in names for s, _ in st))
            if c:
                print("     %-66s %s" % (label, pct(c, total)))

    # 3. self cost
    print()
    by_dso = collections.Counter(st[-1][1] for st in samples if st)
    print("3. self cost by library: " + ", ".join("%s %s" % (d, pct(n, total).strip())
                                                   for d, n in by_dso.most_common(6)))
    leaf = collections.Counter(st[-1] for st in samples if st)
    print("   top %d functions by self cost:" % top)
    for (s, dso), n in leaf.most_common(top):
        print("     %s  %-44s %s" % (pct(n, total), s[:44], dso))


if __name__ == "__main__":
    main()
