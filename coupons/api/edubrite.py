"""EduBrite dialect: `couponService.do`, `eventService.do` and the `connect.do` handshake.

Every path answers at the root and under EduBrite's own prefix `/oltpublish/site/`. Parameters
are form parameters (GET query or POST form body; names are trimmed, so a client that sends
`ownerGroupId\\n` as the seed's snippet does still works). The answer is XML when `xml=true`,
JSON otherwise:

    <response code="0"><msgs><msg><code>0219</code><value><![CDATA[Coupon Created
    Successfully]]></value></msg></msgs><coupon id="…" name="…"/></response>

    {"code": 0, "msgs": [{"code": "0219", "value": "Coupon Created Successfully"}],
     "coupon": {"id": "…", "name": "…"}}

A refusal is `<response code="-1">` with one `<msg>` per problem and a 4xx status. Messages
are CDATA (a `]]>` inside is split across two sections), attributes are escaped, and
characters XML cannot carry are dropped.

Credentials: `authCode=<API key>`; or the handshake (`coupons.sessions`): `connect.do` (or its
alias `home.do`) sets a `SESSION_ID` cookie (storing nothing), called again with that cookie
and `username` + `password` it sets `SESSION_INFO` and `SESSION_ID` again, and later calls
carrying both cookies are that user — in one Cookie header or in two (`session_cookies`).
Failed sign-ins are throttled like the web login's (`accounts.throttles.login_throttle`): 429,
0962. Any other `*.do` is a 404 in this envelope (`UnknownServiceView`).
Coupon administration (create, update, get, list, delete) needs an API key or a staff user;
approving or rejecting a usage also suits an admin member of the coupon's owner group;
`subscribeByAuthCode` suits any signed-in user for themselves (API keys and staff name the
learner with `userName`).

Dispatches of `couponService.do`: createCoupon (seed 004), updateCoupon, getCoupon,
listCoupons, deleteCoupon, approveCouponUsage, rejectCouponUsage. `eventService.do`:
subscribeByAuthCode. Money: `valueAmount` is in currency units ("10.50"), stored as cents,
rounded half-up. Dates are epoch milliseconds; booleans `true|false`.

Message codes (EduBrite's own first, then ours):

| code | HTTP | meaning |
|------|------|---------|
| 0005 | 401/403 | You are not allowed to perform this action. (credentials; not yours) |
| 0026 | 404 | Invalid auth code (no coupon has this code) |
| 0153 | 200 | Successfully subscribed to the course session |
| 0219 | 200 | Coupon Created Successfully |
| 0223 | 200 | Coupon updated successfully |
| 0900 | 404 | Not found (unknown path or object) |
| 0901 | 400 | A required parameter is missing |
| 0902 | 400 | A parameter's value is not valid |
| 0903 | 400 | Unknown dispatch |
| 0904 | 404 | No coupon has this id |
| 0905 | 404 | No group matches this group id or path |
| 0906 | 400 | Several groups match this group path |
| 0907 | 400 | Malformed group path |
| 0908 | 404 | No such course session, program session, event or site |
| 0909 | 404 | No such learner (userName) |
| 0910 | 404 | No coupon usage has this id |
| 0911 | 400 | The coupon's terms do not hold together (type and values, dates, entity) |
| 0912 | 409 | Another coupon already has this code |
| 0920 | 422 | The coupon is not active |
| 0921 | 422 | The coupon cannot be used yet (before startDate) |
| 0922 | 422 | The coupon has expired (expDate) |
| 0923 | 422 | The coupon has been used up (valueCount) |
| 0924 | 422 | The coupon's balance has been spent (TOTAL_AMOUNT) |
| 0925 | 422 | The coupon cannot be used for this item |
| 0926 | 422 | The coupon is only for members of its group |
| 0927 | 409 | This learner already used this coupon for this item |
| 0928 | 422 | valueCount cannot go below the uses so far |
| 0929 | 409 | The usage is not pending (already approved or rejected) |
| 0930 | 409 | A used coupon cannot be deleted (set it INACTIVE) |
| 0940 | 401 | connect.do: wrong username or password |
| 0950 | 200 | Subscription pending approval |
| 0951 | 200 | connect.do: session started |
| 0952 | 200 | connect.do: signed in |
| 0953 | 200 | Coupon deleted successfully |
| 0954 | 200 | Coupon usage approved |
| 0955 | 200 | Coupon usage rejected |
| 0960 | 409 | Conflicts with existing data |
| 0961 | 422 | Refused by the rules |
| 0962 | 429 | Too many failed attempts (coupon codes, connect.do sign-ins); see Retry-After |
| 0999 | 5xx | Something went wrong on our side |
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import quoteattr

from django.http import QueryDict
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import AuthCodeAuthentication
from accounts.dialects import EduBriteView
from accounts.models import User
from accounts.permissions import IsApiClientStaffOrLearner, is_api_client, is_staff_user
from accounts.selectors import resolve_group_path
from accounts.throttles import client_ip, login_throttle, redeem_guard
from catalog.models import CatalogItem, ItemKind
from core.envelopes import Problem, make_exception_handler, register_prefix
from core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.filters import ZypeFilterBackend, ZypeFilters, is_uuid
from core.pagination import PagePagination
from core.time import epoch_millis, parse_epoch_millis
from coupons import services, sessions
from coupons.discounts import cents_to_units, units_to_cents
from coupons.errors import CouponNotFound, UsageNotFound
from coupons.models import ENTITY_ITEM_KINDS, Coupon, CouponUsage, EntityType
from coupons.selectors import is_our_site

# --- envelope --------------------------------------------------------------------------------

NOT_ALLOWED = "You are not allowed to perform this action."

CODES = {
    "not_authenticated": "0005", "authentication_failed": "0005", "permission_denied": "0005",
    "forbidden": "0005", "not_allowed": "0005",
    "coupon_code_unknown": "0026",
    "not_found": "0900", "required": "0901", "invalid": "0902", "unknown_dispatch": "0903",
    "coupon_not_found": "0904", "group_not_found": "0905", "group_path_ambiguous": "0906",
    "group_path_invalid": "0907", "item_not_found": "0908", "site_not_found": "0908",
    "user_not_found": "0909", "usage_not_found": "0910", "coupon_invalid": "0911",
    "coupon_code_taken": "0912", "coupon_inactive": "0920", "coupon_not_started": "0921",
    "coupon_expired": "0922", "coupon_used_up": "0923", "coupon_balance_spent": "0924",
    "coupon_not_for_item": "0925", "not_in_coupon_group": "0926",
    "coupon_already_used": "0927", "value_count_below_uses": "0928",
    "usage_not_pending": "0929", "coupon_used": "0930", "bad_credentials": "0940",
    "conflict": "0960", "protected": "0960", "throttled": "0962",
}
BY_STATUS = {400: "0902", 401: "0005", 403: "0005", 404: "0900", 409: "0960", 422: "0961",
             429: "0962"}
FIXED_MESSAGES = {"0005": NOT_ALLOWED, "0026": "Invalid auth code"}


def edubrite_code(problem: Problem, status: int) -> str:
    if re.fullmatch(r"\d{4}", problem.code):
        return problem.code
    return CODES.get(problem.code) or BY_STATUS.get(status, "0999")


def render_edubrite(status: int, problems: list[Problem]) -> dict:
    """A refusal as EduBrite writes it: code -1 and one coded message per problem."""
    msgs = []
    for problem in problems:
        code = edubrite_code(problem, status)
        msgs.append({"code": code, "value": FIXED_MESSAGES.get(code, problem.message)})
    return {"code": -1, "msgs": msgs}


edubrite_exception_handler = make_exception_handler(render_edubrite)
for _prefix in ("/couponService.do", "/eventService.do", "/oltpublish/"):
    register_prefix(_prefix, render_edubrite)


def ok(code: str | None = None, message: str | None = None, *, extra_msgs=(),
       **payload) -> Response:
    """A success envelope: code 0, the messages, then the payload elements in order."""
    msgs = [{"code": code, "value": message}] if code and message else []
    msgs += [{"code": c, "value": v} for c, v in extra_msgs]
    return Response({"code": 0, "msgs": msgs, **payload})


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def cdata(value: object) -> str:
    """Text as CDATA; a `]]>` inside is split across two sections so it cannot end it."""
    return "<![CDATA[" + _clean(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attrs(values: dict) -> str:
    out = []
    for key, value in values.items():
        if value is None or isinstance(value, dict | list):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else _clean(value)
        out.append(f" {key}={quoteattr(text)}")
    return "".join(out)


def to_xml(envelope: dict) -> str:
    """The envelope as EduBrite's XML (no declaration, no whitespace: byte-stable)."""
    parts = [f'<response code="{int(envelope.get("code", 0))}">']
    msgs = envelope.get("msgs") or []
    if msgs:
        parts.append("<msgs>")
        for msg in msgs:
            parts.append(f"<msg><code>{_clean(msg['code'])}</code>"
                         f"<value>{cdata(msg['value'])}</value></msg>")
        parts.append("</msgs>")
    else:
        parts.append("<msgs/>")
    for key, value in envelope.items():
        if key in ("code", "msgs"):
            continue
        if isinstance(value, list):
            child = key[:-1] if key.endswith("s") else "item"
            parts.append(f"<{key}>")
            parts.extend(f"<{child}{_attrs(row)}/>" for row in value)
            parts.append(f"</{key}>")
        elif isinstance(value, dict):
            parts.append(f"<{key}{_attrs(value)}/>")
    parts.append("</response>")
    return "".join(parts)


class EduBriteXMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return to_xml(data).encode(self.charset)


# --- parameters ------------------------------------------------------------------------------

def form_params(request) -> QueryDict:
    """Query and form parameters in one QueryDict (form wins), names trimmed."""
    merged = QueryDict(mutable=True)
    sources = [request.query_params]
    try:
        if hasattr(request.data, "lists"):
            sources.append(request.data)
        elif isinstance(request.data, dict):
            sources.append(QueryDict(mutable=True))
            for key, value in request.data.items():
                sources[-1][key] = "" if value is None else str(value)
    except (exceptions.ParseError, exceptions.UnsupportedMediaType):
        pass
    for source in sources:
        for key, values in source.lists():
            merged.setlist(str(key).strip(), values)
    return merged


def _wants_xml(request) -> bool:
    return (form_params(request).get("xml") or "").strip().lower() == "true"


class EduBriteNegotiation(DefaultContentNegotiation):
    """XML when `xml=true`, JSON otherwise, whatever the Accept header says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = EduBriteXMLRenderer if _wants_xml(request) else JSONRenderer
        for renderer in renderers:
            if isinstance(renderer, wanted):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
MAX_COUNT = 2_147_483_647  # valueCount is stored in a 32-bit column


class Params:
    """Typed access to the form parameters; a bad value is a 400 naming the parameter."""

    def __init__(self, request) -> None:
        self.data = form_params(request)

    def text(self, *names: str, required: bool = False) -> str | None:
        for name in names:  # NULs never get here: refused with the form (core.parsers)
            value = self.data.get(name)
            if value is not None and value.strip():
                return value.strip()
        if required:
            raise InvalidInput("required", f"{names[0]} is required.", field=names[0])
        return None

    def given(self, name: str) -> bool:
        return name in self.data

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise InvalidInput("invalid", f"{name} must be true or false.", field=name)

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not re.fullmatch(r"\d{1,10}", value) or int(value) > MAX_COUNT:
            raise InvalidInput("invalid", f"{name} must be a whole number from 0 to "
                                          f"{MAX_COUNT}.", field=name)
        return int(value)

    def cents(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            cents = units_to_cents(value)
        except ValueError:
            cents = -1
        if cents < 0 or cents > 10**15:
            raise InvalidInput("invalid", f"{name} must be an amount such as 10 or 10.50.",
                               field=name)
        return cents

    def percent(self, name: str) -> Decimal | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            percent = Decimal(value).quantize(Decimal("0.01"))
        except InvalidOperation:
            percent = Decimal(-1)
        if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
            raise InvalidInput("invalid", f"{name} must be a number from 0 to 100.", field=name)
        return percent

    def millis(self, name: str):
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_epoch_millis(value)
        except ValueError:
            raise InvalidInput("invalid", f"{name} must be epoch milliseconds "
                                          "(such as 1495163497116).", field=name) from None


# --- what the dialect shows ------------------------------------------------------------------

def coupon_brief(coupon: Coupon) -> dict:
    return {"id": str(coupon.pk), "name": coupon.code}


def coupon_full(coupon: Coupon) -> dict:
    entity = coupon.item_id or coupon.group_id
    return {
        "id": str(coupon.pk), "name": coupon.code, "type": coupon.type,
        "entityType": coupon.entity_type, "entityId": str(entity) if entity else None,
        "valueCount": coupon.value_count,
        "valueAmount": cents_to_units(coupon.value_amount_cents),
        "valuePercent": str(coupon.value_percent) if coupon.value_percent is not None else None,
        "startDate": epoch_millis(coupon.start_date), "expDate": epoch_millis(coupon.exp_date),
        "ownerGroupId": str(coupon.owner_group_id) if coupon.owner_group_id else None,
        "setMembershipExpiration": coupon.set_membership_expiration,
        "addUserToCouponsGroup": coupon.add_user_to_coupons_group,
        "requireApproval": coupon.require_approval,
        "previewAccessOnly": coupon.preview_access_only,
        "status": coupon.status, "comment": coupon.comment, "usedCount": coupon.uses(),
        "balance": cents_to_units(coupon.balance_cents()),
        "createdDate": epoch_millis(coupon.created_at),
    }


def usage_dict(usage: CouponUsage) -> dict:
    return {
        "id": str(usage.pk), "couponId": str(usage.coupon_id), "userName": usage.user.email,
        "eventId": str(usage.item_id), "status": usage.status,
        "price": cents_to_units(usage.price_cents),
        "discount": cents_to_units(usage.discount_cents),
        "finalPrice": cents_to_units(usage.final_price_cents),
        "createdDate": epoch_millis(usage.created_at),
        "decidedDate": epoch_millis(usage.decided_at),
    }


# --- lookups ---------------------------------------------------------------------------------

def _coupon_by_id(ref: str) -> Coupon:
    coupon = Coupon.objects.filter(pk=ref).first() if is_uuid(ref) else None
    if coupon is None:
        coupon = Coupon.objects.by_code(ref).first()
    if coupon is None:
        raise CouponNotFound(message=f"No coupon has the id {ref!r}.")
    return coupon


def _coupon_by_code(code: str) -> Coupon:
    coupon = Coupon.objects.by_code(code).first()
    if coupon is None:
        raise CouponNotFound("coupon_code_unknown", "Invalid auth code")
    return coupon


def _item(ref: str, kinds: tuple[str, ...], param: str) -> CatalogItem:
    matches = [i for i in CatalogItem.objects.by_id_or_external(None, ref).filter(kind__in=kinds)]
    if len(matches) != 1:
        names = " or ".join(k.replace("_", " ") for k in kinds)
        raise NotFound("item_not_found", f"No {names} has the id {ref!r}.", field=param)
    return matches[0]


def _usage(ref: str) -> CouponUsage:
    usage = (CouponUsage.objects.select_related("user").filter(pk=ref).first()
             if is_uuid(ref) else None)
    if usage is None:
        raise UsageNotFound(message=f"No coupon usage has the id {ref!r}.")
    return usage


def _back_office(request) -> None:
    if not (is_api_client(request.user) or is_staff_user(request.user)):
        raise NotAllowed(message=NOT_ALLOWED)


# --- authentication --------------------------------------------------------------------------

SESSION_COOKIES = ("SESSION_ID", "SESSION_INFO")


def session_cookies(request) -> dict[str, str]:
    """`SESSION_ID` and `SESSION_INFO` from the Cookie header, as EduBrite's clients send them.

    EduBrite's Java client (commons-httpclient) sends each cookie in its own header, led by
    RFC 2109's `$Version` (others add `$Path`/`$Domain` after a value), and a WSGI server
    joins repeated headers with a comma: `$Version=0; SESSION_ID=a, $Version=0; SESSION_INFO=b`.
    Django's cookie parser splits on `;` only (SESSION_ID would be `a, $Version=0`), so these
    two are read here: pairs split on `;` and `,`, `$` attributes skipped, quotes dropped, the
    first of a name kept. Our values are signed tokens without either separator; other cookies
    (and Django's `request.COOKIES`) are left as Django reads them.
    """
    found: dict[str, str] = {}
    for pair in re.split(r"[;,]", request.META.get("HTTP_COOKIE", "")):
        name, _, value = pair.partition("=")
        name = name.strip()
        if name in SESSION_COOKIES and name not in found:
            found[name] = value.strip().strip('"')
    return found


class EduBriteSessionAuthentication(authentication.BaseAuthentication):
    """The `SESSION_ID` + `SESSION_INFO` cookies that `connect.do` sets (`coupons.sessions`)."""

    def authenticate(self, request):
        cookies = session_cookies(request)
        id_cookie, info_cookie = cookies.get("SESSION_ID"), cookies.get("SESSION_INFO")
        if not (id_cookie and info_cookie):
            return None
        try:
            return sessions.session_user(id_cookie, info_cookie)
        except ValueError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None

    def authenticate_header(self, request):
        return 'EduBrite realm="entitle"'


class EduBriteSessionScheme(OpenApiAuthenticationExtension):
    target_class = "coupons.api.edubrite.EduBriteSessionAuthentication"
    name = "EduBriteSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "SESSION_INFO",
                "description": "EduBrite's handshake: /oltpublish/site/connect.do sets "
                               "SESSION_ID, then (called with username + password) "
                               "SESSION_INFO; send both cookies."}


# --- views -----------------------------------------------------------------------------------

class EduBritePagination(PagePagination):
    """`page`/`per_page` (or EduBrite's `currPage`/`pageSize`) from the form parameters."""

    def paginate_queryset(self, queryset, request, view=None):
        params = form_params(request)
        for alias, name in (("currPage", "page"), ("pageSize", "per_page")):
            if name not in params and alias in params:
                params[name] = params[alias]
        shim = type("FormRequest", (), {"query_params": params})()
        return super().paginate_queryset(queryset, shim, view)

    def envelope(self, key: str, rows: list) -> Response:
        return ok(None, None, **{key: rows, "pagination": {
            **self.pagination_info(), "count": self.count}})


class EduBriteFilterBackend(ZypeFilterBackend):
    """Zype-style filters read from the form parameters too (EduBrite clients POST them)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["data"] = form_params(request)
        return kwargs


class EduBriteAPIView(EduBriteView, APIView):
    authentication_classes = [AuthCodeAuthentication, EduBriteSessionAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [IsApiClientStaffOrLearner]
    renderer_classes = [JSONRenderer, EduBriteXMLRenderer]
    content_negotiation_class = EduBriteNegotiation
    exception_handler = staticmethod(edubrite_exception_handler)
    metadata_class = None  # EduBrite's services answer GET and POST only: OPTIONS is a 405
    dispatches: dict[str, str] = {}

    def handle(self, request):
        params = Params(request)
        dispatch = params.text("dispatch", required=True)
        handler = self.dispatches.get(dispatch)
        if handler is None:
            raise InvalidInput("unknown_dispatch",
                               f"Unknown dispatch {dispatch!r}; this service answers "
                               f"{', '.join(self.dispatches)}.", field="dispatch")
        return getattr(self, handler)(request, params)


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
    ("name", "The coupon code learners type (createCoupon: generated if absent)."),
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
    ("page", "listCoupons: page from 1 (also currPage)."),
    ("per_page", "listCoupons: page size, at most 500 (also pageSize)."),
    ("q", "listCoupons: keywords over code and comment."),
]
COUPON_SCHEMA = _schema(
    "edubrite_coupon_service",
    "EduBrite couponService.do: create, update, get, list, delete coupons; decide usages.",
    ["createCoupon", "updateCoupon", "getCoupon", "listCoupons", "deleteCoupon",
     "approveCouponUsage", "rejectCouponUsage"], COUPON_PARAMS)


class CouponServiceView(EduBriteAPIView):
    """`couponService.do?dispatch=…` — see the module docstring for every dispatch."""

    dispatches = {
        "createCoupon": "create_coupon", "updateCoupon": "update_coupon",
        "getCoupon": "get_coupon", "listCoupons": "list_coupons",
        "deleteCoupon": "delete_coupon", "approveCouponUsage": "approve_usage",
        "rejectCouponUsage": "reject_usage",
    }
    zype_filters = ZypeFilters(
        equal={"status": "status", "type": "type", "entityType": "entity_type",
               "ownerGroupId": "owner_group", "name": "code"},
        times={"createdAt": "created_at", "startDate": "start_date", "expDate": "exp_date"},
        text=["code", "comment"],
    )

    @COUPON_SCHEMA["get"]
    def get(self, request):
        return self.handle(request)

    @COUPON_SCHEMA["post"]
    def post(self, request):
        return self.handle(request)

    def _owner_group(self, p: Params):
        ref = p.text("ownerGroupId")
        return resolve_group_path(ref) if ref else None

    def create_coupon(self, request, p: Params):
        _back_office(request)
        entity_type = p.text("entityType", required=True).upper()
        entity_id = p.text("entityId")
        item = group = None
        if entity_type == EntityType.GROUP:
            group = resolve_group_path(p.text("entityId", required=True))
        elif entity_type in ENTITY_ITEM_KINDS:
            kind = ENTITY_ITEM_KINDS[entity_type]
            item = _item(p.text("entityId", required=True), (kind,), "entityId")
        elif (entity_type == EntityType.SITE and entity_id
              and not is_our_site(entity_id, request_host=request.get_host())):
            raise NotFound("site_not_found", f"{entity_id!r} is not this site's id or URL.",
                           field="entityId")
        coupon = services.create_coupon(
            code=p.text("name", "couponName"), type=p.text("type", required=True).upper(),
            entity_type=entity_type, item=item, group=group,
            value_count=p.integer("valueCount"), value_amount_cents=p.cents("valueAmount"),
            value_percent=p.percent("valuePercent"), start_date=p.millis("startDate"),
            exp_date=p.millis("expDate"), owner_group=self._owner_group(p),
            set_membership_expiration=bool(p.boolean("setMembershipExpiration")),
            add_user_to_coupons_group=bool(p.boolean("addUserToCouponsGroup")),
            require_approval=bool(p.boolean("requireApproval")),
            preview_access_only=bool(p.boolean("previewAccessOnly")),
            comment=p.text("comment") or "", created_by=str(request.user),
        )
        return ok("0219", "Coupon Created Successfully", coupon=coupon_brief(coupon))

    def update_coupon(self, request, p: Params):
        _back_office(request)
        coupon = _coupon_by_id(p.text("id", required=True))
        changes = {}
        for param, field, read in (
            ("valueCount", "value_count", p.integer),
            ("valueAmount", "value_amount_cents", p.cents),
            ("valuePercent", "value_percent", p.percent), ("startDate", "start_date", p.millis),
            ("expDate", "exp_date", p.millis),
            ("setMembershipExpiration", "set_membership_expiration", p.boolean),
            ("addUserToCouponsGroup", "add_user_to_coupons_group", p.boolean),
            ("requireApproval", "require_approval", p.boolean),
            ("previewAccessOnly", "preview_access_only", p.boolean),
        ):
            value = read(param)
            if value is not None:
                changes[field] = value
        status = p.text("status")
        if status is not None:
            if status.upper() not in ("ACTIVE", "INACTIVE"):
                raise InvalidInput("invalid", "status must be ACTIVE or INACTIVE.",
                                   field="status")
            changes["status"] = status.upper()
        if p.given("comment"):
            changes["comment"] = p.data.get("comment", "")
        if p.text("ownerGroupId"):
            changes["owner_group"] = self._owner_group(p)
        coupon = services.update_coupon(coupon, **changes)
        return ok("0223", "Coupon updated successfully", coupon=coupon_brief(coupon))

    def get_coupon(self, request, p: Params):
        _back_office(request)
        ref = p.text("id")
        if ref:
            coupon = _coupon_by_id(ref)
        else:
            coupon = _coupon_by_code(p.text("name", "couponName", "code", required=True))
        return ok(None, None, coupon=coupon_full(coupon))

    def list_coupons(self, request, p: Params):
        _back_office(request)
        queryset = EduBriteFilterBackend().filter_queryset(
            request, Coupon.objects.order_by("-created_at", "id"), self)
        paginator = EduBritePagination()
        page = paginator.paginate_queryset(queryset, request, self)
        return paginator.envelope("coupons", [coupon_full(c) for c in page])

    def delete_coupon(self, request, p: Params):
        _back_office(request)
        coupon = _coupon_by_id(p.text("id", required=True))
        services.delete_coupon(coupon)
        return ok("0953", "Coupon deleted successfully", coupon=coupon_brief(coupon))

    def approve_usage(self, request, p: Params):
        usage = services.approve_usage(usage=_usage(p.text("id", "usageId", required=True)),
                                       by=request.user)
        return ok("0954", "Coupon usage approved", usage=usage_dict(usage))

    def reject_usage(self, request, p: Params):
        usage = services.reject_usage(usage=_usage(p.text("id", "usageId", required=True)),
                                      by=request.user, reason=p.text("reason", "comment") or "")
        return ok("0955", "Coupon usage rejected", usage=usage_dict(usage))


EVENT_SCHEMA = _schema(
    "edubrite_event_service",
    "EduBrite eventService.do?dispatch=subscribeByAuthCode: subscribe with a coupon code.",
    ["subscribeByAuthCode"],
    [("eventId", "The course session, program session or event (id or external id)."),
     ("code", "The coupon code."),
     ("userName", "The learner (email or id); default: the signed-in user.")],
    responses={**RESPONSES, 429: ENVELOPE})  # refused codes are throttled (0962)


class EventServiceView(EduBriteAPIView):
    """`eventService.do?dispatch=subscribeByAuthCode`: a learner subscribes with a coupon."""

    dispatches = {"subscribeByAuthCode": "subscribe_by_auth_code"}

    @EVENT_SCHEMA["get"]
    def get(self, request):
        return self.handle(request)

    @EVENT_SCHEMA["post"]
    def post(self, request):
        return self.handle(request)

    def subscribe_by_auth_code(self, request, p: Params):
        item = _item(p.text("eventId", required=True),
                     (ItemKind.COURSE_SESSION, ItemKind.PROGRAM_SESSION, ItemKind.EVENT),
                     "eventId")
        code, learner = p.text("code", required=True), self._learner(request, p)
        with redeem_guard(request, user=learner):  # a coupon code is guessed like any code
            usage = services.apply_coupon(coupon=_coupon_by_code(code), user=learner,
                                          item=item)
        extra = []
        if usage.status == "pending":
            extra = [("0950", "The subscription waits for the approval of the coupon's group "
                              "administrator.")]
        return ok("0153", "Successfully subscribed to the course session", extra_msgs=extra,
                  usage=usage_dict(usage))

    def _learner(self, request, p: Params) -> User:
        ref = p.text("userName")
        back_office = is_api_client(request.user) or is_staff_user(request.user)
        if not ref:
            if is_api_client(request.user):
                raise InvalidInput("required", "userName is required with an authCode.",
                                   field="userName")
            return request.user
        if not back_office and ref.lower() not in (request.user.email, str(request.user.pk)):
            raise NotAllowed(message=NOT_ALLOWED)
        try:
            return User.objects.by_id_or_email(ref)
        except User.DoesNotExist:
            raise NotFound("user_not_found", f"No learner {ref!r}.", field="userName") from None


CONNECT_SCHEMA = extend_schema(
    summary="EduBrite connect.do: the session handshake (SESSION_ID, then SESSION_INFO).",
    parameters=[OpenApiParameter("username", str, description="Second call: the email."),
                OpenApiParameter("password", str, description="Second call: the password."),
                OpenApiParameter("xml", OpenApiTypes.BOOL, description="true: answer in XML.")],
    responses={200: ENVELOPE, 401: ENVELOPE, 429: ENVELOPE}, tags=["edubrite"])


class ConnectView(EduBriteAPIView):
    """`connect.do` (and its alias `home.do`, where EduBrite's Java client signs in): the first
    call sets SESSION_ID; with it plus username and password (query or form), a second call
    sets SESSION_INFO and SESSION_ID again (see `coupons.sessions`)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @CONNECT_SCHEMA
    def get(self, request):
        return self.connect(request)

    @extend_schema(exclude=True)
    def post(self, request):
        return self.connect(request)

    def connect(self, request):
        from django.contrib.auth import authenticate

        p = Params(request)
        id_cookie = session_cookies(request).get("SESSION_ID")
        session_id = sessions.handshake_id(id_cookie)
        if session_id is None:
            session_id, id_cookie = sessions.open_session()  # stores nothing
        username, password = p.text("username"), p.data.get("password")
        if not username:
            response = ok("0951", "Session started; call connect.do again with username and "
                                  "password.")
            return self._cookies(request, response, id_cookie, None)
        # The web login's throttle: failures per account tried and per address (429, 0962).
        with login_throttle().guard(user=username, ip=client_ip(request)):
            user = authenticate(request, username=username, password=password or "")
            if user is None or not user.is_active:
                raise DomainError("bad_credentials", "Wrong username or password.",
                                  http_status=401, field="username")
        _, info = sessions.sign_in(session_id=session_id, user=user)
        response = ok("0952", f"Signed in as {user.email}.")
        # SESSION_ID again beside SESSION_INFO: a client that keeps no cookie jar (EduBrite's
        # PHP sample) takes both from this response.
        return self._cookies(request, response, id_cookie, info)

    def _cookies(self, request, response, id_cookie, info_cookie):
        for name, value in (("SESSION_ID", id_cookie), ("SESSION_INFO", info_cookie)):
            if value:
                response.set_cookie(name, value, max_age=sessions.SESSION_SECONDS, path="/",
                                    secure=request.is_secure(), httponly=True, samesite="Strict")
        return response


SERVED = ("couponService.do", "eventService.do", "connect.do", "home.do")


@extend_schema(exclude=True)
class UnknownServiceView(EduBriteAPIView):
    """Any other `*.do` (`catalogService.do`, `userService.do`…): EduBrite's own 404 envelope,
    which its clients parse as a business error, never Django's HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def not_served(self, request, service: str):
        raise NotFound("not_found", f"{service} is not served here; Entitle answers "
                                    f"{', '.join(SERVED)}.")

    get = post = put = patch = delete = options = not_served
