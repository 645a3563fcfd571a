#!/usr/bin/env bash
# Static checks: ansible-lint (production profile), ruff (Python, rules in ruff.toml),
# ansible-doc for every module, playbook syntax. Run from the repository root (the Makefile does).
set -euo pipefail
export ANSIBLE_NOCOLOR=1 NO_COLOR=1
cd "$(dirname "$0")/.."
failed=0
shopt -s nullglob

echo "== ansible-lint --profile production"
ansible-lint --profile production --offline || failed=1

echo "== ruff (Python: pyflakes and pycodestyle, ruff.toml)"
ruff check --no-cache library module_utils doc_fragments filter_plugins roles tools tests bench || failed=1

echo "== ansible-doc for every module in library/"
for module in library/*.py; do
  name=$(basename "$module" .py)
  if ! out=$(ansible-doc -t module "$name" 2>&1) || ! grep -q "^> MODULE $name\|^> $name" <<<"$out"; then
    echo "ansible-doc failed for $name:"; echo "$out" | tail -n 20; failed=1
  else
    echo "ok: $name"
  fi
done

echo "== ansible-playbook --syntax-check"
for playbook in playbooks/*.yml; do
  ansible-playbook --syntax-check "$playbook" >/dev/null || { echo "syntax error: $playbook"; failed=1; }
  echo "ok: $playbook"
done

exit $failed
