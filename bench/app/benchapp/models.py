from django.db import models


class Item(models.Model):
    """One row per operation: every web request and every job reads and writes it."""

    name = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
