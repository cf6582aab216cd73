#!/usr/bin/env bash
# Instructions per extraction on the client side, SDK and bare reqwest, counted by callgrind.
#
#   benches/support/callgrind.sh [PROBE_BINARY]
#
# Builds the probe bench (unless a binary is given), starts its server in a separate process
# (so the server's instructions are not counted), then runs the client under callgrind for
# N1 and N2 sequential extractions per case; (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost of one
# extraction with start-up, connection set-up and first-call caches subtracted out.
set -euo pipefail
cd "$(dirname "$0")/../.."
probe=${1:-}
if [ -z "$probe" ]; then
  probe=$(cargo bench --bench probe --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*probe-[^"]*\)".*/\1/p' | tail -1)
fi
port=${PORT:-8099}
n1=${N1:-50}
n2=${N2:-250}
"$probe" serve "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server' EXIT
sleep 0.5
out=$(mktemp -d)
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" "$probe" client "$@" \
    "http://127.0.0.1:$port" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "case | SDK instr/extraction | bare instr/extraction | SDK - bare | SDK / bare"
echo "--- | --- | --- | --- | ---"
for case in ${CASES:-small large reask}; do
  s1=$(ir sdk "$case" "$n1"); s2=$(ir sdk "$case" "$n2")
  b1=$(ir bare "$case" "$n1"); b2=$(ir bare "$case" "$n2")
  sdk=$(( (s2 - s1) / (n2 - n1) ))
  bare=$(( (b2 - b1) / (n2 - n1) ))
  echo "$case | $sdk | $bare | $(( sdk - bare )) | $(awk "BEGIN { printf \"%.3f\", $sdk / $bare }")"
done
rm -rf "$out"
