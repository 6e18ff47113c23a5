#!/usr/bin/env bash
# Ace by DAISY (accessibility checker for EPUB) into .tools/, run with Debian's chromium.
# The tests use it when node and chromium are present; CI installs both first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node_modules/.bin/ace-cli ]; then exit 0; fi
mkdir -p .tools
cd .tools
ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund @daisy/ace-cli@1.4.6 >/dev/null
