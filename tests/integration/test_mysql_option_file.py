"""mysql_option_file on a throwaway option tree, checked by the host's real mariadbd.

The tree mimics Debian's: a top file with ``!includedir conf.d``; ``defaults_file``
points the module (and so my_print_defaults and ``mariadbd --help --verbose``) at it.
"""
import os

import pytest

from conftest import MARIADBD, needs_mariadbd, run_module, run_option_file

pytestmark = needs_mariadbd


EXISTING = """# Managed by hand
[client-server]
socket = /run/mysqld/mysqld.sock

[mysqld]
# connections
max-connections = 151   # default
!include /nonexistent/ignored.cnf
thread_cache_size=8

[mysqldump]
quick
"""


@pytest.fixture
def tree(option_tree):
    return option_tree("max_connections = 100", "bind-address = 127.0.0.1")


def test_creates_then_unchanged_and_effective(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"max_connections": 300, "innodb_buffer_pool_size": "64M"},
                    extra={"validate": True, "on_override": "fail", "header": "Managed by steadydb"})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["validated"] is True
    assert result["effective"] == {"max_connections": "300", "innodb_buffer_pool_size": "64M"}
    path = confd / "99-steadydb.cnf"
    assert path.read_text() == ("# Managed by steadydb\n[mysqld]\nmax_connections = 300\n"
                                "innodb_buffer_pool_size = 64M\n")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    # the same values in other spellings: unchanged
    again, _ = run_option_file(tree, {"max-connections": "300", "innodb_buffer_pool_size": 64 * 1024 * 1024},
                   extra={"validate": True, "on_override": "fail"})
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False


def test_keeps_comments_includes_and_other_sections(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(EXISTING)
    result, _ = run_option_file(tree, {"max_connections": 400, "wait_timeout": 600}, diff=True,
                    extra={"backup": True})
    assert not result.get("failed"), result.get("msg")
    text = path.read_text()
    assert text == EXISTING.replace("max-connections = 151   # default",
                                    "max-connections = 400 # default").replace(
        "thread_cache_size=8\n", "thread_cache_size=8\nwait_timeout = 600\n")
    assert os.path.exists(result["backup_file"])
    assert open(result["backup_file"]).read() == EXISTING
    assert result["diff"]["before"] == EXISTING
    assert result["diff"]["after"] == text


def test_check_mode_writes_nothing(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"max_connections": 300}, check=True, diff=True)
    assert result["changed"] is True
    assert not (confd / "99-steadydb.cnf").exists()


def test_override_in_a_later_file_fails_and_restores(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text("[mysqld]\nmax_connections = 200\n")
    (confd / "99-zz-local.cnf").write_text("[mariadbd]\nmax-connections = 500\n")
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"on_override": "fail"})
    assert result.get("failed") is True
    assert "max_connections = 300 is overridden by max_connections = 500" in result["msg"]
    assert "99-zz-local.cnf:2" in result["msg"]
    assert path.read_text() == "[mysqld]\nmax_connections = 200\n"
    warned, _ = run_option_file(tree, {"max_connections": 300}, extra={"on_override": "warn"})
    assert not warned.get("failed")
    assert any("overridden" in w for w in warned.get("warnings", []))


def test_file_the_server_does_not_read(tree):
    tmp, top, confd = tree
    other = tmp / "elsewhere"
    other.mkdir()
    result, _ = run_option_file(tree, {"max_connections": 300},
                    extra={"path": str(other / "99-steadydb.cnf"), "on_override": "fail"})
    assert result.get("failed") is True
    assert "does not read" in result["msg"]
    assert not (other / "99-steadydb.cnf").exists()


@pytest.mark.parametrize("options, words", [
    ({"max_connections": "abc"}, ["Unknown suffix 'a' used for variable 'max_connections'"]),
    ({"no_such_option_xyz": 1}, ["unknown variable 'no_such_option_xyz=1'"]),
    ({"max_connections": 99999999}, ["adjusted to 100000", "outside the range"]),
    ({"innodb_buffer_pool_size": "12Q"}, ["Unknown suffix 'Q'"]),
])
def test_invalid_config_is_rejected_with_server_message(tree, options, words):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text("[mysqld]\nmax_connections = 200\n")
    os.utime(path, (1700000000, 1700000000))
    result, _ = run_option_file(tree, options, extra={"validate": True})
    assert result.get("failed") is True, result
    for word in words:
        assert word in result["msg"]
    assert "was not changed" in result["msg"]
    assert path.read_text() == "[mysqld]\nmax_connections = 200\n"
    assert path.stat().st_mtime == 1700000000  # the mtime too


def test_invalid_new_file_is_removed(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"no_such_option_xyz": 1}, extra={"validate": True})
    assert result.get("failed") is True
    assert not (confd / "99-steadydb.cnf").exists()


@pytest.mark.parametrize("text, words", [
    ("max_connections = 1\n[mysqld]\n", ["line 1", "before any [section]"]),
    ("[mysqld\nmax_connections = 1\n", ["line 1", "malformed section header"]),
    ("[mysqld]\n!inclde x\n", ["line 2", "unknown directive"]),
])
def test_malformed_existing_file_is_left_untouched(tree, text, words):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(text)
    before = path.stat().st_mtime_ns
    result, _ = run_option_file(tree, {"max_connections": 300})
    assert result.get("failed") is True
    assert "nothing was changed" in result["msg"]
    for word in words:
        assert word in result["msg"]
    assert path.read_text() == text
    assert path.stat().st_mtime_ns == before


def test_a_line_mysqld_reads_literally_is_kept_as_it_is(tree):
    # mysqld reads an unclosed quote literally (init_connect is "'SET x"); the module
    # refused the whole file ("unterminated quote") and could not harden the server.
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text("[mysqld]\ninit_connect = 'SET x ; y\nmax_connections = 100\n")
    result, _ = run_option_file(tree, {"max_connections": 300})
    assert not result.get("failed"), result.get("msg")
    assert path.read_text() == "[mysqld]\ninit_connect = 'SET x ; y\nmax_connections = 300\n"


def test_directories_pick_the_first_existing_and_report_mtimes(tree):
    tmp, top, confd = tree
    args = dict(path="99-steadydb.cnf", directories=[str(tmp / "missing.d"), str(confd)],
                defaults_file=top, server_binary=MARIADBD, options={"max_connections": 300})
    result, _ = run_module("mysql_option_file", args)
    assert not result.get("failed"), result.get("msg")
    assert result["path"] == str(confd / "99-steadydb.cnf")
    assert result["previous_mtime"] is None
    assert result["mtime"] == pytest.approx((confd / "99-steadydb.cnf").stat().st_mtime)
    again, _ = run_module("mysql_option_file", args)
    assert again["changed"] is False
    assert again["previous_mtime"] == pytest.approx(result["mtime"])
    none, _ = run_module("mysql_option_file", dict(args, directories=[str(tmp / "missing.d")]))
    assert none.get("failed") is True
    assert "None of the option directories" in none["msg"]


def test_always_validate_checks_an_unchanged_file(tree):
    tmp, top, confd = tree
    # Someone else's file breaks the configuration; ours is unchanged but the check
    # before a restart must still catch it, and must not touch our file.
    path = confd / "99-steadydb.cnf"
    path.write_text("[mysqld]\nmax_connections = 300\n")
    (confd / "60-broken.cnf").write_text("[mysqld]\nno_such_option_xyz = 1\n")
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"validate": True})
    assert not result.get("failed") and result["validated"] is False
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"validate": True, "always_validate": True})
    assert result.get("failed") is True
    assert "unknown variable 'no_such_option_xyz=1'" in result["msg"]
    assert "was not changed" in result["msg"]
    assert path.read_text() == "[mysqld]\nmax_connections = 300\n"


@pytest.mark.skipif(not os.path.exists("/etc/mysql/my.cnf"), reason="no Debian option tree")
def test_default_search_order_on_the_hosts_own_tree(tmp_path):
    # No defaults_file: the candidate is checked in a copy of the files the server
    # really reads (the host's /etc/mysql tree, read only, through its alternatives
    # symlink), with ~/.my.cnf (HOME is the test's) as the managed file.
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    args = dict(path=str(home / ".my.cnf"), server_binary=MARIADBD, options={"wait_timeout": 77},
                validate=True, on_override="fail")
    result, _ = run_module("mysql_option_file", args, extra_env=env)
    assert not result.get("failed"), result.get("msg")
    assert result["validated"] is True and result["effective"] == {"wait_timeout": "77"}
    assert (home / ".my.cnf").read_text() == "[mysqld]\nwait_timeout = 77\n"
    elsewhere, _ = run_module("mysql_option_file", dict(args, path=str(home / "x.cnf"),
                                                        options={"wait_timeout": 78}),
                              extra_env=env)
    assert elsewhere.get("failed") is True
    assert "does not read this file at all" in elsewhere["msg"]
    assert "/etc/mysql/my.cnf" in elsewhere["msg"]
    assert not (home / "x.cnf").exists()
