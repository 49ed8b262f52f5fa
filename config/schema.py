"""The OpenAPI document's grouping and status codes, done once for every path (a
drf-spectacular postprocessing hook) instead of on each view.

- **Tags**: each operation is tagged "<vendor> · <resource>" ("Thought Industries ·
  Redemption codes", "Native · Licenses") from its URL: the prefix says which dialect (the
  wire language, as `config/urls.py` mounts it), the first segment after it the resource.
  The document's tag list follows the dialects' order, resources alphabetically.
- **Status codes**: each operation lists what it may answer besides its success: 401 and
  403 where it needs credentials, 404 where its path names an object, 400 where it reads
  query parameters or a body — added where a view did not declare them, with a description for
  every error code (the dialect's envelope says the rest).
"""

from __future__ import annotations

import re

# URL prefix → dialect, in the order the docs show them.
DIALECTS = [
    ("/api/v1/", "Native"),
    ("/incoming/v2/", "Thought Industries"),
    ("/redemption_codes", "Zype"),
    ("/admin-api/", "Tizra"),
    ("/oltpublish/site/", "EduBrite"),
    ("/couponService.do", "EduBrite"),
    ("/eventService.do", "EduBrite"),
    ("/connect.do", "EduBrite"),
    ("/home.do", "EduBrite"),
]
VENDOR_ORDER = list(dict.fromkeys(vendor for _, vendor in DIALECTS))

# A path's resource, where its first segment does not say it plainly.
RESOURCES = {
    ("Thought Industries", "redemptionCodes"): "Redemption codes",
    ("Thought Industries", "clients"): "Licenses",  # a client's licenses
    ("Tizra", "redemptions"): "Redemption batches",
    ("Tizra", "{site}"): "Redemption batches",
    ("EduBrite", "couponService.do"): "Coupons",
    ("EduBrite", "eventService.do"): "Events",
    ("EduBrite", "connect.do"): "Sessions",
    ("EduBrite", "home.do"): "Sessions",
    ("Native", "redeem"): "Redeem",
}

DESCRIPTIONS = {
    "400": "A parameter or body field could not be read or is not valid; the error names it.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The credentials do not carry the permission this operation needs.",
    "404": "No such object (or not one these credentials may see).",
    "409": "Refused: it would undo history or clash with what exists (a redeemed code, a "
           "held seat, a code that exists already).",
    "422": "Refused by a rule of the domain; the error says which (used up, expired, full…).",
    "429": "Too many failed attempts from this learner or address: wait, then try again.",
}
NO_BODY = "No response body"


def tag_for(path: str) -> str | None:
    """'Native · Code groups' for '/api/v1/code-groups/{id}/' (None: not a dialect's path)."""
    for prefix, vendor in DIALECTS:
        if path.startswith(prefix):
            # A prefix ending in "/" mounts resources; one without is itself the resource.
            rest = path[len(prefix):] if prefix.endswith("/") else prefix
            first = rest.strip("/").split("/")[0]
            return f"{vendor} · {RESOURCES.get((vendor, first)) or _words(first)}"
    return None


def _words(segment: str) -> str:
    """'catalog-items' → 'Catalog items'; 'redemptionCodes' → 'Redemption codes'."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", segment).replace("-", " ").replace("_", " ")
    return words[:1].upper() + words[1:].lower()


def _needs_credentials(operation: dict) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


def _fill_responses(path: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    wanted = set()
    if _needs_credentials(operation):
        wanted |= {"401", "403"}
    if "{" in path:
        wanted.add("404")
    reads_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if reads_query or operation.get("requestBody"):
        wanted.add("400")
    for code in sorted(wanted - responses.keys()):
        responses[code] = {"description": DESCRIPTIONS[code]}
    for code, response in responses.items():
        if code in DESCRIPTIONS and response.get("description") in (None, "", NO_BODY):
            response["description"] = DESCRIPTIONS[code]
    operation["responses"] = dict(sorted(responses.items()))


def group_and_complete(result, generator, request, public):
    """drf-spectacular postprocessing hook: tags by dialect and resource, error codes."""
    tags: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        tag = tag_for(path)
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if tag:
                operation["tags"] = [tag]
                tags.add(tag)
            _fill_responses(path, operation)
    result["tags"] = [{"name": tag} for tag in sorted(tags, key=lambda t: (
        VENDOR_ORDER.index(t.split(" · ")[0]), t))]
    return result
