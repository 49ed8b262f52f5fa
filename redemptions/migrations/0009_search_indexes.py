"""Indexes for the admin's lists at scale. The searches that are not a code: words of a group label and parts of
transaction ids (`UPPER(column) LIKE UPPER('%word%')`, Django's `icontains`) through pg_trgm
GIN indexes on the same expression. The transaction-id ones are partial (only codes and
redemptions that carry one): generated codes, nearly all of the table, add nothing to them.

PostgreSQL only (SQLite, for `make run`, searches by scanning); `CREATE EXTENSION pg_trgm`
needs a role allowed to create it (a superuser, or the database owner on PostgreSQL 13+,
pg_trgm being a trusted extension). And the redemption list's "rolled back" date filter: a
partial index of the few rolled back.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

INDEXES = [
    ("code_group_label_trgm", "redemptions_codegroup", "label", ""),
    ("code_transaction_trgm", "redemptions_code", "transaction_id",
     "WHERE transaction_id <> ''"),
    ("redemption_transaction_trgm", "redemptions_redemption", "transaction_id",
     "WHERE transaction_id <> ''"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column, where in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                              f'USING gin (UPPER("{column}"::text) gin_trgm_ops) {where}')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [("redemptions", "0008_redemption_on_behalf_permission")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
        migrations.AddIndex(
            model_name="redemption",
            index=models.Index(condition=models.Q(("rolled_back_at__isnull", False)),
                               fields=["rolled_back_at"], name="redemption_rolled_back"),
        ),
    ]
