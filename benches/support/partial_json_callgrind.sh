#!/usr/bin/env bash
# Instructions per byte of the incremental JSON parser (instructor-core/src/partial_json.rs),
# next to serde_json::from_slice into a Value, and the cost of a snapshot as the value grows,
# counted by callgrind.
#
#   benches/support/partial_json_callgrind.sh [BENCH_BINARY]
#
# Builds instructor-core's `partial_json` bench (unless a binary is given) and runs its probe
# under callgrind. Each figure is a difference of two runs that differ only in the number of
# parses (or snapshots), so start-up and building the document drop out:
#   parse:    (Ir(R2 parses) - Ir(R1 parses)) / (R2 - R1) / document bytes
#   snapshot: (Ir(K x (DELTA bytes pushed + a snapshot)) - Ir(K x DELTA bytes pushed)) / K
# DOC (records, pretty, text, plain: see the bench), SIZES (bytes), SNAP_SIZES, DELTAS and K
# can be set (DELTAS= skips the snapshot tables); API picks the snapshot calls measured (default
# "owned ref ref+clone"; the code before snapshot_ref has only "owned").
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-}
if [ -z "$bin" ]; then
  bin=$(cargo bench -p instructor-core --bench partial_json --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*partial_json-[^"]*\)".*/\1/p' | tail -1)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" "$bin" probe "$@" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_byte() { awk "BEGIN { printf \"%.1f\", ($2 - $1) / $3 }"; }

doc=${DOC:-records}
echo "## push: instructions per byte ($doc document)"
echo
echo "size | bytes | serde_json::from_slice | push, 4 B &str | push_bytes, 4 B | push, one chunk | push_bytes, one chunk | ratio 4 B &str / serde"
echo "--- | --- | --- | --- | --- | --- | --- | ---"
for size in ${SIZES:-1024 10240 102400 1048576}; do
  len=$("$bin" probe len "$size" "$doc")
  # R2 - R1 parses of about 1 MB in all, at least 2.
  extra=$(( 1048576 / len )); [ "$extra" -lt 2 ] && extra=2
  r1=1; r2=$(( 1 + extra ))
  row="$size | $len"
  serde=""
  for case in "serde 0" "str 4" "bytes 4" "str 0" "bytes 0"; do
    set -- $case
    a=$(ir parse "$1" "$size" "$2" "$r1" "$doc"); b=$(ir parse "$1" "$size" "$2" "$r2" "$doc")
    v=$(per_byte "$a" "$b" $(( extra * len )))
    [ -z "$serde" ] && serde=$v
    [ "$1 $2" = "str 4" ] && str4=$v
    row="$row | $v"
  done
  echo "$row | $(awk "BEGIN { printf \"%.2f\", $str4 / $serde }")"
done

echo
for delta in ${DELTAS-4 256}; do
echo
echo "## snapshot after pushing $delta bytes (in 4-byte chunks): instructions per snapshot"
echo
apis=${API:-owned ref ref+clone}
echo "value size (bytes fed) | $(echo "$apis" | sed 's/ / | /g')"
echo "--- $(for _ in $apis; do printf '| --- '; done)"
for size in ${SNAP_SIZES:-1024 10240 102400 1048576}; do
  k=${K:-20}
  base=$(ir snapshot "$size" "$k" none "$delta")
  row="$size"
  for api in $apis; do
    v=$(ir snapshot "$size" "$k" "$api" "$delta")
    row="$row | $(( (v - base) / k ))"
  done
  echo "$row"
done
done
