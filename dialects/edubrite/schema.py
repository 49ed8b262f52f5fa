"""The OpenAPI description of EduBrite's dispatch endpoints."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers

ENVELOPE = inline_serializer("EduBriteResponse", {
    "code": serializers.IntegerField(help_text="0 success, -1 failure."),
    "msgs": inline_serializer("EduBriteMsg", {
        "code": serializers.CharField(help_text="4-digit message code."),
        "value": serializers.CharField()}, many=True),
    "coupon": serializers.DictField(required=False),
    "coupons": serializers.ListField(child=serializers.DictField(), required=False),
    "usage": serializers.DictField(required=False),
    "pagination": serializers.DictField(required=False),
})
RESPONSES = {code: ENVELOPE for code in (200, 400, 401, 403, 404, 409, 422)}


def _schema(name: str, summary: str, dispatch_names: list[str], params: list[tuple[str, str]],
            responses: dict = RESPONSES):
    parameters = [
        OpenApiParameter("dispatch", str, enum=dispatch_names, required=True),
        OpenApiParameter("xml", OpenApiTypes.BOOL, description="true: answer in XML."),
        *[OpenApiParameter(p, str, description=d) for p, d in params],
    ]
    form = inline_serializer(f"{name}Form", {
        "dispatch": serializers.ChoiceField(choices=dispatch_names),
        "xml": serializers.BooleanField(required=False),
        **{p: serializers.CharField(required=False, help_text=d) for p, d in params},
    })
    return {
        "get": extend_schema(summary=summary,
                             parameters=parameters, responses=responses, tags=["edubrite"]),
        "post": extend_schema(summary=summary,
                              request={"application/x-www-form-urlencoded": form},
                              responses=responses, tags=["edubrite"]),
    }


COUPON_PARAMS = [
    ("id", "Coupon id (update/get/delete), or usage id (approve/reject)."),
    ("name", "The coupon code learners type (createCoupon: generated if absent); any case, "
             "dashes and spaces ignored; shown back as written."),
    ("couponName", "Same as name (the seed's snippet)."),
    ("type", "USAGE | AMOUNT | PERCENT | TOTAL_AMOUNT (createCoupon; a filter of listCoupons)."),
    ("entityType", "SITE | PROGRAM_SESSION | COURSE_SESSION | EVENT | GROUP."),
    ("entityId", "The entity's id; SITE: optional, our site id or URL; GROUP: id or path."),
    ("valueCount", "How many times it can be used."),
    ("valueAmount", "AMOUNT: off each seat; TOTAL_AMOUNT: the balance (currency units)."),
    ("valuePercent", "PERCENT: the share off (0–100)."),
    ("startDate", "Usable from, epoch milliseconds."),
    ("expDate", "Usable until, epoch milliseconds."),
    ("ownerGroupId", 'Id or path ({name:"Training"}/{code:"CORP"}/*) of the coupon\'s group.'),
    ("setMembershipExpiration", "true: a use sets the membership expiry to expDate."),
    ("addUserToCouponsGroup", "true: a non-member may use it and is added to the group."),
    ("requireApproval", "true: uses wait for an admin of the group to approve."),
    ("previewAccessOnly", "true: a use opens the item for a short preview only."),
    ("status", "ACTIVE | INACTIVE (updateCoupon; a filter of listCoupons)."),
    ("comment", "Comments."),
    ("reason", "rejectCouponUsage: why."),
    ("page", "listCoupons: page from 1."),
    ("currPage", "listCoupons: EduBrite's page index, from 0 (-1: the first page); "
                 "`page` wins."),
    ("per_page", "listCoupons: page size, at most 500 (also pageSize)."),
    ("q", "listCoupons: keywords over code and comment."),
]
COUPON_SCHEMA = _schema(
    "edubrite_coupon_service",
    "EduBrite couponService.do: create, update, get, list, delete coupons; decide usages.",
    ["createCoupon", "updateCoupon", "getCoupon", "listCoupons", "deleteCoupon",
     "approveCouponUsage", "rejectCouponUsage"], COUPON_PARAMS)


EVENT_SCHEMA = _schema(
    "edubrite_event_service",
    "EduBrite eventService.do?dispatch=subscribeByAuthCode: subscribe with a coupon code.",
    ["subscribeByAuthCode"],
    [("eventId", "The course session, program session or event (id or external id)."),
     ("code", "The coupon code."),
     ("userName", "The learner (email or id); default: the signed-in user.")],
    responses={**RESPONSES, 429: ENVELOPE})  # refused codes are throttled (0962)


CONNECT_SCHEMA = extend_schema(
    summary="EduBrite connect.do: the session handshake (SESSION_ID, then SESSION_INFO).",
    parameters=[OpenApiParameter("username", str, description="Second call: the email."),
                OpenApiParameter("password", str, description="Second call: the password."),
                OpenApiParameter("xml", OpenApiTypes.BOOL, description="true: answer in XML.")],
    responses={200: ENVELOPE, 401: ENVELOPE, 429: ENVELOPE}, tags=["edubrite"])
