r"""The env-file format of steadydb: one writer (``quote``) and one reader (``parse``).

The role writes the app's env file with ``quote`` (its filter plugin imports this file)
and everything that reads it back uses ``parse``: the rendered settings (for variables
missing from the process environment), the SQLAlchemy helper and the audit. No other
env-file parser exists in the project.

Quoting, chosen so that the common readers get the same bytes (``readers(value)`` says
which ones do for a given value):

1. ``KEY='value'`` when the value holds no single quote and no ``\\``, does not end
   with a backslash and is not itself wrapped in double quotes. Read literally by POSIX
   sh (``set -a; . FILE``), systemd ``EnvironmentFile=``, django-environ
   ``Env.read_env``, python-dotenv, python-decouple and ``parse``. One exception:
   python-dotenv expands ``${NAME}`` even between single quotes (``load_dotenv`` with
   its default ``interpolate=True``) and has no escape for it.
2. ``KEY="value"`` when the value holds a single quote and none of ``\ " $ ```: read
   literally by all six.
3. Otherwise ``KEY="..."`` with ``\ " $ ``` escaped by a backslash: sh, systemd,
   django-environ and ``parse`` agree; python-dotenv too unless the value holds ``$``
   or a backquote (it keeps the backslash of ``\$`` and ``\```); python-decouple keeps
   every backslash.

The URL variable is percent-encoded, so it is always case 1 without ``$``: right for
every reader, whatever the password. The role warns when a password is not right for
every reader. Line breaks (newline, carriage return, and the other characters Python's
``str.splitlines`` breaks on, as django-environ does) and NUL bytes are refused: no two
readers agree on them. Pure Python, no Django import: usable from Ansible plugins and from the app.
"""
import re

FORBIDDEN = ("\n", "\r", "\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
READERS = ("sh", "systemd", "django-environ", "python-dotenv", "python-decouple", "steadydb")
SHELL_READERS = ("sh", "systemd", "django-environ", "steadydb")
_SH_ESCAPE = re.compile(r'([\\"$`])')
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvFileError(ValueError):
    """A value that cannot be written, or a line that cannot be read."""


def _text(value):
    if isinstance(value, bool):
        return "True" if value else "False"
    value = str(value)
    for ch in FORBIDDEN:
        if ch in value:
            raise EnvFileError(
                "env file values cannot contain newlines, carriage returns, other line breaks "
                "(\\v \\f \\x1c-\\x1e \\x85 \\u2028 \\u2029) or NUL bytes; "
                "check the value that is being written")
    return value


def _single_quotable(value):
    # django-environ strips single quotes and then, when the rest is wrapped in double
    # quotes, unescapes it as a double-quoted value: such a value goes to case 3.
    wrapped = len(value) >= 2 and value[0] == '"' and value[-1] == '"'
    return "'" not in value and "\\\\" not in value and not value.endswith("\\") and not wrapped


def quote(value):
    """The value as written after ``KEY=`` (see the module docstring for the rules)."""
    value = _text(value)
    if _single_quotable(value):
        return "'" + value + "'"
    if not any(ch in value for ch in '\\"$`'):
        return '"' + value + '"'
    return '"' + _SH_ESCAPE.sub(r"\\\1", value) + '"'


def readers(value):
    """The readers of READERS that read ``quote(value)`` back as ``value``."""
    value = _text(value)
    if _single_quotable(value):
        return tuple(r for r in READERS if r != "python-dotenv" or "${" not in value)
    if not any(ch in value for ch in '\\"$`'):
        return READERS
    if "$" in value or "`" in value:
        return SHELL_READERS
    return SHELL_READERS + ("python-dotenv",)


def reason(value):
    """Why some reader of READERS does not read ``value`` back (never quotes the value),
    or "" when every reader does."""
    value = _text(value)
    if _single_quotable(value):
        return ("it holds ${, which python-dotenv expands even between single quotes "
                "(load_dotenv(interpolate=False) reads it right)") if "${" in value else ""
    if not any(ch in value for ch in '\\"$`'):
        return ""
    return ("it needs backslash escapes in the env file (a single quote together with \\, \", $ "
            "or a backquote; a double or trailing backslash; or double quotes around the whole "
            "value), which %s do not undo" % " and ".join(r for r in READERS if r not in readers(value)))


def unquote(text):
    """One value as a POSIX shell reads it (no expansion): 'single' quotes are literal,
    "double" quotes take a backslash before \\ " $ ` (any other backslash is kept), an
    unquoted backslash escapes the next character. Raises EnvFileError when a quote is
    not closed."""
    text = text.strip()
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise EnvFileError("unterminated single quote")
            out.append(text[i + 1:end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise EnvFileError("unterminated double quote")
                c = text[i]
                if c == "\\" and i + 1 < n and text[i + 1] in '\\"$`':
                    out.append(text[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    out.append(c)
                    i += 1
        elif ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse(text, source="env file", keys=None):
    """KEY=VALUE lines as a dict; comments (# or ;) and blank lines are skipped, an
    ``export`` prefix is allowed. With ``keys``, only those keys are unquoted (a line of
    another key is never parsed, so a malformed foreign line is no error)."""
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export "):].lstrip()
        key, sep, raw = stripped.partition("=")
        key = key.strip()
        if keys is not None and key not in keys:
            continue
        if not sep or not _KEY.match(key):
            raise EnvFileError("%s line %d is not KEY=VALUE" % (source, number))
        try:
            values[key] = unquote(raw)
        except EnvFileError as exc:
            raise EnvFileError("%s line %d (%s): %s" % (source, number, key, exc)) from None
    return values


def read_env_file(path):
    """``parse`` of the file at ``path``, or None when it does not exist or cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    return parse(text, source=path)
