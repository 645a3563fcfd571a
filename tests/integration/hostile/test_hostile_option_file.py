"""Hostile cases for mysql_option_file (issue 12, items 2, 3, 7, 9, 10, 11).

Real module runs (``run_module``: the ``ansible`` CLI) on a throwaway option tree shaped
like Debian's (a top file with ``!includedir conf.d``), checked by the host's real
``mariadbd``. Where a test needs to look inside the module's run, ``server_binary`` is a
small wrapper around the real ``mariadbd`` that records what the live option file holds
while the server checks the configuration, or makes that check slow.
"""
import fcntl
import os
import subprocess
import threading
import time

import pytest

from conftest import MARIADBD, needs_mariadbd, run_option_file


pytestmark = [pytest.mark.hostile, needs_mariadbd]

OLD = "[mysqld]\nmax_connections = 200\n"


@pytest.fixture
def tree(option_tree):
    return option_tree("bind-address = 127.0.0.1")


def wrapper(tmp, name, body):
    """A server binary that runs ``body`` (sh) before handing over to the real mariadbd."""
    path = tmp / name
    path.write_text("#!/bin/sh\n%s\nexec %s \"$@\"\n" % (body, MARIADBD))
    path.chmod(0o755)
    return str(path)


def server_sees(top, *extra):
    """What the real server reads from the tree (its own option parser, not ours)."""
    proc = subprocess.run([MARIADBD, "--defaults-file=" + top] + list(extra) + ["--help", "--verbose"],
                          capture_output=True, text=True, timeout=60)
    return proc


# --- item 2: control characters never reach the file ---------------------------------

@pytest.mark.parametrize("options, section, named", [
    ({"init_connect": "SET NAMES utf8mb4\nskip-grant-tables"}, "mysqld", "init_connect"),
    ({"init_connect": "SET NAMES utf8mb4\rskip-grant-tables"}, "mysqld", "init_connect"),
    ({"init_connect": "x\x1bskip"}, "mysqld", "init_connect"),
    ({"init_connect": "x\x00skip"}, "mysqld", "init_connect"),
    ({"init_connect": "x\x7fy"}, "mysqld", "init_connect"),
    ({"max_connections\nskip-grant-tables": 1}, "mysqld", "max_connections"),
    ({"max_connections": 1}, "mysqld]\nskip-grant-tables\n[client", "section"),
])
def test_control_characters_are_refused_and_nothing_written(tree, options, section, named):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    before = path.stat()
    result, _ = run_option_file(tree, options, extra={"section": section})
    assert result.get("failed") is True, result
    assert "control character" in result["msg"]
    assert named in result["msg"]
    assert path.read_text() == OLD
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_ino == before.st_ino
    assert "skip-grant-tables" not in path.read_text()


def test_injected_newline_does_not_create_an_option_for_a_new_file(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"init_connect": "SET NAMES utf8mb4\nskip-grant-tables"})
    assert result.get("failed") is True
    assert not (confd / "99-steadydb.cnf").exists()


def test_control_characters_in_the_header_are_refused(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"header": "ok\x1b[2Jcleared"})
    assert result.get("failed") is True
    assert "header" in result["msg"] and "control character" in result["msg"]
    assert not (confd / "99-steadydb.cnf").exists()


# --- item 3: sizes the server's option parser reads ----------------------------------

def test_fractional_size_is_written_as_the_server_reads_it(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"max_allowed_packet": "1.5M", "innodb_buffer_pool_size": "1.5G"},
                    extra={"validate": True, "on_override": "fail"})
    assert not result.get("failed"), result.get("msg")
    assert result["validated"] is True
    text = (confd / "99-steadydb.cnf").read_text()
    assert "max_allowed_packet = 1536K\n" in text
    assert "innodb_buffer_pool_size = 1536M\n" in text
    seen = server_sees(top)
    assert "Unknown suffix" not in seen.stderr
    assert [line.split()[-1] for line in seen.stdout.splitlines()
            if line.startswith("max-allowed-packet ")] == ["1572864"]
    # the same size spelled either way is the same value: nothing to change
    again, _ = run_option_file(tree, {"max_allowed_packet": "1536K", "innodb_buffer_pool_size": "1.5G"},
                   extra={"validate": True})
    assert not again.get("failed") and again["changed"] is False


def test_size_with_a_fraction_of_a_byte_is_refused(tree):
    tmp, top, confd = tree
    result, _ = run_option_file(tree, {"max_allowed_packet": "1.3K"})
    assert result.get("failed") is True
    assert "max_allowed_packet" in result["msg"] and "whole number of bytes" in result["msg"]
    assert not (confd / "99-steadydb.cnf").exists()


# --- item 7: the live file never holds an unvalidated version ------------------------

def test_live_file_is_untouched_while_the_candidate_is_validated(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    os.utime(path, ns=(1700000000123456789, 1700000000123456789))
    ino = path.stat().st_ino
    log = tmp / "seen.log"
    # Records the live file each time the module runs the server binary.
    spy = wrapper(tmp, "spy-mariadbd", "{ echo '--- '\"$*\"; cat %s; } >> %s 2>&1" % (path, log))
    result, _ = run_option_file(tree, {"no_such_option_xyz": 1}, extra={"validate": True, "server_binary": spy})
    assert result.get("failed") is True
    assert "unknown variable 'no_such_option_xyz=1'" in result["msg"]
    seen = log.read_text()
    assert "--help --verbose" in seen  # the check did run
    assert "no_such_option_xyz" not in seen, seen  # ... on a candidate, not on the live file
    assert path.read_bytes() == OLD.encode()
    assert path.stat().st_mtime_ns == 1700000000123456789
    assert path.stat().st_ino == ino
    assert result["changed"] is False


def test_valid_change_reaches_the_live_file_only_after_validation(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    log = tmp / "seen.log"
    spy = wrapper(tmp, "spy-mariadbd", "{ echo '--- '\"$*\"; cat %s; } >> %s 2>&1" % (path, log))
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"validate": True, "server_binary": spy})
    assert not result.get("failed"), result.get("msg")
    assert result["validated"] is True and result["changed"] is True
    assert "max_connections = 300" not in log.read_text()
    assert path.read_text() == "[mysqld]\nmax_connections = 300\n"
    assert result["effective"] == {"max_connections": "300"}


def test_override_failure_writes_nothing(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    os.utime(path, ns=(1700000000123456789, 1700000000123456789))
    (confd / "99-zz-local.cnf").write_text("[mariadbd]\nmax-connections = 500\n")
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"on_override": "fail"})
    assert result.get("failed") is True
    assert "99-zz-local.cnf:2" in result["msg"]
    assert path.read_text() == OLD
    assert path.stat().st_mtime_ns == 1700000000123456789


# --- item 9: a symlinked option file stays a symlink ---------------------------------

@pytest.fixture
def linked(tree):
    tmp, top, confd = tree
    alternatives = tmp / "alternatives"
    alternatives.mkdir()
    target = alternatives / "steadydb.cnf"
    target.write_text(OLD)
    link = confd / "99-steadydb.cnf"
    link.symlink_to(target)
    return link, target


def test_symlink_is_written_through(tree, linked):
    link, target = linked
    result, _ = run_option_file(tree, {"max_connections": 300},
                    extra={"validate": True, "on_override": "fail", "mode": "0644"})
    assert not result.get("failed"), result.get("msg")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "[mysqld]\nmax_connections = 300\n"
    assert result["effective"] == {"max_connections": "300"}
    again, _ = run_option_file(tree, {"max_connections": 300},
                   extra={"validate": True, "on_override": "fail", "mode": "0644"})
    assert again["changed"] is False, again


@pytest.mark.parametrize("extra", [{"validate": True}, {"on_override": "fail"}])
def test_symlink_survives_a_failed_check(tree, linked, extra):
    tmp, top, confd = tree
    link, target = linked
    if "validate" in extra:
        options = {"no_such_option_xyz": 1}
    else:
        options = {"max_connections": 300}
        (confd / "99-zz-local.cnf").write_text("[mysqld]\nmax_connections = 500\n")
    result, _ = run_option_file(tree, options, extra=extra)
    assert result.get("failed") is True
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == OLD


def test_dangling_symlink_is_refused(tree):
    tmp, top, confd = tree
    link = confd / "99-steadydb.cnf"
    link.symlink_to(tmp / "gone" / "steadydb.cnf")
    result, _ = run_option_file(tree, {"max_connections": 300})
    assert result.get("failed") is True
    assert "symlink" in result["msg"] and "does not exist" in result["msg"]
    assert link.is_symlink()


# --- item 10: bytes we do not own, locking, concurrent runs --------------------------

def test_crlf_file_keeps_its_line_endings(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_bytes(b"# from Windows\r\n[mysqld]\r\nmax_connections = 200\r\nskip-name-resolve\r\n")
    result, _ = run_option_file(tree, {"max_connections": 300, "wait_timeout": 600}, extra={"validate": True})
    assert not result.get("failed"), result.get("msg")
    assert path.read_bytes() == (b"# from Windows\r\n[mysqld]\r\nmax_connections = 300\r\n"
                                 b"skip-name-resolve\r\nwait_timeout = 600\r\n")
    again, _ = run_option_file(tree, {"max_connections": 300, "wait_timeout": 600})
    assert again["changed"] is False


def test_bytes_we_do_not_own_are_kept(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    original = (b"# page one\x0c\n# caf\xe9 (latin-1, not UTF-8)\n[mysqld]\n"
                b"max_connections = 200 # \x0c form feed\nthread_cache_size = 8")  # no final newline
    path.write_bytes(original)
    result, _ = run_option_file(tree, {"max_connections": 300, "wait_timeout": 600}, extra={"validate": True})
    assert not result.get("failed"), result.get("msg")
    assert path.read_bytes() == (b"# page one\x0c\n# caf\xe9 (latin-1, not UTF-8)\n[mysqld]\n"
                                 b"max_connections = 300 # \x0c form feed\nthread_cache_size = 8\n"
                                 b"wait_timeout = 600\n")


def test_lock_wait_is_bounded_and_named(tree):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    # Another run holds the lock (the module locks the directory of the file it edits).
    fd = os.open(str(confd), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        result, _ = run_option_file(tree, {"max_connections": 300}, extra={"lock_timeout": 2})
        elapsed = time.monotonic() - started
    finally:
        os.close(fd)
    assert result.get("failed") is True, result
    assert "lock" in result["msg"] and "lock_timeout" in result["msg"] and str(confd) in result["msg"]
    assert elapsed < 20
    assert path.read_text() == OLD


def test_concurrent_runs_the_successful_change_survives(tree):
    """Run B fails its validation slowly; run A, started during B's check, must win."""
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    slow = wrapper(tmp, "slow-mariadbd",
                   'case "$*" in *--verbose*) sleep 3;; esac')
    results = {}

    def run_b():
        results["b"], _ = run_option_file(tree, {"no_such_option_xyz": 1},
                              extra={"validate": True, "server_binary": slow})

    thread = threading.Thread(target=run_b)
    thread.start()
    time.sleep(2.0)  # B is inside its slow check now
    results["a"], _ = run_option_file(tree, {"max_connections": 300},
                          extra={"validate": True, "exclusive": True})
    thread.join(120)
    assert results["b"].get("failed") is True
    assert not results["a"].get("failed"), results["a"].get("msg")
    assert results["a"]["changed"] is True and results["a"]["validated"] is True
    assert path.read_text() == "[mysqld]\nmax_connections = 300\n"


# --- item 11: the file the server complained about ----------------------------------

@pytest.mark.parametrize("broken, words", [
    ("[mysqld]\n# local\nno_such_option_xyz = 1\n", ["unknown variable 'no_such_option_xyz=1'"]),
    ("[mysqld]\nmax_allowed_packet = 1.5M\n", ["Unknown suffix '.'"]),
])
def test_broken_unrelated_file_is_named(tree, broken, words):
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    (confd / "60-broken.cnf").write_text(broken)
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"validate": True})
    assert result.get("failed") is True
    for word in words:
        assert word in result["msg"]
    line = 3 if "no_such" in broken else 2
    assert "%s:%d" % (confd / "60-broken.cnf", line) in result["msg"], result["msg"]
    assert "The server rejects the configuration with %s" % path not in result["msg"]
    assert path.read_text() == OLD


def test_ignored_line_in_an_unrelated_file_is_a_warning_naming_it(tree):
    tmp, top, confd = tree
    (confd / "60-odd.cnf").write_text("[mysqld\nwait_timeout = 5\n")
    result, _ = run_option_file(tree, {"max_connections": 300}, extra={"validate": True})
    assert not result.get("failed"), result.get("msg")
    warnings = " ".join(result.get("warnings", []))
    assert "Wrong group definition" in warnings
    assert str(confd / "60-odd.cnf") in warnings


def test_concurrent_successful_runs_lose_no_update(tree):
    """Two runs change different options of one file, each with a slow check: both stay.

    Without the lock both read the same old file and the second write drops the first
    one's option (a lost update), although both report changed and validated.
    """
    tmp, top, confd = tree
    path = confd / "99-steadydb.cnf"
    path.write_text(OLD)
    slow = wrapper(tmp, "slow-mariadbd", 'case "$*" in *--verbose*) sleep 2;; esac')
    results = {}

    def one(name, options):
        results[name], _ = run_option_file(tree, options, extra={"validate": True, "server_binary": slow})

    threads = [threading.Thread(target=one, args=("a", {"max_connections": 300})),
               threading.Thread(target=one, args=("b", {"wait_timeout": 600}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for name in "ab":
        assert not results[name].get("failed"), results[name].get("msg")
        assert results[name]["changed"] is True and results[name]["validated"] is True
    text = path.read_text()
    assert "max_connections = 300\n" in text and "wait_timeout = 600\n" in text, text


@pytest.mark.parametrize("value", ["a\\sb", "SET @a=\"b\" '#' c"])
def test_value_mysqld_would_read_otherwise_is_refused_in_check_mode_too(tree, value):
    # 'a\sb' reached the server as 'a b' and every rerun said unchanged; the quoted
    # value was read fine by mysqld but refused by the module's own parser at every
    # later run.
    for check in (True, False):
        result, _ = run_option_file(tree, {"init_connect": value}, check=check)
        assert result.get("failed") is True, (check, result)
        assert "init_connect" in result["msg"] and value not in result["msg"]
    assert not tree.dropin.exists()


def test_a_password_written_to_a_client_section_never_appears_in_the_output(tree):
    # A [client] password (a ~/.my.cnf) came back in changes and in the diff.
    secret = "Opt-File-S3cret-77x"
    for check in (True, False):
        result, out = run_option_file(tree, {"password": secret, "user": "root"}, check=check,
                                      diff=True, extra={"section": "client"})
        assert not result.get("failed"), result.get("msg")
        assert result["changed"] is True
        assert secret not in out
    assert "password = %s" % secret in tree.dropin.read_text()
    again, out = run_option_file(tree, {"password": secret + "2"}, diff=True,
                                 extra={"section": "client"})
    assert again["changed"] is True and secret not in out
