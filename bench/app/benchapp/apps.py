from django.apps import AppConfig


class BenchappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "benchapp"
