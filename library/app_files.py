#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: app_files
short_description: Write every file of every app in one call (env files, settings snippets, the app package)
description:
  - Writes trees of small text files. Each tree has an existing directory O(trees[].dest),
    never created here, and files given by a relative path (C(a/b.py)) and their text;
    only the directories under O(trees[].dest) that those paths need are created.
  - Everything is checked before anything is written (relative paths inside O(trees[].dest),
    no target that is a directory or another non-regular file, no path written twice,
    owner and group that exist and that this user may give); with a problem the module
    fails and writes nothing.
  - A file is replaced atomically (a synced temporary file beside it, then a rename) only
    when its content differs; owner, group and mode are set per tree. An existing file
    gets its attributes before its new content, and a new secret file is created unreadable
    to others, so a secret never lands in a file others can read.
  - One round trip for every app of a host, where M(ansible.builtin.template) and
    M(ansible.builtin.copy) make one per file.
version_added: "0.3.0"
author:
  - steadydb contributors (@steadydb)
options:
  trees:
    description: The trees to write.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description: Absolute path of an existing directory the files go into.
        type: path
        required: true
      files:
        description: Relative path to the file's text (UTF-8); the diff shows the text.
        type: dict
        default: {}
      secret_files:
        description:
          - Relative path to the file's text, for files that hold secrets. Their values are
            hidden in the module's output and the diff names the file only.
          - A secret file that exists must be a regular file (a symlink is refused).
        type: dict
        default: {}
      owner:
        description: Owner of the files and of the directories created; unset leaves it alone.
        type: str
      group:
        description: Group of the files and of the directories created; unset leaves it alone.
        type: str
      mode:
        description: Mode of the files (C("0644"), C("0600")); unset leaves it alone.
        type: raw
      directory_mode:
        description: Mode of the directories under O(trees[].dest) that the files need.
        type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Checks everything and reports which files would change; writes nothing.
  diff_mode:
    support: full
    details: The diff shows the text of the files that change, except secret files, which are named only.
  platform:
    support: full
    platforms: posix
    details: Writes files with the project's atomic write (temporary file, fsync, rename).
notes:
  - The task carries the secret files' text in its arguments; use C(no_log) on it.
seealso:
  - module: steadydb.mysql.app_files_info
'''

EXAMPLES = r'''
- name: Write the settings snippet, the helper package and the env file of one app
  app_files:
    trees:
      - dest: /srv/shop/settings
        files:
          steadydb_db.py: "{{ rendered_snippet }}"
          steadydb_app/__init__.py: ""
        owner: shop
        group: shop
        mode: "0644"
        directory_mode: "0755"
      - dest: /etc/shop
        secret_files:
          shop.env: "{{ rendered_env }}"
        owner: shop
        group: shop
        mode: "0600"
  no_log: true
'''

RETURN = r'''
changed_files:
  description: Absolute paths whose content was (or would be) written.
  type: list
  elements: str
  returned: always
  sample: [/srv/shop/settings/steadydb_db.py]
created_directories:
  description: Directories that were (or would be) created.
  type: list
  elements: str
  returned: always
  sample: [/srv/shop/settings/steadydb_app]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.option_tree import write_atomic
from ansible.module_utils.steadydb.tree_files import WriteError, plan_trees, write_trees

TREE_OPTIONS = dict(
    dest=dict(type="path", required=True),
    files=dict(type="dict", default={}),
    secret_files=dict(type="dict", default={}, no_log=True),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    directory_mode=dict(type="raw"),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(trees=dict(type="list", elements="dict", required=True,
                                      options=TREE_OPTIONS)),
        supports_check_mode=True,
    )
    plan, problems = plan_trees(module.params["trees"])
    if problems:
        module.fail_json(msg="Refused, nothing was written: %s." % "; ".join(problems),
                         changed_files=[], created_directories=[])

    def set_attributes(path, attrs, changed):
        args = module.load_file_common_arguments(dict(attrs), path=path)
        return module.set_fs_attributes_if_different(args, changed)

    try:
        changed, written, created, diffs = write_trees(
            plan, lambda path, text: write_atomic(module, path, text), set_attributes,
            check_mode=module.check_mode, diff=module._diff)
    except WriteError as exc:
        module.fail_json(msg="Writing stopped at an error: %s. Written before it: %s."
                         % (exc.error, ", ".join(exc.written) or "nothing"),
                         changed=bool(exc.written or exc.created), changed_files=exc.written,
                         created_directories=exc.created)
    result = dict(changed=changed, changed_files=written, created_directories=created)
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
