"""The systemd stage in one module call (issue 15): rendering, verification before
install, atomic writes, one daemon-reload, what the running server still lacks.

The host is faked: a command runner that answers like systemctl and systemd-analyze,
and a temporary directory for /etc/systemd/system. Where systemd-analyze exists on
the test machine, the verification is also run for real.
"""
import os
import shutil
import stat
import subprocess

import pytest

from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.unit_dropin import (
    UnitApply,
    UnitError,
    checked_dropin_name,
    render_app_dropin,
    render_server_dropin,
    render_swap_unit,
    swap_steps,
    swaps_in_use,
    settings_to_write,
    verify_dropin,
)

# What roles/mysql_systemd/templates/mysqld-dropin.conf.j2 rendered with
# ansible.builtin.template (ansible-core 2.19, default ansible_managed): the module
# must write the same bytes, so that hosts that ran the template see no change.
TEMPLATE_SERVER = (
    "# Ansible managed (role mysql_systemd).\n"
    "# Restart policy, limits and OOM protection for mariadb.service.\n"
    "# Do not edit: put local changes in a drop-in that sorts after this one\n"
    "# (`systemctl edit mariadb.service` writes override.conf).\n"
    "\n"
    "[Unit]\n"
    "# At most 4 starts in 300 s, then stay failed instead of looping.\n"
    "StartLimitIntervalSec=300\n"
    "StartLimitBurst=4\n"
    "\n"
    "[Service]\n"
    "Restart=on-failure\n"
    "# Never slower than the packaged unit's RestartSec; the start limit above still\n"
    "# ends a loop of failing starts (module_utils/steadydb/systemd.py restart_policy).\n"
    "RestartSec=100ms\n"
    "# Config errors (mariadbd exit codes) must not loop. The empty line resets the\n"
    "# list so that it replaces, not extends, any value set before.\n"
    "RestartPreventExitStatus=\n"
    "RestartPreventExitStatus=1 2 3\n"
    "LimitNOFILE=10240:524288\n"
    "TimeoutStopSec=900\n"
    "OOMScoreAdjust=-600\n"
)
TEMPLATE_APP = (
    "# Ansible managed (role mysql_systemd).\n"
    "# Under memory pressure the kernel should kill this unit's processes before the\n"
    "# database server (which runs with OOMScoreAdjust=-600).\n"
    "[Service]\n"
    "OOMScoreAdjust=300\n"
)
# roles/mysql_systemd/templates/swapfile.swap.j2 as ansible.builtin.template wrote it.
TEMPLATE_SWAP = (
    "# Ansible managed (role mysql_systemd).\n"
    "# Swap file for a small host: a short memory peak is paged out instead of\n"
    "# waking the OOM killer.\n"
    "[Unit]\n"
    "Description=steadydb swap file /swapfile\n"
    "\n"
    "[Swap]\n"
    "What=/swapfile\n"
    "\n"
    "[Install]\n"
    "WantedBy=swap.target\n"
)
CFG = {"StartLimitIntervalSec": 300, "StartLimitBurst": 4, "Restart": "on-failure",
       "RestartSec": "100ms", "RestartPreventExitStatus": "1 2 3",
       "LimitNOFILE": "10240:524288", "TimeoutStopSec": 900, "OOMScoreAdjust": -600,
       "app_OOMScoreAdjust": 300}

PLAN = {"Restart": "on-failure", "RestartSec": 2, "StartLimitIntervalSec": 300,
        "StartLimitBurst": 4, "LimitNOFILE": 8192, "TimeoutStopSec": 900,
        "OOMScoreAdjust": -600, "app_OOMScoreAdjust": 300}

# Debian's packaged MariaDB unit, the parts the rules read.
PACKAGED_UNIT = ("[Unit]\nDescription=MariaDB\n\n[Service]\nType=notify\n"
                 "ExecStart=/usr/sbin/mariadbd\nRestart=on-abnormal\nRestartSec=5s\n"
                 "LimitNOFILE=32768\n")


def test_server_dropin_is_the_templates_text_byte_for_byte():
    assert render_server_dropin("mariadb.service", CFG) == TEMPLATE_SERVER


def test_app_dropin_is_the_templates_text_byte_for_byte():
    assert render_app_dropin(CFG) == TEMPLATE_APP


def test_swap_unit_is_the_templates_text_byte_for_byte():
    assert render_swap_unit("/swapfile") == TEMPLATE_SWAP


def test_swaps_in_use_skips_the_header():
    text = ("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            "/swapfile                               file\t\t1048572\t\t0\t\t-2\n")
    assert swaps_in_use(text) == ["/swapfile"]
    assert swaps_in_use("") == []


def test_settings_to_write_never_lower_and_restart_policy():
    limit = {"value": "32768"}
    policy = {"RestartSec": "2", "StartLimitBurst": 4, "StartLimitIntervalSec": 310}
    cfg = settings_to_write(PLAN, limit, policy)
    assert (cfg["LimitNOFILE"], cfg["RestartSec"], cfg["StartLimitIntervalSec"]) == ("32768", "2", 310)
    plain = settings_to_write(PLAN, limit, policy, restart_from_packaged=False)
    assert (plain["RestartSec"], plain["StartLimitIntervalSec"]) == (2, 300)


@pytest.mark.parametrize("name", ["", "../x.conf", "a/b.conf", "50-steadydb", ".hidden.conf"])
def test_drop_in_names_that_systemd_would_not_read_are_refused(name):
    with pytest.raises(UnitError):
        checked_dropin_name(name)


class FakeHost(object):
    """systemctl and systemd-analyze as seen by the module; records every command."""

    def __init__(self, tmp_path, analyze_says="", analyze_rc=0, active=("sdb-app.service",),
                 swap_unit_file_state="disabled"):
        self.calls = []
        self.swap_unit_file_state = swap_unit_file_state
        self.reload_sets = {}  # further unit properties daemon-reload brings
        self.analyze_says = analyze_says
        self.analyze_rc = analyze_rc
        self.active = active
        self.fragment = str(tmp_path / "mariadb.service")
        with open(self.fragment, "w") as handle:
            handle.write(PACKAGED_UNIT)
        self.props = {"Id": "mariadb.service", "LoadState": "loaded", "ActiveState": "active",
                      "MainPID": "0", "FragmentPath": self.fragment, "LimitNOFILE": "32768",
                      "LimitNOFILESoft": "32768", "OOMScoreAdjust": "0",
                      "StartLimitIntervalUSec": "10s", "RestartUSec": "5s"}

    def names(self):
        return [call[0][:2] for call in self.calls]

    def __call__(self, argv, environ_update=None):
        self.calls.append((argv, environ_update))
        if argv[:2] == ["systemd-analyze", "verify"]:
            unit_path = argv[-1]
            assert environ_update["SYSTEMD_UNIT_PATH"] == os.path.dirname(unit_path) + ":"
            return self.analyze_rc, "", self.analyze_says.replace("CANDIDATE", unit_path + ".d")
        if argv[:2] == ["systemctl", "daemon-reload"]:
            self.props = dict(self.props, OOMScoreAdjust="-600", **self.reload_sets)
            return 0, "", ""
        if argv[0] == "systemd-escape":
            return 0, argv[-1].strip("/").replace("/", "-") + ".swap\n", ""
        if argv[:2] == ["systemctl", "show"]:
            if argv[-1].endswith(".swap"):
                return 0, "UnitFileState=%s\nActiveState=inactive\n" % self.swap_unit_file_state, ""
            if any(arg.startswith("--property=DefaultRestartUSec") for arg in argv):
                return 0, "DefaultRestartUSec=100ms\nDefaultStartLimitBurst=5\n", ""
            if argv[-1].endswith(".service") and "--property=Id" not in argv:
                units = argv[argv.index("--") + 1:]
                return 0, "\n".join("ActiveState=%s\n" % ("active" if unit in self.active
                                                          else "inactive")
                                    for unit in units), ""
            return 0, "".join("%s=%s\n" % item for item in sorted(self.props.items())), ""
        raise AssertionError("unexpected command %r" % (argv,))


def params(**extra):
    base = {"name": "", "candidates": ["mariadb.service"], "settings": dict(PLAN),
            "fallbacks": {}, "never_lower": True, "restart_from_packaged": True,
            "dropin_name": "50-steadydb.conf", "verify": True, "app_oom": False,
            "app_units": [], "app_dropin_name": "50-steadydb-oom.conf",
            "managed": "Ansible managed", "swap_file": None, "swap_size_mb": 1024,
            "swap_activate": True, "restart_on_change": True, "oom_apply_live": True}
    base.update(extra)
    return base


def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


@pytest.fixture
def where(tmp_path):
    root = tmp_path / "root"
    (root / "run" / "systemd" / "system").mkdir(parents=True)
    unit_dir = tmp_path / "etc-systemd-system"
    unit_dir.mkdir()
    return {"root": str(root), "unit_dir": str(unit_dir), "proc": str(tmp_path / "proc")}


def stage(host, where, check_mode=False, **extra):
    return UnitApply(params(**extra), host, write, check_mode=check_mode, **where)


DROPIN = "mariadb.service.d/50-steadydb.conf"


# The defect this stage must never have: a drop-in systemd would half-ignore installed.
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_drop_in_that_systemd_analyze_rejects_is_not_installed(tmp_path, where, check_mode):
    host = FakeHost(tmp_path, analyze_says="CANDIDATE/50-steadydb.conf:19: Unknown key "
                                           "'LimitNOFILE' in section [Unit], ignoring.")
    with pytest.raises(UnitError, match="systemd reported a problem in the drop-in"):
        stage(host, where, check_mode=check_mode).run()
    assert not os.path.exists(os.path.join(where["unit_dir"], DROPIN))
    assert ["systemctl", "daemon-reload"] not in host.names()


def test_a_failing_verify_keeps_the_installed_drop_in(tmp_path, where):
    os.makedirs(os.path.join(where["unit_dir"], "mariadb.service.d"))
    path = os.path.join(where["unit_dir"], DROPIN)
    write(path, "old\n")
    host = FakeHost(tmp_path, analyze_says="mariadb.service: Failed to load", analyze_rc=1)
    with pytest.raises(UnitError, match="status 1"):
        stage(host, where).run()
    with open(path) as handle:
        assert handle.read() == "old\n"


def test_warnings_about_other_files_do_not_refuse_the_drop_in(tmp_path, where):
    host = FakeHost(tmp_path, analyze_says="/lib/systemd/system/other.service:3: Unknown key")
    result = stage(host, where).run()
    assert result["dropin_changed"]


def test_first_run_writes_verifies_and_reloads_once_then_a_rerun_changes_nothing(tmp_path, where):
    host = FakeHost(tmp_path)
    first = stage(host, where)
    result = first.run()
    path = os.path.join(where["unit_dir"], DROPIN)
    assert result["changed"] and result["dropin_changed"] and result["reloaded"]
    assert result["dropin"] == path
    with open(path) as handle:
        text = handle.read()
    assert text == render_server_dropin("mariadb.service", result["settings"])
    # Never lowered: the packaged 32768 over the plan's 8192; RestartSec 2 (< packaged 5 s).
    assert "LimitNOFILE=32768\n" in text and "RestartSec=2\n" in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o755
    assert host.names().count(["systemd-analyze", "verify"]) == 1
    assert host.names().count(["systemctl", "daemon-reload"]) == 1
    assert first.diff[0]["before"] == "" and first.diff[0]["after"] == text
    # After the reload the unit's OOM score changed; the server is not running (MainPID 0).
    assert result["apply"]["oom_changed"] and not result["apply"]["limit_nofile_changed"]

    host.calls = []
    again = stage(host, where)
    result = again.run()
    assert not result["changed"] and not result["dropin_changed"] and not result["reloaded"]
    assert again.diff == []
    # Only reads: the unit and the manager's defaults, nothing verified or reloaded.
    assert host.names() == [["systemctl", "show"], ["systemctl", "show"]]
    assert result["apply"] == {"active": True, "main_pid": 0, "limit_nofile_changed": False,
                               "limit_nofile_restart": False, "limit_nofile_reason": "",
                               "oom_changed": False, "restart_due": False, "oom_live": None,
                               "pending": []}


def test_check_mode_writes_nothing_and_predicts(tmp_path, where):
    host = FakeHost(tmp_path)
    run = stage(host, where, check_mode=True)
    result = run.run()
    assert result["changed"] and result["dropin_changed"]
    assert not os.path.exists(os.path.join(where["unit_dir"], "mariadb.service.d"))
    assert ["systemctl", "daemon-reload"] not in host.names()
    assert ["systemd-analyze", "verify"] in host.names()
    assert run.diff and run.diff[0]["before_header"].endswith("(absent)")
    # Predicted from the drop-in's values: -600 instead of the unit's 0.
    assert result["apply"]["oom_changed"]


def running_server(host, where, pid=4242, oom_score_adj=0, nofile=32768, cap_sys_resource=True):
    """The server runs as ``pid`` (its /proc entry), and /proc/self says whether the module
    may lower an OOM score (CAP_SYS_RESOURCE is bit 24 of CapEff)."""
    proc = where["proc"]
    os.makedirs(os.path.join(proc, str(pid)), exist_ok=True)
    write(os.path.join(proc, str(pid), "limits"),
          "Max open files            %d                %d                files\n" % (nofile, nofile))
    write(os.path.join(proc, str(pid), "oom_score_adj"), "%d\n" % oom_score_adj)
    os.makedirs(os.path.join(proc, "self"), exist_ok=True)
    write(os.path.join(proc, "self", "status"),
          "Name:\tpython3\nCapEff:\t%016x\n" % ((1 << 24) if cap_sys_resource else 0))
    host.props = dict(host.props, MainPID=str(pid))
    return os.path.join(proc, str(pid), "oom_score_adj")


# The OOM score reaches the running server in the same call (it was a choom task, one
# more round trip): written when no restart follows, and what still waits is returned.
def test_a_new_oom_score_is_given_to_the_running_server(tmp_path, where):
    host = FakeHost(tmp_path)
    score = running_server(host, where)
    result = stage(host, where).run()
    apply = result["apply"]
    assert apply["oom_changed"] and not apply["restart_due"]
    assert apply["oom_live"] == {"applied": True, "error": ""}
    assert apply["pending"] == []
    with open(score) as handle:
        assert handle.read().strip() == str(result["settings"]["OOMScoreAdjust"])


def test_a_refused_oom_score_waits_for_the_next_start_and_says_why(tmp_path, where):
    host = FakeHost(tmp_path)
    score = running_server(host, where)
    os.remove(score)
    os.mkdir(score)  # the write fails as the kernel's EACCES would
    apply = stage(host, where).run()["apply"]
    assert not apply["oom_live"]["applied"] and score in apply["oom_live"]["error"]
    assert apply["pending"] == ["OOMScoreAdjust"]


@pytest.mark.parametrize("cap, predicted", [(True, True), (False, False)])
def test_check_mode_predicts_whether_the_kernel_takes_the_oom_score(tmp_path, where, cap, predicted):
    host = FakeHost(tmp_path)
    score = running_server(host, where, cap_sys_resource=cap)
    apply = stage(host, where, check_mode=True).run()["apply"]
    assert apply["oom_live"]["applied"] is predicted
    assert apply["pending"] == ([] if predicted else ["OOMScoreAdjust"])
    if not predicted:
        assert "CAP_SYS_RESOURCE" in apply["oom_live"]["error"]
    with open(score) as handle:
        assert handle.read() == "0\n"


@pytest.mark.parametrize("restart_on_change, oom_apply_live, pending", [
    # The restart gives the server both; nothing is written live.
    (True, True, []),
    (False, True, ["LimitNOFILE"]),
    (False, False, ["LimitNOFILE", "OOMScoreAdjust"]),
])
def test_a_restart_for_limit_nofile_also_brings_the_oom_score(tmp_path, where, restart_on_change,
                                                              oom_apply_live, pending):
    host = FakeHost(tmp_path)
    host.props = dict(host.props, LimitNOFILE="1024", LimitNOFILESoft="1024")
    host.reload_sets = {"LimitNOFILE": "8192", "LimitNOFILESoft": "8192"}
    score = running_server(host, where, nofile=1024)
    apply = stage(host, where, restart_on_change=restart_on_change,
                  oom_apply_live=oom_apply_live).run()["apply"]
    assert apply["limit_nofile_restart"] and apply["restart_due"] is restart_on_change
    # Written live only when no restart follows and the role asks for it.
    assert (apply["oom_live"] is not None) == (not restart_on_change and oom_apply_live)
    assert apply["pending"] == pending
    with open(score) as handle:
        assert (handle.read() == "0\n") == (restart_on_change or not oom_apply_live)


def test_a_wrong_mode_is_fixed_and_reported(tmp_path, where):
    host = FakeHost(tmp_path)
    stage(host, where).run()
    path = os.path.join(where["unit_dir"], DROPIN)
    os.chmod(path, 0o600)
    result = stage(host, where).run()
    assert result["changed"] and not result["dropin_changed"] and not result["reloaded"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_app_drop_ins_verified_once_and_only_running_plain_units_restart(tmp_path, where):
    host = FakeHost(tmp_path, active=("sdb-app.service",))
    units = ["sdb-app.service", "sdb-idle.service", "sdb-worker@.service"]
    result = stage(host, where, app_oom=True, app_units=units).run()
    assert result["app_dropins_changed"] == units
    assert result["app_restart"] == ["sdb-app.service"]
    for unit in units:
        with open(os.path.join(where["unit_dir"], unit + ".d", "50-steadydb-oom.conf")) as handle:
            assert handle.read() == render_app_dropin(result["settings"])
    assert host.names().count(["systemd-analyze", "verify"]) == 2
    assert host.names().count(["systemctl", "daemon-reload"]) == 1
    again = stage(host, where, app_oom=True, app_units=units).run()
    assert again["app_dropins_changed"] == [] and again["app_restart"] == []
    assert not again["changed"]


def test_swap_unit_written_with_the_drop_ins_and_the_files_state_read(tmp_path, where):
    swapfile = str(tmp_path / "sdb.swap")
    host = FakeHost(tmp_path)
    result = stage(host, where, swap_file=swapfile, swap_size_mb=16).run()
    swap = result["swap"]
    assert swap["unit_changed"] and swap["create"] and not swap["exists"]
    assert not swap["active"] and not swap["enabled"] and not swap["started"]
    with open(swap["unit_path"]) as handle:
        assert handle.read() == render_swap_unit(swapfile)
    assert host.names().count(["systemctl", "daemon-reload"]) == 1

    with open(swapfile, "wb") as handle:
        handle.truncate(16 * 1048576)
    os.chmod(swapfile, 0o600)
    os.makedirs(os.path.join(where["proc"]))
    write(os.path.join(where["proc"], "swaps"), "Filename Type Size Used Priority\n"
          "%s file 16380 0 -2\n" % swapfile)
    host.swap_unit_file_state = "enabled"
    host.calls = []
    again = stage(host, where, swap_file=swapfile, swap_size_mb=16).run()
    swap = again["swap"]
    assert not again["changed"] and not again["reloaded"]
    assert (swap["create"], swap["private"], swap["active"], swap["enabled"]) == (False, True, True, True)
    # The unit is enabled but (in this fake) inactive: only enabling/starting is due.
    assert swap["steps"] == swap_steps(swap, True) and swap["steps"]["needed"]
    # Another size: recreate.
    assert stage(host, where, swap_file=swapfile, swap_size_mb=32).run()["swap"]["create"]


SWAP_DONE = {"unit_changed": False, "exists": True, "create": False, "private": True,
             "active": True, "enabled": True, "started": True}


@pytest.mark.parametrize("change, activate, check_mode, due", [
    # A swap file as the role leaves it: nothing to do, so the role skips its swap tasks.
    ({}, True, False, []),
    # The first run: no file, no unit known yet.
    ({"exists": False, "create": True, "private": False, "active": False, "enabled": False,
      "started": False, "unit_changed": True}, True, False, ["create", "enable"]),
    # ... in check mode, enabling a unit systemd does not know yet is not predicted.
    ({"exists": False, "create": True, "private": False, "active": False, "enabled": False,
      "started": False, "unit_changed": True}, True, True, ["create"]),
    # Another size while in use: off, recreate, on again.
    ({"create": True}, True, False, ["swapoff", "create", "enable"]),
    ({"private": False}, True, False, ["private"]),
    ({"started": False}, True, False, ["enable"]),
    # In a container swapon is refused: enabled is enough.
    ({"started": False, "active": False}, False, False, []),
    ({"enabled": False, "started": False, "active": False}, False, False, ["enable"]),
])
def test_swap_steps_say_which_tasks_have_work(change, activate, check_mode, due):
    steps = swap_steps(dict(SWAP_DONE, **change), activate, check_mode)
    assert sorted(k for k, v in steps.items() if v and k != "needed") == sorted(due)
    assert steps["needed"] == bool(due)


def test_bad_names_and_settings_fail_before_the_host_is_read(tmp_path, where):
    host = FakeHost(tmp_path)
    with pytest.raises(UnitError, match="Not a service unit name"):
        stage(host, where, app_units=["gunicorn"]).run()
    with pytest.raises(UnitError, match="steadydb_plan.systemd: OOMScoreAdjust"):
        stage(host, where, settings=dict(PLAN, OOMScoreAdjust=-1000)).run()
    assert host.calls == []


def test_no_systemd_fails(tmp_path, where):
    os.rmdir(os.path.join(where["root"], "run", "systemd", "system"))
    with pytest.raises(UnitError, match="not the service manager"):
        stage(FakeHost(tmp_path), where).run()


def test_predicted_unit_takes_the_drop_ins_values():
    unit = {"nofile": {"soft": 1024, "hard": 524288}, "oom_score_adj": 0}
    now = systemd.predicted(unit, {"LimitNOFILE": "32768", "OOMScoreAdjust": -600})
    assert now["nofile"] == {"soft": 32768, "hard": 32768} and now["oom_score_adj"] == -600


ANALYZE = shutil.which("systemd-analyze")


def real_run(argv, environ_update=None):
    proc = subprocess.run(argv, capture_output=True, text=True,
                          env=dict(os.environ, **(environ_update or {})))
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed here")
def test_real_systemd_analyze_refuses_a_value_out_of_range():
    import sys
    unit = "[Service]\nExecStart=%s -c pass\n" % sys.executable
    verify_dropin(real_run, "sdb-stub.service", unit, "50-x.conf", "[Service]\nOOMScoreAdjust=300\n")
    with pytest.raises(UnitError, match="OOM score adjust value out of range"):
        verify_dropin(real_run, "sdb-stub.service", unit, "50-x.conf",
                      "[Service]\nOOMScoreAdjust=5000\n")


# The swap file's path reaches the .swap unit's What= and Description= lines, which
# systemd reads with specifiers (%n, %i, ...) and one setting a line.
@pytest.mark.parametrize("swap_file", [
    "swapfile",                          # relative: systemd refuses What= of that unit
    "/var/swap\nfile",                   # a second line in the unit file
    "/swapfile\n",
    "/var/swap\tfile",
    "/var/../swapfile",                  # /proc/swaps names it otherwise: "in use" never seen
    "//swapfile",
    "/var/./swapfile",
    "/swapfile/",
])
@pytest.mark.parametrize("check_mode", [False, True])
def test_swap_file_that_is_no_plain_absolute_path_is_refused_before_anything(
        tmp_path, where, swap_file, check_mode):
    host = FakeHost(tmp_path)
    with pytest.raises(UnitError, match="swap_file"):
        stage(host, where, check_mode=check_mode, swap_file=swap_file).run()
    assert host.calls == []
    assert os.listdir(where["unit_dir"]) == []


@pytest.mark.parametrize("size", [0, 15, -1024])
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_swap_file_below_16_mib_is_refused_before_anything(tmp_path, where, size, check_mode):
    host = FakeHost(tmp_path)
    with pytest.raises(UnitError, match="swap_size_mb"):
        stage(host, where, check_mode=check_mode, swap_file="/swapfile", swap_size_mb=size).run()
    assert host.calls == []
    assert os.listdir(where["unit_dir"]) == []


def test_percent_in_the_swap_file_is_written_as_systemd_reads_it():
    # systemd resolves specifiers in What= and Description=: '%n' became the unit's
    # name (the unit then did not load: "Value of What= and unit name do not match").
    text = render_swap_unit("/var/swap%nfile")
    assert "What=/var/swap%%nfile\n" in text and "swap file /var/swap%%nfile\n" in text
    assert render_swap_unit("/swapfile") == TEMPLATE_SWAP


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed here")
def test_real_systemd_loads_the_swap_unit_of_a_path_with_a_percent(tmp_path):
    path = "/var/swap%nfile"
    name = subprocess.run(["systemd-escape", "--path", "--suffix=swap", path],
                          capture_output=True, text=True, check=True).stdout.strip()
    unit = tmp_path / name
    unit.write_text(render_swap_unit(path))
    rc, out, err = real_run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            {"SYSTEMD_UNIT_PATH": str(tmp_path) + ":"})
    assert rc == 0 and not (out + err).strip(), out + err


def test_swaps_in_use_reads_the_kernels_escapes():
    # The kernel writes space, tab, newline and backslash as octal escapes.
    text = ("Filename Type Size Used Priority\n"
            "/var/my\\040swap file 16380 0 -2\n/var/b\\134s file 16380 0 -3\n")
    assert swaps_in_use(text) == ["/var/my swap", "/var/b\\s"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_managed_header_with_a_line_break_is_refused_before_anything(tmp_path, where, check_mode):
    # The header is a comment line of every file written here: a line break in it was a
    # setting of the drop-in and of the swap unit (which is not verified).
    host = FakeHost(tmp_path)
    with pytest.raises(UnitError, match="managed"):
        stage(host, where, check_mode=check_mode, swap_file="/swapfile",
              managed="Ansible managed\n[Swap]\nOptions=discard").run()
    assert host.calls == [] and os.listdir(where["unit_dir"]) == []
