#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_user_limits
short_description: Set MAX_USER_CONNECTIONS on existing MySQL/MariaDB accounts
description:
  - Runs C(ALTER USER ... WITH MAX_USER_CONNECTIONS n) for each account whose current
    limit differs, in one connection.
  - Never creates an account. An account that does not exist (yet) is reported in
    RV(missing) and, by default, as a warning (O(on_missing_account)).
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
extends_documentation_fragment:
  - steadydb_login
  - steadydb_shared.accounts
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the current limits and runs no C(ALTER USER); the result says what would change.
  diff_mode:
    support: full
    details: One C(user@host max_user_connections = n) line per changed account, before and after.
'''

EXAMPLES = r'''
- name: Per-application connection caps from the plan
  mysql_user_limits:
    login_unix_socket: /run/mysqld/mysqld.sock
    accounts: "{{ steadydb_plan.server.user_limits }}"
'''

RETURN = r'''
changes:
  description: Accounts changed (or that would be), with the limit before and after.
  type: list
  elements: dict
  returned: always
  sample: [{account: "web@%", before: 0, after: 13}]
missing:
  description: Accounts that do not exist (C(user@host)).
  type: list
  elements: str
  returned: always
  sample: ["worker@%"]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.accounts import (AccountsError, accounts_argument_spec,
                                                    check_caps, missing_text, read_caps,
                                                    set_caps)
from ansible.module_utils.steadydb.connection import connect, error_message, login_argument_spec
from ansible.module_utils.steadydb.policy import act_on


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(accounts_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    result = dict(changed=False, changes=[], missing=[])
    accounts = module.params["accounts"]
    try:
        check_caps(accounts)
    except AccountsError as exc:
        module.fail_json(msg=str(exc), **result)
    if not accounts:
        module.exit_json(**result)
    conn = connect(module)
    target = conn.steadydb_target
    step = "reading mysql.user"
    try:
        with conn.cursor() as cursor:
            todo, result["missing"] = read_caps(cursor, accounts)
            if result["missing"]:
                act_on(module.params["on_missing_account"], missing_text(result["missing"]),
                       lambda text: module.fail_json(msg="The %s; nothing was changed." % text,
                                                     **result),
                       lambda text: module.warn("The %s." % text))
            step = "altering"
            result["changes"], before, after = set_caps(cursor, todo, module.check_mode)
    except Exception as exc:
        if step == "altering":
            step = "altering %s" % getattr(exc, "steadydb_account", "an account")
        module.fail_json(msg=error_message(exc, target, step), **result)
    finally:
        conn.close()
    result["changed"] = bool(result["changes"])
    if before:
        result["diff"] = dict(before="".join(before), after="".join(after))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
