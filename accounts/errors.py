"""Refusals of the accounts rules."""

from core.errors import DomainError


class AccountsError(DomainError):
    default_code = "accounts_invalid"
    http_status = 400


class GroupPathInvalid(AccountsError):
    """A group path that does not follow the syntax (400)."""

    default_code = "group_path_invalid"


class GroupNotFound(AccountsError):
    """A group id or path that names no group (404)."""

    default_code = "group_not_found"
    http_status = 404


class GroupPathAmbiguous(AccountsError):
    """A group path that matches more than one group (400)."""

    default_code = "group_path_ambiguous"


class LearnerRequired(AccountsError):
    """An API key acts for a learner it must name (400)."""

    default_code = "required"
    default_message = "Name the learner: user=<id or email>."


class LearnerNotFound(AccountsError):
    """A learner id or email that names no one (404)."""

    default_code = "user_not_found"
    http_status = 404


class NotYourself(AccountsError):
    """A learner acts for themselves only; naming anyone else is refused before any look-up,
    so the answer does not tell whether that account exists (403)."""

    default_code = "not_yourself"
    default_message = "A learner may only act for themselves."
    http_status = 403
