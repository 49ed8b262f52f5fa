"""The ceiling's two tables. Unmanaged: bench/run.py creates them with raw SQL (CEILING_DDL
there), so the ceiling depends on none of the product's models or migrations."""

from django.db import models


class CeilingCode(models.Model):
    id = models.BigIntegerField(primary_key=True)
    code = models.TextField(unique=True)
    remaining = models.IntegerField()
    redemptions_count = models.IntegerField(default=0)
    last_redeemed_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "bench_ceiling_code"

    def __str__(self) -> str:
        return self.code


class CeilingRedemption(models.Model):
    code = models.ForeignKey(CeilingCode, on_delete=models.DO_NOTHING)
    user_ref = models.TextField()
    redeemed_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "bench_ceiling_redemption"

    def __str__(self) -> str:
        return f"{self.code_id} by {self.user_ref}"
