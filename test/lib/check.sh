# test/lib/check.sh: the checks of the shell test suites, TAP-like.
#
# Source it after setting CHECK_SUITE (the name in the closing line); a
# suite of test/lib/suite.sh has it sourced for it.
#
# A check says something about pktcapture and can fail; it counts:
#   ok WHAT / not_ok WHAT      count and print one check (not_ok returns 1)
#   check_eq WHAT GOT WANT     ok when GOT equals WANT
#   check WHAT COMMAND...      ok when COMMAND succeeds
#   checks_from                the "ok - " / "not ok - " lines of a helper
#                              (stdin) counted as checks, others printed
# A step makes what the checks look at (a network, a cluster, an extension,
# traffic); it is not counted when it succeeds:
#   must WHAT COMMAND...       a step the rest needs: if it fails, the suite
#                              ends (fatal)
#   must_get VAR WHAT COMMAND...  must, keeping COMMAND's output (not empty)
#                              in VAR; COMMAND runs in a subshell
#   step WHAT COMMAND...       a step some checks need: if it fails, it is
#                              counted as a failure and the suite goes on
# The output of must's and step's COMMAND is shown only if it fails, never
# among the checks: give them no redirection of their own (their verdict
# would go with it).  COMMAND runs in the suite's shell: what it sets
# (cluster_start's PGPORT) stays set.
# And:
#   heading TITLE              a heading with the elapsed time
#   section TITLE              the same (test/lib/suite.sh makes sections
#                              named parts that ONLY= selects)
#   finish                     "SUITE: N passed, M failed"; exit 0 only if
#                              something passed and nothing failed
#   fatal WHAT                 a failed check that ends the suite
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $*"
	return 1
}

check_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1 ($2)"
	else
		not_ok "$1: got '$2', want '$3'"
	fi
}

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

checks_from() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}

# step_run COMMAND...: COMMAND, its output kept aside and shown if it fails
CHECK_OUT=${TMPDIR:-/tmp}/check-out.$$
step_run() {
	"$@" >"$CHECK_OUT" 2>&1 && return 0
	sed 's/^/#   /' "$CHECK_OUT" | tail -n 30
	return 1
}

must() {
	local what=$1
	shift
	step_run "$@" || fatal "$what"
	echo "# done: $what"
}

must_get() {
	local var=$1 what=$2 out
	shift 2
	out=$("$@") && [ -n "$out" ] || fatal "$what${out:+ (got '$out')}"
	printf -v "$var" '%s' "$out"
	echo "# done: $what ($out)"
}

step() {
	local what=$1
	shift
	if step_run "$@"; then
		echo "# done: $what"
	else
		not_ok "$what"
	fi
}

heading() {
	echo "# --- $* (t+${SECONDS}s)"
}

section() {
	heading "$@"
}

finish() {
	if declare -F check_before_finish >/dev/null; then
		check_before_finish
	fi
	if [ -f "$CHECK_MISSING" ]; then
		failed=$((failed + $(wc -l <"$CHECK_MISSING")))
		rm -f "$CHECK_MISSING"
	fi
	rm -f "$CHECK_OUT"
	echo "${CHECK_SUITE:-test}: $passed passed, $failed failed${CHECK_NOTE:+, $CHECK_NOTE}"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
	exit 1
}

fatal() {
	CHECK_FATAL=1
	not_ok "$*"
	finish
}

# work_done KEEP [WHAT]: at a suite's end, remove $WORK if every check
# passed and KEEP (the suite's *_KEEP setting) is not 1; else say where it
# is kept, and WHAT is in it.
work_done() {
	if [ "$failed" -eq 0 ] && [ "$1" != 1 ]; then
		rm -rf "$WORK"
	else
		echo "# work directory kept: $WORK${2:+ ($2)}"
	fi
}

# A helper that does not exist must fail the suite, not vanish silently.
# Bash runs this handler in a subshell, so it leaves a mark for finish.
CHECK_MISSING=${TMPDIR:-/tmp}/check-missing.$$
rm -f "$CHECK_MISSING"
command_not_found_handle() {
	echo "not ok - command not found: $1"
	echo "$1" >>"$CHECK_MISSING"
	return 127
}
