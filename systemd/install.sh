#!/usr/bin/env bash
# Installs Causeway from a built checkout (npm ci && npm run build) onto this machine:
#   $PREFIX/lib/causeway/           the app: dist/, production node_modules, package.json
#   $PREFIX/bin/causeway-edge, causeway-cloud, causeway, causeway-sim   wrappers that exec node
#   $UNITDIR/causeway-{edge,cloud}.service
#   $SYSCONFDIR/causeway/{edge,cloud}.json   default config, 0640 root:causeway, never overwritten
#   $PREFIX/share/doc/causeway/operations.md
#   edge, unless --no-self-update (issue 17): $PREFIX/lib/causeway/libexec/causeway-edge-launcher,
#   $UNITDIR/causeway-edge.service.d/self-update.conf, and $UPDATE_ROOT (/opt/causeway-edge) with
#   releases/<version>/causeway-edge (a wrapper of this install) and current -> it on a fresh install
#   system user and group `causeway` (serial access comes from the unit's SupplementaryGroups=dialout)
# Idempotent: run it again to upgrade; the app directory is swapped in whole, config is kept.
# With DESTDIR set (or --destdir) everything lands under that directory and nothing on the live
# system is touched (no user, no chown, no systemctl): a staged install for packaging and tests.
# See docs/operations.md.
set -euo pipefail

PROG=install.sh
ARGS="$*"
usage() {
  cat <<EOF
Usage: $PROG [--prefix DIR] [--destdir DIR] [--component edge|cloud|all] [--node PATH] [--enable]
  --prefix DIR      install root for programs (default /usr/local; env PREFIX)
  --destdir DIR     stage everything under DIR, touch nothing live (env DESTDIR)
  --sysconfdir DIR  config root (default /etc; the config goes in DIR/causeway)
  --unitdir DIR     systemd unit directory (default /etc/systemd/system)
  --component C     edge (a gateway), cloud (a broker host) or all (default)
  --node PATH       node binary the wrappers exec (default: \`command -v node\`, must be >= 20)
  --enable          also systemctl enable --now the installed services
  --update-root DIR where the edge agent's releases live (default /opt/causeway-edge)
  --no-self-update  run the edge agent from $PREFIX/bin, without the launcher and its drop-in
EOF
}
die() { echo "$PROG: $1" >&2; exit "${2:-1}"; }
say() { echo "$PROG: $*"; }

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=/etc
UNITDIR=/etc/systemd/system
COMPONENT=all
NODE=
ENABLE=no
UPDATE_ROOT=/opt/causeway-edge
SELF_UPDATE=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --sysconfdir) SYSCONFDIR=${2:?}; shift 2 ;;
    --unitdir) UNITDIR=${2:?}; shift 2 ;;
    --component) COMPONENT=${2:?}; shift 2 ;;
    --component=*) COMPONENT=${1#*=}; shift ;;
    --node) NODE=${2:?}; shift 2 ;;
    --enable) ENABLE=yes; shift ;;
    --update-root) UPDATE_ROOT=${2:?--update-root needs a directory}; shift 2 ;;
    --no-self-update) SELF_UPDATE=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" 64 ;;
  esac
done
case "$COMPONENT" in edge) UNITS=(edge) ;; cloud) UNITS=(cloud) ;; all) UNITS=(edge cloud) ;; *) die "--component must be edge, cloud or all, not '$COMPONENT'" 64 ;; esac
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path, not '$PREFIX'" 64 ;; esac
case "$UPDATE_ROOT" in /*) ;; *) die "--update-root must be an absolute path, not '$UPDATE_ROOT'" 64 ;; esac
[ "$COMPONENT" = cloud ] && SELF_UPDATE=no
DESTDIR=${DESTDIR%/}
LIVE=yes; [ -n "$DESTDIR" ] && LIVE=no

# A live install creates a user and writes to /etc and /usr: refuse early and say how, rather than
# failing half-way with "Permission denied".
if [ "$LIVE" = yes ] && [ "$(id -u)" -ne 0 ]; then
  die "must run as root to install on this system (try: sudo $0 $ARGS), or set DESTDIR=/some/dir for a staged install" 77
fi

SRC=$(cd "$(dirname "$0")/.." && pwd)
for f in dist/edge/src/main.js dist/cloud/src/main.js dist/cloud/src/cli/main.js dist/firmware-sim/src/main.js package.json node_modules; do
  [ -e "$SRC/$f" ] || die "$SRC/$f is missing: run 'npm ci && npm run build' in $SRC first" 66
done

[ -n "$NODE" ] || NODE=$(command -v node || true)
[ -n "$NODE" ] && [ -x "$NODE" ] || die "node not found: install Node.js >= 20.19 or pass --node PATH" 69
NODE_MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || die "$NODE is Node.js $("$NODE" --version); Causeway needs >= 20.19" 69

APP=$PREFIX/lib/causeway
D_APP=$DESTDIR$APP
D_BIN=$DESTDIR$PREFIX/bin
D_UNIT=$DESTDIR$UNITDIR
D_CONF=$DESTDIR$SYSCONFDIR/causeway
D_DOC=$DESTDIR$PREFIX/share/doc/causeway

# 1. The app, staged next to its final place and swapped in whole, so an upgrade interrupted half-way
#    leaves the old version runnable.
mkdir -p "$(dirname "$D_APP")"
STAGE=$(mktemp -d "$D_APP.new.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp -a "$SRC/dist" "$SRC/package.json" "$STAGE/"
[ -e "$SRC/package-lock.json" ] && cp -a "$SRC/package-lock.json" "$STAGE/"
# Only production dependencies (about half of node_modules): npm ls names every installed one, nested
# ones included; copy each top-most directory once.
if MODS=$(cd "$SRC" && npm ls --omit=dev --parseable --all 2>/dev/null); then
  printf '%s\n' "$MODS" | sed -n "s#^$SRC/##p" | grep '^node_modules/' | sort |
    awk '{ for (i = 1; i <= n; i++) if (index($0, kept[i] "/") == 1) next; kept[++n] = $0; print }' |
    (cd "$SRC" && xargs cp -a --parents -t "$STAGE")
else
  say "npm ls failed; copying all of node_modules (dev dependencies included)"
  cp -a "$SRC/node_modules" "$STAGE/"
fi
install -D -m 0755 "$SRC/systemd/causeway-edge-launcher" "$STAGE/libexec/causeway-edge-launcher"
chmod -R u=rwX,go=rX "$STAGE"
# Code the service runs must not be writable by whoever owned the checkout.
[ "$LIVE" = yes ] && chown -R 0:0 "$STAGE"
for b in dist/edge/src/main.js dist/cloud/src/main.js dist/cloud/src/cli/main.js dist/firmware-sim/src/main.js; do chmod 0755 "$STAGE/$b"; done
if [ -d "$D_APP" ]; then
  OLD=$(mktemp -d "$D_APP.old.XXXXXX")
  mv "$D_APP" "$OLD/app"
  mv "$STAGE" "$D_APP"
  rm -rf "$OLD"
else
  mv "$STAGE" "$D_APP"
fi
trap - EXIT

# 2. Wrappers: exec keeps the PID, so node itself is the unit's main process (what WatchdogSec and
#    kill -HUP $MAINPID talk to); the node path is fixed at install time, not looked up in PATH.
install -d -m 0755 "$D_BIN"
#    A program whose unit sets NODE_OPTIONS gets the same default in its wrapper, so that it runs alike from
#    a shell; a NODE_OPTIONS given by the unit or the caller, even an empty one, is kept as it is.
wrapper() { # name, script, [default NODE_OPTIONS]
  local tmp; tmp=$(mktemp "$D_BIN/.$1.XXXXXX")
  {
    printf '#!/bin/sh\n# installed by causeway systemd/install.sh\n'
    [ -z "${3:-}" ] || printf 'NODE_OPTIONS="${NODE_OPTIONS-%s}"\nexport NODE_OPTIONS\n' "$3"
    printf 'exec '"'%s' '%s'"' "$@"\n' "$NODE" "$APP/$2"
  } > "$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$D_BIN/$1"
}
# The cloud unit's NODE_OPTIONS (its young generation, issue 15), read from the unit itself.
CLOUD_NODE_OPTIONS=$(sed -n 's/^Environment="NODE_OPTIONS=\(.*\)"$/\1/p' "$SRC/systemd/causeway-cloud.service" | tail -n 1)
wrapper causeway-edge dist/edge/src/main.js
wrapper causeway-cloud dist/cloud/src/main.js "$CLOUD_NODE_OPTIONS"
wrapper causeway dist/cloud/src/cli/main.js
wrapper causeway-sim dist/firmware-sim/src/main.js

# 3. Units, with the paths rewritten when --prefix or --sysconfdir differ from the defaults.
install -d -m 0755 "$D_UNIT"
for u in "${UNITS[@]}"; do
  sed -e "s#/usr/local/bin/#$PREFIX/bin/#g" -e "s#/usr/local/share/doc/#$PREFIX/share/doc/#g" \
      -e "s# /etc/causeway/# $SYSCONFDIR/causeway/#g" "$SRC/systemd/causeway-$u.service" > "$D_UNIT/.causeway-$u.service.tmp"
  chmod 0644 "$D_UNIT/.causeway-$u.service.tmp"
  mv -f "$D_UNIT/.causeway-$u.service.tmp" "$D_UNIT/causeway-$u.service"
done

# 3b. Self-update (edge, issue 17): the launcher starts <update root>/current/causeway-edge, through a
#     drop-in that keeps the unit's hardening and makes only the update root writable. A fresh install's
#     first release is a wrapper of this install; an existing `current` is never touched (the agent may
#     have updated itself since), nor an existing release directory.
D_UR=$DESTDIR$UPDATE_ROOT
if [ "$SELF_UPDATE" = yes ]; then
  VERSION=$("$NODE" -p "require('$SRC/package.json').version")
  install -d -m 0755 "$D_UR" "$D_UR/releases"
  if [ ! -e "$D_UR/releases/$VERSION" ]; then
    install -d -m 0755 "$D_UR/releases/.$VERSION.staging"
    printf '#!/bin/sh\n# installed by causeway systemd/install.sh\nexec '"'%s' '%s'"' "$@"\n' "$NODE" "$APP/dist/edge/src/main.js" > "$D_UR/releases/.$VERSION.staging/causeway-edge"
    chmod 0755 "$D_UR/releases/.$VERSION.staging/causeway-edge"
    mv "$D_UR/releases/.$VERSION.staging" "$D_UR/releases/$VERSION"
  fi
  if [ ! -e "$D_UR/current" ] && [ ! -L "$D_UR/current" ]; then
    ln -s "releases/$VERSION" "$D_UR/current"
    say "release $VERSION is current in $UPDATE_ROOT"
  fi
  install -d -m 0755 "$D_UNIT/causeway-edge.service.d"
  sed -e "s#/usr/local/lib/causeway/#$APP/#g" -e "s#/opt/causeway-edge#$UPDATE_ROOT#g" \
      -e "s# /etc/causeway/# $SYSCONFDIR/causeway/#g" "$SRC/systemd/causeway-edge-self-update.conf" > "$D_UNIT/causeway-edge.service.d/.self-update.conf.tmp"
  chmod 0644 "$D_UNIT/causeway-edge.service.d/.self-update.conf.tmp"
  mv -f "$D_UNIT/causeway-edge.service.d/.self-update.conf.tmp" "$D_UNIT/causeway-edge.service.d/self-update.conf"
fi

# 4. User and group (live only).
if [ "$LIVE" = yes ]; then
  if ! getent group causeway >/dev/null; then groupadd --system causeway; say "created group causeway"; fi
  if ! getent passwd causeway >/dev/null; then
    useradd --system --gid causeway --home-dir /var/lib/causeway-edge --no-create-home --shell /usr/sbin/nologin \
      --comment "Causeway services" causeway
    say "created user causeway"
  fi
fi

# The agent (user causeway) swaps `current` and adds releases; the releases it did not write stay root's.
if [ "$LIVE" = yes ] && [ "$SELF_UPDATE" = yes ]; then chown causeway:causeway "$D_UR" "$D_UR/releases"; fi

# 5. Config: readable by the service (group causeway), not by everyone, since it holds credentials.
#    An existing file is the operator's: it is never overwritten.
install -d -m 0755 "$D_CONF"
for u in "${UNITS[@]}"; do
  if [ -e "$D_CONF/$u.json" ]; then
    say "kept existing $SYSCONFDIR/causeway/$u.json"
  else
    install -m 0640 "$SRC/systemd/config/$u.json" "$D_CONF/$u.json"
    say "installed default $SYSCONFDIR/causeway/$u.json"
  fi
  if [ "$LIVE" = yes ]; then chown root:causeway "$D_CONF/$u.json"; chmod 0640 "$D_CONF/$u.json"; fi
done

# 6. Docs.
install -d -m 0755 "$D_DOC"
install -m 0644 "$SRC/docs/operations.md" "$D_DOC/operations.md"

# 7. Tell systemd (live only, and only when systemd is the init system).
if [ "$LIVE" = yes ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$ENABLE" = yes ]; then
    for u in "${UNITS[@]}"; do systemctl enable --now "causeway-$u.service"; done
  fi
fi

say "installed $(printf 'causeway-%s ' "${UNITS[@]}")into ${DESTDIR:-/} (prefix $PREFIX)"
if [ "$LIVE" = yes ] && [ "$ENABLE" = no ]; then
  say "next: edit $SYSCONFDIR/causeway/*.json, then: systemctl enable --now $(printf 'causeway-%s ' "${UNITS[@]}")"
fi
