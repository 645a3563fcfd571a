#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: mysql_facts
short_description: Read what steadydb needs to know about a MySQL/MariaDB server and its host
description:
  - Logs in once and reads the server flavor and version, every global system variable
    (typed), which of them can be changed at runtime, a few connection-related status
    counters, the connection limits of chosen accounts, and the memory of the host the
    module runs on.
  - Returns everything as C(ansible_facts.mysql), the input of the C(mysql_plan) module.
  - Read-only; the same in check mode.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  accounts:
    description:
      - Accounts to report in RV(ansible_facts.mysql.accounts), as C(user@host) strings
        (C(web@%), C(web@10.0.0.%), C(root@localhost)).
      - The host part is everything after the last C(@); without one it is C(%), as in
        C(CREATE USER 'web').
      - Needs C(SELECT) on C(mysql.user).
    type: list
    elements: str
    default: []
  fail_on_missing_account:
    description:
      - What to do when an account in O(accounts) does not exist.
      - V(false) reports it with C(exists=false) and a warning, so a first run can plan
        accounts that a later task creates; V(true) fails the task.
    type: bool
    default: false
  scope:
    description:
      - What to read.
      - V(server) reads everything above; the login needs C(SELECT) on C(mysql.user) for
        O(accounts) and should run on the database host for RV(ansible_facts.mysql.host)
        and RV(ansible_facts.mysql.unit).
      - "V(account) reads only what an unprivileged account can see, for a managed database
        (a hosting provider's server, steadydb managed mode). It reads the session values of
        C(max_user_connections) (the account's own cap when it has one, else the global
        value, on MariaDB and MySQL alike), C(wait_timeout), C(interactive_timeout),
        C(net_read_timeout), C(net_write_timeout), and C(max_connections), the version and
        the account from C(SELECT CURRENT_USER), reported in RV(ansible_facts.mysql.account). Status counters,
        the own connections in C(information_schema.PROCESSLIST) and O(accounts) are read
        when the account may; a missing privilege (errors 1142, 1143, 1227, 1044) leaves
        them empty with a warning instead of failing. Host memory and the unit are not
        read (the server is not this machine)."
    type: str
    choices: [server, account]
    default: server
  unit_candidates:
    description:
      - systemd units to look for, in order, to report the server's unit in
        RV(ansible_facts.mysql.unit) (the first loaded one; aliases resolve to the real
        name). An empty list skips it.
    type: list
    elements: str
    default: [mariadb.service, mysql.service, mysqld.service]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - steadydb_login
attributes:
  check_mode:
    support: full
    details: Read-only (C(SELECT) and C(SHOW) statements, C(/proc), C(systemctl show)); the same in check mode.
  diff_mode:
    support: none
    details: Changes nothing, so there is no diff.
  platform:
    support: partial
    platforms: posix
    details:
      - The server facts are read with PyMySQL on any POSIX host that reaches the server.
      - RV(ansible_facts.mysql.host) needs Linux (C(/proc/meminfo), cgroup limits); elsewhere
        its memory figures are null, with a warning.
      - RV(ansible_facts.mysql.unit) needs systemd as the service manager; without it the
        unit is null.
notes:
  - "Variables are typed by their printed value: integers become int, C(ON)/C(OFF)
    become bool, everything else stays str (decimals such as C(long_query_time) too)."
  - "C(dynamic): on MariaDB it comes from the C(READ_ONLY) column of
    C(information_schema.SYSTEM_VARIABLES). MySQL has no such column (neither
    C(performance_schema.variables_info) nor C(global_variables) says whether
    C(SET GLOBAL) works), so on MySQL, and on MariaDB older than 10.1, a list
    maintained in this module of variables known to be read-only decides, and every
    other variable is reported as dynamic. A wrong C(true) costs a C(SET GLOBAL) that
    fails with error 1238, which the tuning modules report; it never changes a setting."
  - "C(host) describes the machine the module runs on, read from C(/proc/meminfo),
    and the memory the server process may really use: the smallest of C(MemTotal) and
    every cgroup memory limit from the server's cgroup up to the root (cgroup v1
    C(memory.limit_in_bytes), cgroup v2 C(memory.max); a systemd unit's C(MemoryMax=)
    is its cgroup's limit). The server's process is found through C(@@pid_file); when
    that file cannot be read (a remote server) the module's own process stands in.
    Run the module on the database host (the default for C(login_host=localhost)) when
    the memory figures matter."
  - "C(unit) is read with one C(systemctl show) on the host the module runs on, and
    reported only when it is the server's: its C(MainPID) is the PID in C(@@pid_file),
    or, when that file cannot be read, the login went to this host (unix socket or
    loopback). Otherwise, or without systemd, it is null."
seealso:
  - name: MariaDB information_schema.SYSTEM_VARIABLES
    description: Where the dynamic flag comes from on MariaDB.
    link: https://mariadb.com/kb/en/information-schema-system_variables-table/
'''

EXAMPLES = r'''
- name: Read the server and host facts (root through the local unix socket)
  mysql_facts:
  become: true

- name: Show the connection limit and the current peak
  ansible.builtin.debug:
    msg: "{{ ansible_facts.mysql.variables.max_connections }} allowed,
          {{ ansible_facts.mysql.status.Max_used_connections }} used at most"

- name: Read the facts over TCP, including two application accounts
  mysql_facts:
    login_host: 127.0.0.1
    login_user: steadydb
    login_password: "{{ vault_steadydb_password }}"
    accounts:
      - web@%
      - logger@10.0.0.%
    fail_on_missing_account: true

- name: Read a managed database as the app's own account, over TCP with TLS
  mysql_facts:
    scope: account
    login_host: db.provider.example
    login_user: app
    login_password: "{{ app_db_password }}"
    ca_cert: /etc/ssl/certs/provider-ca.pem
    check_hostname: true
  delegate_to: localhost

- name: Use credentials from another option file
  mysql_facts:
    config_file: /etc/mysql/debian.cnf
  become: true
'''

RETURN = r'''
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    mysql:
      description: What steadydb knows about the server and its host.
      returned: always
      type: dict
      contains:
        flavor:
          description: C(mariadb) or C(mysql) (Percona Server and other MySQL builds are C(mysql)).
          type: str
          returned: always
          sample: mariadb
        version:
          description: The server version as printed, as C(X.Y.Z), and as a list of ints.
          type: dict
          returned: always
          sample: {full: "10.11.6-MariaDB-0+deb12u1", string: "10.11.6", tuple: [10, 11, 6]}
        variables:
          description:
            - Every global system variable (C(SHOW GLOBAL VARIABLES)), names lower-case;
              integers as int, C(ON)/C(OFF) as bool, the rest as str.
            - With O(scope=account), only the session values of C(version),
              C(version_comment), C(max_user_connections), C(wait_timeout),
              C(interactive_timeout), C(net_read_timeout), C(net_write_timeout),
              C(max_connections) and C(connect_timeout); C(dynamic) is empty, C(host) is
              empty and C(unit) is null.
          type: dict
          returned: always
          sample: {max_connections: 151, wait_timeout: 28800, autocommit: true, sql_mode: "STRICT_TRANS_TABLES"}
        dynamic:
          description:
            - For every key of RV(ansible_facts.mysql.variables), whether C(SET GLOBAL)
              can change it at runtime (see the notes for how this is decided).
          type: dict
          returned: always
          sample: {max_connections: true, open_files_limit: false}
        dynamic_source:
          description:
            - Where RV(ansible_facts.mysql.dynamic) came from, C(information_schema)
              or C(builtin_list).
          type: str
          returned: always
          sample: information_schema
        status:
          description:
            - Connection-related counters of C(SHOW GLOBAL STATUS), as int. A counter the
              server does not have is left out.
          type: dict
          returned: always
          sample: {Uptime: 12, Threads_connected: 1, Threads_running: 1, Threads_cached: 0,
                   Threads_created: 3, Max_used_connections: 3, Connections: 10,
                   Aborted_clients: 0, Aborted_connects: 0,
                   Connection_errors_max_connections: 0, Open_files: 20,
                   Open_tables: 30, Opened_tables: 40}
        scope:
          description: The O(scope) the facts were read with.
          type: str
          returned: always
          sample: account
        account:
          description:
            - The login account as the server sees it, with O(scope=account) (null with
              V(server)). C(max_user_connections) is the session value, the cap this
              account's connections count against (0 = none, C(max_connections) binds);
              C(wait_timeout) the idle timeout its connections get; C(connections_now)
              its connections open at the time of reading (this one included), null when
              not readable; C(unreadable) what the account could not read.
          type: dict
          returned: always
          sample: {user: app, host: "%", max_user_connections: 10, global_max_user_connections: 0,
                   wait_timeout: 300, max_connections: 151, connections_now: 1,
                   unreadable: ["accounts (mysql.user): (1142, ...)"]}
        accounts:
          description:
            - One entry per O(accounts) item, keyed by the string as given.
            - C(max_user_connections) is the account's own limit (0 means the global
              C(max_user_connections) applies); null when the account does not exist.
          type: dict
          returned: always
          sample: {"web@%": {user: web, host: "%", exists: true, max_user_connections: 0}}
        host:
          description:
            - Memory of the host the module runs on, in bytes, from C(/proc/meminfo);
              values are null where it cannot be read.
            - C(mem_limit_bytes) is what the server may use (C(MemTotal) or a lower
              cgroup limit), C(mem_limit_source) says which won ("MemTotal", or the
              cgroup file and its directory), C(swap_limit_bytes) is swap the same way,
              C(limit_pid) the process whose cgroup was read.
          type: dict
          returned: always
          sample: {mem_total_bytes: 25184309248, mem_available_bytes: 23190272000,
                   swap_total_bytes: 0, swap_free_bytes: 0, mem_limit_bytes: 1073741824,
                   mem_limit_source: "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory)",
                   swap_limit_bytes: 0, limit_pid: 812}
        unit:
          description:
            - The server's systemd unit (see notes), null when there is none or it cannot
              be told apart. C(name) is what to restart and where drop-ins go.
            - C(process) is what the running server really has (C(/proc/MAINPID)). Its
              C(oom_score_adj) and open files limit can differ from the unit's
              C(oom_score_adj) and C(nofile) where the kernel refused them.
          type: dict
          returned: always
          sample: {name: mariadb.service, active_state: active, main_pid: 4242,
                   nofile: {soft: 32768, hard: 32768}, oom_score_adj: -600,
                   process: {pid: 4242, nofile: {soft: 32768, hard: 32768}, oom_score_adj: -600},
                   manager: {nofile: {soft: 1024, hard: 524288}},
                   fragment_path: /lib/systemd/system/mariadb.service,
                   dropin_paths: [/etc/systemd/system/mariadb.service.d/50-steadydb.conf],
                   names: [mariadb.service, mysql.service, mysqld.service],
                   load_state: loaded, properties: {Restart: on-failure}}
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.connection import (
    connect,
    fail_on_error,
    login_argument_spec,
)
from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.memory import effective_memory, read_process_memory
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

# Variables SET GLOBAL cannot change on MySQL 8.0/8.4 (and MariaDB < 10.1), for servers
# without information_schema.SYSTEM_VARIABLES. Keep it to variables that are read-only
# on every supported version: a name missing here is reported as dynamic.
READ_ONLY_VARIABLES = frozenset((
    "admin_address", "admin_port", "auto_generate_certs", "back_log", "basedir",
    "bind_address", "character_set_system", "character_sets_dir", "core_file", "datadir",
    "default_authentication_plugin", "disabled_storage_engines", "ft_max_word_len",
    "ft_min_word_len", "ft_query_expansion_limit", "ft_stopword_file", "hostname", "init_file",
    "innodb_autoinc_lock_mode", "innodb_buffer_pool_chunk_size", "innodb_buffer_pool_instances",
    "innodb_data_file_path", "innodb_data_home_dir", "innodb_doublewrite_dir",
    "innodb_flush_method", "innodb_force_recovery", "innodb_ft_cache_size",
    "innodb_ft_max_token_size", "innodb_ft_min_token_size", "innodb_ft_sort_pll_degree",
    "innodb_ft_total_cache_size", "innodb_log_file_size", "innodb_log_files_in_group",
    "innodb_log_group_home_dir", "innodb_numa_interleave", "innodb_page_cleaners",
    "innodb_page_size", "innodb_read_io_threads", "innodb_rollback_on_timeout",
    "innodb_sort_buffer_size", "innodb_temp_data_file_path", "innodb_temp_tablespaces_dir",
    "innodb_undo_directory", "innodb_use_native_aio", "innodb_write_io_threads",
    "large_files_support", "large_page_size", "large_pages", "lc_messages_dir", "license",
    "locked_in_memory", "log_bin", "log_bin_basename", "log_bin_index", "log_error",
    "log_replica_updates", "log_slave_updates", "lower_case_file_system",
    "lower_case_table_names", "max_digest_length", "myisam_recover_options", "named_pipe",
    "open_files_limit", "persisted_globals_load", "pid_file", "plugin_dir", "port",
    "protocol_version", "relay_log", "relay_log_basename", "relay_log_index",
    "relay_log_recovery", "report_host", "report_password", "report_port", "report_user",
    "secure_file_priv", "server_uuid", "shared_memory", "shared_memory_base_name",
    "skip_external_locking", "skip_name_resolve", "skip_networking", "skip_show_database",
    "socket", "system_time_zone", "table_open_cache_instances", "thread_handling",
    "thread_stack", "tmpdir", "version", "version_comment", "version_compile_machine",
    "version_compile_os", "version_compile_zlib",
))
# Whole families that are read-only: have_* (build features), performance_schema_*
# sizing, version_* strings.
READ_ONLY_PREFIXES = ("have_", "performance_schema", "version")

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


def builtin_dynamic(names):
    """The dynamic map from READ_ONLY_VARIABLES, for servers that cannot say themselves."""
    return dict((name, not (name in READ_ONLY_VARIABLES or name.startswith(READ_ONLY_PREFIXES)))
                for name in names)


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


def read_server_unit(module, server_pid_, target):
    """The server's unit (module_utils/steadydb/systemd.py) or None; never fails the module."""
    candidates = module.params["unit_candidates"]
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

    def dynamic(self, flavor, names):
        """(dynamic map, source) for the variable names SHOW GLOBAL VARIABLES returned."""
        if flavor == "mariadb":
            try:
                with self.conn.cursor() as cursor:
                    cursor.execute("SELECT VARIABLE_NAME, READ_ONLY "
                                   "FROM information_schema.SYSTEM_VARIABLES")
                    read_only = dict((str(name).lower(), str(flag).upper() == "YES")
                                     for name, flag in cursor.fetchall())
            except Exception as exc:
                # MariaDB < 10.1 has no such table; anything else wrong with the
                # connection fails the next query with a proper message anyway.
                self.module.warn("information_schema.SYSTEM_VARIABLES is not readable (%s): "
                                 "the dynamic map comes from steadydb's built-in list." % (exc,))
            else:
                builtin = builtin_dynamic(names)
                return dict((name, not read_only[name]) if name in read_only
                            else (name, builtin[name]) for name in names), "information_schema"
        return builtin_dynamic(names), "builtin_list"

    def accounts(self, specs, fail_on_missing):
        if not specs:
            return {}
        wanted = [(spec, ) + parse_account(spec) for spec in specs]
        condition = " OR ".join(["(User = %s AND Host = %s)"] * len(wanted))
        args = [part for _, user, host in wanted for part in (user, host)]
        rows = self.rows(
            "reading mysql.user (the login user needs SELECT on mysql.user for the accounts option)",
            "SELECT User, Host, max_user_connections FROM mysql.user WHERE " + condition, args)
        if rows is None:  # scope=account without the privilege: unknown, not missing
            return dict((spec, {"user": user, "host": host, "exists": None,
                                "max_user_connections": None}) for spec, user, host in wanted)
        found = dict(((user, host.lower()), int(limit)) for user, host, limit in rows)
        accounts, missing = {}, []
        for spec, user, host in wanted:
            limit = found.get((user, host.lower()))
            accounts[spec] = {"user": user, "host": host, "exists": limit is not None,
                              "max_user_connections": limit}
            if limit is None:
                missing.append("'%s'@'%s'" % (user, host))
        if missing:
            msg = ("Account%s %s do%s not exist on the server at %s" % (
                "s" if len(missing) > 1 else "", ", ".join(missing),
                "" if len(missing) > 1 else "es", self.target.where()))
            if fail_on_missing:
                self.module.fail_json(msg=msg + ": create it, or fix the user@host spelling in "
                                                "accounts (the host part must match exactly).")
            self.module.warn(msg + "; reported with exists=false.")
        return accounts


def close_quietly(conn):
    try:
        conn.close()
    except Exception:  # already dropped by the server; nothing left to release
        pass


def read_account_facts(module, reader):
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
        "dynamic": {},
        "dynamic_source": "none",
        "status": reader.status(),
        "accounts": reader.accounts(module.params["accounts"],
                                    module.params["fail_on_missing_account"]),
        "account": account,
        # Not this machine's business: the server runs elsewhere (the provider's).
        "host": {},
        "unit": None,
    }
    account["unreadable"] = reader.unreadable
    return facts


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(
        accounts=dict(type="list", elements="str", default=[]),
        fail_on_missing_account=dict(type="bool", default=False),
        unit_candidates=dict(type="list", elements="str", default=list(systemd.DEFAULT_CANDIDATES)),
        scope=dict(type="str", choices=["server", "account"], default="server"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    conn = connect(module)
    if module.params["scope"] == "account":
        try:
            facts = read_account_facts(module, FactReader(module, conn, optional=True))
        finally:
            close_quietly(conn)
        module.exit_json(changed=False, ansible_facts={"mysql": facts})
    try:
        reader = FactReader(module, conn)
        variables = reader.variables()
        flavor, version = parse_version(str(variables.get("version", "")),
                                        str(variables.get("version_comment", "")))
        dynamic, dynamic_source = reader.dynamic(flavor, list(variables))
        facts = {
            "flavor": flavor,
            "version": version,
            "variables": variables,
            "dynamic": dynamic,
            "dynamic_source": dynamic_source,
            "status": reader.status(),
            "accounts": reader.accounts(module.params["accounts"],
                                        module.params["fail_on_missing_account"]),
            "scope": "server",
            "account": None,
            "host": read_memory_limits(module, variables.get("pid_file")),
            "unit": read_server_unit(module, server_pid(variables.get("pid_file")),
                                     conn.steadydb_target),
        }
    finally:
        close_quietly(conn)

    module.exit_json(changed=False, ansible_facts={"mysql": facts})


if __name__ == "__main__":
    main()
