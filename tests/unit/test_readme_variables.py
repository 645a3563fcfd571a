"""README.md documents exactly the variables the roles' argument specs declare."""
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_role_variables_match_argument_specs():
    proc = subprocess.run([sys.executable, os.path.join(TOP, "tools", "readme_variables.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
