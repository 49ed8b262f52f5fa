"""What points at a row, from any app, found through the model's `_meta`.

A lower app must not name the apps above it, yet has to know when something of theirs
points at one of its rows (a license's course, a coupon's group) before deleting or
reshaping it. `references_to(Model)` lists every relation that points at `Model` — reverse
foreign keys and one-to-ones (hidden ones too, `related_name="+"`), and many-to-many fields
counted in their through tables (an explicit through model once, by its own foreign key).
What a row's own many-to-many fields point at is its own content, not a use of it.
`count_references(obj, refs)` counts them for one row in one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Count, ForeignObjectRel, OuterRef, Subquery
from django.db.models.functions import Coalesce


@dataclass(frozen=True)
class Reference:
    """One way rows point at the model: `table.<lookup>` holds the row's key."""

    table: type[models.Model]
    lookup: str
    label: str  # "license(s) (courses)"


def references_to(model: type[models.Model], *, labels: dict | None = None,
                  protect_only: bool = False) -> list[Reference]:
    """Every relation pointing at `model`. `labels` names some of them `{(owner model, field
    name): "grant(s)"}`; the others read "<owner's verbose name>(s)", with the field's name
    when the owner points at `model` more than once. `protect_only`: only foreign keys whose
    rows keep the target from being deleted (`on_delete=PROTECT`)."""
    labels = labels or {}
    found = []  # (owner model, field, table counted, lookup)
    for rel in model._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel):
            continue
        field = rel.field
        if rel.many_to_many:
            if rel.through._meta.auto_created and not protect_only:
                found.append((field.model, field, rel.through, field.m2m_reverse_field_name()))
        elif rel.related_model._meta.auto_created:
            continue  # an auto-created through table: counted by its many-to-many, above
        elif not protect_only or rel.on_delete is models.PROTECT:
            found.append((rel.related_model, field, rel.related_model, field.name))
    owners = [owner for owner, *_ in found]
    references = []
    for owner, field, table, lookup in found:
        label = labels.get((owner, field.name))
        if label is None:
            label = f"{owner._meta.verbose_name}(s)"
            if owners.count(owner) > 1:
                label += f" ({field.verbose_name})"
        references.append(Reference(table, lookup, label))
    return references


def count_references(obj: models.Model, references: list[Reference]) -> dict[str, int]:
    """How many rows point at `obj` through each reference, by label, non-zero counts only
    (references sharing a label add up); one query, whatever the number of references."""
    if not references:
        return {}
    counts = {
        f"ref_{i}": Coalesce(Subquery(
            ref.table._base_manager.filter(**{ref.lookup: OuterRef("pk")}).order_by()
            .values(ref.lookup).annotate(n=Count("*")).values("n")[:1]), 0)
        for i, ref in enumerate(references)
    }
    row = (type(obj)._base_manager.filter(pk=obj.pk).order_by().annotate(**counts)
           .values_list(*counts).first()) or [0] * len(references)
    used: dict[str, int] = {}
    for ref, n in zip(references, row, strict=True):
        if n:
            used[ref.label] = used.get(ref.label, 0) + n
    return used


def in_words(counts: dict[str, int]) -> str:
    """"2 grant(s), 1 seat(s)" for the non-zero counts ("" when none)."""
    return ", ".join(f"{n:,} {what}" for what, n in counts.items() if n)
