#!/usr/bin/env bash
# System libraries the toolchain wants beyond Python packages: HarfBuzz's subsetter,
# without which WeasyPrint falls back to a slower path and warns on every build.
# Installs it with apt-get when it is missing and we may; otherwise says what to install.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then
  exit 0
fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing libharfbuzz-subset0 (apt-get)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null
else
  echo "note: install HarfBuzz's subset library (Debian: libharfbuzz-subset0) for silent, faster PDF builds" >&2
fi
