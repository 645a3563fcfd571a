from django.db import Error as DatabaseError, connection
from django.http import JsonResponse


def error_code(exc):
    """The MySQL error number of a Django DatabaseError (2006, 2013, ...), or None."""
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def db(request):
    """One query; a database error (django.db.Error) becomes a 503 with its MySQL error number."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT CONNECTION_ID()")
            connection_id = cursor.fetchone()[0]
    except DatabaseError as exc:
        return JsonResponse({"ok": False, "code": error_code(exc), "error": str(exc)[:200]},
                            status=503)
    return JsonResponse({"ok": True, "connection_id": connection_id})
