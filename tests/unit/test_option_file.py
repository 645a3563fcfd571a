"""Option-file editing (module_utils/steadydb/option_file.py)."""
import pytest

from ansible.module_utils.steadydb.option_file import (
    OptionFileError, edit, find_overrides, format_value, option_key, parse,
    parse_print_defaults, same_value, section_options, validation_errors)

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


def test_additions_go_after_the_last_option_not_before_the_next_sections_comment():
    text = "[mysqld]\na = 1\n\n# client settings\n[client]\nuser = x\n"
    new, _ = edit(text, "mysqld", {"b": 2})
    assert new == "[mysqld]\na = 1\nb = 2\n\n# client settings\n[client]\nuser = x\n"


def test_same_option_twice_in_the_request_is_an_error():
    with pytest.raises(OptionFileError, match="given twice"):
        edit("", "mysqld", {"max_connections": 1, "max-connections": 2})


@pytest.mark.parametrize("text, word", [
    ("max_connections = 1\n", r"before any \[section\]"),
    ("[mysqld\n", "malformed section header"),
    ("[mysqld]\n!incldue /x\n", "unknown directive"),
    ("[mysqld]\nx = 'abc\n", "unterminated"),
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
