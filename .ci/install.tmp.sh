#!/usr/bin/env bash
# CI entry point: install everything the suite needs on a fresh Debian machine, then run the README's
# test command. Safe to re-run: Debian packages are installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages the tests start as real peers: mosquitto (+ clients) for interop and benchmarks,
# nats-server for the JetStream backend, socat for pseudo-terminal serial pairs, postgresql for the
# sinks tests (the tests run initdb/pg_ctl from /usr/lib/postgresql/*/bin), chromium for the console tests.
DEB_PACKAGES="mosquitto mosquitto-clients nats-server socat postgresql chromium"
missing=""
for p in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "ci: installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

node --version
npm --version
npm ci --no-fund --no-audit
