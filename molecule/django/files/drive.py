#!/usr/bin/env python3
"""Run the worker and web loops of the Django proof at the same time and print one
JSON document: per case the number of failures and their MySQL error numbers.

Cases (the idle gap is longer than the server's wait_timeout):
  worker_helper    rendered settings + steadydb_worker.db_job   -> expect 0 failures
  worker_bare      Django's default settings, no helper         -> expect failures
  worker_engine    rendered settings (steadydb engine), no helper -> expect 0 failures
  worker_settings  rendered settings, Django's engine, no helper -> expect failures
  web_rendered     gunicorn with the rendered settings          -> expect 0 failures
  web_long_age     gunicorn with CONN_MAX_AGE 60 > wait_timeout -> expect failures
Bounded: (jobs + 1) requests or jobs per case, gap seconds apart, all on loopback.
"""
import argparse
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request

PROJECT = "/srv/web"
APP_USER = "webapp"


def worker(settings, helper, jobs, gap):
    cmd = ["runuser", "-u", APP_USER, "--", "env", "DJANGO_SETTINGS_MODULE=" + settings,
           "python3", "manage.py", "worker_loop", "--jobs", str(jobs), "--gap", str(gap)]
    if helper:
        cmd.append("--helper")
    proc = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True,
                          timeout=60 + jobs * gap * 2)
    if proc.returncode != 0:
        return {"error": "exit %d: %s" % (proc.returncode, proc.stderr[-800:])}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def web(port, jobs, gap):
    results = []
    for number in range(jobs + 1):
        if number:
            time.sleep(gap)
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/db/" % port, timeout=30) as resp:
                results.append(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                results.append(json.loads(body))
            except ValueError:
                results.append({"ok": False, "code": None, "error": "HTTP %d" % exc.code})
        except OSError as exc:
            results.append({"ok": False, "code": None, "error": str(exc)})
    failures = [r for r in results if not r["ok"]]
    return {"jobs": len(results), "failures": len(failures),
            "codes": [r["code"] for r in failures], "results": results}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--gap", type=float, default=7.0)
    args = parser.parse_args()
    cases = {
        "worker_helper": (worker, ("proj.settings", True, args.jobs, args.gap)),
        "worker_bare": (worker, ("proj.settings_default", False, args.jobs, args.gap)),
        "worker_engine": (worker, ("proj.settings", False, args.jobs, args.gap)),
        "worker_settings": (worker, ("proj.settings_django_engine", False, args.jobs, args.gap)),
        "web_rendered": (web, (8001, args.jobs, args.gap)),
        "web_long_age": (web, (8002, args.jobs, args.gap)),
    }
    out = {}

    def run(name, func, func_args):
        try:
            out[name] = func(*func_args)
        except Exception as exc:  # reported, and the assertions fail on it
            out[name] = {"error": repr(exc)}

    threads = [threading.Thread(target=run, args=(name, func, func_args))
               for name, (func, func_args) in cases.items()]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
