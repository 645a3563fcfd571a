"""manage.py steadydb_health: the health view's checks, as JSON; exit 1 when a rule is broken."""
import json

from django.core.management.base import BaseCommand, CommandError

from ...health import check


class Command(BaseCommand):
    help = "Check the database as steadydb planned it (SELECT 1, wait_timeout, account cap, uptime)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="the DATABASES alias [default]")

    def handle(self, *args, **options):
        report = check(options["database"])
        self.stdout.write(json.dumps(report, sort_keys=True))
        if not report["ok"]:
            raise CommandError("steadydb health: " + "; ".join(report["broken"]), returncode=1)
