"""Backups (docs/deploy.md, "Backups and restore"): a populated database dumped with
`pg_dump --format=custom` and restored with `pg_restore` into an empty database holds the same
rows in every table and every sequence where it was (new rows there take fresh ids)."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from bench.stack import scratch_database
from redemptions import services
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def contents(url: str) -> dict[str, int]:
    """Rows per table and each sequence's last value."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        found = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        found.update(conn.execute("SELECT 'sequence ' || sequencename, last_value "
                                  "FROM pg_sequences WHERE schemaname = 'public'").fetchall())
        return found


def test_a_dumped_database_restores_with_every_row_and_sequence(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("needs PostgreSQL and its client tools (pg_dump, pg_restore)")
    offer = OfferFactory()
    for _ in range(20):
        services.redeem(CodeFactory(offer=offer, max_redemptions=2).code, UserFactory())
    source = database_url(connection.settings_dict["NAME"])
    dump = tmp_path / "entitle.dump"
    restored = scratch_database(source, f"{connection.settings_dict['NAME']}_restored")
    try:
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source],
                       check=True, capture_output=True)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        f"--dbname={restored.url}", str(dump)], check=True, capture_output=True)
        assert contents(restored.url) == contents(source)
        assert contents(restored.url)["redemptions_redemption"] == 20
    finally:
        restored.drop()
