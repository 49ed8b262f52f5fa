"""One generate form, one group: `services.create_code_group_once` claims the form's token in
the transaction that makes the group, so submits of the same form never make two."""

import threading
import uuid

import pytest
from django.db import connection

from redemptions import services
from redemptions.errors import CodeGroupError, GenerationRequestSpent
from redemptions.models import Code, CodeGroup, GenerationRequest
from tests.redemptions.factories import OfferFactory


def make(token, offer, count=20, **kwargs):
    return services.create_code_group_once(token=token, offer=offer, label="Once",
                                           count=count, code_length=10, **kwargs)


@pytest.mark.django_db
def test_the_first_call_makes_the_group_and_a_second_returns_it():
    token, offer = uuid.uuid4(), OfferFactory()
    first, made = make(token, offer, requested_by="staff@example.com")
    again, made_again = make(token, offer)
    assert (made, made_again) == (True, False) and again == first
    assert CodeGroup.objects.count() == 1 and Code.objects.count() == 20
    claim = GenerationRequest.objects.get(token=token)
    assert (claim.group, claim.count, claim.requested_by) == (first, 20, "staff@example.com")
    assert claim.seconds is not None


@pytest.mark.django_db
def test_a_refused_generation_leaves_its_token_free_for_the_corrected_submit():
    token, offer = uuid.uuid4(), OfferFactory()
    with pytest.raises(CodeGroupError):
        make(token, offer, count=11, max_count=10)
    assert not GenerationRequest.objects.exists()
    group, made = make(token, offer, count=10, max_count=10)
    assert made and group.codes.count() == 10


@pytest.mark.django_db
def test_a_token_whose_group_was_deleted_is_refused_not_used_again():
    token, offer = uuid.uuid4(), OfferFactory()
    group, _ = make(token, offer)
    services.delete_code_group(group)
    with pytest.raises(GenerationRequestSpent):
        make(token, OfferFactory())
    assert not CodeGroup.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submits_of_one_form_racing_each_other_make_exactly_one_group():
    token, offer, workers = uuid.uuid4(), OfferFactory(), 4
    barrier = threading.Barrier(workers)
    outcomes, crashes = [], []

    def submit():
        try:
            barrier.wait()
            group, made = make(token, offer, count=2_000)
            outcomes.append((group.pk, made))
        except Exception as exc:  # anything raised is a bug the test must show
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    group = CodeGroup.objects.get()
    assert sorted(outcomes, key=lambda o: not o[1]) == [(group.pk, True)] + [
        (group.pk, False)] * (workers - 1)
    assert Code.objects.count() == group.total_codes_count == 2_000
