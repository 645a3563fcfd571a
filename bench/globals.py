#!/usr/bin/env python3
"""How long does applying 10 GLOBAL variables take: one steadydb task vs ten community tasks.

Starts a throwaway mariadbd on 127.0.0.1 (random port, own datadir in a temporary
directory, from the machine's Debian packages), then runs two playbooks against it
through the real ``ansible-playbook`` on localhost, side by side in one run:

- ``mysql_global_variables``: one task, one connection, all 10 variables;
- ``community.mysql.mysql_variables``: ten tasks, one per variable (the module sets one
  variable per call; it ships with the ``ansible`` package).

Each round first sets 10 new values (everything changes), then runs again with the same
values (nothing changes). Rounds alternate the order of the two playbooks. Prints a table
of wall-clock seconds (median and min over the rounds, ansible-playbook start-up
included, which is the same for both) and checks that both really set the values.

Usage: .venv/bin/python bench/globals.py [--rounds N]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# 10 dynamic globals, with two value sets so every "change" run really changes all ten.
VALUE_SETS = [
    {"max_connections": 211, "wait_timeout": 611, "interactive_timeout": 612,
     "net_read_timeout": 41, "net_write_timeout": 81, "thread_cache_size": 21,
     "max_connect_errors": 100001, "table_open_cache": 1201, "max_allowed_packet": 33554432,
     "connect_timeout": 7},
    {"max_connections": 222, "wait_timeout": 622, "interactive_timeout": 623,
     "net_read_timeout": 42, "net_write_timeout": 82, "thread_cache_size": 22,
     "max_connect_errors": 100002, "table_open_cache": 1202, "max_allowed_packet": 67108864,
     "connect_timeout": 8},
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(object):
    def __init__(self, base):
        self.base = base
        self.port = free_port()
        self.datadir = os.path.join(base, "data")
        self.proc = None

    def start(self):
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.datadir,
                        "--auth-root-authentication-method=normal", "--skip-test-db"] + root,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.proc = subprocess.Popen(
            [server, "--no-defaults", "--datadir=" + self.datadir,
             "--socket=" + os.path.join(self.base, "mysqld.sock"), "--port=%d" % self.port,
             "--bind-address=127.0.0.1", "--pid-file=" + os.path.join(self.base, "mysqld.pid"),
             "--log-error=" + os.path.join(self.base, "error.log"),
             "--innodb-buffer-pool-size=32M", "--skip-name-resolve"] + root,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import pymysql
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="",
                                connect_timeout=1).close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.2)
        raise SystemExit("mariadbd did not start (see %s/error.log)" % self.base)

    def globals(self, names):
        import pymysql
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="")
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW GLOBAL VARIABLES")
                rows = dict(cur.fetchall())
        finally:
            conn.close()
        return dict((name, rows[name]) for name in names)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def playbook(kind, values, login):
    if kind == "steadydb":
        tasks = [{"name": "Set 10 globals in one task", "mysql_global_variables":
                  dict(login, variables=values)}]
    else:
        tasks = [{"name": "Set %s" % name, "community.mysql.mysql_variables":
                  dict(login, variable=name, value=str(value))} for name, value in values.items()]
    return [{"name": "bench %s" % kind, "hosts": "localhost", "gather_facts": False,
             "tasks": tasks}]


def run(path, tmp):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=" + sys.executable, path]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("playbook failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
    data = json.loads(proc.stdout[proc.stdout.find("{"):])
    stats = data["stats"]["localhost"]
    return elapsed, stats.get("changed", 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("mariadb-install-db"):
        raise SystemExit("mariadb-server is not installed (make deps installs it)")

    tmp = tempfile.mkdtemp(prefix="steadydb-bench-")
    server = Server(tmp)
    try:
        server.start()
        login = {"login_host": "127.0.0.1", "login_port": server.port, "login_user": "root",
                 "login_password": "", "config_file": ""}
        times = dict(((kind, phase), []) for kind in ("steadydb", "community")
                     for phase in ("change", "nochange"))
        changed = {}
        step = 0
        for round_ in range(args.rounds):
            order = ("steadydb", "community") if round_ % 2 == 0 else ("community", "steadydb")
            for kind in order:
                values = VALUE_SETS[step % 2]
                step += 1
                path = os.path.join(tmp, "%s-%d.yml" % (kind, step))
                with open(path, "w") as handle:
                    json.dump(playbook(kind, values, login), handle)
                for phase in ("change", "nochange"):
                    elapsed, count = run(path, tmp)
                    times[(kind, phase)].append(elapsed)
                    changed[(kind, phase)] = count
                live = server.globals(values)
                if any(str(live[n]) != str(v) for n, v in values.items()):
                    raise SystemExit("%s did not set the values: %s" % (kind, live))

        rows = [("module", "tasks", "phase", "changed", "median s", "min s")]
        for kind, tasks in (("steadydb", 1), ("community", 10)):
            for phase in ("change", "nochange"):
                series = times[(kind, phase)]
                name = ("mysql_global_variables" if kind == "steadydb"
                        else "community.mysql.mysql_variables")
                rows.append((name, str(tasks), phase, str(changed[(kind, phase)]),
                             "%.2f" % statistics.median(series), "%.2f" % min(series)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        print("Applying 10 GLOBAL variables to MariaDB %s on 127.0.0.1, %d rounds"
              % (server.globals(["version"])["version"], args.rounds))
        for i, row in enumerate(rows):
            print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
            if i == 0:
                print("  ".join("-" * w for w in widths))
        one = statistics.median(times[("steadydb", "change")])
        ten = statistics.median(times[("community", "change")])
        print("ratio (change): community / steadydb = %.1fx" % (ten / one))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
