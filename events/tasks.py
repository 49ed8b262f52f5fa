"""Celery tasks of the events app: thin, they call the services.

`send_due` drains what is due (the sweep runs it periodically; `services.nudge` asks for it
after commit). With no broker configured (`CELERY_TASK_ALWAYS_EAGER`, the embedded default of
`make run`) a drain runs in a thread of this process instead, so a slow receiver still never
holds up the request that made the delivery.
"""

from __future__ import annotations

import contextvars
import logging
import threading

from celery import shared_task
from django.conf import settings
from django.db import connection

from events import services
from events.transport import kept_poster

logger = logging.getLogger(__name__)


@shared_task(name="events.send_due", ignore_result=True)
def send_due() -> None:
    services.send_due()


def _drain_in_thread() -> None:
    try:
        services.send_due()
    finally:
        kept_poster().close()  # this thread ends here
        connection.close()


def drain_later(*, countdown: float = 0) -> None:
    """Drain due deliveries in `countdown` seconds. A broker that does not answer loses
    nothing: the rows stay due and the sweep sends them."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In this request's context, so the thread's log lines carry its request id.
        timer = threading.Timer(countdown, contextvars.copy_context().run,
                                args=(_drain_in_thread,))
        timer.daemon = True
        timer.start()
        return
    try:
        send_due.apply_async(countdown=countdown or None, retry=False)
    except Exception:  # the broker is down: the sweep sends them once it is back
        logger.warning("Could not ask for a drain of webhook deliveries; the sweep will "
                       "send them.", exc_info=True)
