# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Derive one consistent set of server, systemd and client settings.

Inputs are the live facts of a server (``ansible_facts.mysql`` as ``mysql_facts``
returns them), the declared demand of the apps that use it (the ``steadydb_*``
inventory variables without their prefix) and policy overrides. The output is the
plan dict documented in docs/architecture.md; every formula used here is written out,
with its source, in docs/formulas.md.

Public API (stable, other modules import it):

- ``build_plan(facts, demand, policy=None, extra_variables=None)`` -> dict: the plan.
- ``merge_server_variables(plan, extra_variables)`` -> dict: a copy of a plan with extra
  server variables merged into ``server.variables`` and every rule that touches them
  checked again (the path for ``mysql_tuning_extra_variables`` when the plan was made
  without them).
- ``PlanError``: raised for bad input, with a message naming the input and the rule.
- ``normalize_demand(demand)`` / ``normalize_policy(policy)`` -> dict: validated inputs
  with defaults filled in (``build_plan`` calls both).
- ``app_demand(app)`` -> int, ``idle_margin(W, longest)`` / ``max_age(W, longest)``,
  ``client_timeout(longest_query)``, ``open_files_need(...)``, ``per_thread_bytes(...)``,
  ``server_buffers_bytes(...)``: the single formulas, for tests and docs.

Pure logic: no network, no Ansible import beyond the steadydb units helpers.
"""

import copy
import math
import re

from ansible.module_utils.steadydb.units import to_bool, to_bytes

MIB = 1024 * 1024
GIB = 1024 * MIB

# --- limits and defaults ---------------------------------------------------------------

# MySQL accepts max_connections 1..100000, MariaDB 10..100000 (sys_vars.cc); both accept
# wait_timeout 1..31536000 (Linux).
MAX_CONNECTIONS_LIMIT = 100000
MIN_MAX_CONNECTIONS = 10
THREAD_CACHE_MAX = 16384   # thread_cache_size range 0..16384 (MySQL and MariaDB)
# LimitNOFILE cannot exceed fs.nr_open, 1048576 unless the kernel was tuned.
NOFILE_MAX = 1048576
WAIT_TIMEOUT_LIMIT = 31536000
COUNT_LIMIT = 100000          # sanity bound for hosts, processes, threads, workers
SECONDS_LIMIT = 31536000      # one year: bound for every *_seconds input

APP_NAME_RE = re.compile(r"^[a-z0-9_]+$")
# The keys that declare web processes; when none is given and background_workers is, the
# app is worker-only (app_hosts = processes_per_host = 0).
WEB_KEYS = ("app_hosts", "processes_per_host", "threads_per_process")

APP_DEFAULTS = {
    "db_user": None,              # default: the app's name
    "db_user_host": "%",
    "db_name": None,              # default: the app's name
    "app_hosts": 1,
    "processes_per_host": 1,
    "threads_per_process": 1,
    "background_workers": 0,
    "worker_concurrency": 1,
    "asgi": False,
    "longest_request_seconds": 30,
    "longest_job_seconds": 300,
    "longest_query_seconds": 60,
    "conn_max_age": None,         # override; None = derive
    "pool_recycle": None,         # override; None = derive
}

DEMAND_DEFAULTS = {
    "apps": None,
    "admin_reserve": 10,
    "headroom_percent": 25,
    "db_host_shared": False,
    "upstream_idle_timeout": 0,
}

POLICY_DEFAULTS = {
    "wait_timeout": 0,                    # 0 = keep the server's
    "memory_fraction": 0,                 # 0 = 0.75 dedicated / 0.40 shared
    "allow_buffer_pool_shrink": True,
    "min_buffer_pool_size": 32 * MIB,
    "mem_total_bytes": 0,                 # 0 = facts.host.mem_total_bytes
    "max_connections": 0,                 # 0 = derive from demand
    "min_margin_seconds": 60,
    "connect_timeout": 5,
    "tables_per_join": 8,
    "max_connect_errors": 1000000,
    "oom_score_adjust": -600,
    "app_oom_score_adjust": 300,
    "restart_sec": 2,
    # 5 starts in 60 s: a server that dies during every start (RestartSec 2 s + start)
    # hits it within ~15 s and stays failed; one OOM-killed every minute or so keeps
    # being restarted. A longer window (300 s) would leave a server down after its fifth
    # independent crash in five minutes, playbook restarts included.
    "start_limit_interval_sec": 60,
    "start_limit_burst": 5,
}

FRACTION_DEDICATED = 0.75
FRACTION_SHARED = 0.40
MAX_MEMORY_FRACTION = 0.95

# Exit codes of every MySQL/MariaDB program for option errors (include/my_sys.h /
# mysys_err.h, "exit codes for all MySQL programs"): 1 unspecified error (mysqld's
# unireg_abort(1) on a fatal startup error), 2 unknown option, 3 ambiguous option,
# 4 no argument allowed, 5 argument required, 6 variable prefix not unique, 7 unknown
# variable, 9 unknown suffix, 10 no pointer to variable, 12 option disabled, 13 argument
# invalid. Restarting cannot fix any of them. Left out on purpose: 8 (out of memory,
# may pass once memory is free), 11 (Windows service), 16 (MySQL's RESTART statement
# exits 16 and relies on systemd restarting it).
RESTART_PREVENT_EXIT_STATUS = "1 2 3 4 5 6 7 9 10 12 13"

# The unit settings (plan["systemd"]) a plan that leaves a key out falls back to: the
# values build_plan writes with the default policy, and Debian's packaged LimitNOFILE
# and TimeoutStopSec where build_plan derives them from the server (check_unit_settings).
UNIT_DEFAULTS = {
    "Restart": "on-failure",
    "RestartSec": POLICY_DEFAULTS["restart_sec"],
    "RestartPreventExitStatus": RESTART_PREVENT_EXIT_STATUS,
    "StartLimitIntervalSec": POLICY_DEFAULTS["start_limit_interval_sec"],
    "StartLimitBurst": POLICY_DEFAULTS["start_limit_burst"],
    "LimitNOFILE": 32768,
    "TimeoutStopSec": 900,
    "OOMScoreAdjust": POLICY_DEFAULTS["oom_score_adjust"],
    "app_OOMScoreAdjust": POLICY_DEFAULTS["app_oom_score_adjust"],
}
RESTART_CHOICES = ("on-failure", "on-abnormal", "always")

# Whether SET GLOBAL works, for servers whose facts lack the ``dynamic`` map.
KNOWN_DYNAMIC = {
    "wait_timeout": True,
    "interactive_timeout": True,
    "max_connections": True,
    "net_read_timeout": True,
    "net_write_timeout": True,
    "thread_cache_size": True,
    "table_open_cache": True,
    "open_files_limit": False,
    "max_connect_errors": True,
    "innodb_buffer_pool_size": True,
    "key_buffer_size": True,
    "aria_pagecache_buffer_size": False,
}

# Caches an InnoDB app barely uses, shrunk (in this order, to these floors) before the
# buffer pool when the memory budget does not fit: MyISAM's key buffer (index blocks of
# MyISAM tables only) and MariaDB's Aria page cache (Aria tables and on-disk internal
# temporary tables; 16M keeps those workable). MariaDB/MySQL default both to 128M, a
# quarter of a 1 GB box's budget.
CACHE_SHRINK_ORDER = ("key_buffer_size", "aria_pagecache_buffer_size")
CACHE_FLOORS = {"key_buffer_size": 8 * MIB, "aria_pagecache_buffer_size": 16 * MIB}

# MySQLTuner's memory formula, as the issue extends it (docs/formulas.md).
SERVER_BUFFER_VARS = ("key_buffer_size", "innodb_buffer_pool_size", "innodb_log_buffer_size",
                      "query_cache_size", "aria_pagecache_buffer_size")
OPTIONAL_SERVER_BUFFER_VARS = ("query_cache_size", "aria_pagecache_buffer_size")
PER_THREAD_VARS = ("read_buffer_size", "read_rnd_buffer_size", "sort_buffer_size",
                   "thread_stack", "join_buffer_size", "binlog_cache_size")
TMP_TABLE_VARS = ("tmp_table_size", "max_heap_table_size")


class PlanError(ValueError):
    """Bad input for the plan: the message names the input and the rule it breaks."""


# --- input checking --------------------------------------------------------------------

def _int(value, name, minimum=0, maximum=None):
    """Return ``value`` as an int or raise PlanError naming ``name``.

    Accepts ints and strings of digits (Ansible templating turns numbers into text);
    refuses booleans, floats (2.5 and 2.0 alike: counts are whole numbers) and words.
    """
    if isinstance(value, bool) or value is None:
        raise PlanError("%s must be a whole number, got %r" % (name, value))
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and re.match(r"^\s*-?\d+\s*$", value):
        result = int(value)
    else:
        raise PlanError("%s must be a whole number, got %r" % (name, value))
    if result < minimum:
        raise PlanError("%s must be >= %d, got %d" % (name, minimum, result))
    if maximum is not None and result > maximum:
        raise PlanError("%s must be <= %d, got %d" % (name, maximum, result))
    return result


def _bool(value, name):
    try:
        return to_bool(value)
    except ValueError:
        raise PlanError("%s must be a boolean (true/false), got %r" % (name, value))


def _size(value, name):
    try:
        return to_bytes(value)
    except ValueError as exc:
        raise PlanError("%s: %s" % (name, exc))


def _str(value, name, pattern=None, hint=""):
    if not isinstance(value, str) or not value.strip():
        raise PlanError("%s must be a non-empty string, got %r" % (name, value))
    if pattern is not None and not pattern.match(value):
        raise PlanError("%s %r is not valid%s" % (name, value, hint))
    return value


def _check_keys(given, allowed, where):
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise PlanError("%s: unknown key(s) %s; allowed: %s"
                        % (where, ", ".join(unknown), ", ".join(sorted(allowed))))


def account_key(user, host):
    """The account the server means by ``user``@``host``: host names compare without
    case (MariaDB and MySQL store and match them in lower case), user names exactly."""
    return (user, host.lower())


def check_account_name(value, name):
    """``value`` (an account's user or host name), or PlanError when it ends with a
    space: the account tables drop trailing spaces, so a lookup finds another account
    than the one ``ALTER USER`` looks for, and no account can be named so."""
    if value != value.rstrip(" "):
        raise PlanError("%s %r ends with a space: the server's account tables drop trailing "
                        "spaces, so no account is named so" % (name, value))
    return value


def _normalize_app(raw, index):
    where = "apps[%d]" % index
    if not isinstance(raw, dict):
        raise PlanError("%s must be a dict describing one app, got %r" % (where, raw))
    name = _str(raw.get("name"), where + ".name", APP_NAME_RE,
                ": use lower-case letters, digits and _ only")
    where = "apps[%d] (%s)" % (index, name)
    _check_keys(raw, set(APP_DEFAULTS) | {"name"}, where)
    app = {"name": name}
    for key, default in APP_DEFAULTS.items():
        value = raw.get(key)
        app[key] = default if value is None else value
    app["db_user"] = _str(app["db_user"] if app["db_user"] is not None else name,
                          where + ".db_user")
    if len(app["db_user"]) > 80:
        raise PlanError("%s.db_user is longer than 80 characters (the MariaDB limit)" % where)
    app["db_user_host"] = _str(app["db_user_host"], where + ".db_user_host")
    for key in ("db_user", "db_user_host"):
        check_account_name(app[key], "%s.%s" % (where, key))
    app["db_name"] = _str(app["db_name"] if app["db_name"] is not None else name,
                          where + ".db_name")
    # app_hosts or processes_per_host 0: no web processes (a queue-worker deployment);
    # threads and worker concurrency stay >= 1 (a process without a thread holds nothing).
    for key, minimum in (("app_hosts", 0), ("processes_per_host", 0),
                         ("threads_per_process", 1), ("worker_concurrency", 1)):
        app[key] = _int(app[key], "%s.%s" % (where, key), minimum, COUNT_LIMIT)
    app["background_workers"] = _int(app["background_workers"], where + ".background_workers",
                                     0, COUNT_LIMIT)
    if app["background_workers"] and all(raw.get(key) is None for key in WEB_KEYS):
        # Only background workers declared: a worker-only app, not 1 x 1 x 1 web process
        # on top (that phantom connection used to be added to its demand and cap).
        app["app_hosts"] = app["processes_per_host"] = 0
    if not app_demand(app):
        raise PlanError(
            "%s declares no connections: app_hosts %d x processes_per_host %d x "
            "threads_per_process %d web + background_workers %d x worker_concurrency %d = 0; "
            "an app needs web processes, background workers or both"
            % (where, app["app_hosts"], app["processes_per_host"], app["threads_per_process"],
               app["background_workers"], app["worker_concurrency"]))
    app["asgi"] = _bool(app["asgi"], where + ".asgi")
    app["longest_request_seconds"] = _int(app["longest_request_seconds"],
                                          where + ".longest_request_seconds", 1, SECONDS_LIMIT)
    app["longest_job_seconds"] = _int(app["longest_job_seconds"],
                                      where + ".longest_job_seconds", 0, SECONDS_LIMIT)
    app["longest_query_seconds"] = _int(app["longest_query_seconds"],
                                        where + ".longest_query_seconds", 1, SECONDS_LIMIT)
    for key in ("conn_max_age", "pool_recycle"):
        if app[key] is not None:
            app[key] = _int(app[key], "%s.%s" % (where, key), 0, WAIT_TIMEOUT_LIMIT)
    return app


def normalize_demand(demand):
    """Validate the declared demand and fill in defaults; raise PlanError on bad input."""
    if not isinstance(demand, dict):
        raise PlanError("demand must be a dict (apps, admin_reserve, ...), got %r" % (demand,))
    _check_keys(demand, DEMAND_DEFAULTS, "demand")
    result = dict(DEMAND_DEFAULTS)
    result.update((k, v) for k, v in demand.items() if v is not None)
    apps = result["apps"]
    if not isinstance(apps, (list, tuple)) or not apps:
        raise PlanError("apps must list at least one app (name, db_user, app_hosts, ...), "
                        "got %r" % (apps,))
    result["apps"] = [_normalize_app(raw, i) for i, raw in enumerate(apps)]
    seen_names, seen_accounts = {}, {}
    for app in result["apps"]:
        if app["name"] in seen_names:
            raise PlanError("apps: the name %r is used twice; app names must be unique"
                            % app["name"])
        seen_names[app["name"]] = app
        account = account_key(app["db_user"], app["db_user_host"])
        if account in seen_accounts:
            raise PlanError(
                "apps %s and %s both use the account %s@%s: max_user_connections is per "
                "account, so one runaway app could starve the other; give each app its own "
                "db_user or declare them as one app"
                % (seen_accounts[account], app["name"], account[0], account[1]))
        seen_accounts[account] = app["name"]
    result["admin_reserve"] = _int(result["admin_reserve"], "admin_reserve", 0, COUNT_LIMIT)
    result["headroom_percent"] = _int(result["headroom_percent"], "headroom_percent", 0, 1000)
    result["db_host_shared"] = _bool(result["db_host_shared"], "db_host_shared")
    result["upstream_idle_timeout"] = _int(result["upstream_idle_timeout"],
                                           "upstream_idle_timeout", 0, WAIT_TIMEOUT_LIMIT)
    return result


def normalize_policy(policy):
    """Validate policy overrides and fill in defaults; raise PlanError on bad input."""
    policy = {} if policy is None else policy
    if not isinstance(policy, dict):
        raise PlanError("policy must be a dict, got %r" % (policy,))
    _check_keys(policy, POLICY_DEFAULTS, "policy")
    p = dict(POLICY_DEFAULTS)
    p.update((k, v) for k, v in policy.items() if v is not None)
    p["wait_timeout"] = _int(p["wait_timeout"], "wait_timeout", 0, WAIT_TIMEOUT_LIMIT)
    fraction = p["memory_fraction"]
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, str)):
        raise PlanError("memory_fraction must be a number between 0 and %.2f, got %r"
                        % (MAX_MEMORY_FRACTION, fraction))
    try:
        fraction = float(fraction)
    except ValueError:
        raise PlanError("memory_fraction must be a number between 0 and %.2f, got %r"
                        % (MAX_MEMORY_FRACTION, p["memory_fraction"]))
    if not (0 <= fraction <= MAX_MEMORY_FRACTION) or math.isnan(fraction):
        raise PlanError("memory_fraction must be 0 (automatic) or above 0 and at most %.2f "
                        "(the kernel, page cache and sshd need the rest), got %r"
                        % (MAX_MEMORY_FRACTION, p["memory_fraction"]))
    p["memory_fraction"] = fraction
    p["allow_buffer_pool_shrink"] = _bool(p["allow_buffer_pool_shrink"], "allow_buffer_pool_shrink")
    p["min_buffer_pool_size"] = _size(p["min_buffer_pool_size"], "min_buffer_pool_size")
    if p["min_buffer_pool_size"] < 5 * MIB:
        raise PlanError("min_buffer_pool_size must be at least 5M (the server's own minimum), "
                        "got %d" % p["min_buffer_pool_size"])
    p["mem_total_bytes"] = _size(p["mem_total_bytes"], "mem_total_bytes")
    p["max_connections"] = _int(p["max_connections"], "max_connections", 0,
                                MAX_CONNECTIONS_LIMIT)
    if 0 < p["max_connections"] < MIN_MAX_CONNECTIONS:
        raise PlanError("max_connections must be 0 (derive) or at least %d (MariaDB's minimum), "
                        "got %d" % (MIN_MAX_CONNECTIONS, p["max_connections"]))
    p["min_margin_seconds"] = _int(p["min_margin_seconds"], "min_margin_seconds", 1,
                                   SECONDS_LIMIT)
    p["connect_timeout"] = _int(p["connect_timeout"], "connect_timeout", 1, 3600)
    p["tables_per_join"] = _int(p["tables_per_join"], "tables_per_join", 1, 61)
    p["max_connect_errors"] = _int(p["max_connect_errors"], "max_connect_errors", 1, 4294967295)
    oom = _int(p["oom_score_adjust"], "oom_score_adjust", -1000, 1000)
    if oom == -1000:
        raise PlanError("oom_score_adjust must never be -1000: that exempts mysqld from the OOM "
                        "killer entirely, so the kernel kills everything else (sshd, the app) "
                        "or panics; use -999..0 (default -600)")
    if not -999 <= oom <= 0:
        raise PlanError("oom_score_adjust must be within -999..0 (mysqld should be a less "
                        "likely OOM victim than the app, never more), got %d" % oom)
    p["oom_score_adjust"] = oom
    p["app_oom_score_adjust"] = _int(p["app_oom_score_adjust"], "app_oom_score_adjust", 1, 1000)
    p["restart_sec"] = _int(p["restart_sec"], "restart_sec", 1, 600)
    p["start_limit_interval_sec"] = _int(p["start_limit_interval_sec"],
                                         "start_limit_interval_sec", 1, 86400)
    p["start_limit_burst"] = _int(p["start_limit_burst"], "start_limit_burst", 1, 100)
    if p["restart_sec"] * p["start_limit_burst"] >= p["start_limit_interval_sec"]:
        raise PlanError(
            "restart_sec (%d) x start_limit_burst (%d) = %d s is not below "
            "start_limit_interval_sec (%d): the start limit could never trigger and a crash "
            "loop would never stop; lower restart_sec/start_limit_burst or raise the interval"
            % (p["restart_sec"], p["start_limit_burst"],
               p["restart_sec"] * p["start_limit_burst"], p["start_limit_interval_sec"]))
    return p


# --- single formulas -------------------------------------------------------------------

def app_accounts(demand):
    """The apps' accounts as ``user@host`` (what mysql_facts' accounts option reads), from
    the checked demand: bad input fails here, before the server is read."""
    return ["%s@%s" % (app["db_user"], app["db_user_host"])
            for app in normalize_demand(demand)["apps"]]


def app_demand(app):
    """Connections an app holds at peak: one per serving thread, one per worker slot.

    Django keeps one connection per thread (per database alias); a background worker
    holds ``worker_concurrency`` connections (threads or greenlets of one consumer).
    """
    return web_demand(app) + worker_demand(app)


def web_demand(app):
    """Connections of the web processes: hosts x processes x threads (0: worker-only)."""
    return app["app_hosts"] * app["processes_per_host"] * app["threads_per_process"]


def worker_demand(app):
    """Connections of the background workers: workers x concurrency (0: web-only)."""
    return app["background_workers"] * app["worker_concurrency"]


def app_kind(app):
    """"web", "workers" or "web+workers": what holds the app's connections."""
    return "+".join(kind for kind, n in (("web", web_demand(app)),
                                         ("workers", worker_demand(app))) if n)


def pool_size(app):
    """SQLAlchemy pool_size of one process: its threads, or a worker's concurrency when
    the app has no web processes."""
    return app["threads_per_process"] if web_demand(app) else app["worker_concurrency"]


def user_cap(demand, headroom_percent):
    """max_user_connections for one account: its demand plus headroom, rounded up."""
    return max(1, -(-demand * (100 + headroom_percent) // 100))


def longest_idle(app):
    """The longest a connection may sit idle inside one unit of work of this app.

    A request (or, with background workers, a job) may leave its connection idle for
    as long as it runs: the connection was checked at its start only.
    """
    if not web_demand(app):
        return app["longest_job_seconds"]  # worker-only: no request runs on its account
    longest = app["longest_request_seconds"]
    if app["background_workers"]:
        longest = max(longest, app["longest_job_seconds"])
    return longest


def margin_floor(idle_timeout, min_margin=60):
    """The smallest margin kept below the idle timeout: ``min_margin`` (60 s), or a fifth
    of the timeout when that is smaller (timeouts under 300 s), at least 1 s."""
    return max(1, min(min_margin, idle_timeout // 5))


def idle_margin(idle_timeout, longest, min_margin=60):
    """Seconds kept between a connection's maximum age and the idle timeout."""
    return max(margin_floor(idle_timeout, min_margin), longest)


def max_age(idle_timeout, longest, min_margin=60):
    """CONN_MAX_AGE / pool_recycle: ``W - margin``, or 0 when no positive value fits.

    Always strictly below ``idle_timeout`` because the margin is at least 1 s.
    """
    value = idle_timeout - idle_margin(idle_timeout, longest, min_margin)
    return value if value > 0 else 0


def client_timeout(longest_query):
    """Client read/write timeout: well above the longest legitimate query
    (the larger of +30 s and +50 %)."""
    return max(longest_query + 30, -(-longest_query * 3 // 2))


def open_files_need(max_connections, table_open_cache, extra_max_connections=0):
    """mysqld's own file descriptor request (MySQL manual, open_files_limit):
    max(10 + max_connections + 2 x table_open_cache, 5 x max_connections).
    MariaDB counts extra_max_connections with max_connections."""
    connections = max_connections + extra_max_connections
    return max(10 + connections + 2 * table_open_cache, 5 * connections)


def per_thread_bytes(variables):
    """MySQLTuner's per-thread buffers plus one in-memory temporary table per thread."""
    return (sum(variables.get(k, 0) for k in PER_THREAD_VARS)
            + min(variables["tmp_table_size"], variables["max_heap_table_size"]))


def server_buffers_bytes(variables):
    """MySQLTuner's global buffers (absent variables, e.g. no Aria on MySQL, count 0)."""
    return sum(variables.get(k, 0) for k in SERVER_BUFFER_VARS)


def memory_limit(host, override=0):
    """(bytes, label, detail): the RAM the server may use and where that figure comes from.

    The ``mem_total_bytes`` override wins; else ``host.mem_limit_bytes`` (mysql_facts: the
    smaller of MemTotal and the server process's cgroup limit, so a container started with
    ``--memory 1g`` or a unit with ``MemoryMax=`` is planned against what the kernel
    enforces, not the machine's RAM); else ``host.mem_total_bytes`` (older facts).
    ``label`` is short, for the plan's memory line ("cgroup limit", "MemTotal",
    "mem_total_bytes override"); ``detail`` names the file that won.
    """
    if override:
        return override, "mem_total_bytes override", "steadydb_mem_total_bytes"
    total = host.get("mem_total_bytes")
    limit = host.get("mem_limit_bytes")
    for name, value in (("mem_total_bytes", total), ("mem_limit_bytes", limit)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value <= 0):
            raise PlanError("facts.host.%s must be a positive number of bytes, got %r"
                            % (name, value))
    if limit is None and total is None:
        raise PlanError(
            "facts.host.mem_total_bytes is missing (None): the memory budget needs the host's "
            "RAM; run mysql_facts on the DB host or set mem_total_bytes")
    if limit is not None and (total is None or limit < total):
        detail = str(host.get("mem_limit_source") or "facts.host.mem_limit_bytes")
        label = "cgroup limit" if detail.startswith("cgroup") else "memory limit"
        return limit, label, detail
    return total, "MemTotal", "MemTotal"


def swap_limit(host):
    """Swap the server may use: ``host.swap_limit_bytes`` (cgroup swap limits), else
    ``host.swap_total_bytes``; None when unknown."""
    for key in ("swap_limit_bytes", "swap_total_bytes"):
        value = host.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _mib(value):
    return int(round(value / float(MIB)))


def memory_line(memory):
    """The plan's memory line: worst case against the budget, and whose RAM it is."""
    return ("worst case %d MiB of %d MiB allowed (%d%% of %d MiB, %s)"
            % (_mib(memory["max_total_bytes"]), _mib(memory["allowed_bytes"]),
               int(round(memory["fraction"] * 100)), _mib(memory["total_bytes"]),
               memory.get("total_source") or "MemTotal"))


def live_memory(variables, host, fraction, override=0):
    """The memory rule of the plan applied to a live server, for the audit.

    ``variables`` are the server's live globals (facts.variables), ``host`` facts.host,
    ``fraction`` the plan's memory_fraction. Returns a dict like the plan's ``memory``
    (``max_total_bytes``, ``allowed_bytes``, ``total_bytes``, ``total_source``,
    ``total_source_detail``, ``fits``, ``formula``, ``line``) or None when the facts lack
    a term of the formula or the host's memory: the same formula, against the RAM the
    server may really use (memory_limit), never a second copy of the rule.
    """
    variables = dict((str(k).lower(), v) for k, v in (variables or {}).items())
    try:
        total, source, detail = memory_limit(host or {}, override)
        values = {}
        for key in SERVER_BUFFER_VARS:
            values[key] = _fact_int(variables, key,
                                    required=key not in OPTIONAL_SERVER_BUFFER_VARS)
        for key in PER_THREAD_VARS + TMP_TABLE_VARS:
            values[key] = _fact_int(variables, key)
        connections = _fact_int(variables, "max_connections")
    except PlanError:
        return None
    fraction = float(fraction)
    allowed = int(total * fraction)
    per_thread = per_thread_bytes(values)
    server = server_buffers_bytes(values)
    max_total = server + connections * per_thread
    memory = {
        "total_bytes": total, "total_source": source, "total_source_detail": detail,
        "allowed_bytes": allowed, "fraction": fraction, "server_buffers_bytes": server,
        "per_thread_bytes": per_thread, "max_connections": connections,
        "max_total_bytes": max_total, "fits": max_total <= allowed, "values": values,
        "formula": _formula(values, per_thread, connections, server, max_total, allowed,
                            fraction, total, _ram_label(source, detail)),
    }
    memory["line"] = memory_line(memory)
    return memory


def _round_up(value, step):
    return -(-value // step) * step


# --- facts -----------------------------------------------------------------------------

def _facts_parts(facts):
    if not isinstance(facts, dict):
        raise PlanError("facts must be the dict mysql_facts returns (ansible_facts.mysql), got %r"
                        % (type(facts).__name__,))
    variables = facts.get("variables")
    if not isinstance(variables, dict) or not variables:
        raise PlanError("facts.variables is missing or empty: pass the whole "
                        "ansible_facts.mysql dict that mysql_facts returns")
    variables = dict((str(k).lower(), v) for k, v in variables.items())
    status = facts.get("status") or {}
    host = facts.get("host") or {}
    dynamic = facts.get("dynamic") or {}
    accounts = facts.get("accounts") or {}
    for part, name in ((status, "status"), (host, "host"), (dynamic, "dynamic"),
                       (accounts, "accounts")):
        if not isinstance(part, dict):
            raise PlanError("facts.%s must be a dict, got %r" % (name, part))
    return variables, status, host, dynamic, accounts


def _fact_int(variables, name, required=True, default=0):
    if name not in variables or variables[name] in (None, ""):
        if required:
            raise PlanError("facts.variables.%s is missing: the plan needs it; pass the whole "
                            "ansible_facts.mysql dict that mysql_facts returns" % name)
        return default
    try:
        return to_bytes(variables[name])
    except ValueError:
        raise PlanError("facts.variables.%s must be a non-negative number, got %r"
                        % (name, variables[name]))


def _version(facts):
    version = facts.get("version")
    if isinstance(version, dict):
        if version.get("string"):
            return str(version["string"])
        if version.get("tuple"):
            return ".".join(str(x) for x in version["tuple"])
        return str(version.get("full", ""))
    return "" if version is None else str(version)


def _status_int(status, name):
    value = status.get(name)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def client_max_ages(app, effective_idle, wait_timeout, upstream, min_margin=60):
    """(CONN_MAX_AGE, pool_recycle) of one app: derived below the effective idle timeout,
    or the app's overrides checked against the same rules (PlanError naming the rule).
    Shared by the self-hosted and the managed plan, so the rule lives once."""
    name, longest = app["name"], longest_idle(app)
    derived = max_age(effective_idle, longest, min_margin)
    result = {"conn_max_age": 0 if app["asgi"] else derived, "pool_recycle": derived}
    for key in ("conn_max_age", "pool_recycle"):
        value = app[key]
        if value is None:
            continue
        label = "apps[%s].%s=%d (override)" % (name, key, value)
        if key == "conn_max_age" and app["asgi"] and value != 0:
            raise PlanError(
                "%s: the app runs under ASGI, where Django cannot reuse connections "
                "between requests; rule: CONN_MAX_AGE = 0 under ASGI" % label)
        if value and value >= effective_idle:
            raise PlanError(
                "%s is not below the effective idle timeout %d s (min of wait_timeout %d "
                "and upstream_idle_timeout %s); rule: it must be < the idle timeout or the "
                "server/proxy closes reused connections first (error 2006)"
                % (label, effective_idle, wait_timeout, upstream or "none"))
        if value and value + longest > effective_idle:
            raise PlanError(
                "%s + the longest request/job %d s = %d exceeds the effective idle timeout "
                "%d s; rule: %s + longest request/job <= idle timeout, so a connection "
                "reused at the end of its life survives the longest request"
                % (label, longest, value + longest, effective_idle, key))
        result[key] = value
    return result["conn_max_age"], result["pool_recycle"]


# --- the plan --------------------------------------------------------------------------

def app_entry(app, demand, cap, effective_idle, longest, margin, conn_max_age, pool_recycle,
              options):
    """One app's part of the plan: what the app side renders (Django, SQLAlchemy) and why.

    Shared by the self-hosted and the managed plan, so both hand the app-side role the
    same keys.
    """
    return {
        "db_user": app["db_user"],
        "db_user_host": app["db_user_host"],
        "db_name": app["db_name"],
        "asgi": app["asgi"],
        "demand": demand,
        "demand_web": web_demand(app),
        "demand_workers": worker_demand(app),
        "kind": app_kind(app),
        "max_user_connections": cap,
        "effective_idle_timeout": effective_idle,
        "longest_idle_seconds": longest,
        "margin_seconds": margin,
        "django": {
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": conn_max_age != 0,
            "OPTIONS": dict(options),
        },
        "sqlalchemy": {
            "pool_recycle": pool_recycle,
            "pool_pre_ping": True,
            "pool_size": pool_size(app),
            "max_overflow": 0,
            "connect_args": dict(options),
        },
    }


def build_plan(facts, demand, policy=None, extra_variables=None):
    """Return the plan dict (docs/architecture.md) or raise PlanError.

    ``facts``: ``ansible_facts.mysql``. ``demand``: apps, admin_reserve,
    headroom_percent, db_host_shared, upstream_idle_timeout. ``policy``: overrides
    (POLICY_DEFAULTS). ``extra_variables``: server variables the user sets on top of the
    plan (``mysql_tuning_extra_variables``): ``wait_timeout`` and ``max_connections``
    among them are planned with (as the policy values), the others are merged into
    ``server.variables`` and every rule they touch is checked again. Nothing is changed
    anywhere; the result is plain data.

    The steps, in order, each returning its part and adding its warnings:
    ``_connections`` (demand, caps, max_connections), ``_idle_timeouts`` (wait_timeout and
    the idle limit the clients must stay below), ``_client_settings`` (each app's Django
    and SQLAlchemy values), ``_server_variables``, ``_memory`` (the budget, shrinking what
    it may) and ``_unit_settings`` (systemd).
    """
    d = normalize_demand(demand)
    p = normalize_policy(policy)
    extras = normalize_extra_variables(extra_variables)
    _policy_from_extras(p, extras)
    variables, status, host, dynamic_facts, accounts = _facts_parts(facts)
    warnings = []

    mem = _memory_inputs(variables, host, d, p)
    conn = _connections(d, p, variables, status, mem, warnings)
    idle = _idle_timeouts(conn["apps"], d, p, variables, warnings)
    plan_apps, max_client_timeout = _client_settings(conn, idle, p, accounts, warnings)
    server_vars, totals = _server_variables(variables, conn, idle, p, max_client_timeout,
                                            warnings)
    max_connections = conn["max_connections"]

    memory, new_pool = _memory(mem, variables, p, max_connections, warnings)
    if new_pool is not None:
        server_vars["innodb_buffer_pool_size"] = new_pool
    for key in memory["shrunk"]:
        server_vars[key] = memory["values"][key]
    buffer_pool = new_pool if new_pool is not None else _fact_int(variables,
                                                                   "innodb_buffer_pool_size")

    dynamic = {}
    for key in server_vars:
        value = dynamic_facts.get(key)
        dynamic[key] = bool(value) if isinstance(value, bool) else KNOWN_DYNAMIC.get(key, False)

    systemd = _unit_settings(server_vars["open_files_limit"], buffer_pool, p)

    # -- status counters worth a human look ----------------------------------------------
    _status_warnings(status, warnings)
    if d["db_host_shared"]:
        _swap_warning(host, warnings)

    apps = conn["apps"]
    plan = {
        "flavor": str(facts.get("flavor") or ""),
        "version": _version(facts),
        "server": {
            "variables": server_vars,
            "dynamic": dynamic,
            # Lines of the drop-in a rerun keeps when it does not set them (a shrink of
            # an earlier run that the measured budget now relies on).
            "keep_if_present": sorted(CACHE_SHRINK_ORDER + ("innodb_buffer_pool_size",))
            if p["allow_buffer_pool_shrink"] else [],
            "user_limits": [
                {"app": app["name"], "user": app["db_user"], "host": app["db_user_host"],
                 "max_user_connections": conn["caps"][app["name"]]}
                for app, _ in apps
            ],
        },
        "systemd": systemd,
        "memory": memory,
        "apps": plan_apps,
        "totals": dict({
            "demand": conn["total_demand"],
            "reserve": conn["reserve"],
            "headroom_percent": conn["headroom"],
            "user_caps_sum": conn["caps_sum"],
            "required_max_connections": conn["required"],
            "max_connections": max_connections,
            "wait_timeout": idle["wait_timeout"],
            "effective_idle_timeout": idle["effective_idle"],
            "upstream_idle_timeout": idle["upstream"],
        }, **totals),
        "warnings": warnings,
    }
    for key, value in dynamic_facts.items():
        # The dynamic map of the variables the extras add (used by the apply stage).
        if str(key).lower() in extras and isinstance(value, bool):
            plan["server"]["dynamic"][str(key).lower()] = value
    return merge_server_variables(plan, extras)


def _policy_from_extras(p, extras):
    """Plan with wait_timeout / max_connections given as extra variables (PLANNED_EXTRAS)."""
    p["_source"] = {"wait_timeout": "policy override", "max_connections": "policy override"}
    for knob in PLANNED_EXTRAS:
        if knob not in extras:
            continue
        value = _int(extras[knob], "extra_variables.%s" % knob, 0, PLANNED_EXTRAS[knob])
        if p[knob] and p[knob] != value:
            raise PlanError(
                "%s is given twice, %d as the policy (steadydb_%s) and %d in the extra "
                "variables (mysql_tuning_extra_variables); set it in one place"
                % (knob, p[knob], knob, value))
        if knob == "max_connections" and value < MIN_MAX_CONNECTIONS:
            raise PlanError("extra_variables.max_connections must be at least %d (MariaDB's "
                            "minimum), got %d" % (MIN_MAX_CONNECTIONS, value))
        if value:
            p[knob] = value
            p["_source"][knob] = "extra_variables"


def _connections(d, p, variables, status, mem, warnings):
    """Demand, per-account caps and max_connections (with the warnings they raise)."""
    reserve, headroom = d["admin_reserve"], d["headroom_percent"]
    apps, caps = [], {}
    for app in d["apps"]:
        demand_i = app_demand(app)
        caps[app["name"]] = user_cap(demand_i, headroom)
        apps.append((app, demand_i))
    total_demand = sum(n for _, n in apps)
    caps_sum = sum(caps.values())
    required = caps_sum + reserve
    if required > MAX_CONNECTIONS_LIMIT:
        raise PlanError(
            "the declared demand needs max_connections = sum of per-app caps %d + admin_reserve "
            "%d = %d, above the server maximum %d: lower app_hosts/processes_per_host/"
            "threads_per_process/background_workers or put a pooler in front"
            % (caps_sum, reserve, required, MAX_CONNECTIONS_LIMIT))
    current_max_connections = _fact_int(variables, "max_connections")
    if p["max_connections"]:
        if p["max_connections"] < required:
            raise PlanError(
                "max_connections=%d (%s) is below what the demand needs: "
                "sum of per-app caps %d (demand %d + %d%% headroom, per app rounded up) + "
                "admin_reserve %d = %d; rule: max_connections >= demand x (1 + headroom) + "
                "reserve" % (p["max_connections"], p["_source"]["max_connections"], caps_sum,
                             total_demand, headroom, reserve, required))
        max_connections = p["max_connections"]
    else:
        # Never below the demand; keep the server's higher value for clients nobody
        # declared, as far as the memory budget allows it without shrinking anything.
        max_connections = max(required, MIN_MAX_CONNECTIONS,
                              min(current_max_connections, mem["fit_connections"]))
    max_used = _status_int(status, "Max_used_connections")
    if max_connections < current_max_connections:
        why = ("the %s" % p["_source"]["max_connections"] if p["max_connections"] else
               "the declared demand (%d) plus admin_reserve" % total_demand
               if max_connections <= max(required, MIN_MAX_CONNECTIONS) else
               "the largest value whose memory budget fits %.2f of RAM" % mem["fraction"])
        if max_used is not None and max_connections < max_used:
            warnings.append(
                "max_connections goes from %d to %d (%s), below Max_used_connections=%d seen "
                "since the server started: clients not declared in steadydb_apps (cron jobs, "
                "other apps, admins) may now get error 1040; declare them or raise "
                "admin_reserve" % (current_max_connections, max_connections, why, max_used))
        else:
            warnings.append("max_connections goes from %d to %d (%s)"
                            % (current_max_connections, max_connections, why))
    if max_used is not None and max_connections < max_used and \
            max_connections >= current_max_connections:
        warnings.append(
            "max_connections=%d is below Max_used_connections=%d seen since the server "
            "started: clients not declared in steadydb_apps may now get error 1040"
            % (max_connections, max_used))
    if near_connection_limit(max_used, current_max_connections):
        warnings.append(
            "Max_used_connections=%d reached %d%% of the current max_connections=%d: the "
            "server was close to refusing connections (1040)"
            % (max_used, max_used * 100 // current_max_connections, current_max_connections))

    return {"apps": apps, "caps": caps, "total_demand": total_demand, "caps_sum": caps_sum,
            "required": required, "reserve": reserve, "headroom": headroom,
            "max_connections": max_connections}


def _idle_timeouts(apps, d, p, variables, warnings):
    """wait_timeout and the idle limit every client must stay below."""
    server_wait = _fact_int(variables, "wait_timeout")
    if server_wait < 1:
        raise PlanError("facts.variables.wait_timeout must be >= 1, got %d" % server_wait)
    wait_timeout = p["wait_timeout"] or server_wait
    upstream = d["upstream_idle_timeout"]
    effective_idle = min(wait_timeout, upstream) if upstream else wait_timeout
    for app, _ in apps:
        longest = longest_idle(app)
        if longest < effective_idle:
            continue
        source = "longest_job_seconds" if longest != app["longest_request_seconds"] \
            else "longest_request_seconds"
        if p["wait_timeout"] and p["wait_timeout"] <= longest:
            raise PlanError(
                "wait_timeout=%d (%s) is too small for any safe CONN_MAX_AGE: app "
                "%s declares %s=%d; rule: wait_timeout > the longest request/job, or a "
                "connection left idle inside one request is cut (error 2006) even with "
                "CONN_MAX_AGE=0; raise wait_timeout or set it to 0 to keep the server's %d"
                % (p["wait_timeout"], p["_source"]["wait_timeout"], app["name"], source,
                   longest, server_wait))
        warnings.append(
            "app %s: %s=%d is not below the effective idle timeout %d s (%s): a connection "
            "idle that long inside one request/job is cut by the server or the proxy (2006/"
            "2013) whatever CONN_MAX_AGE says; CONN_MAX_AGE is 0; call "
            "django.db.close_old_connections() around jobs and raise %s"
            % (app["name"], source, longest, effective_idle,
               "upstream_idle_timeout" if upstream and upstream < wait_timeout else "wait_timeout",
               "the proxy's idle timeout" if upstream and upstream < wait_timeout
               else "wait_timeout (steadydb_wait_timeout)"))

    return {"server_wait": server_wait, "wait_timeout": wait_timeout, "upstream": upstream,
            "effective_idle": effective_idle}


def _client_settings(conn, idle, p, accounts, warnings):
    """Each app's client part (app_entry) and the longest client read/write timeout."""
    apps, caps = conn["apps"], conn["caps"]
    wait_timeout, upstream = idle["wait_timeout"], idle["upstream"]
    effective_idle = idle["effective_idle"]
    connect_timeout = p["connect_timeout"]
    if connect_timeout > 10:
        warnings.append(
            "connect_timeout=%d s: a dead or saturated server then blocks every worker that "
            "long before the app can fail over or answer; 2 to 10 s is the usual range"
            % connect_timeout)
    plan_apps = {}
    max_client_timeout = 0
    for app, demand_i in apps:
        name = app["name"]
        longest = longest_idle(app)
        margin = idle_margin(effective_idle, longest, p["min_margin_seconds"])
        conn_max_age, pool_recycle = client_max_ages(app, effective_idle, wait_timeout,
                                                     upstream, p["min_margin_seconds"])
        timeout = client_timeout(app["longest_query_seconds"])
        max_client_timeout = max(max_client_timeout, timeout)
        options = {"connect_timeout": connect_timeout, "read_timeout": timeout,
                   "write_timeout": timeout}
        plan_apps[name] = app_entry(app, demand_i, caps[name], effective_idle, longest, margin,
                                    conn_max_age, pool_recycle, options)
        account = accounts.get("%s@%s" % (app["db_user"], app["db_user_host"]))
        if isinstance(account, dict) and account.get("exists") is False:
            warnings.append("app %s: the account %s@%s does not exist on the server yet; its "
                            "max_user_connections=%d applies once it is created"
                            % (name, app["db_user"], app["db_user_host"], caps[name]))

    return plan_apps, max_client_timeout


def _server_variables(variables, conn, idle, p, max_client_timeout, warnings):
    """The planned server variables, and the totals they add (open files)."""
    max_connections, caps_sum = conn["max_connections"], conn["caps_sum"]
    wait_timeout = idle["wait_timeout"]
    current_table_cache = _fact_int(variables, "table_open_cache")
    extra = _fact_int(variables, "extra_max_connections", required=False)
    # Raise the table cache to max_connections x tables_per_join, but never so far that
    # the open files need passes what systemd can grant.
    raised = min(max_connections * p["tables_per_join"],
                 max(0, (NOFILE_MAX - 10 - max_connections - extra) // 2))
    table_open_cache = max(current_table_cache, raised)
    need_files = open_files_need(max_connections, table_open_cache, extra)
    if need_files > NOFILE_MAX:
        raise PlanError(
            "mysqld would need %d file descriptors = max(10 + max_connections %d + "
            "extra_max_connections %d + 2 x table_open_cache %d, 5 x connections), above %d "
            "(the kernel's default fs.nr_open, the most LimitNOFILE can grant); lower "
            "facts.variables.table_open_cache or the demand"
            % (need_files, max_connections, extra, table_open_cache, NOFILE_MAX))
    current_files = _fact_int(variables, "open_files_limit", required=False)
    open_files_limit = max(need_files, min(current_files, NOFILE_MAX))
    current_thread_cache = _fact_int(variables, "thread_cache_size", required=False)
    thread_cache_size = min(max_connections, THREAD_CACHE_MAX,
                            max(8, caps_sum, current_thread_cache))
    net_read = max(_fact_int(variables, "net_read_timeout", required=False), 60)
    net_write = max(_fact_int(variables, "net_write_timeout", required=False), 120,
                    max_client_timeout)
    current_interactive = _fact_int(variables, "interactive_timeout", required=False)
    if current_interactive and current_interactive != wait_timeout:
        warnings.append(
            "interactive_timeout goes from %d to %d (= wait_timeout): mysql shells then follow "
            "the same idle rule as the apps" % (current_interactive, wait_timeout))
    server_vars = {
        "wait_timeout": wait_timeout,
        "interactive_timeout": wait_timeout,
        "max_connections": max_connections,
        "net_read_timeout": net_read,
        "net_write_timeout": net_write,
        "thread_cache_size": thread_cache_size,
        "table_open_cache": table_open_cache,
        "open_files_limit": open_files_limit,
        "max_connect_errors": max(_fact_int(variables, "max_connect_errors", required=False),
                                  p["max_connect_errors"]),
    }
    return server_vars, {"extra_max_connections": extra, "open_files_need": need_files}


def _unit_settings(open_files_limit, buffer_pool, p):
    """The server unit's settings (plan["systemd"])."""
    limit_nofile = min(_round_up(open_files_limit, 1024), NOFILE_MAX)
    return {
        "LimitNOFILE": limit_nofile,
        "Restart": UNIT_DEFAULTS["Restart"],
        "RestartSec": p["restart_sec"],
        "RestartPreventExitStatus": RESTART_PREVENT_EXIT_STATUS,
        "StartLimitIntervalSec": p["start_limit_interval_sec"],
        "StartLimitBurst": p["start_limit_burst"],
        "TimeoutStopSec": min(86400, max(UNIT_DEFAULTS["TimeoutStopSec"],
                                         300 + 60 * -(-buffer_pool // GIB))),
        "OOMScoreAdjust": p["oom_score_adjust"],
        "app_OOMScoreAdjust": p["app_oom_score_adjust"],
    }


def _swap_warning(host, warnings):
    """A DB host shared with the app and without swap: the OOM killer is one spike away."""
    swap = swap_limit(host)
    if swap == 0:
        warnings.append(
            "the DB host is shared with the app and has no swap%s: a memory spike in the "
            "app goes straight to the OOM killer; add a small swap file%s"
            % ((" the server may use (its memory cgroup allows none)", " and allow the "
                "cgroup some (memory.swap.max / memory.memsw.limit_in_bytes)")
               if host.get("swap_total_bytes") else ("", "")))


def _memory_inputs(variables, host, d, p):
    """Collect RAM, the allowed fraction and the buffer sizes of the memory budget."""
    total, source, detail = memory_limit(host, p["mem_total_bytes"])
    fraction = p["memory_fraction"] or (FRACTION_SHARED if d["db_host_shared"]
                                        else FRACTION_DEDICATED)
    allowed = int(total * fraction)
    values = {}
    for key in SERVER_BUFFER_VARS:
        values[key] = _fact_int(variables, key, required=key not in OPTIONAL_SERVER_BUFFER_VARS)
    for key in PER_THREAD_VARS + TMP_TABLE_VARS:
        values[key] = _fact_int(variables, key)
    per_thread = per_thread_bytes(values)
    room = allowed - server_buffers_bytes(values)
    fit = room // per_thread if per_thread and room > 0 else (MAX_CONNECTIONS_LIMIT if room > 0 else 0)
    return {"total": total, "source": source, "source_detail": detail, "fraction": fraction,
            "allowed": allowed, "values": values, "per_thread": per_thread,
            "fit_connections": fit}


def _memory(mem, variables, p, max_connections, warnings):
    """Check (and if allowed, fit) the MySQLTuner memory budget; return (memory, new_pool)."""
    total, fraction, allowed = mem["total"], mem["fraction"], mem["allowed"]
    ram = _ram_label(mem["source"], mem["source_detail"])
    values = dict(mem["values"])
    per_thread = mem["per_thread"]
    current_pool = values["innodb_buffer_pool_size"]
    new_pool = None

    def arithmetic(vals):
        server = server_buffers_bytes(vals)
        return server, server + max_connections * per_thread

    server, max_total = arithmetic(values)
    shrunk = {}
    for key in CACHE_SHRINK_ORDER if p["allow_buffer_pool_shrink"] else ():
        current, floor = values.get(key) or 0, CACHE_FLOORS[key]
        if max_total <= allowed or key not in variables or current <= floor:
            continue
        values[key] = max(floor, (current - (max_total - allowed)) // MIB * MIB)
        shrunk[key] = current
        server, max_total = arithmetic(values)
        warnings.append(
            "%s shrinks from %d to %d bytes so that the memory budget fits %.2f of RAM (%d "
            "bytes, %s); an InnoDB app keeps no data in it" % (key, current, values[key],
                                                              fraction, total, mem["source"]))
    if max_total > allowed:
        others = server - current_pool
        room = allowed - others - max_connections * per_thread
        candidate = room - room % MIB if room > 0 else 0
        chunk = _fact_int(variables, "innodb_buffer_pool_chunk_size", required=False)
        instances = _fact_int(variables, "innodb_buffer_pool_instances", required=False) or 1
        step = chunk * instances
        if step and candidate >= step:
            # mysqld rounds the pool up to a multiple of chunk x instances: round down here.
            candidate -= candidate % step
        if not p["allow_buffer_pool_shrink"] or candidate < p["min_buffer_pool_size"]:
            why = ("shrinking innodb_buffer_pool_size is not allowed "
                   "(allow_buffer_pool_shrink=false)" if not p["allow_buffer_pool_shrink"]
                   else "innodb_buffer_pool_size would have to drop to %d bytes, below "
                   "min_buffer_pool_size %d" % (max(room, 0), p["min_buffer_pool_size"]))
            raise PlanError(
                "the memory budget does not fit (rule: server buffers + max_connections x "
                "per-thread buffers <= memory_fraction x RAM): %s; %s; lower the demand "
                "(apps, headroom_percent, admin_reserve) or the largest other terms (%s), or "
                "use a host with more RAM"
                % (_formula(values, per_thread, max_connections, server, max_total, allowed,
                            fraction, total, ram), why, _largest_terms(values, max_connections)))
        new_pool = candidate
        shrunk["innodb_buffer_pool_size"] = current_pool
        values["innodb_buffer_pool_size"] = new_pool
        server, max_total = arithmetic(values)
        warnings.append(
            "innodb_buffer_pool_size shrinks from %d to %d bytes so that the memory budget fits "
            "%.2f of RAM (%d bytes, %s) with max_connections=%d; InnoDB will cache less data"
            % (current_pool, new_pool, fraction, total, mem["source"], max_connections))
    memory = {
        "total_bytes": total,
        "total_source": mem["source"],
        "total_source_detail": mem["source_detail"],
        "allowed_bytes": allowed,
        "fraction": fraction,
        "server_buffers_bytes": server,
        "per_thread_bytes": per_thread,
        "max_connections": max_connections,
        "max_total_bytes": max_total,
        "fits": max_total <= allowed,
        "innodb_buffer_pool_size": values["innodb_buffer_pool_size"],
        "values": values,
        "innodb_buffer_pool_shrunk_from": current_pool if new_pool is not None else None,
        "shrunk": shrunk,
        "formula": _formula(values, per_thread, max_connections, server, max_total, allowed,
                            fraction, total, ram),
    }
    memory["line"] = memory_line(memory)
    return memory, new_pool


def _largest_terms(values, max_connections, count=3):
    """The biggest contributions to the budget besides the buffer pool, as text."""
    terms = [(values.get(k, 0), k) for k in SERVER_BUFFER_VARS if k != "innodb_buffer_pool_size"]
    terms += [(values[k] * max_connections, "%s x %d connections" % (k, max_connections))
              for k in PER_THREAD_VARS]
    tmp = min(values["tmp_table_size"], values["max_heap_table_size"])
    terms.append((tmp * max_connections, "min(tmp_table_size, max_heap_table_size) x %d "
                  "connections" % max_connections))
    terms.sort(key=lambda term: -term[0])
    return ", ".join("%s = %d" % (name, size) for size, name in terms[:count] if size)


def _ram_label(label, detail):
    """" (cgroup limit: cgroup v1 memory.limit_in_bytes (dir))" after RAM, or "" for MemTotal."""
    if not label or label == "MemTotal":
        return ""
    return " (%s: %s)" % (label, detail) if detail and detail != label else " (%s)" % label


def _formula(values, per_thread, max_connections, server, max_total, allowed, fraction, total,
             ram_label=""):
    server_terms = " + ".join("%s %d" % (k, values.get(k, 0)) for k in SERVER_BUFFER_VARS)
    thread_terms = " + ".join("%s %d" % (k, values[k]) for k in PER_THREAD_VARS)
    tmp = min(values["tmp_table_size"], values["max_heap_table_size"])
    return ("server buffers = %s = %d; per thread = %s + min(tmp_table_size, "
            "max_heap_table_size) %d = %d; max total = %d + max_connections %d x %d = %d %s "
            "allowed %.2f x RAM %d%s = %d"
            % (server_terms, server, thread_terms, tmp, per_thread, server, max_connections,
               per_thread, max_total, "<=" if max_total <= allowed else ">", fraction, total,
               ram_label, allowed))


# Status thresholds, for the plan's warnings and the audit's findings alike.
# Aborted_clients / Aborted_connects: more than 1% of the connections, and at least 10 (a
# few aborts on a freshly started server are noise). Max_used_connections: 85% of
# max_connections means the server was close to refusing with 1040.
ABORTED_RATIO_WARN = 0.01
ABORTED_MIN_COUNT = 10
MAX_USED_RATIO_WARN = 0.85


def aborted_high(count, connections):
    """True when ``count`` aborted clients or connects of ``connections`` deserve a look."""
    return bool(count and connections) and count >= ABORTED_MIN_COUNT \
        and count > ABORTED_RATIO_WARN * connections


def near_connection_limit(max_used, max_connections):
    """True when Max_used_connections came within MAX_USED_RATIO_WARN of max_connections."""
    return bool(max_connections) and max_used is not None \
        and max_used >= MAX_USED_RATIO_WARN * max_connections


def _status_warnings(status, warnings):
    connections = _status_int(status, "Connections")
    aborted_clients = _status_int(status, "Aborted_clients")
    if aborted_high(aborted_clients, connections):
        warnings.append(
            "Aborted_clients=%d of Connections=%d (%.1f%%): connections are dropped without "
            "a clean close, typically idle pooled connections killed by wait_timeout (the "
            "2006 pattern) or workers killed mid-query; the client settings in this plan "
            "address the first" % (aborted_clients, connections,
                                    100.0 * aborted_clients / connections))
    aborted_connects = _status_int(status, "Aborted_connects")
    if aborted_high(aborted_connects, connections):
        warnings.append(
            "Aborted_connects=%d of Connections=%d: failed logins or handshakes (wrong "
            "password, connect_timeout, max_user_connections); check the error log"
            % (aborted_connects, connections))
    refused = _status_int(status, "Connection_errors_max_connections")
    if refused:
        warnings.append(
            "Connection_errors_max_connections=%d: the server has already refused connections "
            "with error 1040 since it started" % refused)


# --- extra server variables ------------------------------------------------------------

# Extra variables the planner derives other values from: build_plan plans with them.
PLANNED_EXTRAS = {"wait_timeout": WAIT_TIMEOUT_LIMIT, "max_connections": MAX_CONNECTIONS_LIMIT}
_VARIABLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MEMORY_VARS = SERVER_BUFFER_VARS + PER_THREAD_VARS + TMP_TABLE_VARS


def normalize_extra_variables(extra):
    """``{name: value}`` with names in the server's underscore form, or PlanError."""
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise PlanError("extra_variables must be a dict of server variable name to value, "
                        "got %r" % (extra,))
    result = {}
    for raw, value in extra.items():
        name = str(raw).strip().lower().replace("-", "_")
        if not _VARIABLE_RE.match(name) or len(name) > 64:
            raise PlanError("extra_variables: %r is not a server variable name (letters, "
                            "digits and _ only)" % (raw,))
        if name in result:
            raise PlanError("extra_variables: %s is given twice (as %r and another spelling)"
                            % (name, raw))
        result[name] = value
    return result


def _number(value, name):
    """A whole number or size (64M) of an extra variable, or PlanError."""
    if isinstance(value, bool) or value is None:
        raise PlanError("%s must be a whole number, got %r" % (name, value))
    try:
        return to_bytes(value)
    except ValueError:
        raise PlanError("%s must be a whole number (sizes like 64M are accepted), got %r"
                        % (name, value))


def merge_server_variables(plan, extra_variables):
    """Return a copy of ``plan`` with ``extra_variables`` merged into ``server.variables``.

    Every rule of the plan that an extra variable touches is checked again over the merged
    variables, with what the plan knows (a hand-written plan with only ``server.variables``
    is checked for what it holds): max_connections against the per-account caps and the
    reserve, wait_timeout against each app's CONN_MAX_AGE/pool_recycle and longest
    request/job, net_write_timeout against the client read timeouts, open_files_limit
    against mysqld's open files need, and the memory budget. Raises PlanError naming the
    variable and the rule. Merging extras the plan already holds changes nothing.
    """
    if not isinstance(plan, dict) or not isinstance(plan.get("server"), dict) \
            or not isinstance(plan["server"].get("variables"), dict):
        raise PlanError("the plan must be a dict with server.variables (docs/architecture.md), "
                        "got %r" % (type(plan).__name__,))
    extras = normalize_extra_variables(extra_variables)
    merged = copy.deepcopy(plan)
    server = merged["server"]
    variables = server["variables"]
    changed = sorted(k for k, v in extras.items() if k not in variables or variables[k] != v)
    variables.update(extras)
    if extras:
        previous = server.get("extra_variables") or {}
        server["extra_variables"] = dict(previous, **extras)
    if "wait_timeout" in changed and "interactive_timeout" not in extras \
            and "interactive_timeout" in variables:
        # The plan keeps interactive_timeout = wait_timeout (docs/architecture.md).
        variables["interactive_timeout"] = variables["wait_timeout"]
    if "wait_timeout" in changed:
        _check_idle(merged, _number(variables["wait_timeout"], "extra_variables.wait_timeout"))
    if "max_connections" in changed:
        _check_max_connections(merged)
    if set(changed) & {"net_read_timeout", "net_write_timeout"}:
        _check_net_timeouts(merged)
    if set(changed) & {"max_connections", "table_open_cache", "open_files_limit"}:
        _check_open_files(merged, "open_files_limit" in extras)
    if set(changed) & (set(MEMORY_VARS) | {"max_connections"}):
        _check_memory(merged)
    return merged


def _check_max_connections(plan):
    variables = plan["server"]["variables"]
    totals = plan.get("totals") or {}
    value = _number(variables["max_connections"], "extra_variables.max_connections")
    if value < MIN_MAX_CONNECTIONS or value > MAX_CONNECTIONS_LIMIT:
        raise PlanError("extra_variables.max_connections must be within %d..%d, got %d"
                        % (MIN_MAX_CONNECTIONS, MAX_CONNECTIONS_LIMIT, value))
    caps = [limit.get("max_user_connections") for limit in plan["server"].get("user_limits") or []
            if isinstance(limit, dict)]
    caps_sum = totals.get("user_caps_sum")
    if not isinstance(caps_sum, int):
        caps_sum = sum(c for c in caps if isinstance(c, int) and not isinstance(c, bool))
    reserve = totals.get("reserve") if isinstance(totals.get("reserve"), int) else 0
    if value < caps_sum + reserve:
        raise PlanError(
            "max_connections=%d (extra_variables) is below the sum of the per-account caps %d "
            "+ admin_reserve %d = %d; rule: max_connections >= sum of the caps + reserve, so a "
            "runaway app hits its own cap (1226) and the others and the admins still connect; "
            "lower the demand or raise max_connections"
            % (value, caps_sum, reserve, caps_sum + reserve))
    if isinstance(plan.get("totals"), dict):
        plan["totals"]["max_connections"] = value


def _check_idle(plan, wait_timeout):
    if wait_timeout < 1 or wait_timeout > WAIT_TIMEOUT_LIMIT:
        raise PlanError("extra_variables.wait_timeout must be within 1..%d, got %d"
                        % (WAIT_TIMEOUT_LIMIT, wait_timeout))
    totals = plan.get("totals") or {}
    planned_wait = totals.get("wait_timeout")
    for name, app in sorted((plan.get("apps") or {}).items()):
        if not isinstance(app, dict):
            continue
        planned_idle = app.get("effective_idle_timeout")
        upstream = totals.get("upstream_idle_timeout")
        if upstream is None and isinstance(planned_idle, int) and isinstance(planned_wait, int) \
                and planned_idle < planned_wait:
            upstream = planned_idle  # the proxy was the smaller of the two
        effective = min(wait_timeout, upstream) if upstream else wait_timeout
        longest = app.get("longest_idle_seconds") or 0
        if wait_timeout <= longest:
            raise PlanError(
                "wait_timeout=%d (extra_variables) is not above app %s's longest request/job "
                "%d s; rule: wait_timeout > the longest request/job, or a connection left idle "
                "inside one request is cut (error 2006) even with CONN_MAX_AGE=0; raise it, or "
                "set steadydb_wait_timeout so the plan derives the client settings from it"
                % (wait_timeout, name, longest))
        for label, value in (("CONN_MAX_AGE", (app.get("django") or {}).get("CONN_MAX_AGE")),
                             ("pool_recycle", (app.get("sqlalchemy") or {}).get("pool_recycle"))):
            if isinstance(value, int) and value and value + longest > effective:
                raise PlanError(
                    "wait_timeout=%d (extra_variables) makes the effective idle timeout %d s, "
                    "below app %s's %s %d + longest request/job %d s = %d; rule: %s + longest "
                    "request/job <= idle timeout, so a reused connection survives the longest "
                    "request; set steadydb_wait_timeout instead, so the plan derives %s from it"
                    % (wait_timeout, effective, name, label, value, longest, value + longest,
                       label, label))
        app["effective_idle_timeout"] = effective
    if isinstance(plan.get("totals"), dict):
        plan["totals"]["wait_timeout"] = wait_timeout


def _client_timeouts(plan):
    result = []
    for app in (plan.get("apps") or {}).values():
        options = ((app or {}).get("django") or {}).get("OPTIONS") or {}
        for key in ("read_timeout", "write_timeout"):
            if isinstance(options.get(key), int):
                result.append(options[key])
    return result


def _check_net_timeouts(plan):
    variables = plan["server"]["variables"]
    if "net_read_timeout" in variables:
        value = _number(variables["net_read_timeout"], "extra_variables.net_read_timeout")
        if value < 60:
            raise PlanError("net_read_timeout=%d (extra_variables) is below 60 s; rule: "
                            "net_read_timeout >= 60, so a client pausing while it sends a "
                            "large statement is not cut" % value)
    if "net_write_timeout" in variables:
        value = _number(variables["net_write_timeout"], "extra_variables.net_write_timeout")
        floor = max([120] + _client_timeouts(plan))
        if value < floor:
            raise PlanError(
                "net_write_timeout=%d (extra_variables) is below %d s; rule: net_write_timeout "
                ">= 120 and >= every client read_timeout (the longest legitimate query + "
                "margin), so the server does not give up on a result the client still waits "
                "for" % (value, floor))


def _check_open_files(plan, limit_given):
    """The open files rule; open_files_limit (and LimitNOFILE) follow the need unless
    the extras set open_files_limit themselves, which must then cover it."""
    variables = plan["server"]["variables"]
    totals = plan.get("totals") or {}
    if "max_connections" not in variables or "table_open_cache" not in variables:
        return
    connections = _number(variables["max_connections"], "max_connections")
    cache = _number(variables["table_open_cache"], "table_open_cache")
    extra = totals.get("extra_max_connections") or 0
    need = open_files_need(connections, cache, extra)
    if need > NOFILE_MAX:
        raise PlanError(
            "max_connections %d and table_open_cache %d need %d file descriptors, above %d "
            "(the most LimitNOFILE can grant); rule: open files need = max(10 + connections + "
            "2 x table_open_cache, 5 x connections) <= %d" % (connections, cache, need,
                                                               NOFILE_MAX, NOFILE_MAX))
    if "open_files_limit" in variables and not limit_given:
        variables["open_files_limit"] = max(
            _number(variables["open_files_limit"], "open_files_limit"), need)
    if "open_files_limit" in variables:
        limit = _number(variables["open_files_limit"], "open_files_limit")
        if limit < need:
            raise PlanError(
                "open_files_limit=%d is below mysqld's open files need %d = max(10 + "
                "max_connections %d + extra_max_connections %d + 2 x table_open_cache %d, 5 x "
                "connections); rule: open_files_limit >= the need, or mysqld lowers "
                "table_open_cache/max_connections itself at start"
                % (limit, need, connections, extra, cache))
        need = max(need, limit)
    if isinstance(plan.get("totals"), dict):
        plan["totals"]["open_files_need"] = open_files_need(connections, cache, extra)
    systemd = plan.get("systemd")
    if isinstance(systemd, dict) and isinstance(systemd.get("LimitNOFILE"), int):
        systemd["LimitNOFILE"] = max(systemd["LimitNOFILE"],
                                     min(_round_up(need, 1024), NOFILE_MAX))


def _check_memory(plan):
    memory = plan.get("memory")
    if not isinstance(memory, dict) or not isinstance(memory.get("values"), dict) \
            or not isinstance(memory.get("allowed_bytes"), int):
        return  # a plan without its budget terms: nothing to check against
    variables = plan["server"]["variables"]
    values = dict(memory["values"])
    for key in MEMORY_VARS:
        if key in variables:
            values[key] = _number(variables[key], key)
    connections = _number(variables.get("max_connections", memory.get("max_connections", 0)),
                          "max_connections")
    per_thread = per_thread_bytes(values)
    server = server_buffers_bytes(values)
    max_total = server + connections * per_thread
    allowed = memory["allowed_bytes"]
    formula = _formula(values, per_thread, connections, server, max_total, allowed,
                       memory.get("fraction", 0), memory.get("total_bytes", 0),
                       _ram_label(memory.get("total_source"), memory.get("total_source_detail")))
    if max_total > allowed:
        raise PlanError(
            "the extra variables break the memory budget (rule: server buffers + "
            "max_connections x per-thread buffers <= memory_fraction x RAM): %s; lower them "
            "or the demand" % formula)
    memory.update(values=values, server_buffers_bytes=server, per_thread_bytes=per_thread,
                  max_connections=connections, max_total_bytes=max_total, fits=True,
                  innodb_buffer_pool_size=values["innodb_buffer_pool_size"], formula=formula)
    if isinstance(memory.get("total_bytes"), int) and isinstance(memory.get("fraction"), float):
        memory["line"] = memory_line(memory)


# --- managed mode ------------------------------------------------------------------------
#
# A managed database (a hosting provider's MySQL/MariaDB): the app owner has one
# unprivileged account over TCP, the provider sets wait_timeout and a per-account cap, and
# nothing on the server can be changed. The plan is the client side only, derived from
# what that account can read (mysql_facts scope=account), and predicts error 1226.

# Policy keys that set something on the server: refused in managed mode, which changes
# nothing there (a value would be silently ignored otherwise).
MANAGED_REFUSED_POLICY = ("wait_timeout", "max_connections")

# The server's net timeouts the client timeouts rely on (the floors of the self-hosted
# plan): below them the provider cuts a slow result (error 2013, the FAQ's 30 s case).
NET_READ_FLOOR = 60
NET_WRITE_FLOOR = 120


def account_cap(facts):
    """(cap, source) of the login account, from ``facts.account`` (mysql_facts
    scope=account) or the variables: the session value of max_user_connections is the
    account's own MAX_USER_CONNECTIONS when it has one, else the global value, on MariaDB
    and MySQL alike; 0 there means no per-account cap, so max_connections binds."""
    account = facts.get("account") if isinstance(facts.get("account"), dict) else {}
    variables = dict((str(k).lower(), v) for k, v in (facts.get("variables") or {}).items())
    session = account.get("max_user_connections")
    if session is None:
        session = variables.get("max_user_connections")
    max_connections = account.get("max_connections", variables.get("max_connections"))
    session = _int(session, "facts.account.max_user_connections", 0) if session is not None else 0
    max_connections = _int(max_connections, "facts.variables.max_connections", 1)
    if session and session <= max_connections:
        return session, "max_user_connections of the account (session value)"
    if session:
        return max_connections, "max_connections (below the account's max_user_connections %d)" \
            % session
    return max_connections, "max_connections (the account has no max_user_connections cap)"


def cap_overrun_message(app, demand, cap, source, user):
    """The 1226 prediction: the arithmetic and the ways out."""
    web = "%d web hosts x %d processes x %d threads = %d" % (
        app["app_hosts"], app["processes_per_host"], app["threads_per_process"],
        web_demand(app))
    workers = "%d background workers x %d = %d" % (
        app["background_workers"], app["worker_concurrency"], worker_demand(app))
    return (
        "app %s: declared demand %s + %s = %d connections exceeds the cap of account %s, "
        "%d (%s): at peak connection %d gets error 1226 (User has exceeded the "
        "'max_user_connections' resource). Ways out: fewer processes/threads (demand <= %d); "
        "CONN_MAX_AGE 0, so connections equal the requests in flight instead of one per "
        "thread; a connection pooler (ProxySQL, MaxScale) between the apps and the server; "
        "or a higher cap from the provider. Set steadydb_accept_cap_overrun: true to render "
        "anyway (CONN_MAX_AGE is then 0)"
        % (app["name"], web, workers, demand, user, cap, source, cap + 1, cap))


def build_managed_plan(facts, demand, policy=None, extra_variables=None,
                       accept_cap_overrun=False):
    """The client-side plan for a managed server (docs/architecture.md, managed mode).

    ``facts``: mysql_facts with scope=account (or server). Same ``demand`` and ``policy``
    as ``build_plan``; server-side policy (wait_timeout, max_connections) and
    ``extra_variables`` are refused, since nothing on the server changes. The plan has no
    server variables, caps, memory budget or systemd part: ``server`` is empty, ``account``
    holds what was read. Demand above the account's cap raises PlanError with the
    arithmetic (error 1226 at peak), or with ``accept_cap_overrun`` warns and sets
    CONN_MAX_AGE 0 for that app (connections then follow the requests in flight).
    """
    d = normalize_demand(demand)
    p = normalize_policy(policy)
    if normalize_extra_variables(extra_variables):
        raise PlanError("extra_variables (mysql_tuning_extra_variables) set server variables; "
                        "managed mode changes nothing on the server, so they cannot be applied: "
                        "remove them or ask the provider")
    for key in MANAGED_REFUSED_POLICY:
        if p[key]:
            raise PlanError("%s=%d (steadydb_%s) sets the server; managed mode changes nothing "
                            "on the server and plans with the provider's value: remove it"
                            % (key, p[key], key))
    accept = _bool(accept_cap_overrun, "accept_cap_overrun")
    if not isinstance(facts, dict):
        raise PlanError("facts must be the dict mysql_facts returns (ansible_facts.mysql), got %r"
                        % (type(facts).__name__,))
    variables = dict((str(k).lower(), v) for k, v in (facts.get("variables") or {}).items())
    account = facts.get("account") if isinstance(facts.get("account"), dict) else {}
    wait_timeout = account.get("wait_timeout") or variables.get("wait_timeout")
    if wait_timeout is None:
        raise PlanError("facts.account.wait_timeout is missing: read the server with "
                        "mysql_facts scope=account as the app's account")
    wait_timeout = _int(wait_timeout, "facts.account.wait_timeout", 1, WAIT_TIMEOUT_LIMIT)
    cap, cap_source = account_cap(facts)
    user = "%s@%s" % (account.get("user") or "?", account.get("host") or "?")
    upstream = d["upstream_idle_timeout"]
    effective_idle = min(wait_timeout, upstream) if upstream else wait_timeout
    warnings = []
    connect_timeout = p["connect_timeout"]
    if connect_timeout > 10:
        warnings.append("connect_timeout=%d s: a dead or unreachable server then blocks every "
                        "worker that long; 2 to 10 s is the usual range" % connect_timeout)

    plan_apps, overrun, total = {}, [], 0
    net_read = _fact_int(variables, "net_read_timeout", required=False)
    net_write = _fact_int(variables, "net_write_timeout", required=False)
    for app in d["apps"]:
        name = app["name"]
        demand_i = app_demand(app)
        total += demand_i
        longest = longest_idle(app)
        if longest >= effective_idle:
            warnings.append(
                "app %s: its longest request/job %d s is not below the provider's idle timeout "
                "%d s: a connection idle that long inside one request/job is cut (2006) "
                "whatever CONN_MAX_AGE says; CONN_MAX_AGE is 0; call "
                "django.db.close_old_connections() inside long jobs"
                % (name, longest, effective_idle))
        conn_max_age, pool_recycle = client_max_ages(app, effective_idle, wait_timeout,
                                                     upstream, p["min_margin_seconds"])
        mine = account.get("user") is None or app["db_user"] == account.get("user")
        if not mine:
            warnings.append("app %s: its account %s is not the one the facts were read with (%s), "
                            "so its cap was not read; checked against %d, the login account's"
                            % (name, app["db_user"], user, cap))
        if demand_i > cap:
            message = cap_overrun_message(app, demand_i, cap, cap_source, user)
            if not accept:
                raise PlanError(message + "; rule: declared demand <= the account's cap")
            overrun.append(name)
            warnings.append(message.split(". Set steadydb_accept_cap_overrun")[0]
                            + "; accepted (steadydb_accept_cap_overrun), CONN_MAX_AGE is 0")
            if app["conn_max_age"] is None:
                conn_max_age = 0
        elif demand_i * (100 + d["headroom_percent"]) > cap * 100:
            warnings.append("app %s: demand %d leaves less than %d%% headroom below the cap %d "
                            "of %s: manage.py commands, cron jobs and a deploy's overlap share "
                            "that cap" % (name, demand_i, d["headroom_percent"], cap, user))
        timeout = client_timeout(app["longest_query_seconds"])
        options = {"connect_timeout": connect_timeout, "read_timeout": timeout,
                   "write_timeout": timeout}
        if net_write and net_write < max(NET_WRITE_FLOOR, timeout) or \
                net_read and net_read < NET_READ_FLOOR:
            warnings.append(
                "app %s: the provider's net_read_timeout=%s/net_write_timeout=%s s are below "
                "%d/%d s: a large result or statement is cut with error 2013 before the "
                "client's read_timeout %d s; split big queries, or add \"SET SESSION "
                "net_read_timeout=%d, net_write_timeout=%d\" to the app's init_command"
                % (name, net_read, net_write, NET_READ_FLOOR, max(NET_WRITE_FLOOR, timeout),
                   timeout, NET_READ_FLOOR, max(NET_WRITE_FLOOR, timeout)))
        plan_apps[name] = app_entry(app, demand_i, cap, effective_idle, longest,
                                    idle_margin(effective_idle, longest, p["min_margin_seconds"]),
                                    conn_max_age, pool_recycle, options)
        plan_apps[name]["cap_overrun"] = name in overrun
    return {
        "mode": "managed",
        "flavor": str(facts.get("flavor") or ""),
        "version": _version(facts),
        # Nothing to set on the server: the apply stages have nothing to do.
        "server": {"variables": {}, "dynamic": {}, "keep_if_present": [], "user_limits": []},
        "account": {"user": account.get("user"), "host": account.get("host"),
                    "max_user_connections": cap, "cap_source": cap_source,
                    "wait_timeout": wait_timeout,
                    "max_connections": _fact_int(variables, "max_connections", required=False)},
        "apps": plan_apps,
        "totals": {"demand": total, "reserve": 0, "headroom_percent": d["headroom_percent"],
                   "account_cap": cap, "cap_overrun": overrun,
                   "cap_overrun_accepted": bool(overrun) and accept,
                   "wait_timeout": wait_timeout, "effective_idle_timeout": effective_idle,
                   "upstream_idle_timeout": upstream},
        "warnings": warnings,
    }


def _exit_codes(value):
    """RestartPreventExitStatus as a list of codes (a number, a spaced string or a list)."""
    if isinstance(value, bool):
        raise PlanError("RestartPreventExitStatus is %r; use exit codes 1..255 separated by "
                        "spaces" % (value,))
    if isinstance(value, int):
        items = [value]
    elif isinstance(value, str):
        items = value.split()
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif value is None:
        items = []
    else:
        raise PlanError("RestartPreventExitStatus is %r; use exit codes 1..255 separated by "
                        "spaces" % (value,))
    codes = []
    for item in items:
        try:
            codes.append(_int(item, "RestartPreventExitStatus", 1, 255))
        except PlanError:
            raise PlanError("RestartPreventExitStatus is %r; use exit codes 1..255 separated "
                            "by spaces" % (value,))
    return codes


def check_unit_settings(settings, fallbacks=None):
    """The server unit's settings (``plan["systemd"]``), checked and complete.

    ``settings``: the plan's ``systemd`` part, possibly partial (a hand-written plan).
    ``fallbacks``: the user's values for the keys it leaves out (mysql_systemd_defaults),
    over UNIT_DEFAULTS. Returns every key of UNIT_DEFAULTS with ints as ints and
    RestartPreventExitStatus as spaced text; raises PlanError naming the key, its value
    and the rule. The rules: a restart policy that retries, RestartSec 1..600 (0 restarts
    in a tight loop), exit codes 1..255 and at least one unless Restart=on-abnormal (a
    config error would loop), a start limit that can trip (interval > burst x
    RestartSec), LimitNOFILE 1024..1048576, TimeoutStopSec 60..86400 (a clean InnoDB
    shutdown), OOMScoreAdjust -999..0 (-1000 exempts mysqld from the OOM killer and lets
    it take the machine down), app_OOMScoreAdjust 1..1000.
    """
    for where, given in (("the plan's systemd settings", settings),
                         ("mysql_systemd_defaults", fallbacks)):
        if given is not None and not isinstance(given, dict):
            raise PlanError("%s must be a dict, got %r" % (where, given))
        _check_keys(given or {}, UNIT_DEFAULTS, where)
    raw = dict(UNIT_DEFAULTS, **(fallbacks or {}))
    raw.update(settings or {})
    restart = raw["Restart"]
    if restart not in RESTART_CHOICES:
        raise PlanError("Restart is %r; use %s" % (restart, ", ".join(RESTART_CHOICES)))

    def whole(key, low, high, why=""):
        try:
            return _int(raw[key], key, low, high)
        except PlanError:
            raise PlanError("%s is %r; use %d..%d%s" % (key, raw[key], low, high, why))

    restart_sec = whole("RestartSec", 1, 600, " whole seconds (0 restarts in a tight loop)")
    codes = _exit_codes(raw["RestartPreventExitStatus"])
    if not codes and restart != "on-abnormal":
        raise PlanError("RestartPreventExitStatus is empty with Restart=%s; a config error "
                        "would make systemd restart the server in a loop" % restart)
    burst = whole("StartLimitBurst", 1, 100)
    interval = whole("StartLimitIntervalSec", 0, 86400)
    if interval <= burst * restart_sec:
        raise PlanError(
            "StartLimitIntervalSec is %d; it must be larger than StartLimitBurst x RestartSec "
            "= %d x %d (else the start limit never triggers and a crashing server restarts "
            "forever) and at most 86400" % (interval, burst, restart_sec))
    return {
        "Restart": restart,
        "RestartSec": restart_sec,
        "RestartPreventExitStatus": " ".join(str(code) for code in codes),
        "StartLimitIntervalSec": interval,
        "StartLimitBurst": burst,
        "LimitNOFILE": whole("LimitNOFILE", 1024, NOFILE_MAX),
        "TimeoutStopSec": whole("TimeoutStopSec", 60, 86400,
                                " seconds so that InnoDB can shut down cleanly"),
        "OOMScoreAdjust": whole("OOMScoreAdjust", -999, 0,
                                " (-1000 would exempt mysqld from the OOM killer entirely)"),
        "app_OOMScoreAdjust": whole("app_OOMScoreAdjust", 1, 1000),
    }
