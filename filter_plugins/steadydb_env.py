# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read back what steadydb wrote into an app's env file, for the audit.

An env file holds the deploy's own secrets next to steadydb's block (REDIS_PASS,
SENTRY_DSN, STRIPE_API_KEY, ...). The audit must never carry them, so this filter is an
allow-list: it reads only the lines between the app's BEGIN/END markers and keeps only
the non-secret keys the role writes there (the key list and the markers come from the
role's own filter, roles/django_db_settings/filter_plugins/steadydb_django.py, so
writer and reader cannot drift apart). Values are read by the project's one env-file
parser, the shipped roles/django_db_settings/files/steadydb_app/envfile.py (as a POSIX
shell reads them, ``set -a; . FILE``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import importlib.util
import os
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: steadydb_env_settings
short_description: The non-secret settings steadydb wrote into an app's env file
description:
  - Reads only the lines of the managed block of app O(name)
    (C(# BEGIN steadydb django_db_settings app=NAME) to C(# END ...)) and returns the
    keys the role writes there, without the password and the URL variable.
  - Keys are returned with the default prefix C(DB_) whatever O(prefix) the app uses, so
    the audit reads one set of names.
  - Every other line of the file (the deploy's own keys and secrets) is never parsed.
  - Returns null when the file has no complete block for the app.
positional: _input, name, prefix, url_var
options:
  _input:
    description: The env file's text.
    type: str
    required: true
  name:
    description: The app's name (its C(django_db_settings_apps) entry).
    type: str
    required: true
  prefix:
    description: The app's C(env_prefix).
    type: str
    default: DB_
  url_var:
    description: The app's C(database_url_var).
    type: str
    default: DATABASE_URL
"""

EXAMPLES = r"""
app_settings: "{{ (env.content | b64decode) | steadydb_env_settings('web', 'DB_', 'DATABASE_URL') }}"
"""

RETURN = r"""
_value:
  description: The block's non-secret keys (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_CONN_MAX_AGE, ...) and their values, or null.
  type: dict
"""

_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_ROLE_FILTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "roles",
                            "django_db_settings", "filter_plugins", "steadydb_django.py")
_CANONICAL_PREFIX = "DB_"


def _role_filter():
    """The role's filter module: the one definition of the block's keys and markers."""
    spec = importlib.util.spec_from_file_location("steadydb_django_env_format", _ROLE_FILTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FORMAT = _role_filter()
# The non-secret suffixes the role writes: the allow-list of the audit.
ALLOWED_SUFFIXES = tuple(s for s in _FORMAT.ENV_KEY_SUFFIXES if s not in _FORMAT.SECRET_SUFFIXES)


def managed_block(text, name):
    """The lines strictly between app ``name``'s markers, or None without a complete block."""
    markers = _FORMAT.env_markers(name)
    parts = _FORMAT.env_split(text, (), markers["begin"], markers["end"])
    if parts["problem"] or not parts["had_block"]:
        return None
    return [line.strip() for line in parts["inside"]]


def env_settings(text, name, prefix="DB_", url_var="DATABASE_URL"):
    if not isinstance(text, str):
        raise AnsibleFilterError("steadydb_env_settings expects the env file's text, got %s" % type(text).__name__)
    if not name:
        raise AnsibleFilterError("steadydb_env_settings needs the app's name (its block's markers carry it)")
    prefix = prefix or "DB_"
    block = managed_block(text, str(name))
    if block is None:
        return None
    allowed = dict((prefix + suffix, _CANONICAL_PREFIX + suffix) for suffix in ALLOWED_SUFFIXES)
    settings = {}
    for number, line in enumerate(block, 1):
        if not line or line.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if not match or match.group(1) not in allowed:
            # Not ours (a hand edit, the password, the URL): never parsed, never named
            # with its value; the key name alone is not a secret but is not needed either.
            continue
        key, raw = match.groups()
        try:
            settings[allowed[key]] = _FORMAT.ENVFILE.unquote(raw)
        except ValueError as error:
            raise AnsibleFilterError("app %s: env file block line %d (%s): %s" % (name, number, key, error))
    return settings


def env_audit_targets(apps):
    """Only what the audit needs of each django_db_settings_apps entry (never the password)."""
    if not isinstance(apps, (list, tuple)):
        raise AnsibleFilterError("django_db_settings_apps must be a list of app entries")
    targets = []
    for app in apps:
        if not isinstance(app, Mapping):
            raise AnsibleFilterError("every django_db_settings_apps entry must be a mapping")
        targets.append({"name": app.get("name"), "env_file": app.get("env_file"),
                        "env_prefix": app.get("env_prefix") or "DB_",
                        "database_url_var": app.get("database_url_var") or "DATABASE_URL"})
    return targets


def env_audit_settings(results):
    """{app name: env_settings(...) or None} from the slurp results of the audit targets.

    ``results``: the ``results`` of a slurp looped over ``steadydb_env_audit_targets``
    (``item`` is the target, ``content`` the base64 text, absent for a missing file).
    """
    if not isinstance(results, (list, tuple)):
        raise AnsibleFilterError("steadydb_env_audit_settings expects the slurp results (a list)")
    found = {}
    for result in results:
        if not isinstance(result, Mapping) or not isinstance(result.get("item"), Mapping):
            raise AnsibleFilterError("steadydb_env_audit_settings: a result without its item")
        app = result["item"]
        content = result.get("content")
        if content is None:
            found[app["name"]] = None
            continue
        try:
            text = base64.b64decode(content).decode("utf-8", "replace")
        except (ValueError, TypeError):
            raise AnsibleFilterError("app %s: the env file's content is not base64" % app["name"])
        found[app["name"]] = env_settings(text, app["name"], app.get("env_prefix"),
                                          app.get("database_url_var"))
    return found


def app_settings_for(app_hosts, db_host):
    """Merge the settings the app hosts read for the apps that follow ``db_host``'s plan.

    ``app_hosts``: each app host's variables (``groups['app'] | map('extract', hostvars)``);
    an app host counts when its ``steadydb_audit_db_host`` is ``db_host``.
    """
    merged = {}
    for host_vars in app_hosts or []:
        if not isinstance(host_vars, Mapping):
            continue
        if host_vars.get("steadydb_audit_db_host", "") != db_host:
            continue
        merged.update(host_vars.get("steadydb_audit_app_settings") or {})
    return merged


class FilterModule(object):
    def filters(self):
        return {"steadydb_env_settings": env_settings, "steadydb_env_audit_targets": env_audit_targets,
                "steadydb_env_audit_settings": env_audit_settings,
                "steadydb_audit_app_settings_for": app_settings_for}
