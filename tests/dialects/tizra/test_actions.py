"""What redeeming does for each Tizra action type, codes made through the Tizra API; the
offers those codes get (`services.offer_for_code`), and what PUT and DELETE call."""

import datetime as dt

import pytest

from catalog.access import has_access
from catalog.models import Entitlement
from dialects.tizra import batches
from redemptions import services
from redemptions.errors import CodeInUse, OfferError, RedemptionError
from redemptions.models import ActionType, Code, CodeGroup, Offer
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


def create(api, **fields):
    response = api.post("/admin-api/redemptions", {"batch": "b", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()[0]


def granted(learner):
    return set(Entitlement.objects.filter(user=learner).values_list("item__title", flat=True))


# --- apply-offer --------------------------------------------------------------------------------

def test_an_apply_offer_code_grants_the_offer(api, learner):
    course, bundle = CatalogItemFactory(title="Course"), CatalogItemFactory(title="Bundle")
    offer = OfferFactory(items=[course, bundle], access_days=30)
    code = create(api, **{"action-type": "apply-offer", "access-control-id": str(offer.pk)})
    redemption = services.redeem(code, learner)
    assert granted(learner) == {"Course", "Bundle"}
    assert {e.expires_at for e in redemption.entitlements} == \
        {redemption.redeemed_at + dt.timedelta(days=30)}


def test_an_apply_offer_code_shows_the_offer_it_applies(api):
    offer = OfferFactory()
    code = create(api, **{"action-type": "apply-offer", "access-control-id": str(offer.pk)})
    assert Code.objects.get(code=code.upper()).offer == offer
    assert api.get(f"/admin-api/redemptions/b/{code}").json()["access-control-id"] == \
        str(offer.pk)


# --- add-user-tag -------------------------------------------------------------------------------

def test_an_add_user_tag_code_adds_each_tag_and_grants_nothing(api, learner):
    code = create(api, **{"action-type": "add-user-tag", "user-tags": "code; teg;gold"})
    redemption = services.redeem(code, learner)
    assert redemption.entitlements == []
    assert set(learner.tags.values_list("tag", flat=True)) == {"code", "teg", "gold"}


def test_a_tag_the_learner_has_already_is_kept_once(api, learner):
    services.redeem(create(api, **{"action-type": "add-user-tag", "user-tags": "code"}), learner)
    services.redeem(create(api, **{"action-type": "add-user-tag", "user-tags": "code;teg"}),
                    learner)
    assert sorted(learner.tags.values_list("tag", flat=True)) == ["code", "teg"]


def test_codes_with_the_same_tags_share_one_offer():
    first = services.offer_for_code(action_type=ActionType.ADD_USER_TAG,
                                    user_tags=batches.tag_list("a;b"))
    again = services.offer_for_code(action_type=ActionType.ADD_USER_TAG, user_tags=["a", "b"])
    other = services.offer_for_code(action_type=ActionType.ADD_USER_TAG,
                                    user_tags=batches.tag_list("b;a"))
    assert first == again != other


# --- session-license-match ----------------------------------------------------------------------

def test_a_match_code_grants_the_items_whose_titles_match_the_seeds_pattern(api, learner):
    title = "111Gateways to  Science, Grade 5, Unit 2, Matter and Energy, Lesson 1"
    CatalogItemFactory(title=title)
    CatalogItemFactory(title="111Gateways to  Science, Grade 5, Unit 2, Matter and Energy, "
                             "Lesson 2")
    code = create(api, **{"action-type": "session-license-match",
                          "access-control-id": str(OfferFactory().pk),
                          "match-specification": {"all": [], "any": [f"Title:{title}"],
                                                  "excluded": []}})
    services.redeem(code, learner)
    assert granted(learner) == {title}


def test_a_match_code_applies_all_any_and_excluded(api, learner):
    for title in ("Algebra I", "Algebra II", "Algebra I Teacher Guide", "Geometry I",
                  "Algebra III"):
        CatalogItemFactory(title=title)
    code = create(api, **{"action-type": "session-license-match",
                          "access-control-id": str(OfferFactory().pk),
                          "match-specification": {"all": ["Title:Algebra"],
                                                  "any": ["Title:Algebra I", "II"],
                                                  "excluded": ["Teacher", "III"]}})
    services.redeem(code, learner)
    assert granted(learner) == {"Algebra I", "Algebra II"}


def test_a_match_code_takes_the_access_terms_of_the_offer_it_names(api, learner):
    CatalogItemFactory(title="Algebra I")
    offer = OfferFactory(access_days=7)
    code = create(api, **{"action-type": "session-license-match",
                          "access-control-id": str(offer.pk),
                          "match-specification": {"any": ["Algebra"]}})
    redemption = services.redeem(code, learner)
    assert redemption.entitlements[0].expires_at == \
        redemption.redeemed_at + dt.timedelta(days=7)


def test_what_a_match_code_grants_is_fixed_at_redemption_time(api, learner):
    CatalogItemFactory(title="Algebra I")
    code = create(api, **{"action-type": "session-license-match",
                          "access-control-id": str(OfferFactory().pk),
                          "match-specification": {"any": ["Algebra"]}})
    services.redeem(code, learner)
    later = CatalogItemFactory(title="Algebra II")
    assert has_access(learner, later).has_access is False
    assert granted(learner) == {"Algebra I"}


def test_a_match_code_shows_the_offer_it_names_and_its_own_specification(api):
    offer = OfferFactory()
    spec = {"all": ["Title:Algebra"], "any": [], "excluded": ["Teacher"]}
    code = create(api, **{"action-type": "session-license-match",
                          "access-control-id": str(offer.pk), "match-specification": spec})
    record = api.get(f"/admin-api/redemptions/b/{code}").json()
    assert (record["access-control-id"], record["match-specification"]) == (str(offer.pk), spec)
    assert Code.objects.get(code=code.upper()).offer.based_on == offer


def test_match_codes_with_one_specification_share_one_variant_of_the_offer():
    offer = OfferFactory()
    spec = {"any": ["Algebra"]}
    first = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH, offer=offer,
                                    match_specification=spec)
    again = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH,
                                    offer=first, match_specification=spec)
    other = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH, offer=offer,
                                    match_specification={"any": ["Geometry"]})
    assert first == again != other
    assert first.based_on == other.based_on == offer
    assert Offer.objects.filter(based_on=offer).count() == 2


def test_a_match_offer_named_without_a_specification_is_used_as_it_is():
    offer = OfferFactory(action_type=ActionType.SESSION_LICENSE_MATCH,
                         match_specification={"all": [], "any": ["Algebra"], "excluded": []})
    assert services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH,
                                   offer=offer) == offer


def test_a_variant_follows_new_terms_of_its_offer_for_new_codes_only():
    offer = OfferFactory(access_days=7)
    before = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH,
                                     offer=offer, match_specification={"any": ["A"]})
    offer = services.update_offer(offer, access_days=30)
    after = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH,
                                    offer=offer, match_specification={"any": ["A"]})
    before.refresh_from_db()
    assert (before.access_days, after.access_days) == (7, 30)


def test_deleting_a_group_whose_offer_has_variants_keeps_the_variants(api):
    offer = OfferFactory()
    variant = services.offer_for_code(action_type=ActionType.SESSION_LICENSE_MATCH,
                                      offer=offer, match_specification={"any": ["A"]})
    group = CodeGroupFactory(offer=offer)
    services.delete_code_group(group)
    variant.refresh_from_db()
    assert not Offer.objects.filter(pk=offer.pk).exists() and variant.based_on is None


# --- what PUT and POST set, at redemption -------------------------------------------------------

def test_a_code_made_invalid_is_refused(api, learner):
    code = create(api, **{"action-type": "add-user-tag", "user-tags": "a"})
    api.put(f"/admin-api/redemptions/b/{code}", {"is-valid": False}, format="json")
    with pytest.raises(RedemptionError) as refusal:
        services.redeem(code, learner)
    assert refusal.value.code == "inactive"


def test_a_code_made_with_no_redemptions_left_is_refused(api, learner):
    code = create(api, **{"action-type": "add-user-tag", "user-tags": "a",
                          "remaining-redemptions": 0})
    with pytest.raises(RedemptionError) as refusal:
        services.redeem(code, learner)
    assert refusal.value.code == "used_up"


def test_a_multi_use_code_serves_as_many_learners_as_it_has_redemptions(api):
    code = create(api, **{"action-type": "add-user-tag", "user-tags": "a",
                          "remaining-redemptions": 2})
    services.redeem(code, UserFactory())
    services.redeem(code, UserFactory())
    with pytest.raises(RedemptionError):
        services.redeem(code, UserFactory())
    record = api.get(f"/admin-api/redemptions/b/{code}").json()
    assert (record["remaining-redemptions"], len(record["redeemed-users"])) == (0, 2)


def test_an_expired_code_is_refused(api, learner):
    code = create(api, **{"action-type": "add-user-tag", "user-tags": "a",
                          "expiration-date": "2001-01-01"})
    with pytest.raises(RedemptionError) as refusal:
        services.redeem(code, learner)
    assert refusal.value.code == "expired"


def test_amend_code_refuses_user_tags_on_a_code_that_adds_none():
    with pytest.raises(OfferError):
        batches.amend_code(CodeFactory(), user_tags="a")


def test_amend_code_with_nothing_to_change_is_refused():
    with pytest.raises(services.CodeGroupError):
        batches.amend_code(CodeFactory())


def test_delete_batch_deletes_every_group_of_the_name_or_none(learner):
    CodeFactory(group=CodeGroupFactory(label="b"), code="AAA1")
    CodeFactory(group=CodeGroupFactory(label="b"), code="AAA2")
    services.redeem("AAA2", learner)
    with pytest.raises(CodeInUse):
        services.delete_labelled_groups(label="b")
    assert CodeGroup.objects.filter(label="b").count() == 2 and Code.objects.count() == 2
