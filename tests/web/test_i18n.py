"""Every word the templates use exists in Vietnamese and English."""

from __future__ import annotations

import re

from pipeline.web.i18n import MESSAGES, translate
from pipeline.web.templating import TEMPLATE_DIR


def test_every_template_key_is_translated() -> None:
    used: set[str] = set()
    for template in TEMPLATE_DIR.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z0-9_]+)["']\)""", template.read_text("utf-8")))
    assert used, "no keys found: the pattern is wrong"
    missing = sorted(key for key in used if key not in MESSAGES)
    assert not missing
    for key, (vi, en) in MESSAGES.items():
        assert vi and en, key


def test_dynamic_keys_exist() -> None:
    for prefix, values in {
        "status_": ("new", "triaged", "in_progress", "closed", "open", "all"),
        "resolution_": ("responded", "no_action", "false_positive"),
        "stance_": ("supportive", "neutral", "critical", "none"),
        "origin_": ("domestic", "foreign", "unknown"),
        "role_": ("viewer", "analyst", "admin"),
        "reason_": ("narrative", "sensitive_topic", "stance", "origin", "tone"),
        "lang_": ("vi", "en"),
        "tone_": ("positive", "neutral", "negative"),
    }.items():
        for value in values:
            assert prefix + value in MESSAGES, prefix + value
    assert translate("en", "nav_queue") == "Queue" and translate("vi", "nav_queue") == "Hàng đợi"
    assert translate("fr", "unknown_key") == "unknown_key"
