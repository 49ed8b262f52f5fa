"""Event data for redemptions' changes (see `events.payloads`)."""

from events.payloads import snapshot
from redemptions.models import Code, CodeGroup, Redemption

REDEMPTION_FIELDS = ["id", "user", "redeemed_at", "transaction_id", "rolled_back_at",
                     "rolled_back_by", "rolled_back_reason"]
CODE_GROUP_FIELDS = ["id", "label", "offer", "client", "code_length", "alphabet",
                     "total_codes_count", "redemptions_per_code", "expiration_date",
                     "uploaded", "created_at"]


def redemption(done: Redemption, code: Code) -> dict:
    return snapshot(done, REDEMPTION_FIELDS, code=code.display_code(), code_id=code.pk,
                    group=code.group_id,
                    entitlements=[grant.pk for grant in getattr(done, "entitlements", [])],
                    seats=[seat.pk for seat in getattr(done, "seats", [])])


def code_group(group: CodeGroup) -> dict:
    return snapshot(group, CODE_GROUP_FIELDS)
