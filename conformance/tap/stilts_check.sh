#!/usr/bin/env bash
# STILTS as an asynchronous UWS client (the third async client next to pyvo and astroquery: uws-client 1.1.11 is
# Python 2 only and cannot run here, see shared/CLIENTS.md §4) and as an upload client.
#   tapquery sync=false      POST /async, PHASE=RUN, WAIT=-1&PHASE=..., results/result, DELETE
#   tapquery delete=never + tapresume joburl=...   (a kept job fetched later by its URL, then deleted)
#   tapquery nupload=1       multipart upload with a quoted boundary and chunked body
# Usage: conformance/tap/stilts_check.sh TAP_URL
set -uo pipefail
TAP=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() {  # description, condition (already evaluated: 0 = ok)
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
rows() { grep -cv '^hip' "$1" 2>/dev/null || true; }  # data lines of a CSV with a header starting "hip"

# 1. a complete async job
stilts tapquery tapurl="$TAP" sync=false delete=finished ofmt=csv out="$tmp/a.csv" \
  adql="SELECT TOP 25 hip, ra, dec FROM hip.main ORDER BY hip" > "$tmp/a.log" 2>&1
check "tapquery sync=false: 25 rows" $([ "$(rows "$tmp/a.csv")" = 25 ] && echo 0 || echo 1)
check "tapquery sync=false: first star is HIP 1" $(sed -n 2p "$tmp/a.csv" | grep -q '^1,' && echo 0 || echo 1)

# 2. a kept job, resumed by URL, then deleted by tapresume
stilts tapquery tapurl="$TAP" sync=false delete=never progress=true ofmt=csv out="$tmp/b.csv" \
  adql="SELECT TOP 3 hip FROM hip.main ORDER BY hip DESC" > "$tmp/b.log" 2>&1
job=$(grep -o 'http[^ ]*/async/[A-Za-z0-9_-]*' "$tmp/b.log" | head -n 1)
check "tapquery delete=never reports its job URL" $([ -n "$job" ] && echo 0 || echo 1)
if [ -n "$job" ]; then
  check "the kept job is COMPLETED" $(curl -fs "$job/phase" | grep -q COMPLETED && echo 0 || echo 1)
  stilts tapresume joburl="$job" delete=always ofmt=csv out="$tmp/c.csv" > "$tmp/c.log" 2>&1
  check "tapresume: the same 3 rows" $(cmp -s "$tmp/b.csv" "$tmp/c.csv" && [ "$(rows "$tmp/c.csv")" = 3 ] && echo 0 || echo 1)
  check "tapresume delete=always removed the job (404)" \
    $([ "$(curl -s -o /dev/null -w '%{http_code}' "$job")" = 404 ] && echo 0 || echo 1)
fi

# 3. an async error is reported as such
stilts tapquery tapurl="$TAP" sync=false adql="SELECT nope FROM hip.main" > "$tmp/d.log" 2>&1
st=$?
check "async error: non-zero exit and the column named" $([ $st -ne 0 ] && grep -q "nope" "$tmp/d.log" && echo 0 || echo 1)

# 4. upload (chunked multipart, quoted boundary) joined with Hipparcos by position
printf 'name,ra,dec\nsirius,101.28715533,-16.71611586\nvega,279.23473479,38.78368896\n' > "$tmp/pos.csv"
stilts tapquery tapurl="$TAP" nupload=1 upload1="$tmp/pos.csv" ufmt1=csv upname1=pos ofmt=csv out="$tmp/u.csv" \
  adql="SELECT u.name, h.hip FROM TAP_UPLOAD.pos AS u JOIN hip.main AS h
        ON 1=CONTAINS(POINT(h.ra, h.dec), CIRCLE(u.ra, u.dec, 0.01)) ORDER BY u.name" > "$tmp/u.log" 2>&1
check "upload join: Sirius is HIP 32349, Vega HIP 91262" \
  $(grep -q '^sirius,32349' "$tmp/u.csv" && grep -q '^vega,91262' "$tmp/u.csv" && echo 0 || echo 1)

echo "stilts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
