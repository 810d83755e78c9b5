#!/usr/bin/env bash
# bench/serve.sh — `huizong serve` under load: the latency of one upload answered with its
# findings while 50 uploads run concurrently (target: p95 ≤ 50 ms), and the memory of a served
# 85-unit round.
#
# Usage (from a fresh clone, in the repository root):
#     bash bench/serve.sh [UNITS]          (default 85)
#
# What it does:
#   1. Builds `huizong` with the `bench-fast` profile (as bench/run.sh; BENCH_PROFILE overrides).
#   2. Makes a sample county of UNITS units (`huizong sample --units UNITS`), copies its 2024
#      workbooks into an inbox and starts `huizong serve --year 2024 --inbox … --prior 2023/`
#      on 127.0.0.1 (a free port), which runs the round once before it listens.
#   3. Loads it from Python's standard library (http.client, threads; loopback only):
#      50 background clients each upload their own unit's workbook BENCH_ROUNDS times (default
#      4) back to back, while one probe client uploads another unit's workbook BENCH_PROBES
#      times (default 40) and times each answer (request sent → JSON with the findings read).
#      Before that, 20 probes alone (0.5 s apart) give the cost of one upload without the load.
#      Every upload also asks the server for a new run (folded, one at a time), so the probes
#      compete with the runs as well as with the uploads.
#   4. Reports the probes' p50/p95/max, the uploads filed, and the server's RSS (VmRSS) and
#      peak RSS (VmHWM) from /proc after the load and the runs it caused; writes the table,
#      with the machine and load, to bench/results-<date>-serve.md.
# Requires: bash, cargo, python3, nproc; Linux (/proc).

set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
UNITS=${1:-85}
ROUNDS=${BENCH_ROUNDS:-4}
PROBES=${BENCH_PROBES:-40}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${BENCH_PROFILE:-bench-fast}
BIN=$TARGET/$PROFILE/huizong
RESULTS=$ROOT/bench/results-$(date +%F)-serve.md
TMP=$(mktemp -d)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

log "building ($PROFILE)"
cargo build -q --profile "$PROFILE"

log "sample county of $UNITS units"
"$BIN" sample --out "$TMP/s" --units "$UNITS" >/dev/null
mkdir -p "$TMP/inbox"
cp "$TMP"/s/2024/*.xlsx "$TMP/inbox/"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

log "serving on 127.0.0.1:$PORT"
start=$(date +%s.%N)
"$BIN" serve --year 2024 --registry "$TMP/s/units.csv" --inbox "$TMP/inbox" --prior "$TMP/s/2023" \
  --out "$TMP/out" --accept "$TMP/accept.toml" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 600); do
  grep -q "汇总网页已启动" "$TMP/serve.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "汇总网页已启动" "$TMP/serve.log" || { cat "$TMP/serve.log" >&2; exit 1; }
ready=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
rss_idle=$(awk '/VmRSS/{print $2}' "/proc/$SERVER/status")

log "load: 50 clients × $ROUNDS uploads, $PROBES probes"
python3 - "$PORT" "$TMP/inbox" "$ROUNDS" "$PROBES" >"$TMP/load.txt" <<'PY'
import http.client, json, os, sys, threading, time
port, inbox, rounds, probes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = sorted(f for f in os.listdir(inbox) if f.endswith(".xlsx"))
bodies = [open(os.path.join(inbox, f), "rb").read() for f in files]
B = "huizong-bench-boundary"
def form(data):
    return (f"--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xlsx\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{B}--\r\n".encode()
def upload(conn, data):
    conn.request("POST", "/api/upload", body=form(data),
                 headers={"Content-Type": f"multipart/form-data; boundary={B}"})
    r = conn.getresponse()
    doc = json.loads(r.read())
    return r.status, doc
filed, failed = [0], [0]
lock = threading.Lock()
def background(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(rounds):
        st, doc = upload(conn, bodies[i % len(bodies)])
        with lock:
            if st == 200 and doc.get("filed"): filed[0] += 1
            else: failed[0] += 1
alone = []
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(20):
    t0 = time.perf_counter()
    st, doc = upload(conn, bodies[0])
    alone.append((time.perf_counter() - t0) * 1000)
    assert st == 200 and doc.get("filed"), doc
    time.sleep(0.5)  # each upload asks for a run; 0.5 s lets it start between probes
alone.sort()
go = threading.Event()
threads = [threading.Thread(target=lambda i=i: (go.wait(), background(i))) for i in range(1, 51)]
for t in threads: t.start()
go.set()
times = []
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(probes):
    t0 = time.perf_counter()
    st, doc = upload(conn, bodies[0])
    times.append((time.perf_counter() - t0) * 1000)
    assert st == 200 and doc.get("filed") and "findings" in doc, doc
    time.sleep(0.02)
for t in threads: t.join()
times.sort()
p = lambda t, q: t[min(len(t) - 1, int(round(q * (len(t) - 1))))]
print(f"{p(times, 0.5):.1f} {p(times, 0.95):.1f} {times[-1]:.1f} {filed[0]} {failed[0]} {len(times)} "
      f"{p(alone, 0.5):.1f} {p(alone, 0.95):.1f}")
PY
read -r p50 p95 pmax ok bad n a50 a95 <"$TMP/load.txt"
# Let the runs the uploads asked for finish, then read the memory.
for _ in $(seq 1200); do
  python3 -c "import json,urllib.request,sys; d=json.load(urllib.request.urlopen('http://127.0.0.1:$PORT/api/status')); sys.exit(0 if not d['busy'] else 1)" && break
  sleep 0.25
done
rss=$(awk '/VmRSS/{print $2}' "/proc/$SERVER/status")
hwm=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
load=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "# huizong serve benchmark, $(date +%F)"
  echo
  echo "Machine: $(nproc) cores, load average before the table: $load; profile $PROFILE; $UNITS units."
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| start (first run of the round, then listening) | ${ready} s |"
  echo "| one upload answered with findings, alone (20, runs going on between them), p50 / p95 | $a50 / $a95 ms |"
  echo "| probe upload answered with findings, p50 / p95 / max ($n probes, 50 concurrent uploaders) | $p50 / $p95 / $pmax ms |"
  echo "| background uploads filed / refused | $ok / $bad |"
  echo "| RSS after start | $((rss_idle / 1024)) MB |"
  echo "| RSS after the load and its runs / peak (VmHWM) | $((rss / 1024)) / $((hwm / 1024)) MB |"
} | tee "$RESULTS"
log "written $RESULTS"
