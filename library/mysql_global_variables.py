#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_global_variables
short_description: Set many GLOBAL server variables in one task and one connection
description:
  - Reads what the server knows about every variable named in O(variables) (type, range,
    allowed values, whether it can change at runtime), checks all of them first, and
    only then runs C(SET GLOBAL) for those whose value differs. A bad name, type or range
    fails the task before anything is set.
  - Values are compared normalised (C(64M) equals C(67108864), C(on) equals C(ON) and
    C(1), enums and sets case-insensitively), so a rerun reports C(changed=false).
  - Variables that cannot change at runtime (read-only, for example C(open_files_limit)
    or C(back_log)) are not an error. They are reported in RV(pending_restart) and
    RV(restart_required) becomes true. Write them to an option file (M(steadydb.mysql.mysql_option_file))
    and restart the server.
  - If a C(SET GLOBAL) fails half-way, the variables already set in this task are set
    back to their previous values before the task fails.
  - Values of variables whose names look secret (C(*password*), C(*_auth), C(*_key),
    C(*secret*), C(*token*)) and those listed in O(secret_variables) are never shown.
  - When the server itself masks a value (MariaDB shows a set C(wsrep_sst_auth) as
    C(********)), whether it already is the desired value cannot be known. By default
    (O(update_masked=when_unset)) such a variable is set only while the server shows it
    empty; once set it is left alone, not reported changed, and listed in
    RV(unverified). A new value (a rotated password) therefore needs
    O(update_masked=always) for that run. Setting it to an empty value is always
    checked and applied, because the server shows an empty value unmasked.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  variables:
    description:
      - Variable name (C(max_connections) or C(max-connections)) to desired value.
      - Numbers may use the size suffixes K, M, G, T (powers of 1024); booleans may be
        C(true)/C(false) or C(ON)/C(OFF).
    type: dict
    required: true
  persist:
    description:
      - MySQL 8 only. Use C(SET PERSIST) (and C(SET PERSIST_ONLY) for read-only
        variables) so the values survive a restart in C(mysqld-auto.cnf).
      - A variable whose runtime value is already right but whose persisted value
        (C(performance_schema.persisted_variables)) is another one is persisted again;
        the server reads C(mysqld-auto.cnf) after every option file, so a stale persisted
        value would replace the drop-in's at the next start. The values persisted are the
        ones C(SET GLOBAL) would use, which mean what M(steadydb.mysql.mysql_option_file) writes in the
        drop-in for the same O(variables).
      - With V(false), on MySQL, a persisted value that differs from O(variables) is a
        warning naming C(RESET PERSIST name).
      - MariaDB has no C(SET PERSIST); setting this to true there fails. On MariaDB the
        option file drop-in is the persistence.
    type: bool
    default: false
  secret_variables:
    description:
      - Further variable names whose values must never be printed.
    type: list
    elements: str
    default: []
  update_masked:
    description:
      - What to do with a variable whose value the server masks (shows as C(********)),
        so that it cannot be compared with the desired value.
      - C(when_unset) sets it only while the server shows no value, and otherwise leaves
        it as it is (listed in RV(unverified), not changed). Reruns report
        C(changed=false).
      - C(always) sets it on every run and reports changed every time, because nothing
        can show that it already had the value. Use it for the run that changes the
        value.
    type: str
    choices: [when_unset, always]
    default: when_unset
extends_documentation_fragment:
  - steadydb_login
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is set or persisted; the result says what would change.
  diff_mode:
    support: full
    details: One C(name = value) line per changed variable, before and after (a read-only
      variable is marked as needing a restart, a value to persist again as persisted);
      secret values are masked.
notes:
  - On MariaDB types, ranges and read-only flags come from
    C(information_schema.SYSTEM_VARIABLES); on MySQL ranges come from
    C(performance_schema.variables_info) and read-only variables are recognised by the
    server's refusal (error 1238).
  - A value the server clamps (a warning "Truncated incorrect ... value") counts as out
    of range. The variable is set back and the task fails.
'''

EXAMPLES = r'''
- name: Apply the planned connection settings live
  mysql_global_variables:
    login_unix_socket: /run/mysqld/mysqld.sock
    variables:
      max_connections: 300
      wait_timeout: 600
      thread_cache_size: 64
      innodb_buffer_pool_size: 1G
  register: live

- name: Restart when something could not be set at runtime
  ansible.builtin.debug:
    msg: "restart needed for {{ live.pending_restart | list | join(', ') }}"
  when: live.restart_required
'''

RETURN = r'''
applied:
  description: Variables set by this task (or that would be, in check mode).
  type: list
  elements: str
  returned: always
  sample: [max_connections, wait_timeout]
restart_required:
  description: True when a read-only variable differs from the desired value.
  type: bool
  returned: always
pending_restart:
  description: Read-only variables that differ, with the running and the desired value.
  type: dict
  returned: always
  sample: {open_files_limit: {current: 10000, desired: 16384}}
values:
  description: The value of every variable in O(variables) on the server after the task
    (secrets masked).
  type: dict
  returned: always
  sample: {max_connections: 300, wait_timeout: 600}
adjusted:
  description: Variables the server set to a different value than asked (for example
    innodb_buffer_pool_size rounded to a whole chunk); also reported as a warning.
  type: dict
  returned: always
flavor:
  description: C(mariadb) or C(mysql).
  type: str
  returned: always
version:
  description: The server version, for example C(10.11.6).
  type: str
  returned: always
unverified:
  description: Variables whose value the server masks, so the module could not check that
    they have the desired value (left as they were with O(update_masked=when_unset), set
    without a read-back check with O(update_masked=always)).
  type: list
  elements: str
  returned: always
  sample: [wsrep_sst_auth]
persisted:
  description: On MySQL, the values C(mysqld-auto.cnf) held for O(variables) before the
    task (SET PERSIST), which the server uses at its next start. Empty on MariaDB.
  type: dict
  returned: always
  sample: {max_connections: "77"}
server_start_epoch:
  description: When the running server started (UNIX time, from C(Uptime)); compare it
    with an option file's mtime to know whether the server has read that file.
  type: int
  returned: always
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.connection import login_argument_spec
from ansible.module_utils.steadydb.global_variables import run


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(
        variables=dict(type="dict", required=True),
        persist=dict(type="bool", default=False),
        secret_variables=dict(type="list", elements="str", default=[], no_log=False),
        update_masked=dict(type="str", default="when_unset", choices=["when_unset", "always"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
