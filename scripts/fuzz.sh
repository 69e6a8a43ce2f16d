#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/, built with -sanitize=fuzzer,address in .build-fuzz/)
# and runs each for a bounded time on a scratch copy of its committed corpus
# (Fuzz/corpus/<target>/ plus the reproducers in Fuzz/regressions/<target>/), with the
# dictionary Fuzz/dict/<target>.dict.
#
#   scripts/fuzz.sh [--no-build] [--build-only] [target...]
#
# FUZZ_SECONDS   time per target (default 60)
# FUZZ_MAX_LEN   largest input in bytes (default 4096)
# FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10)
# FUZZ_WORK      scratch directory: grown corpus, logs, crash inputs (default .build-fuzz/work)
#
# Prints one line per target and ends with "fuzz: N passed, M failed"; exits non-zero if
# a target did not build or found a crash, printing the crashing input's path.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
MAX_LEN=${FUZZ_MAX_LEN:-4096}
TIMEOUT=${FUZZ_TIMEOUT:-10}
WORK=${FUZZ_WORK:-.build-fuzz/work}
ALL_TARGETS=(fuzz-selector fuzz-resource fuzz-netconf fuzz-gotemplate)

build=1 run=1 targets=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --build-only) run=0 ;;
    fuzz-*) targets+=("$a") ;;
    *) echo "usage: $0 [--no-build] [--build-only] [fuzz-selector|fuzz-resource|fuzz-netconf|fuzz-gotemplate ...]" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

# The fuzz products exist only with CALICO_FUZZ=1 (Package.swift); their own scratch path
# keeps the sanitized modules apart from the normal .build.
flags=(-c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address)
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$SWIFT")")/ld.lld" ]; then
  flags+=(-Xswiftc -use-ld=lld)   # gold warns about every ASan helper symbol
fi

passed=0 failed=0 status=0
declare -A built
for t in "${targets[@]}"; do
  built[$t]=1
  if [ "$build" -eq 1 ]; then
    mkdir -p .build-fuzz
    log=.build-fuzz/build-$t.log
    if CALICO_FUZZ=1 "$SWIFT" build "${flags[@]}" --product "$t" >"$log" 2>&1; then
      grep -E 'warning:' "$log" | grep -v 'Cannot export local symbol' | sort -u
    else
      built[$t]=0
      grep -E 'error' "$log" | head -20
      echo "$t: build failed (log: $log)"
    fi
  fi
done
[ "$run" -eq 1 ] || { for t in "${targets[@]}"; do [ "${built[$t]}" -eq 1 ] || status=1; done; exit $status; }

# Leak checking is off: LeakSanitizer cannot see references Swift keeps in enum payload
# spare bits and reports reachable memory as leaked. Swift's own crash backtracer is off
# so the sanitizer's report is the one printed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:handle_abort=1}
export SWIFT_BACKTRACE=enable=no

for t in "${targets[@]}"; do
  bin=.build-fuzz/debug/$t
  if [ "${built[$t]}" -ne 1 ] || [ ! -x "$bin" ]; then
    echo "$t: FAILED (did not build)"
    failed=$((failed + 1)); status=1; continue
  fi
  dir=$WORK/$t
  rm -rf "$dir"; mkdir -p "$dir/corpus"
  cp Fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null
  [ -d Fuzz/regressions/"$t" ] && cp Fuzz/regressions/"$t"/* "$dir/corpus/" 2>/dev/null
  dict=()
  [ -f Fuzz/dict/"$t".dict ] && dict=(-dict=Fuzz/dict/"$t".dict)
  "$bin" -max_total_time="$SECONDS_EACH" -max_len="$MAX_LEN" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
    "${dict[@]}" -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus" >"$dir/log" 2>&1
  rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$dir/log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "$t: ok (${SECONDS_EACH} s, ${runs:-?} inputs)"
    passed=$((passed + 1))
  else
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$dir/log" | tail -1)
    echo "$t: FAILED (exit $rc) input: ${artifact:-none written}; log: $dir/log"
    [ -n "$artifact" ] && [ -f "$artifact" ] && echo "  input bytes: $(head -c 200 "$artifact" | cat -v)"
    grep -m1 -A3 -E '^FUZZ FINDING|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|ALARM: working on the last Unit' "$dir/log" \
      | grep -vE 'Current stack trace|DEADLYSIGNAL|^[0-9]+ +[^ ]+\.so ' | sed 's/^/  /'
    grep -m2 -E '^ +#[0-9]+ .*/(Sources|Fuzz)/' "$dir/log" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in /  at /'
    failed=$((failed + 1)); status=1
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
