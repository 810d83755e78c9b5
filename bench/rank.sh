#!/usr/bin/env bash
# Anomaly ranking evaluation (docs/anomaly-ranking.md): plants twelve kinds of errors and
# explained real changes into clean sample counties, scores the 异常提示 ranking against two
# naive rankings, and counts false alarms in clean counties and a clean 10,000-unit sample.
#
#   bash bench/rank.sh [SEEDS] [BIG_UNITS]      # defaults 12 10000; BIG_UNITS=0 skips the big sample
#
# The harness is examples/rank_eval/ (in-memory: no workbooks are written). The log goes to
# bench/logs/rank-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS="${1:-12}"
BIG="${2:-10000}"
PROFILE="${PROFILE:-bench-fast}"
mkdir -p bench/logs
OUT="bench/logs/rank-$(date -u +%Y-%m-%d).md"
cargo run -q --profile "$PROFILE" --example rank_eval -- "$SEEDS" "$BIG" | tee "$OUT"
echo "written: $OUT" >&2
