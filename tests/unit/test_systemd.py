"""The server unit: detection from `systemctl show`, LimitNOFILE rules (issue 12 item 12,
issue 13 item 4)."""
import pytest

from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.systemd import (
    INFINITY,
    SystemdError,
    limit_nofile,
    nofile_restart,
    parse_limit,
    parse_proc_limits,
    parse_show,
    pick_unit,
    read_unit,
)

CANDIDATES = ["mariadb.service", "mysql.service", "mysqld.service"]


def block(unit, load_state, **props):
    lines = ["Id=%s" % unit, "LoadState=%s" % load_state]
    lines += ["%s=%s" % item for item in sorted(props.items())]
    return "\n".join(lines) + "\n"


# What systemctl prints for the candidates on an Oracle MySQL host (Debian packages
# from repo.mysql.com): only mysql.service exists.
ORACLE_DEB = "\n".join([
    block("mariadb.service", "not-found", ActiveState="inactive", MainPID="0"),
    block("mysql.service", "loaded", ActiveState="active", MainPID="4242",
          FragmentPath="/lib/systemd/system/mysql.service", LimitNOFILE="10000"),
    block("mysqld.service", "not-found", ActiveState="inactive", MainPID="0"),
])

# RHEL / Oracle RPMs: mysqld.service, the last candidate.
ORACLE_RPM = "\n".join([
    block("mariadb.service", "not-found"),
    block("mysql.service", "not-found"),
    block("mysqld.service", "loaded", ActiveState="active", MainPID="77"),
])

# Debian's MariaDB: mysql.service and mysqld.service are aliases of mariadb.service,
# so every block is the same unit.
DEBIAN_MARIADB = "\n".join([
    block("mariadb.service", "loaded", Names="mariadb.service mysql.service mysqld.service"),
    block("mariadb.service", "loaded", Names="mariadb.service mysql.service mysqld.service"),
    block("mariadb.service", "loaded", Names="mariadb.service mysql.service mysqld.service"),
])


def test_parse_show_splits_units_on_empty_lines():
    blocks = parse_show(ORACLE_DEB)
    assert [b["Id"] for b in blocks] == CANDIDATES
    assert [b["LoadState"] for b in blocks] == ["not-found", "loaded", "not-found"]


def test_parse_show_keeps_equals_in_values():
    (only,) = parse_show("ExecStart={ path=/usr/sbin/mariadbd ; argv[]=/usr/sbin/mariadbd $X }\n")
    assert only["ExecStart"].startswith("{ path=/usr/sbin/mariadbd")


def test_parse_show_crlf_and_trailing_blank_lines():
    blocks = parse_show("Id=a.service\r\nLoadState=loaded\r\n\r\nId=b.service\r\nLoadState=x\r\n\r\n\r\n")
    assert [b["Id"] for b in blocks] == ["a.service", "b.service"]


@pytest.mark.parametrize("text, expected", [
    # The Oracle MySQL host of issue 13 item 4: the old Jinja picked mariadb.service.
    (ORACLE_DEB, "mysql.service"),
    (ORACLE_RPM, "mysqld.service"),
    (DEBIAN_MARIADB, "mariadb.service"),
])
def test_pick_unit_takes_the_first_loaded_candidate(text, expected):
    assert pick_unit(parse_show(text), CANDIDATES)["Id"] == expected


def test_pick_unit_skips_masked_and_not_found():
    text = "\n".join([block("mariadb.service", "masked"), block("mysql.service", "not-found"),
                      block("mysqld.service", "loaded")])
    assert pick_unit(parse_show(text), CANDIDATES)["Id"] == "mysqld.service"


def test_pick_unit_none_loaded():
    text = "\n".join(block(unit, "not-found") for unit in CANDIDATES)
    assert pick_unit(parse_show(text), CANDIDATES) is None


def fake_systemctl(output, rc=0, err=""):
    calls = []

    def run(argv):
        calls.append(argv)
        return rc, output, err
    run.calls = calls
    return run


def test_read_unit_oracle_host_with_process(tmp_path):
    proc = tmp_path / "proc"
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "limits").write_text(
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max open files            10000                10000                files     \n")
    (proc / "4242" / "oom_score_adj").write_text("0\n")
    (proc / "1").mkdir()
    (proc / "1" / "limits").write_text("Max open files            10000                10000                files\n")
    run = fake_systemctl(ORACLE_DEB)
    unit = read_unit(run, candidates=CANDIDATES, proc=str(proc))
    assert unit["name"] == "mysql.service"
    assert unit["main_pid"] == 4242
    assert unit["process"] == {"pid": 4242, "nofile": {"soft": 10000, "hard": 10000}, "oom_score_adj": 0}
    assert unit["manager"] == {"nofile": {"soft": 10000, "hard": 10000}}
    # One systemctl call for all candidates, in order, after "--".
    assert len(run.calls) == 1 and run.calls[0][-4:] == ["--"] + CANDIDATES


def test_read_unit_none_found_names_every_state():
    text = "\n".join([block("mariadb.service", "not-found"), block("mysql.service", "masked"),
                      block("mysqld.service", "not-found")])
    with pytest.raises(SystemdError) as err:
        read_unit(fake_systemctl(text), candidates=CANDIDATES, proc="/nonexistent")
    assert "mariadb.service: not-found, mysql.service: masked, mysqld.service: not-found" in str(err.value)


def test_read_unit_systemctl_fails():
    with pytest.raises(SystemdError, match="rc 1.*Failed to connect to bus"):
        read_unit(fake_systemctl("", rc=1, err="Failed to connect to bus"), proc="/nonexistent")


def test_read_unit_stopped_server_has_no_process():
    text = block("mariadb.service", "loaded", ActiveState="inactive", MainPID="0")
    unit = read_unit(fake_systemctl(text), name="mariadb.service", proc="/nonexistent")
    assert unit["process"] is None and unit["manager"] is None


@pytest.mark.parametrize("raw, expected", [
    ("32768", 32768), ("infinity", INFINITY), ("unlimited", INFINITY),
    ("18446744073709551615", INFINITY), ("", None), (None, None), ("12x", None),
])
def test_parse_limit(raw, expected):
    assert parse_limit(raw) == expected


def test_parse_proc_limits():
    text = ("Limit                     Soft Limit           Hard Limit           Units     \n"
            "Max cpu time              unlimited            unlimited            seconds   \n"
            "Max open files            1024                 524288               files     \n")
    assert parse_proc_limits(text) == {"soft": 1024, "hard": 524288}
    assert parse_proc_limits("") == {"soft": None, "hard": None}


# --- LimitNOFILE: never lower (issue 12 item 12) -------------------------------------

def test_plan_below_packaged_unit_keeps_the_unit_value():
    # bookworm's mariadb.service: LimitNOFILE=32768; the plan computed 10240 in a
    # container whose processes are held at 10000. The first converge wrote 10240.
    result = limit_nofile(10240, unit={"soft": 32768, "hard": 32768},
                          running={"soft": 10000, "hard": 10000})
    assert result["value"] == "32768"
    assert result["kept_from"] == "unit"


def test_plan_above_everything_is_written():
    result = limit_nofile(65536, unit={"soft": 32768, "hard": 32768},
                          running={"soft": 32768, "hard": 32768})
    assert result["value"] == "65536" and result["kept_from"] is None


def test_running_server_above_unit_is_kept():
    # mysqld raised its own limit (or the unit was changed without a restart).
    result = limit_nofile(10240, unit={"soft": 10240, "hard": 10240},
                          running={"soft": 20000, "hard": 20000})
    assert result["value"] == "20000" and result["kept_from"] == "running server"


def test_systemd_default_hard_limit_is_not_lowered():
    # A unit without LimitNOFILE gets systemd's default 1024:524288.
    result = limit_nofile(10240, unit={"soft": 1024, "hard": 524288})
    assert result["value"] == "10240:524288"
    assert (result["soft"], result["hard"]) == (10240, 524288)


def test_infinity_is_kept():
    result = limit_nofile(10240, unit={"soft": INFINITY, "hard": INFINITY})
    assert result["value"] == "infinity"


def test_unknown_unit_and_process_write_the_plan():
    assert limit_nofile(10240)["value"] == "10240"


def test_never_lower_off_writes_the_plan():
    result = limit_nofile(10240, unit={"soft": 32768, "hard": 32768}, never_lower=False)
    assert result["value"] == "10240" and result["kept_from"] is None


# --- restart only when the server's limit changes -----------------------------------

def lim(soft, hard=None):
    return {"soft": soft, "hard": soft if hard is None else hard}


def test_no_restart_when_the_unit_value_is_unchanged():
    needed, reason = nofile_restart(lim(32768), lim(32768), lim(10000), lim(10000))
    assert not needed and "did not change" in reason


def test_no_restart_when_the_manager_clamps():
    # The issue's container: the unit asked 32768 and the server got 10000, PID 1's own
    # hard limit. Writing 65536 would restart for nothing.
    needed, reason = nofile_restart(lim(32768), lim(65536), lim(10000), lim(10000))
    assert not needed and "grants at most 10000" in reason


def test_no_restart_when_the_server_already_has_enough():
    needed, _ = nofile_restart(lim(8192), lim(10240), lim(16384), lim(524288))
    assert not needed


def test_restart_when_the_limit_rises():
    needed, reason = nofile_restart(lim(32768), lim(65536), lim(32768), lim(1024, 524288))
    assert needed and "from 32768 to 65536" in reason


def test_restart_when_the_server_limit_is_unknown():
    assert nofile_restart(lim(32768), lim(65536), None, None)[0]


def test_no_clamp_inferred_when_the_server_runs_what_its_unit_said():
    # Running at the unit's value, which happens to equal PID 1's: not clamped.
    needed, _ = nofile_restart(lim(10000), lim(20000), lim(10000), lim(10000))
    assert needed


def test_module_constants():
    assert systemd.DEFAULT_CANDIDATES == ("mariadb.service", "mysql.service", "mysqld.service")


# --- is the unit the server mysql_facts logged in to? ---------------------------------

@pytest.mark.parametrize("main_pid, server_pid, host, socket, expected", [
    (4242, 4242, "db.example.org", None, True),      # PID decides, whatever the host
    (4242, 999, "localhost", None, False),           # another server on this host
    (0, 999, "localhost", None, False),              # the unit is stopped
    (4242, None, "localhost", None, True),           # pid_file unreadable, local login
    (4242, None, "db.example.org", "/run/mysqld/mysqld.sock", True),
    (4242, None, "db.example.org", None, False),     # a remote server
])
def test_serves_server(main_pid, server_pid, host, socket, expected):
    unit = {"name": "mariadb.service", "main_pid": main_pid}
    assert systemd.serves_server(unit, server_pid, host, socket)[0] is expected
