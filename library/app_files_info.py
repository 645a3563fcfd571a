#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_files_info
short_description: Look at many directories and read many small files in one call
description:
  - Reports, for every path of O(directories), whether it exists and is a directory, and
    for every path of O(files), whether it exists, whether it is a regular file and, for a
    regular file, its content (base64, as M(ansible.builtin.slurp) returns it).
  - Symlinks are not followed (a symlink is neither a directory nor a regular file here),
    as M(ansible.builtin.stat) reports them by default.
  - One round trip where M(ansible.builtin.stat) and M(ansible.builtin.slurp) in a loop make
    one per path. The django_db_settings role reads its targets with it before it checks
    and writes anything.
version_added: "0.3.0"
author:
  - steadydb contributors (@steadydb)
options:
  directories:
    description: Paths to look at as directories.
    type: list
    elements: path
    default: []
  files:
    description: Paths to look at and read as regular files.
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - The content of the files is returned; when they may hold secrets (env files), use
    C(no_log) on the task.
seealso:
  - module: steadydb.mysql.app_files
'''

EXAMPLES = r'''
- name: Look at the target directories and read the env files
  app_files_info:
    directories: [/srv/shop/settings, /etc/shop]
    files: [/etc/shop/shop.env]
  register: found
  no_log: true
'''

RETURN = r'''
directories:
  description: Path to C(exists) and C(isdir).
  type: dict
  returned: always
  sample: {"/etc/shop": {"exists": true, "isdir": true}}
files:
  description: Path to C(exists), C(isreg) and C(content) (base64, null unless a regular file).
  type: dict
  returned: always
  sample: {"/etc/shop/shop.env": {"exists": true, "isreg": true, "content": "REJfSE9TVD0nZGIn"}}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.tree_files import read_paths


def main():
    module = AnsibleModule(
        argument_spec=dict(directories=dict(type="list", elements="path", default=[]),
                           files=dict(type="list", elements="path", default=[])),
        supports_check_mode=True,
    )
    try:
        found = read_paths(module.params["directories"], module.params["files"])
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot read %s: %s" % (exc.filename, exc.strerror))
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
