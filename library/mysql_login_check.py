#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_login_check
short_description: Check that the login may change what a task after it changes
description:
  - Reads C(SHOW GRANTS) for the login account and fails, with the privileges missing,
    when it cannot run C(SET GLOBAL) (O(set_global)) or C(ALTER USER ... MAX_USER_CONNECTIONS)
    (O(alter_user)).
  - Run it before writing anything (M(steadydb.mysql.mysql_server_apply), the role C(mysql_tuning)'s
    single call, runs the same check before its drop-in),
    so a login without the privilege fails with the option file and the server untouched,
    instead of error 1227 after the option file changed.
  - Read-only; runs the same in check mode, so C(--check) predicts the failure.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  set_global:
    description: The login must be able to run C(SET GLOBAL) (C(SUPER), or
      C(SYSTEM_VARIABLES_ADMIN) on MySQL 8, or C(ALL PRIVILEGES) on C(*.*)).
    type: bool
    default: true
  alter_user:
    description: The login must be able to set per-account limits (C(CREATE USER) on
      C(*.*), or C(UPDATE) on C(mysql.*)).
    type: bool
    default: false
extends_documentation_fragment:
  - steadydb_login
  - steadydb_shared.read_only
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only (C(SHOW GRANTS)); runs the same in check mode, so C(--check) predicts
      the failure.
notes:
  - Privileges that come only through a role that is not active are not seen; grant them
    to the account, or make the role its default role.
'''

EXAMPLES = r'''
- name: Can this login apply runtime variables and caps?
  mysql_login_check:
    login_unix_socket: /run/mysqld/mysqld.sock
    set_global: true
    alter_user: true
'''

RETURN = r'''
user:
  description: The account the server logged the login in as (C(CURRENT_USER())).
  type: str
  returned: when connected
  sample: "root@localhost"
privileges:
  description: Privileges granted on C(*.*) (upper case).
  type: list
  elements: str
  returned: when connected
  sample: [ALL PRIVILEGES]
missing:
  description: One sentence per requirement the grants do not cover (empty on success).
  type: list
  elements: str
  returned: always
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.accounts import grants_message, read_grants
from ansible.module_utils.steadydb.apply import missing_privileges
from ansible.module_utils.steadydb.connection import (connect, error_message,
                                                      login_argument_spec)


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(set_global=dict(type="bool", default=True),
                         alter_user=dict(type="bool", default=False))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    needs = [need for need in ("set_global", "alter_user") if module.params[need]]
    result = dict(changed=False, missing=[])
    if not needs:
        module.exit_json(**result)
    conn = connect(module)
    try:
        with conn.cursor() as cursor:
            result["user"], grants = read_grants(cursor)
    except Exception as exc:
        module.fail_json(msg=error_message(exc, conn.steadydb_target, "reading SHOW GRANTS"),
                         **result)
    finally:
        conn.close()
    result["privileges"] = sorted(grants["*.*"])
    result["missing"] = missing_privileges(grants, needs)
    if result["missing"]:
        module.fail_json(msg=grants_message(result["user"], grants, result["missing"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
