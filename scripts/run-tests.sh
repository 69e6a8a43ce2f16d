#!/usr/bin/env bash
# Runs every test once on one build. Suites that measure time ("within 5 s") or start many
# processes run in their own passes, so the 2-core CI machine is not oversubscribed while
# they measure; the kernel lab tests (one shared lab, real traffic) run last on their own, then
# the calicoctl smoke checks and the fuzz targets (≤ 1 min). Ends with one line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
timing="EtcdStoreTests|EtcdTLSTests|EmbeddedCrashTests|unreachableEtcdFailsFast"
heavy="CalicoCNITests|CNITwoNodeEtcdTests|NetnsStartupTests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pass() {
  swift test --skip-build "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
lab="LabTests"
pass --skip "$timing|$heavy|$lab"
pass --filter "$timing"
pass --filter "$heavy"
pass --filter "$lab"
# Swift Testing counts each argument of a parameterized test as a test case; count cases.
passed=$(grep -cE '^✔ Test .*passed' "$log" || true)
failed=$(grep -cE '^✘ Test .*failed' "$log" || true)
cases=$(grep -oE 'with [0-9]+ test cases passed' "$log" | awk '{s+=$2-1} END {print s+0}')
passed=$((passed + cases))
: > "$log"
scripts/smoke-validate.sh .build/debug/calicoctl | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
read -r sp sf < <(sed -nE 's/^smoke: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log")
passed=$((passed + ${sp:-0}))
failed=$((failed + ${sf:-0}))
# The fuzz targets (scripts/fuzz.sh: sanitized build in .build-fuzz/, then each target a few
# seconds on its corpus and regression inputs), one test each; FUZZ_CI_SECONDS=0 skips them.
fuzz_seconds=${FUZZ_CI_SECONDS:-12}
if [ "$fuzz_seconds" -gt 0 ]; then
  : > "$log"
  FUZZ_SECONDS=$fuzz_seconds scripts/fuzz.sh | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  read -r fp ff < <(sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log")
  passed=$((passed + ${fp:-0}))
  failed=$((failed + ${ff:-0}))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed"
exit $status
