"""factory-boy factories for every model; nothing is built at import time."""

import factory
from django.utils import timezone

from accounts.models import ApiKey, LearnerGroup, Membership, User, UserTag
from catalog.models import CatalogItem, Client, Entitlement, ItemKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class LearnerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnerGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    code = factory.Sequence(lambda n: f"G{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(LearnerGroupFactory)


class UserTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserTag

    user = factory.SubFactory(UserFactory)
    tag = factory.Sequence(lambda n: f"tag{n}")


class ApiKeyFactory:
    """API keys are made through their manager so the raw key can be returned once; a test
    key is `full` unless the test is about roles."""

    @staticmethod
    def create_with_key(name: str = "tests", role: str = "full", **fields) -> tuple[ApiKey, str]:
        return ApiKey.objects.create_key(name=name, role=role, **fields)


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem
        skip_postgeneration_save = True

    kind = ItemKind.COURSE
    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    price_cents = 4900

    @factory.post_generation
    def includes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.includes.set(extracted)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    school_name = factory.Sequence(lambda n: f"School {n}")


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(CatalogItemFactory)
    starts_at = factory.LazyFunction(timezone.now)
