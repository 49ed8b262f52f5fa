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


class NotPermitted(AccountsError):
    """A credential outside its Django permissions (its role, groups or scopes) (403)."""

    default_code = "not_permitted"
    default_message = "Your credentials do not allow this operation."
    http_status = 403


class EmailTaken(AccountsError):
    default_code = "email_taken"
    default_message = "An account with this email address already exists."
    http_status = 409


class TooManyAttempts(AccountsError):
    """Refused because of too many failed attempts; `data["retry_after"]` is in seconds."""

    default_code = "throttled"
    default_message = "Too many failed attempts. Please wait and try again."
    http_status = 429

    @property
    def retry_after(self) -> int:
        return int(self.data["retry_after"])
