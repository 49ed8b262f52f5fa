"""Zype dialect for redemption codes: `/redemption_codes` (seed 002, API.md).

Snake_case JSON in `{"response": ...}`, lists with Zype's pagination object, errors as
`{"message": "..."}`, times as `2016-04-14T12:31:25.271+00:00`. Admin calls carry `api_key`
(query or body); `POST /redemption_codes/redeem` carries a learner's OAuth2 `access_token`.
Parameters come Rails-style — `redemption_code[video_id]` form fields or query parameters,
or JSON `{"redemption_code": {...}}`.

A Zype code grants one catalog item — its target, a video, playlist, plan or pass plan named
by our id or the item's `external_id` — through an offer of its own (a bulk create: one code
group and one offer). Parse, call a service, render: every rule is in `redemptions.services`.

Statuses as Zype answers them: 400 a parameter that cannot be read; 401 no or a bad
`api_key`/`access_token`; 404 no such code; 409 deleting a redeemed code; 422 a code that
cannot be made or changed as asked (no target, an unknown one, a duplicate or malformed code,
an amount outside 1–10,000, the text or target of a redeemed code) and every refusal to
redeem (expired, inactive, used up, already redeemed by this consumer).
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from urllib.parse import quote

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SCOPE_REDEEM
from accounts.throttles import client_ip, redeem_guard
from catalog.models import CatalogItem, ItemKind
from core import written_json
from core.errors import InvalidInput, NotFound, RuleRefused
from core.fields import ExpiryField
from core.filters import InstantFilter, ZypeFilters
from core.time import iso_millis_offset
from dialects.common.filters import CodeTextFilter
from dialects.zype.base import ZypeLearnerView, ZypeView
from dialects.zype.qr import Frame, qr_drawing, qr_paths
from redemptions import selectors, services
from redemptions.codes import nice_code
from redemptions.models import Code, CodeGroup, display_text

ZYPE_CODE_LENGTH = 16  # as Zype's own codes (RQMJQJB5JX5V6JQ5)
NO_TARGET = "A video_id, playlist_id, plan_id, OR a pass_plan_id is required."
SEVERAL_TARGETS = "Give only one of video_id, playlist_id, plan_id or pass_plan_id."
TARGETS = {"video_id": ItemKind.VIDEO, "playlist_id": ItemKind.PLAYLIST,
           "plan_id": ItemKind.PLAN, "pass_plan_id": ItemKind.PASS_PLAN}
TARGET_PARAMS = {kind: param for param, kind in TARGETS.items()}
# QR codes: the large and small renderings of one symbol (pixels per module). The mask is
# fixed: any of the eight is a valid, readable symbol, and choosing the "best" one by its
# penalty score costs four times the whole encoding (~5 ms a code instead of ~1.3 ms).
QR_LARGE, QR_SMALL, QR_MASK = 6, 2, 0
QR_CACHE = 1024  # symbols kept per worker (~4 KB each): pages viewed again cost no encoding
ERRORS = {400: None, 401: None, 403: None}


# --- the code object --------------------------------------------------------------------------

@functools.lru_cache(maxsize=QR_CACHE)
def qr_svgs(url: str) -> tuple[str, str]:
    """Inline SVG QR codes of `url`, large and small: one symbol drawn once (one unit per
    module, `dialects.zype.qr`), shown at two sizes through the SVG's viewBox."""
    return svg_pair(*qr_drawing(url, mask=QR_MASK))


def svg_pair(side: int, body: str) -> tuple[str, str]:
    """`body` (a symbol's `<path …/>`, `side` modules) drawn large and small."""
    return tuple(f'<svg width="{side * scale}" height="{side * scale}" '
                 f'viewBox="0 0 {side} {side}" class="segno">{body}</svg>'
                 for scale in (QR_LARGE, QR_SMALL))


def target_id(item: CatalogItem | None, param: str) -> str | None:
    """The item's id as the host platform knows it, under the parameter of its kind."""
    if item is None or TARGET_PARAMS.get(item.kind) != param:
        return None
    return item.external_id or str(item.pk)


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True,
                      "example": "2016-04-19T12:42:39.369+00:00"})
class ZypeTimeField(serializers.Field):
    def to_representation(self, value):
        return iso_millis_offset(value)


class ZypeCodeSerializer(serializers.Serializer):
    """Seed 002's Redemption Code Object, every field in its order."""

    _id = serializers.CharField(source="pk")
    code = serializers.CharField(source="display_code")
    content_title = serializers.CharField(source="target_item.title", allow_null=True,
                                          default=None)
    content_type = serializers.CharField(source="target_item.kind", allow_null=True,
                                         default=None)
    created_at = ZypeTimeField()
    expiration_date = ZypeTimeField(source="effective_expiration")
    pass_plan_id = serializers.SerializerMethodField()
    plan_id = serializers.SerializerMethodField()
    playlist_id = serializers.SerializerMethodField()
    redeemed_at = serializers.SerializerMethodField()
    site_id = serializers.SerializerMethodField()
    transaction_id = serializers.SerializerMethodField()
    updated_at = ZypeTimeField()
    video_id = serializers.SerializerMethodField()
    nice_code = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    redeemed = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()
    as_qr_code_html_l = serializers.SerializerMethodField(
        help_text="Inline SVG QR code (large) of the code's redemption URL.")
    as_qr_code_html_b = serializers.SerializerMethodField(
        help_text="Inline SVG QR code (small) of the code's redemption URL.")

    def to_representation(self, instance):
        self._qr = qr_svgs(selectors.redemption_url(instance))
        self._now = self.context.get("now") or timezone.now()
        return super().to_representation(instance)

    def get_pass_plan_id(self, code) -> str | None:
        return target_id(code.target_item, "pass_plan_id")

    def get_plan_id(self, code) -> str | None:
        return target_id(code.target_item, "plan_id")

    def get_playlist_id(self, code) -> str | None:
        return target_id(code.target_item, "playlist_id")

    def get_video_id(self, code) -> str | None:
        return target_id(code.target_item, "video_id")

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_redeemed_at(self, code):
        """When it was last redeemed, while a redemption stands (a rollback clears it)."""
        return iso_millis_offset(code.last_redeemed_at) if code.redemptions_count else None

    def get_site_id(self, code) -> str:
        return settings.SITE_ID_TEXT

    def get_transaction_id(self, code) -> str | None:
        return code.transaction_id or None

    def get_nice_code(self, code) -> str:
        return nice_code(code.display_code())

    def get_available(self, code) -> bool:
        """Redeemable now by someone: active, started, not expired, uses left."""
        return code.refusal(self._now) is None

    def get_redeemed(self, code) -> bool:
        return code.redemptions_count > 0

    def get_expired(self, code) -> bool:
        return code.is_expired(self._now)

    def get_as_qr_code_html_l(self, code) -> str:
        return self._qr[0]

    def get_as_qr_code_html_b(self, code) -> str:
        return self._qr[1]


def zype_code_object(code: Code, now) -> dict:
    """What `ZypeCodeSerializer` renders for `code` at `now`, written out for the 10,000
    objects of a bulk create (DRF's fields cost ten times this per code); same keys, order
    and values (tests/dialects/zype/test_codes.py compares the two)."""
    item = code.target_item
    kind = TARGET_PARAMS.get(item.kind) if item is not None else None
    target = (item.external_id or str(item.pk)) if kind else None
    text = code.display_code()
    large, small = qr_svgs(selectors.redemption_url(code))
    return {
        "_id": str(code.pk), "code": text,
        "content_title": None if item is None else str(item.title),
        "content_type": None if item is None else str(item.kind),
        "created_at": iso_millis_offset(code.created_at),
        "expiration_date": iso_millis_offset(code.effective_expiration),
        "pass_plan_id": target if kind == "pass_plan_id" else None,
        "plan_id": target if kind == "plan_id" else None,
        "playlist_id": target if kind == "playlist_id" else None,
        "redeemed_at": iso_millis_offset(code.last_redeemed_at) if code.redemptions_count
        else None,
        "site_id": settings.SITE_ID_TEXT, "transaction_id": code.transaction_id or None,
        "updated_at": iso_millis_offset(code.updated_at),
        "video_id": target if kind == "video_id" else None,
        "nice_code": nice_code(text), "available": code.refusal(now) is None,
        "redeemed": code.redemptions_count > 0, "expired": code.is_expired(now),
        "as_qr_code_html_l": large, "as_qr_code_html_b": small,
    }


# What each code's object shows of its own, besides what codes made together share: written
# into `_object_template`'s pieces in this order.
_OWN = ("_id", "code", "nice_code", "large", "small")


class BulkDrawings:
    """The QR drawings of a bulk create's codes, drawn on a second thread while PostgreSQL
    inserts them: pass `on_batch` to the group's creation (`Code.objects.generate` tells it
    each batch before sending it), then `of` the codes made. numpy drops the GIL in its
    array work, and the request thread waits on the database meanwhile: on two cores, the
    drawing costs the request little time. Only computation runs there, no query."""

    def __init__(self, executor: Executor):
        self.executor = executor
        self.batches: list[Future] = []

    def on_batch(self, group: CodeGroup, codes: list[str]) -> None:
        texts = [display_text(code, group.alphabet) for code in codes]
        self.batches.append(self.executor.submit(_drawn, texts))

    def of(self, texts: list[str]) -> list[tuple[Frame, bytes]]:
        """The drawing of each of `texts` (displayed codes): from the batches drawn, the
        rest (none unless a batch was retried) drawn now."""
        found: dict[str, tuple[Frame, bytes]] = {}
        for batch in self.batches:
            found.update(batch.result())
        missing = [text for text in texts if text not in found]
        if missing:
            found.update(_drawn(missing))
        return [found[text] for text in texts]


def _drawn(texts: list[str]) -> dict[str, tuple[Frame, bytes]]:
    plain = written_json.PLAIN.fullmatch("".join(texts)) is not None
    drawings = qr_paths(selectors.redemption_url_prefix(),
                        texts if plain else [quote(text, safe="") for text in texts],
                        mask=QR_MASK)
    return dict(zip(texts, drawings, strict=True))


def zype_code_list_json(group: CodeGroup, now,
                        drawings: BulkDrawings | None = None) -> list[bytes]:
    """`{"response": [...]}` with `zype_code_object` of each of the group's codes in id
    order, as pieces that joined are byte for byte what DRF's JSONRenderer writes (tests
    compare), for the 10,000 of a bulk create (~50 MB): each object written between the
    pieces of the first code's object, rendered once (`group_code_rows`: codes made
    together are alike but for their id and text; any other is rendered alone), and its QR
    drawings, all drawn together (`qr_paths`; `drawings`: already drawn while the codes
    were inserted)."""
    first, rows = selectors.group_code_rows(group)
    texts = [display_text(code, group.alphabet) for _, code, _ in rows]
    plain = written_json.PLAIN.fullmatch("".join(texts)) is not None
    paths = drawings.of(texts) if drawings is not None else list(_drawn(texts).values())
    unlike = selectors.codes_with_targets().in_bulk(
        [pk for pk, _, alike in rows if not alike or not plain])
    opening, separator, closing = written_json.list_envelope("response")
    templates: dict[Frame, tuple | None] = {}
    body = [opening]
    for (pk, _, _), text, (frame, path) in zip(rows, texts, paths, strict=True):
        pieces = templates.get(frame)
        if pieces is None and frame not in templates:
            pieces = templates[frame] = _object_template(first, frame, now, separator)
        if pieces is None or pk in unlike:  # not writable from the pieces: rendered alone
            code = unlike.get(pk) or selectors.codes_with_targets().get(pk=pk)
            body += (written_json.render(zype_code_object(code, now)), separator)
            continue
        before_id, before_code, before_nice, before_large, before_small, after = pieces
        body += (f"{before_id}{pk}{before_code}{text}{before_nice}{nice_code(text)}"
                 f"{before_large}".encode(), path, before_small, path, after)
    if len(body) > 1:
        body[-1] = body[-1][:-len(separator)]  # the last object's
    body.append(closing)
    return body


def _object_template(code: Code, frame: Frame, now, separator: bytes) -> tuple | None:
    """`code`'s object rendered with a marker for each of `_OWN` (in its QR drawings, for
    the path's text), cut there: the pieces every code alike writes its own values
    between — the first four as text, to be written with the code's id and text in one go;
    the last followed by the list's separator."""
    marks = {name: written_json.mark(name) for name in _OWN}
    large = svg_pair(frame.side, frame.head + marks["large"] + frame.tail)[0]
    small = svg_pair(frame.side, frame.head + marks["small"] + frame.tail)[1]
    marked = {**zype_code_object(code, now), "_id": marks["_id"], "code": marks["code"],
              "nice_code": marks["nice_code"], "as_qr_code_html_l": large,
              "as_qr_code_html_b": small}
    pieces = written_json.template(marked, _OWN)
    if pieces is None:
        return None
    return (*(piece.decode() for piece in pieces[:4]), pieces[4], pieces[5] + separator)


class ZypeCodeResponseSerializer(serializers.Serializer):
    response = ZypeCodeSerializer()


class ZypeCodeListResponseSerializer(serializers.Serializer):
    response = ZypeCodeSerializer(many=True)


# --- input ------------------------------------------------------------------------------------

def _text(max_length: int = 100, **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                 max_length=max_length, **kwargs)


class ZypeCodeInputSerializer(serializers.Serializer):
    """`redemption_code[...]` (and `redemption_codes[...]` for bulk)."""

    code = _text(help_text="Your own code (any case; dashes and spaces are ignored). "
                           "Without it, one is generated.")
    expiration_date = ExpiryField(required=False, allow_null=True, blank_is_null=True,
                                  help_text="2017-01-15 means the end of that day (UTC); "
                                            "empty clears it.")
    video_id = _text(help_text="The video (our id or its external_id).")
    playlist_id = _text(help_text="The playlist (our id or its external_id).")
    plan_id = _text(help_text="The subscription plan (our id or its external_id).")
    pass_plan_id = _text(help_text="The pass plan (our id or its external_id).")


class ZypeBulkInputSerializer(ZypeCodeInputSerializer):
    code = None  # bulk codes are always generated


class ZypeCreateRequestSerializer(serializers.Serializer):
    api_key = serializers.CharField(required=False)
    redemption_code = ZypeCodeInputSerializer()


class ZypeBulkRequestSerializer(serializers.Serializer):
    api_key = serializers.CharField(required=False)
    amount = serializers.IntegerField(min_value=1, max_value=10_000,
                                      help_text="How many codes to generate (1–10,000).")
    redemption_codes = ZypeBulkInputSerializer()


class ZypeRedeemRequestSerializer(serializers.Serializer):
    access_token = serializers.CharField(
        required=False, help_text="The consumer's OAuth2 access token (from /oauth/token/).")
    code = serializers.CharField(max_length=200,
                                 help_text="Any case; dashes and spaces are ignored.")


def rails_params(request, *roots: str) -> dict:
    """`root[field]` parameters from the query string and the body (the body wins), or a
    JSON object under `root`: one flat dict of fields."""
    found: dict = {}
    for source in (request.query_params, request.data):
        if not hasattr(source, "keys"):
            raise InvalidInput("invalid_body", f"Send the fields as {roots[0]}[...] form "
                                               f"fields or a JSON object under {roots[0]}.")
        for key in list(source):
            match = re.fullmatch(r"(\w+)\[(\w+)\]", key)
            if match and match.group(1) in roots:
                found[match.group(2)] = source.get(key)
            elif key in roots:
                nested = source.get(key)
                if not isinstance(nested, dict):
                    raise InvalidInput("invalid_body", f"{key} must be an object of fields.",
                                       field=key)
                found.update(nested)
    return found


def parse_fields(request, serializer_class, *roots: str) -> dict:
    body = serializer_class(data=rails_params(request, *roots))
    body.is_valid(raise_exception=True)
    return body.validated_data


def target_from(data: dict) -> CatalogItem | None:
    """The one catalog item named by video_id, playlist_id, plan_id or pass_plan_id."""
    given = {p: str(data[p]).strip() for p in TARGETS if str(data.get(p) or "").strip()}
    if len(given) > 1:
        raise RuleRefused("several_targets", SEVERAL_TARGETS)
    if not given:
        return None
    param, value = given.popitem()
    item = CatalogItem.objects.by_id_or_external(TARGETS[param], value).first()
    if item is None:
        noun = ItemKind(TARGETS[param]).label.lower()
        raise RuleRefused("unknown_target", f"There is no {noun} with the id {value}.",
                          field=param)
    return item


def parameter(request, name: str, field: serializers.Field) -> object:
    """A required top-level parameter from the body, else the query string, read by `field`
    (a 400 naming it when missing or unreadable)."""
    data = request.data if hasattr(request.data, "get") else {}
    value = data.get(name)
    if value in (None, ""):
        value = request.query_params.get(name)
    if value in (None, ""):
        raise serializers.ValidationError({name: ["This field is required."]})
    try:
        return field.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


def code_response(code: Code, status_code: int = status.HTTP_200_OK) -> Response:
    code = selectors.codes_with_targets().get(pk=code.pk)
    return Response({"response": ZypeCodeSerializer(code).data}, status=status_code)


# --- filters ----------------------------------------------------------------------------------

@extend_schema_field(OpenApiTypes.STR)
class TargetFilter(django_filters.CharFilter):
    """`video_id=` (and playlist_id, plan_id, pass_plan_id): codes granting that item, named
    by our id or its external_id. The item is looked up first, so the codes are one range of
    the (target_item, created_at, id) index (`selectors.codes_granting`)."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        ids = list(CatalogItem.objects.by_id_or_external(self.kind, value)
                   .values_list("pk", flat=True)[:2])
        return selectors.codes_granting(qs, ids)


@extend_schema_field(OpenApiTypes.STR)
class DerivedTimeFilter(InstantFilter):
    """A time filter over what the code object shows rather than one column: `condition(
    lookup, value)` builds the Q. A bare date with no suffix matches that whole day."""

    def __init__(self, *args, condition, param: str, **kwargs):
        self.condition, self.param = condition, param
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        lookup = self.lookup_expr
        raw = str(self.parent.data.get(self.param, "")).strip() if self.parent else ""
        if lookup == "exact" and len(raw) == 10 and "-" in raw:
            lookup, value = "date", value.date()
        return qs.filter(self.condition(lookup, value))


def derived_time_filters(param: str, condition) -> dict[str, django_filters.Filter]:
    filters = {param: DerivedTimeFilter(condition=condition, param=param,
                                        help_text=f"{param}: ISO 8601 or Unix time")}
    for suffix in ("gt", "gte", "lt", "lte"):
        filters[f"{param}.{suffix}"] = DerivedTimeFilter(
            condition=condition, param=f"{param}.{suffix}", lookup_expr=suffix,
            help_text=f"{param} {suffix}: ISO 8601 or Unix time")
    return filters


def _expires(lookup: str, value) -> Q:
    """The code's own expiry, else its group's (what `expiration_date` shows)."""
    return (Q(**{f"expiration_date__{lookup}": value})
            | Q(expiration_date__isnull=True, **{f"group__expiration_date__{lookup}": value}))


def _redeemed(lookup: str, value) -> Q:
    """The last redemption, while one stands (what `redeemed_at` shows)."""
    return Q(redemptions_count__gt=0, **{f"last_redeemed_at__{lookup}": value})


CODE_FILTERS = ZypeFilters(
    equal={
        "code": CodeTextFilter(help_text="The code, in any case, dashes and spaces ignored."),
        **{param: TargetFilter(kind=kind, help_text=f"Codes for this {kind} (id or "
                                                    f"external_id).")
           for param, kind in TARGETS.items()},
        "transaction_id": django_filters.CharFilter(field_name="transaction_id"),
        **derived_time_filters("expiration_date", _expires),
        **derived_time_filters("redeemed_at", _redeemed),
    },
    times={"created_at": "created_at", "updated_at": "updated_at"},
    text=["code", "transaction_id", "target_item__title"],
    id_element=forms.IntegerField,
)


# --- views ------------------------------------------------------------------------------------

class RedemptionCodeListView(ZypeView, generics.GenericAPIView):
    """List redemption codes (every filter of seed 002) and create one."""

    serializer_class = ZypeCodeSerializer
    zype_filters = CODE_FILTERS

    def get_queryset(self):
        return selectors.codes_with_targets().order_by("-created_at", "-id")

    @extend_schema(summary="List Redemption Codes", responses={200: ZypeCodeSerializer(many=True),
                                                                **ERRORS})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"now": timezone.now()}
        return self.get_paginated_response(ZypeCodeSerializer(page, many=True,
                                                              context=context).data)

    @extend_schema(summary="Create a Redemption Code", request=ZypeCreateRequestSerializer,
                   responses={201: ZypeCodeResponseSerializer, **ERRORS, 422: None},
                   filters=False)
    def post(self, request, *args, **kwargs):
        data = parse_fields(request, ZypeCodeInputSerializer, "redemption_code")
        item = target_from(data)
        if item is None:
            raise RuleRefused("missing_target", NO_TARGET)
        code = services.create_code(
            offer=services.OfferTerms(name=item.title, items=[item]),
            code=(data.get("code") or "").strip() or None, code_length=ZYPE_CODE_LENGTH,
            expiration_date=data.get("expiration_date"))
        return code_response(code, status.HTTP_201_CREATED)


@extend_schema(exclude=True)  # `POST /redemption_codes/redemption_code`: the seed's path form
class RedemptionCodeCreateAliasView(RedemptionCodeListView):
    http_method_names = ["post", "options"]


class RedemptionCodeBulkCreateView(ZypeView, APIView):
    """Generate up to 10,000 codes for one item (one code group), answered as a list."""

    @extend_schema(summary="Bulk Create Redemption Codes", request=ZypeBulkRequestSerializer,
                   responses={201: ZypeCodeListResponseSerializer, **ERRORS, 422: None})
    def post(self, request, *args, **kwargs):
        amount = parameter(request, "amount", serializers.IntegerField())
        data = parse_fields(request, ZypeBulkInputSerializer, "redemption_codes",
                            "redemption_code")
        item = target_from(data)
        if item is None:
            raise RuleRefused("missing_target", NO_TARGET)
        with ThreadPoolExecutor(max_workers=1) as executor:
            drawings = BulkDrawings(executor)
            group = services.create_code_group(
                label=f"Zype bulk create: {item.title}"[:200],
                offer=services.OfferTerms(name=item.title, items=[item]),
                count=amount, code_length=ZYPE_CODE_LENGTH,
                expiration_date=data.get("expiration_date"), on_batch=drawings.on_batch)
            body = zype_code_list_json(group, timezone.now(), drawings)
        return written_json.written_json_response(request, body, status.HTTP_201_CREATED)


@extend_schema(exclude=True)  # `POST /redemption_codes/bulk_create/redemption_codes`
class RedemptionCodeBulkCreateAliasView(RedemptionCodeBulkCreateView):
    pass


ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH,
                                description="The code's `_id`.")


class RedemptionCodeDetailView(ZypeView, APIView):
    """One redemption code: retrieve, update (its text and target only until redeemed),
    delete (409 once redeemed)."""

    def get_object(self) -> Code:
        pk = str(self.kwargs["pk"])
        code = (selectors.codes_with_targets().filter(pk=int(pk)).first()
                if pk.isascii() and pk.isdigit() and len(pk) < 19 else None)  # not "³"
        if code is None:
            raise NotFound("not_found", "Redemption code not found.")
        return code

    @extend_schema(summary="Retrieve a Redemption Code", parameters=[ID_PARAMETER],
                   responses={200: ZypeCodeResponseSerializer, **ERRORS, 404: None})
    def get(self, request, pk):
        return code_response(self.get_object())

    @extend_schema(summary="Update a Redemption Code", parameters=[ID_PARAMETER],
                   request=ZypeCreateRequestSerializer,
                   responses={200: ZypeCodeResponseSerializer, **ERRORS, 404: None, 422: None})
    def put(self, request, pk):
        code = self.get_object()
        data = parse_fields(request, ZypeCodeInputSerializer, "redemption_code")
        changes = {}
        if "expiration_date" in data:
            changes["expiration_date"] = data["expiration_date"]
        if (data.get("code") or "").strip():
            changes["code"] = data["code"]
        item = target_from(data)
        if item is not None:
            changes["target_item"] = item
        code = services.update_code(code, **changes) if changes else code
        return code_response(code)

    @extend_schema(summary="Remove a Redemption Code", parameters=[ID_PARAMETER],
                   responses={204: None, **ERRORS, 404: None, 409: None})
    def delete(self, request, pk):
        services.delete_code(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RedeemView(ZypeLearnerView, APIView):
    """A consumer redeems a code with their OAuth2 access token."""

    learner_scope = SCOPE_REDEEM
    back_office = False  # the caller redeems for themselves: no API key, no one's behalf
    required_permissions = {"POST": []}

    @extend_schema(summary="Redeem a Redemption Code", request=ZypeRedeemRequestSerializer,
                   parameters=[OpenApiParameter("access_token", str, required=False,
                                                description="The consumer's OAuth2 access "
                                                            "token (or in the body).")],
                   responses={200: ZypeCodeResponseSerializer, 400: None, 401: None,
                              403: None, 404: None, 422: None, 429: None})
    def post(self, request):
        text = parameter(request, "code", serializers.CharField(max_length=200))
        with redeem_guard(request, user=request.user):  # the web page's and v1's throttle
            redemption = services.redeem(text, request.user, ip=client_ip(request))
        return code_response(redemption.code)
