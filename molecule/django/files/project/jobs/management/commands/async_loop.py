"""An asyncio worker: N ``async def`` jobs, each one ORM query through sync_to_async,
with idle gaps between them. --helper decorates the job with steadydb_worker.db_job
(which runs close_old_connections through sync_to_async). Prints one JSON line."""
import asyncio
import json

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand
from django.db import Error as DatabaseError

from jobs.tasks import connection_id
from proj.steadydb_worker import db_job
from proj.views import error_code


async def job():
    return await sync_to_async(connection_id)()


class Command(BaseCommand):
    help = "Run async jobs with idle gaps and report failures as JSON"

    def add_arguments(self, parser):
        parser.add_argument("--jobs", type=int, default=3)
        parser.add_argument("--gap", type=float, default=7.0)
        parser.add_argument("--helper", action="store_true")

    def handle(self, *args, **opts):
        run = db_job(job) if opts["helper"] else job

        async def main():
            results = []
            for number in range(opts["jobs"] + 1):
                if number:
                    await asyncio.sleep(opts["gap"])
                try:
                    results.append({"ok": True, "connection_id": await run()})
                except DatabaseError as exc:
                    results.append({"ok": False, "code": error_code(exc), "error": str(exc)[:200]})
            return results

        results = asyncio.run(main())
        failures = [r for r in results if not r["ok"]]
        self.stdout.write(json.dumps({"jobs": len(results), "failures": len(failures),
                                      "codes": [r["code"] for r in failures], "results": results}))
