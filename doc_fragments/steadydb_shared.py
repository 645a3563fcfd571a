# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and attributes several modules share, each documented once; a module names
the part it takes (its own keys win over a part's, attribute by attribute).

- ``steadydb_shared.accounts`` (mysql_user_limits, mysql_server_apply): the per-account
  caps, built in module_utils/steadydb/accounts.py (``accounts_argument_spec``).
- ``steadydb_shared.unit`` (mysql_unit_info, mysql_unit_apply): how the server's systemd
  unit is found and how the plan's unit settings are completed, built in
  module_utils/steadydb/systemd.py (``unit_argument_spec``), and their platform.
- ``steadydb_shared.read_only``: no diff, for the modules that change nothing.
- ``steadydb_shared.computed`` (mysql_audit, mysql_restart_due): check mode and platform
  of a pure computation from the module's options.
"""


class ModuleDocFragment(object):

    ACCOUNTS = r'''
options:
  accounts:
    description:
      - The accounts and their C(MAX_USER_CONNECTIONS) caps, for example the plan's
        C(steadydb_plan.server.user_limits); empty sets none.
      - The host part is matched without case, as the server matches it. One account given
        twice, or a user or host ending with a space (the server's account tables drop
        trailing spaces), fails before anything is read or changed, in check mode too.
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: The user part of the account.
        type: str
        required: true
      host:
        description: The host part of the account.
        type: str
        default: "%"
      max_user_connections:
        description: The limit; C(0) means no per-account limit.
        type: int
        required: true
      app:
        description: The application the account belongs to (only used in messages).
        type: str
  on_missing_account:
    description: What to do about accounts of O(accounts) that do not exist. V(fail) fails
      before anything is changed, V(warn) warns, V(ignore) only lists them in the result.
    type: str
    choices: [fail, warn, ignore]
    default: warn
    aliases: [on_missing]
'''

    UNIT = r'''
options:
  name:
    description:
      - The server's unit. Empty detects it from O(candidates).
    type: str
    default: ""
  candidates:
    description:
      - Unit names to try in order when O(name) is empty; the first loaded one wins, by its
        real name (an alias resolves to the unit it names).
    type: list
    elements: str
    default: [mariadb.service, mysql.service, mysqld.service]
  fallbacks:
    description:
      - Values for the keys O(settings) leaves out, over the planner's own defaults.
    type: dict
    default: {}
  never_lower:
    description:
      - Keep the unit's and the running server's open files limit when it is higher than
        the plan's (soft and hard separately). V(false) writes the plan's value as it is.
    type: bool
    default: true
attributes:
  platform:
    support: partial
    platforms: posix
    details: Linux with systemd as the service manager only; fails elsewhere (no
      C(/run/systemd/system)).
'''

    READ_ONLY = r'''
attributes:
  diff_mode:
    support: none
    details: Changes nothing, so there is no diff.
'''

    COMPUTED = r'''
attributes:
  check_mode:
    support: full
    details: Computes from its options only and changes nothing; the same in check mode.
  platform:
    support: full
    platforms: all
    details: Pure computation in Python; reads no file, runs no command and connects to nothing.
'''
