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
Failed sign-ins are throttled as every password check is (`accounts.backends`): 429,
0962. Any other `*.do` is a 404 in this envelope (`UnknownServiceView`).
Coupon administration (create, update, get, list, delete) needs an API key or a staff user;
approving or rejecting a usage also suits an admin member of the coupon's owner group;
`subscribeByAuthCode` suits any signed-in user for themselves (API keys and staff name the
learner with `userName`).

Dispatches of `couponService.do`: createCoupon (seed 004), updateCoupon, getCoupon,
listCoupons, deleteCoupon, approveCouponUsage, rejectCouponUsage. `eventService.do`:
subscribeByAuthCode. Money: `valueAmount` is in currency units ("10.50"), stored as cents,
rounded half-up. Dates are epoch milliseconds; booleans `true|false`.

The message codes: `dialects.edubrite.errors.CODES` (and the README's table).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import authentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.authentication import AuthCodeAuthentication, refuse_session_change_over_get
from accounts.errors import NotPermitted
from accounts.models import User
from accounts.permissions import (
    APPROVE_USAGE,
    SCOPE_REDEEM,
    Authorised,
    Requirement,
    may,
)
from accounts.selectors import resolve_group_path
from accounts.throttles import redeem_guard
from accounts.validators import acting_for
from catalog.models import ItemKind
from core.errors import DomainError, InvalidInput, NotFound
from core.filters import ZypeFilters
from coupons import services, sessions
from coupons.models import ENTITY_ITEM_KINDS, Coupon, EntityType
from coupons.selectors import is_our_site
from dialects.common.filters import CodeTextFilter
from dialects.edubrite.auth import EduBriteSessionAuthentication, EduBriteView, session_cookies
from dialects.edubrite.envelope import EduBriteNegotiation, EduBriteXMLRenderer, ok
from dialects.edubrite.errors import SiteNotFound, edubrite_exception_handler
from dialects.edubrite.lookups import (
    back_office,
    catalog_item,
    coupon_by_code,
    coupon_by_id,
    usage_by_id,
)
from dialects.edubrite.pagination import EduBriteFilterBackend, EduBritePagination
from dialects.edubrite.params import Params
from dialects.edubrite.presenters import coupon_brief, coupon_full, usage_dict
from dialects.edubrite.schema import CONNECT_SCHEMA, COUPON_SCHEMA, EVENT_SCHEMA


class EduBriteAPIView(EduBriteView, APIView):
    authentication_classes = [AuthCodeAuthentication, EduBriteSessionAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [Authorised]
    renderer_classes = [JSONRenderer, EduBriteXMLRenderer]
    content_negotiation_class = EduBriteNegotiation
    exception_handler = staticmethod(edubrite_exception_handler)
    metadata_class = None  # EduBrite's services answer GET and POST only: OPTIONS is a 405
    dispatches: dict[str, str] = {}
    dispatch_requirements: dict[str, Requirement] = {}
    # dispatches that change nothing; every other one is a state change, which Django's
    # session may sign only over POST with a CSRF token (`refuse_session_change_over_get`)
    reads: frozenset[str] = frozenset()
    # the service lets learners in; each dispatch is then checked (`dispatch_requirements`)
    learner_scope = SCOPE_REDEEM
    required_permissions = {"GET": [], "POST": []}

    def handle(self, request):
        params = Params(request)
        dispatch = params.text("dispatch", required=True)
        handler = self.dispatches.get(dispatch)
        if handler is None:
            raise InvalidInput("unknown_dispatch",
                               f"Unknown dispatch {dispatch!r}; this service answers "
                               f"{', '.join(self.dispatches)}.", field="dispatch")
        if not may(request.user, self.dispatch_requirements[dispatch]):
            raise NotPermitted()
        if dispatch not in self.reads:
            refuse_session_change_over_get(request)
        return getattr(self, handler)(request, params)


class CouponServiceView(EduBriteAPIView):
    """`couponService.do?dispatch=…` — see the module docstring for every dispatch."""

    dispatches = {
        "createCoupon": "create_coupon", "updateCoupon": "update_coupon",
        "getCoupon": "get_coupon", "listCoupons": "list_coupons",
        "deleteCoupon": "delete_coupon", "approveCouponUsage": "approve_usage",
        "rejectCouponUsage": "reject_usage",
    }
    reads = frozenset({"getCoupon", "listCoupons"})
    dispatch_requirements = {
        "createCoupon": Requirement(("coupons.add_coupon",)),
        "updateCoupon": Requirement(("coupons.change_coupon",)),
        "getCoupon": Requirement(("coupons.view_coupon",)),
        "listCoupons": Requirement(("coupons.view_coupon",)),
        "deleteCoupon": Requirement(("coupons.delete_coupon",)),
        # a group's admin members decide on its usages too (`coupons.services.can_decide`)
        "approveCouponUsage": Requirement((APPROVE_USAGE,), SCOPE_REDEEM),
        "rejectCouponUsage": Requirement((APPROVE_USAGE,), SCOPE_REDEEM),
    }
    zype_filters = ZypeFilters(
        equal={"status": "status", "type": "type", "entityType": "entity_type",
               "ownerGroupId": "owner_group", "name": CodeTextFilter(path="code")},
        times={"createdAt": "created_at", "startDate": "start_date", "expDate": "exp_date"},
        text=["code", "display_code", "comment"],
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
        back_office(request)
        entity_type = p.text("entityType", required=True).upper()
        entity_id = p.text("entityId")
        item = group = None
        if entity_type == EntityType.GROUP:
            group = resolve_group_path(p.text("entityId", required=True))
        elif entity_type in ENTITY_ITEM_KINDS:
            kind = ENTITY_ITEM_KINDS[entity_type]
            item = catalog_item(p.text("entityId", required=True), (kind,), "entityId")
        elif (entity_type == EntityType.SITE and entity_id
              and not is_our_site(entity_id, request_host=request.get_host())):
            raise SiteNotFound(message=f"{entity_id!r} is not this site's id or URL.",
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
        back_office(request)
        coupon = coupon_by_id(p.text("id", required=True))
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
        back_office(request)
        ref = p.text("id")
        if ref:
            coupon = coupon_by_id(ref)
        else:
            coupon = coupon_by_code(p.text("name", "couponName", "code", required=True))
        return ok(None, None, coupon=coupon_full(coupon))

    def list_coupons(self, request, p: Params):
        back_office(request)
        queryset = EduBriteFilterBackend().filter_queryset(
            request, Coupon.objects.order_by("-created_at", "id"), self)
        paginator = EduBritePagination()
        page = paginator.paginate_queryset(queryset, request, self)
        return paginator.envelope("coupons", [coupon_full(c) for c in page])

    def delete_coupon(self, request, p: Params):
        back_office(request)
        coupon = coupon_by_id(p.text("id", required=True))
        services.delete_coupon(coupon)
        return ok("0953", "Coupon deleted successfully", coupon=coupon_brief(coupon))

    def approve_usage(self, request, p: Params):
        usage = services.approve_usage(usage=usage_by_id(p.text("id", "usageId", required=True)),
                                       by=request.user)
        return ok("0954", "Coupon usage approved", usage=usage_dict(usage))

    def reject_usage(self, request, p: Params):
        usage = services.reject_usage(usage=usage_by_id(p.text("id", "usageId", required=True)),
                                      by=request.user, reason=p.text("reason", "comment") or "")
        return ok("0955", "Coupon usage rejected", usage=usage_dict(usage))


class EventServiceView(EduBriteAPIView):
    """`eventService.do?dispatch=subscribeByAuthCode`: a learner subscribes with a coupon."""

    dispatches = {"subscribeByAuthCode": "subscribe_by_auth_code"}
    dispatch_requirements = {
        "subscribeByAuthCode": Requirement(("coupons.add_couponusage",), SCOPE_REDEEM)}

    @EVENT_SCHEMA["get"]
    def get(self, request):
        return self.handle(request)

    @EVENT_SCHEMA["post"]
    def post(self, request):
        return self.handle(request)

    def subscribe_by_auth_code(self, request, p: Params):
        item = catalog_item(p.text("eventId", required=True),
                     (ItemKind.COURSE_SESSION, ItemKind.PROGRAM_SESSION, ItemKind.EVENT),
                     "eventId")
        code, learner = p.text("code", required=True), self._learner(request, p)
        with redeem_guard(request, user=learner):  # a coupon code is guessed like any code
            usage = services.apply_coupon(coupon=coupon_by_code(code), user=learner,
                                          item=item)
        extra = []
        if usage.status == "pending":
            extra = [("0950", "The subscription waits for the approval of the coupon's group "
                              "administrator.")]
        return ok("0153", "Successfully subscribed to the course session", extra_msgs=extra,
                  usage=usage_dict(usage))

    def _learner(self, request, p: Params) -> User:
        return acting_for(request.user, p.text("userName") or None, field="userName",
                          perm="coupons.add_couponusage")


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
        # `authenticate()` is throttled like every password check (`accounts.backends`):
        # failures per account tried and address, and per address (429, 0962).
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
