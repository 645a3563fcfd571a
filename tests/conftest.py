"""Make the project's module_utils importable the way Ansible imports them.

Modules say ``from ansible.module_utils.steadydb.plan import ...``; Ansible finds
that package through ``module_utils = ./module_utils`` in ansible.cfg. Tests do the
same by extending the ``ansible.module_utils`` package path.
"""
import os
import sys

import ansible.module_utils

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_utils = os.path.join(REPO, "module_utils")
if _utils not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_utils)
# library/ modules, and the filter and lookup plugins (the project's and the roles'),
# are importable as plain modules in tests: ``import app_files``, ``import steadydb_django``.
_plugin_dirs = [os.path.join(REPO, "library"), os.path.join(REPO, "filter_plugins")] + sorted(
    os.path.join(REPO, "roles", role, kind) for role in os.listdir(os.path.join(REPO, "roles"))
    for kind in ("filter_plugins", "lookup_plugins")
    if os.path.isdir(os.path.join(REPO, "roles", role, kind)))
for _path in reversed(_plugin_dirs):
    if _path not in sys.path:
        sys.path.insert(0, _path)
