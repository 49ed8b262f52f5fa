"""Field rules of accounts, each written once: every dialect calls these.

On whose behalf a request acts (the learner it names, if any):
- a learner acts for themselves; naming anyone else is 403 `not_yourself`, decided before any
  look-up, so a learner cannot learn whether another account exists;
- an API key acts for the learner it names, and must name one (400 `required`);
- staff act for the learner they name, else for themselves;
- acting for someone else needs the operation's permission (`perm`): 403 `not_permitted`;
- a name that matches no learner (a NUL in it included) is 404 `user_not_found`; one that
  cannot be a name (not a string or a number) is 400.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from accounts.errors import LearnerNotFound, LearnerRequired, NotPermitted, NotYourself
from accounts.models import User, learner_reference
from accounts.permissions import is_api_client, is_staff_user
from core.errors import InvalidInput


def _names_caller(caller: User, ref: str) -> bool:
    return ref.lower() in (str(caller.pk), caller.email.lower())


@dataclass(frozen=True)
class LearnerName:
    """A learner named by id or email, not looked up yet (`acting_for_name`): the look-up
    `User.objects.by_id_or_email` would make, for a caller that joins it to its own query."""

    text: str
    field: str = "user"

    @property
    def email(self) -> str | None:
        return learner_reference(self.text)[1]

    @property
    def pk(self) -> uuid.UUID | None:
        return learner_reference(self.text)[0]

    def not_found(self) -> LearnerNotFound:
        return LearnerNotFound(message=f"No learner {self.text[:200]!r}.", field=self.field)

    def resolve(self) -> User:
        try:
            return User.objects.by_id_or_email(self.text)
        except User.DoesNotExist:
            raise self.not_found() from None


def acting_for_name(caller, ref: object, *, perm: str, field: str = "user") -> User | LearnerName:
    """`acting_for`, every refusal decided the same way and in the same order, but a learner
    named by the request comes back unlooked-up (a `LearnerName`); the caller when it acts
    for itself."""
    if ref is not None and (not isinstance(ref, str | int) or isinstance(ref, bool)):
        raise InvalidInput("invalid", "Give a learner's id or email.", field=field)
    text = "" if ref is None else str(ref).strip()
    back_office = is_api_client(caller) or is_staff_user(caller)
    if not back_office:
        if text and not _names_caller(caller, text):
            raise NotYourself(field=field)
        return caller
    if not text:
        if is_api_client(caller):
            raise LearnerRequired(field=field)
        return caller
    if not caller.has_perm(perm):
        raise NotPermitted(permission=perm)
    return LearnerName(text, field)


def acting_for(caller, ref: object, *, perm: str, field: str = "user") -> User:
    """The learner a request acts for, named by `ref` (an id or an email, or None)."""
    learner = acting_for_name(caller, ref, perm=perm, field=field)
    return learner.resolve() if isinstance(learner, LearnerName) else learner
