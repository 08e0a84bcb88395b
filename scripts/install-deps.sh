#!/bin/bash
# scripts/install-deps.sh: install the Debian 12 packages pktcapture needs.
#   scripts/install-deps.sh          to build and run it
#   scripts/install-deps.sh --test   also what the test suite needs
# Installs only what is missing; runs apt-get update only then.
set -eu

packages=(make gcc libc6-dev postgresql-15 postgresql-client-15 postgresql-server-dev-15
	libpcap-dev libpq-dev libncurses-dev iproute2 util-linux)
if [ "${1:-}" = "--test" ]; then
	packages+=(clang libclang-rt-14-dev llvm tshark tcpdump tcpreplay
		libipc-run-perl python3 tmux postgresql-15-plpgsql-check)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pktcapture: these packages are missing: ${missing[*]}" >&2
	. "$(dirname "$0")/../test/lib/as-root.sh"
	as_root "$@"
fi
echo "pktcapture: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
