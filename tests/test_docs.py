"""The operator manual stays true to the code: generated tool section, links, setting names."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import settings_table
from scripts.render_tool_docs import DOC as TOOL_DOC
from scripts.render_tool_docs import render

ROOT = Path(__file__).resolve().parents[1]
MANUAL = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SETTING_LIKE = re.compile(r"(?<![A-Za-z0-9_-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![A-Za-z0-9_-])")
# Environment variables the service reads that are not settings: the .env file's location,
# prometheus_client's multiprocess directory and requests' CA bundles.
OTHER_ENVIRONMENT = {"AEGIS_ENV_FILE", "PROMETHEUS_MULTIPROC_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
# Upper-case words of the manual that are values, not settings: review events of create_pull_request_review.
NOT_SETTINGS = {"REQUEST_CHANGES"}


def relative_links(page: Path) -> list[str]:
    """Link targets that are files of this repository (no URLs, no in-page anchors)."""
    targets = (m.group(1) for m in LINK.finditer(page.read_text()))
    return [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:|#", t)]


def test_tool_section_matches_the_catalog() -> None:
    text = TOOL_DOC.read_text()
    assert render(text) == text, "run: python scripts/render_tool_docs.py"


def test_tool_section_lists_every_tool_by_name() -> None:
    from app.tools import all_tools

    text = TOOL_DOC.read_text()
    missing = [t.name for t in all_tools() if f"#### `{t.name}`" not in text]
    assert missing == []


def test_every_relative_link_points_to_an_existing_file() -> None:
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in MANUAL
        for target in relative_links(page)
        if not (page.parent / target).exists()
    ]
    assert broken == []


def test_every_setting_named_in_the_manual_exists() -> None:
    known = {name for name, _, _ in settings_table()} | OTHER_ENVIRONMENT | NOT_SETTINGS
    unknown = sorted(
        f"{page.relative_to(ROOT)}: {name}"
        for page in MANUAL
        for name in set(SETTING_LIKE.findall(page.read_text())) - known
    )
    assert unknown == []


def test_checks_report_a_broken_link_and_an_unknown_setting(tmp_path: Path) -> None:
    """The two checks above are not vacuous: a made-up page and a made-up setting are caught."""
    page = tmp_path / "Page.md"
    page.write_text("See [here](Missing.md) and [web](https://example.com); set `NOT_A_SETTING=1`.")
    assert relative_links(page) == ["Missing.md"]
    assert SETTING_LIKE.findall(page.read_text()) == ["NOT_A_SETTING"]
