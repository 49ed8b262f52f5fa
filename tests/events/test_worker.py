"""A Celery worker yields the CPU to the web server it shares a machine with: it runs at
WORKER_NICE, every thread and process of it (Linux keeps a niceness per thread) and its
session's scheduling group (it leads a session of its own here)."""

import os
from pathlib import Path

import pytest

from bench.run import process_tree
from bench.webhooks import wait_for
from events.models import Delivery, DeliveryStatus, EventKind
from redemptions import services
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.postgres


def niceness(task: Path) -> int:
    # /proc/<pid>/task/<tid>/stat: the 19th field, the 17th after "pid (name)"
    return int((task / "stat").read_text().rpartition(")")[2].split()[16])


def delivered_once(receiver) -> None:
    endpoint = WebhookEndpointFactory(url=receiver().url, kinds=[EventKind.CODE_REDEEMED])
    services.redeem(CodeFactory().code, UserFactory())
    wait_for(lambda: Delivery.objects.filter(endpoint=endpoint,
                                             status=DeliveryStatus.SUCCEEDED).exists(),
             "the delivery")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_a_started_worker_runs_every_thread_at_the_worker_niceness(worker, receiver):
    delivered_once(receiver)  # first, so the pool has started the threads it sends from
    threads = [task for process in process_tree(worker.process.pid)
               for task in (process / "task").iterdir()]
    assert len(threads) > 2  # the worker's, its pool's, the embedded beat's
    assert {niceness(task) for task in threads} == {19}
    assert os.getpriority(os.PRIO_PROCESS, 0) < 19  # the suite itself is left as it was


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="Linux's autogroups")
def test_a_worker_leading_its_own_session_nices_the_sessions_group(worker):
    assert Path(f"/proc/{worker.process.pid}/autogroup").read_text().split()[-1] == "19"
