#!/usr/bin/env python3
"""Resilience and speed benchmark: baseline vs hardened, in one run (`make bench`).

What it does (docs/benchmark.md explains every fault and metric):

1. Starts one container ``steadydb-bench-1`` from ``localhost/steadydb:SUITE`` (systemd
   as PID 1, the server as a service, no network; ``--suite`` bookworm = MariaDB 10.11,
   trixie = MariaDB 11.8, mysql = Oracle MySQL 9.7), creates the accounts of two apps
   (``shop``, ``runaway``), installs the Django 5.2 app of ``bench/app`` under gunicorn
   as a systemd service, and lowers the server's wait_timeout to the value the bench
   demand declares (``bench/demand.yml``).
2. Baseline: packaged server and systemd unit, the app's usual settings. Runs the five
   faults (``bench/app/drive.py`` inside the container), repeated for medians.
3. Runs ``playbooks/harden-db.yml`` against the container (timed: converge and an
   idempotent rerun), switches the app to the files steadydb rendered, runs the same
   faults again.
   Fault 3 records every request (start relative to the kill, latency, error code).
4. Speed: a one-task playbook (ansible.builtin.ping) timed next to the converge, the
   rerun and ``playbooks/audit-db.yml`` on the same host; harden-db.yml on 3 fresh
   containers at once (forks 3), its rerun, and the rerun on one of them alone; the
   ratios of issue 15, each the median of ROUNDS alternating rounds. The shipped Django
   engine's per-query cost against Django's stock MySQL engine (``drive.py engine``; also
   with ``--engine-overhead``). Then ``bench/globals.py`` (10 globals: one task vs ten
   community.mysql tasks) if present.
5. Writes ``bench/out/results.json``, ``bench/out/results-SUITE.json`` and
   ``bench/out/results.md``, prints the table, and redraws
   ``bench/out/kill9-timeline.svg`` from every ``results-*.json`` there
   (``bench/timeline.py``).

Every container it makes is named ``steadydb-bench-*`` and removed at the end, also on
failure or Ctrl-C. All load runs inside the containers against their own loopback.

    .venv/bin/python bench/resilience.py [--suite bookworm|trixie|mysql] [--repeats 3]
        [--skip-speed] [--engine-overhead] [--keep]
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import statistics
import string
import subprocess
import sys
import time

import yaml

import timeline  # bench/timeline.py, next to this file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(BENCH, "out")
IMAGE = "localhost/steadydb:bookworm"
PREFIX = "steadydb-bench-"
LABEL = "steadydb.bench=1"
MAIN = PREFIX + "1"
APP_DIR = "/srv/shop"
PODMAN_RUN = ["--systemd=always", "--network", "none",
              "--ulimit", "nofile=10000:10000", "--ulimit", "nproc=4096:4096"]

# What differs by suite: client binaries, unit, option file directory, socket unit.
# Oracle MySQL has no socket unit (clients get 2003 while it restarts), so there fault
# 3b is the same situation as fault 3 and is not run twice. Its image runs systemd
# >= 258, which needs a private cgroup namespace on a hybrid-cgroup host (see
# images/mysql/init).
_MARIADB = {"flavor": "mariadb", "unit": "mariadb", "client": "mariadb",
            "admin": "mariadb-admin", "confdir": "/etc/mysql/mariadb.conf.d",
            "socket_unit": "mariadb.socket", "server": "mariadbd", "podman": []}
SUITES = {
    "bookworm": dict(_MARIADB, label="Debian 12, MariaDB 10.11"),
    "trixie": dict(_MARIADB, label="Debian 13, MariaDB 11.8"),
    "mysql": {"flavor": "mysql", "unit": "mysql", "client": "mysql", "admin": "mysqladmin",
              "confdir": "/etc/mysql/mysql.conf.d", "socket_unit": None, "server": "mysqld",
              "podman": ["--cgroupns=private", "--cap-add", "SYS_ADMIN"],
              "label": "Debian unstable, Oracle MySQL 9.7"},
}
FLAVOR = SUITES["bookworm"]
# Limits of the whole run (the issue: under 30 minutes on a fresh machine).
RUN_LIMIT_S = 25 * 60

STARTED = time.monotonic()
CREATED = []


def log(msg):
    print("[bench %6.1fs] %s" % (time.monotonic() - STARTED, msg), flush=True)


def run(cmd, timeout=600, check=True, stdin=None, capture=True):
    """Run a host command, bounded in time."""
    proc = subprocess.run(cmd, input=stdin, capture_output=capture, text=True,
                          timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("command failed (rc=%d): %s\n%s%s" % (
            proc.returncode, " ".join(cmd), (proc.stdout or "")[-2000:],
            (proc.stderr or "")[-2000:]))
    return proc


def podman(*args, **kw):
    return run(["podman"] + list(args), **kw)


def cexec(name, *cmd, timeout=300, check=True, stdin=None, env=None):
    args = ["exec"]
    if stdin is not None:
        args.append("-i")
    for key, value in (env or {}).items():
        args += ["-e", "%s=%s" % (key, value)]
    return podman(*(args + [name] + list(cmd)), timeout=timeout, check=check, stdin=stdin)


def cjson(name, *cmd, timeout=300, env=None):
    """Run an in-container driver and parse its last stdout line as JSON."""
    proc = cexec(name, *cmd, timeout=timeout, check=False, env=env)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("%s printed no JSON (rc=%d):\n%s\n%s" % (
            " ".join(cmd), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))


def password():
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


# --- containers --------------------------------------------------------------------------

def remove_containers(names=None):
    names = names if names is not None else list(CREATED)
    for name in names:
        podman("rm", "-f", "-t", "5", name, check=False, timeout=120)
        if name in CREATED:
            CREATED.remove(name)


def create_container(name):
    podman("rm", "-f", "-t", "5", name, check=False, timeout=120)
    podman(*(["run", "-d", "--name", name, "--hostname", name, "--label", LABEL]
             + PODMAN_RUN + FLAVOR["podman"] + [IMAGE, "/sbin/init"]), timeout=120)
    CREATED.append(name)


def wait_mariadb(name, limit=120):
    """Until the server answers (MariaDB or MySQL, whichever the suite runs)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if cexec(name, FLAVOR["admin"], "--silent", "ping", check=False,
                 timeout=30).returncode == 0:
            return time.monotonic() - t0
        time.sleep(1)
    raise RuntimeError("the server in %s did not answer within %d s" % (name, limit))


def sql(name, text, timeout=60):
    return cexec(name, FLAVOR["client"], "--batch", "--skip-column-names", stdin=text,
                 timeout=timeout).stdout


def fresh_hosts(names, pw):
    """New containers ``names``, each with its server up, the app accounts and the app
    directory, as the speed runs' first runs need them."""
    for name in names:
        create_container(name)
    for name in names:
        wait_mariadb(name)
        prepare_accounts(name, pw)
        cexec(name, "mkdir", "-p", APP_DIR + "/benchsite")


def prepare_accounts(name, pw):
    """The apps' databases and accounts: the app's provisioning, not steadydb's job."""
    statements = []
    for app in ("shop", "runaway"):
        statements.append("CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4;" % app)
        statements.append("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s';"
                          % (app, pw[app]))
        statements.append("GRANT ALL PRIVILEGES ON %s.* TO '%s'@'localhost';" % (app, app))
    sql(name, "\n".join(statements) + "\n")


def baseline_server(name, wait_timeout):
    """Packaged defaults plus the bench's short wait_timeout (an option file, so it also
    holds after restarts)."""
    cnf = ("# steadydb benchmark: the short idle timeout both runs share\n[mysqld]\n"
           "wait_timeout = %d\ninteractive_timeout = %d\n" % (wait_timeout, wait_timeout))
    cexec(name, "sh", "-c", "cat > %s/60-bench-wait-timeout.cnf" % FLAVOR["confdir"],
          stdin=cnf)
    cexec(name, "systemctl", "restart", FLAVOR["unit"], timeout=180)
    wait_mariadb(name)


def install_app(name, pw):
    cexec(name, "mkdir", "-p", APP_DIR, "/srv/runaway")
    podman("cp", os.path.join(BENCH, "app") + "/.", "%s:%s/" % (name, APP_DIR), timeout=120)
    cexec(name, "sh", "-c", "umask 077; cat > %s/baseline_db.json" % APP_DIR,
          stdin=json.dumps({"password": pw["shop"]}))
    cexec(name, "sh", "-c", "umask 077; cat > /srv/runaway/secret.json",
          stdin=json.dumps({"user": "runaway", "password": pw["runaway"], "db": "runaway"}))
    set_mode(name, "baseline", restart=False)
    cexec(name, "cp", APP_DIR + "/bench-web.service", "/etc/systemd/system/bench-web.service")
    cexec(name, "python3", APP_DIR + "/manage.py", "migrate", "--noinput", timeout=180)
    cexec(name, "systemctl", "daemon-reload")
    cexec(name, "systemctl", "start", "bench-web", timeout=120)
    wait_web(name)


def set_mode(name, mode, restart=True):
    cexec(name, "sh", "-c", "echo %s > %s/BENCH_MODE" % (mode, APP_DIR))
    if restart:
        cexec(name, "systemctl", "restart", "bench-web", timeout=120)
        wait_web(name)


def wait_web(name):
    res = cjson(name, "python3", APP_DIR + "/drive.py", "waitweb", timeout=60)
    if not res.get("web"):
        status = cexec(name, "systemctl", "status", "--no-pager", "bench-web", check=False)
        raise RuntimeError("the bench app does not answer:\n" + status.stdout[-2000:])


def ensure_up(name):
    """After a kill: make sure the server runs again (start it if systemd did not) and the
    app answers, so the next repeat starts from the same state."""
    restarted_by_hand = False
    unit = FLAVOR["unit"]
    if cexec(name, FLAVOR["admin"], "--silent", "ping", check=False).returncode != 0:
        state = cexec(name, "systemctl", "is-active", unit, check=False).stdout.strip()
        if state not in ("active", "activating"):
            cexec(name, "systemctl", "reset-failed", unit, check=False)
            cexec(name, "systemctl", "start", unit, timeout=180, check=False)
            restarted_by_hand = True
        wait_mariadb(name)
    wait_web(name)
    return restarted_by_hand


def set_socket_activation(name, enabled):
    """Debian's mariadb.socket on or off. Off, mariadbd binds port 3306 and the unix
    socket itself (as Oracle MySQL's packages do), so a dead server refuses connections
    (2003/2002) instead of queueing them in systemd's socket."""
    cexec(name, "systemctl", "stop", FLAVOR["unit"], timeout=300)
    cexec(name, "systemctl", "enable" if enabled else "disable", "--now", FLAVOR["socket_unit"])
    cexec(name, "systemctl", "start", FLAVOR["unit"], timeout=300)
    wait_mariadb(name)
    wait_web(name)


def server_snapshot(name):
    out = sql(name, "SELECT @@version, @@max_connections, @@wait_timeout, "
                    "@@max_user_connections;").split("\t")
    caps = sql(name, "SELECT User, max_user_connections FROM mysql.user "
                     "WHERE User IN ('shop','runaway') ORDER BY User;")
    unit = cexec(name, "systemctl", "show", FLAVOR["unit"], "-p", "Restart", "-p", "RestartUSec",
                 "-p", "StartLimitBurst", "-p", "StartLimitIntervalUSec",
                 "-p", "LimitNOFILE", "-p", "OOMScoreAdjust").stdout
    props = dict(line.split("=", 1) for line in unit.strip().splitlines() if "=" in line)
    # Debian 12 enables mariadb.socket: systemd itself holds port 3306 and the unix
    # socket, so connections made while mariadbd is down wait instead of being refused.
    # Oracle MySQL has no socket unit.
    props["socket"] = (cexec(name, "systemctl", "is-active", FLAVOR["socket_unit"],
                             check=False).stdout.strip()
                       if FLAVOR["socket_unit"] else "none (no socket unit)")
    return {
        "version": out[0].strip(),
        "max_connections": int(out[1]),
        "wait_timeout": int(out[2]),
        "max_user_connections_global": int(out[3]),
        "account_caps": {u: int(c) for u, c in
                         (line.split("\t") for line in caps.strip().splitlines() if line)},
        "unit": props,
    }


def app_snapshot(name):
    """What the Django app actually runs with (the settings module, evaluated)."""
    code = ("import django,json,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
            "'benchsite.settings');django.setup();from django.conf import settings as s;"
            "d=s.DATABASES['default'];o=d.get('OPTIONS',{});"
            "print(json.dumps({'mode':s.BENCH_DB_MODE,'CONN_MAX_AGE':d.get('CONN_MAX_AGE'),"
            "'CONN_HEALTH_CHECKS':d.get('CONN_HEALTH_CHECKS',False),"
            "'HOST':d.get('HOST'),'connect_timeout':o.get('connect_timeout'),"
            "'read_timeout':o.get('read_timeout')}))")
    proc = cexec(name, "sh", "-c", "cd %s && python3 -c \"%s\"" % (APP_DIR, code), check=False)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": proc.stderr[-400:]}


# --- faults ------------------------------------------------------------------------------

def fresh_crash(name):
    """Make the next kill an independent first crash: `systemctl reset-failed` zeroes the
    unit's start-rate counter. Without it the kills of all repeats, the playbook's own
    restarts and the restarts around fault 3b add up, and the hardened unit's start limit
    (StartLimitBurst=5 in StartLimitIntervalSec=300) stops the 6th start on purpose,
    leaving mariadbd down (seen on Debian 13). That limit is a crash-loop guard, not what
    fault 3 measures (`restarted_by_hand` in the JSON says when a repeat still needed a
    manual start)."""
    cexec(name, "systemctl", "reset-failed", FLAVOR["unit"], check=False)


def run_faults(name, mode, demand, repeats):
    peak = demand["peak"]
    gap = demand["wait_timeout"] + 2
    res = {"idle": [], "kill": [], "flood": [], "runaway": [], "kill_nosocket": []}
    drive = ["python3", APP_DIR + "/drive.py"]
    for i in range(repeats):
        log("%s: faults 1+2 (idle gap %d s), repeat %d/%d" % (mode, gap, i + 1, repeats))
        res["idle"].append(cjson(name, *(drive + ["idle", "--gap", str(gap)]), timeout=gap + 200))
    for i in range(repeats):
        log("%s: fault 3 (kill -9 %s), repeat %d/%d" % (mode, FLAVOR["server"], i + 1, repeats))
        fresh_crash(name)
        r = cjson(name, *(drive + ["kill"]), timeout=180)
        r["restarted_by_hand"] = ensure_up(name)
        res["kill"].append(r)
        time.sleep(2)
    for i in range(repeats):
        log("%s: fault 4 (flood of %d connections), repeat %d/%d" % (mode, peak, i + 1, repeats))
        res["flood"].append(cjson(name, *(drive + ["flood", "--connections", str(peak)]),
                                  timeout=200))
    for i in range(repeats):
        log("%s: fault 5 (runaway app, then the app's peak), repeat %d/%d"
            % (mode, i + 1, repeats))
        res["runaway"].append(cjson(name, *(drive + ["runaway", "--connections", str(peak),
                                                     "--attempts", str(demand["runaway_attempts"])]),
                                    timeout=300))
    if not FLAVOR["socket_unit"]:
        # No socket unit (Oracle MySQL): fault 3 already was the "no socket" case.
        log("%s: fault 3b is fault 3 here (no socket unit)" % mode)
        res["kill_nosocket"] = list(res["kill"])
        return res
    log("%s: fault 3b (kill -9 with %s disabled), %d repeats"
        % (mode, FLAVOR["socket_unit"], repeats))
    # Restore what the package set afterwards: Debian 12 enables mariadb.socket,
    # Debian 13 does not (there fault 3b is the same situation as fault 3).
    was_enabled = cexec(name, "systemctl", "is-enabled", FLAVOR["socket_unit"],
                        check=False).stdout.strip() == "enabled"
    if was_enabled:
        set_socket_activation(name, False)
    try:
        for i in range(repeats):
            fresh_crash(name)
            r = cjson(name, *(drive + ["kill"]), timeout=180)
            r["restarted_by_hand"] = ensure_up(name)
            res["kill_nosocket"].append(r)
            time.sleep(2)
    finally:
        if was_enabled:
            set_socket_activation(name, True)
    return res


# --- ansible -----------------------------------------------------------------------------

def write_inventory(path, hosts, demand_vars, with_app=True):
    apps = [{
        "name": "shop",
        "settings_dir": APP_DIR + "/benchsite",
        "env_file": APP_DIR + "/shop.env",
        "owner": "root",
        "group": "root",
        "db_host": "127.0.0.1",
        "db_port": 3306,
        "db_password_var": "bench_shop_db_password",
        "driver": "pymysql",
    }]
    inv = {"all": {
        "vars": dict(demand_vars, **{
            "ansible_connection": "podman_pipelined",
            "ansible_python_interpreter": "/usr/bin/python3",
            "steadydb_login_unix_socket": "/run/mysqld/mysqld.sock",
            "steadydb_login_user": "root",
            "django_db_settings_apps": apps,
        }),
        "children": {
            "db": {"hosts": {h: {"ansible_host": h} for h in hosts}},
            "app": {"hosts": {h: {"ansible_host": h} for h in hosts} if with_app else {}},
        },
    }}
    with open(path, "w") as fh:
        fh.write("# generated by bench/resilience.py\n")
        yaml.safe_dump(inv, fh, sort_keys=False)


ANSIBLE_EXTRA = []


# Where a container's CPU time is counted: its cgroup's cpu.stat (cgroup v2, also the
# "unified" half of a hybrid host) or cpuacct.usage (cgroup v1), under the path podman
# reports. The 3-host ratios are CPU-bound on a small machine; the speed table shows it.
CGROUP_CPU_FILES = (("/sys/fs/cgroup%s/cpu.stat", "usage_usec", 1e-6),
                    ("/sys/fs/cgroup/unified%s/cpu.stat", "usage_usec", 1e-6),
                    ("/sys/fs/cgroup/cpuacct%s/cpuacct.usage", None, 1e-9))


def cgroup_cpu_seconds(text, key, scale):
    """CPU seconds from a cgroup file's ``text``: the ``key`` line of cpu.stat, or the
    single number of cpuacct.usage (``key`` None); None when it is not there."""
    for line in text.splitlines():
        parts = line.split()
        if key is None and len(parts) == 1 and parts[0].isdigit():
            return int(parts[0]) * scale
        if key is not None and len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1]) * scale
    return None


def containers_cpu_seconds(names):
    """The CPU seconds the containers ``names`` have used in all, or None when one of
    them has no readable cgroup file."""
    total = 0.0
    for name in names:
        path = podman("container", "inspect", "-f", "{{.State.CgroupPath}}", name,
                      check=False, timeout=60).stdout.strip()
        for pattern, key, scale in CGROUP_CPU_FILES:
            try:
                with open(pattern % path) as fh:
                    seconds = cgroup_cpu_seconds(fh.read(), key, scale)
            except OSError:
                continue
            if seconds is not None:
                total += seconds
                break
        else:
            return None
    return total


def inventory_hosts(path):
    """The hosts of an inventory written by ``write_inventory``."""
    with open(path) as fh:
        children = yaml.safe_load(fh)["all"]["children"]
    return sorted(set(h for group in children.values() for h in (group.get("hosts") or {})))


def ansible_playbook(inventory, secrets_file, logname, forks=1, playbook=None, check=True):
    """Run a playbook (harden-db.yml unless told), timed. check=False: a failed run is
    recorded (rc), not raised (audit-db.yml fails on purpose on a critical finding)."""
    exe = shutil.which("ansible-playbook", path=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    if not exe:
        raise RuntimeError("ansible-playbook not found (run `make deps` first)")
    cmd = [exe, "-i", inventory, "-e", "@" + secrets_file, "-f", str(forks)] + ANSIBLE_EXTRA \
        + [playbook or os.path.join(ROOT, "playbooks", "harden-db.yml")]
    env = dict(os.environ)
    try:
        import ansible_collections.ansible.posix  # noqa: F401  (the `ansible` package)
        # per-task timings at the end of each log, to see where the time goes
        env.setdefault("ANSIBLE_CALLBACKS_ENABLED", "ansible.posix.profile_tasks")
    except ImportError:
        pass
    hosts = inventory_hosts(inventory)
    cpu_before = containers_cpu_seconds(hosts)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False,
                          env=env)
    seconds = time.monotonic() - t0
    # ansible-playbook, its workers and the podman commands they ran (all waited for)
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    ansible_cpu = (now.ru_utime + now.ru_stime) - (children.ru_utime + children.ru_stime)
    cpu_after = containers_cpu_seconds(hosts)
    with open(os.path.join(OUT, logname), "w") as fh:
        fh.write(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0 and check:
        raise RuntimeError("%s failed (rc=%d), see bench/out/%s:\n%s" % (
            os.path.basename(cmd[-1]), proc.returncode, logname, proc.stdout[-3000:]))
    changed = sum(int(m) for m in re.findall(r"\bchanged=(\d+)", proc.stdout))
    out = {"seconds": round(seconds, 1), "changed": changed,
           "tasks_per_host": tasks_per_host(proc.stdout),
           "ansible_cpu_s": round(ansible_cpu, 1),
           "containers_cpu_s": (round(cpu_after - cpu_before, 1)
                                if cpu_before is not None and cpu_after is not None else None)}
    if proc.returncode != 0:
        out["rc"] = proc.returncode
    return out


ONE_TASK = """# generated by bench/resilience.py: the speed reference, one task and no facts
- name: One task (speed reference)
  hosts: db
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


def tasks_per_host(stdout):
    """The most tasks one host ran, from PLAY RECAP (ok + skipped + failed); 0 without one."""
    return max([sum(int(n) for n in m) for m in re.findall(
        r"\bok=(\d+).*?\bfailed=(\d+).*?\bskipped=(\d+)", stdout)] or [0])


# ansible-core's own share of the 3-host ratio: a playbook of a rerun's shape made of
# builtins only, timed on the same hosts in the same rounds as the rerun. A rerun is one
# module call per stage on the host (read + plan, server, unit, app) and controller-side
# tasks; here a ping stands for each module call and a debug for each other task. Side by
# side, the two ratios show how much of harden-db.yml's is ansible-core's on this machine
# (work done once per run, like building the modules' payloads, lowers a ratio).
STAGE_MODULES = 4


def builtins_playbook(tasks, modules=STAGE_MODULES):
    """A playbook of ``tasks`` tasks on the db hosts, no facts: ``modules`` of them
    ansible.builtin.ping (a module call on the host), spread evenly, the others
    ansible.builtin.debug (the controller only)."""
    modules = max(0, min(modules, tasks))
    pings = {(2 * k + 1) * tasks // (2 * modules) for k in range(modules)}
    body = []
    for i in range(tasks):
        if i in pings:
            body.append("    - name: Module call %d\n      ansible.builtin.ping:\n" % i)
        else:
            body.append("    - name: Controller task %d\n      ansible.builtin.debug:\n"
                        "        msg: task %d\n        verbosity: 1\n" % (i, i))
    return ("# generated by bench/resilience.py: a rerun's shape in builtins\n"
            "- name: The rerun's shape, ansible-core alone\n  hosts: db\n  gather_facts: false\n"
            "  tasks:\n" + "".join(body))


def one_task(inventory, secrets_file, logname):
    """The one-task playbook (ansible.builtin.ping) against the same inventory: what
    ansible-playbook itself costs here (start-up, connection plugin, one module)."""
    path = os.path.join(OUT, "one-task.yml")
    with open(path, "w") as fh:
        fh.write(ONE_TASK)
    return ansible_playbook(inventory, secrets_file, logname, playbook=path)


# Issue 15's targets, each a ratio of two runs measured side by side in the same run.
RATIO_TARGETS = (
    ("rerun_vs_one_task", "harden-db.yml rerun (idempotent) / one-task playbook", 4.0),
    ("converge_vs_one_task", "harden-db.yml first converge / one-task playbook", 6.0),
    ("audit_vs_one_task", "audit-db.yml / one-task playbook", 3.0),
    ("hosts3_vs_1_converge", "3 hosts (forks 3) / a 4th fresh host alone, first converge", 1.5),
    ("hosts3_vs_1_rerun", "3 hosts (forks 3) / 1 host, rerun", 1.5),
)


# Every ratio is measured in alternating rounds: each round runs its two commands back
# to back, so a load spike from a neighbour on this shared machine lands in one round's
# pair, not in one side of the ratio, and the ratio is the median of the rounds' ratios.
# With 3 rounds a single run still went over a target that the medians of six runs met
# (the rerun at 4.17x against a median of 3.62x), so there are 5. A first run happens
# once per container: each round of a first-run ratio takes new containers.
ROUNDS = 5
PAIRED = {"rerun_vs_one_task": "rerun_rounds",
          "converge_vs_one_task": "converge_one_task_rounds",
          "audit_vs_one_task": "audit_rounds",
          "hosts3_vs_1_converge": "converge_rounds",
          "hosts3_vs_1_rerun": "hosts_rounds"}


def pair(first, second):
    """One round: the seconds of two ansible_playbook results, ``{"a": .., "b": ..}``."""
    return {"a": first.get("seconds"), "b": second.get("seconds")}


def paired_rounds(first, second, rounds=ROUNDS):
    """``rounds`` times ``first()`` then ``second()`` (each returns ansible_playbook's dict):
    ``[{"a": seconds, "b": seconds}, ...]``."""
    return interleaved_rounds([(first, second)], rounds)[0]


def interleaved_rounds(pairs, rounds=ROUNDS):
    """``rounds`` rounds, each running every ``(first, second)`` of ``pairs`` in turn:
    one list of rounds per pair, as paired_rounds returns it."""
    out = [[] for _ in pairs]
    for _ in range(rounds):
        for rounds_of_pair, (first, second) in zip(out, pairs):
            a = first()
            rounds_of_pair.append(pair(a, second()))
    return out


def paired_ratio(rounds):
    """The median of the rounds' ratios a / b (None without a complete round)."""
    return med([round(r["a"] / r["b"], 2) for r in rounds or () if r.get("a") and r.get("b")])


def speed_ratios(sp):
    """The ratios of issue 15 from the speed figures (None where a run is missing); a
    ratio measured in rounds (PAIRED) is the median of its rounds' ratios."""
    def secs(key):
        x = sp.get(key)
        return x.get("seconds") if isinstance(x, dict) else None

    one = med([secs(k) for k in ("one_task_a", "one_task_b", "one_task_c")])
    pairs = {"rerun_vs_one_task": (secs("rerun_1"), one),
             "converge_vs_one_task": (secs("converge_1"), one),
             "audit_vs_one_task": (secs("audit_1"), one),
             "hosts3_vs_1_converge": (secs("converge_3"),
                                      secs("converge_1_alone") or secs("converge_1")),
             "hosts3_vs_1_rerun": (secs("rerun_3"), secs("rerun_1_alone"))}
    out = {"one_task_s_median": one,
           "builtins_hosts3_vs_1_rerun": paired_ratio(sp.get("builtins_hosts_rounds"))}
    for key, (num, den) in pairs.items():
        out[key] = round(num / den, 2) if num and den else None
        if sp.get(PAIRED.get(key)):
            out[key] = paired_ratio(sp[PAIRED[key]])
    return out


# --- numbers -----------------------------------------------------------------------------

def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    m = statistics.median(values)
    return round(m, 2) if isinstance(m, float) else m


def merge_codes(items):
    codes = {}
    for item in items:
        for k, v in (item or {}).get("codes", {}).items():
            codes[k] = codes.get(k, 0) + v
    return codes


def kill_summary(kill):
    """Fault 3 (and 3b) over its repeats."""
    if not kill:
        return None
    return {"recovery_s_median": med([k.get("recovery_s") for k in kill]),
            "recovery_s_each": [k.get("recovery_s") for k in kill],
            "failed_median": med([k.get("failed") for k in kill]),
            "failed_each": [k.get("failed") for k in kill],
            "failed_after_first_success_each":
                [k.get("failed_after_first_success") for k in kill],
            "rate_per_s": kill[0].get("rate_per_s"),
            "restarted_by_hand_each": [k.get("restarted_by_hand") for k in kill],
            # from the journal: when systemd scheduled the restart (RestartSec) and
            # when the server was ready, in seconds after the kill
            "restart_scheduled_s_median": med([k.get("restart_scheduled_s") for k in kill]),
            "mariadbd_ready_s_median": med([k.get("mariadbd_ready_s") for k in kill]),
            # the extra latency during the restart: requests started between the kill
            # and the first success that succeeded (they waited), ms; and before the kill
            "waited_ok_each": [k.get("waited_ok") for k in kill],
            "waited_p50_ms_median": med([k.get("waited_p50_ms") for k in kill]),
            "waited_p99_ms_median": med([k.get("waited_p99_ms") for k in kill]),
            "before_p50_ms_median": med([k.get("before_p50_ms") for k in kill]),
            "codes": merge_codes(kill)}


def summarize(res):
    """Per fault: medians over repeats, every repeat's raw numbers, error codes."""
    s = {}
    worker = [r["worker"] for r in res["idle"]]
    web = [r["web"] for r in res["idle"]]
    s["1_idle_worker"] = {"ops": med([w.get("ops") for w in worker]),
                          "failed_median": med([w.get("failed") for w in worker]),
                          "failed_each": [w.get("failed") for w in worker],
                          "codes": merge_codes(worker)}
    s["2_web_idle"] = {"ops": med([w.get("ops") for w in web]),
                       "failed_median": med([w.get("failed") for w in web]),
                       "failed_each": [w.get("failed") for w in web],
                       "codes": merge_codes(web)}
    s["3_kill_mysqld"] = kill_summary(res["kill"])
    s["3b_kill_no_socket"] = kill_summary(res.get("kill_nosocket") or [])
    flood = res["flood"]
    s["4_flood"] = {"ops": med([f.get("ops") for f in flood]),
                    "failed_median": med([f.get("failed") for f in flood]),
                    "failed_each": [f.get("failed") for f in flood],
                    "codes": merge_codes(flood)}
    ra = res["runaway"]
    s["5_runaway"] = {"app_ops": med([r["app"].get("ops") for r in ra]),
                      "app_failed_median": med([r["app"].get("failed") for r in ra]),
                      "app_failed_each": [r["app"].get("failed") for r in ra],
                      "app_codes": merge_codes([r["app"] for r in ra]),
                      "runaway_held_median": med([r["runaway"].get("held") for r in ra]),
                      "runaway_refused_median": med([r["runaway"].get("refused") for r in ra]),
                      "runaway_codes": merge_codes([r["runaway"] for r in ra])}
    return s


def fmt_codes(codes):
    """The error numbers seen (counts over all repeats are in the JSON)."""
    if not codes:
        return ""
    return " (" + ", ".join(sorted(codes)) + ")"


def cell(summary, fault, mode):
    x = summary.get(mode, {}).get(fault)
    if x is None:
        return "not run"
    if fault in ("1_idle_worker", "2_web_idle", "4_flood"):
        return "%s / %s failed%s" % (x["failed_median"], x["ops"], fmt_codes(x["codes"]))
    if fault in ("3_kill_mysqld", "3b_kill_no_socket"):
        rec = x["recovery_s_median"]
        each = ", ".join("never" if v is None else str(v) for v in x["recovery_s_each"])
        text = ("%s s (each: %s); %s failed%s; restart scheduled at %s s, server ready "
                "at %s s" % ("never" if rec is None else rec, each, x["failed_median"],
                             fmt_codes(x["codes"]), x.get("restart_scheduled_s_median"),
                             x.get("mariadbd_ready_s_median")))
        if x.get("waited_p50_ms_median") is not None:
            text += ("; %s waited through the restart: p50 %s ms, p99 %s ms (before the "
                     "kill: p50 %s ms)" % (
                         "/".join(str(v) for v in x.get("waited_ok_each", [])),
                         x["waited_p50_ms_median"], x["waited_p99_ms_median"],
                         x.get("before_p50_ms_median")))
        return text
    if fault == "5_runaway":
        return ("app: %s / %s failed%s; runaway held %s, refused %s%s" % (
            x["app_failed_median"], x["app_ops"], fmt_codes(x["app_codes"]),
            x["runaway_held_median"], x["runaway_refused_median"],
            fmt_codes(x["runaway_codes"])))
    return "?"


def markdown(result):
    d = result["demand"]
    summ = result["summary"]
    lines = []
    tree = result.get("tree", {})
    lines.append("Measured %s on %s (%s CPUs, %s GiB RAM; load average %s at the start, "
                 "%s at the end), image %s, %s; commit %s%s; %d repeats, medians; "
                 "run time %s s." % (
                     result["date"], result["machine"]["os"], result["machine"]["nproc"],
                     result["machine"]["mem_gib"], result.get("loadavg_start", ["?"])[0],
                     result.get("loadavg_end", ["?"])[0], IMAGE,
                     result["server"].get("baseline", {}).get("version", "?"),
                     tree.get("commit", "?"),
                     " with local changes" if tree.get("local_changes") else "",
                     result["repeats"], result["run_seconds"]))
    lines.append("")
    lines.append("| fault | measure | baseline | hardened |")
    lines.append("| --- | --- | --- | --- |")
    rows = [
        ("1_idle_worker", "1. idle worker: jobs after a %d s gap (wait_timeout %d s)"
         % (d["wait_timeout"] + 2, d["wait_timeout"]), "failed jobs / jobs"),
        ("2_web_idle", "2. web: requests after a %d s idle gap" % (d["wait_timeout"] + 2),
         "failed requests / requests"),
        ("3_kill_mysqld", "3. `kill -9` of %s under %s req/s"
         % (FLAVOR["server"], ((summ.get("baseline") or summ.get("hardened") or {})
                               .get("3_kill_mysqld") or {}).get("rate_per_s")),
         "s until the next request succeeds; failed requests"),
        ("3b_kill_no_socket", ("3b. the same with `mariadb.socket` disabled (mariadbd binds "
                               "the port itself, as Oracle MySQL's packages do)")
         if FLAVOR["socket_unit"] else
         "3b. the same without a socket unit: fault 3 (Oracle MySQL has none)",
         "s until the next request succeeds; failed requests"),
        ("4_flood", "4. flood: the declared peak of %d connections at once" % d["peak"],
         "refused connections / peak"),
        ("5_runaway", "5. runaway second app, then the app's peak of %d" % d["peak"],
         "protected app failed / peak; runaway's connections"),
    ]
    for key, label, measure in rows:
        lines.append("| %s | %s | %s | %s |" % (label, measure, cell(summ, key, "baseline"),
                                              cell(summ, key, "hardened")))
    srv = result["server"]
    lines.append("")
    lines.append("| setting (as measured) | baseline | hardened |")
    lines.append("| --- | --- | --- |")

    def sv(mode, *path):
        x = srv.get(mode)
        for p in path:
            if not isinstance(x, dict):
                return "-"
            x = x.get(p)
        return "-" if x is None else x

    app = result.get("app", {})

    def av(mode, key):
        x = app.get(mode, {}).get(key)
        return "-" if x is None else x

    for label, path in (("max_connections", ("max_connections",)),
                        ("wait_timeout", ("wait_timeout",)),
                        ("max_user_connections shop / runaway", None),
                        ("%s.service Restart" % FLAVOR["unit"], ("unit", "Restart")),
                        ("%s.service RestartSec" % FLAVOR["unit"], ("unit", "RestartUSec")),
                        ("%s.service start limit (burst in interval)" % FLAVOR["unit"], "limit"),
                        ("socket activation (%s)" % (FLAVOR["socket_unit"] or "no socket unit"),
                         ("unit", "socket"))):
        if path is None:
            vals = ["%s / %s" % (sv(m, "account_caps", "shop"), sv(m, "account_caps", "runaway"))
                    for m in ("baseline", "hardened")]
        elif path == "limit":
            vals = ["%s in %s" % (sv(m, "unit", "StartLimitBurst"),
                                  sv(m, "unit", "StartLimitIntervalUSec"))
                    for m in ("baseline", "hardened")]
        else:
            vals = [sv(m, *path) for m in ("baseline", "hardened")]
        lines.append("| %s | %s | %s |" % (label, vals[0], vals[1]))
    for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "connect_timeout"):
        lines.append("| Django %s (web) | %s | %s |" % (key, av("baseline", key),
                                                        av("hardened", key)))
    sp = result.get("speed", {})
    if sp:
        lines.append("")
        lines.append("| speed | seconds | tasks changed | CPU s: ansible-playbook / containers |")
        lines.append("| --- | --- | --- | --- |")
        for key, label in (("converge_1", "harden-db.yml, 1 host, first run"),
                           ("rerun_1", "harden-db.yml, 1 host, rerun (idempotent)"),
                           ("converge_3", "harden-db.yml, 3 hosts (forks 3), first run"),
                           ("rerun_3", "harden-db.yml, 3 hosts (forks 3), rerun"),
                           ("converge_1_alone", "harden-db.yml, a 4th fresh host alone, first run"),
                           ("rerun_1_alone", "harden-db.yml, 1 of those 3 hosts alone, rerun"),
                           ("audit_1", "audit-db.yml, 1 host"),
                           ("one_task_a", "one-task playbook (ping), before the converge"),
                           ("one_task_b", "one-task playbook (ping), after the rerun"),
                           ("one_task_c", "one-task playbook (ping), after the audit")):
            x = sp.get(key)
            if isinstance(x, dict) and "seconds" in x:
                lines.append("| %s | %s | %s%s | %s / %s |" % (
                    label, x["seconds"], x["changed"], " (rc %s)" % x["rc"] if "rc" in x else "",
                    x.get("ansible_cpu_s", "-"), "-" if x.get("containers_cpu_s") is None
                    else x["containers_cpu_s"]))
            elif x:
                lines.append("| %s | %s | | |" % (label, x))
        for key, label, changed in (
                ("rerun_rounds", "rounds: harden-db.yml rerun / one-task playbook", "0"),
                ("hosts_rounds", "rounds: rerun on 3 hosts / on 1 of them", "0"),
                ("builtins_hosts_rounds", "rounds: the rerun's shape in builtins (%s tasks, %d "
                 "pings), 3 hosts / 1 host" % (sp.get("builtins_tasks"), STAGE_MODULES), "0"),
                ("audit_rounds", "rounds: audit-db.yml / one-task playbook", "0"),
                ("converge_rounds", "rounds: first run on 3 fresh hosts / on a 4th", ""),
                ("converge_one_task_rounds",
                 "rounds: first run on the 4th fresh host / one-task playbook there", "")):
            if sp.get(key):
                lines.append("| %s | %s | %s | |" % (label, ", ".join(
                    "%s / %s" % (r.get("a"), r.get("b")) for r in sp[key]), changed))
        ratios = sp.get("ratios") or {}
        if any(ratios.get(key) is not None for key, _, _ in RATIO_TARGETS):
            lines.append("")
            lines.append("Ratios measured side by side in this run (issue 15; one-task playbook: "
                         "`ansible.builtin.ping`, no facts, same inventory; each ratio is the "
                         "median of its rounds' ratios, %d rounds):" % ROUNDS)
            lines.append("")
            lines.append("| ratio | measured | target | within |")
            lines.append("| --- | --- | --- | --- |")
            for key, label, target in RATIO_TARGETS:
                v = ratios.get(key)
                lines.append("| %s | %s | <= %s | %s |" % (
                    label, "-" if v is None else "%.2f" % v, target,
                    "-" if v is None else ("yes" if v <= target else "no")))
            builtins_ratio = ratios.get("builtins_hosts3_vs_1_rerun")
            if builtins_ratio is not None:
                lines.append("| ansible-core alone, the rerun's shape in builtins (%s tasks, "
                             "%d of them pings): 3 hosts / 1 host | %.2f | reference | - |"
                             % (sp.get("builtins_tasks"), STAGE_MODULES, builtins_ratio))
        g = sp.get("globals")
        if isinstance(g, dict) and g.get("text"):
            lines.append("")
            lines.append("10 globals, one steadydb task vs ten community.mysql.mysql_variables "
                         "tasks (bench/globals.py):")
            lines.append("")
            lines.append("```")
            lines.append(g["text"])
            lines.append("```")
        elif g:
            lines.append("")
            lines.append("10 globals, one task vs ten community.mysql.mysql_variables tasks: %s"
                         % (g if isinstance(g, str) else json.dumps(g)))
    eng = result.get("engine_overhead")
    if isinstance(eng, dict) and "ratio" in eng:
        lines.append("")
        lines.append("Per-query cost of the shipped engine (issue 16): %d rounds x %d `SELECT 1` "
                     "through a Django cursor, engines alternating, medians:" % (
                         eng["rounds"], eng["queries_per_round"]))
        lines.append("")
        lines.append("| engine | us per query |")
        lines.append("| --- | --- |")
        lines.append("| `%s` (shipped) | %s |" % (eng["engine"], eng["shipped_us"]))
        lines.append("| `%s` (stock) | %s |" % (eng["stock_engine"], eng["stock_us"]))
        lines.append("| overhead | %+.1f us, ratio %.3f |" % (eng["overhead_us"], eng["ratio"]))
        if "paired_diff_us_mean" in eng:
            lines.append("| round by round (shipped - stock) | mean %+.1f us, standard error "
                         "%.1f us |" % (eng["paired_diff_us_mean"], eng["paired_diff_us_stderr"]))
    elif eng:
        lines.append("")
        lines.append("Engine overhead: %s" % (eng if isinstance(eng, str) else json.dumps(eng)))
    if result.get("errors"):
        lines.append("")
        lines.append("Not measured: " + "; ".join(result["errors"]))
    return "\n".join(lines) + "\n"


# --- main --------------------------------------------------------------------------------

def machine():
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    osname = platform.platform()
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "mem_gib": round(mem / 2 ** 30, 1), "os": osname}


def tree_state():
    """The commit measured, and whether the parts the benchmark runs had local changes."""
    head = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = run(["git", "status", "--porcelain", "--", "roles", "playbooks", "library",
                 "module_utils", "bench"], check=False).stdout.splitlines()
    return {"commit": head or "unknown", "local_changes": [line[3:] for line in dirty]}


def globals_bench():
    """bench/globals.py (another part of the benchmark, not changed here), if present:
    its printed table goes into the report as it is."""
    script = os.path.join(BENCH, "globals.py")
    if not os.path.exists(script):
        return "not run: bench/globals.py is not in this tree yet"
    helptext = run([sys.executable, script, "--help"], timeout=60, check=False).stdout
    out_json = os.path.join(OUT, "globals.json")
    cmd = [sys.executable, script]
    if "--json" in helptext:
        cmd += ["--json", out_json]
    proc = run(cmd, timeout=900, check=False)
    with open(os.path.join(OUT, "globals.log"), "w") as fh:
        fh.write(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0:
        return "bench/globals.py failed (rc=%d), see bench/out/globals.log" % proc.returncode
    data = {"text": proc.stdout.strip()}
    if "--json" in helptext:
        try:
            with open(out_json) as fh:
                data["json"] = json.load(fh)
        except (OSError, ValueError):
            pass
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--suite", default="bookworm", choices=sorted(SUITES),
                        help="image localhost/steadydb:SUITE (default bookworm, MariaDB 10.11; "
                             "trixie: MariaDB 11.8; mysql: Oracle MySQL 9.7)")
    parser.add_argument("--skip-speed", action="store_true",
                        help="no one-task/audit ratios, no 3-host converge, no engine overhead, "
                             "no globals benchmark")
    parser.add_argument("--engine-overhead", action="store_true",
                        help="measure the shipped Django engine's per-query cost even with "
                             "--skip-speed (about 30 s)")
    parser.add_argument("--baseline-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true",
                        help="only the speed half (one-task, converge, rerun, audit, 3 hosts): no "
                             "faults, no engine overhead, no globals; writes results-speed.json "
                             "and leaves the suite's results-SUITE.json alone (about 4 min)")
    parser.add_argument("--keep", action="store_true", help="leave the main container running")
    parser.add_argument("--ansible-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for ansible-playbook (repeatable), "
                             "e.g. --ansible-arg=-v")
    args = parser.parse_args()
    if args.speed_only and (args.skip_speed or args.baseline_only):
        parser.error("--speed-only measures only what --skip-speed and --baseline-only leave out")
    ANSIBLE_EXTRA.extend(args.ansible_arg)
    args.repeats = max(1, min(args.repeats, 10))
    global IMAGE, FLAVOR
    IMAGE = "localhost/steadydb:" + args.suite
    FLAVOR = SUITES[args.suite]

    os.environ.setdefault("CONTAINERS_CONF", os.path.join(ROOT, ".config", "containers.conf"))
    os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        sys.exit("bench: %s is missing; run `make images` (or `make bench`)" % IMAGE)

    with open(os.path.join(BENCH, "demand.yml")) as fh:
        demand_vars = yaml.safe_load(fh)
    shop = next(a for a in demand_vars["steadydb_apps"] if a["name"] == "shop")
    peak = (shop["app_hosts"] * shop["processes_per_host"] * shop["threads_per_process"]
            + shop["background_workers"] * shop.get("worker_concurrency", 1))
    demand = {"peak": peak, "wait_timeout": demand_vars["steadydb_wait_timeout"],
              "runaway_attempts": 300}

    pw = {"shop": password(), "runaway": password()}
    secrets_file = os.path.join(OUT, "secrets.yml")
    fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump({"bench_shop_db_password": pw["shop"],
                        "bench_runaway_db_password": pw["runaway"]}, fh)

    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "tree": tree_state(), "loadavg_start": [round(x, 1) for x in os.getloadavg()],
              "machine": machine(), "image": IMAGE, "suite": args.suite,
              "flavor": FLAVOR["flavor"], "repeats": args.repeats,
              "demand": demand, "server": {}, "app": {}, "raw": {}, "summary": {},
              "speed": {}, "errors": []}

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    rc = 0
    try:
        log("creating %s from %s" % (MAIN, IMAGE))
        create_container(MAIN)
        wait_mariadb(MAIN)
        prepare_accounts(MAIN, pw)
        baseline_server(MAIN, demand["wait_timeout"])
        install_app(MAIN, pw)
        result["server"]["baseline"] = server_snapshot(MAIN)
        result["app"]["baseline"] = app_snapshot(MAIN)
        if not args.speed_only:
            raw = run_faults(MAIN, "baseline", demand, args.repeats)
            result["raw"]["baseline"] = raw
            result["summary"]["baseline"] = summarize(raw)

        harden = os.path.join(ROOT, "playbooks", "harden-db.yml")
        if args.baseline_only:
            result["errors"].append("hardened half skipped (--baseline-only)")
        elif not os.path.exists(harden):
            result["errors"].append("hardened half: playbooks/harden-db.yml is not in this tree yet")
        else:
            inv = os.path.join(OUT, "inventory-1.yml")
            write_inventory(inv, [MAIN], demand_vars)
            if not args.skip_speed:
                log("speed: one-task playbook (reference)")
                result["speed"]["one_task_a"] = one_task(inv, secrets_file, "one-task-a.log")
            log("hardening %s with playbooks/harden-db.yml" % MAIN)
            result["speed"]["converge_1"] = ansible_playbook(inv, secrets_file, "harden-1.log")
            log("rerun (idempotence)")
            result["speed"]["rerun_1"] = ansible_playbook(inv, secrets_file, "harden-1-rerun.log")
            if not args.skip_speed:
                log("speed: one-task playbook, audit-db.yml, one-task playbook")
                result["speed"]["one_task_b"] = one_task(inv, secrets_file, "one-task-b.log")
                result["speed"]["audit_1"] = ansible_playbook(
                    inv, secrets_file, "audit-1.log", check=False,
                    playbook=os.path.join(ROOT, "playbooks", "audit-db.yml"))
                result["speed"]["one_task_c"] = one_task(inv, secrets_file, "one-task-c.log")
                log("speed: %d rounds of rerun, then one-task playbook" % ROUNDS)
                result["speed"]["rerun_rounds"] = paired_rounds(
                    lambda: ansible_playbook(inv, secrets_file, "harden-1-rerun-round.log"),
                    lambda: one_task(inv, secrets_file, "one-task-round.log"))
                log("speed: %d rounds of audit-db.yml, then one-task playbook" % ROUNDS)
                result["speed"]["audit_rounds"] = paired_rounds(
                    lambda: ansible_playbook(
                        inv, secrets_file, "audit-1-round.log", check=False,
                        playbook=os.path.join(ROOT, "playbooks", "audit-db.yml")),
                    lambda: one_task(inv, secrets_file, "one-task-round.log"))
            set_mode(MAIN, "hardened")
            result["server"]["hardened"] = server_snapshot(MAIN)
            result["app"]["hardened"] = app_snapshot(MAIN)
            if not args.speed_only:
                raw = run_faults(MAIN, "hardened", demand, args.repeats)
                result["raw"]["hardened"] = raw
                result["summary"]["hardened"] = summarize(raw)
            if (not args.skip_speed and not args.speed_only) or args.engine_overhead:
                log("engine overhead: shipped engine vs django.db.backends.mysql")
                try:
                    result["engine_overhead"] = cjson(MAIN, "python3", APP_DIR + "/drive.py",
                                                      "engine", timeout=300,
                                                      env={"BENCH_DB_MODE": "hardened"})
                except RuntimeError as exc:
                    result["engine_overhead"] = str(exc)[:600]
        if not args.keep:
            remove_containers([MAIN])

        if not args.skip_speed and not args.baseline_only and os.path.exists(harden):
            # Three hosts for the forks-3 runs and a fourth, prepared the same way, whose
            # first run alone is timed right after theirs: a first run can happen only
            # once per container, so this is the pair for the first-run ratio, and each
            # further round of it takes 4 new containers.
            names = [PREFIX + "m%d" % i for i in (1, 2, 3)]
            fresh = PREFIX + "m4"
            inv3 = os.path.join(OUT, "inventory-3.yml")
            write_inventory(inv3, names, demand_vars)
            inv_fresh = os.path.join(OUT, "inventory-1-fresh.yml")
            write_inventory(inv_fresh, [fresh], demand_vars)

            def first_runs(suffix=""):
                """One round of the first-run ratios on 4 new containers: harden-db.yml
                on 3 (forks 3), then on the 4th alone, then the one-task playbook there."""
                log("speed: 4 fresh containers")
                fresh_hosts(names + [fresh], pw)
                log("speed: harden-db.yml on 3 hosts, forks 3, then on a 4th fresh host "
                    "alone, then the one-task playbook there")
                on3 = ansible_playbook(inv3, secrets_file, "harden-3%s.log" % suffix, forks=3)
                on1 = ansible_playbook(inv_fresh, secrets_file, "harden-1-fresh%s.log" % suffix)
                one = one_task(inv_fresh, secrets_file, "one-task-fresh%s.log" % suffix)
                return on3, on1, one

            on3, on1, one = first_runs()
            result["speed"]["converge_3"], result["speed"]["converge_1_alone"] = on3, on1
            converge_rounds, converge_one_task_rounds = [pair(on3, on1)], [pair(on1, one)]
            result["speed"]["rerun_3"] = ansible_playbook(inv3, secrets_file,
                                                          "harden-3-rerun.log", forks=3)
            inv1 = os.path.join(OUT, "inventory-1-alone.yml")
            write_inventory(inv1, names[:1], demand_vars)
            log("speed: the same rerun on 1 of those hosts alone")
            result["speed"]["rerun_1_alone"] = ansible_playbook(inv1, secrets_file,
                                                                "harden-1-alone-rerun.log")
            builtins_yml = os.path.join(OUT, "builtins.yml")
            tasks = result["speed"]["rerun_1_alone"]["tasks_per_host"]
            with open(builtins_yml, "w") as fh:
                fh.write(builtins_playbook(tasks))
            result["speed"]["builtins_tasks"] = tasks
            log("speed: %d rounds of the rerun on 3 hosts, then on 1 of them, then the same "
                "with its shape in builtins (%d tasks, %d of them pings)"
                % (ROUNDS, tasks, STAGE_MODULES))
            result["speed"]["hosts_rounds"], result["speed"]["builtins_hosts_rounds"] = \
                interleaved_rounds([
                    (lambda: ansible_playbook(inv3, secrets_file, "harden-3-rerun-round.log",
                                              forks=3),
                     lambda: ansible_playbook(inv1, secrets_file,
                                              "harden-1-alone-rerun-round.log")),
                    (lambda: ansible_playbook(inv3, secrets_file, "builtins-3.log", forks=3,
                                              playbook=builtins_yml),
                     lambda: ansible_playbook(inv1, secrets_file, "builtins-1.log",
                                              playbook=builtins_yml))])
            for _ in range(ROUNDS - 1):
                remove_containers(names + [fresh])
                on3, on1, one = first_runs("-round")
                converge_rounds.append(pair(on3, on1))
                converge_one_task_rounds.append(pair(on1, one))
            result["speed"]["converge_rounds"] = converge_rounds
            result["speed"]["converge_one_task_rounds"] = converge_one_task_rounds
            remove_containers(names + [fresh])
        if not args.skip_speed and not args.speed_only:
            log("speed: bench/globals.py")
            result["speed"]["globals"] = globals_bench()
    except KeyboardInterrupt as exc:
        result["errors"].append("interrupted (%s)" % exc)
        rc = 130
    except Exception as exc:  # report what was measured, then fail
        result["errors"].append(str(exc).splitlines()[0][:300])
        log("ERROR: %s" % exc)
        rc = 1
    finally:
        if args.keep and MAIN in CREATED:
            CREATED.remove(MAIN)
        remove_containers()
    result["run_seconds"] = round(time.monotonic() - STARTED)
    result["loadavg_end"] = [round(x, 1) for x in os.getloadavg()]
    if result["speed"]:
        result["speed"]["ratios"] = speed_ratios(result["speed"])
    names = (("results-speed.json",) if args.speed_only
             else ("results.json", "results-%s.json" % args.suite))
    for fname in names:
        with open(os.path.join(OUT, fname), "w") as fh:
            json.dump(result, fh, indent=2, sort_keys=True)
    try:
        if args.speed_only:
            raise RuntimeError("--speed-only has no fault 3 to draw")
        svg = timeline.write_timeline(OUT)
        log("kill -9 timeline: %s" % os.path.relpath(svg, ROOT))
    except Exception as exc:  # the picture must not cost the numbers
        log("WARNING: no timeline picture: %s" % exc)
    md = markdown(result)
    with open(os.path.join(OUT, "results.md"), "w") as fh:
        fh.write(md)
    print()
    print(md)
    if result["run_seconds"] > RUN_LIMIT_S:
        log("WARNING: the run took %d s, above the %d s budget" % (result["run_seconds"],
                                                                 RUN_LIMIT_S))
    return rc


if __name__ == "__main__":
    sys.exit(main())
