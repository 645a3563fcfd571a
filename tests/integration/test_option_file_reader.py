"""The option-file reader (module_utils/steadydb/option_file.py) against mysqld's own.

``my_print_defaults`` prints what mysys my_default.c, the reader of mysqld and every
client, makes of a file. The module's parser must read the same value from every line:
it finds the lines that override ours by comparing values with what the server reads,
and it rewrites lines around their comments. It refused lines mysqld reads (an unclosed
quote, text after a closing quote) and misread others (``;`` after a quote, ``#`` inside
quotes of an unquoted value, backslash escapes, ``[ mysqld ]``).
"""
import random
import shutil
import subprocess

import pytest

from ansible.module_utils.steadydb.option_file import (OptionFileError, from_bytes, include_directives,
                                                      parse, parse_print_defaults, to_bytes)

MY_PRINT_DEFAULTS = shutil.which("my_print_defaults")

pytestmark = [pytest.mark.skipif(not MY_PRINT_DEFAULTS, reason="my_print_defaults is missing")]

# Characters that change how a value is read; no "n" or "r", so no escape makes a line
# break and every option stays on one line of my_print_defaults' output.
ALPHABET = "ab'\"\\#; =st"


def printed(path, group):
    """``printed_bytes`` as text (the file as the module reads it, ``from_bytes``)."""
    return dict((from_bytes(key), from_bytes(value))
                for key, value in printed_bytes(path, group).items())


def test_random_values_are_read_as_mysqld_reads_them(tmp_path):
    rng = random.Random(20261201)
    lines = ["k%d = %s" % (i, "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))))
             for i in range(600)]
    text = "[mysqld]\n" + "\n".join(lines) + "\n"
    path = tmp_path / "random.cnf"
    path.write_text(text)
    ours = dict((line.name, line.value) for line in parse(text) if line.kind == "option")
    assert ours == printed(path, "mysqld")


def printed_bytes(path, group):
    """``{key: value}`` in bytes, as my_print_defaults prints the ``group`` of ``path``,
    and the same as the modules read that output (``parse_print_defaults``)."""
    out = subprocess.run([MY_PRINT_DEFAULTS, "--defaults-file=%s" % path, group],
                         capture_output=True, timeout=30, check=True).stdout
    values = dict(line[2:].partition(b"=")[::2] for line in out.split(b"\n")
                  if line.startswith(b"--"))
    read = dict((to_bytes(key), to_bytes(value)) for key, value
                in parse_print_defaults(from_bytes(out)))
    assert read == values
    return values


# Bytes mysqld strips as blanks (space, VT, FF, a raw 0xA0, the A0 ending a UTF-8 U+00A0)
# and ones it keeps (0x1c, 0x1f, U+0085, U+3000, a raw 0x80), between quotes and #.
BYTE_ALPHABET = [b"a", b"'", b"\"", b"#", b" ", b"\x0b", b"\x0c", b"\xa0", b"\xc2\xa0",
                 b"\x1c", b"\x1f", b"\xc2\x85", b"\xe3\x80\x80", b"\x80", b"\\"]


def test_values_with_blanks_of_every_kind_are_read_as_mysqld_reads_them(tmp_path):
    # The parser stripped what Python's str.strip strips: 0x1c kept by mysqld was lost,
    # a raw 0xA0 that mysqld strips was kept.
    rng = random.Random(20261202)
    lines = [b"k%d = %s" % (i, b"".join(rng.choice(BYTE_ALPHABET)
                                         for _ in range(rng.randint(0, 10))))
             for i in range(600)]
    raw = b"[mysqld]\n" + b"\n".join(lines) + b"\n"
    path = tmp_path / "blanks.cnf"
    path.write_bytes(raw)
    ours = dict((to_bytes(line.name), to_bytes(line.value))
                for line in parse(from_bytes(raw)) if line.kind == "option")
    assert ours == printed_bytes(path, "mysqld")


def test_escaped_line_breaks_are_read_back_from_my_print_defaults(tmp_path):
    # printed_bytes checks parse_print_defaults against the raw output: "a\r" came back
    # as "a" (the \r taken for a line end).
    path = tmp_path / "escapes.cnf"
    path.write_bytes(b"[mysqld]\nk = a\\r\nj = b\\r\\r\n")
    assert printed_bytes(path, "mysqld") == {b"k": b"a\r", b"j": b"b\r\r"}


@pytest.mark.parametrize("blank_after_word, blank_at_end", [
    (b" ", b""), (b"\x1c", b""), (b" ", b"\x1c"), (b"\xa0", b"\xa0"), (b"\x0b", b"\x0c")])
def test_an_include_is_followed_where_mysqld_follows_it(tmp_path, blank_after_word, blank_at_end):
    included = tmp_path / "included.cnf"
    included.write_text("[mysqld]\nfrom_include = 1\n")
    raw = b"[mysqld]\na = 1\n!include" + blank_after_word + str(included).encode() \
        + blank_at_end + b"\n"
    path = tmp_path / "main.cnf"
    path.write_bytes(raw)
    text = from_bytes(raw)
    try:
        parse(text)
        ours = [p for _, p in include_directives(text)] == [str(included)]
    except OptionFileError:  # a "!" line mysqld skips is refused here
        ours = False
    assert ours == ("from_include" in printed(path, "mysqld"))


@pytest.mark.parametrize("header, read", [("[mysqld]", True), ("[ mysqld ]", False),
                                          ("[mysqld ] tail", True), ("[mysqld]]", True)])
def test_groups_are_the_ones_mysqld_reads(tmp_path, header, read):
    text = header + "\nq = 1\n"
    path = tmp_path / "group.cnf"
    path.write_text(text)
    (option,) = [line for line in parse(text) if line.kind == "option"]
    assert (option.section == "mysqld") is read
    assert ("q" in printed(path, "mysqld")) is read
