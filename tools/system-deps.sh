#!/usr/bin/env bash
# What the toolchain needs beyond Python packages, from Debian:
#   libharfbuzz-subset0  HarfBuzz's subsetter (without it WeasyPrint warns on every build)
#   libgs-common         Ghostscript's CMYK (SWOP) ICC profile: the print edition's colours are converted with it (never embedded)
#   qpdf                 structure checks of the PDFs in the tests
#   fonts-noto-core, fonts-noto-cjk, fonts-dejavu-core, fonts-symbola
#                        the faces for what the body font lacks (Greek and Cyrillic beyond it,
#                        Chinese, Japanese, Korean, symbols, emoji): bookbuild/theme.py
# Installs what is missing with apt-get when it may; otherwise says what to install.
set -euo pipefail
missing=()
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0' || missing+=(libharfbuzz-subset0)
[ -f /usr/share/color/icc/ghostscript/default_cmyk.icc ] || missing+=(libgs-common)
command -v qpdf >/dev/null || missing+=(qpdf)
[ -f /usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf ] || missing+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || missing+=(fonts-symbola)
[ ${#missing[@]} = 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "note: please install the Debian packages ${missing[*]} (see tools/system-deps.sh)" >&2
fi
