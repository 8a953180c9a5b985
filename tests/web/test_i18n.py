"""One catalog for the web app, the digest and the alerts: every word it has exists in
Vietnamese and English, every word the templates use is in it, and a concept has
one Vietnamese word wherever it is shown."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from pipeline.i18n import (
    LANGUAGES,
    Translator,
    all_keys,
    catalog,
    po_file,
    strings,
    translate,
)
from pipeline.reports.digest import TEMPLATES as DIGEST_TEMPLATES
from pipeline.web.templating import TEMPLATE_DIR

ROOT = Path(__file__).resolve().parents[2]


def _entries(language: str) -> dict[str, str]:
    """The language's .po file as written, without the Vietnamese fallback."""
    with po_file(language).open("rb") as handle:
        found = read_po(handle)
    return {str(m.id): str(m.string) for m in found if m.id and not m.fuzzy}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_key_has_vietnamese_and_english() -> None:
    vi, en = _entries("vi"), _entries("en")
    assert len(vi) > 150  # the web app, the digest and the alerts
    assert set(vi) == set(en) == all_keys()
    for key in vi:
        assert vi[key].strip() and en[key].strip(), key
        assert _placeholders(vi[key]) == _placeholders(en[key]), key


def test_every_template_key_is_in_the_catalog() -> None:
    used: set[str] = set()
    for template in TEMPLATE_DIR.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z0-9_]+)["']\)""", template.read_text("utf-8")))
    for template in DIGEST_TEMPLATES.glob("*.j2"):
        text = template.read_text("utf-8")
        used |= set(re.findall(r"\bt\.([a-z0-9_]+)", text))
    for module in (ROOT / "pipeline" / "web").rglob("*.py"):
        text = module.read_text("utf-8")
        used |= set(re.findall(r"""\bflash\(request, ["']([a-z0-9_]+)["']""", text))
        used |= set(re.findall(r"""_error_page\(request, \d+, ["']([a-z0-9_]+)["']\)""", text))
    assert {"case", "stance", "digest_title", "saved", "forbidden"} <= used
    assert not sorted(used - all_keys())


def test_dynamic_keys_exist() -> None:
    for prefix, values in {
        "status_": ("new", "triaged", "in_progress", "closed", "open", "all"),
        "resolution_": ("responded", "no_action", "false_positive"),
        "stance_": ("supportive", "neutral", "critical", "other", "none"),
        "origin_": ("domestic", "foreign", "unknown"),
        "role_": ("viewer", "analyst", "admin"),
        "reason_": ("narrative", "sensitive_topic", "stance", "origin", "tone"),
        "lang_": ("vi", "en"),
        "tone_": ("positive", "neutral", "negative"),
        "event_": ("opened", "attached", "assigned", "status", "note", "response", "closed"),
        "period_": ("today", "7", "30"),
        "priority_": ("high", "medium", "low"),
    }.items():
        for value in values:
            assert prefix + value in all_keys(), prefix + value
    for metric in ("articles_total", "stories", "foreign_articles", "flagged_total", "new_cases"):
        assert metric in all_keys(), metric


def test_translate_and_fallbacks() -> None:
    assert translate("nav_queue", "en") == "Queue" and translate("nav_queue", "vi") == "Hàng đợi"
    assert translate("nav_queue") == "Hàng đợi"  # Vietnamese by default
    assert translate("nav_queue", "fr") == "Hàng đợi"  # an unknown language: Vietnamese
    assert translate("unknown_key", "fr") == "unknown_key"
    assert Translator("en")("case") == "Case" and Translator("xx").language == "vi"
    assert strings("en")["digest_title"] == "Press monitoring digest"
    assert set(catalog("en")) == set(catalog("vi")) == all_keys()


def test_the_web_and_the_reports_use_one_word_per_concept() -> None:
    web, digest = Translator("vi"), strings("vi")
    assert web("case") == digest["case"] == "Vụ việc"
    assert web("stance") == "Quan điểm"
    assert digest["stance_by_origin"] == web("stance_by_origin") == "Quan điểm theo nguồn gốc"
    assert digest["new_and_open"].startswith("Vụ việc") and digest["open_cases"].startswith(
        "Vụ việc"
    )
    assert digest["reason_detail_stance"].startswith(web("stance"))
    assert digest["reason_detail_tone"].startswith(web("tone"))
    everything = " ".join(catalog("vi").values()).lower()
    for retired in ("hồ sơ", "thái độ", "giọng điệu", "giám sát", "cơ quan báo chí"):
        assert retired not in everything, retired
    # The digest writes some labels in lower case mid-line; the word stays the same.
    assert digest["score"].lower() == "điểm sai lệch" and digest["status_triaged"].lower() == (
        "đã phân loại"
    )


def test_the_catalog_is_read_on_first_use_not_at_import() -> None:
    probe = (
        "import sys\n"
        "import pipeline.web.app, pipeline.reports.digest, pipeline.alerts.rules\n"
        "import pipeline.i18n as i18n\n"
        "assert i18n._read.cache_info().currsize == 0\n"
        "assert 'babel.messages.pofile' not in sys.modules\n"
        "assert i18n.translate('case', 'en') == 'Case'\n"
        "i18n.translate('stance', 'vi')\n"
        "assert i18n._read.cache_info().misses == 2  # each file read once\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_po_files_are_shipped() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"*.po"' in text and '"Babel>=' in text
    for language in LANGUAGES:
        assert po_file(language).is_file(), language
