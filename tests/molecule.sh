#!/usr/bin/env bash
# Run `molecule test` for each scenario given (all by default), keep going after a
# failure so one run shows every red scenario, and end with a plain summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi
# Plain logs in CI (no ANSI colours in the job output).
if [ -n "${CI:-}" ]; then export PY_COLORS=0 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 NO_COLOR=1; fi
passed=0 failed=0 failures=()
for scenario in "${scenarios[@]}"; do
  start=$(date +%s)
  echo "== molecule test -s $scenario"
  if molecule test -s "$scenario"; then
    passed=$((passed + 1)); echo "== $scenario passed in $(( $(date +%s) - start )) s"
  else
    failed=$((failed + 1)); failures+=("$scenario"); echo "== $scenario FAILED after $(( $(date +%s) - start )) s"
  fi
done
[ $failed -eq 0 ] || echo "failed scenarios: ${failures[*]}"
echo "molecule: $passed passed, $failed failed"
[ $failed -eq 0 ]
