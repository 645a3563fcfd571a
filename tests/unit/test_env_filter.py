"""The audit reads rendered env files like a shell would, and never keeps secrets."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "filter_plugins"))
from steadydb_env import env_settings  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402

TEXT = """# BEGIN steadydb
DB_HOST='127.0.0.1'
DB_PASSWORD="p\\$ 'q\\" #x"
DB_CONN_MAX_AGE='240'
export OTHER="a b"   # deploy's own
DATABASE_URL='mysql://u:p@h/db'
# END steadydb
"""


def test_keeps_settings_and_drops_secrets():
    assert env_settings(TEXT) == {"DB_HOST": "127.0.0.1", "DB_CONN_MAX_AGE": "240", "OTHER": "a b"}


def test_reads_values_as_a_posix_shell_does(tmp_path):
    env = tmp_path / "app.env"
    env.write_text(TEXT)
    shell = subprocess.run(["sh", "-c", 'set -a; . "$1"; printf %s "$OTHER|$DB_CONN_MAX_AGE"', "sh", str(env)],
                           capture_output=True, text=True, check=True).stdout
    parsed = env_settings(TEXT)
    assert shell == "%s|%s" % (parsed["OTHER"], parsed["DB_CONN_MAX_AGE"])


def test_a_line_that_is_not_an_assignment_is_an_error():
    with pytest.raises(AnsibleFilterError, match="line 1 is not KEY=value"):
        env_settings("not an assignment\n")
