#!/bin/bash
# test/view-test.sh: pktop, the live terminal view, checked as a user sees it.
#
#   test/view-test.sh         (as root, or with sudo)
#   ONLY=plain test/view-test.sh      one section (--sections lists them)
#
# 1. builds client/pktop (make -C client) and the extension (make install,
#    skipped with VIEW_NO_INSTALL=1); unit: pktop's data and formatting
#    tested without a terminal (make -C client check); starts a throwaway cluster
#    (test/lib/cluster.sh) with pktcapture preloaded;
# 2. sends UDP datagrams on loopback only: a bounded python3 loop from five
#    source addresses 127.77.1.x to five destinations 127.77.2.x, all to
#    one port, with distinct weights shuffled per run; the generator writes
#    which source and destination send most (the expected values come from
#    it, never from pktop).  Captures use the BPF filter "udp and dst port
#    PORT";
# 3. screen: runs pktop --start lo --filter ... in a detached tmux session of
#    80x24, captures the pane as it shows a larger total each time (three
#    times) and checks: title, totals, the protocol table, the top 5
#    sources and destinations in the generator's order (the heavy source
#    first), the live conversations (the generator's, to its port), the
#    loss line, the help line; nothing is wider than the window;
# 4. resizes the window to 132x40 and checks the wide layout uses it
#    (side-by-side charts, a loss column, bars beside the top talkers, the
#    5 busiest conversations, lines past column 100, rows past 30);
# 5. sends q: pktop exits 0, pkt_status() says stopped, the final
#    statistics are printed after the full screen, their total equals the
#    rows in packets for that run and the heavy source is first;
# 6. ctrl-c: a second run stopped with C-c: the same;
# 7. plain: plain-text mode (stdout not a terminal): snapshots, never more
#    than one a second, no escape sequences, the live conversations (the
#    generator's, to its port, nothing back; a rate once two snapshots
#    show the same interval), --no-stop leaves the capture running;
# 8. old-server: pktcapture 1.5 (no pkt_flows_live) in a database of its
#    own: pktop shows the capture there, plain and full screen, and says
#    that conversations need pktcapture 1.6;
# 9. server-gone: the server goes away under pktop: a clear error on
#    screen, pktop keeps running, and recovers when the server is back; q
#    still exits 0;
# 10. odd: odd values from the server (NULLs, huge, negative, NaN, long)
#    drawn at any size;
# 11. no-capture: pktop with no capture running exits 1 with a clear
#    message.
#
# Prints one line per check and, last, "view: N passed, M failed".  Exit 0
# when every check passed, 1 otherwise.  The work directory (pane captures,
# server log) is kept when a check fails, or with VIEW_KEEP=1 (or
# KEEP_WORK=1).
set -u
. "$(dirname "$0")/lib/suite.sh"
sections unit screen ctrl-c plain old-server server-gone odd no-capture
suite_init view VIEW_ "$@"

# --- what the test needs -------------------------------------------------
need_pkgs=()
command -v tmux >/dev/null || need_pkgs+=(tmux)
[ -e /usr/include/ncursesw/curses.h ] || need_pkgs+=(libncurses-dev)
[ -e "$(pg_config --includedir)/libpq-fe.h" ] || need_pkgs+=(libpq-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	must "apt-get install ${need_pkgs[*]}" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}"
fi
if [ "${VIEW_NO_INSTALL:-0}" != 1 ]; then
	must "make install of the extension" eval 'make -s -C "$ROOT" && make -s -C "$ROOT" install'
fi
if make -s -C "$ROOT/client" >"$ROOT/client/.build.log" 2>&1 && [ ! -s "$ROOT/client/.build.log" ]; then
	ok "pktop builds without a warning"
else
	cat "$ROOT/client/.build.log"
	not_ok "pktop builds without a warning"
fi
rm -f "$ROOT/client/.build.log"
PKTOP=$ROOT/client/pktop
[ -x "$PKTOP" ] || fatal "no $PKTOP"

if section unit "pktop's data and formatting, without a terminal or a server"; then
	# client/test_pktop.c, plain and under ASan + UBSan: expected values
	# worked out by hand; it exits 1 on any failed check
	if make -s -C "$ROOT/client" check >"$WORK/unit.log" 2>&1; then
		ok "make -C client check: $(grep -h 'passed' "$WORK/unit.log" | tr '\n' ';' | sed 's/;$//')"
	else
		tail -n 30 "$WORK/unit.log"
		not_ok "make -C client check failed (the unit tests of pktop)"
	fi
fi

TMUX_SOCK=$WORK/tmux.sock
at_exit 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null'

must "start a cluster" cluster_start "$WORK/cluster" "shared_preload_libraries = 'pktcapture'"
must "CREATE EXTENSION pktcapture" cluster_psql -c 'CREATE EXTENSION pktcapture'
export PGUSER=postgres PGDATABASE=postgres PGHOST PGPORT

# --- traffic: bounded, loopback only, expected order known -------------
PORT=$((41000 + RANDOM % 9000))
FILTER="udp and dst port $PORT"
cat >"$WORK/gen.py" <<'EOF'
# gen.py PORT SECONDS RATE EXPECT_FILE: UDP on loopback, weighted talkers.
import json, random, socket, sys, time

port, secs, rate, expect = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rng = random.Random()
weights = [10, 6, 4, 2, 1]          # distinct: the order is certain
srcs = ["127.77.1.%d" % i for i in range(1, 6)]
dsts = ["127.77.2.%d" % i for i in range(1, 6)]
rng.shuffle(srcs)
rng.shuffle(dsts)
with open(expect, "w") as f:        # most packets first
    json.dump({"sources": srcs, "destinations": dsts}, f)
socks = {}
for a in srcs:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a, 0))
    socks[a] = s
src_seq = [a for a, w in zip(srcs, weights) for _ in range(w)]
dst_seq = [a for a, w in zip(dsts, weights) for _ in range(w)]
n, t0 = 0, time.time()
while time.time() - t0 < secs:
    src = src_seq[n % len(src_seq)]
    dst = dst_seq[(n * 7) % len(dst_seq)]   # 7 is prime to 23: every pair
    try:
        socks[src].sendto(b"p" * (40 + n % 300), (dst, port))
    except OSError:
        pass
    n += 1
    if n % 20 == 0:
        ahead = n / rate - (time.time() - t0)
        if ahead > 0:
            time.sleep(ahead)
EOF
"$PY" "$WORK/gen.py" "$PORT" 240 2000 "$WORK/expect.json" >"$WORK/gen.log" 2>&1 &
GEN_PID=$!
track_bg "$GEN_PID"
wait_until 5 test -s "$WORK/expect.json"
read -r -a EXP_SRC <<<"$("$PY" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["sources"]))' "$WORK/expect.json" 2>/dev/null)"
read -r -a EXP_DST <<<"$("$PY" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["destinations"]))' "$WORK/expect.json" 2>/dev/null)"
if [ ${#EXP_SRC[@]} -ne 5 ] || [ ${#EXP_DST[@]} -ne 5 ]; then
	cat "$WORK/gen.log"
	fatal "the traffic generator runs"
fi
echo "# traffic to port $PORT; heavy source ${EXP_SRC[0]}, heavy destination ${EXP_DST[0]}"

# --- tmux helpers --------------------------------------------------------
# The pane runs run-pktop.sh: pktop with the test's environment, then its
# exit status in RCFILE, then a sleep that keeps the pane to be read.
cat >"$WORK/run-pktop.sh" <<EOF
#!/bin/bash
export LANG=C.UTF-8 LC_ALL=C.UTF-8 PGHOST='$PGHOST' PGPORT='$PGPORT' PGUSER=postgres
rcfile=\$1
export PGDATABASE=\$2
shift 2
'$PKTOP' "\$@"
echo \$? >"\$rcfile"
exec sleep 300
EOF
chmod 755 "$WORK/run-pktop.sh"

tm() { LANG=C.UTF-8 tmux -S "$TMUX_SOCK" "$@"; }
# start_view SESSION RCFILE PKTOP-ARGS...  (VIEW_DB: the database)
start_view() {
	local s=$1 rc=$2
	shift 2
	rm -f "$rc"
	tm -f /dev/null new-session -d -s "$s" -x 80 -y 24 "$WORK/run-pktop.sh" "$rc" "${VIEW_DB:-postgres}" "$@"
}
snap() { tm capture-pane -p -t "$1" >"$2" 2>/dev/null; }
# snap_until SECONDS SESSION FILE TEST...: the pane into FILE until
# "TEST... FILE" succeeds, at most SECONDS
snap_until() {
	local secs=$1
	snap_session=$2 snap_file=$3
	shift 3
	snap_test=("$@")
	wait_until "$secs" snap_passes
}
snap_passes() { snap "$snap_session" "$snap_file" && "${snap_test[@]}" "$snap_file"; }
total_above() { [ "$(scr total "$2")" -gt "$1" ] 2>/dev/null; }	# total_above N FILE
# drawn_since SESSION BYTES: pktop wrote to its pane after BYTES of its
# output (tmux pipe-pane copies it to $WORK/SESSION.out)
drawn_since() { [ "$(stat -c %s "$WORK/$1.out" 2>/dev/null || echo 0)" -gt "$2" ]; }
out_size() { stat -c %s "$WORK/$1.out" 2>/dev/null || echo 0; }
title_clock() { head -n 1 "$1" | grep -o '[0-9][0-9]:[0-9][0-9]:[0-9][0-9] *$'; }
pane_has() { tm capture-pane -p -t "$1" 2>/dev/null | grep -q -- "$2"; }
pane_lacks() { ! pane_has "$1" "$2"; }
state_of() { sql "SELECT state FROM pkt_status() WHERE interface = 'lo' ORDER BY started_at DESC LIMIT 1" 2>/dev/null; }
is_state() { [ "$(state_of)" = "$1" ]; }

# screen.py PANE check...: checks one pane capture as a user reads it.
cat >"$WORK/screen.py" <<'EOF'
import re, sys, json

IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")

def load(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")

def total(lines):
    for l in lines:
        m = re.match(r"^\s+packets\s+([\d,]+)\s", l)
        if m:
            return int(m.group(1).replace(",", ""))
    return None

def tops(lines):
    """The addresses under TOP SOURCES and TOP DESTINATIONS, in order."""
    for i, l in enumerate(lines):
        if "TOP SOURCES" in l:
            src, dst = [], []
            split = l.find("TOP DESTINATIONS")
            rows = lines[i + 1:i + 6]
            if split < 0:           # stacked: destinations below
                j = next((k for k in range(i, len(lines)) if "TOP DESTINATIONS" in lines[k]), None)
                src = [IP.findall(r)[0] for r in rows if IP.findall(r)]
                if j is not None:
                    dst = [IP.findall(r)[0] for r in lines[j + 1:j + 6] if IP.findall(r)]
                return src, dst
            for r in rows:
                a, b = IP.findall(r[:split]), IP.findall(r[split:])
                if a: src.append(a[0])
                if b: dst.append(b[0])
            return src, dst
    return [], []

def final_tops(lines, section):
    out = []
    for i, l in enumerate(lines):
        if l.strip() == section:
            for r in lines[i + 1:i + 6]:
                m = IP.match(r.strip())
                if m:
                    out.append(m.group(0))
            return out
    return out

def conversations(lines, port, srcs, dsts):
    """Per plain snapshot: its interval, the conversations listed, those
    of the generator (its addresses, to its port, nothing back), those
    with a rate."""
    row = re.compile(r"^ {15}(\S+):(\d+) -> (\S+):(\d+) UDP  -> ([\d,]+) pkt \S+ \S+"
                     r"  <- ([\d,]+) pkt \S+ \S+(  .* pkt/s, .*bit/s)?$")
    snaps = []
    for l in lines:
        if l.startswith("-- "):
            snaps.append(["-", 0, 0, 0])
        elif snaps and l.startswith("   top conv    interval from "):
            snaps[-1][0] = l.split()[-1]
        elif snaps and snaps[-1][0] != "-" and l.startswith(" " * 15):
            snaps[-1][1] += 1
            m = row.match(l)
            if (m and m.group(1) in srcs and m.group(3) in dsts and m.group(4) == port
                    and m.group(5) != "0" and m.group(6) == "0"):
                snaps[-1][2] += 1
                snaps[-1][3] += 1 if m.group(7) else 0
    return snaps

cmd, path = sys.argv[1], sys.argv[2]
lines = load(path)
if cmd == "total":
    t = total(lines)
    print(t if t is not None else "")
elif cmd == "tops":
    s, d = tops(lines)
    print(" ".join(s)); print(" ".join(d))
elif cmd == "width":                # rightmost used column, rows used
    used = [l.rstrip() for l in lines]
    print(max(len(l) for l in used), sum(1 for l in used if l.strip()))
elif cmd == "final":                # IP packets and top lists after the screen
    start = max((i for i, l in enumerate(lines) if l.startswith("Final statistics for")), default=None)
    if start is None:
        print(""); print(""); print(""); sys.exit(0)
    body = lines[start:]
    n = ""
    for l in body:
        m = re.match(r"^\s+IP packets\s+([\d,]+)", l)
        if m:
            n = m.group(1).replace(",", "")
    print(n)
    print(" ".join(final_tops(body, "top sources")))
    print(" ".join(final_tops(body, "top destinations")))
elif cmd == "conv":                 # plain snapshots: PORT "SOURCES" "DESTINATIONS"
    for s in conversations(lines, sys.argv[3], sys.argv[4].split(), sys.argv[5].split()):
        print(*s)
EOF
scr() { "$PY" "$WORK/screen.py" "$@"; }
# a conversation of the generator on screen: one of its sources to one of
# its destinations, on its port, then the numbers
CONV_ROW="^ +127\.77\.1\.[1-5]:[0-9]+ -> 127\.77\.2\.[1-5]:$PORT UDP +[0-9]"

if section screen "1-3. the live screen at 80x24, resized, stopped with q"; then
	start_view v1 "$WORK/rc1" --start lo --filter "$FILTER"
	if wait_until 20 pane_has v1 "${EXP_SRC[4]}"; then
		ok "pktop shows the capture at 80x24"
	else
		not_ok "pktop shows the capture at 80x24"
		snap v1 "$WORK/pane-start.txt"
		cat "$WORK/pane-start.txt"
	fi
	# three screens, each with a larger total than the one before
	snap_until 10 v1 "$WORK/pane1.txt" total_above 0
	snap_until 10 v1 "$WORK/pane2.txt" total_above "$(scr total "$WORK/pane1.txt")"
	snap_until 10 v1 "$WORK/pane3.txt" total_above "$(scr total "$WORK/pane2.txt")"
	echo "# 80x24:"
	sed 's/^/#   |/' "$WORK/pane3.txt"

	size=$(tm display-message -p -t v1 '#{window_width}x#{window_height}')
	check "the window is 80x24 ($size)" [ "$size" = 80x24 ]
	read -r w rows <<<"$(scr width "$WORK/pane3.txt")"
	check "nothing drawn past column 80 (widest line ${w:-?})" [ "${w:-999}" -le 80 ]
	check "the screen fills the window (rows used: ${rows:-?})" [ "${rows:-0}" -ge 18 ]
	title=$(head -n 1 "$WORK/pane3.txt")
	check "title line names interface, state and uptime" \
		bash -c '[[ $1 == *pktop* && $1 == *lo* && $1 == *running* && $1 =~ up\ [0-9]+:[0-9]{2}:[0-9]{2} ]]' _ "$title"
	t1=$(scr total "$WORK/pane1.txt")
	t2=$(scr total "$WORK/pane2.txt")
	t3=$(scr total "$WORK/pane3.txt")
	check "the total is shown (${t1:-none}, ${t2:-none}, ${t3:-none})" [ "${t1:-0}" -gt 0 ]
	check "the total grows between captures" eval '[ "${t2:-0}" -gt "${t1:-0}" ] && [ "${t3:-0}" -gt "${t2:-0}" ]'
	check "rates are shown in pkt/s" grep -Eq 'packets .*pkt/s .*pkt/s' "$WORK/pane3.txt"
	check "rates are shown in bit/s" grep -Eq 'data .*bit/s .*bit/s' "$WORK/pane3.txt"
	check "the protocol table shows UDP at 100%" grep -Eq '^ +UDP +[0-9][0-9,.]* ?k? +[0-9.]+ [kM]?B +100%' "$WORK/pane3.txt"
	{
		read -r -a got_src
		read -r -a got_dst
	} < <(scr tops "$WORK/pane3.txt")
	check "top 5 sources in the generator's order (${got_src[*]:-none})" \
		[ "${got_src[*]:-}" = "${EXP_SRC[*]}" ]
	check "the heavy source ${EXP_SRC[0]} is first" [ "${got_src[0]:-}" = "${EXP_SRC[0]}" ]
	check "top 5 destinations in the generator's order (${got_dst[*]:-none})" \
		[ "${got_dst[*]:-}" = "${EXP_DST[*]}" ]
	check "the live conversations are shown, the generator's to port $PORT" \
		eval 'grep -q "^ CONVERSATIONS" "$WORK/pane3.txt" && grep -Eq "$CONV_ROW" "$WORK/pane3.txt"'
	check "the loss counters are shown" grep -q 'kernel dropped 0' "$WORK/pane3.txt"
	check "the help line says how to quit" bash -c 'tail -n 1 "$1" | grep -q "q quit"' _ "$WORK/pane3.txt"
	check "the capture runs with the filter pktop was given" \
		[ "$(sql "SELECT filter FROM pkt_status() WHERE interface = 'lo' AND state = 'running'")" = "$FILTER" ]

	heading "2. resized to 132x40"
	tm resize-window -t v1 -x 132 -y 40
	# drawn at the new size: the wide layout's charts, and the help line last
	wide_drawn() { grep -q 'PACKETS/S.*BITS/S' "$1" && tail -n 1 "$1" | grep -q 'q quit'; }
	snap_until 10 v1 "$WORK/pane-wide.txt" wide_drawn
	echo "# 132x40:"
	sed 's/^/#   |/' "$WORK/pane-wide.txt"
	size=$(tm display-message -p -t v1 '#{window_width}x#{window_height}')
	check "the window is 132x40 ($size)" [ "$size" = 132x40 ]
	read -r w rows <<<"$(scr width "$WORK/pane-wide.txt")"
	check "the wide layout uses the width (widest line ${w:-?} > 100)" eval '[ "${w:-0}" -gt 100 ] && [ "${w:-0}" -le 132 ]'
	check "the wide layout uses the height (rows used ${rows:-?} >= 30)" [ "${rows:-0}" -ge 30 ]
	check "wide: packets/s and bits/s charts side by side" grep -q 'PACKETS/S.*BITS/S' "$WORK/pane-wide.txt"
	check "wide: loss counters in a column" grep -Eq 'kernel dropped +0 *$' "$WORK/pane-wide.txt"
	check "wide: bars beside the top talkers" grep -Eq "${EXP_SRC[0]//./\\.} .*% +█" "$WORK/pane-wide.txt"
	{
		read -r -a got_src
		read -r -a got_dst
	} < <(scr tops "$WORK/pane-wide.txt")
	check "wide: top sources still in order, heavy first" [ "${got_src[*]:-}" = "${EXP_SRC[*]}" ]
	check "wide: top destinations in order" [ "${got_dst[*]:-}" = "${EXP_DST[*]}" ]
	n=$(grep -Ec "$CONV_ROW" "$WORK/pane-wide.txt")
	check "wide: the 5 busiest conversations ($n shown)" [ "$n" = 5 ]

	heading "3. q stops the capture and prints the final statistics"
	tm send-keys -t v1 q
	if wait_until 30 test -s "$WORK/rc1"; then
		check "q: pktop exits 0" [ "$(cat "$WORK/rc1")" = 0 ]
	else
		not_ok "q: pktop exits within 30 s"
	fi
	check "q: the capture is stopped (pkt_status: $(state_of))" is_state stopped
	tm capture-pane -p -t v1 -S -200 >"$WORK/final1.txt"
	{
		read -r fin_total
		read -r -a fin_src
		read -r -a fin_dst
	} < <(scr final "$WORK/final1.txt")
	rows_in_table=$(sql "SELECT count(*) FROM packets WHERE run_id = (SELECT run_id FROM pkt_status() WHERE interface = 'lo')")
	status_total=$(sql "SELECT packets FROM pkt_status() WHERE interface = 'lo'")
	check "q: final statistics printed after the full screen" grep -q '^Final statistics for lo (stopped' "$WORK/final1.txt"
	check "q: final total ${fin_total:-none} = rows stored in packets ${rows_in_table:-?}" \
		eval '[ -n "$fin_total" ] && [ "$fin_total" = "$rows_in_table" ] && [ "$fin_total" = "$status_total" ]'
	check "q: final total >= the last total on screen" [ "${fin_total:-0}" -ge "${t3:-1}" ]
	check "q: final top sources in the generator's order" [ "${fin_src[*]:-}" = "${EXP_SRC[*]}" ]
	check "q: final top destinations in the generator's order" [ "${fin_dst[*]:-}" = "${EXP_DST[*]}" ]
	check "q: the final statistics fit 80 columns" \
		bash -c 'sed -n "/^Final statistics/,\$p" "$1" | awk "length > 80 { bad = 1 } END { exit bad }"' _ "$WORK/final1.txt"
	tm kill-session -t v1 2>/dev/null
fi

if section ctrl-c "4. a second run, stopped with Ctrl+C"; then
	start_view v2 "$WORK/rc2" --start lo --filter "$FILTER"
	if wait_until 20 pane_has v2 "${EXP_SRC[4]}" && snap_until 10 v2 "$WORK/pane-cc.txt" total_above 0; then
		ok "C-c run: pktop shows the capture"
	else
		not_ok "C-c run: pktop shows the capture"
	fi
	tm send-keys -t v2 C-c
	if wait_until 30 test -s "$WORK/rc2"; then
		check "C-c: pktop exits 0" [ "$(cat "$WORK/rc2")" = 0 ]
	else
		not_ok "C-c: pktop exits within 30 s"
	fi
	check "C-c: the capture is stopped (pkt_status: $(state_of))" is_state stopped
	tm capture-pane -p -t v2 -S -200 >"$WORK/final2.txt"
	{
		read -r fin_total
		read -r -a fin_src
		read -r -a fin_dst
	} < <(scr final "$WORK/final2.txt")
	check "C-c: final statistics printed" grep -q '^Final statistics for lo (stopped' "$WORK/final2.txt"
	check "C-c: final total ${fin_total:-none} > 0, heavy source first" \
		eval '[ "${fin_total:-0}" -gt 0 ] && [ "${fin_src[0]:-}" = "${EXP_SRC[0]}" ]'
	tm kill-session -t v2 2>/dev/null
fi

if section plain "5. plain text when stdout is not a terminal"; then
	LANG=C.UTF-8 timeout 30 "$PKTOP" --start lo --filter "$FILTER" --duration 3.5 --no-stop \
		>"$WORK/plain.txt" 2>"$WORK/plain.err" </dev/null
	rc=$?
	check "plain: exits 0 (rc $rc)" [ "$rc" = 0 ]
	# pktop promises at most one snapshot a second: in 3.5 s at most 4 (at
	# 0, 1, 2 and 3 s), each in a later second; a loaded machine makes
	# fewer, never more, and 2 show that it goes on
	clocks=$(sed -n 's/^-- \([0-9:]*\)  lo  running.*/\1/p' "$WORK/plain.txt")
	n=$(grep -c . <<<"$clocks")
	check "plain: snapshots, never more than one a second ($n in 3.5 s: $(echo $clocks))" \
		eval '[ "$n" -ge 2 ] && [ "$n" -le 4 ] && sort -uc <<<"$clocks"'
	check "plain: no escape sequences" bash -c '! grep -q $'"'"'\x1b'"'"' "$1"' _ "$WORK/plain.txt"
	check "plain: the heavy source is first in the snapshots" \
		grep -q "^   top src    ${EXP_SRC[0]//./\\.} " "$WORK/plain.txt"
	# per snapshot: interval, conversations listed, the generator's, with a rate
	scr conv "$WORK/plain.txt" "$PORT" "${EXP_SRC[*]}" "${EXP_DST[*]}" >"$WORK/plain-conv.txt"
	convs=$(paste -sd ';' "$WORK/plain-conv.txt")
	check "plain: the live conversations, each the generator's to port $PORT ($convs)" \
		awk '$2 > 0 { listed = 1 } $2 != $3 { bad = 1 } END { exit !(listed && !bad) }' "$WORK/plain-conv.txt"
	# a rate needs the conversation in an earlier snapshot of its interval
	if awk 'prev != "-" && $1 == prev && $2 > 0 { same = 1 } { prev = $1 } END { exit !same }' \
		"$WORK/plain-conv.txt"; then
		check "plain: a rate where a snapshot shows the interval of the one before" \
			awk 'prev != "-" && $1 == prev && $2 > 0 && $4 == 0 { bad = 1 } { prev = $1 } END { exit bad }' \
			"$WORK/plain-conv.txt"
	else
		ok "plain: no two snapshots in one interval ($convs): no rate to check"
	fi
	check "plain: --no-stop leaves the capture running" is_state running
	check "plain: prints the statistics at exit" grep -q '^Statistics (the capture keeps running) for lo' "$WORK/plain.txt"
	sed 's/^/#   |/' "$WORK/plain.txt" | head -n 9
fi

if section old-server "6. pktcapture 1.5: no conversations, the rest shown"; then
	# the capture on lo, seen from a database whose pktcapture is 1.5 (a
	# superuser sees every capture): pkt_stats and pkt_status, no
	# pkt_flows_live
	[ "$(state_of)" = running ] || must "a capture on lo" sql "SELECT pkt_start('lo', '$FILTER')"
	must "database old" cluster_psql -c 'CREATE DATABASE old'
	old_psql() { CLUSTER_DB=old cluster_psql "$@"; }
	must "pktcapture 1.5 in it" old_psql -c "CREATE EXTENSION pktcapture VERSION '1.5'"
	PGDATABASE=old LANG=C.UTF-8 timeout 30 "$PKTOP" -i lo --duration 2.5 --no-stop \
		>"$WORK/old.txt" 2>"$WORK/old.err" </dev/null
	rc=$?
	check "1.5, plain: exits 0 (rc $rc)" [ "$rc" = 0 ]
	check "1.5, plain: the statistics are shown" grep -Eq '^   total      [1-9][0-9,]* packets' "$WORK/old.txt"
	check "1.5, plain: the heavy source first" grep -q "^   top src    ${EXP_SRC[0]//./\\.} " "$WORK/old.txt"
	check "1.5, plain: says conversations need pktcapture 1.6" \
		grep -qx '   top conv    conversations need pktcapture 1.6 (pkt_flows_live); this database has 1.5' "$WORK/old.txt"
	sed 's/^/#   |/' "$WORK/old.txt" | head -n 9
	VIEW_DB=old start_view v5 "$WORK/rc5" -i lo --no-stop
	says_old() { grep -q 'conversations need pktcapture 1\.6' "$1" && grep -q "${EXP_SRC[4]}" "$1"; }
	if snap_until 20 v5 "$WORK/pane-old.txt" says_old; then
		ok "1.5, screen: the capture, and what conversations need"
	else
		not_ok "1.5, screen: the capture, and what conversations need"
		cat "$WORK/pane-old.txt"
	fi
	{
		read -r -a got_src
		read -r -a got_dst
	} < <(scr tops "$WORK/pane-old.txt")
	check "1.5, screen: top 5 sources in the generator's order" [ "${got_src[*]:-}" = "${EXP_SRC[*]}" ]
	tm send-keys -t v5 q
	wait_until 15 test -s "$WORK/rc5" >/dev/null
	check "1.5, screen: q exits 0 (--no-stop)" [ "$(cat "$WORK/rc5" 2>/dev/null)" = 0 ]
	tm kill-session -t v5 2>/dev/null
fi

if section server-gone "7. the server goes away under pktop, and comes back"; then
	# pktop -i lo shows the capture that runs there (plain's, or one of its own)
	[ "$(state_of)" = running ] || must "a capture on lo" sql "SELECT pkt_start('lo', '$FILTER')"
	start_view v3 "$WORK/rc3" -i lo
	step "pktop -i lo shows the capture" wait_until 20 pane_has v3 "${EXP_SRC[4]}"
	must "stop the server under pktop" cluster_stop
	says_no_server() { grep -q "cannot reach the server\|lost the server" "$1"; }
	if snap_until 10 v3 "$WORK/pane-noserver.txt" says_no_server; then
		ok "server gone: pktop says so on screen"
	else
		not_ok "server gone: pktop says so on screen"
	fi
	grep -m1 'server' "$WORK/pane-noserver.txt" | sed 's/^/#   |/'
	check "server gone: the title says no server" bash -c 'head -n 1 "$1" | grep -q "no server"' _ "$WORK/pane-noserver.txt"
	# it keeps running: it draws again (the title's clock moves on twice),
	# still without the server
	clock=$(title_clock "$WORK/pane-noserver.txt")
	redrawn() { says_no_server "$1" && [ -n "$(title_clock "$1")" ] && [ "$(title_clock "$1")" != "$clock" ]; }
	snap_until 10 v3 "$WORK/pane-noserver2.txt" redrawn
	clock=$(title_clock "$WORK/pane-noserver2.txt")
	snap_until 10 v3 "$WORK/pane-noserver2.txt" redrawn
	check "server gone: pktop keeps running and drawing (title clock ${clock:-?})" \
		eval '[ ! -e "$WORK/rc3" ] && redrawn "$WORK/pane-noserver2.txt"'
	must "start the server again" \
		cluster_as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 60 start
	# back: only a new connection can tell that the capture is gone (it ran
	# before the server stopped)
	says_gone() { grep -q 'no capture named "lo"' "$1"; }
	if snap_until 15 v3 "$WORK/pane-back.txt" says_gone; then
		ok "server back: pktop reconnects and says the capture is gone"
	else
		not_ok "server back: pktop reconnects and says the capture is gone"
	fi
	check "server back: no server error left on screen, the title no longer says no server" \
		eval '! says_no_server "$WORK/pane-back.txt" && ! head -n 1 "$WORK/pane-back.txt" | grep -q "no server"'
	tm send-keys -t v3 q
	if wait_until 30 test -s "$WORK/rc3"; then
		check "server back: q exits 0" [ "$(cat "$WORK/rc3")" = 0 ]
	else
		not_ok "server back: q exits within 30 s"
	fi
	tm kill-session -t v3 2>/dev/null
fi

if section odd "8. odd values from the server: NULLs, huge, negative, NaN, long"; then
	# A database whose pkt_stats and pkt_status are SQL functions returning
	# what the real ones never should; pktop must draw them and not crash.
	must "database odd" cluster_psql -c 'CREATE DATABASE odd'
	odd_psql() { CLUSTER_DB=odd cluster_psql "$@"; }
	must "odd pkt_stats and pkt_status in it" odd_psql <<-'EOF'
	CREATE FUNCTION pkt_stats(text, OUT capture text, OUT section text, OUT item text,
	    OUT packets bigint, OUT bytes bigint, OUT share float8, OUT note text)
	RETURNS SETOF record LANGUAGE sql AS $$
	  VALUES ('odd', 'total', 'packets', 9223372036854775807, 9223372036854775807, 'NaN'::float8, NULL),
	         ('odd', 'rate', 'last 5 s', NULL, -5, NULL, 'per second'),
	         ('odd', 'rate', 'since start', -9223372036854775808, 9223372036854775807, NULL, NULL),
	         ('odd', 'future', 'something new', 1, 1, 1, 'ignored')
	  UNION ALL
	  SELECT 'odd', 'protocol', CASE WHEN i % 50 = 0 THEN NULL ELSE i::text END, i * 1000000000000, NULL,
	         CASE WHEN i = 1 THEN 1e308 ELSE -3 END, NULL FROM generate_series(1, 300) i
	  UNION ALL
	  SELECT 'odd', 'top_source', CASE i WHEN 1 THEN 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'
	         WHEN 2 THEN E'bad\tname\nwith\x01controls' ELSE '10.0.0.' || i END,
	         CASE WHEN i < 3 THEN NULL ELSE 100 - i END, -1, 'Infinity'::float8, 'approximate: at most 99999999999 packets too many'
	  FROM generate_series(1, 20) i
	  UNION ALL
	  SELECT 'odd', 'capture', 'frames seen', NULL, NULL, NULL, NULL
	  UNION ALL
	  SELECT 'odd', 'loss', 'kernel dropped', 12345, NULL, NULL, NULL
	  UNION ALL
	  SELECT 'odd', 'loss', 'not stored', 9223372036854775807, NULL, NULL, NULL
	$$;
	CREATE FUNCTION pkt_status(OUT interface text, OUT kind text, OUT filter text, OUT pid integer,
	    OUT state text, OUT started_at timestamptz, OUT stopped_at timestamptz,
	    OUT last_batch_ms float8, OUT error text)
	RETURNS SETOF record LANGUAGE sql AS $$
	  VALUES ('odd', 'live', repeat('port 1 or ', 40), NULL::integer, 'running',
	          now() - interval '400 days', NULL::timestamptz, 'NaN'::float8, 'a worker error text')
	$$;
	EOF
	VIEW_DB=odd start_view v4 "$WORK/rc4" -i odd --no-stop
	tm pipe-pane -t v4 -o "cat >>'$WORK/v4.out'"
	has_huge() { grep -q "9.2 E" "$1"; }
	snap_until 10 v4 "$WORK/pane-odd.txt" has_huge
	# each size drawn: pktop wrote to the pane after the resize
	for size in "132 40" "60 16" "30 8" "200 60" "80 24"; do
		read -r x y <<<"$size"
		before=$(out_size v4)
		tm resize-window -t v4 -x "$x" -y "$y"
		wait_until 5 drawn_since v4 "$before" || echo "# pktop drew nothing at ${x}x$y in 5 s"
	done
	snap_until 5 v4 "$WORK/pane-odd2.txt" has_huge
	sed 's/^/#   |/' "$WORK/pane-odd2.txt"
	check "odd values: pktop draws them and keeps running through resizes" \
		eval '[ ! -e "$WORK/rc4" ] && grep -q "9.2 E" "$WORK/pane-odd2.txt"'
	check "odd values: the approximate counts are marked" grep -q '~' "$WORK/pane-odd2.txt"
	tm send-keys -t v4 q
	wait_until 15 test -s "$WORK/rc4" >/dev/null
	check "odd values: q exits 0 (--no-stop)" [ "$(cat "$WORK/rc4" 2>/dev/null)" = 0 ]
	tm kill-session -t v4 2>/dev/null
	PGDATABASE=odd timeout 20 "$PKTOP" -i odd --no-stop --duration 1.5 >"$WORK/odd-plain.txt" 2>&1 </dev/null
	check "odd values: plain text mode exits 0" [ $? = 0 ]
fi

if section no-capture "9. no capture running"; then
	must "no capture running (pkt_stop of any)" sql "SELECT pkt_stop()"
	"$PKTOP" >"$WORK/none.out" 2>"$WORK/none.err" </dev/null
	rc=$?
	check "no capture: exits 1 with a clear message" \
		eval '[ "$rc" = 1 ] && grep -q "no capture is running" "$WORK/none.err"'
	"$PKTOP" --start no-such-if0 >"$WORK/bad.out" 2>"$WORK/bad.err" </dev/null
	rc=$?
	check "unknown interface: exits 1 with the server's message" \
		eval '[ "$rc" = 1 ] && grep -q "no-such-if0" "$WORK/bad.err"'
fi

finish
