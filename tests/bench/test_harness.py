"""The benchmark and fuzz harness's own pieces: code generation, COPY, report parsing."""

import pytest
from django.db import connection

from bench.floors import ALPHABET, code_copy_text, copy_floor, random_codes
from bench.run import seen_fits
from tests.fuzz.run_schemathesis import junit_counts, server_errors


def test_random_codes_are_distinct_of_the_length_asked_and_from_the_alphabet():
    codes = random_codes(5_000, length=12)
    assert len(set(codes)) == 5_000
    assert {len(code) for code in codes} == {12}
    assert set("".join(codes)) <= set(ALPHABET)


def test_every_alphabet_character_turns_up_about_equally_often():
    text = "".join(random_codes(20_000))
    counts = [text.count(char) for char in ALPHABET]
    expected = len(text) / len(ALPHABET)
    # 5% is over 5 standard deviations here, and modulo bias would leave 4 letters 8.6% short.
    assert all(abs(count - expected) < expected * 0.05 for count in counts)


def test_copy_text_is_one_tab_separated_line_per_code_in_column_order():
    lines = code_copy_text(["AAAA", "BBBB"], first_id=7, group_id=3).decode().splitlines()
    assert [line.split("\t")[:6] for line in lines] == [
        ["7", "AAAA", "3", "1", "0", "t"], ["8", "BBBB", "3", "1", "0", "t"]]


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_floor_times_each_run_and_drops_its_table():
    cfg = connection.settings_dict
    url = f"postgres://{cfg['USER']}@{cfg['HOST']}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    timing = copy_floor(url, rows=2_000, repeats=3)
    assert len(timing.runs) == 3
    assert timing.median > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_copy_floor')")
        assert cursor.fetchone() == (None,)


def test_a_success_wrk_did_not_see_may_be_recorded_but_never_the_reverse():
    assert seen_fits(seen=98, recorded=100, in_flight=2)
    assert not seen_fits(seen=98, recorded=101, in_flight=2)
    assert not seen_fits(seen=101, recorded=100, in_flight=2)


def test_server_errors_keeps_each_500_with_its_traceback_and_drops_the_4xx():
    log = "\n".join([
        "Not Found: /api/v1/x", "Internal Server Error: /api/v1/y", "Traceback (most recent…",
        "ValueError: boom", "Bad Request: /api/v1/z",
        "[2026-01-01 00:00:00 +0000] [12] [ERROR] Worker timeout"])
    assert server_errors(log).splitlines() == [
        "Internal Server Error: /api/v1/y", "Traceback (most recent…", "ValueError: boom",
        "[2026-01-01 00:00:00 +0000] [12] [ERROR] Worker timeout"]


def test_server_errors_keeps_the_json_error_lines_and_drops_the_access_lines():
    error = ('{"level": "error", "logger": "django.request", "message": "Internal Server '
             'Error: /api/v1/y", "exception": "Traceback…\\nValueError: boom"}')
    log = "\n".join([
        '{"level": "info", "logger": "entitle.request", "message": "GET /api/v1/x 404"}',
        error, '{"level": "warning", "logger": "core.health", "message": "Not ready"}'])
    assert server_errors(log).splitlines() == [error]


def test_junit_counts_tells_passed_from_failed_cases(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text('<testsuites><testsuite><testcase name="GET /a"/>'
                      '<testcase name="POST /b"><failure message="500"/></testcase>'
                      '<testcase name="GET /c"><error message="x"/></testcase>'
                      "</testsuite></testsuites>")
    assert junit_counts(report) == (1, 2)
    assert junit_counts(tmp_path / "missing.xml") == (0, 0)
