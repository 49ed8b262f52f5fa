"""Code text and the generator: normalisation, alphabets, code space, uniqueness, batches."""

import datetime as dt

import pytest
from django.utils import timezone

from redemptions import codes as codes_module
from redemptions import models as models_module
from redemptions.codes import (
    ALPHABET_CHARACTERS,
    Alphabet,
    check_code_space,
    clean_code,
    normalize_code,
    random_characters,
    random_codes,
)
from redemptions.errors import CodeGroupError
from redemptions.models import Code, CodeGroup
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory


@pytest.mark.parametrize("typed", ["rqmj-qjb5", " RQMJ QJB5 ", "rqmj–qjb5", "Rq-Mj_qJ b5\n"])
def test_normalize_code_drops_case_dashes_and_spaces(typed):
    assert normalize_code(typed) == "RQMJQJB5"


def test_normalize_code_of_nothing_is_empty():
    assert normalize_code(None) == ""


def test_a_hand_made_code_with_punctuation_is_refused():
    with pytest.raises(CodeGroupError) as exc:
        clean_code("half/price!")
    assert exc.value.code == "invalid_code"


def test_the_unambiguous_alphabet_has_no_look_alikes_and_no_vowels():
    characters = ALPHABET_CHARACTERS[Alphabet.UNAMBIGUOUS]
    assert not set(characters) & set("0O1IL5SAEIOU")
    assert len(set(characters)) == len(characters)


@pytest.mark.parametrize("alphabet", list(Alphabet.values))
def test_random_characters_come_only_from_the_alphabet(alphabet):
    text = random_characters(5000, alphabet)
    assert len(text) == 5000
    assert set(text) <= set(ALPHABET_CHARACTERS[alphabet])


def test_every_character_of_the_alphabet_is_drawn():
    # 26 characters, 20,000 draws: a character missing would mean a broken mapping, not luck.
    assert set(random_characters(20_000, Alphabet.UNAMBIGUOUS)) == \
        set(ALPHABET_CHARACTERS[Alphabet.UNAMBIGUOUS])


def test_random_codes_have_the_length_asked():
    made = random_codes(100, 9, Alphabet.DIGITS)
    assert all(len(code) == 9 and code.isdigit() for code in made)


@pytest.mark.django_db
def test_hex_codes_are_shown_in_lower_case():
    hex_code = CodeFactory(group=CodeGroupFactory(alphabet=Alphabet.HEX), code="08AB33")
    other = CodeFactory(group=CodeGroupFactory(alphabet=Alphabet.UNAMBIGUOUS), code="RQMJ")
    assert hex_code.display_code() == "08ab33"
    assert other.display_code() == "RQMJ"


def test_a_code_space_too_small_is_refused_with_the_numbers():
    with pytest.raises(CodeGroupError) as exc:
        check_code_space(count=100, length=4, alphabet=Alphabet.DIGITS)
    message = exc.value.message
    assert "10,000 possible codes" in message
    assert "1,000,000" in message
    assert "at least 6" in message
    assert exc.value.field == "code_length"


def test_a_code_space_just_large_enough_is_accepted():
    check_code_space(count=100, length=6, alphabet=Alphabet.DIGITS)  # 10**6 == 10,000 × 100


@pytest.mark.django_db
def test_a_group_gets_exactly_the_codes_asked_for_all_distinct():
    group = CodeGroup.objects.create_with_codes(label="Spring", offer=OfferFactory(),
                                                count=500, code_length=8)
    texts = list(group.codes.values_list("code", flat=True))
    assert len(texts) == 500 == len(set(texts)) == group.total_codes_count
    assert all(len(t) == 8 and set(t) <= set(ALPHABET_CHARACTERS[Alphabet.UNAMBIGUOUS])
               for t in texts)


@pytest.mark.django_db
def test_generated_codes_take_the_groups_settings():
    offer = OfferFactory()
    group = CodeGroup.objects.create_with_codes(label="Hex", offer=offer, count=3,
                                                code_length=16, alphabet=Alphabet.HEX,
                                                redemptions_per_code=4)
    code = group.codes.first()
    assert code.offer == offer
    assert code.max_redemptions == 4
    assert code.redemptions_count == 0
    assert code.is_active is True
    assert set(code.code) <= set("0123456789ABCDEF")
    assert code.display_code() == code.code.lower()


@pytest.mark.django_db
def test_more_than_ten_thousand_codes_per_call_are_refused_and_nothing_is_made():
    with pytest.raises(CodeGroupError) as exc:
        CodeGroup.objects.create_with_codes(label="Big", offer=OfferFactory(), count=10_001,
                                            code_length=12)
    assert exc.value.code == "too_many_codes"
    assert "10,000" in exc.value.message
    assert not CodeGroup.objects.exists()


@pytest.mark.django_db
def test_a_refusal_of_too_many_codes_carries_the_count_asked_and_the_limit():
    with pytest.raises(CodeGroupError) as exc:
        CodeGroup.objects.create_with_codes(label="Big", offer=OfferFactory(), count=12,
                                            code_length=12, max_count=10)
    assert exc.value.data == {"count": 12, "limit": 10}


@pytest.mark.django_db
def test_a_code_length_too_short_for_the_count_makes_nothing():
    with pytest.raises(CodeGroupError):
        CodeGroup.objects.create_with_codes(label="Short", offer=OfferFactory(), count=50,
                                            code_length=3)
    assert not CodeGroup.objects.exists()
    assert not Code.objects.exists()


@pytest.mark.django_db
def test_collisions_with_existing_codes_are_topped_up(monkeypatch):
    existing = CodeFactory(code="BBBBBBBB")
    draws = iter([["BBBBBBBB", "CCCCCCCC", "CCCCCCCC"], ["DDDDDDDD"]])
    real = codes_module.random_codes
    monkeypatch.setattr(models_module, "random_codes",
                        lambda count, length, alphabet: next(draws, None)
                        or real(count, length, alphabet))
    group = CodeGroup.objects.create_with_codes(label="Clash", offer=existing.offer, count=2,
                                                code_length=8)
    assert sorted(group.codes.values_list("code", flat=True)) == ["CCCCCCCC", "DDDDDDDD"]


@pytest.mark.django_db
def test_a_code_space_that_stays_full_ends_with_a_clear_refusal(monkeypatch):
    CodeFactory(code="BBBBBBBB")
    monkeypatch.setattr(models_module, "random_codes", lambda *args: ["BBBBBBBB"])
    with pytest.raises(CodeGroupError) as exc:
        CodeGroup.objects.create_with_codes(label="Full", offer=OfferFactory(), count=1,
                                            code_length=8)
    assert exc.value.code == "code_space_exhausted"
    assert not CodeGroup.objects.exists()


@pytest.mark.django_db
def test_large_groups_are_made_in_batches_with_progress(monkeypatch):
    monkeypatch.setattr(models_module, "GENERATOR_BATCH", 400)
    seen = []
    group = CodeGroup.objects.create_with_codes(
        label="Many", offer=OfferFactory(), count=1000, code_length=10, max_count=None,
        progress=lambda done, total: seen.append((done, total)))
    assert seen == [(400, 1000), (800, 1000), (1000, 1000)]
    assert group.codes.count() == 1000


@pytest.mark.django_db
def test_codes_can_be_added_to_an_existing_group():
    group = CodeGroup.objects.create_with_codes(label="Grow", offer=OfferFactory(), count=5,
                                                code_length=8)
    group = CodeGroup.objects.add_codes(group, count=7)
    assert group.total_codes_count == 12
    assert group.codes.count() == 12


@pytest.mark.django_db
def test_a_group_may_be_created_already_expired():
    past = timezone.now() - dt.timedelta(days=1)
    group = CodeGroup.objects.create_with_codes(label="Old", offer=OfferFactory(), count=2,
                                                code_length=8, expiration_date=past)
    assert all(code.is_expired() for code in group.codes.select_related("group"))


@pytest.mark.django_db
def test_a_batch_that_collides_with_nothing_goes_in_without_a_lookup(monkeypatch):
    looked_up = []
    real = models_module.CodeManager.taken
    monkeypatch.setattr(models_module.CodeManager, "taken",
                        lambda self, codes: looked_up.append(len(codes)) or real(self, codes))
    group = CodeGroup.objects.create_with_codes(label="Fast", offer=OfferFactory(), count=300,
                                                code_length=12)
    assert group.codes.count() == 300
    assert looked_up == []  # the unique index checked them


@pytest.mark.django_db
def test_a_colliding_batch_is_looked_up_once_and_topped_up(monkeypatch):
    existing = CodeFactory(code="BBBBBBBB")
    looked_up = []
    real = models_module.CodeManager.taken
    monkeypatch.setattr(models_module.CodeManager, "taken",
                        lambda self, codes: looked_up.append(sorted(codes)) or real(self, codes))
    draws = iter([["BBBBBBBB", "CCCCCCCC"]])
    monkeypatch.setattr(models_module, "random_codes",
                        lambda count, length, alphabet: next(draws, None)
                        or codes_module.random_codes(count, length, alphabet))
    group = CodeGroup.objects.create_with_codes(label="Clash", offer=existing.offer, count=2,
                                                code_length=8)
    assert looked_up[0] == ["BBBBBBBB", "CCCCCCCC"]
    assert "CCCCCCCC" in set(group.codes.values_list("code", flat=True))
    assert group.codes.count() == 2


@pytest.mark.django_db
def test_each_batch_is_told_before_it_is_sent_and_a_retried_one_again(monkeypatch):
    existing = CodeFactory(code="BBBBBBBB")
    draws = iter([["BBBBBBBB", "CCCCCCCC"], ["DDDDDDDD"]])
    real = codes_module.random_codes
    monkeypatch.setattr(models_module, "random_codes",
                        lambda count, length, alphabet: next(draws, None)
                        or real(count, length, alphabet))
    told = []

    def on_batch(group, codes):
        told.append((group.label, list(codes), Code.objects.filter(code__in=codes).count()))

    group = CodeGroup.objects.create_with_codes(label="Told", offer=existing.offer, count=2,
                                                code_length=8, on_batch=on_batch)
    assert told == [("Told", ["BBBBBBBB", "CCCCCCCC"], 1), ("Told", ["CCCCCCCC", "DDDDDDDD"], 0)]
    assert sorted(group.codes.values_list("code", flat=True)) == ["CCCCCCCC", "DDDDDDDD"]
