# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check, convert and compare desired GLOBAL variable values against the server's.

Pure logic for the ``mysql_global_variables`` module: the module reads what the server
says about each variable (``VarInfo``) and asks here what to send and whether it
already matches.

Public API:

- ``variable_name(name)`` -> str: ``max-connections`` -> ``max_connections``; raises
  ValueError for anything that is not a plain variable name (names cannot be bound as
  SQL parameters, so this is also the injection guard).
- ``VarInfo``: what the server knows of one variable (type, range, enum values,
  read-only, current value).
- ``to_sql_value(info, desired)`` -> the Python value for ``SET GLOBAL name = %s``;
  raises ValueError (wrong type, out of range, not one of the allowed values) with a
  sentence naming the variable.
- ``is_same(info, current, desired)`` -> bool: reruns must report changed=false.
- ``is_masked(value)`` -> bool: the server showed ``********`` instead of the value.
- ``compare(info, current, desired)`` -> ``"same"``, ``"different"`` or ``"unknown"``
  (the server masks the value, so whether it is the desired one cannot be known).
- ``display(name, value, secret)`` -> str: the value as shown in diff/results.
- ``is_secret(name)`` -> bool.
"""

import re
from decimal import Decimal, InvalidOperation

from ansible.module_utils.steadydb.units import shown_decimal_is, to_bool, to_bytes, values_equal

# Variables the server treats as a minimum: mariadbd/mysqld raise open_files_limit to
# what max_connections and table_open_cache need and to the process's file limit, so a
# running value above the desired one already satisfies it (and a restart would not
# lower it).
FLOOR_VARIABLES = frozenset(("open_files_limit",))

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SECRET_RE = re.compile(r"(password|passwd|secret|_auth$|_key$|key_id|token)")
MASK = "********"
# What MariaDB shows instead of the value of a set wsrep_sst_auth (an empty one is shown
# as empty). Same text as MASK by coincidence of taste, not by design.
SERVER_MASK = "********"


def variable_name(name):
    """Lower-case, ``-`` -> ``_``; ValueError unless it looks like a variable name."""
    key = str(name).strip().lower().replace("-", "_")
    if key.startswith("@@global."):
        key = key[len("@@global."):]
    if not _NAME_RE.match(key) or len(key) > 64:
        raise ValueError("%r is not a server variable name (letters, digits and _ only)" % (name,))
    return key


def is_secret(name):
    """Variables whose values must never be printed (wsrep_sst_auth, *_password, ...)."""
    return bool(_SECRET_RE.search(name))


def display(name, value, secret=False):
    if secret or is_secret(name):
        return MASK
    return value


def as_text(value):
    """A value as a diff line shows it: booleans as ON/OFF."""
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    return str(value)


NUMERIC_TYPES = ("INT", "INT UNSIGNED", "BIGINT", "BIGINT UNSIGNED", "SMALLINT",
                 "SMALLINT UNSIGNED", "TINYINT", "TINYINT UNSIGNED", "MEDIUMINT",
                 "MEDIUMINT UNSIGNED", "INTEGER", "NUMERIC")


class VarInfo(object):
    """What the server says about a variable.

    ``vtype`` is MariaDB's information_schema.SYSTEM_VARIABLES.VARIABLE_TYPE
    (``INT UNSIGNED``, ``BOOLEAN``, ``ENUM``, ``SET``, ``DOUBLE``, ``VARCHAR``, ...) or
    None when unknown (MySQL): then the type is inferred from the current value.
    ``read_only`` is True/False, or None when unknown (MySQL: learned from the SET).
    """

    def __init__(self, name, current, vtype=None, minimum=None, maximum=None,
                 allowed=None, read_only=None):
        self.name = name
        self.current = current
        self.vtype = (vtype or "").upper() or None
        self.minimum = minimum
        self.maximum = maximum
        self.allowed = [a for a in (allowed or []) if a != ""] or None
        self.read_only = read_only

    @property
    def kind(self):
        """numeric, double, bool, enum, set or text."""
        vtype = self.vtype
        if vtype:
            if vtype in NUMERIC_TYPES:
                return "numeric"
            if vtype in ("DOUBLE", "DECIMAL", "FLOAT"):
                return "double"
            if vtype == "BOOLEAN":
                return "bool"
            if vtype == "ENUM":
                return "enum"
            if vtype in ("SET", "FLAGSET"):
                return "set"
            return "text"
        current = "" if self.current is None else str(self.current)
        if re.match(r"^-?\d+$", current):
            return "numeric"
        if re.match(r"^-?\d+\.\d+$", current):
            return "double"
        if current.upper() in ("ON", "OFF"):
            return "bool"
        return "text"


def _number(value):
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def to_sql_value(info, desired):
    """The value to bind in ``SET GLOBAL <name> = %s`` or ValueError with the reason."""
    name, kind = info.name, info.kind
    if desired is None:
        raise ValueError("%s: a value is required (null given)" % name)
    if kind == "numeric":
        if isinstance(desired, bool):
            raise ValueError("%s takes a number, not the boolean %s" % (name, display(name, desired)))
        text = str(desired).strip()
        try:
            number = int(text) if re.match(r"^-?\d+$", text) else to_bytes(text)
        except ValueError:
            raise ValueError("%s takes a whole number (sizes like 64M are accepted), not %r"
                             % (name, display(name, desired)))
        low, high = _number(info.minimum), _number(info.maximum)
        if low is not None and number < low or high is not None and number > high:
            raise ValueError("%s = %s is outside the range the server accepts (%s to %s)"
                             % (name, display(name, desired), info.minimum, info.maximum))
        return number
    if kind == "double":
        number = _number(desired) if not isinstance(desired, bool) else None
        if number is None or not number.is_finite():  # NaN compares with nothing
            raise ValueError("%s takes a decimal number, not %r" % (name, display(name, desired)))
        low, high = _number(info.minimum), _number(info.maximum)
        if low is not None and number < low or high is not None and number > high:
            raise ValueError("%s = %s is outside the range the server accepts (%s to %s)"
                             % (name, desired, info.minimum, info.maximum))
        return number
    if kind == "bool":
        try:
            return "ON" if to_bool(desired) else "OFF"
        except ValueError:
            raise ValueError("%s takes ON or OFF, not %r" % (name, display(name, desired)))
    if kind == "enum":
        text = str(desired).strip()
        if isinstance(desired, bool):
            text = "ON" if desired else "OFF"
        if info.allowed:
            for allowed in info.allowed:
                if allowed.upper() == text.upper():
                    return allowed
            raise ValueError("%s takes one of %s, not %r" % (
                name, ", ".join(info.allowed), display(name, desired)))
        return text
    if kind == "set":
        items = desired if isinstance(desired, (list, tuple)) else str(desired).split(",")
        items = [str(item).strip() for item in items if str(item).strip()]
        if info.allowed:
            allowed = dict((a.upper(), a) for a in info.allowed)
            unknown = [item for item in items if item.upper().split("=")[0] not in allowed
                       and item.upper() not in allowed]
            if unknown and info.vtype == "SET":
                raise ValueError("%s does not know %s (allowed: %s)" % (
                    name, ", ".join(unknown), ", ".join(info.allowed)))
        return ",".join(items)
    if isinstance(desired, bool):
        return "ON" if desired else "OFF"
    return str(desired)


def is_same(info, current, desired):
    """True when the server's ``current`` value already is ``desired``.

    Numbers compare as numbers (``128M`` == ``134217728``; for FLOOR_VARIABLES a larger
    running value counts as the same), booleans as booleans,
    enums case-insensitively, sets as unordered case-insensitive sets; anything that
    cannot be converted compares unequal (and fails later in ``to_sql_value``).
    """
    kind = info.kind
    try:
        wanted = to_sql_value(info, desired)
    except ValueError:
        return False
    if current is None:
        return False
    if kind == "numeric":
        try:
            if info.name in FLOOR_VARIABLES:
                return int(str(current).strip()) >= wanted
            return int(str(current).strip()) == wanted
        except ValueError:
            return False
    if kind == "double":
        shown = _number(current)
        return shown is not None and shown.is_finite() and shown_decimal_is(shown, wanted)
    if kind == "bool":
        try:
            return to_bool(current) == to_bool(wanted)
        except ValueError:
            return False
    if kind == "enum":
        return str(current).strip().upper() == str(wanted).upper()
    if kind == "set":
        def items(value):
            return set(v.strip().upper() for v in str(value).split(",") if v.strip())
        return items(current) == items(wanted)
    if isinstance(current, bool) or isinstance(desired, bool):
        return values_equal(info.name, current, desired)
    return str(current) == str(wanted)


def is_masked(value):
    """True when the server showed its mask instead of the value."""
    return value is not None and str(value) == SERVER_MASK


def compare(info, current, desired):
    """``"same"``, ``"different"`` or ``"unknown"`` for the server's ``current`` value.

    ``"unknown"``: the server masks the value (MariaDB's wsrep_sst_auth reads back as
    ``********`` once set), so no read-back can say whether it already is ``desired``.
    Comparing the mask itself with the value would claim a change on every run. An
    empty desired value is still "different": the server shows an empty value unmasked,
    so emptying it is visible and checkable.
    """
    if is_masked(current):
        if desired is None or str(desired) == "":
            return "different"
        return "unknown"
    return "same" if is_same(info, current, desired) else "different"
