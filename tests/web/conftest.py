"""Browser tests: Playwright for Python drives Debian's Chromium against the live server.

Playwright cannot download its own browsers here, so the plugin is pointed at
`/usr/bin/chromium` (`make test` installs it with apt-get when it is missing and it runs as
root). Without it every `browser` test is skipped with that reason, never failed.
Screenshots go to `test-artefacts/` at the repository root (git-ignored).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up data would otherwise be refused as "called from an async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")  # elsewhere: set CHROMIUM_PATH
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"


def chromium_missing_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return (f"Chromium is not installed at {CHROMIUM} "
                "(`make test` installs it with apt-get when run as root)")
    return None


def pytest_collection_modifyitems(config, items):
    reason = chromium_missing_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A phone-sized window would hide layout bugs of the desktop page and vice versa; the
    # screenshots are for people reading the README, so a laptop-sized window.
    return {**browser_context_args, "viewport": {"width": 1100, "height": 760}}


@pytest.fixture
def page(page):
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def screenshot(page):
    """`screenshot("name")` saves the page as test-artefacts/<name>.png and returns the path."""
    ARTEFACTS.mkdir(exist_ok=True)

    def save(name: str) -> Path:
        path = ARTEFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
