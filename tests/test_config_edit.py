"""core.config_edit: narratives written back into config.yaml without touching
anything else, validated by the loader `config check` uses, atomic, with backups."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from core.config_edit import (
    EditError,
    InvalidEdit,
    StaleConfig,
    history_dir,
    narrative_fields,
    read_document,
    recent_history,
    save_narrative,
    splice_narrative,
)
from core.loading import load_settings
from tests.conftest import OFFICE_CONFIG

MARKER = "# a comment the office wrote, kept byte for byte\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A private copy of the tests' office config, with comments of our own."""
    path = tmp_path / "office" / "config.yaml"
    path.parent.mkdir()
    shutil.copy(OFFICE_CONFIG, path)
    text = path.read_text(encoding="utf-8")
    # A comment inside the narratives list and one after it, plus odd quoting elsewhere.
    text = text.replace("  - id: relief-rice-mouldy\n", MARKER + "  - id: relief-rice-mouldy\n", 1)
    path.write_text(text + "\n# trailing comment: 'kept'\n", encoding="utf-8")
    return path


NEW = {
    "id": "bridge-collapsed",
    "statement_vi": 'Cầu Nhật Lệ 2 đã sập, "chính quyền giấu"',
    "statement_en": "The Nhat Le 2 bridge collapsed and it is being hidden",
    "topics": ["administration"],
    "subjects": ["cầu Nhật Lệ 2", "Nhat Le 2 bridge"],
    "examples_vi": ["Cầu Nhật Lệ 2 sập từ tuần trước mà không ai đưa tin."],
    "examples_en": ["The Nhat Le 2 bridge fell last week and nobody reported it."],
}


def _lines_without(text: str, block_start: str) -> list[str]:
    return [line for line in text.splitlines() if block_start not in line]


def test_add_keeps_every_other_byte_and_validates(config: Path) -> None:
    before = config.read_text(encoding="utf-8")
    document = read_document(config)
    result = save_narrative(config, NEW, expected_sha256=document.sha256, user="lan")
    after = config.read_text(encoding="utf-8")
    # The new text is the old text with the new item inserted as one block of lines.
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added = len(new_lines) - len(old_lines)
    start = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b)
    assert new_lines[:start] + new_lines[start + added :] == old_lines
    assert new_lines[start].startswith("  - id: bridge-collapsed")
    assert MARKER in after and after.endswith("# trailing comment: 'kept'\n")
    loaded = load_settings(config)  # what `presswatch config check` and the analyzer read
    added_narrative = next(n for n in loaded.narratives if n.id == "bridge-collapsed")
    assert added_narrative.statement_vi == NEW["statement_vi"]
    assert added_narrative.subjects == NEW["subjects"]
    assert [n.id for n in result.settings.narratives] == [n.id for n in loaded.narratives]


def test_edit_changes_only_that_narrative(config: Path) -> None:
    document = read_document(config)
    target = document.settings.narratives[0]
    fields = narrative_fields(target)
    fields["examples_en"] = [*fields["examples_en"], "A second English phrasing."]
    before = config.read_text(encoding="utf-8")
    save_narrative(
        config, fields, expected_sha256=document.sha256, user="lan", narrative_id=target.id
    )
    after = config.read_text(encoding="utf-8")
    assert after.replace('      - "A second English phrasing."\n', "", 1) == before
    edited = load_settings(config).narratives[0]
    assert edited.examples_en[-1] == "A second English phrasing."


def test_invalid_narrative_is_refused_and_file_unchanged(config: Path) -> None:
    before = config.read_bytes()
    document = read_document(config)
    bad = {**NEW, "id": "Bad Id", "topics": ["no-such-topic"], "examples_en": []}
    with pytest.raises(InvalidEdit) as caught:
        save_narrative(config, bad, expected_sha256=document.sha256, user="lan")
    messages = " ".join(str(issue) for issue in caught.value.issues)
    assert "unknown topic 'no-such-topic'" in messages
    assert "examples_en" in messages and "narratives." in messages
    duplicate = {**NEW, "id": document.settings.narratives[0].id}
    with pytest.raises(InvalidEdit, match="duplicate id"):
        save_narrative(config, duplicate, expected_sha256=document.sha256, user="lan")
    with pytest.raises(EditError, match="no narrative"):
        save_narrative(
            config, NEW, expected_sha256=document.sha256, user="lan", narrative_id="missing"
        )
    assert config.read_bytes() == before
    assert not list(history_dir(config).glob("*.yaml"))


def test_concurrent_edit_is_refused(config: Path) -> None:
    opened = read_document(config)  # admin 1 opens the form
    other = read_document(config)  # admin 2 opens it and saves first
    save_narrative(config, NEW, expected_sha256=other.sha256, user="mai")
    saved_by_mai = config.read_bytes()
    late = {**NEW, "id": "late-claim"}
    with pytest.raises(StaleConfig, match="changed since you opened it"):
        save_narrative(config, late, expected_sha256=opened.sha256, user="lan")
    assert config.read_bytes() == saved_by_mai


def test_backup_and_history(config: Path) -> None:
    original = config.read_bytes()
    document = read_document(config)
    at = dt.datetime(2026, 12, 3, 1, 2, 3, tzinfo=dt.UTC)
    result = save_narrative(config, NEW, expected_sha256=document.sha256, user="lan", now=at)
    assert result.backup.parent == config.parent / "config-history"
    assert result.backup.name == "config-20261203-010203-000000Z-lan.yaml"
    assert result.backup.read_bytes() == original  # the version before the save
    fields = {**NEW, "statement_en": "Edited"}
    save_narrative(
        config, fields, expected_sha256=result.sha256, user="mai", narrative_id=NEW["id"]
    )
    history = recent_history(config)
    assert [(h.user, h.action, h.narrative) for h in history] == [
        ("mai", "edit", "bridge-collapsed"),
        ("lan", "add", "bridge-collapsed"),
    ]
    assert load_settings(history_dir(config) / history[0].backup).narratives[-1].id == NEW["id"]
    # Nothing but the file, its history folder and no temp files left behind.
    assert sorted(p.name for p in config.parent.iterdir()) == ["config-history", "config.yaml"]


def test_empty_and_missing_narratives_lists(tmp_path: Path) -> None:
    text = OFFICE_CONFIG.read_text(encoding="utf-8")
    head, _, rest = text.partition("\nnarratives:\n")
    tail = rest[rest.index("\nnlp:") :] if "\nnlp:" in rest else ""
    for variant in (head + "\nnarratives: []\n" + tail, head + "\n" + tail):
        spliced = splice_narrative(variant, NEW, None)
        path = tmp_path / "c.yaml"
        path.write_text(spliced, encoding="utf-8")
        assert [n.id for n in load_settings(path).narratives] == ["bridge-collapsed"]
