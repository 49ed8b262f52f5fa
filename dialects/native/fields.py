"""Serializer fields the native API shares: a learner by id or email, and the content a
client or a license is assigned."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from catalog.models import CatalogItem, ItemKind


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


class AssignedContentFields(serializers.Serializer):
    """The content a client (or a license, for its client) is assigned, by id: its courses,
    learning paths and course tags. Mixed into a ModelSerializer before it."""

    courses = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CatalogItem.objects.of_kind(ItemKind.COURSE))
    learning_paths = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CatalogItem.objects.of_kind(ItemKind.LEARNING_PATH))
    course_tags = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CatalogItem.objects.of_kind(ItemKind.COURSE_TAG))
