# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes, booleans and SHOW GLOBAL VARIABLES values, typed the way the server means them.

Every steadydb module that reads or compares server settings goes through here, so
``128M`` in an inventory, ``134217728`` from ``SHOW GLOBAL VARIABLES`` and ``1G`` in a
my.cnf drop-in all compare the same way.

Public API (stable, other modules import it):

- ``to_bytes(value)`` -> int: MySQL size notation to bytes.
- ``format_size(num_bytes)`` -> str: bytes to the shortest form mysqld accepts (``1536M``).
- ``option_file_size(text)`` -> str: a size as an option file must spell it (``1.5M`` ->
  ``1536K``); other text unchanged.
- ``to_bool(value)`` -> bool: ON/OFF, 1/0, TRUE/FALSE, YES/NO.
- ``normalize_variable(name, value)`` -> int | bool | str: one SHOW GLOBAL VARIABLES value.
- ``normalize_variables(rows)`` -> dict: every row of SHOW GLOBAL VARIABLES.
- ``comparable(value)`` / ``values_equal(name, current, desired)``: compare a desired
  setting with the server's current one.

Pure logic: nothing here touches the network or imports a MySQL driver.
"""

import re
from decimal import Decimal, InvalidOperation

from ansible.module_utils.common.text.formatters import human_to_bytes

# mysqld's option parser (my_getopt) takes these suffixes, case-insensitive, as powers
# of 1024 and nothing else: no "B", no "KB", no "KiB". Order matters for format_size.
SIZE_SUFFIXES = ("K", "M", "G", "T", "P", "E")

_SIZE_RE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[KMGTPE])?\s*$", re.IGNORECASE)
_INT_RE = re.compile(r"^-?\d+$")
_DECIMAL_RE = re.compile(r"^-?\d+\.\d+$")

_TRUE_WORDS = frozenset(("ON", "1", "TRUE", "YES"))
_FALSE_WORDS = frozenset(("OFF", "0", "FALSE", "NO"))

# SHOW GLOBAL VARIABLES prints booleans as ON/OFF. Only those two words become bool:
# YES/NO appear in have_* variables next to DISABLED, and turning half of those values
# into bool would give one variable two types depending on the server.
_VARIABLE_BOOL_WORDS = {"ON": True, "OFF": False}

# Variables that hold free text even when that text happens to be all digits (a host
# named "1234", a version string); they always stay str.
STRING_VARIABLES = frozenset((
    "hostname",
    "report_host",
    "version",
    "version_comment",
    "innodb_version",
    "server_uid",
    "socket",
    "pid_file",
    "datadir",
    "basedir",
    "tmpdir",
))


def to_bytes(value):
    """Return a MySQL size (``128M``, ``1g``, ``134217728``, ``1.5G``) as an int of bytes.

    Suffixes K/M/G/T/P/E are powers of 1024 and case-insensitive, like mysqld's own
    option parser. A decimal is accepted when it names a whole number of bytes
    (``1.5G``), because inventories say it that way; mysqld itself rejects ``1.5G`` in
    an option file, so write values back with ``format_size``. Raises ValueError for
    anything else (negative numbers, ``B``/``KB``/``MiB`` suffixes, fractions of a byte).
    """
    if isinstance(value, bool):
        raise ValueError("%r is a boolean, not a size" % (value,))
    if isinstance(value, int):
        if value < 0:
            raise ValueError("size %d is negative" % value)
        return value
    if isinstance(value, float):
        if value < 0 or value != int(value):
            raise ValueError("size %r is not a whole, non-negative number of bytes" % value)
        return int(value)
    text = str(value)
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(
            "%r is not a MySQL size: use a number of bytes or a number with one of the "
            "suffixes K, M, G, T, P, E (powers of 1024)" % (text,))
    num, unit = match.group("num"), (match.group("unit") or "").upper()
    exact = Decimal(num) * (1024 ** (SIZE_SUFFIXES.index(unit) + 1) if unit else 1)
    if exact != exact.to_integral_value():
        raise ValueError("%r is not a whole number of bytes" % (text,))
    # human_to_bytes does the same arithmetic; it is the reference the rest of Ansible
    # uses, and the exactness check above keeps its rounding out of the picture.
    result = human_to_bytes(num, default_unit=unit or "B")
    if result != int(exact):  # float precision on exabyte-sized decimals
        result = int(exact)
    return result


def format_size(num_bytes):
    """Return ``num_bytes`` in the shortest exact form mysqld accepts (``1536M``, ``1G``).

    Falls back to the plain number when no suffix divides it exactly.
    """
    num_bytes = to_bytes(num_bytes)
    if num_bytes == 0:
        return "0"
    for power in range(len(SIZE_SUFFIXES), 0, -1):
        unit = 1024 ** power
        if num_bytes % unit == 0:
            return "%d%s" % (num_bytes // unit, SIZE_SUFFIXES[power - 1])
    return str(num_bytes)


_FRACTIONAL_SIZE_RE = re.compile(r"^\s*\d+\.\d+\s*[KMGTPE]\s*$", re.IGNORECASE)


def option_file_size(text):
    """Return ``text`` the way mysqld's option parser reads it in a file or on its command line.

    my_getopt takes an integer with at most one suffix: ``1.5M`` fails the server's start
    with "Unknown suffix '.'". A decimal with a suffix becomes its exact number of bytes,
    written with the largest suffix that divides it (``1.5M`` -> ``1536K``); a fraction of
    a byte (``1.3K``) raises ValueError. Anything else, including plain decimals such as
    ``long_query_time = 0.5``, is returned unchanged: only a suffix makes a value a size.
    """
    text = str(text)
    if not _FRACTIONAL_SIZE_RE.match(text):
        return text
    return format_size(to_bytes(text))


def to_bool(value):
    """Return ON/OFF, 1/0, TRUE/FALSE, YES/NO (any case, or a Python bool/0/1) as bool.

    Raises ValueError for anything else: a setting is never silently taken as false.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().upper()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValueError("%r is not a boolean: use ON/OFF, 1/0, TRUE/FALSE or YES/NO" % (value,))


def normalize_variable(name, value):
    """Type one value of SHOW GLOBAL VARIABLES: integer -> int, ON/OFF -> bool, else str.

    Decimals (``long_query_time`` = ``10.000000``) stay str so the facts carry exactly
    int, bool or str; compare them with ``values_equal``. NULL becomes ``""`` because the
    server prints it as an empty value. Names in STRING_VARIABLES always stay str.
    """
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (bool, int)):
        return value
    text = str(value)
    if name.lower() in STRING_VARIABLES:
        return text
    if _INT_RE.match(text):
        return int(text)
    word = text.upper()
    if word in _VARIABLE_BOOL_WORDS:
        return _VARIABLE_BOOL_WORDS[word]
    return text


def normalize_variables(rows):
    """Return ``{name: normalize_variable(name, value)}`` for (name, value) rows.

    Names are lower-cased: MySQL prints them that way and they are case-insensitive.
    """
    return dict((str(name).lower(), normalize_variable(str(name), value)) for name, value in rows)


def comparable(value):
    """Return ``value`` in a form where equal settings compare equal.

    bool-like words -> bool, integers and sizes -> int, decimals -> Decimal,
    other text -> stripped str. ``"1"`` becomes 1 (not True) so numeric variables keep
    comparing as numbers; ``1 == True`` in Python keeps boolean variables right too.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if _INT_RE.match(text):
        return int(text)
    if text.upper() in _TRUE_WORDS or text.upper() in _FALSE_WORDS:
        return to_bool(text)
    if _DECIMAL_RE.match(text):  # before sizes: "0.000000" is a decimal, not 0 bytes
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex already vetted it
            pass
    try:
        return to_bytes(text)
    except ValueError:
        pass
    return text


def shown_decimal_is(shown, wanted):
    """True when the server, showing a decimal variable as ``shown``, holds ``wanted``.

    The server keeps a DOUBLE variable as a binary double and shows it with a fixed
    number of decimals (6: ``long_query_time`` set to 0.0000001 reads back 0.000000), so
    ``wanted`` (a Decimal or int) is compared as the server would show it: the nearest
    double printed with ``shown``'s decimals, as C's printf does. Digit for digit, a value
    finer than that looked changed on every run.
    """
    places = -shown.as_tuple().exponent
    if places <= 0:
        return shown == wanted
    try:
        return shown == Decimal("%.*f" % (places, float(wanted)))
    except OverflowError:  # beyond any double: not what the server shows
        return False


def values_equal(name, current, desired):
    """True when ``desired`` (inventory form) means the same as ``current`` (server form).

    ``name`` is accepted so variable-specific rules can be added without changing
    callers; today every variable uses ``comparable`` on both sides, which covers
    ``128M`` vs ``134217728``, ``ON`` vs ``true`` and ``10`` vs ``10.000000``; a decimal
    is compared at the places ``current`` shows (``shown_decimal_is``).
    """
    del name  # reserved for per-variable rules
    left, right = comparable(current), comparable(desired)
    if isinstance(left, Decimal) and isinstance(right, (Decimal, int)) and not isinstance(right, bool):
        return shown_decimal_is(left, right)
    if isinstance(left, str) or isinstance(right, str):
        return str(left) == str(right)
    return left == right
