# test/lib/suite.sh: how every shell suite begins, and its sections.
#
#   . "$(dirname "$0")/lib/suite.sh"
#   sections NAME[:NEED,...]...    the suite's sections, in the order they
#                                  run; a section may need others run first
#   suite_init SUITE PREFIX "$@"   see below
#   heading "TITLE"
#   ...setup, which every section needs: must, must_get...
#   if section NAME "TITLE"; then
#   	...checks...
#   fi
#   finish
#
# Sourcing it sources test/lib/check.sh and test/lib/cluster.sh too.
# suite_init runs the script as root (test/lib/as-root.sh: sudo passes on
# the variables starting with PREFIX, PKT_, PG_BINDIR, ONLY and KEEP_WORK),
# and sets
#   here     test/            ROOT    the project
#   PY       python3          CORPUS  the capture corpus (PKT_CORPUS, else
#                                     ../shared/pcaps/tcpdump)
#   WORK     a new directory in /tmp, removed at the end if every check
#            passed, unless ${PREFIX}KEEP=1 or KEEP_WORK=1; WORK_NOTE says
#            what is in it when it is kept
# At the end, or when interrupted: the processes given to track_bg are
# killed, the cluster of test/lib/cluster.sh and the nodes of
# test/lib/nodes.sh stopped, the commands given to at_exit run (last
# first), the network of test/lib/netns.sh removed, $WORK removed or kept.
#
# ONLY=NAME[,NAME...] runs only those sections, and those they need; the
# others print "# skip - TITLE [NAME]" and the closing line counts them.
# A name that is no section is an error (exit 2) before anything runs:
# a typo must not pass.  SCRIPT --sections lists the names.
#   ran NAME      the section ran (for a check that spans sections)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(dirname "$here")
. "$here/lib/as-root.sh"
. "$here/lib/check.sh"	# its section (a heading) is replaced below
. "$here/lib/cluster.sh"
SUITE_SECTIONS=()
declare -A SUITE_NEEDS=() SUITE_WANT=() SUITE_STATE=()
SUITE_AT_EXIT=()
SUITE_BG=""
WORK_NOTE=""

sections() {
	local s
	for s in "$@"; do
		SUITE_SECTIONS+=("${s%%:*}")
		[[ $s == *:* ]] && SUITE_NEEDS[${s%%:*}]=${s#*:}
	done
}

suite_is_section() {
	local s
	for s in "${SUITE_SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}

# suite_want NAME HOW: NAME runs, and what it needs (recursively)
suite_want() {
	local n
	[ -n "${SUITE_WANT[$1]:-}" ] && return
	SUITE_WANT[$1]=$2
	local needs=${SUITE_NEEDS[$1]:-}
	for n in ${needs//,/ }; do
		suite_want "$n" "$1, which needs it"
	done
}

suite_only() {
	local n
	[ -n "${ONLY:-}" ] || return 0
	for n in ${ONLY//,/ }; do
		if ! suite_is_section "$n"; then
			echo "$0: ONLY=$ONLY: no section '$n' in suite $CHECK_SUITE (its sections: ${SUITE_SECTIONS[*]})" >&2
			return 1
		fi
		suite_want "$n" "ONLY"
	done
}

suite_init() {
	local prefix=$2 keep
	CHECK_SUITE=$1
	shift 2
	if [ "${1:-}" = --sections ]; then
		printf '%s\n' "${SUITE_SECTIONS[@]}"
		exit 0
	fi
	suite_only || exit 2
	AS_ROOT_KEEP="$prefix PKT_ PG_BINDIR ONLY KEEP_WORK"
	as_root "$@"
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=python3
	export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the tree
	CORPUS=${PKT_CORPUS:-$(cd "$ROOT/../shared/pcaps/tcpdump" 2>/dev/null && pwd)}
	keep=${prefix}KEEP
	SUITE_KEEP=0
	[ "${!keep:-0}" = 1 ] || [ -n "${KEEP_WORK:-}" ] && SUITE_KEEP=1
	WORK=$(mktemp -d "/tmp/pktc-$CHECK_SUITE.XXXXXX") || fatal "mktemp failed"
	chmod 755 "$WORK"
	trap suite_cleanup EXIT
	trap 'not_ok "interrupted"; finish' INT TERM HUP
}

# section NAME TITLE: its heading, and 0 if it is to run (setup, which
# always runs, has a heading of test/lib/check.sh)
section() {
	suite_is_section "$1" || fatal "section '$1' is not in the suite's sections (${SUITE_SECTIONS[*]})"
	if [ -z "${ONLY:-}" ] || [ -n "${SUITE_WANT[$1]:-}" ]; then
		SUITE_STATE[$1]=ran
		echo "# --- $2 [$1] (t+${SECONDS}s)${SUITE_WANT[$1]:+ (chosen by ${SUITE_WANT[$1]})}"
		return 0
	fi
	SUITE_STATE[$1]=skipped
	echo "# skip - $2 [$1]: not in ONLY=$ONLY"
	return 1
}

ran() {
	[ "${SUITE_STATE[$1]:-}" = ran ]
}

# finish (test/lib/check.sh) calls it: a section never reached is a
# failure, unless the suite ended early
check_before_finish() {
	local s skipped=0
	for s in "${SUITE_SECTIONS[@]}"; do
		case ${SUITE_STATE[$s]:-} in
		ran) ;;
		skipped) skipped=$((skipped + 1)) ;;
		*) [ -n "${CHECK_FATAL:-}" ] || not_ok "section $s was never reached" ;;
		esac
	done
	[ "$skipped" -eq 0 ] || CHECK_NOTE="$skipped of ${#SUITE_SECTIONS[@]} sections skipped (ONLY=$ONLY)"
}

at_exit() {
	SUITE_AT_EXIT+=("$1")
}

track_bg() {
	SUITE_BG="$SUITE_BG $*"
}

suite_cleanup() {
	local p i
	[ -n "${SUITE_CLEANED:-}" ] && return
	SUITE_CLEANED=1
	for p in $SUITE_BG; do kill "$p" 2>/dev/null; done
	for p in $SUITE_BG; do wait "$p" 2>/dev/null; done
	cluster_stop
	declare -F nodes_stop >/dev/null && nodes_stop
	for ((i = ${#SUITE_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${SUITE_AT_EXIT[i]}"
	done
	declare -F netns_cleanup >/dev/null && netns_cleanup
	work_done "$SUITE_KEEP" "$WORK_NOTE"
}
