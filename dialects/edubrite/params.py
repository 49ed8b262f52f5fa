"""EduBrite's form parameters (GET query or POST form body, names trimmed) read into values
the services take: each bad value a 400 naming the parameter."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.http import QueryDict
from rest_framework import exceptions

from core.errors import InvalidInput
from core.time import parse_epoch_millis
from coupons.discounts import units_to_cents


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


TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
MAX_COUNT = 2_147_483_647  # valueCount is stored in a 32-bit column


class Params:
    """Typed access to the form parameters; a bad value is a 400 naming the parameter."""

    def __init__(self, request) -> None:
        self.data = form_params(request)

    def text(self, *names: str, required: bool = False) -> str | None:
        for name in names:
            value = self.data.get(name)
            if value is not None and "\x00" in value:
                raise InvalidInput("invalid", f"{name} cannot contain NUL characters.",
                                   field=name)
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
