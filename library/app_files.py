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
  - Attributes are never set through a link, which could name a file of root's in a
    directory the deploy user owns. A code file that is a symlink, or a hard link (another
    name of the same inode, as C(rsync --link-dest) releases make), is replaced by a file
    of its own; the other names keep their content and attributes, and the diff does not
    show the old content.
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
          - A secret file that exists must be a regular file with no other name (a
            symlink or a hard link is refused).
        type: dict
        default: {}
      env_blocks:
        description:
          - Managed blocks merged into env files that the deploy also writes to. The file
            keeps the deploy's lines before and after the block; the block replaces the
            lines between its markers (or is appended when the file has none). The merge
            reads the file on the host, in this call.
          - An env file is refused (nothing is written, for any tree) when its markers are
            broken (a start line without an end line, two start lines, an end line alone)
            or when a line outside the block sets one of O(trees[].env_blocks[].managed_keys)
            (both would be read, and readers disagree on which wins).
          - Like O(trees[].secret_files), the text never shows; the diff is the file's
            unified diff with every value masked except those of O(trees[].env_blocks[].shown_keys).
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The env file, as a path relative to O(trees[].dest) (C(shop.env)).
            type: str
            required: true
          block:
            description:
              - The block's text, its first line O(trees[].env_blocks[].begin_marker) and
                its last line O(trees[].env_blocks[].end_marker) (so the next run finds it).
              - It holds secrets.
            type: str
            required: true
          begin_marker:
            description: The line that starts the block.
            type: str
            required: true
          end_marker:
            description: The line that ends the block.
            type: str
            required: true
          managed_keys:
            description: The keys the block sets; no line outside the block may set them.
            type: list
            elements: str
            default: []
          shown_keys:
            description: The keys whose values the diff shows; every other value is masked.
            type: list
            elements: str
            default: []
      owner:
        description: Owner of the files and of the directories created; unset leaves it alone.
        type: str
      group:
        description: Group of the files and of the directories created; unset leaves it alone.
        type: str
      mode:
        description:
          - Mode of the files (C("0644"), C("0600"), or symbolic like C(u=rw,g=r)); unset
            leaves it alone. A mode that is not one fails before anything is written.
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
    details:
      - The diff shows the text of the files that change, except secret files, which are
        named only, and env files with a managed block, whose values are masked but those
        of O(trees[].env_blocks[].shown_keys).
  platform:
    support: full
    platforms: posix
    details: Writes files with the project's atomic write (temporary file, fsync, rename).
notes:
  - The task carries the secret files' text in its arguments; use C(no_log) on it.
seealso:
  - module: ansible.builtin.blockinfile
    description: Manages a marked block in one file, one round trip per file.
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
        env_blocks:
          - name: shop.env
            block: "{{ rendered_block }}"
            begin_marker: "# BEGIN shop"
            end_marker: "# END shop"
            managed_keys: [DB_HOST, DB_PASSWORD]
            shown_keys: [DB_HOST]
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
    env_blocks=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        block=dict(type="str", required=True, no_log=True),
        begin_marker=dict(type="str", required=True),
        end_marker=dict(type="str", required=True),
        managed_keys=dict(type="list", elements="str", default=[], no_log=False),
        shown_keys=dict(type="list", elements="str", default=[], no_log=False),
    )),
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
