#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it by executable path; it never
# downloads a browser of its own).
set -euo pipefail
command -v chromium >/dev/null && exit 0
echo "ensure-chromium: installing Debian's chromium" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
