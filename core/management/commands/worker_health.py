"""`manage.py worker_health [--worker NAME] [--timeout SECONDS]`: exit 0 when a Celery worker
(or the one named, e.g. `celery@$HOSTNAME` in that worker's own probe) answers a ping through
the broker within the timeout, else exit 1 saying why. For orchestrators' worker probes and
for operators; the web processes' own probes are `/healthz` and `/readyz`."""

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Exit 0 when a Celery worker answers a ping within the timeout, else 1."

    def add_arguments(self, parser):
        parser.add_argument("--worker", action="append", default=[],
                            help="Only this worker (its node name, celery@host); repeatable.")
        parser.add_argument("--timeout", type=float, default=2.0,
                            help="Seconds to wait for answers (default 2).")

    def handle(self, *args, worker: list[str], timeout: float, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("No broker is configured (CELERY_BROKER_URL): tasks run in the "
                               "web process, there are no workers to ask.")
        try:
            answers = current_app.control.ping(destination=worker or None, timeout=timeout)
        except Exception as exc:  # the broker does not answer
            raise CommandError(f"The broker did not answer: {type(exc).__name__}: {exc}") \
                from exc
        alive = sorted(name for answer in answers for name, reply in answer.items()
                       if reply.get("ok") == "pong")
        if not alive:
            wanted = ", ".join(worker) if worker else "any worker"
            raise CommandError(f"No answer from {wanted} within {timeout:g} s.")
        self.stdout.write(f"{len(alive)} worker(s) answered: {', '.join(alive)}")
