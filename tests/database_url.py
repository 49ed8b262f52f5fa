"""Print the database URL the suite should use: PostgreSQL if it answers, else SQLite.

`make test` calls this; the reason for a fallback goes to stderr so the run says why
the PostgreSQL-only tests were skipped.
"""

import os
import sys

DEFAULT = "postgres://root@127.0.0.1:5432/entitle"


def main() -> None:
    url = os.environ.get("DATABASE_URL") or DEFAULT
    if not url.startswith(("postgres://", "postgresql://")):
        print(url)
        return
    try:
        import dj_database_url
        import psycopg

        cfg = dj_database_url.parse(url)
        with psycopg.connect(
            host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
            password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3,
        ):
            pass
    except Exception as exc:  # any failure to connect means: fall back, and say why
        print(f"PostgreSQL did not answer at {url} ({exc.__class__.__name__}: {exc}); "
              "running on SQLite and skipping the tests that need PostgreSQL.", file=sys.stderr)
        print("sqlite:///test-entitle.sqlite3")
        return
    print(url)


if __name__ == "__main__":
    main()
