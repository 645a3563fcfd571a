"""Faults 4 and 5: the app opens its declared peak of connections at once.

--connections threads each open their own Django connection (Django keeps one per
thread), run one query and hold the connection until every thread has tried, so the
server sees the whole peak at the same moment. Prints one JSON line.
"""
import json
import threading
import time

from django.core.management.base import BaseCommand
from django.db import connections

from benchapp.ops import DatabaseError, error_code


class Command(BaseCommand):
    help = "Open N connections at once through Django; print failures as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--connections", type=int, default=100)
        parser.add_argument("--hold", type=float, default=1.0)
        parser.add_argument("--deadline", type=float, default=60.0)

    def handle(self, *args, **opts):
        n = max(1, min(opts["connections"], 1000))
        deadline = min(opts["deadline"], 120.0)
        release = threading.Event()
        start = threading.Barrier(n + 1)
        lock = threading.Lock()
        tried = [0]
        results = []

        def worker():
            try:
                start.wait(timeout=deadline)
            except threading.BrokenBarrierError:
                pass
            conn = connections["default"]
            outcome = {"ok": True}
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
            except DatabaseError as exc:
                outcome = {"ok": False, "code": error_code(exc)}
            with lock:
                results.append(outcome)
                tried[0] += 1
            release.wait(timeout=deadline)
            try:
                conn.close()
            except DatabaseError:
                pass

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(n)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        try:
            start.wait(timeout=deadline)
        except threading.BrokenBarrierError:
            pass
        while time.monotonic() - t0 < deadline:
            with lock:
                if tried[0] >= n:
                    break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        time.sleep(min(opts["hold"], 10))
        release.set()
        for t in threads:
            t.join(timeout=10)
        codes = {}
        for r in results:
            if not r["ok"]:
                codes[r["code"]] = codes.get(r["code"], 0) + 1
        self.stdout.write(json.dumps({
            "ops": n,
            "answered": len(results),
            "failed": n - sum(1 for r in results if r["ok"]),
            "codes": codes,
            "open_seconds": round(elapsed, 2),
        }))
