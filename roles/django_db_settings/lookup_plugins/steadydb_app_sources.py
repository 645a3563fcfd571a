# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped helper package's files as one {relative path: text} dict.

The role ships files/steadydb_app with the app_files module, in the one call that writes
every file of every app (copy of a directory made one round trip per file). The package is found the way the copy module
finds a role's files (the role's files/ directory in the search path), so it works from
the repository and from the installed collection alike.
"""

DOCUMENTATION = r"""
name: steadydb_app_sources
short_description: The files of a directory under the role's files/, as one dict of texts
description:
  - Returns one dict, relative path (C(backend/base.py)) to the file's text, of every file
    under the directory O(_terms[0]) found in the role's C(files/) (default
    C(steadydb_app)); C(__pycache__) and compiled files are left out.
options:
  _terms:
    description: The directory's name under C(files/).
    required: false
"""

EXAMPLES = r"""
files: "{{ query('steadydb_app_sources') | first }}"
"""

RETURN = r"""
_raw:
  description: One dict of relative path to text.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

SKIPPED_DIRS = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def tree_texts(root):
    """{relative path: text} of every file under ``root`` (sorted, UTF-8)."""
    texts = {}
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            if name.endswith(SKIPPED_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                texts[os.path.relpath(path, root).replace(os.sep, "/")] = \
                    handle.read().decode("utf-8")
    return texts


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        name = terms[0] if terms else "steadydb_app"
        root = self.find_file_in_search_path(variables or {}, "files", name, ignore_missing=True)
        if not root or not os.path.isdir(root):
            raise AnsibleLookupError("steadydb_app_sources: no directory %s in the role's files/"
                                     % name)
        return [tree_texts(root)]
