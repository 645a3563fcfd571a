# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit one section of a MySQL/MariaDB option file without losing anything else.

Pure logic (no file or process access) used by the ``mysql_option_file`` module and
the ``mysql_tuning`` role.

Public API:

- ``option_key(name)`` -> str: ``Max-Connections`` and ``max_connections`` are the same
  option to mysqld; both give ``max_connections``.
- ``parse(text)`` -> list of ``Line``; raises ``OptionFileError`` (with the line number)
  for text mysqld itself would reject.
- ``section_options(text, section)`` -> dict: option key -> value, last one wins.
- ``edit(text, section, options, exclusive=False)`` -> ``(new_text, changes)``.
- ``format_value(value)`` -> str: how a value is written (``True`` -> ``ON``).
- ``same_value(current, desired)`` -> bool: ``128M`` == ``134217728``, ``ON`` == ``1``.
- ``parse_print_defaults(text)`` -> list of ``(key, value)`` from ``my_print_defaults``.
- ``find_overrides(effective, desired)`` -> list of dicts for options whose effective
  (last) value is not ours, or that the server does not read at all.
- ``validation_errors(rc, output, options)`` -> list of str: what a server binary run
  against the candidate configuration (``mariadbd --help --verbose``,
  ``mysqld --validate-config``) reported as fatal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.steadydb.units import to_bool, values_equal


class OptionFileError(Exception):
    """The option file is not something mysqld would read; nothing was changed."""


_SECTION_RE = re.compile(r"^\s*\[\s*(?P<name>[^\]\s]+)\s*\]\s*(?:[#;].*)?$")
_DIRECTIVE_RE = re.compile(r"^\s*!(?P<word>include|includedir)\s+(?P<arg>\S.*?)\s*$")
_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def option_key(name):
    """The form under which mysqld knows an option: lower case, ``-`` -> ``_``."""
    return str(name).strip().lower().replace("-", "_")


class Line(object):
    """One physical line. ``kind`` is blank, comment, section, directive or option."""

    __slots__ = ("kind", "text", "section", "key", "name", "value", "comment", "number")

    def __init__(self, kind, text, number, section=None, name=None, value=None, comment=""):
        self.kind = kind
        self.text = text
        self.number = number
        self.section = section
        self.name = name
        self.key = option_key(name) if name is not None else None
        self.value = value
        self.comment = comment

    def __repr__(self):
        return "Line(%d, %s, %r)" % (self.number, self.kind, self.text)


def _split_value(raw, number):
    """``value  # comment`` -> (value, comment). Quotes protect ``#``; mysqld strips them."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        if end < 0:
            raise OptionFileError("line %d: unterminated %s quote in value %r" % (number, quote, raw))
        rest = raw[end + 1:].strip()
        if rest and rest[0] not in "#;":
            raise OptionFileError("line %d: text after the closing quote in value %r" % (number, raw))
        return raw[1:end], rest
    pos = raw.find("#")
    if pos >= 0:
        return raw[:pos].rstrip(), raw[pos:]
    return raw, ""


def parse(text):
    """Return the lines of ``text`` classified; raise OptionFileError if mysqld would refuse it."""
    lines = []
    section = None
    for number, physical in enumerate(text.splitlines(), 1):
        stripped = physical.strip()
        if not stripped:
            lines.append(Line("blank", physical, number, section))
            continue
        if stripped[0] in "#;":
            lines.append(Line("comment", physical, number, section))
            continue
        if stripped.startswith("!"):
            if not _DIRECTIVE_RE.match(stripped):
                raise OptionFileError("line %d: unknown directive %r (only !include and "
                                      "!includedir exist)" % (number, stripped))
            lines.append(Line("directive", physical, number, section))
            continue
        if stripped.startswith("["):
            match = _SECTION_RE.match(stripped)
            if not match:
                raise OptionFileError("line %d: malformed section header %r" % (number, stripped))
            section = match.group("name")
            lines.append(Line("section", physical, number, section))
            continue
        if section is None:
            raise OptionFileError("line %d: option %r comes before any [section]"
                                  % (number, stripped))
        name, sep, raw = stripped.partition("=")
        name = name.strip()
        if not _KEY_RE.match(name):
            raise OptionFileError("line %d: %r is not an option name" % (number, name or stripped))
        if sep:
            value, comment = _split_value(raw, number)
        else:
            value, comment = None, ""
        lines.append(Line("option", physical, number, section, name=name, value=value,
                          comment=comment))
    return lines


def section_options(text, section):
    """Return {key: value} of every option in ``section`` (all its headers); last wins."""
    result = {}
    for line in parse(text):
        if line.kind == "option" and line.section == section:
            result[line.key] = line.value
    return result


def format_value(value):
    """The text written after ``=``: booleans as ON/OFF, quotes when needed."""
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    text = str(value)
    if text != text.strip() or "#" in text or text[:1] in ("'", '"'):
        quote = "'" if "'" not in text else '"'
        return quote + text + quote
    return text


def same_value(current, desired):
    """True when an option-file value means what ``desired`` means (units normalised)."""
    if current is None:
        return False
    if isinstance(desired, bool):
        try:
            return to_bool(current) == desired
        except ValueError:
            return False
    return values_equal("", current, desired)


def _render(line, name, value):
    text = "%s = %s" % (name, format_value(value))
    if line is not None and line.comment:
        text += " " + line.comment
    indent = ""
    if line is not None:
        indent = line.text[:len(line.text) - len(line.text.lstrip())]
    return indent + text


def edit(text, section, options, exclusive=False):
    """Set ``options`` ({name: value, None = remove}) in ``section`` of ``text``.

    Returns ``(new_text, changes)``; ``changes`` is a list of
    ``{"option", "before", "after"}`` (None for absent). Everything else (comments,
    other sections, ``!include``/``!includedir`` lines, blank lines) is kept byte for
    byte. An option already present with an equal value (``128M`` vs ``134217728``,
    ``max-connections`` vs ``max_connections``) is left untouched. When the section
    holds the option more than once, the first line is updated and the later ones,
    which would win, are removed. ``exclusive`` removes options of the section that
    ``options`` does not name.
    """
    lines = parse(text)
    wanted = {}
    for name, value in options.items():
        key = option_key(name)
        if key in wanted:
            raise OptionFileError("option %r is given twice (%r and %r are the same option)"
                                  % (key, wanted[key][0], name))
        wanted[key] = (name, value)

    out = [line.text for line in lines]
    drop = set()
    changes = []
    present = {}
    for idx, line in enumerate(lines):
        if line.kind == "option" and line.section == section:
            present.setdefault(line.key, []).append(idx)

    for key, (name, value) in wanted.items():
        where = present.get(key, [])
        before = lines[where[-1]].value if where else None
        if value is None:
            if where:
                drop.update(where)
                changes.append({"option": key, "before": before, "after": None})
            continue
        if where:
            first = lines[where[0]]
            if len(where) == 1 and same_value(first.value, value):
                continue
            out[where[0]] = _render(first, first.name, value)
            drop.update(where[1:])
            changes.append({"option": key, "before": before, "after": format_value(value)})
        else:
            changes.append({"option": key, "before": None, "after": format_value(value)})

    if exclusive:
        for key, where in present.items():
            if key not in wanted:
                drop.update(where)
                changes.append({"option": key, "before": lines[where[-1]].value, "after": None})

    additions = [("%s = %s" % (name, format_value(value)))
                 for key, (name, value) in wanted.items()
                 if value is not None and key not in present]
    result = [text_ for idx, text_ in enumerate(out) if idx not in drop]
    if additions:
        # Index (in ``result``) after the last non-blank line of the last block of the
        # section; a new section is appended at the end otherwise.
        kept = [idx for idx in range(len(lines)) if idx not in drop]
        insert_at = None
        for pos, idx in enumerate(kept):
            line = lines[idx]
            if line.section == section and line.kind in ("option", "section"):
                insert_at = pos + 1
        if insert_at is None:
            while result and not result[-1].strip():
                result.pop()
            if result:
                result.append("")
            result.append("[%s]" % section)
            result.extend(additions)
        else:
            result[insert_at:insert_at] = additions
    new_text = "\n".join(result)
    if result:
        new_text += "\n"
    if not changes:
        return text, []
    return new_text, changes


_PRINT_DEFAULTS_RE = re.compile(r"^--(?P<name>[^=\s]+)(?:=(?P<value>.*))?$")


def parse_print_defaults(text):
    """``my_print_defaults --mysqld`` output -> [(key, value)], in the order mysqld reads them.

    Lines that are not options (the ``mariadbd --print-defaults`` banner) are skipped.
    The ``loose-`` prefix is removed: ``loose-max-connections`` sets max_connections.
    """
    result = []
    for raw in text.splitlines():
        match = _PRINT_DEFAULTS_RE.match(raw.strip())
        if not match:
            continue
        key = option_key(match.group("name"))
        if key.startswith("loose_"):
            key = key[len("loose_"):]
        result.append((key, match.group("value")))
    return result


def find_overrides(effective, desired):
    """Options of ``desired`` ({name: value}) that mysqld will not end up with.

    ``effective`` is ``parse_print_defaults`` output read after our file was written:
    the last occurrence of an option wins. Returns a list of
    ``{"option", "ours", "effective"}``; ``effective`` is None when the option does not
    appear at all (our file is not read by the server).
    """
    last = {}
    for key, value in effective:
        last[key] = value
    problems = []
    for name, value in desired.items():
        key = option_key(name)
        if value is None:
            continue
        if key not in last:
            problems.append({"option": key, "ours": format_value(value), "effective": None})
        elif not same_value(last[key] if last[key] is not None else "", value):
            problems.append({"option": key, "ours": format_value(value), "effective": last[key]})
    return problems


_ADJUSTED_RE = re.compile(r"option '(?P<name>[^']+)': .*? adjusted to ", re.IGNORECASE)
_NOISE = (
    # mariadbd --help touches nothing, but these still print outside a real start.
    "Could not increase number of max_open_files",
    "Changed limits:",
    "failed to retrieve the MAC address",
)


def _clean(line):
    """Drop the timestamp prefix mariadbd puts before every message."""
    line = re.sub(r"^\d{4}-\d\d-\d\d\s+\d?\d:\d\d:\d\d\s+\d+\s+", "", line.strip())
    return line.replace("Buffered error: ", "").replace("Buffered warning: ", "")


def validation_errors(rc, output, options=()):
    """Fatal problems in the output of a configuration check by the server binary.

    ``rc`` non-zero always fails. On MariaDB ``--help --verbose`` exits 0 when a plugin
    option (``innodb_buffer_pool_size=12Q``) is invalid and only prints ``[ERROR]``;
    every ``[ERROR]`` line counts. A value outside the server's range is clamped with a
    warning ("option 'max_connections': unsigned value 99999999 adjusted to 100000"):
    for an option in ``options`` that is an error too, because the server would not run
    with the value asked for.
    """
    keys = set(option_key(name) for name in options)
    errors = []
    for raw in output.splitlines():
        if not raw.strip() or any(noise in raw for noise in _NOISE):
            continue
        adjusted = _ADJUSTED_RE.search(raw)
        if adjusted and option_key(adjusted.group("name")) in keys:
            errors.append(_clean(raw).replace("[Warning] ", "") +
                          " (the value is outside the range the server accepts)")
        elif "[ERROR]" in raw:
            errors.append(_clean(raw).replace("[ERROR] ", ""))
    if rc != 0 and not errors:
        tail = [_clean(line) for line in output.splitlines() if line.strip()][-3:]
        errors.append("the server binary exited with status %d%s" % (
            rc, (": " + " / ".join(tail)) if tail else ""))
    return errors
