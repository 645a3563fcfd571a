from django.urls import path

from . import views
from .steadydb_app.health import health_view

urlpatterns = [path("db/", views.db), path("health/db/", health_view)]
