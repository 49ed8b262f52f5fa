"""factory-boy factories for the redemptions app; nothing is built at import time."""

import factory

from redemptions.codes import random_codes
from redemptions.models import ActionType, Code, CodeGroup, Offer, Redemption
from tests.factories import CatalogItemFactory, UserFactory


class OfferFactory(factory.django.DjangoModelFactory):
    """An apply-offer offer; `items=[...]` sets its items (one new course by default)."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Offer {n}")
    action_type = ActionType.APPLY_OFFER

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [CatalogItemFactory()] if obj.action_type == ActionType.APPLY_OFFER \
                else []
        obj.items.set(extracted)

    @factory.post_generation
    def licenses(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.licenses.set(extracted)


class CodeGroupFactory(factory.django.DjangoModelFactory):
    """A group row only; codes come from `CodeFactory(group=...)` or the generator."""

    class Meta:
        model = CodeGroup

    label = factory.Sequence(lambda n: f"Group {n}")
    offer = factory.SubFactory(OfferFactory)
    code_length = 10


class CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Code

    group = None
    offer = factory.LazyAttribute(lambda o: o.group.offer if o.group else OfferFactory())
    target_item_id = factory.LazyAttribute(lambda o: o.offer.single_item_id())  # as services do
    code = factory.LazyFunction(lambda: random_codes(1, 12, "unambiguous")[0])
    max_redemptions = 1


class RedemptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Redemption

    code = factory.SubFactory(CodeFactory)
    user = factory.SubFactory(UserFactory)
