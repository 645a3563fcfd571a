#!/usr/bin/env bash
# Static checks: ansible-lint (production profile), ruff (Python, rules in ruff.toml),
# ansible-doc for every module and connection plugin, playbook syntax. Run from the repository root (the Makefile does).
set -euo pipefail
export ANSIBLE_NOCOLOR=1 NO_COLOR=1
cd "$(dirname "$0")/.."
failed=0
shopt -s nullglob

echo "== ansible-lint --profile production"
ansible-lint --profile production --offline || failed=1

echo "== ruff (Python: pyflakes and pycodestyle, ruff.toml)"
ruff check --no-cache library module_utils doc_fragments filter_plugins connection_plugins roles tools tests bench || failed=1

# ansible-doc TYPE for every plugin file in DIR: each must render its documentation.
check_docs() {
  local type=$1 dir=$2 file name out
  echo "== ansible-doc for every $type in $dir/"
  for file in "$dir"/*.py; do
    name=$(basename "$file" .py)
    if ! out=$(ansible-doc -t "$type" "$name" 2>&1) || ! grep -q "^> ${type^^} $name\|^> $name" <<<"$out"; then
      echo "ansible-doc failed for $name:"; echo "$out" | tail -n 20; failed=1
    else
      echo "ok: $name"
    fi
  done
}
check_docs module library
check_docs connection connection_plugins

echo "== ansible-test sanity --test validate-modules (on the built collection)"
# The collection is staged by tools/build_collection.py (validate-modules needs the
# ansible_collections/NS/NAME layout and FQCN cross-references). ansible-test runs the test
# in a virtual environment of its own under ~/.ansible/test, whose pip it bootstraps with a
# get-pip script downloaded from Ansible's CI file host; that host is not a package index and
# may be unreachable, so ansible-test gets a HOME of its own in .cache/ where a stand-in
# script takes pip from the standard library's ensurepip. The test's own requirements
# (voluptuous, antsibull-docs-parser) come from the package index. Without ansible-test, or
# when that environment cannot be set up, the step is skipped, saying why; issues it finds fail.
validate_modules() {
  local home=$PWD/.cache/ansible-test-home python_version stage out rc
  if ! command -v ansible-test >/dev/null; then
    echo "skipped: ansible-test is not on PATH (it comes with ansible-core in .venv)"; return 0
  fi
  mkdir -p "$home/.ansible/test/cache"
  [ -d "$HOME/.config/pip" ] && [ ! -e "$home/.config/pip" ] && mkdir -p "$home/.config" && ln -s "$HOME/.config/pip" "$home/.config/pip"
  local pip_version
  pip_version=$(python - <<'EOF'
import sys
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"])
EOF
  ) || { echo "skipped: cannot tell which pip this ansible-test bootstraps"; return 0; }
  local shim=$home/.ansible/test/cache/get_pip_${pip_version//./_}.py
  if [ ! -e "$shim" ]; then
    cat >"$shim" <<'EOF'
# Stand-in for get-pip.py, written by tests/lint.sh: pip from ensurepip, then what ansible-test asks for.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
EOF
  fi
  stage=$(mktemp -d)
  local coll
  coll=$(python tools/build_collection.py --staging-only --output-dir "$stage") || { rm -rf "$stage"; return 1; }
  python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  rc=0
  out=$(cd "$coll" && HOME=$home ansible-test sanity --test validate-modules --local --python "$python_version" \
        --color no 2>&1) || rc=$?
  rm -rf "$stage"
  if [ "$rc" = 0 ]; then
    echo "ok: validate-modules found no issue in plugins/modules"
  elif grep -q "validate-modules issue" <<<"$out"; then
    grep -v "^WARNING: .*locale" <<<"$out"; return 1
  else
    echo "skipped: ansible-test could not set up validate-modules here:"; echo "$out" | tail -n 5
  fi
}
validate_modules || failed=1

echo "== ansible-playbook --syntax-check"
for playbook in playbooks/*.yml; do
  ansible-playbook --syntax-check "$playbook" >/dev/null || { echo "syntax error: $playbook"; failed=1; }
  echo "ok: $playbook"
done

exit $failed
