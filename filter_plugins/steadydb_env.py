# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an env file the way a POSIX shell would, for the audit.

The env files steadydb renders use KEY='literal' and KEY="escaped" (roles/
django_db_settings); shlex in POSIX mode reads both the way ``set -a; . FILE`` does.
Secrets never leave the filter: keys that hold a password or a URL with credentials
are dropped, so the parsed dict can be printed and written to the audit report.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import shlex

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: steadydb_env_settings
short_description: Parse a KEY=value env file into a dict, without its secrets
description:
  - Reads shell-style C(KEY=value) lines (single or double quoted, comments and blank
    lines ignored) and returns the keys as a dict of strings.
  - Keys that look secret (containing PASSWORD, SECRET, TOKEN, or a URL key) are dropped.
positional: _input
options:
  _input:
    description: The env file's text.
    type: str
    required: true
"""

EXAMPLES = r"""
app_settings: "{{ (env.content | b64decode) | steadydb_env_settings }}"
"""

RETURN = r"""
_value:
  description: The file's non-secret keys and their values.
  type: dict
"""

_SECRET = re.compile(r"PASSWORD|SECRET|TOKEN|URL", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def env_settings(text):
    if not isinstance(text, str):
        raise AnsibleFilterError("steadydb_env_settings expects the env file's text, got %s" % type(text).__name__)
    settings = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.match(stripped)
        if not match:
            raise AnsibleFilterError("env file line %d is not KEY=value" % number)
        key, raw = match.groups()
        if _SECRET.search(key):
            continue
        try:
            words = shlex.split(raw, comments=True, posix=True)
        except ValueError as error:
            raise AnsibleFilterError("env file line %d (%s): %s" % (number, key, error))
        settings[key] = " ".join(words)
    return settings


class FilterModule(object):
    def filters(self):
        return {"steadydb_env_settings": env_settings}
