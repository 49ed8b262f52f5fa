"""Who may call what: API clients and staff manage; learners act for themselves."""

from rest_framework.permissions import BasePermission


def is_api_client(user) -> bool:
    return bool(getattr(user, "is_api_client", False))


def is_staff_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and not is_api_client(user))


def is_learner(user) -> bool:
    return bool(user and user.is_authenticated and not is_api_client(user))


class IsApiClientOrStaff(BasePermission):
    """Back-office access: an API key, or a staff user."""

    message = "This needs an API key or a staff account."

    def has_permission(self, request, view):
        return is_api_client(request.user) or is_staff_user(request.user)


class IsApiClientStaffOrLearner(BasePermission):
    """Redeem-style endpoints: any authenticated caller; the view decides on whose behalf."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class IsLearner(BasePermission):
    """A signed-in person (OAuth2 token or session), not an API key."""

    message = "This needs a learner's access token."

    def has_permission(self, request, view):
        return is_learner(request.user)
