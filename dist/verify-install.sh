#!/bin/sh
# Follows the install steps (dist/install.sh, the README's steps as a
# script) in a scratch root, checks what they left there, and verifies the
# installed unit with `systemd-analyze verify`. Run by .ci/run:
#
#   dist/verify-install.sh [BINARY]      (default: target/debug/redline)
#
# systemd-analyze is installed with apt-get when missing under CI=true;
# elsewhere its absence skips that step, saying so.
set -eu

cd "$(dirname "$0")/.."
binary=${1:-target/debug/redline}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== install into the scratch root $scratch"
DESTDIR="$scratch" dist/install.sh "$binary"
test -x "$scratch/usr/local/bin/redline"
test -f "$scratch/etc/systemd/system/redline.service"
grep -q '^snapshots = "/var/lib/redline/snapshots"' "$scratch/etc/redline/watchlist.toml"
echo "== the installed watchlist is valid and names the absolute store"
"$scratch/usr/local/bin/redline" --watchlist "$scratch/etc/redline/watchlist.toml" validate

if ! command -v systemd-analyze >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
    else
        echo "SKIPPED: systemd-analyze is not installed (apt-get install systemd); the unit was not verified"
        exit 0
    fi
fi

echo "== systemd-analyze verify the installed unit"
# The scratch root gets what a real system has around the unit: the
# distribution's units (sysinit.target, network-online.target) and kill.
mkdir -p "$scratch/usr/lib/systemd" "$scratch/bin"
cp -a /usr/lib/systemd/system "$scratch/usr/lib/systemd/"
cp /bin/kill "$scratch/bin/kill"
out=$(systemd-analyze verify --root="$scratch" redline.service 2>&1) || {
    echo "$out"
    exit 1
}
# verify exits 0 on unknown keys and other warnings: any word is a failure.
if [ -n "$out" ]; then
    echo "$out"
    echo "systemd-analyze verify complained about dist/redline.service" >&2
    exit 1
fi
echo "unit verified: dist/redline.service"
