"""Native API for learner groups and their memberships."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from accounts import services
from accounts.models import LearnerGroup, Membership
from core.filters import ZypeFilters
from dialects.native.base import NativeView
from dialects.native.fields import LearnerField


class LearnerGroupSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=LearnerGroup.objects.all(),
                                                allow_null=True, required=False)

    class Meta:
        model = LearnerGroup
        fields = ["id", "name", "code", "parent", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.create_group(**validated_data)

    def update(self, instance, validated_data):
        return services.update_group(instance, **validated_data)


class LearnerGroupViewSet(NativeView, viewsets.ModelViewSet):
    """Learner groups; they nest under a parent."""

    queryset = LearnerGroup.objects.select_related("parent").order_by("name", "id")
    serializer_class = LearnerGroupSerializer
    zype_filters = ZypeFilters(
        equal={"name": "name", "code": "code", "parent": "parent"},
        times={"created_at": "created_at", "updated_at": "updated_at"},
        text=["name", "code"],
    )

    def perform_destroy(self, instance):
        services.delete_group(instance)


class MembershipSerializer(serializers.ModelSerializer):
    user = LearnerField(help_text="The learner's id or email.")
    group = serializers.PrimaryKeyRelatedField(queryset=LearnerGroup.objects.all())

    class Meta:
        model = Membership
        fields = ["id", "user", "group", "expires_at", "is_admin", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # add_member makes a repeated membership an update, not a 400

    def create(self, validated_data):
        return services.add_member(**validated_data)

    def update(self, instance, validated_data):
        return services.update_membership(instance, **validated_data)


class MembershipViewSet(NativeView, viewsets.ModelViewSet):
    """Who belongs to which group, until when, and who administers it."""

    queryset = Membership.objects.select_related("user", "group").order_by("-created_at", "id")
    serializer_class = MembershipSerializer
    zype_filters = ZypeFilters(
        equal={"group": "group", "user": "user__email", "user_id": "user",
               "is_admin": "is_admin"},
        times={"created_at": "created_at", "expires_at": "expires_at"},
        text=["user__email", "group__name", "group__code"],
    )

    def perform_destroy(self, instance):
        services.remove_member(instance)
