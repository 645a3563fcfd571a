#!/usr/bin/env python3
"""Test project of the molecule/django scenario (stands in for a deployed Django app)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
