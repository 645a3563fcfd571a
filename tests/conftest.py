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
# library/ modules are importable as plain modules in unit tests.
_library = os.path.join(REPO, "library")
if _library not in sys.path:
    sys.path.insert(0, _library)
