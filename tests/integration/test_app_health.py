"""The health view, manage.py steadydb_health and manage.py steadydb_burnin of the
shipped package in a real Django project against a real MariaDB (no Ansible; the app
is built as in test_app_workers.py).

- every rule holds: 200 / exit 0, with wait_timeout, CONN_MAX_AGE, connections in use,
  the cap, the plan's cap and the server's uptime in the report;
- a broken rule: CONN_MAX_AGE 60 above wait_timeout 2 -> 503 / exit 1 naming it; a live
  cap that is not the plan's -> exit 1;
- burn-in: the declared peak (10) opens under the cap (13); with the cap lowered to 3,
  5 connections give 3 opened and 2 failures 1226; a stopped server gives 2003.
"""
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from test_app_workers import PY, app, app_env, run  # noqa: F401  (app: the module fixture)

pytest.importorskip("django")

SERVE = r'''
import os, sys, wsgiref.simple_server
sys.path.insert(0, os.getcwd())
from proj.wsgi import application

class Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = wsgiref.simple_server.make_server("127.0.0.1", 0, application, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
'''


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def served(app):
    procs = []

    def serve(settings):
        proc = subprocess.Popen([PY, "-c", SERVE], cwd=app["project"], env=app_env(settings),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return int(proc.stdout.readline())

    yield serve
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_health_view_every_rule_holds_and_a_broken_one(app, served):
    status, report = get(served("proj.settings"), "/health/db/")
    assert status == 200, report
    assert report["ok"] and report["broken"] == [] and report["app"] == "web"
    assert report["idle"] == {"ok": True, "wait_timeout": 2, "CONN_MAX_AGE": 1, "idle_close_after": 1}
    assert report["account"]["cap"] == 13 and report["account"]["plan_cap"] == 13
    assert 1 <= report["account"]["in_use"] < 13
    assert report["server"]["uptime"] >= 0 and report["select_1"] == {"ok": True}

    status, report = get(served("proj.settings_long_age"), "/health/db/")
    assert status == 503
    assert report["ok"] is False and report["idle"]["ok"] is False
    assert "CONN_MAX_AGE 60 is not below the server's wait_timeout 2 s" in report["broken"][0]


def test_health_view_on_a_connection_the_server_dropped(app, served):
    # molecule/django found it: after an idle gap the CONN_MAX_AGE 60 baseline's reused
    # connection is gone; the report says so and still names the broken idle rule.
    port = served("proj.settings_long_age")
    assert get(port, "/health/db/")[0] == 503
    time.sleep(3.2)
    status, report = get(port, "/health/db/")
    assert status == 503 and report["stale_connection"] in (2006, 2013, 4031), report
    assert report["select_1"]["ok"] is False
    assert any("is not below the server's wait_timeout" in b for b in report["broken"]), report
    # The rendered settings (the steadydb engine) after the same gap: 200.
    port = served("proj.settings")
    assert get(port, "/health/db/")[0] == 200
    time.sleep(3.2)
    assert get(port, "/health/db/")[0] == 200


def test_health_command_and_cap_drift(app):
    proc = run(app, ["manage.py", "steadydb_health"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True
    app["server"].query("ALTER USER 'web'@'%' WITH MAX_USER_CONNECTIONS 5")
    try:
        proc = run(app, ["manage.py", "steadydb_health"])
    finally:
        app["server"].query("ALTER USER 'web'@'%' WITH MAX_USER_CONNECTIONS 13")
    assert proc.returncode == 1
    assert "the live cap max_user_connections=5 is not the plan's 13" in proc.stderr
    proc = run(app, ["manage.py", "steadydb_health"], settings="proj.settings_long_age")
    assert proc.returncode == 1 and "CONN_MAX_AGE 60 is not below" in proc.stderr


def test_burnin_declared_peak_and_a_cap_hit(app):
    proc = run(app, ["manage.py", "steadydb_burnin"])
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["requested"] == 10 and report["opened"] == 10 and report["failures"] == {}

    app["server"].query("ALTER USER 'web'@'%' WITH MAX_USER_CONNECTIONS 3")
    try:
        proc = run(app, ["manage.py", "steadydb_burnin", "5"])
    finally:
        app["server"].query("ALTER USER 'web'@'%' WITH MAX_USER_CONNECTIONS 13")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["opened"] == 3 and report["failures"] == {"1226": 2}, report
    assert "2 of 5 failed" in proc.stderr


def test_burnin_bounds(app):
    proc = run(app, ["manage.py", "steadydb_burnin", "0"])
    assert proc.returncode != 0 and "must be 1 to 2000" in proc.stderr


def test_burnin_server_down_counts_2003(app, tmp_path):
    # The same settings pointed at a port nobody listens on: every attempt fails fast.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    env = app_env()
    env["DB_PORT"] = str(free)
    started = time.monotonic()
    proc = subprocess.run([PY, "manage.py", "steadydb_burnin", "3"], cwd=app["project"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["failures"] == {"2003": 3}
    # No connect retry in the burn-in (the engine's budget here is 12 s per connect).
    assert time.monotonic() - started < 10
