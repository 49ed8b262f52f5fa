"""Refusals of the events app (webhook endpoints and deliveries): each declares its stable
code and HTTP status."""

from core.errors import Conflict, InvalidInput


class WebhookUrlInvalid(InvalidInput):
    """The URL is not an absolute http(s) URL with a host, or its host does not resolve."""

    default_code = "webhook_url_invalid"
    default_message = "Give an absolute http:// or https:// URL whose host resolves."


class WebhookUrlPrivate(InvalidInput):
    """The URL's host resolves to a loopback, link-local or private address (SSRF guard)."""

    default_code = "webhook_url_private"
    default_message = ("This URL points to a loopback, link-local or private address; "
                       "webhooks go only to public addresses.")


class UnknownEventKind(InvalidInput):
    """A webhook endpoint asked for a kind of event that does not exist."""

    default_code = "unknown_event_kind"
    default_message = "Unknown event kind."


class DeliveryNotRetryable(Conflict):
    """Only a failed delivery (or a pending one not being sent) can be retried."""

    default_code = "delivery_not_retryable"
    default_message = "This delivery has already succeeded; there is nothing to retry."
