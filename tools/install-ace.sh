#!/usr/bin/env bash
# Ace by DAISY (accessibility checker for EPUB) into .tools/ (about 80 MB), run with
# Debian's chromium. `make test` runs it on the first Ace test; it needs npm and npm's
# registry. Everything npm writes (its cache and logs too) stays in .tools/, so deleting
# .tools/ removes it all. BOOKBUILD_TOOLS names another folder (the tests' own check of
# this script).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${BOOKBUILD_TOOLS:-$PWD/.tools}"
if [ -x "$TOOLS/node_modules/.bin/ace-cli" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  echo "install-ace.sh: npm is not installed (apt-get install npm)" >&2
  exit 2
fi
mkdir -p "$TOOLS"
cd "$TOOLS"
ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm_config_cache="$TOOLS/.npm" \
  npm install --loglevel=error --no-audit --no-fund @daisy/ace-cli@1.4.6 >/dev/null
