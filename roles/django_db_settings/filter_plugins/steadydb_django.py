# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the django_db_settings role: quoting for env files and Python, the
DATABASE_URL, the merge of an existing env file with the managed block, and the plan
data rendered into the app's settings files.

The env-file format (writer and reader) lives once, in the package the role ships to
the app: files/steadydb_app/envfile.py. This plugin loads that file by path, so the
role writes exactly what the app and the audit read. Pure functions, unit-tested in
tests/unit/test_django_db_settings.py and tests/unit/test_steadydb_app_envfile.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import pprint
import difflib
import re

from urllib.parse import quote

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests without Ansible
    AnsibleFilterError = ValueError

_ENVFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "files",
                        "steadydb_app", "envfile.py")


def _load_envfile():
    spec = importlib.util.spec_from_file_location("steadydb_app_envfile", _ENVFILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENVFILE = _load_envfile()

# The keys of the managed block, in the order written, after the app's env_prefix (DB_),
# then the URL variable (database_url_var, DATABASE_URL). Defined here once: the role
# writes them (env_block), refuses them outside its block (env_split), and the audit
# (filter_plugins/steadydb_env.py) reads back exactly these and nothing else.
ENV_KEY_SUFFIXES = ("HOST", "PORT", "NAME", "USER", "PASSWORD", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS",
                    "CONNECT_TIMEOUT", "READ_TIMEOUT", "WRITE_TIMEOUT")
# Suffixes holding a secret (the URL variable holds the password too).
SECRET_SUFFIXES = ("PASSWORD",)
BEGIN_MARKER = "# BEGIN steadydb django_db_settings app=%s"
END_MARKER = "# END steadydb django_db_settings app=%s"
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def env_quote(value):
    """Quote one value for the env file (rules: files/steadydb_app/envfile.py)."""
    try:
        return ENVFILE.quote(value)
    except ENVFILE.EnvFileError as exc:
        raise AnsibleFilterError(str(exc)) from None


def env_unquote(text):
    """Read back one value as the app does (files/steadydb_app/envfile.py unquote)."""
    return ENVFILE.unquote(text)


def env_reason(value):
    """Why a reader reads the quoted ``value`` differently ("" when none does)."""
    try:
        return ENVFILE.reason(value)
    except ENVFILE.EnvFileError:
        return "it holds a line break or NUL byte"


def env_readers(value):
    """The env-file readers that read the quoted ``value`` back unchanged, or None when
    the value cannot be written at all (a line break or NUL byte)."""
    try:
        return list(ENVFILE.readers(value))
    except ENVFILE.EnvFileError:
        return None


def py_literal(value):
    """A Python literal for plain data (str, int, float, bool, None, dict, list)."""
    if value is None or isinstance(value, bool):
        return repr(value if value is None else bool(value))
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (py_literal(str(k)), py_literal(v))
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    raise AnsibleFilterError("cannot write a value of type %s into Python settings"
                             % type(value).__name__)


def py_data(value):
    """A readable multi-line Python literal for plain data (checked by py_literal)."""
    py_literal(value)
    return pprint.pformat(value, indent=4, width=88, sort_dicts=False)


def app_plan(app):
    """The plan data of one checked app, as the rendered settings files hold it
    (STEADYDB): what the shipped package needs at run time, never a secret."""
    sqlalchemy = app["sqlalchemy"]
    engine_kwargs = {"pool_recycle": sqlalchemy["pool_recycle"], "pool_pre_ping": bool(sqlalchemy["pool_pre_ping"])}
    for key in ("pool_size", "max_overflow"):
        if sqlalchemy.get(key) is not None:
            engine_kwargs[key] = sqlalchemy[key]
    engine_kwargs["connect_args"] = dict(sqlalchemy["connect_args"])
    limits = dict(app.get("limits") or {})
    return {
        "app": app["name"],
        "env_file": app["env_file"],
        "env_prefix": app["env_prefix"],
        "alias": app["alias"],
        "driver": app["driver"],
        "load_env_file": bool(app["load_env_file"]),
        "CONN_MAX_AGE": app["conn_max_age"],
        "CONN_HEALTH_CHECKS": bool(app["conn_health_checks"]),
        "OPTIONS": dict(app["options"]),
        "engine_kwargs": engine_kwargs,
        "limits": limits,
        "engine": app.get("engine", "steadydb"),
        "idle_close_after": idle_close_after(limits, app["conn_max_age"]),
        "connect_retry": connect_retry(limits, app.get("connect_retry", True), app.get("server_start_seconds", 10)),
    }


def idle_close_after(limits, conn_max_age):
    """Seconds of idleness after which the steadydb engine closes a connection before
    reusing it: the plan's effective idle timeout minus its margin (at least 1 s), so
    the close comes before the server's; CONN_MAX_AGE when the plan lacks them."""
    idle, margin = limits.get("effective_idle_timeout"), limits.get("margin_seconds")
    if isinstance(idle, int) and idle > 0:
        return max(1, idle - max(margin if isinstance(margin, int) else 1, 1))
    return conn_max_age or None


def connect_retry(limits, enabled, start_seconds):
    """The connect-retry budgets (seconds) the plan implies, or None when disabled:
    web = the unit's RestartSec (plan.systemd; 2 s, the plan's default, when absent) +
    the server's start time; worker = three times that (room for two more start
    attempts), as a job can wait longer than a request."""
    if not enabled:
        return None
    restart = limits.get("restart_sec")
    restart = restart if isinstance(restart, (int, float)) and restart >= 0 else 2
    web = restart + start_seconds
    return {"web": web, "worker": 3 * web}


def database_url(user, password, host, port, name, options=None, scheme="mysql"):
    """DATABASE_URL for dj-database-url and django-environ.

    Everything is percent-encoded (quote with no safe characters), options go in the
    query string in the order given. CONN_MAX_AGE and CONN_HEALTH_CHECKS are never put
    in the query: dj-database-url copies every query key into OPTIONS, where
    ``conn_max_age`` makes the MySQL driver fail; both parsers read them from
    separate variables (see the role README in defaults/main.yml).
    """
    for forbidden in ("conn_max_age", "conn_health_checks"):
        if forbidden in {str(k).lower() for k in (options or {})}:
            raise AnsibleFilterError("%s must not be a DATABASE_URL option: dj-database-url "
                                     "would put it in OPTIONS" % forbidden)
    host = str(host)
    if host.startswith("/"):
        netloc_host = quote(host, safe="")
    elif ":" in host:
        netloc_host = "[" + host + "]"
    else:
        netloc_host = quote(host, safe=".-")
    url = "%s://%s:%s@%s:%d/%s" % (scheme, quote(str(user), safe=""), quote(str(password), safe=""),
                                  netloc_host, int(port), quote(str(name), safe=""))
    if options:
        pairs = []
        for key, value in options.items():
            if isinstance(value, bool):
                value = "True" if value else "False"
            pairs.append("%s=%s" % (quote(str(key), safe=""), quote(str(value), safe="")))
        url += "?" + "&".join(pairs)
    return url


def env_keys(prefix, url_var):
    """Every key of the managed block: prefix + ENV_KEY_SUFFIXES, then url_var."""
    return [prefix + suffix for suffix in ENV_KEY_SUFFIXES] + [url_var]


def env_markers(name):
    """The begin and end lines of app ``name``'s managed block."""
    return {"begin": BEGIN_MARKER % name, "end": END_MARKER % name}


def env_block(app, password):
    """The KEY=value lines of the managed block (markers and comments excluded).

    ``app`` is an entry of the role's checked app list (env_prefix, database_url_var,
    db_host, db_port, db_name, db_user, conn_max_age, conn_health_checks, options,
    url_options). Written in Python so the password is never part of a template.
    """
    options = app["options"]
    values = {
        "HOST": app["db_host"], "PORT": app["db_port"], "NAME": app["db_name"], "USER": app["db_user"],
        "PASSWORD": password, "CONN_MAX_AGE": app["conn_max_age"],
        "CONN_HEALTH_CHECKS": bool(app["conn_health_checks"]),
        "CONNECT_TIMEOUT": options["connect_timeout"], "READ_TIMEOUT": options["read_timeout"],
        "WRITE_TIMEOUT": options["write_timeout"],
    }
    lines = ["%s%s=%s" % (app["env_prefix"], suffix, env_quote(values[suffix])) for suffix in ENV_KEY_SUFFIXES]
    url = database_url(app["db_user"], password, app["db_host"], app["db_port"], app["db_name"],
                       app["url_options"])
    lines.append("%s=%s" % (app["database_url_var"], env_quote(url)))
    return "\n".join(lines)


def env_split(text, managed_keys, begin_marker, end_marker):
    """Split an existing env file around the managed block.

    Returns a dict: ``before`` and ``after`` (the deploy's own lines, kept verbatim),
    ``had_block``, ``conflicts`` (list of "KEY (line N)" for lines outside the block
    that set a key the block manages) and ``problem`` (a sentence, or "").
    """
    text = text or ""
    lines = text.splitlines()
    before, after, inside = [], [], []
    state = "before"
    problem = ""
    for line in lines:
        stripped = line.strip()
        if stripped == begin_marker:
            if state != "before":
                problem = "the env file has more than one steadydb block start line"
                break
            state = "inside"
            continue
        if stripped == end_marker:
            if state != "inside":
                problem = "the env file has a steadydb block end line without a start line"
                break
            state = "after"
            continue
        {"before": before, "inside": inside, "after": after}[state].append(line)
    if not problem and state == "inside":
        problem = "the env file has a steadydb block start line but no end line"
    # Lines outside the block that set a key the block manages: both would be read,
    # and the consumers disagree on which wins (shell and systemd: the last one,
    # django-environ: the first one). Refuse instead of guessing.
    managed = set(managed_keys)
    conflicts = []
    state = "before"
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == begin_marker:
            state = "inside"
            continue
        if stripped == end_marker:
            state = "after"
            continue
        if state == "inside":
            continue
        match = _ASSIGN.match(line)
        if match and match.group(1) in managed:
            conflicts.append("%s (line %d)" % (match.group(1), number))
    return {
        "before": "\n".join(before),
        "after": "\n".join(after),
        "had_block": begin_marker in (line.strip() for line in lines),
        "conflicts": conflicts,
        "problem": problem,
    }


MASK = "********"


def _masked(line, shown_keys):
    """``line`` with its value hidden unless its key is one of ``shown_keys``."""
    match = _ASSIGN.match(line)
    if not match:
        # A comment, a blank line or a marker; anything else (a continuation line of a
        # multi-line value, say) may be part of a secret.
        stripped = line.strip()
        return line if not stripped or stripped.startswith("#") else MASK
    if match.group(1) in shown_keys:
        return line
    return line[:match.end()] + MASK


def env_masked_diff(old_text, new_text, app, path="env file"):
    """A unified diff of an env file with every value hidden but the plan's settings.

    Shown in clear: the non-secret keys of the app's managed block (HOST, PORT, NAME,
    USER, CONN_MAX_AGE, ...). Hidden: the password, the URL variable (it holds the
    password) and every line of the deploy's own (REDIS_PASS, SENTRY_DSN, ...). The diff
    is made from the real texts, then masked, so a changed password still shows as a
    changed line: ``-DB_PASSWORD=********`` / ``+DB_PASSWORD=********``. Returns the
    diff as one text ("" when nothing changes), shown as a block by the YAML callback.
    """
    prefix = app["env_prefix"]
    shown = set(prefix + suffix for suffix in ENV_KEY_SUFFIXES if suffix not in SECRET_SUFFIXES)
    old_lines = (old_text or "").splitlines()
    new_lines = (new_text or "").splitlines()
    out = []
    for line in difflib.unified_diff(old_lines, new_lines, "%s (before)" % path,
                                     "%s (after)" % path, n=1, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            out.append(line)
        else:
            out.append(line[0] + _masked(line[1:], shown))
    return "\n".join(out)


class FilterModule(object):
    """steadydb django_db_settings filters."""

    def filters(self):
        return {
            "steadydb_env_quote": env_quote,
            "steadydb_py_literal": py_literal,
            "steadydb_py_data": py_data,
            "steadydb_app_plan": app_plan,
            "steadydb_env_readers": env_readers,
            "steadydb_env_reason": env_reason,
            "steadydb_database_url": database_url,
            "steadydb_env_split": env_split,
            "steadydb_env_keys": env_keys,
            "steadydb_env_markers": env_markers,
            "steadydb_env_block": env_block,
            "steadydb_env_masked_diff": env_masked_diff,
        }
