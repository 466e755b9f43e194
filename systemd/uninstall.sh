#!/usr/bin/env bash
# Removes what systemd/install.sh put in place. Keeps the config (/etc/causeway), the data
# (/var/lib/causeway-edge holds readings not yet forwarded!) and the causeway user unless --purge.
# Idempotent: anything already gone is skipped. Same --prefix/--destdir/--sysconfdir/--unitdir
# options as install.sh. See docs/operations.md.
set -euo pipefail

PROG=uninstall.sh
ARGS="$*"
die() { echo "$PROG: $1" >&2; exit "${2:-1}"; }
say() { echo "$PROG: $*"; }

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=/etc
UNITDIR=/etc/systemd/system
PURGE=no
UPDATE_ROOT=/opt/causeway-edge
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --sysconfdir) SYSCONFDIR=${2:?}; shift 2 ;;
    --unitdir) UNITDIR=${2:?}; shift 2 ;;
    --update-root) UPDATE_ROOT=${2:?--update-root needs a directory}; shift 2 ;;
    --purge) PURGE=yes; shift ;;
    -h|--help) echo "Usage: $PROG [--prefix DIR] [--destdir DIR] [--sysconfdir DIR] [--unitdir DIR] [--update-root DIR] [--purge]"; exit 0 ;;
    *) die "unknown option: $1" 64 ;;
  esac
done
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path, not '$PREFIX'" 64 ;; esac
DESTDIR=${DESTDIR%/}
LIVE=yes; [ -n "$DESTDIR" ] && LIVE=no
if [ "$LIVE" = yes ] && [ "$(id -u)" -ne 0 ]; then
  die "must run as root to uninstall from this system (try: sudo $0 $ARGS), or set DESTDIR for a staged tree" 77
fi

rm_path() {
  if [ -e "$1" ] || [ -L "$1" ]; then rm -rf -- "$1"; say "removed ${1#"$DESTDIR"}"; fi
}

for u in edge cloud; do
  unit=causeway-$u.service
  if [ "$LIVE" = yes ] && [ -d /run/systemd/system ] && [ -e "$UNITDIR/$unit" ]; then
    # Stop first: SIGTERM lets the edge agent commit its outbox before the files go.
    systemctl disable --now "$unit" || say "could not stop $unit (continuing)"
  fi
  rm_path "$DESTDIR$UNITDIR/$unit"
done
# The self-update drop-in and the agent's releases (programs, not data; issue 17).
rm_path "$DESTDIR$UNITDIR/causeway-edge.service.d/self-update.conf"
rmdir "$DESTDIR$UNITDIR/causeway-edge.service.d" 2>/dev/null || true
case "$UPDATE_ROOT" in /?*) rm_path "$DESTDIR$UPDATE_ROOT" ;; *) die "--update-root must be an absolute path, not '$UPDATE_ROOT'" 64 ;; esac
[ "$LIVE" = yes ] && [ -d /run/systemd/system ] && systemctl daemon-reload

for b in causeway-edge causeway-cloud causeway causeway-sim; do
  # Only our wrappers: a different program of the same name is not ours to delete.
  f=$DESTDIR$PREFIX/bin/$b
  if [ -f "$f" ] && grep -q 'installed by causeway systemd/install.sh' "$f"; then rm_path "$f"; fi
done
rm_path "$DESTDIR$PREFIX/lib/causeway"
rm_path "$DESTDIR$PREFIX/share/doc/causeway"

if [ "$PURGE" = yes ]; then
  rm_path "$DESTDIR$SYSCONFDIR/causeway"
  rm_path "$DESTDIR/var/lib/causeway-edge"
  rm_path "$DESTDIR/var/lib/causeway-cloud"
  if [ "$LIVE" = yes ]; then
    if getent passwd causeway >/dev/null; then userdel causeway; say "removed user causeway"; fi
    if getent group causeway >/dev/null; then groupdel causeway; say "removed group causeway"; fi
  fi
else
  say "kept $SYSCONFDIR/causeway, /var/lib/causeway-edge, /var/lib/causeway-cloud and user causeway (--purge removes them)"
fi
say "done"
