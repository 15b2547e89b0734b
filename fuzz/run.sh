#!/usr/bin/env bash
# Fuzzes the rule-file loader (fuzz_targets/rule_file.rs) for SECONDS (default 300), seeded with the shared corpus
# and the bad-file suite. Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz --locked
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
corpus=../shared/corpus
[ -d "$corpus" ] || corpus=/work/shared/corpus
seeds=fuzz/corpus/rule_file
mkdir -p "$seeds"
for f in "$corpus"/rules/* "$corpus"/crds-spec/* tests/data/bad/*; do
  # libFuzzer's default max_len is far below the largest generated files; keep the seeds small.
  if [ "$(stat -c %s "$f")" -le 65536 ]; then cp -n "$f" "$seeds/" || true; fi
done
exec cargo +nightly fuzz run rule_file "$seeds" -- \
  -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
