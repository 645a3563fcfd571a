"""manage.py steadydb_burnin [N]: open up to N connections at once (default: the plan's
declared peak), report failures by MySQL error number as JSON; exit 1 on any failure."""
import json

from django.core.management.base import BaseCommand, CommandError

from ... import registered
from ...burnin import MAX_CONNECTIONS, burn_in


class Command(BaseCommand):
    help = "Open up to the declared peak of connections at once and count failures by error number."

    def add_arguments(self, parser):
        parser.add_argument("connections", nargs="?", type=int,
                            help="how many (1 to %d) [the plan's declared peak]" % MAX_CONNECTIONS)
        parser.add_argument("--database", default="default", help="the DATABASES alias [default]")
        parser.add_argument("--deadline", type=float, default=60.0, help="seconds in total [60]")

    def handle(self, *args, **options):
        n = options["connections"]
        if n is None:
            n = (registered().get("limits") or {}).get("demand")
            if not n:
                raise CommandError("steadydb burn-in: no declared peak in the plan data; pass N")
        try:
            report = burn_in(n, options["database"], options["deadline"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(report, sort_keys=True))
        if not report["ok"]:
            raise CommandError("steadydb burn-in: %d of %d failed %s" % (
                sum(report["failures"].values()), report["tried"], report["failures"]), returncode=1)
