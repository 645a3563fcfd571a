# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tree of small text files written in one module call (the shipped app package).

ansible.builtin.copy of a directory makes one round trip per file (16 for steadydb_app,
a quarter of a harden-db rerun over the podman connection); the app_files module writes
them all in one. Here: which relative paths are acceptable, and which files differ.
"""
import os

FORBIDDEN_PARTS = ("", ".", "..")


def check_relative(path):
    """``path`` (a/b.py) as a list of parts, or ValueError: never absolute, never ``..``."""
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path:
        raise ValueError("%r is not a relative file path" % (path,))
    if path.startswith("/"):
        raise ValueError("%r is absolute; only paths inside dest are written" % path)
    parts = path.split("/")
    if any(part in FORBIDDEN_PARTS for part in parts):
        raise ValueError("%r has an empty, . or .. part; only paths inside dest are written"
                         % path)
    return parts


def directories_of(paths):
    """Every directory the relative ``paths`` need, parents first (``a``, ``a/b``)."""
    needed = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            needed.add("/".join(parts[:depth]))
    return sorted(needed, key=lambda name: (name.count("/"), name))


def differs(target, content):
    """True when the file ``target`` does not hold exactly ``content`` (UTF-8)."""
    try:
        with open(target, "rb") as handle:
            return handle.read() != content.encode("utf-8")
    except (IOError, OSError):
        return True


def changed_files(dest, files):
    """The relative paths of ``files`` ({path: text}) whose file under ``dest`` differs."""
    return sorted(path for path, content in files.items()
                  if differs(os.path.join(dest, path), content))
