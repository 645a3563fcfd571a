"""Fault 1: a long-running background worker (rq/Kafka consumer style).

It runs one job, sits idle for --gap seconds (longer than the server's wait_timeout),
then runs --jobs more jobs --spacing seconds apart, and prints one JSON line.

baseline: the worker does what field reports 02 and 03 describe: it never calls
close_old_connections(), so its connection from before the gap is reused.
hardened: every job runs inside the helper steadydb renders next to the settings
(benchsite/steadydb_worker.py), unchanged.
"""
import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from benchapp.ops import DatabaseError, error_code, unit_of_work


def job_runner():
    """Return run(fn) that executes one job the way the current mode does."""
    if settings.BENCH_DB_MODE != "hardened":
        return lambda fn: fn()
    from benchsite.steadydb_worker import db_job  # rendered by steadydb

    def run(fn):
        # The helper's documented consumer-loop form: one `with db_job():` per job.
        with db_job():
            return fn()
    return run


class Command(BaseCommand):
    help = "Run jobs before and after an idle gap; print failures as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--gap", type=float, default=12.0)
        parser.add_argument("--jobs", type=int, default=5)
        parser.add_argument("--spacing", type=float, default=0.5)

    def handle(self, *args, **opts):
        run = job_runner()
        jobs = max(1, min(opts["jobs"], 100))
        results = []

        def one(label):
            started = time.monotonic()
            try:
                run(lambda: unit_of_work(label))
                results.append({"label": label, "ok": True})
            except DatabaseError as exc:
                results.append({"label": label, "ok": False, "code": error_code(exc)})
            return time.monotonic() - started

        one("warmup")
        time.sleep(min(opts["gap"], 120))
        for i in range(jobs):
            one("after-gap-%d" % i)
            time.sleep(min(opts["spacing"], 5))
        after = [r for r in results if r["label"] != "warmup"]
        codes = {}
        for r in after:
            if not r["ok"]:
                codes[r["code"]] = codes.get(r["code"], 0) + 1
        self.stdout.write(json.dumps({
            "warmup_ok": results[0]["ok"],
            "ops": len(after),
            "failed": sum(1 for r in after if not r["ok"]),
            "codes": codes,
        }))
