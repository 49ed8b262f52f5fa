"""Native API for licensing: `/api/v1/licenses` and `/api/v1/seats`.

Thin: parse, call `licensing.services`, render. Seats are history: listed, assigned (many by
email in one call), revoked — never deleted.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.models import Client
from core.filters import StrictBooleanFilter, ZypeFilters
from dialects.native.base import NativeView
from dialects.native.fields import AssignedContentFields
from licensing import selectors, services
from licensing.errors import LicenseExpired
from licensing.models import MAX_ACCESS_DAYS, MAX_SEATS, License, Seat

ERRORS = {400: None, 401: None, 403: None, 404: None}
REFS = [f"ref{i}" for i in range(1, 11)]
MAX_EMAILS = 500


class LicenseSerializer(AssignedContentFields, serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    parent = serializers.PrimaryKeyRelatedField(queryset=License.objects.all(), allow_null=True,
                                                required=False)
    seats_limit = serializers.IntegerField(min_value=0, max_value=MAX_SEATS, allow_null=True,
                                           required=False, help_text="Empty: unlimited seats.")
    access_days = serializers.IntegerField(min_value=1, max_value=MAX_ACCESS_DAYS,
                                           allow_null=True, required=False)
    seats_used = serializers.SerializerMethodField(
        help_text="Active seats counting against seats_limit: this license's and those of "
                  "the licenses under it.")
    replace_client_courses = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="Replace the client's courses with `courses` instead of appending.")
    replace_client_learning_paths = serializers.BooleanField(write_only=True, required=False,
                                                             default=False)
    replace_client_course_tags = serializers.BooleanField(write_only=True, required=False,
                                                          default=False)

    class Meta:
        model = License
        fields = ["id", "client", "name", "label", "sku", "seats_limit", "seats_used", "parent",
                  "access_days", "expiration_date", "effective_expires_at", "enable_branding",
                  "is_default", *REFS, "courses", "learning_paths", "course_tags",
                  "replace_client_courses", "replace_client_learning_paths",
                  "replace_client_course_tags", "created_at", "updated_at"]
        read_only_fields = ["id", "effective_expires_at", "created_at", "updated_at"]
        validators = []  # one default per client: the service clears the other, not a 400

    def get_seats_used(self, obj) -> int:
        used = self.context.get("seats_used")
        if used is None:
            used = selectors.seats_used([obj])
        return used.get(obj.pk, 0)

    def create(self, validated_data):
        return services.create_license(**validated_data)

    def update(self, instance, validated_data):
        return services.update_license(license=instance, **validated_data)


class LicenseViewSet(NativeView, viewsets.ModelViewSet):
    """Licenses of client organisations. Delete is refused (409) while a license holds
    seats (or their history) or has children."""

    queryset = (License.objects.select_related("client", "parent")
                .prefetch_related("courses", "learning_paths", "course_tags")
                .order_by("name", "id"))
    serializer_class = LicenseSerializer
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
    zype_filters = ZypeFilters(
        equal={"client": "client", "parent": "parent", "name": "name", "label": "label",
               "sku": "sku", "is_default": "is_default", "enable_branding": "enable_branding"},
        times={"created_at": "created_at", "updated_at": "updated_at",
               "expiration_date": "expiration_date",
               "effective_expires_at": "effective_expires_at"},
        text=["name", "label", "sku", "client__name", *REFS],
    )

    def get_serializer(self, *args, **kwargs):
        if args and kwargs.get("many"):
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["seats_used"] = selectors.seats_used(args[0])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete a license that never held a seat and has no children."""
        services.delete_license(license=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SeatSerializer(serializers.ModelSerializer):
    user_email = serializers.EmailField(source="user.email", read_only=True)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Seat
        fields = ["id", "license", "user", "user_email", "assigned_at", "expires_at",
                  "ends_by", "revoked_at", "revoked_reason", "source", "source_ref", "is_active",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_is_active(self, obj) -> bool:
        return obj.is_active()


class AssignSeatsSerializer(serializers.Serializer):
    license = serializers.PrimaryKeyRelatedField(queryset=License.objects.all())
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), min_length=1, max_length=MAX_EMAILS,
        help_text=f"The learners to seat, by email (at most {MAX_EMAILS}).")
    source_ref = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                       default="", help_text="Your reference for this batch.")


OUTCOMES = [services.ASSIGNED, services.ALREADY_HELD, services.NO_SUCH_USER,
            services.NO_SEAT_LEFT, services.LICENSE_EXPIRED]
AssignSeatsResult = inline_serializer("AssignSeatsResult", {
    "license": serializers.UUIDField(),
    "results": inline_serializer("SeatOutcome", {
        "email": serializers.CharField(),
        "outcome": serializers.ChoiceField(choices=OUTCOMES),
        "seat": SeatSerializer(allow_null=True),
        "message": serializers.CharField(),
    }, many=True),
    "counts": inline_serializer("SeatOutcomeCounts", {
        name: serializers.IntegerField() for name in OUTCOMES}),
})


class RevokeSeatSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


@extend_schema_field(OpenApiTypes.BOOL)
def _active_filter(queryset, name, value):
    if value is None:
        return queryset
    active = Seat.objects.active().values("pk")
    return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


class SeatViewSet(NativeView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  viewsets.GenericViewSet):
    """Seats: list (filters), assign many by email (POST), revoke. Never deleted."""

    required_permissions = {"create": ["licensing.assign_seats"],
                            "revoke": ["licensing.assign_seats"]}
    queryset = Seat.objects.select_related("user").order_by("-assigned_at", "id")
    serializer_class = SeatSerializer
    zype_filters = ZypeFilters(
        equal={"license": "license", "user": "user__email", "user_id": "user",
               "source": "source", "source_ref": "source_ref",
               "active": StrictBooleanFilter(method=_active_filter,
                                             help_text="true: seats in force now.")},
        times={"assigned_at": "assigned_at", "expires_at": "expires_at",
               "revoked_at": "revoked_at", "created_at": "created_at"},
        text=["user__email", "license__name", "source_ref"],
    )

    @extend_schema(request=AssignSeatsSerializer,
                   responses={200: AssignSeatsResult, **ERRORS, 422: None})
    def create(self, request):
        """Seat many learners on one license by email. **Per email, not all-or-nothing**:
        each email is its own transaction and is reported as `assigned`, `already_held`,
        `no_such_user`, `no_seat_left` (or, if the license expires mid-batch,
        `license_expired`); repeated emails count once. 422 when the license has already
        expired (nothing is tried)."""
        body = AssignSeatsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        license = body.validated_data["license"]
        if selectors.is_expired(license):
            raise LicenseExpired(message=f"“{license.name}” has expired: it takes no seats.")
        outcomes = services.assign_seats_by_email(
            license=license, emails=body.validated_data["emails"], source="manual",
            source_ref=body.validated_data["source_ref"])
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome in outcomes:
            counts[outcome.outcome] += 1
        return Response({
            "license": str(license.pk),
            "results": [{"email": o.email, "outcome": o.outcome,
                         "seat": SeatSerializer(o.seat).data if o.seat else None,
                         "message": o.message} for o in outcomes],
            "counts": counts,
        })

    @extend_schema(request=RevokeSeatSerializer, responses={200: SeatSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """End this seat now (it stays listed, with when and why); a second call changes
        nothing."""
        body = RevokeSeatSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        seat = services.revoke_seat(seat=self.get_object(), reason=body.validated_data["reason"])
        return Response(SeatSerializer(seat).data)
