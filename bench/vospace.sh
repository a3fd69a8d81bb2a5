#!/usr/bin/env bash
# VOSpace benchmarks through `almagest serve` (release build): upload and download MB/s of a big file over HTTP
# (PUT/GET /vospace/files/..., curl, Bearer token) against a plain `cp` of the same file on the same disk, and
# small-file creates per second (PUT of new 100-byte files over keep-alive connections, 1 and 4 clients).
# Usage: bench/vospace.sh [BIG_MB] [SMALL_FILES]    (defaults 1024 and 2000; BENCH_DIR sets the disk, default /tmp)
# Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIG_MB=${1:-1024}
SMALL=${2:-2000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p almagest
BIN="$CARGO_TARGET_DIR/release/almagest"
DIR=$(mktemp -d "${BENCH_DIR:-/tmp}/almagest-vos-bench.XXXXXX")
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export ALMAGEST_DATA_DIR="$DIR/data" ALMAGEST_LISTEN="127.0.0.1:$PORT" ALMAGEST_DEMO=false ALMAGEST_LOG=warn
export ALMAGEST_VOSPACE_DEFAULT_QUOTA_BYTES=$(( (BIG_MB + 1024) << 20 ))
"$BIN" serve > "$DIR/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/vospace/availability" >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$("$BIN" user add bench | tail -1)
U="http://127.0.0.1:$PORT/vospace"
H="Authorization: Bearer $TOKEN"
now() { date +%s.%N; }

head -c $((BIG_MB << 20)) /dev/urandom > "$DIR/big.bin"
sync
secs() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }
mibs() { python3 -c "import sys; print(f'{$BIG_MB / float(sys.argv[1]):.0f}')" "$1"; }
# cp, in the page cache and made durable (the fs byte store syncs every upload before it answers)
t0=$(now); cp "$DIR/big.bin" "$DIR/big.cp"; t1=$(now); sync; t2=$(now)
CP=$(mibs "$(secs "$t0" "$t1")"); CPS=$(mibs "$(secs "$t0" "$t2")")
rm -f "$DIR/big.cp"; sync
t0=$(now); curl -fsS -o /dev/null -X PUT -H "$H" -H 'Content-Type: application/octet-stream' -T "$DIR/big.bin" "$U/files/bench/big.bin"; t1=$(now)
UP=$(mibs "$(secs "$t0" "$t1")")
sync
t0=$(now); curl -fsS -H "$H" -o "$DIR/big.back" "$U/files/bench/big.bin"; t1=$(now); sync; t2=$(now)
DOWN=$(mibs "$(secs "$t0" "$t1")"); DOWNS=$(mibs "$(secs "$t0" "$t2")")
t0=$(now); curl -fsS -H "$H" -o /dev/null "$U/files/bench/big.bin"; t1=$(now)
DOWNNULL=$(mibs "$(secs "$t0" "$t1")")
cmp "$DIR/big.bin" "$DIR/big.back" || { echo "downloaded bytes differ" >&2; exit 1; }
MD5=$(md5sum < "$DIR/big.bin" | cut -c1-32)
curl -fsS -H "$H" "$U/nodes/bench/big.bin" | grep -q "$MD5" || { echo "the node's MD5 is not the file's" >&2; exit 1; }
rm -f "$DIR/big.back" "$DIR/big.bin"

SMALLRES=$(python3 - "$PORT" "$TOKEN" "$SMALL" <<'PY'
import http.client, sys, threading, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = b"x" * 100
def mkdir(name):
    c = http.client.HTTPConnection("127.0.0.1", port)
    doc = ('<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           f'uri="vos://example.org!vospace/bench/{name}" xsi:type="vos:ContainerNode"/>')
    c.request("PUT", f"/vospace/nodes/bench/{name}", doc, {"Authorization": f"Bearer {token}", "Content-Type": "text/xml"})
    r = c.getresponse(); r.read(); assert r.status == 201, r.status
def worker(d, lo, hi, errors):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(lo, hi):
        c.request("PUT", f"/vospace/files/bench/{d}/f{i}.txt", body, {"Authorization": f"Bearer {token}"})
        r = c.getresponse(); r.read()
        if r.status != 201: errors.append(r.status)
out = []
for clients in (1, 4):
    d = f"small{clients}"; mkdir(d); errors = []
    per = n // clients
    ts = [threading.Thread(target=worker, args=(d, k * per, (k + 1) * per, errors)) for k in range(clients)]
    t0 = time.time(); [t.start() for t in ts]; [t.join() for t in ts]; dt = time.time() - t0
    assert not errors, errors[:5]
    out.append(f"{per * clients / dt:.0f}")
print(" ".join(out))
PY
)
read -r S1 S4 <<<"$SMALLRES"
RSS=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
echo "| measure | result |"
echo "|---|---|"
echo "| \`cp\` of the $BIG_MB MiB file on the same disk: page cache / + \`sync\` | $CP / $CPS MiB/s |"
echo "| upload, \`curl -T\` PUT /vospace/files (answered after the store's fsync) | $UP MiB/s ($(( UP * 100 / CPS ))% of cp+sync, $(( UP * 100 / CP ))% of cp) |"
echo "| download to a file, \`curl -o\` GET /vospace/files: page cache / + \`sync\` | $DOWN / $DOWNS MiB/s ($(( DOWN * 100 / CP ))% of cp, $(( DOWNS * 100 / CPS ))% of cp+sync) |"
echo "| download to /dev/null | $DOWNNULL MiB/s |"
echo "| small-file creates (100 B PUT, new node), 1 client | $S1 /s |"
echo "| small-file creates, 4 clients | $S4 /s |"
echo "| server peak RSS | $RSS MiB |"
