#!/usr/bin/env bash
# Installs what the VS Code extension's build and end-to-end test need, and prints the paths the
# test uses as KEY=VALUE lines on stdout (everything else goes to stderr):
#   - Debian packages: chromium (the browser the e2e drives), ripgrep + build deps (code-server's
#     native modules are compiled here because their prebuilt downloads cannot be reached);
#   - vscode-client's npm dependencies (from package-lock.json);
#   - code-server 4.100.3, the last 4.x whose engines allow Node 20.
# Idempotent and quick when everything is there: each step checks first.
#
# code-server lives outside the checkout (GOLENS_E2E_CACHE, default ~/.cache/golens-vscode-e2e) so
# that CI's fresh clone on the same machine reuses it; a stamp file written last marks a complete
# install, so an interrupted one is redone rather than trusted.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

CODE_SERVER_VERSION=4.100.3
cache=${GOLENS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/golens-vscode-e2e}
cs_dir="$cache/code-server-$CODE_SERVER_VERSION"
mkdir -p "$cache"

log() { echo "setup-vscode-e2e: $*" >&2; }

# Several checkouts (a developer's and CI's) may set up at once; one at a time.
exec 9>"$cache/.lock"
flock 9

# --- Debian packages -------------------------------------------------------------------------
apt_packages=(chromium ripgrep libkrb5-dev pkg-config build-essential python3 fonts-dejavu-core)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or install them)"; exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other setup scripts may be running apt at the same moment: wait for dpkg's lock, not fail.
  apt=(apt-get -o DPkg::Lock::Timeout=600 -y)
  # A stale or absent package list makes install fail with "Unable to locate package"; refresh once.
  "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2 \
    || { "${apt[@]}" update >&2 && "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; }
fi
chromium_bin=$(command -v chromium || true)
[ -n "$chromium_bin" ] || { log "chromium not found after install"; exit 1; }

# --- the extension's npm dependencies ----------------------------------------------------------
client="$repo/vscode-client"
lock_sum=$(sha256sum "$client/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$client/node_modules/.golens-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  log "npm ci in vscode-client"
  (cd "$client" && npm ci --no-audit --no-fund >&2)
  echo "$lock_sum" >"$client/node_modules/.golens-lock-sum"
fi

# --- code-server -----------------------------------------------------------------------------
# The recipe from the team's notes: code-server's own postinstall cannot run here (as root it
# demands npm's removed --unsafe-perm; @vscode/ripgrep downloads rg from GitHub), so its steps are
# replayed by hand with Debian's rg.
if [ ! -f "$cs_dir/.complete" ]; then
  log "installing code-server $CODE_SERVER_VERSION into $cs_dir (about 1.5 minutes)"
  rm -rf "$cs_dir.partial"
  mkdir -p "$cs_dir.partial"
  (
    set -e
    export npm_config_nodedir=/usr npm_config_audit=false npm_config_fund=false
    cd "$cs_dir.partial"
    echo '{"name":"golens-code-server","private":true}' >package.json
    npm install --ignore-scripts "code-server@$CODE_SERVER_VERSION"
    npm rebuild argon2
    cd node_modules/code-server/lib/vscode
    npm install --ignore-scripts --omit=dev
    mkdir -p node_modules/@vscode/ripgrep/bin
    ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    # node-pty's postinstall ends with `npx node-gyp configure`, which needs npx's consent.
    npm_config_yes=true npm rebuild
    ln -sfn node_modules node_modules.asar
    (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
    (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
    (cd extensions && npm install --omit=dev)
  ) >&2
  rm -rf "$cs_dir"
  mv "$cs_dir.partial" "$cs_dir"
  # code-server writes a default config.yaml on any run; keep that out of the real home.
  XDG_CONFIG_HOME="$cs_dir/.config" "$cs_dir/node_modules/.bin/code-server" --version >&2
  touch "$cs_dir/.complete"
fi

echo "CODE_SERVER=$cs_dir/node_modules/.bin/code-server"
echo "CHROMIUM=$chromium_bin"
