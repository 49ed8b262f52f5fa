"""Tizra's multi-use codes, PUT, POST and DELETE racing redemptions on PostgreSQL, with real
threads released together by a Barrier (SQLite ignores row locks: skipped there)."""

import json

import pytest

from core.errors import DomainError
from dialects.tizra import batches
from redemptions import services
from redemptions.models import ActionType, Code, CodeGroup, Redemption
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory
from tests.redemptions.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome(action):
    """`action()`'s result, or the code of the domain refusal it raised."""
    try:
        return action()
    except DomainError as exc:
        return exc.code


def test_twenty_learners_at_once_on_a_code_with_three_remaining_make_exactly_three(api):
    response = api.post("/admin-api/redemptions", {
        "batch": "multi", "action-type": "add-user-tag", "user-tags": "code;teg",
        "remaining-redemptions": 3}, format="json")
    code = response.json()[0]
    users = [UserFactory() for _ in range(20)]
    results, refusals = race(20, lambda i: services.redeem(code, users[i]))
    assert len(results) == 3
    assert refusals == ["used_up"] * 17
    stored = Code.objects.get(code=code.upper())
    assert (stored.redemptions_count, stored.remaining_redemptions) == (3, 0)
    record = json.loads(b"".join(api.get("/admin-api/redemptions/multi").streaming_content))[0]
    assert record["remaining-redemptions"] == 0
    assert sorted(record["redeemed-users"]) == sorted(r.user.email for r in results)


def test_remaining_redemptions_set_while_learners_redeem_counts_from_the_uses_under_the_lock():
    code = CodeFactory(max_redemptions=50, offer=OfferFactory(
        action_type=ActionType.ADD_USER_TAG, user_tags=["a"]))
    users = [UserFactory() for _ in range(12)]

    def act(i):
        if i == 0:
            return outcome(lambda: batches.amend_code(code, remaining_redemptions=0))
        return outcome(lambda: services.redeem(code.code, users[i]))

    results, _ = race(12, act)
    redeemed = [r for r in results if isinstance(r, Redemption)]
    assert all(isinstance(r, Redemption | Code) or r == "used_up" for r in results)
    stored = Code.objects.get(pk=code.pk)
    # Whatever redeemed before the change counts; nothing redeemed after it.
    assert stored.max_redemptions == stored.redemptions_count == len(redeemed)


def test_codes_posted_at_once_to_one_new_batch_all_land_in_that_batch():
    offer = OfferFactory()
    requests = [batches.BatchCodes(batch="rush", action_type=ActionType.APPLY_OFFER,
                                    offer_id=str(offer.pk), count=5) for _ in range(8)]
    results, refusals = race(8, lambda i: batches.add_batch_codes([requests[i]]))
    assert refusals == [] and len(results) == 8
    codes = Code.objects.filter(group__label="rush")
    assert codes.count() == 40
    assert sum(CodeGroup.objects.filter(label="rush")
               .values_list("total_codes_count", flat=True)) == 40


def test_codes_posted_at_once_to_an_existing_batch_keep_its_count_right():
    group = CodeGroupFactory(label="busy")
    requests = [batches.BatchCodes(batch="busy", action_type=ActionType.APPLY_OFFER,
                                    offer_id=str(group.offer_id), count=3) for _ in range(8)]
    race(8, lambda i: batches.add_batch_codes([requests[i]]))
    group.refresh_from_db()
    assert group.total_codes_count == Code.objects.filter(group=group).count() == 24
    assert CodeGroup.objects.filter(label="busy").count() == 1


def test_deleting_a_batch_while_its_code_is_redeemed_does_one_or_the_other():
    code = CodeFactory(group=CodeGroupFactory(label="doomed"), code="DOOMED1")
    learner = UserFactory()

    def act(i):
        if i == 0:
            return ("delete", outcome(lambda: services.delete_labelled_groups(label="doomed")))
        return ("redeem", outcome(lambda: services.redeem(code.code, learner)))

    results, _ = race(2, act)
    done = dict(results)
    if Code.objects.filter(pk=code.pk).exists():
        assert done["delete"] == "redeemed" and isinstance(done["redeem"], Redemption)
    else:
        assert done["delete"] == 1 and done["redeem"] == "not_found"
        assert not Redemption.objects.exists()
