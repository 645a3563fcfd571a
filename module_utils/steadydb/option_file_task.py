# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of ``mysql_option_file``, callable from other modules (``mysql_server_apply``).

Public API:

- ``ARGUMENT_SPEC``: the module's options (plus ``add_file_common_args``).
- ``prepare(module, params)`` -> ``ctx``: resolve the path, take the directory lock (not
  in check mode), read the file, compute the candidate and its changes, and run the
  read-only checks of the candidate (overrides, the server binary's validation) on a
  temporary copy. Fails the module (``fail_json``) when the candidate is refused;
  nothing has been written then. ``ctx["result"]`` is the module's result so far.
- ``write(module, params, ctx, backup=False)``: replace the live file with the candidate
  when it differs (a copy of the previous file first when ``backup``), set the file
  attributes, fill in ``changed`` and ``mtime``. Not in check mode.
- ``check_result(module, ctx)``: ``changed`` and ``mtime`` as the real run would report
  them, for check mode.

``params`` is a dict with the keys of ``ARGUMENT_SPEC`` (``module.params`` for
``mysql_option_file``; another module passes its own values for them).
"""

import errno
import fcntl
import os
import re
import shlex
import time

from ansible.module_utils.steadydb.policy import act_on, policy_option
from ansible.module_utils.steadydb.option_file import (
    OptionFileError, check_request, config_file_problems, edit, find_overrides, message_option,
    option_key, options_in_groups, parse_default_files, parse_print_defaults,
    refuse_control_characters, secret_values, to_bytes, validation_errors)
from ansible.module_utils.steadydb.option_tree import OptionTree, read_text, unknown_owner, write_atomic
from ansible.module_utils.steadydb.persisted import (
    PersistedError, describe, loads_persisted, parse_persisted, persisted_overrides,
    persisted_path)

_SEARCH = ("/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/mysql/bin")
DEFAULT_FILES = ("/etc/my.cnf", "/etc/mysql/my.cnf", "~/.my.cnf")


def find_server(module):
    for name in ("mariadbd", "mysqld"):
        path = module.get_bin_path(name, opt_dirs=list(_SEARCH))
        if path:
            return path
    return None


def server_flavor(module, binary):
    """(flavor, (major, minor, patch)) from ``<binary> --version``."""
    rc, out, err = module.run_command([binary, "--version"])
    text = out + err
    flavor = "mariadb" if "mariadb" in text.lower() else "mysql"
    match = re.search(r"Ver (\d+)\.(\d+)\.(\d+)", text)
    version = tuple(int(n) for n in match.groups()) if match else (0, 0, 0)
    return flavor, version


def default_files(module, binary):
    """The top-level files the server reads without --defaults-file, in order.

    Asked of my_print_defaults (same library as the server) or the server binary; the
    usual Debian list when neither answers.
    """
    tool = module.get_bin_path("my_print_defaults", opt_dirs=["/usr/bin", "/usr/local/bin"])
    for cmd in ([tool, "--help"] if tool else None, [binary, "--help"] if binary else None):
        if cmd:
            rc, out, err = module.run_command(cmd)
            files = parse_default_files(out)
            if files:
                return files
    return list(DEFAULT_FILES)


def defaults_args(defaults_file):
    return ["--defaults-file=" + defaults_file] if defaults_file else []


def effective_options(module, binary, flavor, defaults_file):
    """The server's effective option list as [(key, value)], and the command used."""
    tool = module.get_bin_path("my_print_defaults", opt_dirs=["/usr/bin", "/usr/local/bin"])
    if tool:
        groups = ["--mysqld"] if flavor == "mariadb" else ["mysqld", "server"]
        cmd = [tool] + defaults_args(defaults_file) + groups
        rc, out, err = module.run_command(cmd)
        if rc == 0:
            return parse_print_defaults(out), cmd
    if binary:
        cmd = [binary] + defaults_args(defaults_file) + ["--print-defaults"]
        rc, out, err = module.run_command(cmd)
        if rc == 0:
            tokens = [t for line in out.splitlines()[1:] for t in shlex.split(line)]
            return parse_print_defaults("\n".join(tokens)), cmd
        module.fail_json(msg="Cannot read the effective option list with %s (exit %d: %s): "
                             "install my_print_defaults (mariadb-client or mysql-client) or set "
                             "on_override=ignore." % (" ".join(cmd), rc, (err or out).strip()))
    module.fail_json(msg="Neither my_print_defaults nor a server binary was found to read the "
                         "effective option list: install the server's client tools, set "
                         "server_binary, or set on_override=ignore.")


def live_command(cmd, tree, defaults_file):
    """``cmd`` as run on the copy, spelled for the live files (what a person would rerun)."""
    args = [a for a in cmd if not a.startswith("--defaults-file=")]
    return " ".join(args[:1] + defaults_args(defaults_file) + args[1:])


def where_set(tree, key, value=None, after=None):
    """``file:line`` of each line of the tree setting ``key`` (after the file ``after``)."""
    found, past = [], after is None
    for path, text in tree.order:
        if after is not None and os.path.realpath(path) == os.path.realpath(after):
            past = True
            continue
        if past:
            found.extend("%s:%d" % (path, n) for n in options_in_groups(text, key, value))
    return found


def lock_directory(module, directory, timeout, result):
    """Hold an exclusive flock on ``directory`` for the rest of the run (released at exit).

    The directory, not a lock file: nothing is left behind in an !includedir directory,
    and it also covers a file that does not exist yet. Every run of this module editing
    a file there takes it around read-edit-check-write.
    """
    fd = os.open(directory, os.O_RDONLY)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except (IOError, OSError) as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            module.fail_json(
                msg="Another run holds the lock on %s (a flock on the directory, taken by every "
                    "mysql_option_file run that edits a file there) and did not release it "
                    "within %d s (lock_timeout); %s was not changed. Wait for the other run, or "
                    "raise lock_timeout." % (directory, timeout, result["path"]), **result)
        time.sleep(0.1)


def check_overrides(module, params, tree, binary, flavor, path, old_text, desired, result):
    """Fail or warn when the candidate's options are overridden or not read at all."""
    effective, cmd = effective_options(module, binary, flavor, tree.top)
    # The copy must read like the live tree, or its verdict would mean nothing: the
    # same copy with the file's current content gives the live option list.
    live, _ = effective_options(module, binary, flavor, params["defaults_file"])
    before = OptionTree(tree.roots, path, old_text)
    try:
        copied, _ = effective_options(module, binary, flavor, before.build())
    finally:
        before.cleanup()
    if copied != live:
        module.fail_json(
            msg="%s was not changed: a temporary copy of the option files does not read like "
                "the live ones (%d options from %s, %d from the copy), so the candidate cannot "
                "be checked. Set defaults_file to the file the server starts with, or "
                "on_override=ignore." % (
                    path, len(live), ", ".join(tree.roots),
                    len(copied)), **result)
    last = dict(effective)
    result["effective"] = dict((key, last.get(key)) for key in desired)
    problems = find_overrides(effective, desired)
    texts = []
    for problem in problems:
        if problem["effective"] is None:
            problem["files"] = []
            texts.append("%s is not in the effective option list" % problem["option"])
        else:
            problem["files"] = where_set(tree, problem["option"], after=path)
            texts.append("%s = %s is overridden by %s = %s read after this file%s" % (
                problem["option"], problem["ours"], problem["option"], problem["effective"],
                (" (in %s)" % ", ".join(problem["files"])) if problem["files"] else ""))
    if texts:
        if not tree.reads_target:
            texts = ["the server does not read this file at all (it is not among the files %s "
                     "reads through !include and !includedir, and the effective values are %s): "
                     "put the drop-in into a directory named by !includedir" % (
                         ", ".join(tree.roots),
                         ", ".join("%s = %s" % (p["option"], p["effective"]) for p in problems))]
        else:
            texts[-1] += " (from %s; the last value wins)" % live_command(
                cmd, tree, params["defaults_file"])
    if flavor == "mysql":
        persisted, text = check_persisted(module, params, effective, desired, result)
        problems += persisted
        texts += [text] if text else []
    result["overrides"] = problems
    if not texts:
        return
    msg = "; ".join(texts)
    act_on(params["on_override"], msg,
           lambda text: module.fail_json(msg="%s was not changed: %s." % (path, text), **result),
           lambda text: module.warn("%s: %s." % (path, text)))


def check_persisted(module, params, effective, desired, result):
    """Overrides by values persisted with SET PERSIST (Oracle MySQL; read after every file).

    Returns (problems, message or None). ``effective`` is the candidate's option list:
    it names the datadir and whether the server loads the file at all.
    """
    auto = persisted_path(effective, params["datadir"])
    if not loads_persisted(effective) or not os.path.exists(auto):
        return [], None
    try:
        persisted = parse_persisted(read_text(auto))
    except PersistedError as exc:
        return [], ("%s is %s: the server will refuse to start with it; repair it or move it "
                    "away (it holds only SET PERSIST values)" % (auto, exc))
    except (IOError, OSError) as exc:
        module.warn("Cannot read %s (%s): values persisted with SET PERSIST, which override "
                    "option files at the next start, were not checked." % (auto, exc))
        return [], None
    result["persisted_file"] = auto
    result["persisted"] = dict((key, persisted[key]) for key in desired if key in persisted)
    problems = persisted_overrides(persisted, desired, auto)
    for problem in problems:
        result["effective"][problem["option"]] = problem["effective"]
    if params["will_persist"]:
        # A later task (mysql_global_variables persist=true, same options) persists our
        # values over these: reported in persisted, not overrides.
        return [], None
    return problems, "; ".join(describe(p) for p in problems) or None


def validate(module, params, tree, binary, flavor, version, path, desired, result):
    """Run the server's own configuration check on the copy; fail naming the culprit file."""
    if flavor == "mysql" and version < (8, 0, 16):
        module.warn("MySQL %s has no --validate-config (8.0.16+): %s was not validated."
                    % (".".join(map(str, version)), path))
        return
    cmd = [binary, "--defaults-file=" + tree.top]
    cmd += ["--validate-config"] if flavor == "mysql" else ["--help", "--verbose"]
    if flavor == "mysql" and os.geteuid() == 0:
        cmd.append("--user=mysql")  # mysqld refuses to parse as root otherwise
    rc, out, err = module.run_command(cmd)
    output = tree.live_paths(err if flavor == "mariadb" else out + err)
    for what, where, line in config_file_problems(output):
        module.warn("The server skips the rest of %s: %s at line %d." % (where, what, line))
    errors = validation_errors(rc, output, desired)
    if not errors:
        result["validated"] = True
        return
    located = []
    for error in errors:
        about = message_option(error)
        places = where_set(tree, about[0], about[1]) if about else []
        if about and not places and about[1] is not None:
            places = where_set(tree, about[0])
        located.append(error + (" (set in %s)" % ", ".join(places) if places else ""))
    module.fail_json(msg="The server rejects the configuration: %s. %s was not changed; the "
                         "running server was not touched." % (" / ".join(located), path),
                     server_messages=errors,
                     command=live_command(cmd, tree, params["defaults_file"]), **result)


def check_candidate(module, params, path, old_text, new_text, content_changed, result):
    """Run the override check and the server's validation on a copy holding ``new_text``.

    Every check reads a temporary copy of the option files with the candidate in place of
    ``path``: the live file changes only once the candidate has passed them (under the
    lock). ``old_text`` is None when the file does not exist yet.
    """
    binary = params["server_binary"] or find_server(module)
    flavor, version = server_flavor(module, binary) if binary else ("mariadb", (0, 0, 0))
    desired = dict((option_key(k), v) for k, v in params["options"].items() if v is not None)
    run_overrides = params["on_override"] != "ignore" and bool(desired)
    run_validate = params["validate"] and (content_changed or params["always_validate"])
    if run_validate and not binary:
        module.fail_json(msg="validate=true but no server binary (mariadbd or mysqld) was found: "
                             "set server_binary; %s was not changed." % path, **result)
    if not (run_overrides or run_validate):
        return
    roots = [params["defaults_file"]] if params["defaults_file"] else default_files(module, binary)
    tree = OptionTree(roots, path, new_text)
    try:
        tree.build()
        if run_overrides:
            check_overrides(module, params, tree, binary, flavor, path, old_text, desired, result)
        if run_validate:
            validate(module, params, tree, binary, flavor, version, path, desired, result)
    finally:
        tree.cleanup()


def resolve_path(module, params):
    """The file to edit (``directories`` applied) and the file really written (symlink target)."""
    path = params["path"]
    if params["directories"]:
        if "/" in path:
            module.fail_json(msg="With directories, path must be a file name only, not %s." % path)
        found = [d for d in params["directories"] if os.path.isdir(d)]
        if not found:
            module.fail_json(msg="None of the option directories %s exists: is the server "
                                 "installed? Give the full path of a file in a directory its "
                                 "my.cnf includes." % ", ".join(params["directories"]))
        path = os.path.join(found[0], path)
        params["path"] = path
    real = os.path.realpath(path)
    if os.path.islink(path) and not os.path.exists(path):
        module.fail_json(msg="%s is a symlink to %s, which does not exist: fix the link or give "
                             "the path of a regular file; nothing was written." % (path, real),
                         path=path, changed=False)
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory: give the path of the option file itself." % path,
                         path=path, changed=False)
    return path, real


ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    directories=dict(type="list", elements="path"),
    section=dict(type="str", default="mysqld"),
    options=dict(type="dict", default={}),
    exclusive=dict(type="bool", default=False),
    keep=dict(type="list", elements="str", default=[], no_log=False),
    create=dict(type="bool", default=True),
    header=dict(type="str"),
    backup=dict(type="bool", default=False),
    on_override=policy_option("warn", aliases=["check_overrides"]),
    validate=dict(type="bool", default=False),
    always_validate=dict(type="bool", default=False),
    server_binary=dict(type="path"),
    defaults_file=dict(type="path"),
    lock_timeout=dict(type="int", default=60),
    datadir=dict(type="path"),
    will_persist=dict(type="bool", default=False),
)


def prepare(module, params):
    """Everything before the write; see the module docstring."""
    path, real = resolve_path(module, params)
    section = params["section"].strip().strip("[]")
    result = dict(changed=False, path=path, changes=[], overrides=[], effective={},
                  validated=False, mtime=None, previous_mtime=None, persisted={},
                  persisted_file=None)
    exists = os.path.exists(real)
    if not exists and not params["create"]:
        module.fail_json(msg="%s does not exist and create=false." % path, **result)
    if not exists and not os.path.isdir(os.path.dirname(real) or "."):
        module.fail_json(msg="The directory of %s does not exist: is the server installed, and "
                             "is this the option directory of its flavor?" % path, **result)
    if not module.check_mode:
        lock_directory(module, os.path.dirname(real) or ".", params["lock_timeout"], result)
    old_text = ""
    if exists:
        result["previous_mtime"] = os.stat(real).st_mtime
        try:
            old_text = read_text(real)
        except (IOError, OSError) as exc:
            module.fail_json(msg="Cannot read %s: %s." % (path, exc), **result)

    try:
        check_request(section, params["options"])
        refuse_control_characters("the header", params["header"] or "", allowed="\n\t")
        owner_problem = unknown_owner(params.get("owner"), params.get("group"))
        if owner_problem:
            raise OptionFileError(owner_problem)
    except OptionFileError as exc:
        module.fail_json(msg="Refused, nothing was changed in %s: %s." % (path, exc), **result)
    try:
        new_text, changes = edit(old_text, section, params["options"], params["exclusive"],
                                 params["keep"])
    except OptionFileError as exc:
        module.fail_json(msg="%s is not a valid option file, nothing was changed: %s. Fix the "
                             "file by hand (mysqld would refuse it too)." % (path, exc), **result)
    # A [client] password (a ~/.my.cnf) of the old or the new text is masked in the
    # changes, the diff, the effective values and any message.
    module.no_log_values.update(secret_values(old_text, new_text))
    if not exists and params["header"]:
        new_text = "".join("# %s\n" % line if line else "#\n"
                           for line in params["header"].rstrip().split("\n")) + new_text
    content_changed = new_text != old_text or not exists
    result["changes"] = changes
    if content_changed:
        shown = lambda text: to_bytes(text).decode("utf-8", "replace")  # noqa: E731
        result["diff"] = dict(before=shown(old_text), after=shown(new_text),
                              before_header=path if exists else "%s (absent)" % path,
                              after_header=path)
    file_args = module.load_file_common_arguments(params, path=real)
    check_candidate(module, params, path, old_text if exists else None, new_text,
                    content_changed, result)
    return dict(result=result, real=real, exists=exists, new_text=new_text,
                content_changed=content_changed, file_args=file_args)


def check_result(module, ctx):
    """Check mode: ``changed`` (content or attributes) and ``mtime``, nothing written."""
    result = ctx["result"]
    result["changed"] = ctx["content_changed"]
    if ctx["exists"]:
        result["changed"] = module.set_fs_attributes_if_different(ctx["file_args"],
                                                                  result["changed"])
        result["mtime"] = os.stat(ctx["real"]).st_mtime
    return result


def write(module, params, ctx, backup=False):
    """Replace the live file with the candidate (when it differs) and set its attributes."""
    result, real = ctx["result"], ctx["real"]
    if ctx["content_changed"]:
        if ctx["exists"] and backup:
            result["backup_file"] = module.backup_local(real)
        write_atomic(module, real, ctx["new_text"])
        if not ctx["exists"] and params["mode"] is None:
            os.chmod(real, 0o644)
        result["changed"] = True
    result["changed"] = module.set_fs_attributes_if_different(ctx["file_args"], result["changed"])
    result["mtime"] = os.stat(real).st_mtime if os.path.exists(real) else None
    return result
