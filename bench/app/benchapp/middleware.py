"""Report database errors of a request as JSON with the MySQL error number.

Only the response body changes: Django still sends request_finished, so
close_old_connections() runs exactly as it does for its own 500 page.
"""
from django.db import Error as DatabaseError  # also InterfaceError
from django.http import JsonResponse

from benchapp.ops import error_code


class DatabaseErrorAsJSON:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError):
            return JsonResponse({"ok": False, "code": error_code(exception),
                                 "error": str(exception)[:200]}, status=500)
        return None
