#!/bin/sh
# Installs redline as a systemd service, as README.md ("Running as a
# service") describes step by step:
#
#   sudo dist/install.sh [BINARY]
#
# BINARY defaults to target/release/redline (build it with `cargo build
# --release`). DESTDIR installs into a staging root instead of / (packaging,
# or a dry run); the user is then neither created nor asked for, and
# systemd is not told. An existing /etc/redline/watchlist.toml is kept.
set -eu

cd "$(dirname "$0")/.."
binary=${1:-target/release/redline}
root=${DESTDIR:-}
store=/var/lib/redline/snapshots

[ -x "$binary" ] || { echo "install.sh: no binary at $binary; run cargo build --release" >&2; exit 1; }

# 1. A system user that owns the store and runs the daemon.
if [ -z "$root" ] && ! id redline >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/redline --no-create-home \
        --shell /usr/sbin/nologin redline
fi

# 2. The binary.
install -D -m 0755 "$binary" "$root/usr/local/bin/redline"

# 3. The watchlist, with the store's absolute path in it: the daemon
#    writes under /var/lib/redline (StateDirectory=), and every command
#    reading this watchlist then finds the same store.
install -d -m 0755 "$root/etc/redline"
if [ ! -e "$root/etc/redline/watchlist.toml" ]; then
    sed "s|^snapshots = .*|snapshots = \"$store\"|" watchlist.toml > "$root/etc/redline/watchlist.toml"
    chmod 0644 "$root/etc/redline/watchlist.toml"
fi
grep -q "^snapshots = \"$store\"" "$root/etc/redline/watchlist.toml" ||
    echo "install.sh: note: /etc/redline/watchlist.toml does not set snapshots = \"$store\"" >&2

# 4. The unit.
install -D -m 0644 dist/redline.service "$root/etc/systemd/system/redline.service"

# 5. Enable and start it (not in a staging root).
if [ -z "$root" ]; then
    systemctl daemon-reload
    systemctl enable --now redline
    echo "redline is running: systemctl status redline; journalctl -u redline"
else
    echo "installed under $root"
fi
