# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A temporary copy of the option files a server reads, with one file replaced.

``mysql_option_file`` checks a candidate option file before the live one changes: it
copies every file the server would read (the top-level files, what they ``!include``,
the ``*.cnf`` files of each ``!includedir``) into a private temporary directory, with
the include paths pointing at the copies and the managed file holding the candidate
text. ``mariadbd --defaults-file=<copy>`` and ``my_print_defaults`` then read exactly
what the server would read after the write, while the live tree stays as it is.

Public API:

- ``OptionTree(roots, target, text, target_name=None)``: ``roots`` are the top-level
  files in the order the server reads them; ``target`` the managed file (a symlink is
  followed); ``text`` its candidate content (None: the file does not exist).
- ``tree.build(parent=None)`` -> the file to pass as ``--defaults-file``.
- ``tree.original(path)`` -> the live path a copy stands for (for messages).
- ``tree.order`` -> [(path, text)] of the files in the order the server reads them.
- ``tree.reads_target`` -> bool: whether the server reads the managed file at all.
- ``tree.cleanup()``.

File access only: the line-level rules are in ``option_file``.
"""

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.steadydb.option_file import (from_bytes, include_directives, rewrite_includes,
                                                      to_bytes)

# mysqld stops following !include/!includedir ten levels down (my_default.c).
MAX_RECURSION = 10
# A bound on files visited, against include cycles that fan out.
MAX_VISITS = 2000


def read_text(path):
    """File content as str; bytes that are not UTF-8 survive a round trip (``from_bytes``)."""
    with open(path, "rb") as handle:
        return from_bytes(handle.read())


def user_id(owner):
    """The user id of ``owner`` (a name or a number), None when unset; KeyError when this
    host has no such user."""
    if owner is None or owner == "":
        return None
    try:
        return int(owner)
    except ValueError:
        return pwd.getpwnam(owner).pw_uid


def group_id(group):
    """The group id of ``group`` (a name or a number), None when unset; KeyError when
    this host has no such group."""
    if group is None or group == "":
        return None
    try:
        return int(group)
    except ValueError:
        return grp.getgrnam(group).gr_gid


def unknown_owner(owner, group):
    """Why ``owner``/``group`` cannot be given to a file here ("" when they can): checked
    before anything is written, so that check mode fails where the real run would,
    instead of the real run failing after the new content is in place."""
    for kind, name, lookup in (("user", owner, user_id), ("group", group, group_id)):
        try:
            lookup(name)
        except KeyError:
            return "no such %s %r on this host" % (kind, name)
    return ""


def write_atomic(module, path, data, before_rename=None):
    """Replace ``path`` with ``data``: a synced temporary file beside it, then a rename.

    ``data`` is bytes, or text (encoded as ``to_bytes`` does). Without ``before_rename``
    the rename is ``module.atomic_move``: the new file takes the mode, owner and SELinux
    context of the file it replaces (a new one: the umask's), and ``unsafe_writes`` is
    honoured. With it, ``before_rename(tmp)`` is called with the temporary file's path
    once its content is synced, to give it the attributes it must have (mode, owner,
    times), and a plain ``os.rename`` keeps them (atomic_move would replace them). The
    temporary file never survives a failure.
    """
    if not isinstance(data, bytes):
        data = to_bytes(data)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if before_rename is None:
            module.atomic_move(tmp, path, unsafe_writes=module.params.get("unsafe_writes"))
        else:
            before_rename(tmp)
            os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OptionTree(object):

    def __init__(self, roots, target, text, target_name=None):
        self.roots = [os.path.abspath(os.path.expanduser(p)) for p in roots]
        self.target = os.path.realpath(target)
        # The name the server finds in an !includedir listing (a symlink's own name).
        self.target_name = os.path.abspath(target_name or target)
        self.text = text
        self.dir = None
        self.top = None
        self.order = []
        self.reads_target = False
        self._copies = {}  # real path of a file -> its copy
        self._dirs = {}  # real path of a directory -> its copy
        self._origin = {}  # copy -> live path
        self._texts = {}  # real path -> text as read (candidate for the target)

    # -- reading the live tree ------------------------------------------------------

    def _text(self, real):
        if real not in self._texts:
            if real == self.target:
                self._texts[real] = self.text
            else:
                try:
                    self._texts[real] = read_text(real)
                except (IOError, OSError):
                    self._texts[real] = None  # the server cannot read it either
        return self._texts[real]

    def _exists(self, path):
        real = os.path.realpath(path)
        if real == self.target:
            return self.text is not None
        return os.path.isfile(path)

    def _listing(self, directory):
        """Names of the ``*.cnf`` files mysqld reads from ``directory``, sorted as it sorts."""
        try:
            names = os.listdir(directory)
        except OSError:
            return None
        real_dir = os.path.realpath(directory)
        target_dir = os.path.realpath(os.path.dirname(self.target_name))
        base = os.path.basename(self.target_name)
        if real_dir == target_dir and base.endswith(".cnf") and self.text is not None \
                and base not in names:
            names.append(base)
        keep = []
        for name in names:
            if not name.endswith(".cnf"):
                continue
            full = os.path.join(directory, name)
            if (real_dir == target_dir and name == base) or os.path.isfile(full):
                keep.append(name)
        return sorted(keep, key=lambda n: n.encode("utf-8", "surrogateescape"))

    # -- building the copy ----------------------------------------------------------

    def build(self, parent=None):
        self.dir = tempfile.mkdtemp(prefix="steadydb-options.", dir=parent)
        roots = [p for p in self.roots if self._exists(p)]
        top = os.path.join(self.dir, "top.cnf")
        lines = []
        for root in roots:
            copy = self._copy_file(root)
            lines.append("!include %s\n" % copy)
        with open(top, "wb") as handle:
            handle.write(to_bytes("".join(lines)))
        self.top = top
        visits = [0]
        for root in roots:
            self._walk(root, 0, visits)
        return top

    def _copy_file(self, path):
        """The copy standing for ``path`` (made once per real file, with includes rewritten)."""
        real = os.path.realpath(path)
        if real in self._copies:
            return self._copies[real]
        folder = os.path.join(self.dir, "f%d" % len(self._copies))
        os.mkdir(folder, 0o700)
        copy = os.path.join(folder, os.path.basename(path))
        self._copies[real] = copy
        self._origin[copy] = path
        text = self._text(real)
        if text is None:
            return copy  # unreadable: leave the copy absent, as the server finds it
        rewritten = rewrite_includes(text, self._redirect)
        with open(copy, "wb") as handle:
            handle.write(to_bytes(rewritten))
        if real != self.target:
            # mysqld ignores world-writable option files; the copy must be ignored too.
            os.chmod(copy, stat.S_IMODE(os.stat(real).st_mode))
        elif os.path.exists(real):
            os.chmod(copy, stat.S_IMODE(os.stat(real).st_mode) & ~0o002)
        return copy

    def _copy_dir(self, directory):
        real = os.path.realpath(directory)
        if real in self._dirs:
            return self._dirs[real]
        names = self._listing(directory)
        if names is None:
            return None
        copy = os.path.join(self.dir, "d%d" % len(self._dirs))
        self._dirs[real] = copy
        os.mkdir(copy, 0o700)
        self._origin[copy] = directory
        for name in names:
            path = os.path.join(directory, name)
            source = self._copy_file(path)
            entry = os.path.join(copy, name)
            self._origin[entry] = path
            # A link, not a copy: in an include cycle the source may not be written yet.
            # mysqld follows it (and its world-writable check sees the source's mode).
            os.symlink(source, entry)
        return copy

    def _redirect(self, word, arg):
        path = os.path.abspath(os.path.expanduser(arg))
        if word == "include":
            return self._copy_file(path) if self._exists(path) else None
        copy = self._copy_dir(path)
        return copy + "/" if copy else None

    # -- the read order ---------------------------------------------------------------

    def _walk(self, path, level, visits):
        visits[0] += 1
        if visits[0] > MAX_VISITS:
            return
        real = os.path.realpath(path)
        text = self._text(real)
        if text is None:
            return
        if real == self.target:
            self.reads_target = True
        self.order.append((path, text))
        if level >= MAX_RECURSION:
            return
        for word, arg in include_directives(text):
            target = os.path.abspath(os.path.expanduser(arg))
            if word == "include":
                if self._exists(target):
                    self._walk(target, level + 1, visits)
            else:
                for name in self._listing(target) or []:
                    self._walk(os.path.join(target, name), level + 1, visits)

    def original(self, path):
        """The live path a path inside the copy stands for (``path`` itself otherwise)."""
        if path in self._origin:
            return self._origin[path]
        for copy, live in self._origin.items():
            if path.startswith(copy + "/"):
                return os.path.join(live, path[len(copy) + 1:])
        return path

    def live_paths(self, text):
        """``text`` (a server message) with every path of the copy replaced by the live one."""
        for copy in sorted(self._origin, key=len, reverse=True):
            text = text.replace(copy, self._origin[copy])
        return text

    def cleanup(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
