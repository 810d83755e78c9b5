#!/usr/bin/env bash
# bench/run.sh — end-to-end benchmark of `huizong run` against a calamine-only floor.
#
# Usage (from a fresh clone, in the repository root):
#     bash bench/run.sh [sizes...]          # default sizes: 50 2000 10000
#
# What it does:
#   1. Builds `huizong` and `examples/floor.rs` with the `bench-fast` profile (Cargo.toml):
#      our crate and the read/write path at opt-level 3, polars and the rest at opt-level 0
#      (cold build ~2.5–6 min on 2 cores instead of ~28 min for --release; docs/scale.md).
#      Binaries go to ${CARGO_TARGET_DIR:-target}/bench-fast/.
#   2. For each size N, generates a clean sample county with
#          huizong sample --out DATA/nN --units N --years 2023,2024 --clean
#      into DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/huizong-bench}; an existing data set of the same
#      N is reused (marker file DATA/nN/.bench-units holds N; delete DATA to regenerate after
#      the sample generator changes).
#   3. On the same files, with T = nproc threads, runs 3 times each and takes the median of:
#          huizong run --year 2024 DATA/nN/2024 --prior DATA/nN/2023 \
#              --registry DATA/nN/units.csv --out OUT --quiet --threads T
#          floor DATA/nN/2024 T        (read every cell of every sheet; nothing else)
#      recording wall time, CPU time (user+sys) and peak RSS via /usr/bin/time, plus
#      workbooks/s, and the ratio run/floor. `run` also reads the 2023 folder (--prior), so the
#      floor is also timed over both years (floor DATA/nN T), giving the fairer "run/floor2" ratio.
#      With HUIZONG_TIMING=1, `huizong run` prints its phase times; their medians are reported.
#      "runH" is the same run with --prior DATA/nN/.history2023/history.csv (written once by
#      `huizong run --year 2023`): the usual yearly flow, which reads only this year's folder, so
#      its ratio is against the one-folder floor.
#   4. Times `huizong check` of one single workbook as a whole process (median of 10, ms), a
#      workbook of the first size given, with that size's registry (50 units by default).
#   5. Prints the table and writes it, with the machine and load conditions, to
#      bench/results-<date>.md.
#
# Environment: BENCH_DATA (data folder), BENCH_REPEAT (default 3), CARGO_TARGET_DIR,
# BENCH_PROFILE (default bench-fast), BENCH_BASELINE (optional: another huizong binary, e.g. an
# earlier commit built with the same profile; its `run` is timed on the same files in the same
# rounds, interleaved, and the table gets run/baseline ratios).
# Requires: bash, cargo, GNU /usr/bin/time, awk, nproc.
# `huizong run` exit code 1 (error-level findings) counts as a completed run; 2 aborts.

set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(50 2000 10000)
REPEAT=${BENCH_REPEAT:-3}
T=$(nproc)
DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/huizong-bench}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${BENCH_PROFILE:-bench-fast}
BIN=$TARGET/$PROFILE/huizong
FLOOR=$TARGET/$PROFILE/examples/floor
DATE=$(date +%F)
RESULTS=$ROOT/bench/results-$DATE${BENCH_PROFILE:+-$BENCH_PROFILE}.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"


# timed LABEL CMD... : runs CMD once under /usr/bin/time, appends "wall cpu rss_kb" to $TMP/LABEL.
# Accepts exit codes 0 and 1 (huizong: 1 = findings, outputs written); anything else aborts.
timed() {
    local label=$1; shift
    local rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time.$label" "$@" >"$TMP/out.$label" 2>"$TMP/err.$label" || rc=$?
    if [ "$rc" -gt 1 ]; then
        log "FAILED ($rc): $*"; cat "$TMP/err.$label" >&2; exit 1
    fi
    # the last line holds the numbers (time prints "Command exited with non-zero status" first)
    tail -n 1 "$TMP/time.$label" | awk '{printf "%s %.2f %s\n", $1, $2+$3, $4}' >>"$TMP/$label"
    echo "$rc" >"$TMP/rc.$label"
    # phase times printed by `huizong run` when HUIZONG_TIMING is set
    # ("阶段 read: 1.234 s (CPU 2.40 s)"; the CPU part is missing where /proc is)
    sed -n 's/^阶段 \([^:]*\): \([0-9.]*\) s (CPU \([0-9.]*\) s)$/\1 \2 \3/p; s/^阶段 \([^:]*\): \([0-9.]*\) s$/\1 \2 nan/p' \
        "$TMP/err.$label" >>"$TMP/phases.$label"
}

# col LABEL N: median of column N of $TMP/LABEL
col() { awk -v c="$2" '{print $c}' "$TMP/$1" | median; }

log "building huizong + floor (profile $PROFILE, target $TARGET)"
build_start=$(date +%s)
cargo build --locked --profile "$PROFILE" --bin huizong --example floor >&2
log "build took $(( $(date +%s) - build_start )) s (incremental if $TARGET was warm)"

mkdir -p "$DATA"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
BASE=()
PHASES=()
CHECK_MS=""
CHECK_N=""
for N in "${SIZES[@]}"; do
    D=$DATA/n$N
    if [ -f "$D/.bench-units" ] && [ "$(cat "$D/.bench-units")" = "$N" ]; then
        log "N=$N: reusing $D"
        gen="reused"
    else
        rm -rf "$D"
        log "N=$N: generating sample data in $D"
        timed "sample$N" "$BIN" sample --out "$D" --units "$N" --years 2023,2024 --clean
        gen=$(col "sample$N" 1)
        echo "$N" >"$D/.bench-units"
    fi
    # Last year's history, as a county has it from its previous run: the usual --prior.
    if [ ! -f "$D/.history2023/history.csv" ]; then
        log "N=$N: writing the 2023 history with huizong run --year 2023"
        rm -rf "$D/.history2023"
        timed "hist$N" "$BIN" run --year 2023 "$D/2023" --registry "$D/units.csv" \
            --out "$D/.history2023" --quiet --threads "$T"
    fi
    files=$(find "$D/2024" -name '*.xlsx' | wc -l)
    bytes=$(find "$D/2024" -name '*.xlsx' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    for i in $(seq "$REPEAT"); do
        rm -rf "$TMP/out"
        log "N=$N run #$i"
        HUIZONG_TIMING=1 timed "run$N" "$BIN" run --year 2024 "$D/2024" --prior "$D/2023" \
            --registry "$D/units.csv" --out "$TMP/out" --quiet --threads "$T"
        rm -rf "$TMP/out"
        log "N=$N run with history #$i"
        HUIZONG_TIMING=1 timed "runh$N" "$BIN" run --year 2024 "$D/2024" \
            --prior "$D/.history2023/history.csv" \
            --registry "$D/units.csv" --out "$TMP/out" --quiet --threads "$T"
        log "N=$N floor #$i"
        timed "floor$N" "$FLOOR" "$D/2024" "$T"
        timed "floorb$N" "$FLOOR" "$D" "$T"
        if [ -n "${BENCH_BASELINE:-}" ]; then
            rm -rf "$TMP/out"
            log "N=$N baseline run #$i"
            timed "base$N" "$BENCH_BASELINE" run --year 2024 "$D/2024" --prior "$D/2023" \
                --registry "$D/units.csv" --out "$TMP/out" --quiet --threads "$T"
        fi
    done
    if [ -n "${BENCH_BASELINE:-}" ]; then
        BASE+=("$(awk -v n="$N" -v rw="$(col "run$N" 1)" -v rc="$(col "run$N" 2)" \
            -v aw="$(col "base$N" 1)" -v ac="$(col "base$N" 2)" -v ar="$(col "base$N" 3)" 'BEGIN {
            printf "| %d | %.2f | %.2f | %.0f | %.2f× | %.2f× |", n, aw, ac, ar/1024,
                (aw>0 ? rw/aw : 0), (ac>0 ? rc/ac : 0) }')")
    fi
    # median wall and CPU seconds of each phase, in the order the phases ran
    PHASES+=("$(awk 'function med(a, m,   i, j, t) {
            for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]<a[i]) {t=a[i];a[i]=a[j];a[j]=t}
            return (m%2 ? a[(m+1)/2] : (a[m/2]+a[m/2+1])/2) }
        {n[$1]++; w[$1, n[$1]]=$2; c[$1, n[$1]]=$3; if (!($1 in seen)) {seen[$1]=1; order[++k]=$1}}
        END {for (i=1;i<=k;i++) {p=order[i]; m=n[p];
             for (a=1;a<=m;a++) {x[a]=w[p,a]; y[a]=c[p,a]}
             printf " %s %.2f s (CPU %.2f s);", p, med(x, m), med(y, m)}}' "$TMP/phases.run$N" 2>/dev/null || true)")
    rw=$(col "run$N" 1); rc=$(col "run$N" 2); rr=$(col "run$N" 3)
    fw=$(col "floor$N" 1); fc=$(col "floor$N" 2); fr=$(col "floor$N" 3)
    bw=$(col "floorb$N" 1); bc=$(col "floorb$N" 2)
    hw=$(col "runh$N" 1); hc=$(col "runh$N" 2); hr=$(col "runh$N" 3)
    ROWS+=("$(awk -v n="$N" -v f="$files" -v b="$bytes" -v rw="$rw" -v rc="$rc" -v rr="$rr" \
        -v fw="$fw" -v fc="$fc" -v fr="$fr" -v bw="$bw" -v bc="$bc" -v hw="$hw" -v hc="$hc" -v hr="$hr" -v g="$gen" -v ec="$(cat "$TMP/rc.run$N")" 'BEGIN {
        printf "| %d | %d | %.1f | %.2f | %.2f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.1f× | %.1f× | %.2f | %.2f | %.1f× | %.1f× | %.2f | %.2f | %.0f | %.1f× | %.1f× | %s | %s |",
            n, f, b/1048576, rw, rc, rr/1024, (rw>0 ? f/rw : 0), fw, fc, fr/1024, (fw>0 ? f/fw : 0),
            (fw>0 ? rw/fw : 0), (fc>0 ? rc/fc : 0), bw, bc, (bw>0 ? rw/bw : 0), (bc>0 ? rc/bc : 0),
            hw, hc, hr/1024, (fw>0 ? hw/fw : 0), (fc>0 ? hc/fc : 0), ec, g }')")
    if [ -z "$CHECK_MS" ]; then
        # awk, not head: head exits early, sort then dies of SIGPIPE and pipefail ends the script
        # (silently) once the folder is large, e.g. `bash bench/run.sh 10000`
        one=$(find "$D/2024" -name '*.xlsx' | sort | awk 'NR == 1')
        log "check of one workbook x10: $one"
        for i in $(seq 10); do
            timed check "$BIN" check --year 2024 --registry "$D/units.csv" "$one"
        done
        CHECK_MS=$(awk '{print $1*1000}' "$TMP/check" | median)
        CHECK_N=$N
        CHECK_RSS=$(awk '{print $3}' "$TMP/check" | median)
    fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "# huizong benchmark, $DATE"
    echo
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $T cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
    echo "- $(rustc --version)"
    echo "- profile: $PROFILE; threads T = $T; median of $REPEAT runs (check: median of 10)"
    echo "- load average (1/5/15 min) before: $load_before; after: $load_after"
    echo "- floor2 = the floor over both year folders (2023 + 2024), i.e. every workbook \`run\` reads"
    echo "- runH = the same run with \`--prior\` the 2023 history.csv (written once by \`huizong run --year 2023\`), the usual way after the first year: it reads only the 2024 folder, so its floor is the one-folder floor"
    echo "- data folder: $DATA ($(df --output=fstype "$DATA" 2>/dev/null | tail -n 1))"
    echo "- data: \`huizong sample --units N --years 2023,2024 --clean\`; run = \`huizong run --year 2024 2024/ --prior 2023/ --registry units.csv --out OUT --quiet --threads $T\`; floor = \`examples/floor.rs\` over the same 2024/ folder"
    echo
    echo "| N units | workbooks | MiB | run wall s | run CPU s | run RSS MiB | run wb/s | floor wall s | floor CPU s | floor RSS MiB | floor wb/s | wall run/floor | CPU run/floor | floor2 wall s | floor2 CPU s | wall run/floor2 | CPU run/floor2 | runH wall s | runH CPU s | runH RSS MiB | wall runH/floor | CPU runH/floor | run exit | sample gen s |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    if [ ${#BASE[@]} -gt 0 ]; then
        echo "Baseline \`$BENCH_BASELINE\` (\`run\` with the 2023 folder as --prior, same files, same rounds):"
        echo
        echo "| N units | baseline wall s | baseline CPU s | baseline RSS MiB | wall run/baseline | CPU run/baseline |"
        echo "|---:|---:|---:|---:|---:|---:|"
        printf '%s\n' "${BASE[@]}"
        echo
    fi
    echo "Phase wall times of \`huizong run\` (median; printed by the binary when HUIZONG_TIMING is set):"
    echo
    for i in "${!SIZES[@]}"; do echo "- N=${SIZES[$i]}:${PHASES[$i]:- n/a}"; done
    echo
    echo "\`huizong check\` of one workbook, whole process: ${CHECK_MS:-n/a} ms median of 10, peak RSS ${CHECK_RSS:-n/a} KiB (a workbook of the first size, N=${CHECK_N:-n/a}, with that size's registry: every other unit of it is reported missing, so the time grows with N)."
} | tee "$RESULTS"
log "results written to $RESULTS"
