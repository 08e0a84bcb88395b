# test/lib/wait.sh: waiting for a condition, never for a time.
#
#   wait_until SECONDS COMMAND...   until COMMAND succeeds, tried every 0.1 s
#                                   and once more at the deadline; fails if
#                                   it never did.  SECONDS is a bound for a
#                                   machine under load, not an expected pace
#   says_t COMMAND...               COMMAND printed exactly t (psql -At of a
#                                   boolean); its errors are not shown
#
# Wait for the state you mean, never for one the previous step may still
# show: after a restart, for the new worker's PID, not for 'running'.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

says_t() {
	[ "$("$@" 2>/dev/null)" = t ]
}
