"""The package the role ships into apps (roles/django_db_settings/files) is linted like
any code of the project: it compiles with warnings as errors (invalid escapes, ...) on
this Python, and ruff (pyflakes, pycodestyle, bugbear, bandit rules) finds nothing."""
import os
import shutil
import subprocess
import sys
import warnings

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(REPO, "roles", "django_db_settings", "files")


def shipped():
    for base, dirs, files in os.walk(FILES):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(base, name)


@pytest.mark.parametrize("path", sorted(shipped()), ids=lambda p: os.path.relpath(p, FILES))
def test_compiles_without_warnings(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, path, "exec")


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if not ruff:
        pytest.skip("ruff is not installed (requirements/dev.txt pins it)")
    proc = subprocess.run([ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,B,S",
                           "--ignore", "S101", "--line-length", "120", "--output-format", "concise", FILES],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
