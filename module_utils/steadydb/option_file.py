# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit one section of a MySQL/MariaDB option file without losing anything else.

Pure logic (no file or process access) used by the ``mysql_option_file`` module and
the ``mysql_tuning`` role.

Public API:

- ``option_key(name)`` -> str: ``Max-Connections`` and ``max_connections`` are the same
  option to mysqld; both give ``max_connections``.
- ``parse(text)`` -> list of ``Line``, values and groups read as mysqld's reader (mysys
  my_default.c) reads them; raises ``OptionFileError`` (with the line number) for text
  mysqld rejects, and for an unknown ``!`` directive or an option name mysqld would not
  start with (it skips the one and stops at the other).
- ``section_options(text, section)`` -> dict: option key -> value, last one wins.
- ``edit(text, section, options, exclusive=False)`` -> ``(new_text, changes)``.
- ``format_value(value)`` -> str: how a value is written (``True`` -> ``ON``, ``1.5M`` ->
  ``1536K``); raises ValueError for a size that is not a whole number of bytes.
- ``refuse_control_characters(what, text, allowed="")``: raises OptionFileError when
  ``text`` holds a control character (a line break would start a new option).
- ``options_in_groups(text, key, value=None)`` -> [line numbers]: where ``text`` sets
  ``key`` (optionally to ``value``) in a group mysqld reads.
- ``rewrite_includes(text, replace)`` -> str: ``!include``/``!includedir`` arguments
  replaced as ``replace(word, path)`` says, everything else byte for byte.
- ``include_directives(text)`` -> [(word, path)] the way mysqld reads them.
- ``message_option(message)`` -> (key, value) or None: the option a server message is about.
- ``parse_default_files(help_text)`` -> [paths] a tool reads by default, or None.
- ``config_file_problems(output)`` -> [(message, path, line)]: lines mysqld skipped in an
  option file ("Wrong group definition in config file ... at line 3").
- ``same_value(current, desired)`` -> bool: ``128M`` == ``134217728``, ``ON`` == ``1``.
- ``parse_print_defaults(text)`` -> list of ``(key, value)`` from ``my_print_defaults``.
- ``from_bytes(raw)`` / ``to_bytes(text)``: an option file's bytes as text and back, every
  byte kept (what is not UTF-8 as surrogates).
- ``find_overrides(effective, desired)`` -> list of dicts for options whose effective
  (last) value is not ours, or that the server does not read at all.
- ``validation_errors(rc, output, options)`` -> list of str: what a server binary run
  against the candidate configuration (``mariadbd --help --verbose``,
  ``mysqld --validate-config``) reported as fatal.
"""

import re

from ansible.module_utils.steadydb.units import option_file_size, to_bool, values_equal
from ansible.module_utils.steadydb.variables import is_secret


class OptionFileError(Exception):
    """The option file is not something mysqld would read; nothing was changed."""


def to_bytes(text):
    """Option-file text back to the file's bytes (the inverse of ``from_bytes``)."""
    return text.encode("utf-8", "surrogateescape")


def from_bytes(raw):
    """An option file's bytes as text: UTF-8, and bytes that are not survive the round trip
    as surrogates (mysqld reads bytes; so does ``_strip``)."""
    return raw.decode("utf-8", "surrogateescape")


_SECTION_NAME_RE = re.compile(r"^[^\[\]\s#;]+$")
# mysys my_default.c strips lines, names and values with my_isspace() of latin1, byte by
# byte: tab, LF, VT, FF, CR, space and 0xA0 (latin1's no-break space), also the A0 that
# ends a UTF-8 U+00A0 (C2 A0: the C2 stays). Python's str.strip would remove more (0x1c to
# 0x1f, U+0085, U+3000, a whole U+00A0) and keep a raw 0xA0 byte.
_BLANK_BYTES = b" \t\n\v\f\r\xa0"
# The same blanks as one character each in text read from a file (a raw 0xA0 byte is
# "\udca0" there, from_bytes).
_BLANK = re.escape(from_bytes(_BLANK_BYTES))
# How mysqld reads a directive: "!", optional blanks, the keyword, blanks, the rest of
# the line (trailing blanks removed, no comment stripping). mysqld needs a path after
# !include or !includedir (a line without one does not match) and skips other "!" lines
# (a typo of ours is refused instead).
_DIRECTIVE_RE = re.compile(r"^(?P<head>[{b}]*![{b}]*(?P<word>includedir|include)[{b}]+)"
                           r"(?P<arg>[^{b}].*?)(?P<tail>[{b}]*)$".format(b=_BLANK))
_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
# C0 controls and DEL. mysqld reads an option file line by line (up to "\n") and has no
# quoting that spans lines, so a line break inside a value starts a new option
# ("...\nskip-grant-tables"); the other controls have no business in a setting either.
# A control character: a line break starts another setting in an option file or a
# systemd unit (unit_dropin reads this rule too).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Groups mysqld reads (also with a version suffix, [mariadb-10.11]).
MYSQLD_GROUPS = ("mysqld", "server", "mariadb", "mariadbd", "client-server", "galera")


def refuse_control_characters(what, text, allowed=""):
    """Raise OptionFileError if ``text`` holds a control character not in ``allowed``."""
    for match in CONTROL_CHARACTERS.finditer(text):
        if match.group() not in allowed:
            raise OptionFileError(
                "%s contains the control character %r at position %d: refused, because a "
                "line break or other control character in an option file can start a new "
                "option (for example skip-grant-tables) or corrupt the file"
                % (what, match.group(), match.start()))


def _physical_lines(text):
    """[(content, ending)]: lines end at "\n" only, as mysqld's reader splits them.

    ``str.splitlines`` would also split at form feeds, "\x1c" and the like and lose
    "\r\n"; here every byte of ``text`` is in exactly one pair.
    """
    result = []
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        if end < 0:
            result.append((text[pos:], ""))
            break
        content = text[pos:end]
        if content.endswith("\r"):
            result.append((content[:-1], "\r\n"))
        else:
            result.append((content, "\n"))
        pos = end + 1
    return result


def _newline(physical):
    """The line ending most lines of the file use ("\n" for a new or one-line file)."""
    crlf = sum(1 for _, end in physical if end == "\r\n")
    lf = sum(1 for _, end in physical if end == "\n")
    return "\r\n" if crlf > lf else "\n"


def option_key(name):
    """The form under which mysqld knows an option: lower case, ``-`` -> ``_``."""
    return str(name).strip().lower().replace("-", "_")


class Line(object):
    """One physical line. ``kind`` is blank, comment, section, directive or option."""

    __slots__ = ("kind", "text", "end", "section", "key", "name", "value", "written", "comment",
                 "number")

    def __init__(self, kind, text, number, section=None, name=None, value=None, written=None,
                 comment="", end="\n"):
        self.kind = kind
        self.text = text  # without the line ending
        self.end = end  # "\n", "\r\n", or "" for a last line without one
        self.number = number
        self.section = section
        self.name = name
        self.key = option_key(name) if name is not None else None
        self.value = value  # as mysqld reads it
        self.written = written  # as the file spells it (quotes, escapes)
        self.comment = comment

    def __repr__(self):
        return "Line(%d, %s, %r)" % (self.number, self.kind, self.text)


# The backslash escapes the reader turns into another character; any other keeps its "\\".
_READ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "s": " ", '"': '"', "'": "'",
                 "\\": "\\"}


def _split_blanks(text):
    """``text`` as ``(head, core, tail)``: the blanks mysqld strips at its start and end
    (``_BLANK_BYTES``) and what is between. Cut in bytes, so every byte stays in one of
    the three, also when the tail starts inside a UTF-8 character (C2 | A0)."""
    raw = to_bytes(text)
    start = len(raw) - len(raw.lstrip(_BLANK_BYTES))
    end = max(start, len(raw.rstrip(_BLANK_BYTES)))
    return from_bytes(raw[:start]), from_bytes(raw[start:end]), from_bytes(raw[end:])


def _strip(text):
    """``text`` without the blanks mysqld strips at its start and end."""
    return _split_blanks(text)[1]


def _comment_start(raw):
    """Where mysqld's ``remove_end_comment`` cuts ``raw``: the first ``#`` outside quotes.

    A quote opens when none is open and closes at the same character; inside quotes a
    backslash protects the next character. ``;`` starts a comment only at a line's start.
    """
    quote, escape = None, False
    for pos, char in enumerate(raw):
        if char in "'\"" and not escape:
            if quote is None:
                quote = char
            elif quote == char:
                quote = None
        if quote is None and char == "#":
            return pos
        escape = quote is not None and char == "\\" and not escape
    return len(raw)


def _unquoted(written):
    """``written`` without one pair of enclosing quotes (mysqld removes them when the
    value starts and ends with the same quote character and is longer than one)."""
    if len(written) > 1 and written[0] in "'\"" and written[-1] == written[0]:
        return written[1:-1]
    return written


def _read_value(written):
    """The value mysqld reads from ``written`` (blanks already stripped): unquoted, then
    the backslash escapes of ``_READ_ESCAPES`` applied."""
    written = _unquoted(written)
    out, pos = [], 0
    while pos < len(written):
        char = written[pos]
        if char == "\\" and pos != len(written) - 1:
            following = written[pos + 1]
            out.append(_READ_ESCAPES.get(following, char + following))
            pos += 2
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def _split_value(raw):
    """``raw`` (the text after ``=``) -> ``(value, written, comment)``, as mysqld reads it:
    the comment from the first ``#`` outside quotes, the value ``written`` between, and
    what mysqld makes of it (``_read_value``). Nothing here is refused: mysqld reads an
    unclosed quote or text after a closing one literally (``'a' b`` is ``'a' b``)."""
    cut = _comment_start(raw)
    written = _strip(raw[:cut])
    return _read_value(written), written, raw[cut:]


def _section_name(stripped, number):
    """The group a ``[...]`` line opens, as mysqld reads it: the text up to the first
    ``]``, blanks removed at its end only (``[ mysqld ]`` is not the mysqld group); what
    follows the ``]`` is ignored."""
    end = stripped.find("]")
    if end < 0:
        raise OptionFileError("line %d: malformed section header %r (no closing ])" % (number, stripped))
    head, name, _ = _split_blanks(stripped[1:end])
    return head + name


def parse(text):
    """Return the lines of ``text`` classified; raise OptionFileError if mysqld would refuse it."""
    lines = []
    section = None
    for number, (physical, end) in enumerate(_physical_lines(text), 1):
        _, stripped, tail = _split_blanks(physical)
        if not stripped:
            lines.append(Line("blank", physical, number, section, end=end))
            continue
        if stripped[0] in "#;":
            lines.append(Line("comment", physical, number, section, end=end))
            continue
        if stripped.startswith("!"):
            if not _DIRECTIVE_RE.match(stripped):
                raise OptionFileError("line %d: unknown directive %r (only !include and "
                                      "!includedir exist)" % (number, stripped))
            lines.append(Line("directive", physical, number, section, end=end))
            continue
        if stripped.startswith("["):
            section = _section_name(stripped, number)
            lines.append(Line("section", physical, number, section, end=end))
            continue
        if section is None:
            raise OptionFileError("line %d: option %r comes before any [section]"
                                  % (number, stripped))
        name, sep, raw = stripped.partition("=")
        name = _strip(name)
        if not _KEY_RE.match(name):
            raise OptionFileError("line %d: %r is not an option name" % (number, name or stripped))
        if sep:
            value, written, comment = _split_value(raw)
            if comment:
                # Kept as written (a form feed at its end too) when the value is rewritten.
                comment += tail
        else:
            value, written, comment = None, None, ""
        lines.append(Line("option", physical, number, section, name=name, value=value,
                          written=written, comment=comment, end=end))
    return lines


def secret_values(*texts):
    """The values of secret options (``variables.is_secret``: a [client] password, ...)
    in the option file ``texts``: the module masks them in all it returns."""
    found = set()
    for text in texts:
        for line in parse(text):
            if line.kind == "option" and line.value and is_secret(line.key):
                # what the server reads, and how the file (and so the diff) spells it
                found.update(v for v in (line.value, _unquoted(line.written)) if v)
    return found


def section_options(text, section):
    """Return {key: value} of every option in ``section`` (all its headers); last wins."""
    result = {}
    for line in parse(text):
        if line.kind == "option" and line.section == section:
            result[line.key] = line.value
    return result


# What mysqld's option file reader turns into another character (_READ_ESCAPES): a value
# holding one would not reach the server as written.
_ESCAPE_RE = re.compile(r"\\[%s]" % re.escape("".join(_READ_ESCAPES)))


def format_value(value):
    """The text written after ``=``: booleans as ON/OFF, sizes as mysqld reads them, quotes
    when needed. Raises ValueError for a size that is not a whole number of bytes, and
    for a value mysqld would read otherwise: one holding a backslash escape, or one that
    needs quotes and holds both quote characters."""
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    text = option_file_size(value)
    # The value is never shown: it may be a password of a [client] section.
    if _ESCAPE_RE.search(text):
        raise ValueError("the value holds a backslash escape (\\n, \\s, \\\\, \\' ...), which mysqld "
                         "reads as another character, so the server would not get the value "
                         "as given")
    if text != _strip(text) or "#" in text or text[:1] in ("'", '"'):
        if "'" in text and '"' in text:
            raise ValueError("the value must be quoted (it holds #, starts with a quote or has "
                             "blanks at an end) and holds both quote characters, so no quote "
                             "can enclose it")
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


def _render(line, name, text):
    rendered = "%s = %s" % (name, text)
    if line is not None and line.comment:
        rendered += " " + line.comment
    indent = ""
    if line is not None:
        indent = _split_blanks(line.text)[0]
    return indent + rendered


def check_request(section, options):
    """Refuse a section or option (name or value) that cannot be written safely.

    Returns ``{key: (name, formatted value or None, value as given)}``. Raises
    OptionFileError naming the option: control characters, names mysqld has no syntax
    for, a size that is not a whole number of bytes, the same option twice.
    """
    refuse_control_characters("the section name %r" % (section,), str(section))
    if not _SECTION_NAME_RE.match(str(section)):
        raise OptionFileError("%r is not a section name (no brackets, blanks, # or ;)"
                              % (section,))
    wanted = {}
    for name, value in options.items():
        name = str(name)
        refuse_control_characters("the option name %r" % (name,), name)
        if not _KEY_RE.match(name.strip()):
            raise OptionFileError("%r is not an option name (letters, digits, _ - . only)"
                                  % (name,))
        key = option_key(name)
        if key in wanted:
            raise OptionFileError("option %r is given twice (%r and %r are the same option)"
                                  % (key, wanted[key][0], name))
        text = None
        if value is not None:
            try:
                text = format_value(value)
            except ValueError as exc:
                raise OptionFileError("option %s: %s" % (key, exc))
            refuse_control_characters("the value of option %s" % key, text)
        wanted[key] = (name.strip(), text, value)
    return wanted


def edit(text, section, options, exclusive=False, keep=()):
    """Set ``options`` ({name: value, None = remove}) in ``section`` of ``text``.

    Returns ``(new_text, changes)``; ``changes`` is a list of
    ``{"option", "before", "after"}`` (None for absent). Everything else (comments,
    other sections, ``!include``/``!includedir`` lines, blank lines, line endings, form
    feeds and any byte of a line we do not change) is kept as it is. New lines use the
    file's own line ending (CRLF in a CRLF file). An option already present with an
    equal value (``128M`` vs ``134217728``, ``max-connections`` vs ``max_connections``) is
    left untouched. When the section holds the option more than once, the first line is
    updated and the later ones, which would win, are removed. ``exclusive`` removes
    options of the section that ``options`` does not name, except those ``keep`` names
    (a buffer size a previous plan shrank: the plan that now fits was measured with it,
    so dropping its line would bring the old size, and the OOM, back at the next start).
    Raises OptionFileError for a
    request ``check_request`` refuses, or a file mysqld would refuse.
    """
    wanted = check_request(section, options)
    lines = parse(text)
    newline = _newline([(line.text, line.end) for line in lines])

    out = [[line.text, line.end] for line in lines]
    drop = set()
    changes = []
    present = {}
    for idx, line in enumerate(lines):
        if line.kind == "option" and line.section == section:
            present.setdefault(line.key, []).append(idx)

    for key, (name, value, raw) in wanted.items():
        where = present.get(key, [])
        before = lines[where[-1]].value if where else None
        if value is None:
            if where:
                drop.update(where)
                changes.append({"option": key, "before": before, "after": None})
            continue
        if where:
            first = lines[where[0]]
            if len(where) == 1 and same_value(first.value, raw):
                continue
            out[where[0]][0] = _render(first, first.name, value)
            drop.update(where[1:])
            changes.append({"option": key, "before": before, "after": value})
        else:
            changes.append({"option": key, "before": None, "after": value})

    if exclusive:
        kept = set(option_key(name) for name in keep)
        for key, where in present.items():
            if key not in wanted and key not in kept:
                drop.update(where)
                changes.append({"option": key, "before": lines[where[-1]].value, "after": None})

    additions = [["%s = %s" % (name, value), newline]
                 for key, (name, value, raw) in wanted.items()
                 if value is not None and key not in present]
    result = [pair for idx, pair in enumerate(out) if idx not in drop]
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
            while result and not _strip(result[-1][0]):
                result.pop()
            block = []
            if result:
                block.append(["", newline])
            block.append(["[%s]" % section, newline])
            insert_at = len(result)
            additions = block + additions
        if insert_at > 0 and not result[insert_at - 1][1]:
            result[insert_at - 1][1] = newline  # the old last line had no line ending
        result[insert_at:insert_at] = additions
    if not changes:
        return text, []
    return "".join(content + end for content, end in result), changes



_PRINT_DEFAULTS_RE = re.compile(r"^--(?P<name>[^=\s]+)(?:=(?P<value>.*))?$")


def parse_print_defaults(text):
    """``my_print_defaults --mysqld`` output -> [(key, value)], in the order mysqld reads them.

    Lines that are not options (the ``mariadbd --print-defaults`` banner) are skipped.
    The ``loose-`` prefix is removed: ``loose-max-connections`` sets max_connections.
    """
    result = []
    # One option a line, printed as mysqld read it: a form feed or 0x1c in a value is
    # part of it (str.splitlines would split there, str.strip cut it off), and so is a
    # "\r" before the line feed (``k = a\r``: an escape).
    for raw in text.split("\n"):
        match = _PRINT_DEFAULTS_RE.match(raw)
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


# "2026-12-01T04:59:16.027273Z 0 [ERROR] [MY-000058] [Server] " before a MySQL message.
_MYSQL_PREFIX_RE = re.compile(r"^\d{4}-\d\d-\d\dT\S+\s+\d+\s+\[\w+\]\s+(?:\[MY-\d+\]\s+)?"
                              r"(?:\[\w+\]\s+)?")


def _clean(line):
    """Drop the timestamp (and level, code) prefix the server puts before every message."""
    line = re.sub(r"^\d{4}-\d\d-\d\d\s+\d?\d:\d\d:\d\d\s+\d+\s+", "", line.strip())
    line = _MYSQL_PREFIX_RE.sub("", line)
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


def _group(section):
    return re.sub(r"-\d+(\.\d+)*$", "", section or "")


def options_in_groups(text, key, value=None):
    """Line numbers where ``text`` sets ``key`` in a group mysqld reads (``loose-`` too).

    With ``value``, only lines setting it to that value (as the server prints it). A
    file mysqld would refuse gives [] (the server names such files itself).
    """
    key = option_key(key)
    if key.startswith("loose_"):
        key = key[len("loose_"):]
    try:
        lines = parse(text)
    except OptionFileError:
        return []
    found = []
    for line in lines:
        if line.kind != "option":
            continue
        if line.section not in MYSQLD_GROUPS and _group(line.section) not in MYSQLD_GROUPS:
            continue
        if line.key.replace("loose_", "", 1) != key:
            continue
        if value is not None and (line.value or "") != value:
            continue
        found.append(line.number)
    return found


def include_directives(text):
    """[(word, path)] of the ``!include``/``!includedir`` lines, read the way mysqld reads them."""
    found = []
    for content, _ in _physical_lines(text):
        match = _DIRECTIVE_RE.match(content)
        if match:
            found.append((match.group("word"), match.group("arg")))
    return found


def rewrite_includes(text, replace):
    """``text`` with each directive's path replaced by ``replace(word, path)`` (None keeps it).

    Every other byte, line endings included, stays as it is.
    """
    out = []
    for content, end in _physical_lines(text):
        match = _DIRECTIVE_RE.match(content)
        if match:
            new = replace(match.group("word"), match.group("arg"))
            if new is not None:
                content = match.group("head") + new + match.group("tail")
        out.append(content + end)
    return "".join(out)


# Server messages that name an option (and the value it was given).
_MESSAGE_OPTION_RES = (
    re.compile(r"unknown variable '(?P<name>[^=']+)=(?P<value>.*)'"),
    re.compile(r"unknown option '--(?P<name>[^=']+)(?:=(?P<value>.*))?'"),
    re.compile(r"used for variable '(?P<name>[^']+)' \(value '(?P<value>.*)'\)"),
    re.compile(r"Error while setting value '(?P<value>.*)' to '(?P<name>[^']+)'"),
    re.compile(r"option '(?P<name>[^']+)': \S+ value '?(?P<value>[^' ]+)'? adjusted to"),
    re.compile(r"option '--?(?P<name>[^'=]+)'"),
    re.compile(r"variable '(?P<name>[^'=]+)'"),
)


def message_option(message):
    """(key, value) of the option a server message complains about, or None.

    ``value`` is None when the message does not quote it.
    """
    for regex in _MESSAGE_OPTION_RES:
        match = regex.search(message)
        if match:
            value = match.groupdict().get("value")
            return option_key(match.group("name")), value
    return None


_CONFIG_FILE_RE = re.compile(r"^error: (?P<what>.*?) in config file:? (?P<path>.+?) at line:? "
                             r"(?P<line>\d+)\s*$")


def config_file_problems(output):
    """[(message, path, line)] for each option-file line mysqld reports and skips.

    mysqld prints "error: Wrong group definition in config file: F at line 3" (and the
    like) and goes on without the rest of F: not fatal to a start, so a warning.
    """
    found = []
    for raw in output.splitlines():
        match = _CONFIG_FILE_RE.match(raw.strip())
        if match:
            found.append((match.group("what"), match.group("path"), int(match.group("line"))))
    return found


def parse_default_files(help_text):
    """The files a server or tool reads by default, from its ``--help`` text (or None).

    "Default options are read from the following files in the given order:" is followed
    by one line of paths; MySQL and MariaDB builds differ (``/usr/local/mysql/etc/my.cnf``,
    ``$MYSQL_HOME``), so the binary is the authority, not a list of our own.
    """
    lines = help_text.splitlines()
    for idx, line in enumerate(lines):
        if line.startswith("Default options are read from the following files") \
                and idx + 1 < len(lines) and lines[idx + 1].strip():
            return lines[idx + 1].split()
    return None
