#!/usr/bin/env python3
"""In-container driver of the benchmark faults (runs as `python3 drive.py FAULT`).

Everything here talks to 127.0.0.1 / the unix socket of the container it runs in, and
every loop is bounded in count and in time. Each subcommand prints one JSON line.

  idle     faults 1 + 2: a worker and the web app, both idle longer than wait_timeout
  kill     fault 3: kill -9 of the server (mariadbd or mysqld) under a steady web load
  flood    fault 4: the app opens its declared peak of connections at once
  runaway  fault 5: a second app leaks connections, then the first opens its peak
  engine   not a fault: per-query cost of steadydb's Django engine vs Django's stock one
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
URL = "http://127.0.0.1:8000/op/"


def request(timeout=10.0):
    """One web operation: (ok, code)."""
    try:
        with urllib.request.urlopen(URL, timeout=timeout) as resp:
            json.loads(resp.read() or b"{}")
            return True, None
    except urllib.error.HTTPError as exc:
        try:
            code = json.loads(exc.read() or b"{}").get("code") or "http-%d" % exc.code
        except ValueError:
            code = "http-%d" % exc.code
        return False, str(code)
    except (urllib.error.URLError, OSError) as exc:
        return False, "http-" + type(getattr(exc, "reason", exc)).__name__


def summarize(outcomes):
    codes = {}
    for ok, code in outcomes:
        if not ok:
            codes[code] = codes.get(code, 0) + 1
    return {"ops": len(outcomes), "failed": sum(codes.values()), "codes": codes}


def burst(total, concurrency):
    """total requests with `concurrency` clients in parallel."""
    outcomes, lock = [], threading.Lock()
    left = [min(total, 1000)]

    def client():
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            result = request()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=client) for _ in range(max(1, min(concurrency, 32)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def manage(*args, stdin=None):
    return [sys.executable, os.path.join(HERE, "manage.py")] + list(args)


def wait_web(limit=30.0):
    """Wait (bounded) until the web app answers at all (any HTTP status)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        ok, code = request(timeout=2)
        if ok or not str(code).startswith("http-") or str(code).startswith("http-5"):
            return True
        time.sleep(0.2)
    return False


def fault_idle(args):
    worker = subprocess.Popen(manage("bench_worker", "--gap", str(args.gap), "--jobs",
                                     str(args.jobs), "--spacing", "0.5"),
                              cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(os.environ, BENCH_CONN_MAX_AGE="0"))
    t0 = time.monotonic()
    warm = burst(args.warm, 6)
    time.sleep(max(0.0, args.gap - (time.monotonic() - t0)) + 0.5)
    web = burst(args.requests, 3)
    try:
        out, err = worker.communicate(timeout=args.gap + 120)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, err = worker.communicate()
    try:
        wres = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        wres = {"ops": args.jobs, "failed": args.jobs, "codes": {"worker-crashed": 1},
                "stderr": err.decode()[-400:]}
    return {"worker": wres, "web": summarize(web), "web_warmup": summarize(warm)}


# The server's unit: MariaDB's or Oracle MySQL's (a unit that does not exist shows
# MainPID 0).
UNITS = ("mariadb.service", "mysql.service")


def mysqld_pid():
    for unit in UNITS:
        out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", unit],
                             capture_output=True, text=True, check=False).stdout.strip()
        if int(out or 0) > 0:
            return int(out)
    return 0


def percentile(values, pct):
    """Nearest-rank percentile (pct 0..100) of a list; None when empty."""
    values = sorted(values)
    if not values:
        return None
    rank = max(1, -(-len(values) * pct // 100))  # ceil(n * pct / 100), at least 1
    return values[int(min(rank, len(values))) - 1]


def fault_kill(args):
    interval = 1.0 / max(0.5, min(args.rate, 50))
    events = []  # (t, ok, code), t = when the request ended, relative to the kill
    requests = []  # (start, latency, ok, code) of every request, start in monotonic time
    t_start = time.monotonic()
    killed_at = None
    pid = None
    first_ok = None
    last_fail = None
    while True:
        now = time.monotonic()
        if killed_at is None and now - t_start >= args.before:
            pid = mysqld_pid()
            if pid <= 0:
                return {"error": "the server's unit has no main PID before the kill"}
            kill_wall = time.time()
            os.kill(pid, 9)
            killed_at = time.monotonic()
        began = time.monotonic()
        ok, code = request(timeout=10)
        t = time.monotonic()
        requests.append((began, t - began, ok, code))
        if killed_at is not None:
            rel = t - killed_at
            events.append((rel, ok, code))
            if ok and first_ok is None:
                first_ok = rel
            if not ok:
                last_fail = rel
            if first_ok is not None and rel - max(first_ok, last_fail or 0) >= args.settle:
                break
            if rel > args.max:
                break
        time.sleep(max(0.0, interval - (time.monotonic() - now)))
    after = [(ok, code) for _, ok, code in events]
    result = summarize(after)
    # Every request as a point: start relative to the kill (negative: before it),
    # latency, ok, error code. bench/timeline.py draws them.
    points = [{"t": round(began - killed_at, 3), "latency_s": round(lat, 4), "ok": ok,
               "code": code} for began, lat, ok, code in requests]
    # The extra latency during the restart: requests that started between the kill and
    # the end of the first success, and succeeded (they waited for the server instead
    # of failing). Compared with the requests before the kill.
    waited = [p["latency_s"] for p in points
              if p["ok"] and first_ok is not None and 0 <= p["t"] <= first_ok]
    before = [p["latency_s"] for p in points if p["t"] < 0 and p["ok"]]
    result.update({
        "recovery_s": None if first_ok is None else round(first_ok, 2),
        "last_failure_s": None if last_fail is None else round(last_fail, 2),
        "failed_after_first_success": sum(1 for rel, ok, _ in events
                                          if not ok and first_ok is not None and rel > first_ok),
        "rate_per_s": args.rate,
        "old_pid": pid,
        "new_pid": mysqld_pid(),
        "points": points,
        "waited_ok": len(waited),
        "waited_p50_ms": None if not waited else round(percentile(waited, 50) * 1000),
        "waited_p99_ms": None if not waited else round(percentile(waited, 99) * 1000),
        "before_p50_ms": None if not before else round(percentile(before, 50) * 1000, 1),
    })
    result.update(restart_timeline(kill_wall))
    return result


def restart_timeline(kill_wall):
    """Where the recovery time goes, from the journal: seconds after the kill at which
    systemd scheduled the restart (RestartSec) and the server said it was ready
    (mariadbd logs to the journal; Oracle MySQL logs to its error log file, so there
    systemd's own "Started" line of the Type=notify unit marks it ready)."""
    proc = subprocess.run(["journalctl", "-o", "json", "--no-pager",
                           "--since", "@%d" % int(kill_wall - 1)],
                          capture_output=True, text=True, check=False, timeout=30)
    marks = {}
    for line in proc.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        msg = entry.get("MESSAGE")
        if not isinstance(msg, str):
            continue
        t = int(entry.get("__REALTIME_TIMESTAMP", 0)) / 1e6 - kill_wall
        if t < 0:
            continue
        for key, needle in (("restart_scheduled_s", "Scheduled restart job"),
                            ("mariadbd_started_s", "Starting MariaDB"),
                            ("mariadbd_started_s", "Starting mysql.service"),
                            ("mariadbd_ready_s", "ready for connections"),
                            ("mariadbd_ready_s", "Started mysql.service")):
            if needle in msg and key not in marks:
                marks[key] = round(t, 2)
    return marks


def run_json(cmd, timeout):
    proc = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=timeout,
                          check=False)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "rc=%d %s" % (proc.returncode, proc.stderr[-400:])}


def fault_flood(args):
    return run_json(manage("bench_flood", "--connections", str(args.connections),
                           "--hold", "1"), timeout=150)


def fault_runaway(args):
    runaway = subprocess.Popen([sys.executable, os.path.join(HERE, "runaway.py"),
                                "--attempts", str(args.attempts), "--hold", "120"],
                               cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = runaway.stdout.readline()
        try:
            leak = json.loads(line)
        except ValueError:
            leak = {"error": line + runaway.stderr.read()[-400:] if runaway.poll() is not None
                    else line}
        app = fault_flood(args)
    finally:
        try:
            runaway.stdin.close()
            runaway.wait(timeout=30)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            runaway.kill()
    return {"runaway": leak, "app": app}


def fault_engine(args):
    """Issue 16: per-query cost of the engine steadydb renders (its ENGINE, usually
    "<project>.steadydb_app.backend") against Django's stock django.db.backends.mysql,
    same settings otherwise, same process, same server. Each round runs N x `SELECT 1`
    through a Django cursor on each engine, the order alternating (ABBA), so drift of
    the machine hits both alike. Needs the hardened settings (BENCH_DB_MODE=hardened)."""
    import copy
    sys.path.insert(0, HERE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    from benchsite import settings as site  # the rendered DATABASES, before setup()
    shipped = site.DATABASES["default"]
    stock = copy.deepcopy(shipped)
    stock["ENGINE"] = "django.db.backends.mysql"
    site.DATABASES["stock"] = stock
    import django
    django.setup()
    from django.db import connections

    def per_query_us(alias, n):
        conn = connections[alias]
        t0 = time.perf_counter()
        for _ in range(n):
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
        return (time.perf_counter() - t0) / n * 1e6

    for alias in ("default", "stock"):
        per_query_us(alias, 200)  # connect and warm up
    rounds = {"default": [], "stock": []}
    for i in range(args.rounds):
        order = ("default", "stock") if i % 2 == 0 else ("stock", "default")
        for alias in order:
            rounds[alias].append(per_query_us(alias, args.queries))
    med_shipped = percentile(rounds["default"], 50)
    med_stock = percentile(rounds["stock"], 50)
    # Paired by round (the two engines ran back to back): the noise of a shared machine
    # is far larger than the difference, so say how large (standard error of the mean).
    diffs = [a - b for a, b in zip(rounds["default"], rounds["stock"])]
    mean = sum(diffs) / len(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / max(1, len(diffs) - 1)
    return {"engine": shipped["ENGINE"], "stock_engine": stock["ENGINE"],
            "queries_per_round": args.queries, "rounds": args.rounds,
            "shipped_us_each": [round(x, 1) for x in rounds["default"]],
            "stock_us_each": [round(x, 1) for x in rounds["stock"]],
            "shipped_us": round(med_shipped, 1), "stock_us": round(med_stock, 1),
            "overhead_us": round(med_shipped - med_stock, 1),
            "paired_diff_us_mean": round(mean, 1),
            "paired_diff_us_stderr": round((var / len(diffs)) ** 0.5, 1),
            "ratio": round(med_shipped / med_stock, 3)}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="fault", required=True)
    p = sub.add_parser("idle")
    p.add_argument("--gap", type=float, default=12.0)
    p.add_argument("--jobs", type=int, default=5)
    p.add_argument("--warm", type=int, default=18)
    p.add_argument("--requests", type=int, default=30)
    p = sub.add_parser("kill")
    p.add_argument("--rate", type=float, default=5.0)
    p.add_argument("--before", type=float, default=2.0)
    p.add_argument("--settle", type=float, default=3.0)
    p.add_argument("--max", type=float, default=45.0)
    p = sub.add_parser("flood")
    p.add_argument("--connections", type=int, default=100)
    p = sub.add_parser("runaway")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--attempts", type=int, default=300)
    p = sub.add_parser("engine")
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=20)
    sub.add_parser("waitweb")
    args = parser.parse_args()
    if args.fault == "waitweb":
        result = {"web": wait_web()}
    else:
        result = {"idle": fault_idle, "kill": fault_kill, "flood": fault_flood,
                  "runaway": fault_runaway, "engine": fault_engine}[args.fault](args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
