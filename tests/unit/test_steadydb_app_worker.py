"""steadydb_app.worker without Ansible and without a server: Django on SQLite.

- outside an atomic block, db_job closes an obsolete connection before and after a job
  (sync, decorator, async context manager, async decorator);
- inside an atomic block (Django's TestCase wraps every test in one) it leaves the
  connection alone; Django's own close_old_connections there breaks the transaction
  (the defect of the old helper, reproduced as the baseline).
"""
import asyncio
import os
import sys

import pytest

FILES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "roles", "django_db_settings", "files")
sys.dont_write_bytecode = True
sys.path.insert(0, FILES)

django = pytest.importorskip("django")
from django.conf import settings  # noqa: E402

if not settings.configured:
    import tempfile

    # A file, not ":memory:": Django never closes an in-memory SQLite connection.
    _DB = os.path.join(tempfile.mkdtemp(prefix="steadydb-worker-"), "db.sqlite3")
    settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DB,
                                              "CONN_MAX_AGE": 0}},
                       INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from django.db import close_old_connections as django_close_old_connections  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.transaction import TransactionManagementError  # noqa: E402

from steadydb_app import worker  # noqa: E402


def raw_id():
    connection.ensure_connection()
    return id(connection.connection)


@pytest.fixture(autouse=True)
def fresh():
    connection.close()
    yield
    connection.close()


def test_obsolete_connection_closed_before_and_after():
    raw_id()  # CONN_MAX_AGE 0: obsolete as soon as a job boundary checks it
    with worker.db_job():
        assert connection.connection is None
        raw_id()
    assert connection.connection is None


def test_decorator_sync_and_exceptions_propagate():
    @worker.db_job
    def job():
        raw_id()
        raise KeyError("boom")

    with pytest.raises(KeyError):
        job()
    assert connection.connection is None


def test_async_context_manager_and_decorator():
    async def query():
        return await sync_to_async(raw_id)()

    @worker.db_job
    async def decorated():
        return await query()

    async def main():
        await sync_to_async(raw_id)()
        async with worker.db_job():
            closed_inside = await sync_to_async(lambda: connection.connection is None)()
            await query()
        closed_after = await sync_to_async(lambda: connection.connection is None)()
        value = await decorated()
        return closed_inside, closed_after, value

    closed_inside, closed_after, value = asyncio.run(main())
    assert closed_inside and closed_after and value
    assert asyncio.iscoroutinefunction(worker.db_job(query))


def test_inside_atomic_block_the_connection_is_kept():
    with transaction.atomic():
        before = raw_id()
        with worker.db_job():
            assert raw_id() == before
        assert raw_id() == before
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")


def test_baseline_django_close_old_connections_breaks_the_atomic_block():
    # SQLite: "Cannot operate on a closed database" (the report); MariaDB:
    # TransactionManagementError (tests/integration/test_app_workers.py).
    with pytest.raises((TransactionManagementError, django.db.Error), match="closed database|atomic"):
        with transaction.atomic():
            raw_id()
            django_close_old_connections()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")


def test_db_job_iter():
    seen = []
    for item in worker.db_job_iter([1, 2]):
        raw_id()
        seen.append(item)
    assert seen == [1, 2] and connection.connection is None


def test_jobs_get_the_worker_connect_budget():
    from steadydb_app import retry

    assert retry.KIND.get() == "web"
    with worker.db_job():
        assert retry.KIND.get() == "worker"
        with worker.db_job():
            assert retry.KIND.get() == "worker"
        assert retry.KIND.get() == "worker"
    assert retry.KIND.get() == "web"

    @worker.db_job
    async def job():
        return retry.KIND.get(), await sync_to_async(retry.KIND.get)()

    assert asyncio.run(job()) == ("worker", "worker")
    assert retry.KIND.get() == "web"
