"""Model pieces every app shares."""

from django.db import models


class TimeStamped(models.Model):
    """`created_at` (indexed: every list filters and sorts on it) and `updated_at`."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
