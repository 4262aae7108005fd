#!/usr/bin/env bash
# Provisions the browser that the browser tests drive (packages/testing/src/browser):
# Debian's `chromium` package at /usr/bin/chromium. Playwright's own browser
# download (`npx playwright install`) is never used: it needs the internet.
#
# Idempotent: when /usr/bin/chromium is there it returns at once and prints
# nothing. Otherwise it runs `apt-get update` and `apt-get install -y chromium`
# as root (directly, or through `sudo -n` when that works without a password),
# and exits 1 with a message saying what to do when it cannot.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { echo "setup-browser: $*" >&2; }

[ -x "$CHROMIUM" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  say "$CHROMIUM is missing and this machine has no apt-get; install Chromium so that $CHROMIUM runs it."
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "$CHROMIUM is missing; installing it needs root. Run as root: apt-get update && apt-get install -y chromium"
  exit 1
fi

say "installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; then
  say "apt-get update failed; is a Debian mirror reachable?"
  exit 1
fi
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; then
  say "apt-get install chromium failed (see above)"
  exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
  say "apt-get installed chromium but $CHROMIUM is still missing"
  exit 1
fi
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
