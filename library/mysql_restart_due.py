#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_restart_due
short_description: Decide whether the server must restart for its static variables
description:
  - A static variable that differs from the plan (O(pending)) needs a restart when this
    run changed its line in the option file (O(changed_options)), or when an earlier run
    wrote the option file after the server started (O(previous_mtime) later than
    O(server_start_epoch), a restart still pending).
  - Otherwise the server has read the file and chose another value itself (it raises
    C(open_files_limit) or limits it by the unit's C(LimitNOFILE)); a restart would change
    nothing, so none is due. A change of dynamic variables only never needs a restart.
  - Pure computation (C(module_utils/steadydb/apply.py)); connects to nothing, changes nothing.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  pending:
    description: The static variables that differ, as C(mysql_global_variables) returns
      them in RV(steadydb.mysql.mysql_global_variables#module:pending_restart).
    type: dict
    default: {}
  changed_options:
    description: The options whose line this run changed in the option file (C(option) of
      each entry of C(mysql_option_file)'s C(changes)).
    type: list
    elements: str
    default: []
  previous_mtime:
    description: Modification time of the option file before this run (UNIX time); null
      or 0 when it did not exist.
    type: float
  server_start_epoch:
    description: When the running server started (UNIX time).
    type: float
extends_documentation_fragment:
  - steadydb_shared.read_only
  - steadydb_shared.computed
  - ansible.builtin.action_common_attributes
'''

EXAMPLES = r'''
- name: Decide whether the server must restart
  mysql_restart_due:
    pending: "{{ live.pending_restart }}"
    changed_options: "{{ dropin.changes | map(attribute='option') | list }}"
    previous_mtime: "{{ dropin.previous_mtime }}"
    server_start_epoch: "{{ live.server_start_epoch }}"
  register: decision
'''

RETURN = r'''
restart_due:
  description: True when a restart would bring the pending values in.
  type: bool
  returned: always
pending:
  description: O(pending), as given.
  type: dict
  returned: always
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.apply import restart_due


def main():
    module = AnsibleModule(
        argument_spec=dict(
            pending=dict(type="dict", default={}),
            changed_options=dict(type="list", elements="str", default=[]),
            previous_mtime=dict(type="float"),
            server_start_epoch=dict(type="float"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    due = restart_due(params["pending"], params["changed_options"], params["previous_mtime"],
                      params["server_start_epoch"])
    module.exit_json(changed=False, restart_due=due, pending=params["pending"])


if __name__ == "__main__":
    main()
