import pytest
from rest_framework import serializers

from core.serializers import FlatSerializer


class Body(FlatSerializer):
    code = serializers.CharField(max_length=5)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeepBody(serializers.Serializer):  # the same fields, DRF's deep copy
    code = serializers.CharField(max_length=5)
    note = serializers.CharField(required=False, allow_blank=True, default="")


def test_each_instance_has_fields_of_its_own():
    first, second = Body(data={}), Body(data={})

    assert first.fields["code"] is not second.fields["code"]
    assert first.fields["code"].parent is first
    assert second.fields["code"].parent is second


def test_declared_fields_stay_unbound():
    Body(data={}).fields  # noqa: B018 - binds the instance's copies

    assert Body._declared_fields["code"].parent is None


@pytest.mark.parametrize("data", [
    {"code": "ABC"}, {"code": "ABCDEF"}, {}, {"code": "A\x00B"}, {"code": "  "},
    {"code": "ABC", "note": None}, {"code": ["A"]},
])
def test_validates_as_drfs_deep_copy_does(data):
    flat, deep = Body(data=data), DeepBody(data=data)

    assert flat.is_valid() == deep.is_valid()
    assert flat.errors == deep.errors
    if deep.is_valid():
        assert flat.validated_data == deep.validated_data


def test_a_nested_serializer_is_refused():
    with pytest.raises(TypeError, match="inner"):
        class Nested(FlatSerializer):
            inner = Body()
