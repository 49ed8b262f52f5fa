"""The services the Zype dialect stands on: a code's target item (kept by every service that
makes or changes codes and offers), stand-alone codes for one item, changing a code's text
or target only while it was never redeemed."""

import importlib

import pytest
from django.apps import apps

from catalog.models import ItemKind
from dialects.tizra import batches
from redemptions import services
from redemptions.errors import CodeGroupError, CodeInUse
from redemptions.models import ActionType, Code, Offer
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


def video(**fields):
    return CatalogItemFactory(kind=ItemKind.VIDEO, **fields)


def standalone(item, **fields):
    return services.create_code(offer=services.OfferTerms(name=item.title, items=[item]),
                                **fields)


# --- the target item --------------------------------------------------------------------------

def test_a_code_made_with_offer_terms_for_one_item_gets_its_own_offer_and_targets_the_item():
    item = video()
    code = standalone(item)
    assert code.target_item_id == item.pk
    assert list(code.offer.items.all()) == [item]
    assert Offer.objects.count() == 1


def test_generated_group_codes_target_the_offers_one_item():
    item = video()
    group = services.create_code_group(
        label="Bulk", offer=services.OfferTerms(name="Bulk", items=[item]), count=25,
        code_length=10)
    assert set(group.codes.values_list("target_item", flat=True)) == {item.pk}


def test_tizra_batch_codes_applying_a_one_item_offer_target_that_item():
    item = video()
    offer = OfferFactory(items=[item])
    codes = batches.add_batch_codes([batches.BatchCodes(
        batch="Spring", action_type=ActionType.APPLY_OFFER, offer_id=str(offer.pk), count=3)])
    assert {c.target_item_id for c in codes} == {item.pk}
    tagged = batches.add_batch_codes([batches.BatchCodes(
        batch="Tags", action_type=ActionType.ADD_USER_TAG, user_tags="vip")])
    assert tagged[0].target_item_id is None


def test_codes_of_an_offer_with_several_items_have_no_target():
    offer = OfferFactory(items=[video(), video()])
    code = services.create_code(offer=offer)
    assert code.target_item_id is None


def test_codes_of_a_title_matching_offer_have_no_target():
    offer = services.create_offer(services.OfferTerms(
        name="Match", items=[video()], action_type=ActionType.SESSION_LICENSE_MATCH,
        match_specification={"all": ["Intro"]}))
    assert services.create_code(offer=offer).target_item_id is None


def test_changing_an_offers_items_moves_its_codes_targets():
    first, second = video(), video()
    offer = OfferFactory(items=[first])
    codes = [services.create_code(offer=offer) for _ in range(3)]
    services.update_offer(offer, items=[second])
    assert {c.target_item_id for c in Code.objects.filter(pk__in=[c.pk for c in codes])} == \
        {second.pk}
    services.update_offer(offer, items=[first, second])
    assert set(Code.objects.filter(offer=offer).values_list("target_item", flat=True)) == {None}


def test_sync_code_targets_repairs_codes_whose_offer_changed_behind_the_services():
    first, second = video(), video()
    offer = OfferFactory(items=[first])
    code = services.create_code(offer=offer)
    offer.items.set([second])  # as the admin's form does, before its save_related hook
    assert services.sync_code_targets(offer) == 1
    code.refresh_from_db()
    assert code.target_item_id == second.pk


def test_the_migration_fills_the_target_of_existing_codes():
    item = video()
    code = CodeFactory(offer=OfferFactory(items=[item]))
    several = CodeFactory(offer=OfferFactory(items=[video(), video()]))
    Code.objects.update(target_item=None)
    migration = importlib.import_module(
        "redemptions.migrations.0003_code_target_and_created_indexes")
    migration.fill_targets(apps, None)
    code.refresh_from_db()
    several.refresh_from_db()
    assert (code.target_item_id, several.target_item_id) == (item.pk, None)


def test_a_generated_standalone_code_has_the_length_asked_for():
    assert len(standalone(video(), code_length=16).code) == 16


def test_a_generated_code_length_out_of_range_is_refused_and_nothing_is_made():
    with pytest.raises(CodeGroupError):
        standalone(video(), code_length=65)
    assert not Code.objects.exists() and not Offer.objects.exists()


# --- changing a code's text -------------------------------------------------------------------

def test_an_unredeemed_codes_text_can_change_and_is_stored_canonical():
    code = standalone(video())
    changed = services.update_code(code, code="spring-2025 vip")
    assert changed.code == "SPRING2025VIP"


def test_a_redeemed_codes_text_cannot_change_and_nothing_changes():
    code = standalone(video())
    services.redeem(code.code, UserFactory())
    with pytest.raises(CodeInUse) as exc:
        services.update_code(code, code="NEWTEXT", expiration_date=None)
    assert (exc.value.code, exc.value.http_status) == ("code_redeemed", 409)
    assert Code.objects.get(pk=code.pk).code == code.code


def test_a_redeemed_code_keeps_accepting_its_own_text_and_other_changes():
    code = standalone(video())
    services.redeem(code.code, UserFactory())
    changed = services.update_code(code, code=code.code.lower(), transaction_id="T-1")
    assert (changed.code, changed.transaction_id) == (code.code, "T-1")


def test_changing_a_codes_text_to_another_codes_text_is_a_duplicate():
    taken = standalone(video())
    code = standalone(video())
    with pytest.raises(CodeInUse) as exc:
        services.update_code(code, code=taken.code)
    assert exc.value.code == "duplicate_code"
    assert Code.objects.get(pk=code.pk).code == code.code


# --- changing a code's target -----------------------------------------------------------------

def test_retargeting_a_code_with_its_own_offer_changes_that_offer():
    first, second = video(), video()
    code = standalone(first)
    changed = services.update_code(code, target_item=second)
    assert changed.offer_id == code.offer_id
    assert list(changed.offer.items.all()) == [second]
    assert changed.target_item_id == second.pk


def test_retargeting_one_code_of_a_group_leaves_the_group_alone():
    first, second = video(), video()
    group = CodeGroupFactory(offer=OfferFactory(items=[first], access_days=30))
    code, other = CodeFactory(group=group), CodeFactory(group=group)
    changed = services.update_code(code, target_item=second)
    assert changed.offer_id != group.offer_id
    assert (list(changed.offer.items.all()), changed.offer.access_days) == ([second], 30)
    assert changed.target_item_id == second.pk
    other.refresh_from_db()
    assert (other.offer_id, other.target_item_id) == (group.offer_id, first.pk)
    assert list(group.offer.items.all()) == [first]


def test_a_redeemed_code_cannot_be_retargeted_and_nothing_changes():
    first, second = video(), video()
    code = standalone(first)
    services.redeem(code.code, UserFactory())
    with pytest.raises(CodeInUse) as exc:
        services.update_code(code, target_item=second)
    assert exc.value.code == "code_redeemed"
    code.refresh_from_db()
    assert code.target_item_id == first.pk
    assert list(code.offer.items.all()) == [first]


def test_changing_an_offers_items_in_the_admin_moves_its_codes_targets(admin_client):
    first, second = video(), video()
    offer = OfferFactory(items=[first])
    code = services.create_code(offer=offer)
    response = admin_client.post(f"/admin/redemptions/offer/{offer.pk}/change/", {
        "name": offer.name, "action_type": ActionType.APPLY_OFFER, "items": [str(second.pk)],
        "access_days": "", "access_expiration_date_0": "", "access_expiration_date_1": "",
        "user_tags": "[]", "match_specification": '{"all": [], "any": [], "excluded": []}',
    })
    assert response.status_code == 302, response.content
    code.refresh_from_db()
    assert code.target_item_id == second.pk
