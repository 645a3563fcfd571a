#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_files
short_description: Write a tree of small text files in one call (the shipped app package)
description:
  - Writes every file of O(files) under O(dest), creating the directories they need, and
    sets owner, group and modes. A file is replaced (atomically) only when its content
    differs; attributes are corrected in place.
  - One round trip for the whole tree, where M(ansible.builtin.copy) of a directory makes
    one per file.
  - Paths are relative and stay inside O(dest) (no absolute path, no C(..)).
version_added: "0.3.0"
author:
  - steadydb contributors (@steadydb)
options:
  dest:
    description: The directory the tree goes into; it must exist.
    type: path
    required: true
  files:
    description:
      - Relative path (C(a/b.py)) to the file's text, written as UTF-8.
      - The role reads them with the C(steadydb_app_sources) lookup.
    type: dict
    required: true
  directory_mode:
    description: Mode of the directories this module creates or that O(files) needs.
    type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Reports which files would change and writes nothing.
  diff_mode:
    support: full
    details: The diff lists the files whose content changes (not their text).
  platform:
    support: full
    platforms: posix
    details: Writes files with the module's own atomic move.
'''

EXAMPLES = r'''
- name: Ship the helper package as one tree
  app_files:
    dest: /srv/shop/settings/steadydb_app
    files: "{{ query('steadydb_app_sources') | first }}"
    owner: shop
    group: shop
    mode: "0644"
    directory_mode: "0755"
'''

RETURN = r'''
changed_files:
  description: Relative paths whose content was (or would be) written.
  type: list
  elements: str
  returned: always
  sample: [retry.py]
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.option_tree import write_atomic
from ansible.module_utils.steadydb.tree_files import changed_files, check_relative, directories_of


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            files=dict(type="dict", required=True),
            directory_mode=dict(type="raw"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    dest = params["dest"]
    if not os.path.isdir(dest) and not os.path.isdir(os.path.dirname(dest.rstrip("/"))):
        module.fail_json(msg="Neither %s nor its parent directory exists: create it in the "
                             "deploy, nothing was written." % dest)
    problems = []
    for path, content in params["files"].items():
        try:
            check_relative(path)
        except ValueError as exc:
            problems.append(str(exc))
        if not isinstance(content, str):
            problems.append("%s: the content must be text" % path)
    if problems:
        module.fail_json(msg="Refused, nothing was written: %s." % "; ".join(problems))

    written = changed_files(dest, params["files"])
    changed = bool(written)
    directories = [dest] + [os.path.join(dest, name) for name in directories_of(params["files"])]
    if not module.check_mode:
        for path in directories:
            if not os.path.isdir(path):
                os.mkdir(path)
                changed = True
        for path in written:
            write_atomic(module, os.path.join(dest, path), params["files"][path])
    common = module.load_file_common_arguments(params, path=dest)
    directory_args = dict(common, mode=params["directory_mode"])
    for path in directories:
        if os.path.isdir(path):
            changed = module.set_fs_attributes_if_different(dict(directory_args, path=path),
                                                            changed)
    for path in sorted(params["files"]):
        target = os.path.join(dest, path)
        if os.path.exists(target):
            changed = module.set_fs_attributes_if_different(dict(common, path=target), changed)
    result = dict(changed=changed, changed_files=written)
    if written:
        result["diff"] = dict(before="", after="".join("%s\n" % path for path in written),
                              before_header=dest, after_header="%s (files written)" % dest)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
