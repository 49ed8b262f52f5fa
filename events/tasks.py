"""Celery tasks of the events app: thin, they call the services.

`enqueue_deliveries` hands deliveries to the workers; with no broker configured
(`CELERY_TASK_ALWAYS_EAGER`, the embedded default of `make run`) each is sent from a thread
of this process instead, so a slow receiver still never holds up the request that made it.
"""

from __future__ import annotations

import contextvars
import logging
import threading

from celery import shared_task
from django.conf import settings
from django.db import connection

from events import services

logger = logging.getLogger(__name__)


@shared_task(name="events.send_delivery", ignore_result=True)
def send_delivery(delivery_id: int) -> None:
    services.attempt_delivery(delivery_id)


@shared_task(name="events.send_due", ignore_result=True)
def send_due() -> None:
    services.send_due()


def _in_thread(delivery_id: int) -> None:
    try:
        services.attempt_delivery(delivery_id)
    finally:
        connection.close()


def enqueue_deliveries(ids: list[int], *, countdown: float = 0) -> None:
    """Send these deliveries soon (after `countdown` seconds). A broker that does not answer
    loses nothing: the rows stay due and the sweep sends them."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        for delivery_id in ids:
            # In this request's context, so the thread's log lines carry its request id.
            timer = threading.Timer(countdown, contextvars.copy_context().run,
                                    args=(_in_thread, delivery_id))
            timer.daemon = True
            timer.start()
        return
    try:
        for delivery_id in ids:
            send_delivery.apply_async((delivery_id,), countdown=countdown or None, retry=False)
    except Exception:  # the broker is down: the sweep sends them once it is back
        logger.warning("Could not queue webhook deliveries %s; the sweep will send them.",
                       ids, exc_info=True)
