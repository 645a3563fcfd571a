# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trees of small text files read and written in one module call (the app stage).

The django_db_settings role used to make one round trip per app and per file kind
(stat, slurp, template, copy: about eight per app on a rerun, 1.3-2.5 s each over the
podman connection). Now it makes one per host: ``app_files`` checks and writes every
file of every app (``plan_trees`` then ``write_trees``). The env files are merged here,
on the host, so that no call has to read them first.

A tree is ``{dest, files, secret_files, env_blocks, owner, group, mode, directory_mode}``:
``dest`` is an existing directory (never created here), ``files`` and ``secret_files`` map
a relative path (``a/b.py``) to its text, ``env_blocks`` are managed blocks merged into
an env file the deploy also writes to (``env_block``). Only the directories under ``dest``
that the relative paths need are created. Secret files never show their content in a
diff; an env file's diff shows only the values of its ``shown_keys``.
"""
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb import env_block
from ansible.module_utils.steadydb.option_tree import group_id, unknown_owner, user_id

FORBIDDEN_PARTS = ("", ".", "..")
# What a symbolic mode is applied to when it is only checked.
_NO_MODE = os.stat_result((0,) * 10)


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


def mode_problem(mode):
    """Why the file module's ``set_mode_if_different`` would refuse ``mode`` ("" when it
    would not): octal (``0640``, ``0o640``, a number) or symbolic (``u=rw,g=r``), only
    permission bits. None or "" leaves the mode alone. Checked before anything is
    written: the module's own check came at the first file it set, after others."""
    if mode is None or mode == "":
        return ""
    if isinstance(mode, bool) or not isinstance(mode, (int, str)):
        return "%r is not a file mode" % (mode,)
    number = mode
    if isinstance(mode, str):
        try:
            number = int(mode, 8)
        except ValueError:
            try:
                number = AnsibleModule._symbolic_mode_to_octal(_NO_MODE, mode)
            except Exception:
                return "%r is not a file mode (octal like 0640, or symbolic like u=rw,g=r)" % mode
    if number != stat.S_IMODE(number):
        return "%r holds more than permission bits" % (mode,)
    return ""


def directories_of(paths):
    """Every directory the relative ``paths`` need, parents first (``a``, ``a/b``)."""
    needed = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            needed.add("/".join(parts[:depth]))
    return sorted(needed, key=lambda name: (name.count("/"), name))


def read_bytes(target):
    """The bytes of the file ``target`` (a symlink is not followed), or None."""
    try:
        if stat.S_ISLNK(os.lstat(target).st_mode):
            return None
        with open(target, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError:
        return None


# --- the write call --------------------------------------------------------------------

def _ownership_problem(where, st, uid, gid):
    """Why this process cannot give ``where`` the owner/group asked ("" when it can).

    root can; another user can keep the owner it has and give a group it is in, as
    chown(2) allows. Checked before anything is written, so a refused chown cannot
    leave an app half-written.
    """
    if os.geteuid() == 0:
        return ""
    current_uid = st.st_uid if st is not None else os.geteuid()
    current_gid = st.st_gid if st is not None else os.getegid()
    if uid is not None and uid != current_uid:
        return "%s: only root can give it to user id %d" % (where, uid)
    if gid is not None and gid != current_gid and gid not in (os.getegid(),) + tuple(os.getgroups()):
        return "%s: this user cannot give it to group id %d (not a member, not root)" % (where, gid)
    return ""


def plan_trees(trees):
    """Check every tree before anything is written: ``(plan, problems)``.

    ``plan``: ``{"files": [...], "directories": [...]}``; a file is ``{path, text,
    secret, attrs, before}`` (``before``: its bytes as read here, once, or None; the
    merge, the comparison and the diff all use them), a directory ``{path, attrs,
    exists}`` (only those under a ``dest``); ``attrs`` is ``{owner, group, mode}``. ``problems``: sentences naming
    paths, never content. With any problem, nothing may be written.
    """
    problems = []
    files, directories, seen = [], [], {}
    for number, tree in enumerate(trees, 1):
        dest = tree.get("dest") or ""
        where = "trees[%d]" % number
        if not os.path.isabs(dest):
            problems.append("%s: dest %r must be an absolute path" % (where, dest))
            continue
        dest = os.path.normpath(dest)
        if not os.path.isdir(dest):
            problems.append("%s does not exist or is not a directory; it is never created here "
                            "(its owner and mode are the deploy's to choose): create it in the "
                            "deploy, or fix the path" % dest)
            continue
        owner_problem = unknown_owner(tree.get("owner"), tree.get("group"))
        if owner_problem:
            problems.append("%s: %s" % (dest, owner_problem))
            continue
        mode_problems = [(key, mode_problem(tree.get(key))) for key in ("mode", "directory_mode")]
        bad_modes = ["%s %s" % (key, problem) for key, problem in mode_problems if problem]
        if bad_modes:
            problems.append("%s: %s" % (dest, "; ".join(bad_modes)))
            continue
        uid, gid = user_id(tree.get("owner")), group_id(tree.get("group"))
        attrs = {"owner": tree.get("owner") or None, "group": tree.get("group") or None,
                 "mode": tree.get("mode")}
        entries = [(rel, text, False, None) for rel, text in sorted((tree.get("files") or {}).items())]
        entries += [(rel, text, True, None)
                    for rel, text in sorted((tree.get("secret_files") or {}).items())]
        entries += [(block.get("name"), block.get("block"), True, block)
                    for block in tree.get("env_blocks") or []]
        relative = []
        for rel, text, secret, block in entries:
            try:
                check_relative(rel)
            except ValueError as exc:
                problems.append("%s: %s" % (dest, exc))
                continue
            if not isinstance(text, str):
                problems.append("%s/%s: the content must be text" % (dest, rel))
                continue
            path = os.path.join(dest, rel)
            if path in seen:
                problems.append("%s is written twice (%s and %s)" % (path, seen[path], where))
                continue
            seen[path] = where
            st = _lstat(path)
            if st is not None and not (stat.S_ISREG(st.st_mode) or
                                       (stat.S_ISLNK(st.st_mode) and not secret)):
                problems.append("%s exists but is not a regular file" % path)
                continue
            # A hard link is another name of the same inode, possibly someone else's file
            # (root's, where fs.protected_hardlinks is off, or another app's env file):
            # owner and mode must never be set through it, nor a secret merged with its
            # lines. A secret is refused; a code file is replaced by a file of its own.
            shared = st is not None and stat.S_ISREG(st.st_mode) and st.st_nlink > 1
            if shared and secret:
                problems.append("%s has %d hard links, so it is also another file: steadydb "
                                "does not write a secret through it; remove the other links "
                                "(or this name)" % (path, st.st_nlink))
                continue
            entry = {"path": path, "text": text, "secret": secret, "attrs": attrs,
                     "before": None if shared else read_bytes(path), "shared": shared}
            if block is not None:
                refused = _merge_block(entry, block)
                if refused:
                    problems.append("%s: %s" % (path, refused))
                    continue
            problem = _ownership_problem(path, st, uid, gid)
            if problem:
                problems.append(problem)
            relative.append(rel)
            files.append(entry)
        dir_attrs = dict(attrs, mode=tree.get("directory_mode"))
        for rel in directories_of(relative):
            path = os.path.join(dest, rel)
            st = _lstat(path)
            if st is not None and not stat.S_ISDIR(st.st_mode):
                problems.append("%s exists but is not a directory" % path)
                continue
            problem = _ownership_problem(path, st, uid, gid)
            if problem:
                problems.append(problem)
            if path not in [d["path"] for d in directories]:
                directories.append({"path": path, "attrs": dir_attrs, "exists": st is not None})
    directories.sort(key=lambda d: (d["path"].count("/"), d["path"]))
    return {"files": files, "directories": directories}, problems


def _merge_block(entry, block):
    """Merge ``block`` (an ``env_blocks`` item) into the env file of ``entry``, in place:
    ``entry["text"]`` becomes the whole new file, ``entry["masked"]`` what its diff may
    show. Returns why the file is refused ("" when it is not)."""
    begin, end = block.get("begin_marker"), block.get("end_marker")
    lines = [line.strip() for line in entry["text"].splitlines()]
    if not (begin and end and lines and lines[0] == begin and lines[-1] == end
            and lines.count(begin) == 1 and lines.count(end) == 1):
        # Without its markers the block could not be found on the next run: it would be
        # added again instead of replaced.
        return "the block must start with its begin_marker line and end with its end_marker line"
    before = entry["before"]
    old = "" if before is None else before.decode("utf-8", "surrogateescape")
    parts = env_block.split(old, block.get("managed_keys") or [], begin, end)
    refused = env_block.refusal(parts)
    if not refused:
        entry["text"] = env_block.merged(parts, entry["text"])
        entry["masked"] = {"old": old, "shown_keys": block.get("shown_keys") or []}
    return refused


def file_diff(entry):
    """The diff of one file that changes: its text; for an env file with a managed
    block, its diff with the values masked; for another secret file, only its name."""
    if entry.get("masked"):
        return {"prepared": env_block.masked_diff(entry["masked"]["old"], entry["text"],
                                                  entry["masked"]["shown_keys"], entry["path"])}
    if entry["secret"]:
        return {"prepared": "%s: content changes (secret, not shown)" % entry["path"]}
    if entry["shared"]:
        # the other file's content is not this file's to show (it may be root's)
        return {"before_header": "%s (a hard link to another file, not shown)" % entry["path"],
                "after_header": entry["path"], "before": "", "after": entry["text"]}
    before = entry["before"]
    return {"before_header": entry["path"], "after_header": entry["path"],
            "before": "" if before is None else before.decode("utf-8", "replace"),
            "after": entry["text"]}


def _write_private(write, path, text):
    """``write`` under umask 077: a new secret file is never readable by others, even
    before its mode is set (a new file otherwise gets 0666 minus the umask)."""
    previous = os.umask(0o077)
    try:
        write(path, text)
    finally:
        os.umask(previous)


def write_trees(plan, write, set_attributes, make_directory=os.mkdir, check_mode=False,
                diff=False):
    """Write what ``plan_trees`` planned: ``(changed, changed_files, created, diffs)``.

    ``write(path, text)`` replaces a file atomically (module_utils option_tree
    write_atomic); ``set_attributes(path, attrs, changed)`` sets owner, group and mode
    and returns the new ``changed`` (the module's set_fs_attributes_if_different, which
    only reports in check mode). An existing file gets its attributes before its new
    content (an env file at 0644 is 0600 before the secret lands); a new secret file is
    written under umask 077; a code file that shares its inode with another name (a hard
    link) is replaced, and only the new file gets them. ``diffs`` (with ``diff``): one
    ``file_diff`` per file whose content changes. On an error, ``WriteError`` carries the
    files already written.
    """
    changed, written, created, diffs = False, [], [], []
    try:
        for directory in plan["directories"]:
            if not directory["exists"]:
                created.append(directory["path"])
                changed = True
                if not check_mode:
                    make_directory(directory["path"])
            if not (check_mode and not directory["exists"]):
                changed = set_attributes(directory["path"], directory["attrs"], changed)
        for entry in plan["files"]:
            path = entry["path"]
            # attributes are set on the name only when it is this file alone (no symlink,
            # no hard link shared with another name: plan_trees)
            own = os.path.lexists(path) and not os.path.islink(path) and not entry["shared"]
            if own:
                changed = set_attributes(path, entry["attrs"], changed)
            content = entry["text"].encode("utf-8", "surrogateescape")
            if entry["shared"] or entry["before"] != content:
                changed = True
                if diff:
                    diffs.append(file_diff(entry))
                if not check_mode:
                    (_write_private if entry["secret"] else _write_as_is)(write, path, entry["text"])
                written.append(path)
            if not check_mode or own:
                changed = set_attributes(path, entry["attrs"], changed)
    except (IOError, OSError) as exc:
        raise WriteError(exc, written, created)
    return changed, written, created, diffs


def _write_as_is(write, path, text):
    write(path, text)


class WriteError(Exception):
    """An OS error in the middle of ``write_trees`` and what was written before it."""

    def __init__(self, error, written, created):
        Exception.__init__(self, str(error))
        self.error, self.written, self.created = error, written, created
