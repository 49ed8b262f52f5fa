"""Serializers for request bodies on hot paths.

DRF deep-copies a serializer's declared fields for every instance, and a field's deep copy
builds the field again from its arguments (validators and all): for the three plain fields of
a redemption's body that was 6% of the request's instructions (`bench.profile
--instructions`), more than validating them.
"""

from __future__ import annotations

import copy

from rest_framework import serializers


class FlatSerializer(serializers.Serializer):
    """A body of plain fields (no nested serializer): each instance gets shallow copies of the
    declared fields, which hold no state of their own until `bind` sets it on the copy. Their
    validators and arguments are shared, as DRF's own deep copy shares validators."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        nested = [name for name, field in cls._declared_fields.items()
                  if isinstance(field, serializers.BaseSerializer)]
        if nested:  # a nested serializer has fields of its own to copy: DRF's deep copy
            raise TypeError(f"{cls.__name__}: {', '.join(nested)} would be shared, not copied")

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}
