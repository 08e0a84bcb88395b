# test/lib/check.sh: the checks of the shell test suites, TAP-like.
#
# Source it after setting CHECK_SUITE (the name in the closing line).
#   ok WHAT / not_ok WHAT      count and print one check
#   check_eq WHAT GOT WANT     ok when GOT equals WANT
#   check WHAT COMMAND...      ok when COMMAND succeeds
#   section TITLE              a comment line with the elapsed time
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

section() {
	echo "# --- $* (t+${SECONDS}s)"
}

finish() {
	if [ -f "$CHECK_MISSING" ]; then
		failed=$((failed + $(wc -l <"$CHECK_MISSING")))
		rm -f "$CHECK_MISSING"
	fi
	echo "${CHECK_SUITE:-test}: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
	exit 1
}

fatal() {
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
