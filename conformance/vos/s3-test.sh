#!/usr/bin/env bash
# Runs the vospace S3 test against a real S3-compatible server: moto_server (pip `moto[server]`, pure Python, so CI
# can start it without Docker or a downloaded binary), on a free local port, with one bucket.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=${MOTO_VENV:-/tmp/almagest-moto-venv}
if [ ! -x "$VENV/bin/moto_server" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "moto[server]"
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >/tmp/almagest-moto.log 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done
# create the bucket (moto accepts any credentials)
curl -sf -X PUT "http://127.0.0.1:$PORT/almagest-test" >/dev/null
export ALMAGEST_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT ALMAGEST_TEST_S3_BUCKET=almagest-test
cd "$REPO" && cargo test -p vospace --features s3 --test s3 -- --nocapture
