"""rq: one line to give every job a fresh connection after an idle gap.

rq's default ``Worker`` forks a new process per job, which starts with no connection.
Its ``SimpleWorker`` (no fork: Windows, containers that forbid fork, speed) runs every
job in the same process, so a connection the server dropped while the worker idled
fails the next job with 2006/2013. Use either::

    rq worker --worker-class myproject.steadydb_app.rq_worker.SteadydbWorker
    rq worker --job-class myproject.steadydb_app.rq_worker.SteadydbJob   # any worker class

Each job then runs inside worker.db_job: between two close_old_connections() calls
(skipped inside an atomic block), with the worker's connect-retry budget.
"""
from rq.job import Job
from rq.worker import SimpleWorker

from .worker import DbJob

__all__ = ["SteadydbJob", "SteadydbWorker"]


class SteadydbJob(Job):
    """An rq Job whose perform() closes stale Django connections before and after."""

    def perform(self):
        with DbJob():
            return super().perform()


class SteadydbWorker(SimpleWorker):
    """rq's SimpleWorker (no fork) running SteadydbJob."""

    job_class = SteadydbJob
