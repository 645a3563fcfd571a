"""Connection hygiene for Django code that runs outside HTTP requests.

Django closes stale connections only when a request starts and ends
(``close_old_connections`` on request_started/request_finished). A Kafka consumer, an
rq SimpleWorker or a cron loop never sends those signals, so after an idle gap longer
than the server's wait_timeout its next query fails with (2006, 'MySQL server has gone
away') or (2013, 'Lost connection ...'), whatever CONN_MAX_AGE says. Treat each job
like a request::

    from myproject.steadydb_worker import db_job

    for message in consumer:              # may block for hours between messages
        with db_job():                    # close_old_connections() before and after
            handle(message)

    @db_job                               # a job function, sync or ``async def``
    def refresh_totals(account_id): ...

    async with db_job():                  # in async code
        await handle(message)

Before the job a connection older than CONN_MAX_AGE, or one that had an error, is
closed (with CONN_HEALTH_CHECKS the next query pings first); Django opens a new one on
demand. After the job the same check runs. Exceptions of the job propagate unchanged.

Inside an atomic block (``transaction.atomic()``, Django's ``TestCase``) it does
nothing for that connection, as Django's request handling does: closing there would
break the transaction (``Cannot operate on a closed database``).

Not needed with Celery (its DjangoWorkerFixup does this around every task), with
django_dramatiq (DbConnectionsMiddleware) or with rq's forking Worker (a new process
per job); needed with rq's SimpleWorker (``rq_worker``), plain dramatiq
(``dramatiq_middleware``), consumer loops, cron loops and long-lived scripts. With the
steadydb engine (``backend``, the rendered default) an idle gap alone no longer breaks
a worker; db_job still marks job boundaries: a connection left broken by a job is
dropped at once, and connects inside a job get the worker's longer retry budget.
"""
import contextlib
import functools
import inspect

from django.db import connections

from . import retry

__all__ = ["DbJob", "db_job", "db_job_iter", "close_old_connections"]


def close_old_connections(**kwargs):
    """Django's close_old_connections, skipping connections inside an atomic block."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        conn.close_if_unusable_or_obsolete()


async def aclose_old_connections():
    """close_old_connections for async code: runs in the thread that owns the ORM's
    connections (sync_to_async, thread-sensitive), like every ORM call from async code."""
    from asgiref.sync import sync_to_async

    await sync_to_async(close_old_connections, thread_sensitive=True)()


class DbJob(contextlib.ContextDecorator, contextlib.AbstractAsyncContextManager):
    """Context manager (``with``/``async with``) and decorator of sync and async
    functions: close_old_connections() before and after a job. Inside, opening a
    connection gets the worker's connect-retry budget (retry.py), not the web one."""

    def __init__(self):
        self._tokens = []

    def _begin(self):
        self._tokens.append(retry.KIND.set("worker"))

    def _end(self):
        retry.KIND.reset(self._tokens.pop())

    def __enter__(self):
        self._begin()
        close_old_connections()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            close_old_connections()
        finally:
            self._end()
        return False

    async def __aenter__(self):
        self._begin()
        await aclose_old_connections()
        return self

    async def __aexit__(self, exc_type, exc, tb):
        try:
            await aclose_old_connections()
        finally:
            self._end()
        return False

    def __call__(self, func):
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def wrapper(*args, **kwargs):
                async with DbJob():
                    return await func(*args, **kwargs)
            return wrapper
        return super().__call__(func)


def db_job(func=None):
    """``with db_job():``, ``async with db_job():``, ``@db_job`` or ``@db_job()``."""
    if func is None:
        return DbJob()
    return DbJob()(func)


def db_job_iter(iterable):
    """Yield the items of a (blocking) iterable, each inside db_job()::

        for message in db_job_iter(consumer):
            handle(message)

    The job ends when the loop asks for the next item (or the loop is left).
    """
    for item in iterable:
        with db_job():
            yield item
