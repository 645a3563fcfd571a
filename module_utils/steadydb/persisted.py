# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values persisted with SET PERSIST (Oracle MySQL 8.0 and later).

``SET PERSIST`` and ``SET PERSIST_ONLY`` write ``DATADIR/mysqld-auto.cnf`` (JSON). The
server reads it at every start after all the option files, so a persisted value beats
any drop-in, however late that drop-in is read; ``my_print_defaults`` does not show it.
MariaDB has no SET PERSIST and reads no such file.

Pure logic (no file access), used by ``mysql_option_file``:

- ``parse_persisted(text)`` -> {key: value as text}: every persisted variable, from the
  Version 2 layout (``mysql_static_variables``, ``mysql_dynamic_variables``,
  ``mysql_dynamic_parse_early_variables``) and the older ``mysql_server`` one (with
  ``mysql_server_static_options`` inside). Encrypted ``mysql_sensitive_variables`` are
  skipped (passwords and keys, never options of a connection plan). Raises
  PersistedError for a file mysqld would refuse to start with.
- ``persisted_path(effective, datadir=None)`` -> the file: ``datadir`` if given, else the
  last ``datadir`` of the effective option list, else ``/var/lib/mysql``.
- ``loads_persisted(effective)`` -> False when ``persisted_globals_load`` is OFF.
- ``persisted_overrides(persisted, desired, path)`` -> list of override dicts (the shape
  ``find_overrides`` returns, plus ``persisted`` and ``clear``).
- ``describe(problem)`` -> the sentence telling what happens at the next start and how
  to clear it.
"""

import json
import posixpath

from ansible.module_utils.steadydb.option_file import format_value, option_key, same_value
from ansible.module_utils.steadydb.units import to_bool

AUTO_CNF = "mysqld-auto.cnf"
DEFAULT_DATADIR = "/var/lib/mysql"
# Encrypted with the keyring; holds no option a drop-in sets.
_SENSITIVE = "mysql_sensitive_variables"
_METADATA_KEYS = ("Version",)


class PersistedError(Exception):
    """mysqld-auto.cnf is not something the server would read."""


def _entries(section, where, found):
    if not isinstance(section, dict):
        raise PersistedError("%s is not a JSON object" % where)
    for name, entry in section.items():
        if isinstance(entry, dict) and "Value" not in entry:
            # Version 1 nests the static options inside "mysql_server".
            _entries(entry, "%s.%s" % (where, name), found)
            continue
        value = entry.get("Value") if isinstance(entry, dict) else entry
        found[option_key(name)] = None if value is None else str(value)


def parse_persisted(text):
    """{key: value} of every variable in a mysqld-auto.cnf text (see the module doc)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PersistedError("not valid JSON (%s)" % exc)
    if not isinstance(data, dict):
        raise PersistedError("the top level is not a JSON object")
    found = {}
    for key, section in data.items():
        if key in _METADATA_KEYS or key == _SENSITIVE:
            continue
        _entries(section, key, found)
    return found


def persisted_path(effective, datadir=None):
    """Where the server looks for mysqld-auto.cnf (``effective``: [(key, value)])."""
    if not datadir:
        for key, value in effective:
            if key == "datadir" and value:
                datadir = value
    return posixpath.join(datadir or DEFAULT_DATADIR, AUTO_CNF)


def loads_persisted(effective):
    """Whether the server reads mysqld-auto.cnf at start (``persisted_globals_load``)."""
    load = True
    for key, value in effective:
        if key == "persisted_globals_load":
            try:
                load = True if value is None else to_bool(value)
            except ValueError:
                load = True  # mysqld would refuse the value; the validation says so
    return load


def _written(value):
    """``value`` as the drop-in writes it, or as given when no drop-in could hold it
    (``format_value`` refuses it; mysql_global_variables sets it without a drop-in)."""
    try:
        return format_value(value)
    except ValueError:
        return str(value)


def _same(persisted, value):
    """A persisted value (the server's spelling) means ``value`` (the drop-in's).

    SET PERSIST stores enums and sets as the server spells them
    (``one-thread-per-connection``, ``STRICT_TRANS_TABLES``) while the drop-in keeps the
    spelling of the plan; mysqld reads both case-insensitively. A path differing only in
    case would pass too: a far smaller risk than failing every run on an enum.
    """
    persisted = "" if persisted is None else persisted
    if same_value(persisted, value):
        return True
    return persisted.lower() == _written(value).strip("'\"").lower()


def persisted_overrides(persisted, desired, path):
    """Options of ``desired`` whose persisted value in ``path`` is another one."""
    problems = []
    for name, value in desired.items():
        key = option_key(name)
        if value is None or key not in persisted:
            continue
        if _same(persisted[key], value):
            continue
        problems.append({"option": key, "ours": _written(value), "effective": persisted[key],
                         "files": [path], "persisted": True, "clear": "RESET PERSIST %s" % key})
    return problems


def describe(problem):
    """What a persisted value does at the next start, and how to clear it."""
    return ("%s = %s is persisted in %s (SET PERSIST), which the server reads after every "
            "option file: at its next start it will run with %s = %s, not %s; clear it with "
            "%s (or persist our value)" % (
                problem["option"], problem["effective"], problem["files"][0],
                problem["option"], problem["effective"], problem["ours"], problem["clear"]))
