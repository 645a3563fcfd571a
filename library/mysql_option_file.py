#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_option_file
short_description: Manage options in one section of a MySQL/MariaDB option file
description:
  - Sets or removes options in one section (C([mysqld]) by default) of an option file,
    typically a drop-in of its own such as
    C(/etc/mysql/mariadb.conf.d/99-steadydb.cnf), rather than owning C(my.cnf).
  - C(max-connections) and C(max_connections) are the same option; values are compared
    with units normalised (C(128M) equals C(134217728), C(ON) equals C(1)), so an
    equivalent value already in the file is left as it is.
  - Comments, blank lines, other sections and C(!include)/C(!includedir) lines are kept
    byte for byte, and so are line endings (a CRLF file stays CRLF, new lines follow it),
    form feeds and bytes that are not UTF-8. The file is written atomically (temporary
    file in the same directory, then rename).
  - A symlinked file (Debian's C(/etc/mysql/my.cnf) alternatives link) stays a symlink;
    the module writes through to its target. A symlink whose target does not exist is
    refused.
  - Refused before anything is written, naming the option, are a control character (line
    break, CR, NUL, other C0 controls, DEL) in an option name, a value, the section or
    O(header) (a line break would start a new option such as C(skip-grant-tables)); an
    option name that is not letters, digits, C(_), C(-), C(.); a section name with
    brackets, blanks, C(#) or C(;); a size that is not a whole number of bytes
    (C(1.3K)). A size with a decimal (C(1.5M)), which mysqld refuses in an option file
    ("Unknown suffix '.'"), is written as the whole bytes it means (C(1536K)).
  - A file that mysqld would refuse to read (an option before any section, a broken
    section header, an unknown C(!) directive, an unterminated quote) fails the task with
    the line number and is left untouched.
  - The checks run on a candidate, before the live file changes. The option files the
    server reads (the top-level files, what they C(!include), the C(*.cnf) files of each
    C(!includedir)) are copied into a private temporary directory with the candidate in
    place of the managed file; C(my_print_defaults) and the server binary read that copy
    with C(--defaults-file). The live file is replaced only when every check passed; a
    failed check leaves its bytes, inode and modification time as they were.
  - The effective option list of the candidate configuration
    (C(my_print_defaults --mysqld), or C(mariadbd --print-defaults)) shows options of ours
    that a file read later sets to another value, or a file the server does not read at
    all (O(check_overrides)). The same copy with the current content must give the live
    option list, or the task fails (the copy would not mean anything).
  - On Oracle MySQL the override check also reads C(DATADIR/mysqld-auto.cnf), the file
    C(SET PERSIST) and C(SET PERSIST_ONLY) write (by an admin, by
    M(steadydb.mysql.mysql_global_variables) with C(persist=true)). The server reads it after every
    option file, at every start, so a persisted value that differs from ours is an
    override (O(check_overrides)); the message names the file and the variable, says what
    the server will run with at its next start, and how to clear it
    (C(RESET PERSIST name)). The data directory is O(datadir), else the C(datadir) of the
    effective option list, else C(/var/lib/mysql); nothing is read when the options set
    C(persisted_globals_load=OFF). A file that is not valid JSON, which the server refuses
    to start with, counts as an override too. Encrypted values
    (C(mysql_sensitive_variables)) are not read. MariaDB has no C(SET PERSIST) and no such
    file; on MariaDB the option files are all there is.
  - With O(validate=true) the server binary checks the whole candidate configuration
    (C(mysqld --validate-config) on MySQL 8.0.16 and later, C(mariadbd --help --verbose)
    on MariaDB, which fails on unknown options and bad values without touching the data
    directory). If the check or O(check_overrides=fail) fails, the task fails with the
    server's own message and the file (and line) that sets the option the server
    complained about, which may be another file than this one; nothing is written. Lines
    the server skips in any file ("Wrong group definition in config file") are warnings
    naming that file.
  - Runs that edit a file in one directory are serialised by an exclusive C(flock) on
    that directory (the target's directory for a symlink), held from reading the file to
    writing it; O(lock_timeout) bounds the wait.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  path:
    description:
      - The option file.
      - With O(directories), only the file name, which goes into the first of those
        directories that exists.
    type: path
    required: true
  directories:
    description:
      - Candidate directories for the file named by O(path), in order of preference, for
        example the option directories of the flavors and distributions
        (C(/etc/mysql/mariadb.conf.d), C(/etc/my.cnf.d), C(/etc/mysql/conf.d)). The first
        one that exists is used; none existing fails the task.
    type: list
    elements: path
  section:
    description: The section (option group) to manage, without brackets.
    type: str
    default: mysqld
  options:
    description:
      - Option name to value. A V(null) value removes the option from the section.
      - Booleans are written as C(ON)/C(OFF); values with C(#) or surrounding spaces are
        quoted.
    type: dict
    default: {}
  exclusive:
    description: Remove options of O(section) that O(options) does not name (use it for
      a drop-in the task owns entirely).
    type: bool
    default: false
  keep:
    description:
      - With O(exclusive), options of O(section) left as they are when O(options) does not
        name them.
      - The plan lists here the buffer sizes its memory budget may shrink
        (C(server.keep_if_present)). A rerun measures the shrunk live sizes, which now fit
        and need no change, and must not drop the lines that set them.
    type: list
    elements: str
    default: []
  create:
    description: Create the file when it does not exist (mode C(0644) unless O(mode) is
      given; mysqld ignores world-writable option files).
    type: bool
    default: true
  header:
    description: Comment written at the top of a file this module creates (each line is
      prefixed with C(# )).
    type: str
  backup:
    description: Keep a copy of the previous file (named C(<path>.<pid>.<timestamp>~),
      which C(!includedir) does not read because it does not end in C(.cnf)).
    type: bool
    default: false
  check_overrides:
    description:
      - What to do when the effective option list shows that one of our options ends up
        with another value (set again in a file read after ours) or is not read at all.
      - V(fail) puts the previous file back and fails; V(warn) warns; V(ignore) skips the
        check.
    type: str
    choices: [fail, warn, ignore]
    default: warn
  validate:
    description: Check the candidate configuration with the server binary before writing
      (see above). Check mode runs the validation too (on the temporary copy); nothing is
      validated when the file did not change.
    type: bool
    default: false
  always_validate:
    description: With O(validate=true), validate also when the file did not change (for
      example right before a restart).
    type: bool
    default: false
  server_binary:
    description: The server binary used by O(validate) and to tell MariaDB from MySQL.
      Found on the PATH and in C(/usr/sbin), C(/usr/libexec) (mariadbd, then mysqld) when
      unset.
    type: path
  defaults_file:
    description: Read only this top-level option file (and what it includes) instead of
      the server's default search order (C(/etc/my.cnf), C(/etc/mysql/my.cnf),
      C(~/.my.cnf)). For servers started with C(--defaults-file).
    type: path
  lock_timeout:
    description: Seconds to wait for another run editing a file in the same directory
      (see the description) before failing with a message that names the directory.
    type: int
    default: 60
  datadir:
    description: The server's data directory, where Oracle MySQL keeps C(mysqld-auto.cnf)
      (see the description). Unset, the C(datadir) of the effective option list, else
      C(/var/lib/mysql).
    type: path
  will_persist:
    description:
      - A later task sets the same options with C(SET PERSIST)
        (M(steadydb.mysql.mysql_global_variables) with C(persist=true) and the same values), which
        replaces what C(mysqld-auto.cnf) holds for them. A persisted value that differs
        is then listed in RV(persisted) but is not an override.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - files
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written. Check mode runs the override check and the server check on the
        temporary copy too (they change nothing), so it fails where the real run would.
      - The persisted values are read from the live data directory in check mode too, so
        C(--check) says what a persisted value will do at the next start.
  diff_mode:
    support: full
    details: The whole file before and after (bytes that are not UTF-8 shown as U+FFFD).
  platform:
    support: full
    platforms: posix
    details: Needs C(flock) on the file's directory; O(validate) and the override check need
      the server's C(my_print_defaults) and server binary on the host.
notes:
  - Only the section named is edited; an option set for mysqld in another group
    (C([server]), C([mariadbd])) of the same file counts as any other override.
seealso:
  - module: steadydb.mysql.mysql_global_variables
'''

EXAMPLES = r'''
- name: steadydb's drop-in, validated, nothing read later may override it
  mysql_option_file:
    path: /etc/mysql/mariadb.conf.d/99-steadydb.cnf
    section: mysqld
    exclusive: true
    header: Managed by steadydb (role mysql_tuning). Local edits are replaced.
    options:
      max_connections: 300
      wait_timeout: 600
      innodb_buffer_pool_size: 1G
    check_overrides: fail
    validate: true
    backup: true

- name: Remove one option, keep everything else
  mysql_option_file:
    path: /etc/mysql/mariadb.conf.d/50-server.cnf
    options:
      max_connections: null
'''

RETURN = r'''
path:
  description: The option file (with O(directories), the full path chosen).
  type: str
  returned: always
mtime:
  description: Modification time of the file after the task (UNIX time, null when it does
    not exist). Compare with the server's start time to know whether it has read the file.
  type: float
  returned: always
changes:
  description: One entry per option changed, with the value before and after (null when
    absent).
  type: list
  elements: dict
  returned: always
  sample: [{option: max_connections, before: "151", after: "300"}]
backup_file:
  description: The copy of the previous file, when O(backup) made one.
  type: str
  returned: when a backup was made
overrides:
  description: Options of ours whose effective value is another one (C(effective)) or
    that the server does not read (C(effective) null); C(files) names the files that set
    them, in the order they are read. A value persisted with SET PERSIST has
    C(persisted=true) and C(clear), the statement that removes it.
  type: list
  elements: dict
  returned: always
  sample: [{option: max_connections, ours: "300", effective: "500", files: [/root/.my.cnf]},
           {option: wait_timeout, ours: "600", effective: "28800", persisted: true,
            files: [/var/lib/mysql/mysqld-auto.cnf], clear: RESET PERSIST wait_timeout}]
persisted:
  description: Options of ours that C(mysqld-auto.cnf) holds (SET PERSIST), with the
    persisted value, which the server uses at its next start. Empty on MariaDB, when the
    file does not exist or is not loaded (C(persisted_globals_load=OFF)).
  type: dict
  returned: always
  sample: {max_connections: "77"}
persisted_file:
  description: The C(mysqld-auto.cnf) that was read (null when none was).
  type: str
  returned: always
previous_mtime:
  description: Modification time of the file before the task (null when it did not exist).
  type: float
  returned: always
effective:
  description: The value the server will use for each option in O(options), from the
    effective option list (null when not read), or from C(mysqld-auto.cnf) when a value
    persisted there differs. Empty when the check did not run.
  type: dict
  returned: always
validated:
  description: True when the server binary checked the new configuration.
  type: bool
  returned: always
'''

import errno
import fcntl
import os
import re
import shlex
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.option_file import (
    OptionFileError, check_request, config_file_problems, edit, find_overrides, message_option,
    option_key, options_in_groups, parse_default_files, parse_print_defaults,
    refuse_control_characters, validation_errors)
from ansible.module_utils.steadydb.option_tree import OptionTree, read_text, to_bytes, write_atomic
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
                             "check_overrides=ignore." % (" ".join(cmd), rc, (err or out).strip()))
    module.fail_json(msg="Neither my_print_defaults nor a server binary was found to read the "
                         "effective option list: install the server's client tools, set "
                         "server_binary, or set check_overrides=ignore.")


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


def check_overrides(module, tree, binary, flavor, path, old_text, desired, result):
    """Fail or warn when the candidate's options are overridden or not read at all."""
    params = module.params
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
                "check_overrides=ignore." % (
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
        persisted, text = check_persisted(module, effective, desired, result)
        problems += persisted
        texts += [text] if text else []
    result["overrides"] = problems
    if not texts:
        return
    msg = "; ".join(texts)
    if params["check_overrides"] == "fail":
        module.fail_json(msg="%s was not changed: %s." % (path, msg), **result)
    module.warn("%s: %s." % (path, msg))


def check_persisted(module, effective, desired, result):
    """Overrides by values persisted with SET PERSIST (Oracle MySQL; read after every file).

    Returns (problems, message or None). ``effective`` is the candidate's option list:
    it names the datadir and whether the server loads the file at all.
    """
    auto = persisted_path(effective, module.params["datadir"])
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
    if module.params["will_persist"]:
        # A later task (mysql_global_variables persist=true, same options) persists our
        # values over these: reported in persisted, not overrides.
        return [], None
    return problems, "; ".join(describe(p) for p in problems) or None


def validate(module, tree, binary, flavor, version, path, desired, result):
    """Run the server's own configuration check on the copy; fail naming the culprit file."""
    params = module.params
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


def check_candidate(module, path, old_text, new_text, content_changed, result):
    """Run the override check and the server's validation on a copy holding ``new_text``.

    Every check reads a temporary copy of the option files with the candidate in place of
    ``path``: the live file changes only once the candidate has passed them (under the
    lock). ``old_text`` is None when the file does not exist yet.
    """
    params = module.params
    binary = params["server_binary"] or find_server(module)
    flavor, version = server_flavor(module, binary) if binary else ("mariadb", (0, 0, 0))
    desired = dict((option_key(k), v) for k, v in params["options"].items() if v is not None)
    run_overrides = params["check_overrides"] != "ignore" and bool(desired)
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
            check_overrides(module, tree, binary, flavor, path, old_text, desired, result)
        if run_validate:
            validate(module, tree, binary, flavor, version, path, desired, result)
    finally:
        tree.cleanup()


def resolve_path(module):
    """The file to edit (``directories`` applied) and the file really written (symlink target)."""
    params = module.params
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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            directories=dict(type="list", elements="path"),
            section=dict(type="str", default="mysqld"),
            options=dict(type="dict", default={}),
            exclusive=dict(type="bool", default=False),
            keep=dict(type="list", elements="str", default=[], no_log=False),
            create=dict(type="bool", default=True),
            header=dict(type="str"),
            backup=dict(type="bool", default=False),
            check_overrides=dict(type="str", default="warn", choices=["fail", "warn", "ignore"]),
            validate=dict(type="bool", default=False),
            always_validate=dict(type="bool", default=False),
            server_binary=dict(type="path"),
            defaults_file=dict(type="path"),
            lock_timeout=dict(type="int", default=60),
            datadir=dict(type="path"),
            will_persist=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path, real = resolve_path(module)
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
    except OptionFileError as exc:
        module.fail_json(msg="Refused, nothing was changed in %s: %s." % (path, exc), **result)
    try:
        new_text, changes = edit(old_text, section, params["options"], params["exclusive"],
                                 params["keep"])
    except OptionFileError as exc:
        module.fail_json(msg="%s is not a valid option file, nothing was changed: %s. Fix the "
                             "file by hand (mysqld would refuse it too)." % (path, exc), **result)
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
    check_candidate(module, path, old_text if exists else None, new_text, content_changed, result)

    # Check mode ends here, after the read-only checks of the candidate: --check then
    # predicts an override or a refused value the real run would fail on.
    if module.check_mode:
        result["changed"] = content_changed
        if exists:
            result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
            result["mtime"] = os.stat(real).st_mtime
        module.exit_json(**result)

    if content_changed:
        if exists and params["backup"]:
            result["backup_file"] = module.backup_local(real)
        write_atomic(module, real, new_text)
        if not exists and params["mode"] is None:
            os.chmod(real, 0o644)
        result["changed"] = True
    result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    result["mtime"] = os.stat(real).st_mtime if os.path.exists(real) else None
    module.exit_json(**result)


if __name__ == "__main__":
    main()
