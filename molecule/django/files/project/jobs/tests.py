"""db_job inside Django's TestCase (every test runs in an atomic block): the test's
connection stays open and usable, sync and async."""
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.test import TestCase

from jobs.tasks import connection_id
from proj.steadydb_worker import db_job


class DbJobInsideTestCase(TestCase):
    def test_sync_job_keeps_the_test_connection(self):
        before = connection_id()
        with db_job():
            inside = connection_id()
        self.assertEqual(before, inside)
        self.assertEqual(connection_id(), before)
        self.assertTrue(connection.in_atomic_block)

    def test_decorated_job_keeps_the_test_connection(self):
        @db_job
        def job():
            return connection_id()

        self.assertEqual(job(), connection_id())

    def test_async_job_keeps_the_test_connection(self):
        before = connection_id()

        @db_job
        async def job():
            return await sync_to_async(connection_id)()

        self.assertEqual(async_to_sync(job)(), before)
        self.assertEqual(connection_id(), before)
