"""The "10,000,000 codes" section of `make bench`: every list, search, page and export a staff
member or a client uses, at production scale, in one run on one database.

The codes are the generation job's (`generation_job` makes `--job-codes` of them through
`POST /api/v1/code-groups`; this section reuses that group, or makes one as big the same
way); beside them 1,000,000 learners (`--scale-learners`) and 100,000 redemptions of the
group's first codes (`--scale-redemptions`), seeded by COPY as fixtures. Then the p50 of
each page or call (`--repeats` after a warm-up): the admin code list (page 1, page 1,000, a
pasted code, each filter, each sort it offers), a group's page, a learner's page, Zype's and
Thought Industries' lists (unfiltered and filtered), the native list with `q=`; and the time
to a complete CSV of the big group through the export job, its `result.rows` checked against
the database and against the lines of the file downloaded. Targets: every page and list call
≤ 300 ms p50, the admin's code search ≤ 50 ms.

Validate it at a small size on a shared machine:
    .venv/bin/python -m bench.run --only generation_job --only ten_million_codes \
        --job-codes 200000 --scale-learners 50000 --scale-redemptions 10000
"""

from __future__ import annotations

import statistics
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import psycopg

from bench.stack import manage
from bench.timing import format_seconds

PAGE_TARGET_S, SEARCH_TARGET_S = 0.300, 0.050

STAFF_SESSION = """
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
user = User.objects.filter(email="scale-staff@bench.example").first() or \\
    User.objects.create_superuser("scale-staff@bench.example", "not-used-" + "{nonce}")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@dataclass
class Measured:
    what: str
    p50_s: float
    target_s: float
    status: int

    @property
    def met(self) -> bool:
        return self.status < 400 and self.p50_s <= self.target_s


def big_group(b, codes: int) -> tuple[str, int]:
    """The largest ready group of at least `codes` codes (the generation job's), else one
    made by the same job now: (its id, its codes)."""
    rows = b.sql("SELECT g.id, count(c.id) FROM redemptions_codegroup g "
                 "JOIN redemptions_code c ON c.group_id = g.id WHERE g.ready "
                 "GROUP BY g.id HAVING count(c.id) >= %s ORDER BY 2 DESC LIMIT 1", (codes,))
    if rows:
        return str(rows[0][0]), rows[0][1]
    from bench.run import timed_job  # the job rows' helper (run.py imports this module)

    timed_job(b, "POST /api/v1/code-groups", lambda: b.api_json(
        "POST", "/api/v1/code-groups", {"label": "Bench scale", "count": codes,
                                        "offer": b.seed["videos"][0]["offer"],
                                        "code_length": 16}))
    return big_group(b, codes)


def seed_learners_and_redemptions(b, group: str, learners: int, redemptions: int) -> str:
    """COPY `learners` learners and `redemptions` redemptions of the group's first codes (one
    each, round robin over the learners), the codes marked used to match; ANALYZE. Returns
    the id of a learner holding several."""
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    ids = [uuid.uuid4() for _ in range(learners)]
    with psycopg.connect(b.database_url) as conn:
        with conn.cursor() as cur, cur.copy(
                "COPY accounts_user (id, email, password, full_name, is_staff, is_superuser, "
                "is_active, date_joined, updated_at) FROM STDIN") as copy:
            for n, pk in enumerate(ids):
                copy.write_row((pk, f"s{n}@scale.example", "!", "", False, False, True, now,
                                now))
        codes = [row[0] for row in conn.execute(
            "SELECT id FROM redemptions_code WHERE group_id = %s ORDER BY id LIMIT %s",
            (group, redemptions)).fetchall()]
        with conn.cursor() as cur, cur.copy(
                "COPY redemptions_redemption (code_id, user_id, redeemed_at, ip, "
                "transaction_id, rolled_back_by, rolled_back_reason, created_at, updated_at) "
                "FROM STDIN") as copy:
            for n, code in enumerate(codes):
                copy.write_row((code, ids[n % learners], now, None, f"scale-{n}", "", "", now,
                                now))
        conn.execute("UPDATE redemptions_code SET redemptions_count = 1, first_redeemed_at = "
                     "%s, last_redeemed_at = %s WHERE id = ANY(%s)", (now, now, codes))
    with psycopg.connect(b.database_url, autocommit=True) as conn:
        for table in ("accounts_user", "redemptions_redemption", "redemptions_code"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return str(ids[0])


WARM_UPS = 4  # one per gunicorn worker: each worker's first admin page loads its templates


def p50(b, path: str, *, cookie: str = "", repeats: int = 5) -> tuple[float, int]:
    """The median seconds of GET `path` (after untimed warm-ups), and its last status."""
    headers = {"Cookie": cookie} if cookie else {"Authorization": f"Bearer {b.seed['api_key']}"}
    runs, status = [], 0
    for n in range(repeats + WARM_UPS):
        request = urllib.request.Request(b.server.url(path), headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        if n >= WARM_UPS:
            runs.append(time.perf_counter() - started)
    return statistics.median(runs), status


def export_through_the_job(b, group: str) -> tuple[float, int, int, int]:
    """POST /api/v1/exports for the group, one worker, until the job succeeded; then the file
    downloaded: (seconds to the complete file, result.rows, lines under the header, codes in
    the database)."""
    from bench.run import follow_job, job_worker

    with job_worker(b) as worker:
        started = time.perf_counter()
        status, job = b.api_json("POST", "/api/v1/exports", {"code_group": group})
        if status != 202:
            raise RuntimeError(f"POST /api/v1/exports: {status} {job}")
        job, _ = follow_job(b, job["id"], worker)
    if job["status"] != "succeeded":
        raise RuntimeError(f"the export job {job['status']}: {job['error']}")
    request = urllib.request.Request(b.server.url(job["result"]["download_url"]),
                                     headers={"Authorization": f"Bearer {b.seed['api_key']}"})
    lines = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
    wall = time.perf_counter() - started
    in_database = b.sql("SELECT count(*) FROM redemptions_code WHERE group_id = %s",
                        (group,))[0][0]
    return wall, job["result"]["rows"], lines - 1, in_database


def measure(b, *, codes: int, learners: int, redemptions: int) -> tuple[list[Measured], dict]:
    group, size = big_group(b, codes)
    learner = seed_learners_and_redemptions(b, group, learners, redemptions)
    session = manage(b.env, "shell", "-c",
                     STAFF_SESSION.replace("{nonce}", uuid.uuid4().hex)).strip().splitlines()[-1]
    cookie = f"sessionid={session}"
    code = b.sql("SELECT code FROM redemptions_code WHERE group_id = %s ORDER BY id DESC "
                 "LIMIT 1", (group,))[0][0]
    pasted = "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()
    video = b.seed["videos"][0]
    admin = "/admin/redemptions/code/"
    day = time.strftime("%Y-%m-%d")
    pages = [  # (what, path, staff?, target)
        ("admin code list, page 1", admin, True, PAGE_TARGET_S),
        ("admin code list, page 1,000", f"{admin}?p=1000", True, PAGE_TARGET_S),
        ("admin code search, a pasted code", f"{admin}?q={pasted}", True, SEARCH_TARGET_S),
        ("admin filter: inactive", f"{admin}?is_active__exact=0", True, PAGE_TARGET_S),
        ("admin filter: active", f"{admin}?is_active__exact=1", True, PAGE_TARGET_S),
        ("admin filter: group's alphabet hex", f"{admin}?group__alphabet=hex", True,
         PAGE_TARGET_S),
        ("admin filter: expiry range", f"{admin}?expiration_date__range__gte=2020-01-01&"
         "expiration_date__range__lte=2030-12-31", True, PAGE_TARGET_S),
        ("admin filter: last redeemed today", f"{admin}?last_redeemed_at__range__gte={day}&"
         f"last_redeemed_at__range__lte={day}", True, PAGE_TARGET_S),
        ("admin filter: created today", f"{admin}?created_at__range__gte={day}&"
         f"created_at__range__lte={day}", True, PAGE_TARGET_S),
        ("admin filter: the group's codes", f"{admin}?group__id__exact={group}", True,
         PAGE_TARGET_S),
        ("admin sort: code ↑", f"{admin}?o=1", True, PAGE_TARGET_S),
        ("admin sort: code ↓", f"{admin}?o=-1", True, PAGE_TARGET_S),
        ("admin sort: created ↑", f"{admin}?o=10", True, PAGE_TARGET_S),
        ("admin sort: created ↓", f"{admin}?o=-10", True, PAGE_TARGET_S),
        ("admin redemption list, page 1", "/admin/redemptions/redemption/", True,
         PAGE_TARGET_S),
        ("a group's page", f"/admin/redemptions/codegroup/{group}/change/", True,
         PAGE_TARGET_S),
        ("a learner's page", f"/admin/accounts/user/{learner}/change/", True, PAGE_TARGET_S),
        ("Zype list", f"/redemption_codes?api_key={b.seed['api_key']}", False, PAGE_TARGET_S),
        ("Zype list, video_id=", f"/redemption_codes?api_key={b.seed['api_key']}&video_id="
         f"{video['external_id']}", False, PAGE_TARGET_S),
        ("TI group codes", f"/incoming/v2/redemptionCodes/{group}/codes", False,
         PAGE_TARGET_S),
        ("TI group codes, redeemed=true", f"/incoming/v2/redemptionCodes/{group}/codes?"
         "redeemed=true", False, PAGE_TARGET_S),
        ("native codes, q= a pasted code (a list call)", f"/api/v1/codes?q={pasted}", False,
         PAGE_TARGET_S),
    ]
    results = []
    for what, path, staff, target in pages:
        seconds, status = p50(b, path, cookie=cookie if staff else "", repeats=b.repeats)
        results.append(Measured(what, seconds, target, status))
    wall, rows, lines, in_database = export_through_the_job(b, group)
    return results, {"codes": size, "learners": learners, "redemptions": redemptions,
                     "export_s": wall, "export_rows": rows, "export_lines": lines,
                     "codes_in_database": in_database}


def table(results: list[Measured], export: dict) -> str:
    lines = [f"{export['codes']:,} codes, {export['learners']:,} learners, "
             f"{export['redemptions']:,} redemptions", "",
             "| page or call | p50 | target |", "|---|---|---|"]
    for m in results:
        verdict = "met" if m.met else f"NOT met (HTTP {m.status})"
        lines.append(f"| {m.what} | {format_seconds(m.p50_s)} | ≤ "
                     f"{format_seconds(m.target_s)} — {verdict} |")
    complete = export["export_rows"] == export["export_lines"] == export["codes_in_database"]
    lines.append(f"| complete CSV of the group through the export job | "
                 f"{format_seconds(export['export_s'])} | rows {export['export_rows']:,} = "
                 f"file {export['export_lines']:,} = database "
                 f"{export['codes_in_database']:,} — {'met' if complete else 'NOT met'} |")
    return "\n".join(lines) + "\n"
