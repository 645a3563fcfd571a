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


# --- RestartSec and the start limit (issue 14) ---------------------------------------

from ansible.module_utils.steadydb.systemd import (  # noqa: E402
    format_restart_sec,
    packaged_settings,
    parse_timespan,
    parse_unit_settings,
    restart_policy,
    start_seconds,
)

PLAN = {"RestartSec": 2, "StartLimitBurst": 5, "StartLimitIntervalSec": 60}

# Debian unstable's Oracle MySQL 9.7 mysql.service (trimmed): no RestartSec, no start
# limit, so systemd's 100 ms and 5 starts in 10 s apply.
ORACLE_MYSQL_UNIT = """[Unit]
Description=MySQL Community Server
After=network.target

[Service]
Type=notify
ExecStartPre=/usr/share/mysql/mysql-systemd-start pre
ExecStart=/usr/sbin/mysqld
TimeoutSec=infinity
Restart=on-failure
LimitNOFILE=10000
"""

DEBIAN_MARIADB_UNIT = """[Service]
ExecStartPre=/bin/sh -c "[ ! -e /usr/bin/galera_recovery ] && VAR= || \\
 VAR=`/usr/bin/galera_recovery`; [ $? -eq 0 ] \\
 && echo _WSREP_START_POSITION=$VAR > /run/mysqld/wsrep-start-position || exit 1"
Restart=on-abnormal
RestartSec=5s
"""

BUILTIN = {"restart_usec": 100000, "start_limit_burst": 5, "start_limit_interval_usec": 10000000}


@pytest.mark.parametrize("text, default_unit, expected", [
    ("100ms", 1000000, 100000), ("5s", 1000000, 5000000), ("2", 1000000, 2000000),
    ("1min 30s", 1000000, 90000000), ("1min30s", 1000000, 90000000), ("15min", 1000000, 900000000),
    ("500msec", 1000000, 500000), ("1h", 1000000, 3600000000), ("0.5", 1000000, 500000),
    ("infinity", 1000000, INFINITY), ("100000", 1, 100000), ("", 1000000, None),
    ("5 parsecs", 1000000, None), ("abc", 1000000, None), (None, 1000000, None),
])
def test_parse_timespan(text, default_unit, expected):
    assert parse_timespan(text, default_unit=default_unit) == expected


@pytest.mark.parametrize("usec, text", [(2000000, "2"), (100000, "100ms"), (1500000, "1500ms"),
                                        (1, "1ms")])
def test_format_restart_sec(usec, text):
    assert format_restart_sec(usec) == text
    assert parse_timespan(text) >= usec


def test_unit_settings_later_files_win_and_empty_resets():
    found = parse_unit_settings([DEBIAN_MARIADB_UNIT,
                                 "[Unit]\nStartLimitIntervalSec=30\nStartLimitBurst=3\n",
                                 "[Service]\nRestartSec=\n# RestartSec=9\n"])
    assert found == {"restart_usec": None, "start_limit_burst": 3,
                     "start_limit_interval_usec": 30000000}


def test_unit_settings_continuation_lines_do_not_leak_keys():
    # The continued ExecStartPre of Debian's unit must not be read as settings.
    found = parse_unit_settings([DEBIAN_MARIADB_UNIT])
    assert found["restart_usec"] == 5000000


def test_unit_settings_old_spelling_in_service_section():
    found = parse_unit_settings(["[Service]\nStartLimitInterval=2min\nStartLimitBurst=7\n"])
    assert found["start_limit_interval_usec"] == 120000000 and found["start_limit_burst"] == 7


def test_packaged_settings_leave_out_our_own_dropin():
    files = {
        "/usr/lib/systemd/system/mysql.service": ORACLE_MYSQL_UNIT,
        "/etc/systemd/system/mysql.service.d/50-steadydb.conf":
            "[Unit]\nStartLimitIntervalSec=60\n[Service]\nRestartSec=2\n",
        "/etc/systemd/system/mysql.service.d/override.conf": "[Unit]\nStartLimitBurst=3\n",
    }
    block_ = {"FragmentPath": "/usr/lib/systemd/system/mysql.service",
              "DropInPaths": "/etc/systemd/system/mysql.service.d/50-steadydb.conf "
                             "/etc/systemd/system/mysql.service.d/override.conf"}
    found = packaged_settings(block_, "50-steadydb.conf", BUILTIN, read=files.__getitem__)
    assert found["restart_usec"] == 100000          # systemd's default, not our 2 s
    assert found["start_limit_burst"] == 3           # an admin's drop-in counts
    assert found["start_limit_interval_usec"] == 10000000
    assert "/etc/systemd/system/mysql.service.d/50-steadydb.conf" not in found["files"]


def test_packaged_settings_unreadable_file_is_listed():
    def read(path):
        raise IOError(path)
    found = packaged_settings({"FragmentPath": "/x.service"}, "50-steadydb.conf", BUILTIN, read=read)
    assert found["unreadable"] == ["/x.service"] and found["restart_usec"] == 100000


def test_start_seconds():
    assert start_seconds({"InactiveExitTimestampMonotonic": "1000000",
                          "ActiveEnterTimestampMonotonic": "2400000"}) == 1.4
    assert start_seconds({"InactiveExitTimestampMonotonic": "5000000",
                          "ActiveEnterTimestampMonotonic": "0"}) is None
    assert start_seconds({}) is None


def test_oracle_mysql_recovers_no_slower_than_its_packaged_unit():
    # Issue 14: RestartSec=2 made kill -9 recovery 3.3 s instead of the packaged 1.6 s.
    policy = restart_policy(PLAN, BUILTIN, measured_start=1.4)
    assert policy["RestartSec"] == "100ms" and policy["restart_from"] == "packaged unit"
    assert policy["StartLimitBurst"] == 5
    # 6 x (0.1 + 2 x 1.4) = 17.4 s needed; the plan's 60 s is longer.
    assert policy["StartLimitIntervalSec"] == 60


def test_debian_mariadb_keeps_the_plans_faster_restart():
    packaged = dict(BUILTIN, restart_usec=5000000)
    policy = restart_policy(PLAN, packaged, measured_start=1.0)
    assert policy["RestartSec"] == "2" and policy["restart_from"] == "plan"


@pytest.mark.parametrize("start", [0.1, 1.4, 2.5, 8.0, 30.0, 120.0])
@pytest.mark.parametrize("packaged_usec", [0, 100000, 5000000])
def test_a_failing_start_loop_always_trips_the_start_limit(start, packaged_usec):
    # burst failing starts (each up to twice the measured start, plus RestartSec) must
    # fall inside the interval, or systemd restarts a broken server forever.
    policy = restart_policy(PLAN, dict(BUILTIN, restart_usec=packaged_usec), measured_start=start)
    restart = parse_timespan(policy["RestartSec"]) / 1000000.0
    assert restart == min(2, packaged_usec / 1000000.0)
    assert policy["StartLimitBurst"] * (restart + 2 * start) < policy["StartLimitIntervalSec"]
    assert policy["StartLimitIntervalSec"] >= PLAN["StartLimitIntervalSec"]


def test_slow_start_lengthens_the_interval_in_steps():
    policy = restart_policy(PLAN, BUILTIN, measured_start=20.2)
    # 6 x (0.1 + 40.4) = 243 -> 250
    assert policy["StartLimitIntervalSec"] == 250
    # A few tenths of difference in the measured start do not change the drop-in.
    assert restart_policy(PLAN, BUILTIN, measured_start=20.0)["StartLimitIntervalSec"] == 250


def test_unknown_start_is_assumed_and_said():
    policy = restart_policy(PLAN, BUILTIN, measured_start=None)
    assert policy["start_from"] == "assumed" and policy["start_seconds"] == 10.0
    assert policy["StartLimitIntervalSec"] == 130     # 6 x (0.1 + 20) = 120.6
    assert "assumed" in policy["reason"]


def test_interval_is_capped():
    policy = restart_policy(PLAN, BUILTIN, measured_start=20000)
    assert policy["StartLimitIntervalSec"] == 86400 and "capped" in policy["reason"]


def test_interval_from_a_start_slowed_by_load_is_kept_on_a_normal_run():
    # Seen in CI (Oracle MySQL 9.7, Molecule default): the converge measured a start of
    # 13.0 s on a loaded machine and wrote 160 s; the idempotence run measured 1.0 s (60 s
    # would do) and rewrote the drop-in, so the rerun reported changed.
    packaged = dict(BUILTIN, restart_usec=100000)
    first = restart_policy(PLAN, packaged, measured_start=13.0)
    assert first["StartLimitIntervalSec"] == 160
    again = restart_policy(PLAN, packaged, measured_start=1.0, current_interval_usec=160000000)
    assert again["StartLimitIntervalSec"] == 160


def test_unknown_packaged_restart_uses_the_plan():
    policy = restart_policy(PLAN, {}, measured_start=1.0)
    assert policy["RestartSec"] == "2" and policy["restart_from"] == "plan"


def test_interval_the_unit_has_is_kept_while_the_start_time_wobbles():
    # A start measured at 5 s asked for 80 s; the next run measures 3 s (60 s would do):
    # the drop-in keeps 80 s instead of flapping between runs.
    assert restart_policy(PLAN, dict(BUILTIN, restart_usec=5000000),
                          measured_start=5.0)["StartLimitIntervalSec"] == 80
    again = restart_policy(PLAN, dict(BUILTIN, restart_usec=5000000), measured_start=3.0,
                           current_interval_usec=80000000)
    assert again["StartLimitIntervalSec"] == 80
    # Too short for the start now measured, or far above what is needed: recomputed.
    assert restart_policy(PLAN, BUILTIN, measured_start=20.2,
                          current_interval_usec=80000000)["StartLimitIntervalSec"] == 250
    assert restart_policy(PLAN, BUILTIN, measured_start=1.0,
                          current_interval_usec=300000000)["StartLimitIntervalSec"] == 60
    # The packaged 10 s (first run) is below the plan: not kept.
    assert restart_policy(PLAN, BUILTIN, measured_start=1.0,
                          current_interval_usec=10000000)["StartLimitIntervalSec"] == 60
