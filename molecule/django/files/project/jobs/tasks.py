"""Job functions for the rq and dramatiq proofs: one query, the connection's id."""
from django.db import connection


def connection_id():
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]
