from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from core.config import Settings
from nlp.topic_model import stratified_subset
from nlp.topics import KeywordTopics
from pipeline.cli import app

runner = CliRunner()

SPORT = [
    "Đội tuyển bóng đá thắng trận chung kết với bàn thắng ở phút cuối.",
    "Cầu thủ ghi hai bàn thắng giúp câu lạc bộ vô địch giải đấu.",
    "Huấn luyện viên đội tuyển công bố danh sách cầu thủ dự giải.",
    "Trận bóng đá giữa hai câu lạc bộ kết thúc với tỷ số hòa.",
]
HEALTH = [
    "Bệnh viện tỉnh tiếp nhận nhiều bệnh nhân sốt xuất huyết.",
    "Bác sĩ khuyến cáo người dân tiêm vắc xin phòng bệnh cúm.",
    "Bộ Y tế yêu cầu các bệnh viện tăng cường phòng chống dịch bệnh.",
    "Bệnh nhân được bác sĩ điều trị tích cực tại khoa hồi sức.",
]


def test_keyword_topics_are_multilabel_and_diacritics_honest(project_settings: Settings) -> None:
    topics = KeywordTopics(project_settings.topics)
    title = "Lũ lụt ở Quảng Bình: cứu trợ khẩn cấp"
    text = f"{title}\n\nMưa lũ gây ngập nặng. Du khách bị kẹt tại hang động Phong Nha."
    scores, counts = topics.score(text, len(title))
    ids = [t.id for t in scores]
    assert ids[0] == "disaster" and "tourism" in ids
    assert counts["disaster"] >= 3
    # "báo" (newspaper) is not "bão" (storm); unmarked "bao" may be either
    assert "disaster" not in {t.id for t in topics.score("Theo báo Nhân Dân hôm nay.", 0)[0]}
    assert "disaster" in {t.id for t in topics.score("Typhoon and flooding hit the coast", 0)[0]}
    assert topics.sensitive("sovereignty") and not topics.sensitive("tourism")


def test_stratified_subset_is_deterministic() -> None:
    texts = [f"text {i}" for i in range(20)]
    labels = ["a" if i % 2 else "b" for i in range(20)]
    first = stratified_subset(texts, labels, 3)
    assert first == stratified_subset(list(reversed(texts)), list(reversed(labels)), 3)
    assert sorted(first[1]) == ["a", "a", "a", "b", "b", "b"]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for text, label in rows:
            handle.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def test_topics_evaluate_prints_accuracy_and_macro_f1_last(tmp_path: Path) -> None:
    train = [(t, "sport") for t in SPORT[:3]] + [(t, "health") for t in HEALTH[:3]]
    test = [(SPORT[3], "sport"), (HEALTH[3], "health")]
    _write(tmp_path / "train.jsonl.gz", train * 3)
    (tmp_path / "test.jsonl").write_text(
        "\n".join(json.dumps({"text": t, "label": label}) for t, label in test), "utf-8"
    )
    result = runner.invoke(
        app,
        [
            "topics",
            "evaluate",
            "--train",
            str(tmp_path / "train.jsonl.gz"),
            "--test",
            str(tmp_path / "test.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"accuracy \d\.\d{4} macro_f1 \d\.\d{4}", last)
    assert last == "accuracy 1.0000 macro_f1 1.0000"


def test_topics_evaluate_reports_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "x"}\n', "utf-8")
    result = runner.invoke(
        app,
        [
            "topics",
            "evaluate",
            "--train",
            str(tmp_path / "bad.jsonl"),
            "--test",
            str(tmp_path / "bad.jsonl"),
        ],
    )
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.output
