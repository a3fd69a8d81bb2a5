#!/usr/bin/env bash
# The CADC `vos` client (pip `vos`, unmodified) against the VOSpace of `almagest serve`: the recipe of
# shared/CLIENTS.md §3. Exits non-zero on any failure and prints a summary.
#
#   conformance/vos/run.sh                      # starts its own `almagest serve` (no demo data), full run with 1 GiB
#   conformance/vos/run.sh http://127.0.0.1:PORT   # against a running server (conformance/run.sh does this); users
#                                               # are added with `almagest user add` in its ALMAGEST_DATA_DIR/config
#   VOS_BIG_MB=256 VOS_SMALL_FILES=1000 ...     # size of the big file (CI uses 256 MiB), number of small files
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
BIG_MB=${VOS_BIG_MB:-1024}
SMALL=${VOS_SMALL_FILES:-1000}
RID=${ALMAGEST_VOSPACE_RESOURCE_ID:-ivo://example.org/vospace}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
WORK=$(mktemp -d /tmp/almagest-vos.XXXXXX)
VENV=${VOS_VENV:-$WORK/venv}
PASS=0; FAIL=0; FAILED=()
ok()   { PASS=$((PASS+1)); echo "  ok   $*"; }
bad()  { FAIL=$((FAIL+1)); FAILED+=("$*"); echo "  FAIL $*"; }
check() { local name=$1; shift; if "$@" >>"$WORK/steps.log" 2>&1; then ok "$name"; else bad "$name (see $WORK/steps.log)"; fi; }

echo "== building almagest"
(cd "$REPO" && cargo build -q -p almagest) || { echo "build failed"; exit 1; }
BIN=$CARGO_TARGET_DIR/debug/almagest

if [ ! -x "$VENV/bin/vls" ]; then
  echo "== installing vos in $VENV"
  { [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"; } && "$VENV/bin/pip" install -q --disable-pip-version-check vos \
    || { echo "pip install vos failed"; exit 1; }
fi
V=$VENV/bin

SERVER=""
if [ -n "${1:-}" ]; then
  URL=${1%/}
  case "$URL" in http://127.0.0.1:*) ;; *) echo "the vos recipe needs a server at http://127.0.0.1:PORT, not $URL"; exit 1;; esac
  [ -n "${ALMAGEST_DATA_DIR:-}${ALMAGEST_CONFIG:-}" ] \
    || { echo "set ALMAGEST_DATA_DIR (or ALMAGEST_CONFIG) of the server at $URL: users are added there"; exit 1; }
  PORT=${URL##*:}
  SUFFIX=$(date +%s%N | tail -c 7)   # a running server may have users of an earlier run
else
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  URL=http://127.0.0.1:$PORT
  export ALMAGEST_DATA_DIR=$WORK/data ALMAGEST_LISTEN=127.0.0.1:$PORT ALMAGEST_BASE_URL=$URL ALMAGEST_DEMO=false
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
  SUFFIX=""
fi
for _ in $(seq 1 300); do curl -sf "$URL/vospace/availability" | grep -q '>true<' && break; sleep 0.2; done
AN=alice$SUFFIX BN=bob$SUFFIX
# `almagest user add` on the server's data directory while it runs; the token is the last line
ALICE=$("$BIN" user add "$AN" 2>>"$WORK/steps.log" | tail -1)
BOB=$("$BIN" user add "$BN" 2>>"$WORK/steps.log" | tail -1)
[ -n "$ALICE" ] && [ -n "$BOB" ] || { echo "almagest user add failed (see $WORK/steps.log)"; exit 1; }
echo "server: $URL, users $AN and $BN, big file $BIG_MB MiB, $SMALL small files"

cd "$WORK"
# shellcheck disable=SC1091
. "$SHARED/clients/vos_env.sh" "$PORT" "$RID" /vospace/capabilities loc >/dev/null
# alice authenticates with HTTP Basic (her token as password) through ~/.netrc (HOME is $WORK/voshome here): vos
# then picks the BasicAA interface
printf 'machine 127.0.0.1 login %s password %s\n' "$AN" "$ALICE" >"$HOME/.netrc"; chmod 600 "$HOME/.netrc"
A="$VOS_BASE/$AN"
U="$URL/vospace"

echo "== nodes"
check "vls root" bash -c "$V/vls $VOS_BASE/ | grep -x $AN >/dev/null"
check "vmkdir -p" "$V/vmkdir" -p "$A/a/b"
check "vmkdir on an existing node fails" bash -c "! $V/vmkdir $A/a"
check "vls shows the new container" bash -c "$V/vls $A/a | grep -qx b"

echo "== vcp small file up and down, vcat"
echo "hello VOSpace" >small.txt
check "vcp up" "$V/vcp" small.txt "$A/a/b/"
check "vcp down" "$V/vcp" "$A/a/b/small.txt" small.back
check "same bytes" cmp small.txt small.back
check "vcat" bash -c "$V/vcat $A/a/b/small.txt | grep -qx 'hello VOSpace'"

echo "== vcp $BIG_MB MiB up and down"
head -c $((BIG_MB << 20)) /dev/urandom >big.bin
t0=$(date +%s.%N); check "vcp big up" "$V/vcp" big.bin "$A/a/"; t1=$(date +%s.%N)
check "vcp big down" "$V/vcp" "$A/a/big.bin" big.back; t2=$(date +%s.%N)
check "big bytes identical" cmp big.bin big.back
check "vls -l shows the size" bash -c "$V/vls -l $A/a | grep big.bin | grep -q ' $((BIG_MB << 20)) '"
up=$(echo "$BIG_MB / ($t1 - $t0)" | bc -l); down=$(echo "$BIG_MB / ($t2 - $t1)" | bc -l)
printf '  (vcp up %.0f MiB/s, down %.0f MiB/s, end to end through the client)\n' "$up" "$down"
rm -f big.back

echo "== a tree of $SMALL small files"
mkdir -p tree/sub; for i in $(seq 1 "$SMALL"); do echo "file $i" >"tree/sub/f$i.txt"; done
# (the destination without a trailing slash: vcp joins "vos://x/" + "tree" into "vos:/x/tree")
t0=$(date +%s.%N); check "vcp tree up" "$V/vcp" tree "$A/tree"; t1=$(date +%s.%N)
printf '  (%d files in %.1f s)\n' "$SMALL" "$(echo "$t1 - $t0" | bc -l)"
check "vls lists $SMALL files" bash -c "[ \$($V/vls $A/tree/sub | wc -l) -eq $SMALL ]"
check "vcp tree down" "$V/vcp" "$A/tree" back
check "tree identical" diff -r tree back

echo "== vmv, vln, vchmod, permissions"
check "vmv" "$V/vmv" "$A/a/b/small.txt" "$A/a/moved.txt"
check "vmv: source gone" bash -c "! $V/vls $A/a/b/small.txt"
check "vmv: destination there" bash -c "$V/vcat $A/a/moved.txt | grep -qx 'hello VOSpace'"
check "vln" "$V/vln" "$A/a/moved.txt" "$A/a/link"
check "vcat through the link" bash -c "$V/vcat $A/a/link | grep -qx 'hello VOSpace'"
check "anonymous cannot read a private file" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $U/files/$AN/a/moved.txt) = 401 ]"
check "bob cannot read alice's file" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $BOB' $U/files/$AN/a/moved.txt) = 403 ]"
check "vchmod o+r" "$V/vchmod" o+r "$A/a/moved.txt"
check "anonymous reads it now" bash -c "curl -sf $U/files/$AN/a/moved.txt | grep -qx 'hello VOSpace'"
check "vchmod g+r group" "$V/vchmod" g+r "$A/a/moved.txt" "ivo://example.org/gms?team"
check "vls -l shows group read" bash -c "$V/vls -l $A/a | grep moved.txt | grep -q team"

echo "== copyNode (vcp vos->vos is refused by the vos 3.7 client itself: POST /transfers keepBytes=true)"
JOB=$(curl -s -o /dev/null -w '%{redirect_url}' -u "$AN:$ALICE" -H 'Content-Type: text/xml' --data-binary \
  "<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>$A/a/moved.txt</vos:target><vos:direction>$A/a/copy.txt</vos:direction><vos:keepBytes>true</vos:keepBytes></vos:transfer>" \
  "$U/transfers?PHASE=RUN")
check "copy job completes" bash -c "[ \"\$(curl -s -u $AN:$ALICE '$JOB?WAIT=30' | grep -o '<uws:phase>[A-Z]*' | cut -d'>' -f2)\" = COMPLETED ]"
check "copy has the bytes" bash -c "$V/vcat $A/a/copy.txt | grep -qx 'hello VOSpace'"
check "source kept" bash -c "$V/vcat $A/a/moved.txt | grep -qx 'hello VOSpace'"

echo "== a TAP job result saved into VOSpace (pullToVoSpace from the result URL), read back with vcat"
TJOB=$(curl -s -o /dev/null -w '%{redirect_url}' -u "$AN:$ALICE" -d LANG=ADQL -d FORMAT=csv -d PHASE=RUN \
  --data-urlencode 'QUERY=SELECT table_name FROM TAP_SCHEMA.tables ORDER BY table_name' "$URL/tap/async")
check "TAP job of $AN completes" bash -c "[ \"\$(curl -s -u $AN:$ALICE '$TJOB?WAIT=30' | grep -o '<uws:phase>[A-Z]*' | cut -d'>' -f2)\" = COMPLETED ]"
PJOB=$(curl -s -o /dev/null -w '%{redirect_url}' -u "$AN:$ALICE" -H 'Content-Type: text/xml' --data-binary \
  "<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>$A/a/tables.csv</vos:target><vos:direction>pullToVoSpace</vos:direction><vos:protocol uri=\"ivo://ivoa.net/vospace/core#httpget\"><vos:endpoint>$TJOB/results/result</vos:endpoint></vos:protocol></vos:transfer>" \
  "$U/transfers?PHASE=RUN")
check "pullToVoSpace job completes" bash -c "[ \"\$(curl -s -u $AN:$ALICE '$PJOB?WAIT=30' | grep -o '<uws:phase>[A-Z]*' | cut -d'>' -f2)\" = COMPLETED ]"
# (vcat writes the text and two newlines after it; the CSV has CRLF line ends)
check "vcat shows the saved result" bash -c "$V/vcat $A/a/tables.csv | tr -d '\r' | grep -x TAP_SCHEMA.columns >/dev/null"
check "vcp down: saved bytes = job result" bash -c "$V/vcp $A/a/tables.csv tables.csv && curl -s -u $AN:$ALICE $TJOB/results/result | cmp - tables.csv"

echo "== vrm, vrmdir, vrm -R"
check "vrm link" "$V/vrm" "$A/a/link"
check "vrm file" "$V/vrm" "$A/a/copy.txt"
check "vrmdir" "$V/vrmdir" "$A/a/b"
check "vrm -R" "$V/vrm" -R "$A/tree"
check "vrm -R removed the tree" bash -c "! $V/vls $A/tree"
check "short prefix form (loc:)" bash -c "$V/vls loc:$AN | grep -qx a"

echo
echo "vos conformance: $PASS passed, $FAIL failed"
for f in "${FAILED[@]}"; do echo "  failed: $f"; done
[ "$FAIL" -eq 0 ] || { [ -n "$SERVER" ] && echo "server log: $WORK/server.log"; exit 1; }
rm -rf "$WORK/big.bin" "$WORK/tree" "$WORK/back"
