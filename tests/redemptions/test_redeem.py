"""The redeem, check and rollback services: every rule, and nothing changes on a refusal."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import UserTag
from catalog.access import has_access
from catalog.models import Entitlement, ItemKind
from licensing.models import Seat
from redemptions import services
from redemptions.errors import RedemptionError
from redemptions.models import ActionType, Code, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def refusal(code_text, user, **kwargs) -> RedemptionError:
    with pytest.raises(RedemptionError) as exc:
        services.redeem(code_text, user, **kwargs)
    return exc.value


def assert_nothing_changed(code, user):
    code.refresh_from_db()
    assert code.redemptions_count == 0
    assert not Redemption.objects.filter(user=user).exists()
    assert not Entitlement.objects.filter(user=user).exists()
    assert not UserTag.objects.filter(user=user).exists()


def test_redeeming_grants_each_item_of_the_offer(learner):
    course, bundle = CatalogItemFactory(), CatalogItemFactory(kind=ItemKind.BUNDLE)
    code = CodeFactory(offer=OfferFactory(items=[course, bundle]))
    redemption = services.redeem(code.code, learner)
    assert {e.item for e in redemption.entitlements} == {course, bundle}
    assert all(e.source == "redemption" and e.source_ref == str(redemption.pk)
               for e in redemption.entitlements)
    assert has_access(learner, course).has_access is True


def test_redeeming_counts_the_use_on_the_code(learner):
    code = CodeFactory(max_redemptions=3)
    redemption = services.redeem(code.code, learner)
    code.refresh_from_db()
    assert code.redemptions_count == 1
    assert code.first_redeemed_at == code.last_redeemed_at == redemption.redeemed_at


def test_the_code_may_be_typed_in_any_case_with_dashes_and_spaces(learner):
    code = CodeFactory(code="RQMJQJB5JX5V")
    assert services.redeem(" rqmj-qjb5 jx5v ", learner).code == code


def test_redemption_records_ip_and_transaction_id(learner):
    code = CodeFactory()
    redemption = services.redeem(code.code, learner, ip="203.0.113.9", transaction_id="T-1")
    assert (redemption.ip, redemption.transaction_id) == ("203.0.113.9", "T-1")


def test_access_days_run_from_the_redemption(learner):
    code = CodeFactory(offer=OfferFactory(access_days=30))
    redemption = services.redeem(code.code, learner, at=NOW)
    assert redemption.entitlements[0].expires_at == NOW + dt.timedelta(days=30)


def test_an_access_expiration_date_is_the_end_of_access(learner):
    ends = NOW + dt.timedelta(days=90)
    code = CodeFactory(offer=OfferFactory(access_expiration_date=ends))
    assert services.redeem(code.code, learner).entitlements[0].expires_at == ends


def test_without_access_limits_access_has_no_end(learner):
    code = CodeFactory()
    assert services.redeem(code.code, learner).entitlements[0].expires_at is None


def test_an_access_expiration_date_already_past_is_refused(learner):
    code = CodeFactory(offer=OfferFactory(access_expiration_date=NOW - dt.timedelta(days=1)))
    assert refusal(code.code, learner).code == "access_ended"
    assert_nothing_changed(code, learner)


def test_apply_offer_adds_its_user_tags(learner):
    code = CodeFactory(offer=OfferFactory(user_tags=["gold", "2024"]))
    services.redeem(code.code, learner)
    assert set(learner.tags.values_list("tag", flat=True)) == {"gold", "2024"}


def test_add_user_tag_adds_tags_and_grants_no_item(learner):
    offer = OfferFactory(action_type=ActionType.ADD_USER_TAG, user_tags=["code", "teg"])
    redemption = services.redeem(CodeFactory(offer=offer).code, learner)
    assert redemption.entitlements == []
    assert set(learner.tags.values_list("tag", flat=True)) == {"code", "teg"}


def test_session_license_match_grants_the_active_items_whose_titles_match(learner):
    lesson1 = CatalogItemFactory(title="Gateways to Science, Grade 5, Lesson 1")
    lesson2 = CatalogItemFactory(title="Gateways to Science, Grade 5, Lesson 2")
    CatalogItemFactory(title="Gateways to Science, Grade 6, Lesson 1")
    CatalogItemFactory(title="Gateways to Science, Grade 5, Lesson 3", is_active=False)
    CatalogItemFactory(title="Gateways to Science, Grade 5, Teacher notes")
    offer = OfferFactory(action_type=ActionType.SESSION_LICENSE_MATCH, match_specification={
        "all": ["Title:gateways to science"], "any": ["grade 5"], "excluded": ["teacher"]})
    redemption = services.redeem(CodeFactory(offer=offer).code, learner)
    assert {e.item for e in redemption.entitlements} == {lesson1, lesson2}


def test_session_license_match_is_fixed_at_redemption_time(learner):
    offer = OfferFactory(action_type=ActionType.SESSION_LICENSE_MATCH,
                         match_specification={"all": [], "any": ["Algebra"], "excluded": []})
    CatalogItemFactory(title="Algebra I")
    services.redeem(CodeFactory(offer=offer).code, learner)
    later = CatalogItemFactory(title="Algebra II")
    assert has_access(learner, later).has_access is False


def test_session_license_match_with_nothing_matching_is_refused(learner):
    offer = OfferFactory(action_type=ActionType.SESSION_LICENSE_MATCH,
                         match_specification={"all": ["No such title"], "any": [],
                                              "excluded": []})
    code = CodeFactory(offer=offer)
    assert refusal(code.code, learner).code == "nothing_to_grant"
    assert_nothing_changed(code, learner)


def test_an_unknown_code_is_not_found(learner):
    error = refusal("NOSUCHCODE", learner)
    assert (error.code, error.http_status) == ("not_found", 404)


@pytest.mark.parametrize("typed", ["ÉCOLE2024", "AB\x00CD", "X" * 65, "<script>"])
def test_text_no_code_could_have_is_not_found_without_a_database_error(learner, typed):
    assert refusal(typed, learner).code == "not_found"
    assert services.check(typed, learner).refusal.code == "not_found"


def test_an_empty_code_is_not_found(learner):
    assert refusal("  - ", learner).code == "not_found"


def test_an_inactive_code_is_refused_and_nothing_changes(learner):
    code = CodeFactory(is_active=False)
    error = refusal(code.code, learner)
    assert (error.code, error.http_status) == ("inactive", 422)
    assert_nothing_changed(code, learner)


def test_an_expired_code_is_refused_and_nothing_changes(learner):
    code = CodeFactory(expiration_date=NOW - dt.timedelta(minutes=1))
    assert refusal(code.code, learner).code == "expired"
    assert_nothing_changed(code, learner)


def test_a_code_without_its_own_expiry_follows_its_group(learner):
    group = CodeGroupFactory(expiration_date=NOW - dt.timedelta(days=1))
    code = CodeFactory(group=group)
    assert refusal(code.code, learner).code == "expired"


def test_a_codes_own_expiry_wins_over_its_groups(learner):
    group = CodeGroupFactory(expiration_date=NOW - dt.timedelta(days=1))
    code = CodeFactory(group=group, expiration_date=NOW + dt.timedelta(days=1))
    assert services.redeem(code.code, learner).code == code


def test_a_code_not_started_is_refused(learner):
    code = CodeFactory(starts_at=NOW + dt.timedelta(days=1))
    assert refusal(code.code, learner).code == "not_started"
    assert_nothing_changed(code, learner)


def test_a_code_whose_group_has_not_started_is_refused(learner):
    code = CodeFactory(group=CodeGroupFactory(starts_at=NOW + dt.timedelta(hours=1)))
    assert refusal(code.code, learner).code == "not_started"


def test_a_used_up_code_is_refused_and_nothing_changes(learner):
    code = CodeFactory(max_redemptions=1)
    services.redeem(code.code, UserFactory())
    assert refusal(code.code, learner).code == "used_up"
    assert not Redemption.objects.filter(user=learner).exists()
    code.refresh_from_db()
    assert code.redemptions_count == 1


def test_the_same_learner_cannot_redeem_a_code_twice(learner):
    code = CodeFactory(max_redemptions=5)
    services.redeem(code.code, learner)
    assert refusal(code.code, learner).code == "already_redeemed"
    code.refresh_from_db()
    assert code.redemptions_count == 1
    assert Entitlement.objects.filter(user=learner).count() == 1


def test_an_offer_with_a_license_seats_the_learner_and_opens_its_courses(learner):
    course = CatalogItemFactory()
    license_ = LicenseFactory(name="Acme seats", seats_limit=3, courses=[course])
    code = CodeFactory(offer=OfferFactory(items=[], licenses=[license_]))
    redemption = services.redeem(code.code, learner)
    (seat,) = redemption.seats
    assert (seat.license, seat.user, seat.source, seat.source_ref) == (
        license_, learner, "redemption", str(redemption.pk))
    assert has_access(learner, course).has_access is True


def test_a_seat_from_a_code_with_access_days_ends_when_that_access_ends(learner):
    license_ = LicenseFactory()
    code = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=30))
    at = timezone.now()
    (seat,) = services.redeem(code.code, learner, at=at).seats
    seat.refresh_from_db()
    assert seat.expires_at == at + dt.timedelta(days=30)


def test_a_seat_from_a_code_with_an_access_expiration_date_ends_on_that_date(learner):
    ends = timezone.now() + dt.timedelta(days=12)
    license_ = LicenseFactory(access_days=365)
    code = CodeFactory(offer=OfferFactory(items=[], licenses=[license_],
                                          access_expiration_date=ends))
    (seat,) = services.redeem(code.code, learner).seats
    seat.refresh_from_db()
    assert seat.expires_at == ends


def test_a_longer_code_on_a_license_already_held_by_a_shorter_one_extends_the_seat(learner):
    license_ = LicenseFactory()
    short = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=30))
    long = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=365))
    at = timezone.now()
    services.redeem(short.code, learner, at=at)
    later = services.redeem(long.code, learner, at=at + dt.timedelta(days=1))
    (seat,) = Seat.objects.active().filter(user=learner)
    assert (seat.expires_at, seat.source_ref) == (at + dt.timedelta(days=366), str(later.pk))
    assert later.seats == [seat]


def test_a_shorter_code_on_a_license_already_held_leaves_the_seat_as_it_is(learner):
    license_ = LicenseFactory()
    long = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=365))
    short = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=30))
    at = timezone.now()
    first = services.redeem(long.code, learner, at=at)
    assert services.redeem(short.code, learner, at=at).seats == []
    (seat,) = Seat.objects.active().filter(user=learner)
    assert (seat.expires_at, seat.source_ref) == (at + dt.timedelta(days=365), str(first.pk))


def test_a_full_license_refuses_the_redemption_and_nothing_changes(learner):
    license_ = LicenseFactory(name="Acme seats", seats_limit=1)
    SeatFactory(license=license_)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    error = refusal(code.code, learner)
    assert (error.code, error.http_status) == ("license_full", 422)
    assert "Acme seats" in error.message
    assert_nothing_changed(code, learner)
    assert not Seat.objects.filter(user=learner).exists()


def test_a_full_parent_license_refuses_the_redemption(learner):
    parent = LicenseFactory(name="Parent", seats_limit=1)
    child = LicenseFactory(name="Child", parent=parent, seats_limit=5)
    SeatFactory(license=parent)
    code = CodeFactory(offer=OfferFactory(licenses=[child]))
    error = refusal(code.code, learner)
    assert error.code == "license_full"
    assert "Parent" in error.message


def test_an_expired_license_refuses_the_redemption(learner):
    ended = timezone.now() - dt.timedelta(days=1)
    license_ = LicenseFactory(name="Old seats", expiration_date=ended)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    assert refusal(code.code, learner).code == "license_expired"
    assert_nothing_changed(code, learner)


def test_a_seat_already_held_is_kept_and_the_redemption_succeeds(learner):
    license_ = LicenseFactory(seats_limit=1)
    held = SeatFactory(license=license_, user=learner)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    redemption = services.redeem(code.code, learner)
    assert redemption.seats == []
    assert list(Seat.objects.active().filter(user=learner)) == [held]


def test_rolling_back_revokes_the_seat_the_redemption_took(learner):
    license_ = LicenseFactory(seats_limit=1)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    redemption = services.redeem(code.code, learner)
    services.rollback(redemption, "refund")
    (seat,) = Seat.objects.filter(user=learner)
    assert seat.revoked_at is not None
    assert "refund" in seat.revoked_reason
    other = UserFactory()
    assert services.redeem(CodeFactory(offer=code.offer).code, other).seats  # the seat is free


def _two_redemptions_naming_one_license(learner, first_days=None, second_days=None):
    """The learner redeems A (which takes the seat), then B naming the same license."""
    license_ = LicenseFactory(seats_limit=1)
    first = CodeFactory(offer=OfferFactory(items=[], licenses=[license_],
                                           access_days=first_days))
    second = CodeFactory(offer=OfferFactory(items=[], licenses=[license_],
                                            access_days=second_days))
    return services.redeem(first.code, learner), services.redeem(second.code, learner)


def test_rolling_back_hands_the_seat_to_another_standing_redemption_of_its_license(learner):
    first, second = _two_redemptions_naming_one_license(learner)
    services.rollback(first, "refund")
    (seat,) = Seat.objects.filter(user=learner)
    assert (seat.is_active(), seat.source_ref) == (True, str(second.pk))


def test_a_handed_over_seat_ends_with_the_access_of_the_redemption_now_holding_it(learner):
    first, second = _two_redemptions_naming_one_license(learner, first_days=365,
                                                        second_days=30)
    services.rollback(first, "refund")
    (seat,) = Seat.objects.filter(user=learner)
    assert seat.expires_at == second.redeemed_at + dt.timedelta(days=30)


def test_rolling_back_the_redemption_a_seat_was_handed_to_revokes_it(learner):
    first, second = _two_redemptions_naming_one_license(learner)
    services.rollback(first, "refund")
    services.rollback(second, "refund")
    (seat,) = Seat.objects.filter(user=learner)
    assert seat.revoked_at is not None


def test_a_seat_is_not_handed_to_a_redemption_whose_access_has_ended(learner):
    license_ = LicenseFactory()
    ended = CodeFactory(offer=OfferFactory(items=[], licenses=[license_], access_days=1))
    current = CodeFactory(offer=OfferFactory(items=[], licenses=[license_]))
    services.redeem(ended.code, learner, at=timezone.now() - dt.timedelta(days=3))
    holder = services.redeem(current.code, learner)
    services.rollback(holder, "refund")
    assert not Seat.objects.active().filter(user=learner).exists()


def test_check_reports_a_full_license_without_changing_anything(learner):
    license_ = LicenseFactory(seats_limit=1)
    SeatFactory(license=license_)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    result = services.check(code.code, learner)
    assert result.redeemable is False
    assert result.refusal.code == "license_full"
    assert Seat.objects.filter(user=learner).count() == 0


def test_check_says_what_redeeming_would_grant_and_changes_nothing(learner):
    course = CatalogItemFactory()
    code = CodeFactory(offer=OfferFactory(items=[course], access_days=7))
    result = services.check(code.code, learner, at=NOW)
    assert result.redeemable is True
    assert result.grant.items == [course]
    assert result.grant.expires_at == NOW + dt.timedelta(days=7)
    assert_nothing_changed(code, learner)


def test_check_gives_the_refusal_redeeming_would_raise(learner):
    code = CodeFactory(is_active=False)
    result = services.check(code.code, learner)
    assert result.redeemable is False
    assert result.refusal.code == "inactive"


def test_check_of_an_unknown_code_is_not_found(learner):
    assert services.check("ZZZZ", learner).refusal.code == "not_found"


def test_rollback_revokes_the_grants_and_gives_the_use_back(learner):
    course = CatalogItemFactory()
    code = CodeFactory(offer=OfferFactory(items=[course]))
    redemption = services.redeem(code.code, learner)
    rolled = services.rollback(redemption, "refund #12", by="staff@example.com")
    assert rolled.rolled_back_at is not None
    assert (rolled.rolled_back_by, rolled.rolled_back_reason) == ("staff@example.com",
                                                                 "refund #12")
    assert has_access(learner, course).has_access is False
    assert rolled.granted_entitlements().get().revoked_at is not None
    code.refresh_from_db()
    assert code.redemptions_count == 0


def test_a_rolled_back_redemption_is_kept(learner):
    redemption = services.redeem(CodeFactory().code, learner)
    services.rollback(redemption, "mistake")
    assert Redemption.objects.filter(pk=redemption.pk).exists()


def test_after_a_rollback_the_learner_may_redeem_again(learner):
    code = CodeFactory()
    services.rollback(services.redeem(code.code, learner), "mistake")
    again = services.redeem(code.code, learner)
    assert again.pk != code.redemptions.order_by("id").first().pk
    assert Redemption.objects.filter(code=code, user=learner).count() == 2


def test_rolling_back_twice_is_a_conflict(learner):
    redemption = services.redeem(CodeFactory().code, learner)
    services.rollback(redemption, "once")
    with pytest.raises(RedemptionError) as exc:
        services.rollback(redemption, "twice")
    assert (exc.value.code, exc.value.http_status) == ("already_rolled_back", 409)


def test_rollback_leaves_other_grants_alone(learner):
    course = CatalogItemFactory()
    first = services.redeem(CodeFactory(offer=OfferFactory(items=[course])).code, learner)
    services.redeem(CodeFactory(offer=OfferFactory(items=[course])).code, learner)
    services.rollback(first, "refund")
    assert has_access(learner, course).has_access is True


def test_a_code_counts_as_used_up_only_by_standing_redemptions(learner):
    code = CodeFactory(max_redemptions=1)
    services.rollback(services.redeem(code.code, UserFactory()), "refund")
    assert services.redeem(code.code, learner).user == learner
    assert Code.objects.get(pk=code.pk).redemptions_count == 1


def test_the_already_redeemed_look_up_is_sent_with_the_lock_once_per_redemption(learner):
    """The look-up rides with the lock (sent together: no round trip of its own), after it
    (it sees a redemption committed while this one waited), and is not asked again."""
    code = CodeFactory(max_redemptions=3, offer=OfferFactory(items=[CatalogItemFactory()]))
    services.redeem(code.code, UserFactory())
    with CaptureQueriesContext(connection) as second:
        services.redeem(code.code, learner)
    statements = [q["sql"] for q in second]
    looked_up = [i for i, sql in enumerate(statements) if "SELECT 1 AS a FROM" in sql]
    locking = [i for i, sql in enumerate(statements) if "FOR UPDATE" in sql
               or (connection.vendor != "postgresql" and 'FROM "redemptions_code" c' in sql
                   and "LEFT JOIN" in sql)]
    assert len(looked_up) == 1 and "redemptions_redemption" in statements[looked_up[0]]
    # the lock, then it (with the offer's items)
    assert len(locking) == 1 and looked_up[0] == locking[0] + 1



@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_redemptions_writes_and_its_events_are_one_statement(learner):
    """The redemption, the code's count, the grants and the events go out as one statement
    (`rows.one_statement`), after the lock and before the endpoints' read and the COMMIT."""
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory(), CatalogItemFactory()]))
    with CaptureQueriesContext(connection) as sent:
        services.redeem(code.code, learner)
    writes = [q["sql"] for q in sent if q["sql"].startswith(("INSERT", "UPDATE", "WITH"))]
    assert len(writes) == 1 and writes[0].startswith("WITH ")
    for table in ("redemptions_redemption", "redemptions_code", "catalog_entitlement",
                  "events_event"):
        assert f'"{table}"' in writes[0]
    assert Entitlement.objects.filter(user=learner).count() == 2

def test_a_learner_redeeming_twice_is_refused_by_the_look_up_sent_with_the_lock(learner):
    code = CodeFactory(max_redemptions=3)
    services.redeem(code.code, learner)
    assert refusal(code.code, learner).code == "already_redeemed"
