#!/bin/bash
# test/layers.sh: the server's source files keep to the layer map at the
# top of pktcapture.c: every dependency points down.
#
# The map lists the layers top down, each with its files.  A file depends
# on another when its object file uses a symbol the other's defines (nm),
# or when it includes the other's header.  Fails if a file depends on one
# of its own layer or of a layer above, if a source file is missing from
# the map or in it twice, or if the pure files (the last layers: no
# PostgreSQL calls) use anything but the C library.
# Run from the source tree after make.
set -u
cd "$(dirname "$0")/.."
objs=$(ls pktcapture.o pkt_*.o 2>/dev/null) || { echo "not ok - no object files: run make"; exit 1; }
{
	sed -n '/^ \* layer\t\tfiles$/,/^ \* end of the layer map$/p' pktcapture.c |
		awk '/^ \*\t/ { sub(/^ \*\t/, ""); print "L", $0 }'
	for o in $objs; do
		nm -g --defined-only "$o" | awk -v o="${o%.o}.c" 'NF == 3 { print "D", o, $3 }'
		nm -u "$o" | awk -v o="${o%.o}.c" '{ print "U", o, $NF }'
	done
	for c in pktcapture.c pkt_*.c; do
		sed -n 's/^#include "\(pkt_[a-z_]*\)\.h"$/\1.c/p' "$c" | awk -v c="$c" '{ print "I", c, $1 }'
	done
} | python3 -c '
import sys, collections, os
layer, names, defs = {}, [], {}
uses = collections.defaultdict(set)
edges = collections.defaultdict(dict)       # file -> {file: why}
ok = True
def fail(msg):
    global ok
    print("not ok - " + msg)
    ok = False
for line in sys.stdin:
    kind, rest = line.rstrip("\n").split(" ", 1)
    if kind == "L":
        name, *files = rest.split()
        names.append(name)
        for f in files:
            if f in layer:
                fail("%s is in the layer map twice (%s and %s)" % (f, names[layer[f]], name))
            layer[f] = len(names) - 1
    elif kind == "D":
        obj, sym = rest.split()
        defs[sym] = obj
    elif kind == "U":
        obj, sym = rest.split()
        uses[obj].add(sym)
    elif kind == "I":
        c, h = rest.split()
        if h != c and os.path.exists(h):    # header-only files (pkt_inet.h) have no layer
            edges[c][h] = "includes " + h[:-2] + ".h"
if not names:
    fail("no layer map found at the top of pktcapture.c")
external = collections.defaultdict(set)
for obj, syms in uses.items():
    for s in sorted(syms):
        if s in defs and defs[s] != obj:
            edges[obj].setdefault(defs[s], "uses " + s)
        elif s not in defs:
            external[obj].add(s)
sources = set(uses) | set(defs.values())
for f in sorted(sources - set(layer)):
    fail("%s is not in the layer map" % f)
for f in sorted(set(layer) - sources):
    fail("%s is in the layer map but was not built" % f)
n = 0
for a in sorted(edges):
    for b, why in sorted(edges[a].items()):
        n += 1
        if a in layer and b in layer and layer[b] <= layer[a]:
            fail("%s (%s) %s, of layer %s: not below it" % (a, names[layer[a]], why, names[layer[b]]))
# the pure files (the layers named pure*) use nothing of the server
libc = {"memcpy", "memset", "memcmp", "memmove", "qsort", "__stack_chk_fail", "strcmp"}
pure = {f for f, i in layer.items() if names[i].startswith("pure")}
for f in sorted(pure):
    bad = external[f] - libc
    if bad:
        fail("%s (pure) uses %s" % (f, ", ".join(sorted(bad))))
if ok:
    print("ok - %d files in %d layers, %d dependencies, each pointing down; %d pure files use only the C library"
          % (len(layer), len(names), n, len(pure)))
sys.exit(0 if ok else 1)
'
