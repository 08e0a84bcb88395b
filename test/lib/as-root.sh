# test/lib/as-root.sh: a script that needs root runs itself as root.
#
# Source it, then call as_root with the script's arguments, before anything
# else happens:
#
#   AS_ROOT_KEEP="PKT_ DB_"         # optional: variables to pass on, by prefix
#   . "$here/test/lib/as-root.sh"
#   as_root "$@"
#
# As root, as_root returns.  Otherwise, where sudo exists, it runs the
# script again through sudo, with the same arguments in the same directory
# (and the exported variables whose names start with a prefix of
# AS_ROOT_KEEP, which sudo would drop), and exits with its status; without
# sudo it says how to run the script as root and exits 2.  So the same
# command works for root on a machine without sudo and for a user with sudo.
as_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	local self v p keep=()
	self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	if ! command -v sudo >/dev/null 2>&1; then
		echo "$0: needs root, and sudo is not installed: run it as root, for example: su -c '$self'" >&2
		exit 2
	fi
	for v in $(compgen -e); do
		for p in ${AS_ROOT_KEEP:-}; do
			[[ $v == "$p"* ]] && keep+=("$v=${!v}") && break
		done
	done
	echo "$0: not root: running it with sudo" >&2
	exec sudo -- env "${keep[@]}" bash "$self" "$@"
}
