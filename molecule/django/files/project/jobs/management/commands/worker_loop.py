"""A background worker: N jobs, each one query, with idle gaps between them.

--helper wraps every job in steadydb_worker.db_job (close_old_connections before and
after), as a Kafka/rq/cron loop should. Prints one JSON line with the outcome.
"""
import contextlib
import json
import time

from django.core.management.base import BaseCommand
from django.db import Error as DatabaseError, connection

from proj.steadydb_worker import db_job
from proj.views import error_code


def job():
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Run jobs with idle gaps and report failures as JSON"

    def add_arguments(self, parser):
        parser.add_argument("--jobs", type=int, default=3)
        parser.add_argument("--gap", type=float, default=7.0)
        parser.add_argument("--helper", action="store_true")

    def handle(self, *args, **opts):
        results = []
        for number in range(opts["jobs"] + 1):
            if number:
                time.sleep(opts["gap"])
            wrapper = db_job() if opts["helper"] else contextlib.nullcontext()
            try:
                with wrapper:
                    results.append({"ok": True, "connection_id": job()})
            except DatabaseError as exc:
                results.append({"ok": False, "code": error_code(exc), "error": str(exc)[:200]})
        failures = [r for r in results if not r["ok"]]
        self.stdout.write(json.dumps({"jobs": len(results), "failures": len(failures),
                                      "codes": [r["code"] for r in failures],
                                      "results": results}))
