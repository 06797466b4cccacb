#!/usr/bin/env bash
# Installs what the web console's browser tests drive (scripts/browser/console.py): Debian's
# `chromium` and `chromium-driver` (apt, if missing; /usr/bin/chromium and /usr/bin/chromedriver),
# and Selenium's Python bindings, pinned (scripts/browser/requirements.txt), from PyPI into
# .coachspool/browser-venv (or $COACHSPOOL_BROWSER_VENV). Idempotent and quiet once done.
# Prints the environment's python as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ensure_packages chromium chromium-driver
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after installing chromium"
[ -x /usr/bin/chromedriver ] || die "/usr/bin/chromedriver is missing after installing chromium-driver"

python_env "${COACHSPOOL_BROWSER_VENV:-$STATE_DIR/browser-venv}" "$REPO/scripts/browser/requirements.txt" \
  "$STATE_DIR/wheels/browser" "import selenium.webdriver" "Selenium"
