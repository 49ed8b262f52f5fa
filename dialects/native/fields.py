"""Serializer fields shared by every API that names a learner."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User


@extend_schema_field(OpenApiTypes.STR)
class LearnerField(serializers.Field):
    """A learner named by their id or their email (API.md); renders as the id."""

    default_error_messages = {
        "does_not_exist": "No learner with the id or email {value!r}.",
        "invalid": "Give a learner's id or email.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str | int) or not str(data).strip() or "\x00" in str(data):
            self.fail("invalid")
        try:
            return User.objects.by_id_or_email(data)
        except User.DoesNotExist:
            self.fail("does_not_exist", value=str(data)[:200])

    def to_representation(self, value):
        return str(value.pk)
