"""Every model registered in the admin: its add form and a change form open, and a valid one
saves, without a server error.

The forms are submitted as a browser would: the page's own form is read from its HTML (every
input, checked box and selected option, inline management forms included), the required
fields it leaves empty are filled from the form's own field types (a related object comes
from `EXISTING`), and Save is pressed. A model whose add form needs more than that (matching
passwords, terms that depend on each other) has a hand-written payload in `ADD_PAYLOADS`.

A newly registered model fails here until it has an entry in `EXISTING` (how to build one to
open its change form), so it cannot ship a form nobody opened; and until its add form saves
from the generic fill or its `ADD_PAYLOADS` entry.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from accounts.models import ApiKey, LearnerGroup, Membership, User, UserTag
from catalog.models import CatalogItem, Client, Entitlement
from coupons.models import Coupon, CouponUsage, EduBriteSession, GroupOffering
from events.models import Delivery, Event, EventKind, WebhookEndpoint
from jobs.models import Job, JobKind
from licensing.models import License, Seat
from redemptions.models import Code, CodeGroup, Offer, Redemption
from tests.coupons.factories import CouponFactory, CouponUsageFactory, GroupOfferingFactory
from tests.events.factories import WebhookEndpointFactory
from tests.factories import (
    ApiKeyFactory,
    CatalogItemFactory,
    ClientFactory,
    EntitlementFactory,
    LearnerGroupFactory,
    MembershipFactory,
    UserFactory,
    UserTagFactory,
)
from tests.licensing.factories import LicenseFactory, SeatFactory
from tests.redemptions.factories import (
    CodeFactory,
    CodeGroupFactory,
    OfferFactory,
    RedemptionFactory,
)

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def _later(days: int = 30) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def _application() -> Application:
    return Application.objects.create(
        name=f"App {next(_serial)}", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD, user=UserFactory())


def _access_token() -> AccessToken:
    return AccessToken.objects.create(user=UserFactory(), application=_application(),
                                      token=uuid.uuid4().hex, expires=_later(), scope="read")


def _event() -> Event:
    return Event.objects.create(kind=EventKind.CODE_REDEEMED, occurred_at=timezone.now(),
                                object_type="code", object_id=str(next(_serial)))


# How to build one saved object of each registered model (its change form is opened and
# submitted). A model registered in the admin without an entry here fails the tests below.
EXISTING: dict[type, Callable[[], object]] = {
    Group: lambda: Group.objects.create(name=f"Support {next(_serial)}"),
    Application: _application,
    AccessToken: _access_token,
    Grant: lambda: Grant.objects.create(
        user=UserFactory(), application=_application(), code=uuid.uuid4().hex,
        expires=_later(), redirect_uri="https://example.com/back", scope="read"),
    IDToken: lambda: IDToken.objects.create(user=UserFactory(), application=_application(),
                                            expires=_later(), scope="openid"),
    RefreshToken: lambda: RefreshToken.objects.create(
        user=UserFactory(), application=_application(), token=uuid.uuid4().hex,
        access_token=_access_token()),
    User: UserFactory,
    LearnerGroup: LearnerGroupFactory,
    Membership: MembershipFactory,
    UserTag: UserTagFactory,
    ApiKey: lambda: ApiKeyFactory.create_with_key(name=f"key {next(_serial)}")[0],
    CatalogItem: CatalogItemFactory,
    Client: ClientFactory,
    Entitlement: EntitlementFactory,
    License: LicenseFactory,
    Seat: SeatFactory,
    Offer: OfferFactory,
    CodeGroup: CodeGroupFactory,
    Code: lambda: CodeFactory(group=CodeGroupFactory()),
    Redemption: RedemptionFactory,
    Coupon: CouponFactory,
    CouponUsage: CouponUsageFactory,
    GroupOffering: GroupOfferingFactory,
    EduBriteSession: lambda: EduBriteSession.objects.create(user=UserFactory(),
                                                            expires_at=_later(1)),
    Event: _event,
    WebhookEndpoint: WebhookEndpointFactory,
    Delivery: lambda: Delivery.objects.create(endpoint=WebhookEndpointFactory(), event=_event()),
    Job: lambda: Job.objects.create(kind=JobKind.EXPORT_CODES, total=10, params={}),
}

# Add forms the generic fill cannot make valid: the fields to set (values as POSTed; a
# callable is called at submit time, so related objects are fresh).
ADD_PAYLOADS: dict[type, Callable[[], dict]] = {
    # The default grant type (authorization code) needs redirect URIs; the host platform's
    # application uses the password grant (README).
    Application: lambda: {"name": "Host platform", "client_type": Application.CLIENT_PUBLIC,
                          "authorization_grant_type": Application.GRANT_PASSWORD},
    # Two password fields that must match, and a strong password.
    User: lambda: {"email": f"new{next(_serial)}@example.com",
                   "password1": "violet-harbour-42", "password2": "violet-harbour-42"},
    # An offer *or* items, and a count whose code space is large enough.
    CodeGroup: lambda: {"label": "Spring", "offer": str(OfferFactory().pk), "count": "5"},
    # A grant of some course: the item's kind must fit what the offer names.
    Offer: lambda: {"name": "Welcome", "items": [str(CatalogItemFactory().pk)],
                    "access_days": "30"},
    # A site-wide usage coupon needs its number of uses.
    # A receiver's address must resolve (the address guard); the tests allow loopback.
    WebhookEndpoint: lambda: {"url": "http://127.0.0.1:8169/hook", "is_active": "on"},
    Coupon: lambda: {"code": f"WELCOME{next(_serial)}", "type": "USAGE",
                     "entity_type": "SITE", "value_count": "10", "status": "ACTIVE"},
}

# Change forms that cannot be saved as they open: the fields to set.
CHANGE_PAYLOADS: dict[type, Callable[[object], dict]] = {
    # django-oauth-toolkit's `revoked` is null=True without blank=True, so its admin form
    # requires a time: saving a refresh token in the admin revokes it.
    RefreshToken: lambda token: {"revoked_0": f"{timezone.now():%Y-%m-%d}",
                                 "revoked_1": f"{timezone.now():%H:%M:%S}"},
}


def registered_models() -> list[type]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def url(model: type, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


class _FormReader(HTMLParser):
    """What a browser submits from the admin's `<form id="<model>_form">`."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if kind in (
                "checkbox", "radio") else ""))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea":
            if self._textarea is not None:
                value = self.data[self._textarea][-1]
                self.data[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a browser submits the first option
            if chosen:
                self.data[name] = chosen
            self._select = None


def submitted_by_browser(html: str, model: type) -> dict[str, list[str]]:
    reader = _FormReader(f"{model._meta.model_name}_form")
    reader.feed(html)
    assert reader.data, f"no <form id={model._meta.model_name}_form> on the page"
    return reader.data


def generic_value(name: str, field: forms.Field) -> list[str] | dict[str, list[str]]:
    """A valid value for an empty required field, from its type alone."""
    n = next(_serial)
    if isinstance(field, forms.ModelChoiceField):  # one or several: one fresh object
        return [str(EXISTING[field.queryset.model]().pk)]
    if isinstance(field, forms.SplitDateTimeField):
        later = _later()
        return {f"{name}_0": [f"{later:%Y-%m-%d}"], f"{name}_1": [f"{later:%H:%M:%S}"]}
    if isinstance(field, forms.DateTimeField):
        return [f"{_later():%Y-%m-%d %H:%M:%S}"]
    if isinstance(field, forms.DateField):
        return [f"{_later():%Y-%m-%d}"]
    if isinstance(field, forms.ChoiceField):
        return [next(str(value) for value, _ in field.choices if value not in ("", None))]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return [str(max(field.min_value or 1, 1))]
    if isinstance(field, forms.BooleanField):
        return ["on"]
    if isinstance(field, forms.EmailField):
        return [f"someone{n}@example.com"]
    if isinstance(field, forms.URLField):
        return [f"https://example.com/{n}"]
    if isinstance(field, forms.UUIDField):
        return [str(uuid.uuid4())]
    if isinstance(field, forms.JSONField):
        return ["[]"]
    if isinstance(field, forms.SlugField):
        return [f"thing-{n}"]
    return [f"Thing {n}"]


def filled(form: forms.Form, data: dict[str, list[str]]) -> dict[str, list[str]]:
    """`data` with each required field the page left empty filled by `generic_value`."""
    data = dict(data)
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if not field.required or field.disabled:
            continue
        if isinstance(field, forms.SplitDateTimeField):
            if all(data.get(f"{key}_{i}", [""])[0] for i in (0, 1)):
                continue
        elif any(value.strip() for value in data.get(key, [])):
            continue
        value = generic_value(key, field)
        data.update(value if isinstance(value, dict) else {key: value})
    return data


def server_error_free(response, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"


def form_errors(response) -> str:
    context = response.context or {}
    adminform = context.get("adminform")
    errors = [adminform.form.errors.as_text()] if adminform else []
    errors += [str(formset.formset.errors) for formset in context.get("inline_admin_formsets",
                                                                       [])]
    return " ".join(e for e in errors if e.strip() and e != "[]") or "(no form errors shown)"


def test_every_registered_model_has_a_way_to_build_one():
    missing = [model._meta.label for model in registered_models() if model not in EXISTING]
    assert missing == [], "add each to EXISTING (and to ADD_PAYLOADS if the fill cannot)"


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_the_add_form_opens_and_a_valid_one_saves(admin_client, model):
    model_admin = admin.site._registry[model]
    page = admin_client.get(url(model, "add"))
    server_error_free(page, f"GET {model._meta.label} add")
    if page.status_code == 403:  # added elsewhere (codes from their group, seats by email…)
        assert not model_admin.has_add_permission(page.wsgi_request)
        return
    assert page.status_code == 200
    data = submitted_by_browser(page.content.decode(), model)
    if model in ADD_PAYLOADS:
        data.update({k: v if isinstance(v, list) else [v]
                     for k, v in ADD_PAYLOADS[model]().items()})
    data = filled(page.context["adminform"].form, data)
    before = model._default_manager.count()
    response = admin_client.post(url(model, "add"), {**data, "_save": ["Save"]})
    server_error_free(response, f"POST {model._meta.label} add")
    assert response.status_code == 302, (
        f"{model._meta.label}: the add form did not save: {form_errors(response)} — give it "
        "an ADD_PAYLOADS entry if the generic fill cannot make it valid")
    assert model._default_manager.count() == before + 1


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_the_change_form_opens_and_saves_unchanged(admin_client, model):
    obj = EXISTING[model]()
    page = admin_client.get(url(model, "change", obj.pk))
    server_error_free(page, f"GET {model._meta.label} change")
    assert page.status_code == 200
    if 'name="_save"' not in page.content.decode():  # a view-only page (outbox, jobs)
        before = model_to_dict(model.objects.get(pk=obj.pk))
        response = admin_client.post(url(model, "change", obj.pk), {"_save": ["Save"]})
        server_error_free(response, f"POST {model._meta.label} change")
        assert response.status_code in (200, 403)
        assert model_to_dict(model.objects.get(pk=obj.pk)) == before
        return
    data = submitted_by_browser(page.content.decode(), model)
    if model in CHANGE_PAYLOADS:
        data.update({k: [v] for k, v in CHANGE_PAYLOADS[model](obj).items()})
    response = admin_client.post(url(model, "change", obj.pk), {**data, "_save": ["Save"]})
    server_error_free(response, f"POST {model._meta.label} change")
    assert response.status_code == 302, (
        f"{model._meta.label}: the unchanged change form did not save: {form_errors(response)}")
