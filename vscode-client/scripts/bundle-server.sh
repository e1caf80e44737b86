#!/usr/bin/env bash
# Puts golens and every dependency as wheels into bundled/wheels/ for a platform-specific .vsix:
# on first start the extension makes a private venv in its global storage and installs from
# these files alone (pip --no-index), so installing the .vsix is the whole installation.
#
#   scripts/bundle-server.sh TARGET      TARGET: a vsce target (linux-x64 is built and tested here;
#                                        linux-arm64, darwin-x64, darwin-arm64, win32-x64 the same
#                                        way, on any machine: the wheels are downloaded for TARGET)
#
# golens is built pure-Python (GOLENS_NO_SPEEDUPS=1: the optional trace accelerator is
# CPython-version specific), so one wheel serves every CPython >= 3.11; the binary dependencies
# (tree-sitter, protobuf) are fetched for each supported CPython version and TARGET's platform tags.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/bundle-server.sh TARGET (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64)}
python=${PYTHON:-python3}
case "$target" in
  linux-x64) platforms=(manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64) ;;
  linux-arm64) platforms=(manylinux_2_28_aarch64 manylinux_2_17_aarch64 manylinux2014_aarch64) ;;
  darwin-x64) platforms=(macosx_10_13_x86_64 macosx_10_9_x86_64 macosx_10_9_universal2 macosx_11_0_universal2) ;;
  darwin-arm64) platforms=(macosx_11_0_arm64 macosx_10_9_universal2 macosx_11_0_universal2) ;;
  win32-x64) platforms=(win_amd64) ;;
  *) echo "bundle-server: unknown target $target" >&2; exit 2 ;;
esac
out=bundled/wheels
rm -rf bundled
mkdir -p "$out"
GOLENS_NO_SPEEDUPS=1 "$python" -m pip wheel --quiet --no-deps .. -w "$out"
requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
"$python" - "$requirements" <<'PY'
import sys, tomllib
deps = tomllib.load(open("../pyproject.toml", "rb"))["project"]["dependencies"]
open(sys.argv[1], "w").write("\n".join(deps) + "\n")
PY
platform_args=()
for p in "${platforms[@]}"; do
  platform_args+=(--platform "$p")
done
for version in 3.11 3.12 3.13; do
  "$python" -m pip download --quiet --only-binary=:all: --implementation cp --python-version "$version" \
    "${platform_args[@]}" -r "$requirements" -d "$out"
done
echo "$target" >bundled/target
ls "$out" >&2
