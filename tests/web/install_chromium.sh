#!/bin/sh
# Install the real Chromium that the browser tests (tests/web/test_browser.py) drive with
# Playwright. Debian's package is used: Playwright's own browser download does not work here.
set -e
if command -v chromium >/dev/null 2>&1; then exit 0; fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
