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
  - Existing files are read as mysqld's own reader reads them (the comment from the
    first C(#) outside quotes, one pair of enclosing quotes removed, backslash escapes;
    only the bytes mysqld calls blanks stripped, tab, newline, vertical tab, form feed,
    carriage return, space and 0xA0; C([ mysqld ]) is not the mysqld group). A file that mysqld would refuse to read (an
    option before any section, a section header without C(])), or that holds an unknown
    C(!) directive or an option name mysqld would not start with, fails the task with
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
    all (O(on_override)). The same copy with the current content must give the live
    option list, or the task fails (the copy would not mean anything).
  - On Oracle MySQL the override check also reads C(DATADIR/mysqld-auto.cnf), the file
    C(SET PERSIST) and C(SET PERSIST_ONLY) write (by an admin, by
    M(steadydb.mysql.mysql_global_variables) with C(persist=true)). The server reads it after every
    option file, at every start, so a persisted value that differs from ours is an
    override (O(on_override)); the message names the file and the variable, says what
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
    directory). If the check or O(on_override=fail) fails, the task fails with the
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
        quoted. A value mysqld would read otherwise (one holding a backslash escape such as
        C(\n) or C(\s), or one that must be quoted and holds both quote characters)
        fails before anything is written.
      - The values of secret options (C(password), C(ssl_key), names with C(secret) or
        C(token), ...) in the file before or after are masked in everything the module
        returns (changes, diff, messages).
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
  on_override:
    description:
      - What to do when the effective option list shows that one of our options ends up
        with another value (set again in a file read after ours) or is not read at all.
      - V(fail) puts the previous file back and fails; V(warn) warns; V(ignore) skips the
        check.
    type: str
    choices: [fail, warn, ignore]
    default: warn
    aliases: [check_overrides]
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
  - files
  - ansible.builtin.action_common_attributes
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
    on_override: fail
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.option_file_task import (ARGUMENT_SPEC, check_result, prepare,
                                                             write)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, add_file_common_args=True,
                           supports_check_mode=True)
    params = module.params
    ctx = prepare(module, params)
    # Check mode ends here, after the read-only checks of the candidate: --check then
    # predicts an override or a refused value the real run would fail on.
    if module.check_mode:
        module.exit_json(**check_result(module, ctx))
    module.exit_json(**write(module, params, ctx, backup=params["backup"]))


if __name__ == "__main__":
    main()
