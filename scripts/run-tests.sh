#!/usr/bin/env bash
# Runs every test once on one build: the Swift test suites, then the end-to-end smoke
# checks of the built binaries. Ends with one line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift test --skip-build 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
# Swift Testing counts each argument of a parameterized test as a test case; count cases.
passed=$(grep -cE '^✔ Test .*passed' "$log" || true)
failed=$(grep -cE '^✘ Test .*(failed|recorded)' "$log" || true)
cases=$(grep -oE 'with [0-9]+ test cases passed' "$log" | awk '{s+=$2-1} END {print s+0}')
passed=$((passed + cases))
scripts/smoke-validate.sh .build/debug/calicoctl | tee "$log"
smoke_rc=${PIPESTATUS[0]}
read -r sp sf < <(sed -nE 's/^smoke: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log")
passed=$((passed + ${sp:-0}))
failed=$((failed + ${sf:-0}))
if [ "$unit_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed"
[ "$unit_rc" -eq 0 ] && [ "$smoke_rc" -eq 0 ]
