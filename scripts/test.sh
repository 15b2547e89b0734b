#!/usr/bin/env bash
# The whole test suite: installs what the tests need when it is missing (Debian's promtool, vmalert,
# victoria-metrics, alertmanager, chromium and chromium-driver, tzdata; rustfmt and clippy), then runs fmt, clippy and
# every test.
# Usage: scripts/test.sh            (as root on Debian, or with the packages already installed)
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
{ command -v victoria-metrics >/dev/null 2>&1 && command -v vmalert >/dev/null 2>&1; } || need_pkgs+=(victoria-metrics)
# The UI browser test (tests/ui_browser.rs) drives headless Chromium through chromedriver.
{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || need_pkgs+=(chromium chromium-driver fonts-dejavu-core)
# cron_timezone reads the system's zone files (src/config/timezone.rs); the schedule tests use Europe/Berlin.
[ -f /usr/share/zoneinfo/Europe/Berlin ] || need_pkgs+=(tzdata)
if ((${#need_pkgs[@]})); then
  echo "installing ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --all-targets --locked
cargo test --doc --locked
