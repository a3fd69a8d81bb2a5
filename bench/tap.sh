#!/usr/bin/env bash
# TAP benchmarks: latencies of typical queries and full-table download throughput with the server's peak memory.
# Usage: bench/tap.sh [ROWS_SYNTHETIC]   (release build; the demo catalogues need ../shared/data for Gaia)
# Prints a Markdown table for BENCHMARKS.md. Synthetic table: ROWS_SYNTHETIC rows (default 10,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p almagest
BIN="$CARGO_TARGET_DIR/release/almagest"
DATA=${BENCH_DATA:-$(mktemp -d /tmp/almagest-bench.XXXXXX)}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export ALMAGEST_DATA_DIR="$DATA" ALMAGEST_LISTEN="127.0.0.1:$PORT" ALMAGEST_DEMO_SOURCE="$(pwd)/../shared/data"
export ALMAGEST_LIMITS_MAXREC_DEFAULT=100000000 ALMAGEST_LIMITS_SYNC_TIMEOUT_SECS=3600 ALMAGEST_LOG=warn

if [ ! -e "$DATA/demo.done" ]; then
  # the demo catalogues load at the first start of an empty data directory (Gaia from ../shared/data): timed here
  ALMAGEST_LOG=info "$BIN" serve > "$DATA/demo.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$PORT/tap/availability" >/dev/null 2>&1 && break; sleep 0.5; done
  kill $PID; wait $PID 2>/dev/null || true
  grep -q "into gaia.dr3_g10" "$DATA/demo.log" || { echo "the demo did not load Gaia (../shared/data missing?)" >&2; exit 1; }
  touch "$DATA/demo.done"
fi
if [ ! -e "$DATA/synthetic.done" ]; then
  echo "generating $ROWS synthetic rows" >&2
  python3 - "$ROWS" > "$DATA/synth.csv" <<'PY'
import sys, random, math
n = int(sys.argv[1]); r = random.Random(42); w = sys.stdout.write
w("id,ra,dec,mag,flag\n")
for i in range(n):
    w("%d,%.9f,%.9f,%.4f,%d\n" % (i, r.random() * 360, math.degrees(math.asin(2 * r.random() - 1)), 5 + 15 * r.random(), i % 7))
PY
  "$BIN" ingest "$DATA/synth.csv" --table bench.synthetic 2> "$DATA/ingest.log" >/dev/null || { cat "$DATA/ingest.log"; exit 1; }
  rm "$DATA/synth.csv"; touch "$DATA/synthetic.done"
fi
start_server() {
  "$BIN" serve >> "$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$PORT/tap/availability" >/dev/null 2>&1 && break; sleep 0.5; done
}
trap 'kill $PID 2>/dev/null' EXIT
start_server
grep -h "ingested" "$DATA/demo.log" "$DATA/ingest.log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
U="http://127.0.0.1:$PORT/tap/sync"

lat() {  # name query -> median of 9 runs, ms
  local t; t=$(for _ in $(seq 1 9); do curl -s -o /dev/null -w '%{time_total}\n' --data-urlencode LANG=ADQL --data-urlencode "QUERY=$2" "$U"; done | sort -n | sed -n 5p)
  printf '| %s | `%s` | %.1f ms |\n' "$1" "$2" "$(echo "$t * 1000" | bc -l)"
}
echo "| query | ADQL | median latency |"; echo "|---|---|---|"
lat "TOP 10" "SELECT TOP 10 * FROM gaia.dr3_g10"
lat "1° cone on Gaia" "SELECT source_id, ra, dec, phot_g_mean_mag FROM gaia.dr3_g10 WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(56.75, 24.12, 1))"
lat "1° cone, DISTANCE form" "SELECT source_id FROM gaia.dr3_g10 WHERE DISTANCE(ra, dec, 83.82, -5.39) < 1"
lat "GROUP BY" "SELECT FLOOR(phot_g_mean_mag) AS g, COUNT(*) AS n, AVG(bp_mag - rp_mag) AS colour FROM gaia.dr3_g10 GROUP BY g ORDER BY g"
lat "cone on 10M synthetic" "SELECT id, ra, dec FROM bench.synthetic WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(180, 0, 0.5))"

dl() {  # name table format
  local peak_before; peak_before=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
  local out; out=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' --data-urlencode LANG=ADQL \
      --data-urlencode "QUERY=SELECT * FROM $2" --data-urlencode "RESPONSEFORMAT=$3" "$U")
  local t=${out% *} bytes=${out#* }
  local rows; rows=$(curl -s --data-urlencode LANG=ADQL --data-urlencode "QUERY=SELECT COUNT(*) FROM $2" --data-urlencode RESPONSEFORMAT=csv "$U" | tail -n 1 | tr -d '\r')
  local peak; peak=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
  printf '| %s | %s | %s | %.2f s | %.0f | %.1f | %d MB |\n' "$1" "$3" "$rows" "$t" "$(echo "$rows / $t" | bc -l)" "$(echo "$bytes / $t / 1000000" | bc -l)" "$((peak / 1024))"
}
echo; echo "| table | format | rows | time | rows/s | MB/s | server peak RSS |"; echo "|---|---|---|---|---|---|---|"
dl "Gaia DR3 G<=10" gaia.dr3_g10 votable
dl "Gaia DR3 G<=10" gaia.dr3_g10 csv
dl "synthetic" bench.synthetic votable
dl "synthetic" bench.synthetic csv
echo; grep -h "ingested" "$DATA/demo.log" "$DATA/ingest.log" | sed 's/\x1b\[[0-9;]*m//g' || true
