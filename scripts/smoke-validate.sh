#!/usr/bin/env bash
# End-to-end check of the built calicoctl binary: every example validates; every file in
# examples/invalid fails with the expected field named.
set -uo pipefail
ctl=${1:-.build/debug/calicoctl}
pass=0; fail=0
for f in examples/*.yaml; do
  if out=$("$ctl" validate -f "$f" 2>&1); then pass=$((pass+1)); else echo "FAIL: $f should validate:"; echo "$out"; fail=$((fail+1)); fi
done
for f in examples/invalid/*.yaml; do
  expect=$(sed -n 's/^# expect: //p' "$f")
  out=$("$ctl" validate -f "$f" 2>&1); rc=$?
  ok=1
  [ $rc -ne 0 ] || ok=0
  while IFS= read -r needle; do
    [ -z "$needle" ] && continue
    grep -qF -- "$needle" <<<"$out" || { ok=0; echo "missing in output of $f: $needle"; }
  done <<<"$expect"
  if [ $ok -eq 1 ]; then pass=$((pass+1)); else echo "FAIL: $f (rc=$rc):"; echo "$out"; fail=$((fail+1)); fi
done
echo "smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
