#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
    byte for byte. The file is written atomically (temporary file and rename).
  - A file that mysqld would refuse to read (an option before any section, a broken
    section header, an unknown C(!) directive, an unterminated quote) fails the task with
    the line number and is left untouched.
  - After writing, the effective option list of the server
    (C(my_print_defaults --mysqld), or C(mariadbd --print-defaults)) is read to find
    options of ours that a file read later sets to another value, or a file the server
    does not read at all (O(check_overrides)).
  - With O(validate=true) the server binary checks the whole configuration after the
    write (C(mysqld --validate-config) on MySQL 8.0.16 and later,
    C(mariadbd --help --verbose) on MariaDB, which fails on unknown options and bad
    values without touching the data directory). If the check or O(check_overrides=fail)
    fails, the previous file content is put back (or the new file removed) and the task
    fails with the server's own message.
version_added: "0.1.0"
author: steadydb contributors
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
    description: Check the configuration with the server binary after writing (see
      above). Nothing is validated in check mode or when the file did not change.
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
extends_documentation_fragment: [files]
notes:
  - Supports C(check_mode) and C(diff). In check mode the overrides and the server check
    are not run.
  - Only the section named is edited; an option set for mysqld in another group
    (C([server]), C([mariadbd])) of the same file counts as any other override.
seealso:
  - module: mysql_global_variables
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
    them, in the order they are read.
  type: list
  elements: dict
  returned: always
  sample: [{option: max_connections, ours: "300", effective: "500", files: [/root/.my.cnf]}]
previous_mtime:
  description: Modification time of the file before the task (null when it did not exist).
  type: float
  returned: always
effective:
  description: The value the server will use for each option in O(options), from the
    effective option list (null when not read). Empty when the check did not run.
  type: dict
  returned: always
validated:
  description: True when the server binary checked the new configuration.
  type: bool
  returned: always
'''

import glob
import os
import re
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.option_file import (
    OptionFileError, edit, find_overrides, option_key, parse, parse_print_defaults,
    validation_errors)

_SEARCH = ("/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/mysql/bin")
DEFAULT_FILES = ("/etc/my.cnf", "/etc/mysql/my.cnf", "~/.my.cnf")
# Groups mysqld reads, for naming the files that override us (my_print_defaults is the
# authority on *whether* an option is overridden; this only says *where*).
MYSQLD_GROUPS = ("mysqld", "server", "mariadb", "mariadbd", "client-server", "galera")


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
            return parse_print_defaults(out), " ".join(cmd)
    if binary:
        cmd = [binary] + defaults_args(defaults_file) + ["--print-defaults"]
        rc, out, err = module.run_command(cmd)
        if rc == 0:
            tokens = [t for line in out.splitlines()[1:] for t in shlex.split(line)]
            return parse_print_defaults("\n".join(tokens)), " ".join(cmd)
        module.fail_json(msg="Cannot read the effective option list with %s (exit %d: %s): "
                             "install my_print_defaults (mariadb-client or mysql-client) or set "
                             "check_overrides=ignore." % (" ".join(cmd), rc, (err or out).strip()))
    module.fail_json(msg="Neither my_print_defaults nor a server binary was found to read the "
                         "effective option list: install the server's client tools, set "
                         "server_binary, or set check_overrides=ignore.")


def read_order(defaults_file):
    """Files mysqld reads, in order, following !include and !includedir (best effort)."""
    order, seen = [], set()

    def visit(path):
        path = os.path.expanduser(path)
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(path):
            return
        seen.add(real)
        order.append(path)
        try:
            with open(path) as handle:
                for line in handle:
                    words = line.strip().split(None, 1)
                    if len(words) == 2 and words[0] == "!include":
                        visit(words[1])
                    elif len(words) == 2 and words[0] == "!includedir":
                        for name in sorted(glob.glob(os.path.join(words[1], "*.cnf"))):
                            visit(name)
        except (IOError, OSError, UnicodeDecodeError):
            pass

    for path in ([defaults_file] if defaults_file else DEFAULT_FILES):
        visit(path)
    return order


def files_setting(order, key, after):
    """Files in ``order`` after ``after`` that set ``key`` in a group mysqld reads."""
    found, past = [], after not in order
    for path in order:
        if path == after:
            past = True
            continue
        if not past:
            continue
        try:
            with open(path) as handle:
                lines = parse(handle.read())
        except (IOError, OSError, UnicodeDecodeError, OptionFileError):
            continue
        for line in lines:
            group = re.sub(r"-\d+(\.\d+)*$", "", line.section or "")
            if line.kind == "option" and option_key(line.name).replace("loose_", "", 1) == key \
                    and (line.section in MYSQLD_GROUPS or group in MYSQLD_GROUPS):
                found.append("%s:%d" % (path, line.number))
    return found


def write_atomic(module, path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        module.atomic_move(tmp, path, unsafe_writes=module.params.get("unsafe_writes"))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            directories=dict(type="list", elements="path"),
            section=dict(type="str", default="mysqld"),
            options=dict(type="dict", default={}),
            exclusive=dict(type="bool", default=False),
            create=dict(type="bool", default=True),
            header=dict(type="str"),
            backup=dict(type="bool", default=False),
            check_overrides=dict(type="str", default="warn", choices=["fail", "warn", "ignore"]),
            validate=dict(type="bool", default=False),
            always_validate=dict(type="bool", default=False),
            server_binary=dict(type="path"),
            defaults_file=dict(type="path"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
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
    section = params["section"].strip().strip("[]")
    result = dict(changed=False, path=path, changes=[], overrides=[], effective={},
                  validated=False, mtime=None, previous_mtime=None)

    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory: give the path of the option file itself." % path,
                         **result)
    exists = os.path.exists(path)
    if not exists and not params["create"]:
        module.fail_json(msg="%s does not exist and create=false." % path, **result)
    if not exists and not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg="The directory of %s does not exist: is the server installed, and "
                             "is this the option directory of its flavor?" % path, **result)
    old_text = ""
    old_stat = None
    if exists:
        old_stat = os.stat(path)
        result["previous_mtime"] = old_stat.st_mtime
        try:
            with open(path) as handle:
                old_text = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="Cannot read %s: %s." % (path, exc), **result)

    try:
        new_text, changes = edit(old_text, section, params["options"], params["exclusive"])
    except OptionFileError as exc:
        module.fail_json(msg="%s is not a valid option file, nothing was changed: %s. Fix the "
                             "file by hand (mysqld would refuse it too)." % (path, exc), **result)
    if not exists and params["header"]:
        header = "".join("# %s\n" % line if line else "#\n"
                         for line in params["header"].rstrip().splitlines())
        new_text = header + new_text
    content_changed = new_text != old_text or not exists
    result["changes"] = changes
    if content_changed:
        result["diff"] = dict(before=old_text, after=new_text,
                              before_header=path if exists else "%s (absent)" % path,
                              after_header=path)

    if module.check_mode:
        result["changed"] = content_changed
        if exists:
            file_args = module.load_file_common_arguments(params)
            result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
            result["mtime"] = os.stat(path).st_mtime
        module.exit_json(**result)

    def restore():
        # The previous content, and its mtime: the role compares the mtime with the
        # server's start time to find a pending restart.
        if exists:
            write_atomic(module, path, old_text)
            os.utime(path, (old_stat.st_atime, old_stat.st_mtime))
        elif os.path.exists(path):
            os.unlink(path)

    if content_changed:
        if exists and params["backup"]:
            result["backup_file"] = module.backup_local(path)
        write_atomic(module, path, new_text)
        if not exists and params["mode"] is None:
            os.chmod(path, 0o644)
        result["changed"] = True

    kept = "was put back as it was" if content_changed else "was not changed"
    binary = params["server_binary"] or find_server(module)
    flavor, version = server_flavor(module, binary) if binary else ("mariadb", (0, 0, 0))
    desired = dict((option_key(k), v) for k, v in params["options"].items() if v is not None)

    if params["check_overrides"] != "ignore" and desired:
        effective, command = effective_options(module, binary, flavor, params["defaults_file"])
        last = dict(effective)
        result["effective"] = dict((key, last.get(key)) for key in desired)
        problems = find_overrides(effective, desired)
        if problems:
            # my_print_defaults says what wins, not where it comes from: follow the
            # includes ourselves to name the files (and to see whether ours is read).
            order = read_order(params["defaults_file"])
            texts = []
            for problem in problems:
                if problem["effective"] is None:
                    problem["files"] = []
                    texts.append("%s is not in the effective option list" % problem["option"])
                else:
                    problem["files"] = files_setting(order, problem["option"], path)
                    texts.append("%s = %s is overridden by %s = %s read after this file%s" % (
                        problem["option"], problem["ours"], problem["option"], problem["effective"],
                        (" (in %s)" % ", ".join(problem["files"])) if problem["files"] else ""))
            result["overrides"] = problems
            real = os.path.realpath(path)
            not_read = real not in [os.path.realpath(p) for p in order]
            msg = "; ".join(texts)
            if not_read:
                msg = ("the server does not read this file at all (it is not among the files "
                       "%s reads through !include and !includedir, and the effective values are "
                       "%s): put the drop-in into a directory named by !includedir" % (
                           params["defaults_file"] or ", ".join(DEFAULT_FILES),
                           ", ".join("%s = %s" % (p["option"], p["effective"]) for p in problems)))
            else:
                msg += " (from %s; the last value wins)" % command
            if params["check_overrides"] == "fail":
                if content_changed:
                    restore()
                module.fail_json(msg="%s%s: %s." % (
                    path, ", put back as it was" if content_changed else "", msg),
                    **dict(result, changed=False))
            module.warn("%s: %s." % (path, msg))

    if params["validate"] and (content_changed or params["always_validate"]):
        if not binary:
            if content_changed:
                restore()
            module.fail_json(msg="validate=true but no server binary (mariadbd or mysqld) was found: "
                                 "set server_binary; %s %s." % (path, kept),
                             **dict(result, changed=False))
        if flavor == "mysql" and version < (8, 0, 16):
            module.warn("MySQL %s has no --validate-config (8.0.16+): %s was not validated."
                        % (".".join(map(str, version)), path))
        else:
            if flavor == "mysql":
                cmd = [binary] + defaults_args(params["defaults_file"]) + ["--validate-config"]
            else:
                cmd = [binary] + defaults_args(params["defaults_file"]) + ["--help", "--verbose"]
            if flavor == "mysql" and os.geteuid() == 0:
                cmd.append("--user=mysql")  # mysqld refuses to parse as root otherwise
            rc, out, err = module.run_command(cmd)
            errors = validation_errors(rc, err if flavor == "mariadb" else out + err, desired)
            if errors:
                if content_changed:
                    restore()
                module.fail_json(msg="The server rejects the configuration with %s: %s. %s %s; the "
                                     "running server was not touched." % (
                                         path, " / ".join(errors), path, kept),
                                 server_messages=errors, command=" ".join(cmd),
                                 **dict(result, changed=False))
            result["validated"] = True

    file_args = module.load_file_common_arguments(params)
    result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    result["mtime"] = os.stat(path).st_mtime if os.path.exists(path) else None
    module.exit_json(**result)


if __name__ == "__main__":
    main()
