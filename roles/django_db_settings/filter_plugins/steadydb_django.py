# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the django_db_settings role: quoting for env files and Python, the
DATABASE_URL, the managed block's keys (its split and merge are
module_utils/steadydb/env_block.py, which this plugin loads), and the plan data rendered
into the app's settings files.

The env-file format (writer and reader) lives once, in the package the role ships to
the app: files/steadydb_app/envfile.py. This plugin loads that file by path, so the
role writes exactly what the app and the audit read. Pure functions, unit-tested in
tests/unit/test_django_db_settings.py and tests/unit/test_steadydb_app_envfile.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import importlib.util
import os
import pprint
import re

from urllib.parse import quote

try:
    from ansible.errors import AnsibleFilterError
    from ansible.module_utils.parsing.convert_bool import boolean
except ImportError:  # pragma: no cover - unit tests without Ansible
    AnsibleFilterError = ValueError

def _load(name, path):
    """The Python file at ``path`` as a module: files that are not plugins (the package
    shipped to the app, a module_utils file) and so are not importable here by name."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The env-file format (writer and reader), as the app reads it.
ENVFILE = _load("steadydb_app_envfile", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, "files", "steadydb_app", "envfile.py"))
# The managed block's rules (split, merge, masked diff), shared with the app_files module
# that merges the block on the host.
ENV_BLOCK = _load("steadydb_env_block", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, "module_utils",
    "steadydb", "env_block.py"))

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
    """Split an existing env file around the managed block (module_utils/steadydb/env_block.py
    ``split``: ``before``, ``inside``, ``after``, ``had_block``, ``conflicts``, ``problem``)."""
    return ENV_BLOCK.split(text, managed_keys, begin_marker, end_marker)


def env_shown_keys(prefix):
    """The keys of the managed block whose values a diff may show: every one but the
    secrets (the password, and the URL variable, which holds it)."""
    return [prefix + suffix for suffix in ENV_KEY_SUFFIXES if suffix not in SECRET_SUFFIXES]


# --- the app list, checked against the plan (was checked.json.j2) ---------------------

DRIVERS = ("mysqlclient", "pymysql")
ENGINES = ("steadydb", "django")
SSL_MODES = ("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _text(value, default=""):
    """Jinja's ``value | default(default, true) | string``: falsy values take the default."""
    return str(value) if value else default


def _flag(value, default):
    """Ansible's ``| bool`` of an inventory value (None: ``default``; empty: false)."""
    if value is None:
        return default
    if isinstance(value, str) and not value.strip():
        return False
    try:
        return boolean(value, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(str(exc))


def _whole(value, minimum=None):
    """An int that is not a bool (and at least ``minimum``), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if minimum is None or value >= minimum else None


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _plan_problems(label, name, entry):
    """What is wrong with the plan's entry for one app (its rendered values)."""
    where = "%s: steadydb_plan.apps.%s." % (label, name)
    django, sqlalchemy = _mapping(entry.get("django")), _mapping(entry.get("sqlalchemy"))
    options = _mapping(django.get("OPTIONS"))
    problems = []
    if _whole(django.get("CONN_MAX_AGE"), 0) is None:
        problems.append(where + "django.CONN_MAX_AGE must be an integer >= 0")
    if not isinstance(django.get("CONN_HEALTH_CHECKS"), bool):
        problems.append(where + "django.CONN_HEALTH_CHECKS must be true or false")
    for key in ("connect_timeout", "read_timeout", "write_timeout"):
        if _whole(options.get(key), 1) is None:
            problems.append(where + "django.OPTIONS.%s must be an integer >= 1" % key)
    if _whole(sqlalchemy.get("pool_recycle")) is None:
        problems.append(where + "sqlalchemy.pool_recycle must be an integer")
    if not isinstance(sqlalchemy.get("pool_pre_ping"), bool):
        problems.append(where + "sqlalchemy.pool_pre_ping must be true or false")
    return problems


def check_apps(apps, plan, defaults, passwords):
    """Check ``django_db_settings_apps`` against the plan and normalise each entry.

    ``plan``: the steadydb plan (its ``apps`` and ``systemd.RestartSec`` are read).
    ``defaults``: the role's defaults (driver, engine, init_command, charset,
    connect_retry, server_start_seconds). ``passwords``: one dict per entry from the
    ``steadydb_app_password`` lookup (value, variable, problem), in the same order.
    Returns ``{"apps": [...], "secrets": {name: password}, "problems": [...],
    "warnings": [...]}``: every problem names the app and the rule, never a password;
    the warnings say which env-file readers read a password differently
    (``password_warning``). The result holds the passwords: the task that keeps it must
    be no_log.
    """
    out = {"apps": [], "secrets": {}, "problems": [], "warnings": []}
    plan = _mapping(plan)
    plan_apps = _mapping(plan.get("apps"))
    restart_sec = _mapping(plan.get("systemd")).get("RestartSec")
    if not isinstance(apps, (list, tuple)):
        out["problems"].append("django_db_settings_apps must be a list of app entries")
        return out
    seen = {"settings_dir": [], "env_file": [], "name": []}
    for index, app in enumerate(apps):
        name = _text(app.get("name")) if isinstance(app, dict) else ""
        label = "app '%s'" % name if name else "entry %d of django_db_settings_apps" % (index + 1)
        if not isinstance(app, dict):
            out["problems"].append(label + ": must be a mapping with name, settings_dir, "
                                   "env_file, owner, group and a password")
            continue
        problems = []
        if not name:
            problems.append(label + ": has no name (the key of steadydb_plan.apps)")
        elif name in seen["name"]:
            problems.append(label + ": listed twice")
        seen["name"].append(name)
        entry = plan_apps.get(name) if name else None
        if not isinstance(entry, dict):
            problems.append(
                "%s: not in steadydb_plan.apps (the plan has: %s); add it to steadydb_apps and "
                "run the steadydb_plan role first"
                % (label, ", ".join(sorted(plan_apps)) or "no apps"))
            entry = {}
        db_user, db_name = _text(entry.get("db_user")), _text(entry.get("db_name"))
        if entry and not db_user:
            problems.append(label + ": the plan has no db_user for this app (set db_user in "
                            "its steadydb_apps entry)")
        if entry and not db_name:
            problems.append(label + ": the plan has no db_name for this app (set db_name in "
                            "its steadydb_apps entry)")
        if entry:
            problems.extend(_plan_problems(label, name, entry))
        django, sqlalchemy = _mapping(entry.get("django")), _mapping(entry.get("sqlalchemy"))
        django_options = _mapping(django.get("OPTIONS"))

        driver = _text(app.get("driver"), defaults["driver"])
        if driver not in DRIVERS:
            problems.append("%s: driver must be mysqlclient or pymysql, not '%s'" % (label, driver))
        engine = _text(app.get("engine"), defaults["engine"])
        if engine not in ENGINES:
            problems.append("%s: engine must be steadydb or django, not '%s'" % (label, engine))
        ssl_mode = _text(app.get("ssl_mode"))
        if ssl_mode and driver != "mysqlclient":
            problems.append(label + ": ssl_mode is a mysqlclient option; PyMySQL ignores it (use "
                            "extra_options.ssl with a ca for PyMySQL)")
        elif ssl_mode and ssl_mode not in SSL_MODES:
            problems.append("%s: ssl_mode must be %s or %s, not '%s'"
                            % (label, ", ".join(SSL_MODES[:-1]), SSL_MODES[-1], ssl_mode))
        for key in ("settings_dir", "env_file"):
            value = _text(app.get(key))
            if not value:
                problems.append("%s: %s is required" % (label, key))
            elif not value.startswith("/"):
                problems.append("%s: %s must be an absolute path, not '%s'" % (label, key, value))
            elif value.rstrip("/") in seen[key]:
                problems.append("%s: %s '%s' is used by another app" % (label, key, value))
            seen[key].append(value.rstrip("/"))
        for key in ("owner", "group"):
            if not _text(app.get(key)):
                problems.append("%s: %s is required (it owns the env file, which holds the "
                                "password)" % (label, key))
        prefix = _text(app.get("env_prefix"), "DB_")
        url_var = _text(app.get("database_url_var"), "DATABASE_URL")
        if not (_VARIABLE_NAME.match(prefix) and _VARIABLE_NAME.match(url_var)):
            problems.append(label + ": env_prefix and database_url_var must be valid variable "
                            "names ([A-Za-z_][A-Za-z0-9_]*)")

        password = passwords[index] if index < len(passwords) else {
            "value": None, "problem": "no password was looked up for this entry"}
        readers = env_readers(password["value"]) if not password["problem"] else []
        if password["problem"]:
            problems.append("%s: %s" % (label, password["problem"]))
        elif readers is None:
            problems.append(label + ": the password contains a line break character (\\v, \\f, "
                            "\\x1c-\\x1e, \\x85, \\u2028 or \\u2029) that env-file readers split "
                            "lines on; choose another password")

        options = dict(_mapping(app.get("extra_options")))
        options.update((key, django_options.get(key))
                       for key in ("connect_timeout", "read_timeout", "write_timeout"))
        options["init_command"] = _text(app.get("init_command"), defaults["init_command"])
        options["charset"] = _text(app.get("charset"), defaults["charset"])
        if ssl_mode:
            options["ssl_mode"] = ssl_mode
        connect_args = dict(_mapping(sqlalchemy.get("connect_args")), charset=options["charset"])
        markers = env_markers(name)
        env_file = _text(app.get("env_file"))
        try:
            db_port = int(app.get("db_port") or 3306)
        except (TypeError, ValueError):
            problems.append("%s: db_port must be a port number, not '%s'" % (label, app.get("db_port")))
            db_port = 0
        try:
            load_env_file = _flag(app.get("load_env_file"), True)
            connect_retry = _flag(app.get("connect_retry"), _flag(defaults["connect_retry"], True))
        except AnsibleFilterError as exc:
            problems.append("%s: load_env_file and connect_retry must be true or false (%s)"
                            % (label, exc))
            load_env_file = connect_retry = True
        out["apps"].append({
            "name": name,
            "settings_dir": _text(app.get("settings_dir")).rstrip("/"),
            "env_file": env_file,
            "env_dir": os.path.dirname(env_file),
            "owner": _text(app.get("owner")),
            "group": _text(app.get("group")),
            "db_host": _text(app.get("db_host"), "127.0.0.1"),
            "db_port": db_port,
            "db_name": db_name,
            "db_user": db_user,
            "db_user_host": _text(entry.get("db_user_host"), "%"),
            "driver": driver,
            "alias": _text(app.get("database_alias"), "default"),
            "env_prefix": prefix,
            "database_url_var": url_var,
            "load_env_file": load_env_file,
            "conn_max_age": django.get("CONN_MAX_AGE", 0),
            "conn_health_checks": django.get("CONN_HEALTH_CHECKS", False),
            "options": options,
            "url_options": dict((key, options[key]) for key in (
                "connect_timeout", "read_timeout", "write_timeout", "charset", "init_command")),
            "sqlalchemy": {"pool_recycle": sqlalchemy.get("pool_recycle", -1),
                           "pool_pre_ping": sqlalchemy.get("pool_pre_ping", True),
                           "connect_args": connect_args,
                           "pool_size": sqlalchemy.get("pool_size"),
                           "max_overflow": sqlalchemy.get("max_overflow")},
            "limits": {"max_user_connections": entry.get("max_user_connections"),
                       "demand": entry.get("demand"),
                       "effective_idle_timeout": entry.get("effective_idle_timeout"),
                       "margin_seconds": entry.get("margin_seconds"),
                       "restart_sec": restart_sec},
            "password_readers": readers or [],
            "engine": engine,
            "connect_retry": connect_retry,
            "server_start_seconds": int(defaults["server_start_seconds"]),
            "password_note": env_reason(password["value"])
            if not password["problem"] and readers is not None else "",
            "env_keys": env_keys(prefix, url_var),
            "begin_marker": markers["begin"],
            "end_marker": markers["end"],
        })
        if not password["problem"] and readers is not None:
            out["secrets"][name] = password["value"]
        out["problems"].extend(problems)
    out["warnings"] = [password_warning(app) for app in out["apps"] if app["password_note"]]
    return out


def password_warning(app):
    """The warning for an app whose password some env-file readers read differently (its
    ``password_note``); it names the readers, never the value."""
    return ("WARNING: app %s: %sPASSWORD is right for %s only: %s. Readers without steadydb_db.py "
            "read %s instead (percent-encoded, right for every reader), or choose a password "
            "without those characters." % (app["name"], app["env_prefix"], ", ".join(app["password_readers"]),
                                           app["password_note"], app["database_url_var"]))


# --- the stage: the files to write ------------------------------------------------------

ENV_TEMPLATE = "env.j2"
TEMPLATE_SUFFIX = ".j2"
ENV_MODE = "0600"


def app_stage(apps, rendered, sources, worker, code_mode, dir_mode):
    """Lay out every file of every app as the trees of the app_files module.

    ``apps``: the checked apps (check_apps); ``rendered``: one dict per app of template
    name to text (the steadydb_app_render lookup), ``env.j2`` the env file's managed
    block, every other ``NAME.j2`` the file NAME in settings_dir; ``sources``: the helper
    package (relative path to text); ``worker``: steadydb_worker.py's text.

    Returns ``{"trees": [...]}``. The targets are checked and the env files merged by
    app_files on the host, in the call that writes them (nothing is read first). Holds
    secrets: the task that keeps it is no_log.
    """
    trees = []
    for app, texts in zip(apps, rendered):
        files = dict(("steadydb_app/" + path, text) for path, text in sources.items())
        files["steadydb_worker.py"] = worker
        for name, text in texts.items():
            if name != ENV_TEMPLATE:
                files[name[:-len(TEMPLATE_SUFFIX)] if name.endswith(TEMPLATE_SUFFIX) else name] = text
        owner = {"owner": app["owner"], "group": app["group"]}
        trees.append(dict(owner, dest=app["settings_dir"], files=files, mode=code_mode,
                          directory_mode=dir_mode))
        trees.append(dict(owner, dest=app["env_dir"], mode=ENV_MODE, env_blocks=[{
            "name": os.path.basename(app["env_file"]), "block": texts[ENV_TEMPLATE],
            "begin_marker": app["begin_marker"], "end_marker": app["end_marker"],
            "managed_keys": app["env_keys"], "shown_keys": env_shown_keys(app["env_prefix"])}]))
    return {"trees": trees}


def app_files_diff(result):
    """What the app_files call changed (or would change), as one text for --diff: each
    code file's unified diff, each env file's diff with its secrets masked (made by the
    module), never a secret's text."""
    parts = []
    for entry in (result or {}).get("diff") or []:
        if "before_header" in entry:
            parts.append("\n".join(difflib.unified_diff(
                (entry.get("before") or "").splitlines(), (entry.get("after") or "").splitlines(),
                "%s (before)" % entry["before_header"], "%s (after)" % entry["after_header"],
                lineterm="")))
        else:
            parts.append(entry.get("prepared") or "")
    return "\n".join(part for part in parts if part)


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
            "steadydb_check_apps": check_apps,
            "steadydb_app_stage": app_stage,
            "steadydb_app_files_diff": app_files_diff,
        }
