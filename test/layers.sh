#!/bin/bash
# test/layers.sh: the server's object files depend on each other one way.
#
# For each pair of object files, A depends on B when A uses a symbol B
# defines (nm).  Fails if the dependencies form a cycle, or if the pure
# files (pkt_decode.o, pkt_topk.o, pkt_toplist.o) use anything but the C
# library (pkt_toplist.o may use pkt_topk.o).
# Run from the source tree after make.
set -u
cd "$(dirname "$0")/.."
objs=$(ls pktcapture.o pkt_*.o 2>/dev/null) || { echo "no object files: run make"; exit 1; }
for o in $objs; do
	nm -g --defined-only "$o" | awk -v o="$o" 'NF == 3 { print "D", o, $3 }'
	nm -u "$o" | awk -v o="$o" '{ print "U", o, $NF }'
done | python3 -c '
import sys, collections
defs, uses = {}, collections.defaultdict(set)
for line in sys.stdin:
    kind, obj, sym = line.split()
    if kind == "D":
        defs[sym] = obj
    else:
        uses[obj].add(sym)
edges = collections.defaultdict(set)
external = collections.defaultdict(set)
for obj, syms in uses.items():
    for s in syms:
        if s in defs and defs[s] != obj:
            edges[obj].add(defs[s])
        elif s not in defs:
            external[obj].add(s)
ok = True
# the pure files use nothing of the server
libc = {"memcpy", "memset", "memcmp", "memmove", "qsort", "__stack_chk_fail", "strcmp"}
pure_files = {"pkt_decode.o", "pkt_topk.o", "pkt_toplist.o"}
for pure in sorted(pure_files):
    bad = (external[pure] - libc) | (edges[pure] - pure_files)
    if bad:
        print("not ok - %s (pure) uses %s" % (pure, ", ".join(sorted(bad))))
        ok = False
    else:
        print("ok - %s uses only the C library" % pure)
# a cycle, by depth-first search
state, stack = {}, []
def visit(n):
    global ok
    state[n] = 1
    stack.append(n)
    for m in sorted(edges[n]):
        if state.get(m) == 1:
            print("not ok - cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
            ok = False
        elif m not in state:
            visit(m)
    stack.pop()
    state[n] = 2
for n in sorted(set(edges) | set(uses)):
    if n not in state:
        visit(n)
if ok:
    print("ok - %d object files, %d dependencies between them, no cycle" %
          (len(uses), sum(len(v) for v in edges.values())))
sys.exit(0 if ok else 1)
'
