"""What an OPTIONS request answers.

DRF's default metadata describes the request body by instantiating the view's serializer;
dialect views that parse their own vendor's shapes have none, so that would crash. The
OpenAPI document (`/api/schema/`) describes every body; OPTIONS says what the endpoint is,
what it renders and parses, and describes a serializer only where the view has one.
"""

from rest_framework.metadata import SimpleMetadata


def _has_serializer(view) -> bool:
    if getattr(view, "serializer_class", None) is not None:
        return True
    # Not importing rest_framework.generics here: DRF loads this class while importing views.
    for klass in type(view).__mro__:
        if "get_serializer_class" in vars(klass):
            return klass.__module__ != "rest_framework.generics"
    return False


class EntitleMetadata(SimpleMetadata):
    def determine_actions(self, request, view):
        if not _has_serializer(view):
            return {}
        return super().determine_actions(request, view)
