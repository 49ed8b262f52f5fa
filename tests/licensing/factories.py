"""Factories for licensing; nothing is built at import time."""

import factory
from django.utils import timezone

from licensing.models import License, Seat
from tests.factories import ClientFactory, UserFactory


class LicenseFactory(factory.django.DjangoModelFactory):
    """A license row as stored; `effective_expires_at` follows `expiration_date` and the
    parent's, as the services keep it."""

    class Meta:
        model = License
        skip_postgeneration_save = True

    client = factory.LazyAttribute(lambda o: o.parent.client if o.parent else ClientFactory())
    name = factory.Sequence(lambda n: f"License {n}")
    parent = None
    expiration_date = None
    effective_expires_at = factory.LazyAttribute(
        lambda o: min((d for d in (o.expiration_date,
                                   o.parent.effective_expires_at if o.parent else None)
                       if d is not None), default=None))

    courses = factory.PostGeneration(lambda obj, create, items, **kw: _set(obj, "courses",
                                                                          create, items))
    learning_paths = factory.PostGeneration(
        lambda obj, create, items, **kw: _set(obj, "learning_paths", create, items))
    course_tags = factory.PostGeneration(
        lambda obj, create, items, **kw: _set(obj, "course_tags", create, items))


def _set(obj, relation, create, items):
    if create and items:
        getattr(obj, relation).set(items)


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seat

    license = factory.SubFactory(LicenseFactory)
    user = factory.SubFactory(UserFactory)
    assigned_at = factory.LazyFunction(timezone.now)
