# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read stage: what steadydb knows about a server, its host and its unit.

One login, a handful of queries, /proc and one ``systemctl show``; the result is
``ansible_facts.mysql`` (library/mysql_facts.py documents it) and the input of the plan.
mysql_facts returns it alone; mysql_plan, given no facts, reads them here and plans in the
same call, so the read and the plan cost one round trip to the host.
"""

import os
import re

from ansible.module_utils.steadydb.connection import connect, fail_on_error
from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.memory import effective_memory, read_process_memory
from ansible.module_utils.steadydb.policy import act_on
from ansible.module_utils.steadydb.plan import account_key
from ansible.module_utils.steadydb.units import normalize_variable, normalize_variables


# The counters the plan and the troubleshooting docs use; SHOW GLOBAL STATUS has ~500.
STATUS_COUNTERS = (
    "Uptime",
    "Threads_connected",
    "Threads_running",
    "Threads_cached",
    "Threads_created",
    "Max_used_connections",
    "Connections",
    "Aborted_clients",
    "Aborted_connects",
    "Connection_errors_accept",
    "Connection_errors_internal",
    "Connection_errors_max_connections",
    "Connection_errors_peer_address",
    "Connection_errors_select",
    "Open_files",
    "Open_tables",
    "Opened_tables",
)

# What scope=account reads: what an unprivileged account may see of its own limits.
ACCOUNT_VARIABLES = ("version", "version_comment", "max_user_connections", "wait_timeout",
                     "interactive_timeout", "net_read_timeout", "net_write_timeout",
                     "max_connections", "connect_timeout")

# Errors of a missing privilege: in scope=account the read is optional, never a failure.
# 1044 db access denied, 1142 table, 1143 column, 1227 needs SUPER/PROCESS/...
PRIVILEGE_ERRORS = frozenset((1044, 1142, 1143, 1227))

_VERSION_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)")

MEMINFO_FIELDS = {
    "MemTotal": "mem_total_bytes",
    "MemAvailable": "mem_available_bytes",
    "SwapTotal": "swap_total_bytes",
    "SwapFree": "swap_free_bytes",
}


def parse_version(full, version_comment=""):
    """Return (flavor, version dict) from @@version (and @@version_comment)."""
    match = _VERSION_RE.search(full)
    numbers = [int(part) for part in match.groups()] if match else []
    flavor = "mariadb" if "mariadb" in (full + " " + (version_comment or "")).lower() else "mysql"
    return flavor, {"full": full, "string": ".".join(str(n) for n in numbers), "tuple": numbers}


def parse_account(spec):
    """``'web@10.0.0.%'`` -> ('web', '10.0.0.%'); no ``@`` means host ``%``."""
    if "@" in spec:
        user, host = spec.rsplit("@", 1)
    else:
        user, host = spec, "%"
    # Quotes are how SQL writes accounts; people paste them into inventories.
    return user.strip().strip("'\"`"), host.strip().strip("'\"`")


def parse_meminfo(text):
    """Return the host dict from /proc/meminfo text (kB lines -> bytes)."""
    host = dict((key, None) for key in MEMINFO_FIELDS.values())
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in MEMINFO_FIELDS:
            fields = rest.split()
            if fields and fields[0].isdigit():
                unit = 1024 if len(fields) > 1 and fields[1].lower() == "kb" else 1
                host[MEMINFO_FIELDS[name]] = int(fields[0]) * unit
    return host


def read_host_memory(module, path="/proc/meminfo"):
    try:
        with open(path) as handle:
            return parse_meminfo(handle.read())
    except (IOError, OSError) as exc:
        module.warn("Cannot read %s (%s): host memory facts are null, so memory-based "
                    "planning has nothing to work with." % (path, exc))
        return parse_meminfo("")


def server_pid(pid_file):
    """The server's PID from its pid file, or None (remote server, no permission)."""
    try:
        with open(str(pid_file)) as handle:
            pid = handle.read().strip()
    except (IOError, OSError, TypeError):
        return None
    return int(pid) if pid.isdigit() and os.path.isdir("/proc/%s" % pid) else None


def read_memory_limits(module, pid_file):
    """Host memory plus the limit that binds the server's process (see notes)."""
    host = read_host_memory(module)
    pid = server_pid(pid_file)
    host.update(effective_memory(host, read_process_memory(pid)))
    host["limit_pid"] = pid or os.getpid()
    return host


def read_server_unit(module, server_pid_, target, candidates):
    """The server's unit (module_utils/steadydb/systemd.py) or None; never fails the module."""
    if not candidates or not systemd.systemd_running():
        return None
    try:
        unit = systemd.read_unit(
            lambda argv: module.run_command(argv, environ_update={"SYSTEMD_PAGER": "", "LC_ALL": "C"}),
            candidates=candidates)
    except systemd.SystemdError as exc:
        module.warn("%s; ansible_facts.mysql.unit is null." % exc)
        return None
    ours, why = systemd.serves_server(unit, server_pid_, target.host, target.unix_socket)
    if not ours:
        module.warn("Not reporting %s as the server's unit: %s." % (unit["name"], why))
        return None
    return unit


class FactReader(object):
    """Runs the handful of queries on one connection; fails the module with one sentence."""

    def __init__(self, module, conn, optional=False):
        self.module = module
        self.conn = conn
        self.target = conn.steadydb_target
        # scope=account: reads the account lacks the privilege for are skipped, not fatal.
        self.optional = optional
        self.unreadable = []

    def rows(self, action, sql, args=None):
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except Exception as exc:  # PyMySQL errors and dropped sockets alike
            code = exc.args[0] if getattr(exc, "args", None) else None
            if self.optional and code in PRIVILEGE_ERRORS:
                self.unreadable.append("%s: %s" % (action, exc))
                self.module.warn("Skipped %s: the login account lacks the privilege (%s); "
                                 "scope=account reads only what it may." % (action, exc))
                return None
            fail_on_error(self.module, exc, self.target, action)

    def account(self):
        """scope=account: the login account's own view (session values; no privilege)."""
        placeholders = ", ".join(["%s"] * len(ACCOUNT_VARIABLES))
        session = normalize_variables(self.rows(
            "reading SHOW SESSION VARIABLES",
            "SHOW SESSION VARIABLES WHERE Variable_name IN (%s)" % placeholders, ACCOUNT_VARIABLES))
        glob = normalize_variables(self.rows(
            "reading SHOW GLOBAL VARIABLES",
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)" % placeholders, ACCOUNT_VARIABLES))
        current = self.rows("reading CURRENT_USER()", "SELECT CURRENT_USER()")[0][0]
        user, host = parse_account(str(current))
        count = self.rows("reading the account's connections in information_schema.PROCESSLIST",
                          "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = %s",
                          (user,))
        return session, {
            "user": user, "host": host,
            "max_user_connections": session.get("max_user_connections"),
            "global_max_user_connections": glob.get("max_user_connections"),
            "wait_timeout": session.get("wait_timeout"),
            "global_wait_timeout": glob.get("wait_timeout"),
            "max_connections": glob.get("max_connections"),
            "connections_now": int(count[0][0]) if count else None,
        }

    def variables(self):
        return normalize_variables(self.rows("reading SHOW GLOBAL VARIABLES",
                                             "SHOW GLOBAL VARIABLES"))

    def status(self):
        placeholders = ", ".join(["%s"] * len(STATUS_COUNTERS))
        rows = self.rows("reading SHOW GLOBAL STATUS",
                         "SHOW GLOBAL STATUS WHERE Variable_name IN (%s)" % placeholders,
                         STATUS_COUNTERS) or ()
        # The server echoes names in its own case; report them in the documented case.
        wanted = dict((name.lower(), name) for name in STATUS_COUNTERS)
        return dict((wanted[name.lower()], normalize_variable(name, value))
                    for name, value in rows if name.lower() in wanted)

    def accounts(self, specs, on_missing):
        if not specs:
            return {}
        wanted = [(spec, ) + parse_account(spec) for spec in specs]
        condition = " OR ".join(["(User = %s AND LOWER(Host) = %s)"] * len(wanted))
        args = [part for _, user, host in wanted for part in account_key(user, host)]
        rows = self.rows(
            "reading mysql.user (the login user needs SELECT on mysql.user for the accounts option)",
            "SELECT User, Host, max_user_connections FROM mysql.user WHERE " + condition, args)
        if rows is None:  # scope=account without the privilege: unknown, not missing
            return dict((spec, {"user": user, "host": host, "exists": None,
                                "max_user_connections": None}) for spec, user, host in wanted)
        found = dict((account_key(user, host), int(limit)) for user, host, limit in rows)
        accounts, missing = {}, []
        for spec, user, host in wanted:
            limit = found.get(account_key(user, host))
            accounts[spec] = {"user": user, "host": host, "exists": limit is not None,
                              "max_user_connections": limit}
            if limit is None:
                missing.append("'%s'@'%s'" % (user, host))
        if missing:
            msg = ("Account%s %s do%s not exist on the server at %s" % (
                "s" if len(missing) > 1 else "", ", ".join(missing),
                "" if len(missing) > 1 else "es", self.target.where()))
            act_on(on_missing, msg,
                   lambda text: self.module.fail_json(
                       msg=text + ": create it, or fix the user@host spelling in accounts."),
                   lambda text: self.module.warn(text + "; reported with exists=false."))
        return accounts


def close_quietly(conn):
    try:
        conn.close()
    except Exception:  # already dropped by the server; nothing left to release
        pass


def read_account_facts(reader, accounts, on_missing_account):
    """scope=account: the login account's limits and the version; the rest where allowed."""
    variables, account = reader.account()
    flavor, version = parse_version(str(variables.get("version", "")),
                                    str(variables.get("version_comment", "")))
    facts = {
        "scope": "account",
        "flavor": flavor,
        "version": version,
        # The session values: what this account's connections get (init_connect included).
        "variables": variables,
        "status": reader.status(),
        "accounts": reader.accounts(accounts, on_missing_account),
        "account": account,
        # Not this machine's business: the server runs elsewhere (the provider's).
        "host": {},
        "unit": None,
    }
    account["unreadable"] = reader.unreadable
    return facts


def read_facts(module, scope="server", accounts=(), on_missing_account="warn",
               unit_candidates=systemd.DEFAULT_CANDIDATES):
    """``ansible_facts.mysql`` (library/mysql_facts.py documents each key) of the server
    module's login options reach; fails the module with one sentence when it cannot be read.

    scope ``account`` reads only what an unprivileged account may see (managed mode)."""
    conn = connect(module)
    try:
        if scope == "account":
            return read_account_facts(FactReader(module, conn, optional=True), list(accounts),
                                      on_missing_account)
        reader = FactReader(module, conn)
        variables = reader.variables()
        flavor, version = parse_version(str(variables.get("version", "")),
                                        str(variables.get("version_comment", "")))
        return {
            "flavor": flavor,
            "version": version,
            "variables": variables,
            "status": reader.status(),
            "accounts": reader.accounts(list(accounts), on_missing_account),
            "scope": "server",
            "account": None,
            "host": read_memory_limits(module, variables.get("pid_file")),
            "unit": read_server_unit(module, server_pid(variables.get("pid_file")),
                                     conn.steadydb_target, list(unit_candidates)),
        }
    finally:
        close_quietly(conn)
