#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_server_apply
short_description: Apply the server part of a steadydb plan in one task (drop-in, caps, runtime variables)
description:
  - The server stage of the role C(mysql_tuning) as one module run, so one round trip to
    the host, over one connection to the server.
  - First the read-only checks, which fail with the drop-in and the server untouched
    (O(preflight)). Every value against the running server (unknown name, type, range,
    session-only, as M(steadydb.mysql.mysql_global_variables)); the login's grants for
    what will change (C(SET GLOBAL) when a runtime value differs, C(ALTER USER) when
    O(accounts) is not empty, as M(steadydb.mysql.mysql_login_check)); the accounts of
    O(accounts) that do not exist (O(on_missing_account), as M(steadydb.mysql.mysql_user_limits)).
  - Then the exclusive drop-in O(path), as M(steadydb.mysql.mysql_option_file) with
    C(exclusive=true) writes it. The candidate is checked before the live file changes
    (overrides by files read later, O(on_override); the server binary's own
    validation, O(validate)), and a refused candidate fails with the file untouched.
  - Then the per-account caps (C(ALTER USER ... WITH MAX_USER_CONNECTIONS)), then the
    runtime variables (C(SET GLOBAL), or C(SET PERSIST) with O(persist)); a refused
    C(SET) sets back what this run already set.
  - Any failure after the drop-in changed (setting its owner, group or mode included)
    puts the previous drop-in back (its bytes, mode, owner and modification time) or
    removes the drop-in this run created, and fails with the original error plus what was
    put back.
  - Last, whether the server must restart (RV(restart_due)), with the rule of
    M(steadydb.mysql.mysql_restart_due). Restarting is left to the caller.
version_added: "0.2.0"
author:
  - steadydb contributors (@steadydb)
options:
  variables:
    description:
      - Variable name to value, written to the drop-in and set at runtime (the plan's
        C(server.variables)).
    type: dict
    required: true
  path:
    description: The drop-in; with O(directories), only its file name.
    type: path
    required: true
  directories:
    description: Candidate directories for O(path), the first existing one is used (as in
      M(steadydb.mysql.mysql_option_file)).
    type: list
    elements: path
  section:
    description: The section of the drop-in the options go to.
    type: str
    default: mysqld
  keep:
    description: Options of O(section) left as they are when O(variables) does not name
      them (the plan's C(server.keep_if_present)).
    type: list
    elements: str
    default: []
  header:
    description: Comment written at the top of a drop-in this module creates.
    type: str
  backup:
    description: Keep a copy of the previous drop-in (C(<path>.<pid>.<timestamp>~)). The
      rollback does not need it; it keeps the previous content in memory.
    type: bool
    default: false
  on_override:
    description: What to do when a file read after the drop-in sets one of its options to
      another value, or the server does not read the drop-in (as in
      M(steadydb.mysql.mysql_option_file)).
    type: str
    choices: [fail, warn, ignore]
    default: fail
    aliases: [check_overrides]
  validate:
    description: Check the candidate configuration with the server binary before writing.
    type: bool
    default: true
  server_binary:
    description: The server binary for O(validate); found on the PATH and in the usual
      directories when unset.
    type: path
  defaults_file:
    description: Read only this top-level option file (and what it includes) to find
      overrides and to validate, instead of the server's default search order.
    type: path
  datadir:
    description: The server's data directory (where Oracle MySQL keeps C(mysqld-auto.cnf)).
    type: path
  lock_timeout:
    description: Seconds to wait for another run editing a file in the drop-in's directory.
    type: int
    default: 60
  persist:
    description: MySQL 8 only, C(SET PERSIST) the runtime values (and the drop-in's check
      treats the persisted values as about to be replaced). Fails on MariaDB.
    type: bool
    default: false
  preflight:
    description: Run the read-only checks of the server (values, grants, accounts) before
      the drop-in is written. V(false) leaves a bad value to the server binary's
      validation of the drop-in, or to C(SET GLOBAL) (the drop-in is then put back).
    type: bool
    default: true
  apply_live:
    description: Set the variables that can change at runtime.
    type: bool
    default: true
  secret_variables:
    description: Further variable names whose values must never be printed.
    type: list
    elements: str
    default: []
  update_masked:
    description: A variable whose value the server masks (as in
      M(steadydb.mysql.mysql_global_variables)).
    type: str
    choices: [when_unset, always]
    default: when_unset
extends_documentation_fragment:
  - files
  - steadydb_login
  - steadydb_shared.accounts
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Every read-only check runs (values, grants, accounts, the drop-in's override check
        and the server binary's validation on a temporary copy), so C(--check) fails where
        the real run would; nothing is written, altered or set.
  diff_mode:
    support: full
    details: The drop-in before and after, one C(name = value) line per runtime variable
      and one line per account cap that changes.
  platform:
    support: full
    platforms: posix
    details: Runs on the database host (it writes the drop-in there); needs PyMySQL, and
      the server's C(my_print_defaults) and server binary for the drop-in's checks.
seealso:
  - module: steadydb.mysql.mysql_option_file
  - module: steadydb.mysql.mysql_global_variables
  - module: steadydb.mysql.mysql_user_limits
  - module: steadydb.mysql.mysql_restart_due
'''

EXAMPLES = r'''
- name: Apply the server part of the plan
  mysql_server_apply:
    login_unix_socket: /run/mysqld/mysqld.sock
    variables: "{{ steadydb_plan.server.variables }}"
    accounts: "{{ steadydb_plan.server.user_limits }}"
    path: 99-steadydb.cnf
    directories: [/etc/mysql/mariadb.conf.d, /etc/my.cnf.d, /etc/mysql/conf.d]
    header: Managed by steadydb.
    owner: root
    group: root
    mode: "0644"
  register: server

- name: Say when a restart is due
  ansible.builtin.debug:
    msg: "restart for {{ server.pending | list | join(', ') }}"
  when: server.restart_due
'''

RETURN = r'''
dropin:
  description: The drop-in, as M(steadydb.mysql.mysql_option_file) reports it (C(path),
    C(changed), C(changes), C(previous_mtime), C(mtime), C(backup_file), C(overrides),
    C(effective), C(validated), C(persisted)), plus C(rolled_back), true when a later
    failure put the previous drop-in back.
  type: dict
  returned: always
  sample: {path: /etc/mysql/mariadb.conf.d/99-steadydb.cnf, changed: true,
           changes: [{option: max_connections, before: "151", after: "300"}],
           previous_mtime: 1700000000.0, rolled_back: false}
live:
  description: The runtime variables, as M(steadydb.mysql.mysql_global_variables) reports
    them (C(changed), C(applied), C(pending_restart), C(restart_required), C(values),
    C(adjusted), C(unverified), C(persisted), C(flavor), C(version),
    C(server_start_epoch)).
  type: dict
  returned: always
caps:
  description: The per-account caps, C(changes) (account, before, after), C(missing)
    (C(user@host)) and C(changed).
  type: dict
  returned: always
  sample: {changed: true, changes: [{account: "web@%", before: 0, after: 13}], missing: []}
login:
  description: The login (C(user)), its privileges on C(*.*) and what it lacks; empty when
    no grant was checked.
  type: dict
  returned: always
pending:
  description: Static variables that differ from O(variables), with the running and the
    desired value (a restart brings them in).
  type: dict
  returned: always
  sample: {back_log: {current: 80, desired: 130}}
restart_due:
  description: True when a restart would bring the pending values in (this run changed
    their line, or an earlier run wrote the drop-in after the server started).
  type: bool
  returned: always
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.accounts import accounts_argument_spec
from ansible.module_utils.steadydb.connection import login_argument_spec
from ansible.module_utils.steadydb.policy import policy_option
from ansible.module_utils.steadydb.server_apply import run


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(
        variables=dict(type="dict", required=True),
        path=dict(type="path", required=True),
        directories=dict(type="list", elements="path"),
        section=dict(type="str", default="mysqld"),
        keep=dict(type="list", elements="str", default=[], no_log=False),
        header=dict(type="str"),
        backup=dict(type="bool", default=False),
        on_override=policy_option("fail", aliases=["check_overrides"]),
        validate=dict(type="bool", default=True),
        server_binary=dict(type="path"),
        defaults_file=dict(type="path"),
        datadir=dict(type="path"),
        lock_timeout=dict(type="int", default=60),
        persist=dict(type="bool", default=False),
        preflight=dict(type="bool", default=True),
        apply_live=dict(type="bool", default=True),
        **accounts_argument_spec(),
        secret_variables=dict(type="list", elements="str", default=[], no_log=False),
        update_masked=dict(type="str", default="when_unset", choices=["when_unset", "always"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, add_file_common_args=True,
                           supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
