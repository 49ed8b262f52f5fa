"""Changing a code's text or target races a redemption of it: both take the code's row lock,
so either the redemption wins (and the change is refused) or the change wins (and the old text
no longer redeems, or the redemption grants the new target) — never a mix. PostgreSQL only."""

import pytest

from catalog.models import Entitlement, ItemKind
from redemptions import services
from redemptions.errors import CodeInUse
from redemptions.models import Code, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def standalone(item):
    return services.create_code(offer=services.OfferTerms(name=item.title, items=[item]))


def change_or_refusal(change):
    try:
        return change()
    except CodeInUse as exc:
        return exc.code


@pytest.mark.parametrize("attempt", range(3))
def test_a_text_change_racing_a_redemption_never_changes_a_redeemed_codes_text(attempt):
    item = CatalogItemFactory(kind=ItemKind.VIDEO)
    code = standalone(item)
    old_text, learner = code.code, UserFactory()

    def act(i):
        if i == 0:
            return services.redeem(old_text, learner)
        return change_or_refusal(lambda: services.update_code(code, code="RENAMED2025"))

    results, refusals = race(2, act)
    final = Code.objects.get(pk=code.pk)
    if Redemption.objects.filter(code=code).exists():
        assert final.code == old_text and "code_redeemed" in results and refusals == []
    else:
        assert final.code == "RENAMED2025" and refusals == ["not_found"]


@pytest.mark.parametrize("attempt", range(3))
def test_a_target_change_racing_a_redemption_grants_exactly_the_target_the_code_shows(attempt):
    first = CatalogItemFactory(kind=ItemKind.VIDEO)
    second = CatalogItemFactory(kind=ItemKind.VIDEO)
    code = standalone(first)
    learner = UserFactory()

    def act(i):
        if i == 0:
            return services.redeem(code.code, learner)
        return change_or_refusal(lambda: services.update_code(code, target_item=second))

    results, refusals = race(2, act)
    assert refusals == []
    final = Code.objects.get(pk=code.pk)
    granted = list(Entitlement.objects.filter(user=learner).values_list("item", flat=True))
    assert granted == [final.target_item_id]
    if "code_redeemed" in results:
        assert final.target_item_id == first.pk
    else:
        assert final.target_item_id == second.pk

