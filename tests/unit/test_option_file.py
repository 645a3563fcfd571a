"""Option-file editing (module_utils/steadydb/option_file.py, option_tree.py)."""
import os

import pytest

from ansible.module_utils.steadydb.option_file import (
    OptionFileError, check_request, config_file_problems, edit, find_overrides, format_value,
    from_bytes, include_directives, message_option, option_key, options_in_groups, parse,
    parse_default_files, parse_print_defaults, refuse_control_characters, rewrite_includes,
    same_value, section_options, to_bytes, validation_errors)
from ansible.module_utils.steadydb.option_tree import OptionTree, write_atomic

DEBIAN = """# The MariaDB configuration file
#
# The MariaDB/MySQL tools read configuration files in the following order:
[client-server]
# Port or socket location where to connect
socket = /run/mysqld/mysqld.sock

# Import all .cnf files from configuration directory
!includedir /etc/mysql/conf.d/
!includedir /etc/mysql/mariadb.conf.d/
"""

SERVER = """#
# These groups are read by MariaDB server.
[server]

# this is only for the mysqld standalone daemon
[mysqld]

#
# * Basic Settings
#
pid-file                = /run/mysqld/mysqld.pid
basedir                 = /usr
#max_connections        = 100
Max-Connections         = 151   # was 100
thread_cache_size=8
!include /etc/mysql/extra.cnf

# this is only for embedded server
[embedded]
key_buffer_size = 16M
"""


def test_option_key_dash_underscore_case():
    assert option_key("Max-Connections") == option_key("max_connections") == "max_connections"
    assert option_key(" innodb-buffer-pool-size ") == "innodb_buffer_pool_size"


def test_parse_kinds_and_values():
    lines = parse(SERVER)
    kinds = [line.kind for line in lines]
    assert kinds.count("directive") == 1
    assert kinds.count("section") == 3
    opts = [(line.section, line.key, line.value, line.comment) for line in lines if line.kind == "option"]
    assert ("mysqld", "max_connections", "151", "# was 100") in opts
    assert ("embedded", "key_buffer_size", "16M", "") in opts
    assert section_options(SERVER, "mysqld")["thread_cache_size"] == "8"


def test_quoted_values_and_bare_flags():
    opts = section_options("[mysqld]\ninit_connect = 'SET NAMES utf8mb4 # not a comment'\n"
                           "skip-name-resolve\nlog_error = \"/var/log/a b.log\" # c\n", "mysqld")
    assert opts == {"init_connect": "SET NAMES utf8mb4 # not a comment",
                    "skip_name_resolve": None, "log_error": "/var/log/a b.log"}


def test_edit_keeps_everything_else_byte_for_byte():
    new, changes = edit(SERVER, "mysqld", {"max_connections": 300, "wait_timeout": 600})
    assert changes == [{"option": "max_connections", "before": "151", "after": "300"},
                       {"option": "wait_timeout", "before": None, "after": "600"}]
    expected = SERVER.replace("Max-Connections         = 151   # was 100",
                              "Max-Connections = 300 # was 100").replace(
        "thread_cache_size=8\n", "thread_cache_size=8\nwait_timeout = 600\n")
    assert new == expected
    # comments, the commented-out default, the !include line and other sections stay
    assert "#max_connections        = 100" in new
    assert "!include /etc/mysql/extra.cnf" in new
    assert "[embedded]\nkey_buffer_size = 16M" in new


def test_edit_is_idempotent():
    first, _ = edit(SERVER, "mysqld", {"max_connections": 300, "wait_timeout": 600})
    second, changes = edit(first, "mysqld", {"max_connections": 300, "wait_timeout": 600})
    assert changes == [] and second == first


@pytest.mark.parametrize("spelling", ["max_connections", "max-connections", "MAX-CONNECTIONS"])
def test_dash_and_underscore_are_the_same_option(spelling):
    new, changes = edit("[mysqld]\nmax-connections = 151\n", "mysqld", {spelling: 151})
    assert changes == []
    new, changes = edit("[mysqld]\nmax-connections = 151\n", "mysqld", {spelling: 200})
    assert new == "[mysqld]\nmax-connections = 200\n"


@pytest.mark.parametrize("current, desired", [
    ("128M", 134217728), ("134217728", "128M"), ("1G", "1024M"), ("ON", True), ("1", "on"),
    ("OFF", False), ("600", 600), ("2.5", "2.500000"),
])
def test_units_are_normalised(current, desired):
    assert same_value(current, desired)
    new, changes = edit("[mysqld]\nx = %s\n" % current, "mysqld", {"x": desired})
    assert changes == []


@pytest.mark.parametrize("current, desired", [("128M", "256M"), ("ON", False), ("600", 601),
                                              (None, 1), ("abc", "abd")])
def test_different_values_are_different(current, desired):
    assert not same_value(current, desired)


def test_include_lines_kept_when_section_is_new():
    new, changes = edit(DEBIAN, "mysqld", {"max_connections": 300})
    assert new == DEBIAN + "\n[mysqld]\nmax_connections = 300\n"
    assert new.count("!includedir") == 2


def test_new_file_from_nothing():
    new, changes = edit("", "mysqld", {"max_connections": 300, "skip_name_resolve": True})
    assert new == "[mysqld]\nmax_connections = 300\nskip_name_resolve = ON\n"


def test_duplicates_are_collapsed_and_the_winner_updated():
    text = "[mysqld]\nmax_connections = 100\n[client]\nuser = x\n[mysqld]\nmax_connections = 200\n"
    new, changes = edit(text, "mysqld", {"max_connections": 300})
    assert new == "[mysqld]\nmax_connections = 300\n[client]\nuser = x\n[mysqld]\n"
    assert changes == [{"option": "max_connections", "before": "200", "after": "300"}]
    # two occurrences with the wanted value still leave one behind
    new, changes = edit("[mysqld]\nx = 1\nx = 1\n", "mysqld", {"x": 1})
    assert new == "[mysqld]\nx = 1\n"


def test_remove_and_exclusive():
    text = "[mysqld]\n# keep me\na = 1\nb = 2\nc = 3\n[client]\na = 9\n"
    new, changes = edit(text, "mysqld", {"b": None})
    assert new == "[mysqld]\n# keep me\na = 1\nc = 3\n[client]\na = 9\n"
    new, changes = edit(text, "mysqld", {"a": 1}, exclusive=True)
    assert new == "[mysqld]\n# keep me\na = 1\n[client]\na = 9\n"
    assert set(c["option"] for c in changes) == {"b", "c"}


def test_exclusive_keeps_what_keep_names_in_either_spelling():
    text = "[mysqld]\na = 1\nkey-buffer-size = 8M\nc = 3\n"
    new, changes = edit(text, "mysqld", {"a": 1}, exclusive=True, keep=["key_buffer_size"])
    assert new == "[mysqld]\na = 1\nkey-buffer-size = 8M\n"
    assert changes == [{"option": "c", "before": "3", "after": None}]
    # A kept option the plan does set is set like any other.
    new, _ = edit(text, "mysqld", {"key_buffer_size": "16M"}, exclusive=True,
                  keep=["key_buffer_size"])
    assert new == "[mysqld]\nkey-buffer-size = 16M\n"


def test_additions_go_after_the_last_option_not_before_the_next_sections_comment():
    text = "[mysqld]\na = 1\n\n# client settings\n[client]\nuser = x\n"
    new, _ = edit(text, "mysqld", {"b": 2})
    assert new == "[mysqld]\na = 1\nb = 2\n\n# client settings\n[client]\nuser = x\n"


def test_same_option_twice_in_the_request_is_an_error():
    with pytest.raises(OptionFileError, match="given twice"):
        edit("", "mysqld", {"max_connections": 1, "max-connections": 2})


# Each line as `my_print_defaults` of MariaDB 10.11 printed it (mysys my_default.c):
# the comment starts at the first # outside quotes, one pair of enclosing quotes goes,
# backslash escapes are read. The parser refused the first two and misread the rest.
@pytest.mark.parametrize("line, value, comment", [
    ("a1 = 'SET x", "'SET x", ""),
    ("a2 = 'a' b", "'a' b", ""),
    ("a3 = 'a' ; c", "'a' ; c", ""),
    ("a4 = a'#'b # real", "a'#'b", "# real"),
    ("a5 = x\\sy\\n\\qz\\", "x y\n\\qz\\", ""),
    ('a6 = "q"', "q", ""),
    ("a7 = '", "'", ""),
    ('a8 = "it\'s" # c', "it's", "# c"),
    ("y = \\'a\\'", "'a'", ""),
    ("z = '\\''", "'", ""),
    ('w = "a\\""', 'a"', ""),
    ("x = a \\", "a \\", ""),
    ("x = \\'b # c", "'b # c", ""),
])
def test_values_are_read_as_mysqld_reads_them(line, value, comment):
    (option,) = [ln for ln in parse("[mysqld]\n" + line + "\n") if ln.kind == "option"]
    assert (option.value, option.comment) == (value, comment)


# mysqld strips the bytes latin1 calls blanks: tab, LF, VT, FF, CR, space and 0xA0, also
# the A0 that ends a UTF-8 no-break space (C2 A0: the C2 stays). As my_print_defaults of
# MariaDB 10.11 printed each line. Python's str.strip removed other characters (0x1c to
# 0x1f, U+0085, U+3000, a whole U+00A0) and kept a raw 0xA0 byte.
@pytest.mark.parametrize("line, value", [
    (b"a = 1\xe3\x80\x80", b"1\xe3\x80\x80"),
    (b"b = \xa0 1 \xa0", b"1"),
    (b"c = 1 \x1c", b"1 \x1c"),
    (b"d = 1\xc2\xa0", b"1\xc2"),
    (b"e = \x80\xc2\x85 2", b"\x80\xc2\x85 2"),
    (b"\x0b f\xa0=\x0c3\x0b", b"3"),
])
def test_blanks_are_the_bytes_mysqld_strips(line, value):
    (option,) = [ln for ln in parse(from_bytes(b"[mysqld]\n" + line + b"\n"))
                 if ln.kind == "option"]
    assert to_bytes(option.value) == value


def test_a_rewritten_line_keeps_its_indent_and_comment_byte_for_byte():
    # The strip cuts the U+00A0 at the comment's end in two (C2 | A0); both bytes stay.
    text = from_bytes(b"[mysqld]\n\xa0\x0bk = 1 # c\xc2\xa0\x0c\n")
    new, _ = edit(text, "mysqld", {"k": 2})
    assert to_bytes(new) == b"[mysqld]\n\xa0\x0bk = 2 # c\xc2\xa0\x0c\n"


@pytest.mark.parametrize("line", [b"\x0b\x0c# comment", b"\xa0;comment", b" \xa0 "])
def test_lines_mysqld_skips_after_its_blanks_are_not_options(line):
    assert [ln.kind for ln in parse(from_bytes(b"[mysqld]\n" + line + b"\n"))] \
        == ["section", "comment" if line.strip(b" \xa0") else "blank"]


@pytest.mark.parametrize("line", [b"\x1c", b"\x1cj = 2", b"\xe3\x80\x80k = 1"])
def test_a_name_that_starts_with_a_character_mysqld_does_not_strip_is_refused(line):
    # mysqld reads an option named "\x1cj" there and refuses to start with it.
    with pytest.raises(OptionFileError, match="not an option name"):
        parse(from_bytes(b"[mysqld]\n" + line + b"\n"))


@pytest.mark.parametrize("header, group", [
    ("[mysqld]", "mysqld"), ("[ mysqld ]", " mysqld"), ("[mysqld ] x", "mysqld"),
    ("[mysqld]]", "mysqld"), ("[mysqld] # c", "mysqld"),
])
def test_groups_are_read_as_mysqld_reads_them(header, group):
    # `[ mysqld ]` is not the mysqld group for mysqld (it keeps the leading blank).
    (option,) = [ln for ln in parse(header + "\nq = 1\n") if ln.kind == "option"]
    assert option.section == group


@pytest.mark.parametrize("text, word", [
    ("max_connections = 1\n", r"before any \[section\]"),
    ("[mysqld\n", "malformed section header"),
    ("[mysqld]\n!incldue /x\n", "unknown directive"),
    ("[mysqld]\n!include  \n", "unknown directive"),  # mysqld: "Wrong '!include' directive"
    ("[mysqld]\nbad name = 1\n", "not an option name"),
])
def test_malformed_files_are_refused_with_the_line(text, word):
    with pytest.raises(OptionFileError, match=word):
        edit(text, "mysqld", {"a": 1})


def test_format_value():
    assert format_value(True) == "ON" and format_value(False) == "OFF"
    assert format_value(300) == "300"
    assert format_value("a # b") == "'a # b'"
    assert format_value(" x") == "' x'"


def test_print_defaults_lines_end_at_newline_only_and_values_are_kept_whole():
    # my_print_defaults prints what mysqld read: a form feed or 0x1c inside or at the end
    # of a value is part of it. str.splitlines split there and str.strip cut it off.
    out = "--a=1\x0cb\n--c=2\x1c\n--d=\x85x\u2028y\n--e=a\r\n"
    assert parse_print_defaults(out) == [("a", "1\x0cb"), ("c", "2\x1c"), ("d", "\x85x\u2028y"),
                                         ("e", "a\r")]  # k = a\r, an escape mysqld reads


def test_parse_print_defaults_and_overrides():
    out = ("--socket=/run/mysqld/mysqld.sock\n--max_connections=300\n--loose-max-connections=500\n"
           "--skip-name-resolve\n--wait_timeout=600\n")
    effective = parse_print_defaults(out)
    assert effective[-2] == ("skip_name_resolve", None)
    problems = find_overrides(effective, {"max-connections": 300, "wait_timeout": 600,
                                          "thread_cache_size": 8, "innodb_buffer_pool_size": None})
    assert problems == [
        {"option": "max_connections", "ours": "300", "effective": "500"},
        {"option": "thread_cache_size", "ours": "8", "effective": None},
    ]
    assert find_overrides(parse_print_defaults("--max_connections=100\n--max-connections=300\n"),
                          {"max_connections": "300"}) == []


def test_validation_errors_mariadb_help_verbose():
    stderr = (
        "2026-11-21 13:37:02 0 [Warning] Could not increase number of max_open_files to more than 10000\n"
        "2026-11-21 13:37:02 0 [Warning] Buffered warning: option 'max_connections': unsigned value "
        "99999999 adjusted to 100000\n"
        "2026-11-21 13:37:02 0 [ERROR] Unknown suffix 'Q' used for variable 'innodb-buffer-pool-size' "
        "(value '12Q'). Legal suffix characters are: K, M, G, T, P, E\n"
        "2026-11-21 13:37:02 0 [ERROR] Parsing options for plugin 'InnoDB' failed. Disabling plugin\n")
    errors = validation_errors(0, stderr, ["max-connections"])
    assert errors[0].startswith("option 'max_connections': unsigned value 99999999 adjusted to 100000")
    assert errors[1].startswith("Unknown suffix 'Q' used for variable 'innodb-buffer-pool-size'")
    assert len(errors) == 3
    # a clamp of an option we did not set is the server's business, not ours
    assert len(validation_errors(0, stderr, ["wait_timeout"])) == 2
    assert validation_errors(0, "2026-11-21 13:37:02 0 [Warning] Could not increase number of "
                                "max_open_files\n", ["x"]) == []
    assert validation_errors(7, "[ERROR] mariadbd: unknown variable 'foo=1'\n") == [
        "mariadbd: unknown variable 'foo=1'"]
    assert "exited with status 1" in validation_errors(1, "")[0]



# --- issue 12: refusals, sizes, bytes we do not own, the temporary copy ---------------

@pytest.mark.parametrize("char", ["\n", "\r", "\x00", "\t", "\x0b", "\x0c", "\x1b", "\x7f"])
def test_control_characters_are_refused_in_values(char):
    with pytest.raises(OptionFileError, match=r"value of option init_connect contains the "
                                              r"control character"):
        edit("[mysqld]\n", "mysqld", {"init_connect": "SET NAMES utf8mb4%sskip-grant-tables" % char})


@pytest.mark.parametrize("section, options, word", [
    ("mysqld", {"max_connections\nskip-grant-tables": 1}, "option name"),
    ("mysqld", {"max connections": 1}, "not an option name"),
    ("mysqld", {"max_connections=1": 1}, "not an option name"),
    ("mysqld]\nskip-grant-tables\n[x", {"a": 1}, "section name"),
    ("my sqld", {"a": 1}, "not a section name"),
    ("mysqld]", {"a": 1}, "not a section name"),
])
def test_names_and_sections_that_cannot_be_written_are_refused(section, options, word):
    with pytest.raises(OptionFileError, match=word):
        edit("", section, options)


def test_refuse_control_characters_allows_what_it_is_told():
    refuse_control_characters("the header", "line one\nline\ttwo", allowed="\n\t")
    with pytest.raises(OptionFileError, match=r"the header contains the control character '\\r'"):
        refuse_control_characters("the header", "a\rb", allowed="\n\t")


@pytest.mark.parametrize("value, word", [
    # mysqld reads these as escapes (\s a space, \n a line break): it got "a b" while
    # the module reported "a\\sb" written, and every rerun said unchanged.
    ("a\\sb", "escape"), ("a\\nb", "escape"), ("C:\\\\x", "escape"),
    ("it\\'s", "escape"), ('say \\"hi\\"', "escape"),
    # Quoted (for the '#') with a quote it holds: mysqld reads it, this module's own parser
    # refused the file it had written, so every later run failed.
    ("SET @a=\"b\" '#' c", "both quote"), (" 'x\" ", "both quote"),
])
def test_values_mysqld_would_read_otherwise_are_refused(value, word):
    with pytest.raises(OptionFileError, match=word):
        check_request("mysqld", {"init_connect": value})
    with pytest.raises(OptionFileError, match=word):
        edit("[mysqld]\n", "mysqld", {"init_connect": value})


@pytest.mark.parametrize("value", ["ab\\", "a\\xb", "/var/lib/my sql", "x # y 'z'", "'q'",
                                   "SET @a='x' # y"])
def test_values_mysqld_reads_as_written_round_trip(value):
    new, _ = edit("[mysqld]\n", "mysqld", {"init_connect": value})
    assert section_options(new, "mysqld")["init_connect"] == value
    assert edit(new, "mysqld", {"init_connect": value}) == (new, [])


def test_unicode_that_is_not_a_control_character_is_kept():
    new, _ = edit("", "mysqld", {"init_connect": "SET @x = 'café ☕'"})
    assert new == "[mysqld]\ninit_connect = SET @x = 'café ☕'\n"


def test_fractional_sizes_are_written_as_bytes_the_server_reads():
    new, changes = edit("", "mysqld", {"max_allowed_packet": "1.5M", "long_query_time": "0.5"})
    assert new == "[mysqld]\nmax_allowed_packet = 1536K\nlong_query_time = 0.5\n"
    assert changes[0]["after"] == "1536K"
    # the same size spelled the other way is no change
    assert edit(new, "mysqld", {"max_allowed_packet": "1.5M"}) == (new, [])
    with pytest.raises(OptionFileError, match="max_allowed_packet.*whole number of bytes"):
        edit("", "mysqld", {"max_allowed_packet": "1.3K"})


def test_check_request_formats_and_keeps_the_given_value():
    assert check_request("mysqld", {"Max-Connections": 300, "x": None, "y": True}) == {
        "max_connections": ("Max-Connections", "300", 300), "x": ("x", None, None),
        "y": ("y", "ON", True)}


def test_crlf_file_keeps_crlf_and_new_lines_follow_it():
    text = "# win\r\n[mysqld]\r\nmax_connections = 200\r\n[client]\r\nuser = x\r\n"
    new, _ = edit(text, "mysqld", {"max_connections": 300, "wait_timeout": 600})
    assert new == ("# win\r\n[mysqld]\r\nmax_connections = 300\r\nwait_timeout = 600\r\n"
                   "[client]\r\nuser = x\r\n")
    new, _ = edit("[client]\r\nuser = x\r\n", "mysqld", {"a": 1})
    assert new == "[client]\r\nuser = x\r\n\r\n[mysqld]\r\na = 1\r\n"


def test_form_feed_and_other_splitlines_breaks_are_not_line_breaks():
    text = "# one\x0c two\x1c three\x85\n[mysqld]\na = 1 # \x0c\n"
    assert [line.kind for line in parse(text)] == ["comment", "section", "option"]
    new, _ = edit(text, "mysqld", {"a": 2, "b": 3})
    assert new == "# one\x0c two\x1c three\x85\n[mysqld]\na = 2 # \x0c\nb = 3\n"


def test_last_line_without_a_newline():
    assert edit("[mysqld]\na = 1", "mysqld", {"a": 2})[0] == "[mysqld]\na = 2"
    assert edit("[mysqld]\na = 1", "mysqld", {"b": 2})[0] == "[mysqld]\na = 1\nb = 2\n"
    assert edit("[client]\nu = x", "mysqld", {"b": 2})[0] == "[client]\nu = x\n\n[mysqld]\nb = 2\n"


def test_include_directives_read_like_the_server():
    text = ("!include /a.cnf\n  ! includedir  /etc/mysql/conf.d/  \r\n!includex /b\n!include\n"
            "!include  \n# !include /c\n")
    assert include_directives(text) == [("include", "/a.cnf"), ("includedir", "/etc/mysql/conf.d/")]
    new = rewrite_includes(text, lambda word, path: "/tmp/copy" + path if word == "include" else None)
    assert new == text.replace("!include /a.cnf", "!include /tmp/copy/a.cnf")


# As my_print_defaults of MariaDB 10.11 read each line: the blanks around the keyword and
# the path are mysqld's (test_blanks_are_the_bytes_mysqld_strips). Two readers with
# Python's \s included /x.cnf for the first two lines and refused the last two.
@pytest.mark.parametrize("line, found", [
    (b"!include\x1c/x.cnf", None),
    (b"!include /x.cnf\x1c", [("include", b"/x.cnf\x1c")]),
    (b"!include\xa0/x.cnf\xa0", [("include", b"/x.cnf")]),
    (b"! include /x.cnf\x0b", [("include", b"/x.cnf")]),
])
def test_directives_are_read_with_the_blanks_mysqld_strips(line, found):
    text = from_bytes(b"[mysqld]\n" + line + b"\n")
    if found is None:  # mysqld skips it; it is not an include, so it is refused here
        with pytest.raises(OptionFileError, match="unknown directive"):
            parse(text)
        return
    assert [ln.kind for ln in parse(text)] == ["section", "directive"]
    assert [(word, to_bytes(path))
            for word, path in include_directives(text)] == found


@pytest.mark.parametrize("message, expected", [
    ("/usr/sbin/mariadbd: unknown variable 'no_such_option_xyz=1'", ("no_such_option_xyz", "1")),
    ("/usr/sbin/mariadbd: unknown option '--no_such_flag'", ("no_such_flag", None)),
    ("Unknown suffix '.' used for variable 'innodb-buffer-pool-size' (value '1.5M'). Legal "
     "suffix characters are: K, M, G, T, P, E", ("innodb_buffer_pool_size", "1.5M")),
    ("/usr/sbin/mariadbd: Error while setting value 'abc' to 'max_connections'",
     ("max_connections", "abc")),
    ("option 'max_connections': unsigned value 99999999 adjusted to 100000",
     ("max_connections", "99999999")),
    ("Parsing options for plugin 'InnoDB' failed. Disabling plugin", None),
])
def test_message_option(message, expected):
    assert message_option(message) == expected


def test_options_in_groups():
    text = ("[client]\nmax_connections = 1\n[mysqld]\nmax-connections = 2\n[mariadb-10.11]\n"
            "loose-max_connections = 3\n[mysqld]\nmax_connections = 2\n")
    assert options_in_groups(text, "max_connections") == [4, 6, 8]
    assert options_in_groups(text, "max_connections", "2") == [4, 8]
    assert options_in_groups("[mysqld\n", "x") == []


def test_config_file_problems():
    out = ("error: Found option without preceding group in config file: /e/x.cnf at line: 1\n"
           "error: Wrong group definition in config file: /e/y.cnf at line 3\n"
           "2026-12-01  4:23:24 0 [Warning] Could not increase number of max_open_files\n")
    assert config_file_problems(out) == [
        ("Found option without preceding group", "/e/x.cnf", 1),
        ("Wrong group definition", "/e/y.cnf", 3)]


@pytest.fixture
def live(tmp_path):
    confd = tmp_path / "conf.d"
    confd.mkdir()
    top = tmp_path / "my.cnf"
    top.write_text("[client-server]\nport = 3306\n!include %s/extra.cnf\n!includedir %s/\n"
                   % (tmp_path, confd))
    (tmp_path / "extra.cnf").write_text("[mysqld]\nwait_timeout = 5\n")
    (confd / "50-server.cnf").write_text("[mysqld]\nmax_connections = 100\n")
    (confd / "README").write_text("not read\n")
    (confd / "10-first.cnf").write_text("[mysqld]\nthread_cache_size = 8\n")
    return tmp_path, top, confd


def snapshot(root):
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_tree_copy_holds_the_candidate_and_leaves_the_live_files_alone(live, tmp_path_factory):
    tmp, top, confd = live
    before = snapshot(tmp)
    tree = OptionTree([str(top)], str(confd / "99-steadydb.cnf"), "[mysqld]\nmax_connections = 300\n")
    copy_top = tree.build(str(tmp_path_factory.mktemp("copies")))
    try:
        assert [path for path, _ in tree.order] == [
            str(top), "%s/extra.cnf" % tmp, "%s/10-first.cnf" % confd, "%s/50-server.cnf" % confd,
            "%s/99-steadydb.cnf" % confd]
        assert tree.reads_target
        assert tree.order[-1][1] == "[mysqld]\nmax_connections = 300\n"
        texts = open(copy_top).read()
        assert str(tmp) not in texts.replace(tree.dir, "")
        # the copied includedir has the candidate under its own name, and no README
        dirs = [d for d in os.listdir(tree.dir) if d.startswith("d")]
        assert sorted(os.listdir(os.path.join(tree.dir, dirs[0]))) == [
            "10-first.cnf", "50-server.cnf", "99-steadydb.cnf"]
        entry = os.path.join(tree.dir, dirs[0], "99-steadydb.cnf")
        assert tree.original(entry) == str(confd / "99-steadydb.cnf")
        assert tree.live_paths("error in %s at line 1" % entry) == \
            "error in %s at line 1" % (confd / "99-steadydb.cnf")
    finally:
        tree.cleanup()
    assert not os.path.exists(copy_top)
    assert snapshot(tmp) == before


def test_tree_follows_a_symlinked_target_and_notices_a_file_not_read(live, tmp_path):
    tmp, top, confd = live
    (tmp / "alt").mkdir()
    (tmp / "alt" / "real.cnf").write_text("[mysqld]\na = 1\n")
    (confd / "99-steadydb.cnf").symlink_to(tmp / "alt" / "real.cnf")
    tree = OptionTree([str(top)], str(confd / "99-steadydb.cnf"), "[mysqld]\na = 2\n")
    tree.build()
    try:
        assert tree.reads_target and tree.order[-1] == (str(confd / "99-steadydb.cnf"),
                                                         "[mysqld]\na = 2\n")
    finally:
        tree.cleanup()
    elsewhere = OptionTree([str(top)], str(tmp / "other" / "x.cnf"), "[mysqld]\na = 2\n")
    elsewhere.build()
    elsewhere.cleanup()
    assert not elsewhere.reads_target


def test_tree_include_cycle_is_bounded(tmp_path):
    loop = tmp_path / "loop.cnf"
    loop.write_text("[mysqld]\n!include %s\n" % loop)
    tree = OptionTree([str(loop)], str(tmp_path / "x.cnf"), None)
    tree.build()
    tree.cleanup()
    assert len(tree.order) == 11  # mysqld stops ten levels down


def test_tree_directory_that_includes_itself(tmp_path):
    confd = tmp_path / "conf.d"
    confd.mkdir()
    (confd / "a.cnf").write_text("[mysqld]\n!includedir %s\n" % confd)
    top = tmp_path / "my.cnf"
    top.write_text("!includedir %s\n" % confd)
    tree = OptionTree([str(top)], str(confd / "b.cnf"), "[mysqld]\nx = 1\n")
    copy_top = tree.build()
    try:
        copied = os.path.join(tree.dir, "d0")
        assert sorted(os.listdir(copied)) == ["a.cnf", "b.cnf"]
        assert all(os.path.isfile(os.path.join(copied, n)) for n in os.listdir(copied))
        assert open(os.path.join(copied, "b.cnf")).read() == "[mysqld]\nx = 1\n"
        assert open(os.path.join(copied, "a.cnf")).read() == "[mysqld]\n!includedir %s/\n" % copied
        assert os.path.isfile(copy_top)
    finally:
        tree.cleanup()


def test_parse_default_files():
    text = ("my_print_defaults  Ver 1.7 for debian-linux-gnu at x86_64\n\nDefault options are read "
            "from the following files in the given order:\n/etc/my.cnf /etc/mysql/my.cnf ~/.my.cnf \n"
            "The following groups are read: my_print_defaults\n")
    text = text.replace("Default options are read from", "\nDefault options are read from")
    assert parse_default_files(text) == ["/etc/my.cnf", "/etc/mysql/my.cnf", "~/.my.cnf"]
    assert parse_default_files("usage: something\n") is None


def test_validation_errors_mysql_validate_config():
    out = ("2026-12-01T04:59:16.027273Z 0 [ERROR] [MY-000058] [Server] Unknown suffix 'a' used "
           "for variable 'max_connections' (value 'abc').\n"
           "2026-12-01T04:59:16.027280Z 0 [Warning] [MY-000081] [Server] option "
           "'max_connections': unsigned value 0 adjusted to 1.\n"
           "2026-12-01T04:59:16.027300Z 0 [ERROR] [MY-010119] [Server] Aborting\n")
    errors = validation_errors(1, out, ["max_connections"])
    assert errors[0] == "Unknown suffix 'a' used for variable 'max_connections' (value 'abc')."
    assert errors[1].startswith("option 'max_connections': unsigned value 0 adjusted to 1.")
    assert errors[2] == "Aborting"
    assert message_option(errors[0]) == ("max_connections", "abc")


# --- write_atomic: the one atomic write (option files, the server stage's rollback) ---------

class MoveModule(object):
    """A module whose atomic_move is a plain rename, recording its calls."""

    def __init__(self):
        self.params = {"unsafe_writes": False}
        self.moves = []

    def atomic_move(self, src, dest, unsafe_writes=False):
        self.moves.append((src, dest, unsafe_writes))
        os.rename(src, dest)


def test_write_atomic_takes_text_or_bytes_and_moves_with_the_module(tmp_path):
    path = str(tmp_path / "99-x.cnf")
    module = MoveModule()
    write_atomic(module, path, "[mysqld]\nkey = \udcff\n")
    with open(path, "rb") as handle:
        assert handle.read() == b"[mysqld]\nkey = \xff\n"  # surrogateescape round trip
    write_atomic(module, path, b"[mysqld]\n\xfe\n")
    with open(path, "rb") as handle:
        assert handle.read() == b"[mysqld]\n\xfe\n"
    assert [(dest, unsafe) for _src, dest, unsafe in module.moves] == [(path, False)] * 2
    assert os.listdir(str(tmp_path)) == ["99-x.cnf"]


def test_write_atomic_hook_sees_the_synced_temporary_file_before_the_rename(tmp_path):
    path = tmp_path / "99-x.cnf"
    path.write_bytes(b"old\n")
    module, seen = MoveModule(), []

    def before_rename(tmp):
        # The content is complete in the temporary file; the live file is still the old one.
        seen.append((os.path.dirname(tmp), open(tmp, "rb").read(), path.read_bytes()))
        os.chmod(tmp, 0o640)
        os.utime(tmp, ns=(1700000000123456789, 1700000000123456789))

    write_atomic(module, str(path), b"new\n", before_rename=before_rename)
    assert seen == [(str(tmp_path), b"new\n", b"old\n")]
    assert path.read_bytes() == b"new\n"
    st = os.stat(str(path))
    # What the hook set survives: a plain rename, not atomic_move (which would copy the
    # replaced file's mode and give a new mtime).
    assert oct(st.st_mode & 0o777) == "0o640" and st.st_mtime_ns == 1700000000123456789
    assert module.moves == []
    assert os.listdir(str(tmp_path)) == ["99-x.cnf"]


def test_write_atomic_hook_failure_leaves_the_file_and_no_temporary(tmp_path):
    path = tmp_path / "99-x.cnf"
    path.write_bytes(b"old\n")

    def before_rename(tmp):
        raise OSError(1, "Operation not permitted", tmp)

    with pytest.raises(OSError, match="not permitted"):
        write_atomic(MoveModule(), str(path), "new\n", before_rename=before_rename)
    assert path.read_bytes() == b"old\n"
    assert os.listdir(str(tmp_path)) == ["99-x.cnf"]


def test_unknown_owner_or_group_is_named_before_anything_is_written():
    from ansible.module_utils.steadydb.option_tree import unknown_owner
    assert unknown_owner(None, None) == "" and unknown_owner("root", "root") == ""
    assert unknown_owner("0", "0") == "" and unknown_owner(12345, None) == ""
    assert unknown_owner("steadydb-no-such-user", "root") == \
        "no such user 'steadydb-no-such-user' on this host"
    assert unknown_owner("root", "steadydb-no-such-group") == \
        "no such group 'steadydb-no-such-group' on this host"


def test_secret_values_are_those_of_secret_options_in_either_text():
    from ansible.module_utils.steadydb.option_file import secret_values
    old = "[client]\npassword = 'old # pw'\nuser = root\n"
    new = "[client]\npassword = new-pw\nssl_key = /k.pem\nuser = root\n"
    assert secret_values(old, new) == {"old # pw", "new-pw", "/k.pem"}
