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
    (typed), a few connection-related status
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
  on_missing_account:
    description:
      - What to do when an account in O(accounts) does not exist; it is reported with
        C(exists=false) in any case.
      - V(warn) (a first run can plan accounts that a later task creates) warns, V(fail)
        fails the task, V(ignore) only reports it.
      - Replaces the boolean C(fail_on_missing_account) of steadydb 0.2 (V(true) is V(fail)).
    type: str
    choices: [fail, warn, ignore]
    default: warn
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
  - steadydb_login
  - steadydb_shared.read_only
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only (C(SELECT) and C(SHOW) statements, C(/proc), C(systemctl show)); the same in check mode.
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
    on_missing_account: fail

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
              C(max_connections) and C(connect_timeout); C(host) is empty and C(unit)
              is null.
          type: dict
          returned: always
          sample: {max_connections: 151, wait_timeout: 28800, autocommit: true, sql_mode: "STRICT_TRANS_TABLES"}
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.connection import login_argument_spec
from ansible.module_utils.steadydb.facts import read_facts
from ansible.module_utils.steadydb.policy import policy_option
from ansible.module_utils.steadydb.systemd import DEFAULT_CANDIDATES


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(
        accounts=dict(type="list", elements="str", default=[]),
        on_missing_account=policy_option("warn"),
        unit_candidates=dict(type="list", elements="str", default=list(DEFAULT_CANDIDATES)),
        scope=dict(type="str", choices=["server", "account"], default="server"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    facts = read_facts(module, params["scope"], params["accounts"],
                       params["on_missing_account"], params["unit_candidates"])
    module.exit_json(changed=False, ansible_facts={"mysql": facts})


if __name__ == "__main__":
    main()
