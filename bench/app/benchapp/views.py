"""The one view of the benchmark app."""
from django.http import JsonResponse

from benchapp.ops import unit_of_work


def op(request):
    return JsonResponse({"ok": True, "rows": unit_of_work("web")})
