#!/usr/bin/env bash
# Fetches every XML document the TAP service serves and validates it with xmllint against the official XSDs.
set -euo pipefail
BASE=$1
XSD="$(cd "$(dirname "$0")/../../.." && pwd)/shared/ivoa/xsd"
export XML_CATALOG_FILES="$XSD/catalog.xml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A wrapper schema importing several schemas, for documents mixing namespaces (capabilities + TAPRegExt).
wrapper() {
  { echo '<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:almagest:wrapper">'
    for x in "$@"; do
      ns=$(grep -o 'targetNamespace="[^"]*"' "$XSD/$x" | head -n 1 | cut -d'"' -f2)
      echo "<xs:import namespace=\"$ns\" schemaLocation=\"file://$XSD/$x\"/>"
    done
    echo '</xs:schema>'; } > "$tmp/wrapper.xsd"
  echo "$tmp/wrapper.xsd"
}
n=0
validate() {  # url, schemas...
  local url=$1; shift
  curl -fsS "$url" -o "$tmp/doc.xml"
  xmllint --nonet --noout --schema "$(wrapper "$@")" "$tmp/doc.xml"
  n=$((n + 1))
}
validate "$BASE/tap/capabilities" VOSICapabilities-v1.0.xsd VODataService-v1.2.xsd TAPRegExt-v1.0.xsd
validate "$BASE/tap/availability" VOSIAvailability-v1.0.xsd
validate "$BASE/tap/tables" VOSITables-v1.1.xsd
validate "$BASE/tap/tables?detail=min" VOSITables-v1.1.xsd
validate "$BASE/tap/tables/hip.main" VOSITables-v1.1.xsd
Q='SELECT TOP 5 hip, ra, dec, b_v FROM hip.main'
for f in votable votable/td votable/b votable/b2; do
  validate "$BASE/tap/sync?LANG=ADQL&RESPONSEFORMAT=$(printf %s "$f" | sed 's|/|%2F|g')&QUERY=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$Q")" VOTable-1.4.xsd
done
curl -sS "$BASE/tap/sync?LANG=ADQL&QUERY=SELECT+nope+FROM+nowhere" -o "$tmp/err.xml" || true
xmllint --nonet --noout --schema "$XSD/VOTable-1.4.xsd" "$tmp/err.xml"; n=$((n + 1))
job=$(curl -fsS -o /dev/null -w '%{redirect_url}' -d LANG=ADQL -d "QUERY=SELECT TOP 1 hip FROM hip.main" "$BASE/tap/async")
validate "$job" UWS-v1.1.xsd
validate "$BASE/tap/async" UWS-v1.1.xsd
curl -fsS -o /dev/null -d PHASE=RUN "$job/phase"
curl -fsS -o /dev/null "$job?WAIT=30"
validate "$job" UWS-v1.1.xsd
validate "$job/results/result" VOTable-1.4.xsd
echo "xmllint: $n documents valid"
