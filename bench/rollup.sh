#!/usr/bin/env bash
# bench/rollup.sh — `huizong rollup` of N counties' run outputs (default 100; target: ≤ 1 s).
#
# Usage (from a fresh clone, in the repository root):
#     bash bench/rollup.sh [N]
#
# What it does:
#   1. Builds `huizong` with the `bench-fast` profile (as bench/run.sh; BENCH_PROFILE overrides).
#   2. Makes N different clean sample counties, codes 411301, 411302, … (`huizong sample
#      --county CODE --clean`, the default 47-row county), and runs each
#      (`huizong run --year 2024 2024/ --prior 2023/`) into DATA/rollupN/out<CODE>, with a city
#      registry listing them (kind county). An existing data set of the same N is reused (marker
#      DATA/rollupN/.bench-counties); DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/huizong-bench}.
#   3. Times, median of BENCH_REPEAT (default 3) rounds, each round interleaving:
#          huizong rollup --year 2024 --registry city.csv out* --out OUT        (the roll-up)
#          huizong run --year 2024 2024/ --prior 2023/ … of one county          (baseline)
#          huizong dataset add out<CODE> --into DS, for every county              (dataset)
#      recording wall, CPU (user+sys) and peak RSS via /usr/bin/time. The baseline is the job a
#      city used to repeat by hand per county; the ratio rollup/baseline is measured in the same
#      rounds, so a busy machine moves both.
#   4. Prints the table and writes it, with the machine and load, to
#      bench/results-<date>-rollup.md.
# Requires: bash, cargo, GNU /usr/bin/time, awk, nproc.

set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-100}
REPEAT=${BENCH_REPEAT:-3}
DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/huizong-bench}/rollup$N
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${BENCH_PROFILE:-bench-fast}
BIN=$TARGET/$PROFILE/huizong
RESULTS=$ROOT/bench/results-$(date +%F)-rollup.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# timed LABEL CMD... : appends "wall cpu rss_kb" to $TMP/LABEL; exit 0 and 1 count as done.
timed() {
    local label=$1; shift
    local rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time.$label" "$@" >"$TMP/out.$label" 2>"$TMP/err.$label" || rc=$?
    if [ "$rc" -gt 1 ]; then
        log "FAILED ($rc): $*"; cat "$TMP/err.$label" >&2; exit 1
    fi
    tail -n 1 "$TMP/time.$label" | awk '{printf "%s %.2f %s\n", $1, $2+$3, $4}' >>"$TMP/$label"
}
col() { awk -v c="$2" '{print $c}' "$TMP/$1" | median; }

log "building ($PROFILE)"
cargo build -q --profile "$PROFILE" --bin huizong

codes=()
for i in $(seq 1 "$N"); do codes+=("$(printf '41%04d' $((1300 + i)))"); done
if [ "$(cat "$DATA/.bench-counties" 2>/dev/null)" != "$N" ]; then
    log "making $N counties in $DATA"
    rm -rf "$DATA"; mkdir -p "$DATA"
    echo "code,name,kind,parent,active_from,active_to,predecessors,villages" >"$DATA/city.csv"
    for c in "${codes[@]}"; do
        "$BIN" sample --county "$c" --clean --out "$DATA/s$c" >/dev/null
        rc=0
        "$BIN" run --year 2024 "$DATA/s$c/2024" --prior "$DATA/s$c/2023" --out "$DATA/out$c" --quiet >/dev/null || rc=$?
        [ "$rc" -le 1 ] || { log "run of $c failed ($rc)"; exit 1; }
        echo "$c,县$c,county,411300,2015,,," >>"$DATA/city.csv"
    done
    echo "$N" >"$DATA/.bench-counties"
fi
outs=()
for c in "${codes[@]}"; do outs+=("$DATA/out$c"); done
first=${codes[0]}

for r in $(seq 1 "$REPEAT"); do
    log "round $r/$REPEAT"
    timed rollup "$BIN" rollup --year 2024 --registry "$DATA/city.csv" "${outs[@]}" --out "$TMP/o-city"
    timed county "$BIN" run --year 2024 "$DATA/s$first/2024" --prior "$DATA/s$first/2023" --out "$TMP/o-county" --quiet
    rm -rf "$TMP/o-ds"
    timed dataset bash -c 'for o in "$@"; do "'"$BIN"'" dataset add "$o" --into "'"$TMP/o-ds"'" >/dev/null; done' _ "${outs[@]}"
done

rw=$(col rollup 1); rc=$(col rollup 2); rm_=$(col rollup 3)
cw=$(col county 1); cc=$(col county 2)
dw=$(col dataset 1)
ratio=$(awk -v a="$rw" -v b="$cw" 'BEGIN {printf "%.2f", a / b}')
mib=$(awk -v k="$rm_" 'BEGIN {printf "%.0f", k / 1024}')
table=$(cat <<EOF
| counties | rollup wall | rollup CPU | rollup peak RSS | one county's run (baseline) wall | rollup/baseline | dataset add × $N wall |
|---:|---:|---:|---:|---:|---:|---:|
| $N | ${rw} s | ${rc} s | ${mib} MiB | ${cw} s (CPU ${cc} s) | ${ratio}× | ${dw} s |
EOF
)
echo "$table"
{
    echo "# huizong rollup benchmark, $(date +%F)"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg); profile $PROFILE; median of $REPEAT; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
    echo
    echo "$table"
} >"$RESULTS"
log "written $RESULTS"
