"""Topic rules and the office topic model, on a small config written here."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from core.config import Topic
from nlp.topic_model import stratified_subset
from nlp.topic_office import OfficeTopicModel, Passage, split_of, train
from nlp.topics import Ambiguity, KeywordTopics, TopicTagger, load_ambiguities
from pipeline.cli import app

runner = CliRunner()

TOPICS = [
    Topic(
        id="disaster",
        label_vi="Thiên tai",
        label_en="Disasters",
        keywords_vi=["bão", "lũ"],
        keywords_en=["storm"],
    ),
    Topic(
        id="environment",
        label_vi="Môi trường",
        label_en="Environment",
        keywords_vi=["rừng"],
        keywords_en=["forest"],
    ),
    Topic(
        id="religion",
        label_vi="Tôn giáo",
        label_en="Religion",
        sensitive=True,
        keywords_vi=["chùa"],
        keywords_en=["pagoda"],
    ),
    Topic(
        id="ethnic",
        label_vi="Dân tộc",
        label_en="Ethnic",
        sensitive=True,
        keywords_vi=["đồng bào"],
        keywords_en=[],
    ),
    Topic(
        id="rights",
        label_vi="Nhân quyền",
        label_en="Rights",
        sensitive=True,
        keywords_vi=["bắt giữ"],
        keywords_en=[],
    ),
    Topic(
        id="crime",
        label_vi="An ninh",
        label_en="Crime",
        keywords_vi=["bắt giữ", "công an"],
        keywords_en=[],
    ),
    Topic(id="seas", label_vi="Biển", label_en="Seas", keywords_vi=["biển"], keywords_en=[]),
]
RULES = [
    Ambiguity("bão", part_of=("bao nhiêu", "bảo đảm"), unmarked_requires=("mưa", "gió")),
    Ambiguity("rừng", part_of=("rung động",), unmarked_requires=("cây", "gỗ")),
    Ambiguity("chùa", unmarked_requires=("ngôi", "sư")),
    Ambiguity("đồng bào", topics=frozenset({"ethnic"}), requires=("dân tộc", "Vân Kiều")),
    Ambiguity("bắt giữ", topics=frozenset({"rights"}), requires=("nhà hoạt động",)),
    Ambiguity("biển", part_of=("biển báo", "biển số")),
]


@pytest.fixture(scope="module")
def rules() -> KeywordTopics:
    return KeywordTopics(TOPICS, RULES)


def ids(rules: KeywordTopics, text: str, language: str = "vi") -> set[str]:
    return {t.id for t in rules.score(text, 0, language)[0]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xã cần bao nhiêu tiền để sửa đường?", set()),
        ("Cơn bão đổ bộ vào đêm qua.", {"disaster"}),
        ("Tiếng đàn làm người nghe rung động.", set()),
        ("Kiểm lâm tuần tra rừng đầu nguồn.", {"environment"}),
        ("Hồ sơ vẫn chưa được duyệt.", set()),
        ("Ngôi chùa cổ được trùng tu.", {"religion"}),
        ("Thư chúc Tết gửi đồng bào cả nước.", set()),
        ("Đồng bào Vân Kiều thu hoạch lúa rẫy.", {"ethnic"}),
        ("Công an bắt giữ kẻ trộm xe máy.", {"crime"}),
        ("Một nhà hoạt động bị bắt giữ tại nhà riêng.", {"rights", "crime"}),
        ("Xe mang biển số giả bị phạt.", set()),
        ("Tàu cá ra biển sau tết.", {"seas"}),
        # typed without diacritics: folded keywords, but a bare syllable needs context
        ("mua bao lam ngap ca lang", {"disaster"}),
        ("bao nhieu nguoi den du", set()),
        ("chua co ket qua", set()),
        ("ngoi chua tren nui", {"religion"}),
    ],
)
def test_rules_respect_diacritics_and_context(
    rules: KeywordTopics, text: str, expected: set[str]
) -> None:
    assert ids(rules, text) == expected


def test_vietnamese_syllables_do_not_fire_in_english(rules: KeywordTopics) -> None:
    assert ids(rules, "Lu said the Bao family lives near the river.", "en") == set()
    assert ids(rules, "A storm hit the coast.", "en") == {"disaster"}


def test_hits_point_at_the_text_and_title_weighs_more(rules: KeywordTopics) -> None:
    title = "Lũ về"
    text = f"{title}\n\nNước lũ dâng cao trong đêm."
    hits = rules.hits(text)
    assert [text[a:b] for a, b in hits["disaster"]] == ["Lũ", "lũ"]
    with_title, _ = rules.score(text, len(title))
    without, _ = rules.score(text, 0)
    assert with_title[0].score > without[0].score
    assert rules.sensitive("religion") and not rules.sensitive("disaster")


def test_shipped_context_file_loads() -> None:
    entries = load_ambiguities()
    assert any(e.keyword == "bão" and "bao nhiêu" in e.part_of for e in entries)


PASSAGES = [
    Passage("Nước sông dâng, nhiều nhà ngập sâu sau mưa lớn.", "vi", ("disaster",)),
    Passage("Đợt mưa kéo dài làm ngập ruộng lúa ở vùng trũng.", "vi", ("disaster",)),
    Passage("Heavy rain flooded villages along the river.", "en", ("disaster",)),
    Passage("Kiểm lâm phát hiện gỗ bị chặt trái phép.", "vi", ("environment",)),
    Passage("Loggers cut trees inside the protected area.", "en", ("environment",)),
    Passage("Người dân trồng thêm cây gỗ lớn trên đồi trọc.", "vi", ("environment",)),
    Passage("Nhà sư trụ trì làm lễ cầu an đầu năm.", "vi", ("religion",)),
    Passage("Monks held a ceremony at the old temple.", "en", ("religion",)),
    Passage("Tăng ni tụng kinh trong ngày rằm.", "vi", ("religion",)),
    Passage("Đội bóng thắng trận chung kết.", "vi", ()),
] * 2


def test_model_trains_saves_and_loads_as_plain_arrays(tmp_path: Path) -> None:
    model = train(PASSAGES)
    assert model.topics == ["disaster", "environment", "religion"]
    texts = ["Mưa lớn làm ngập nhà dân.", "Nhà sư làm lễ."]
    before = model.probabilities(model.tfidf_logits(texts))
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:  # no pickle inside
        assert "tfidf_coef" in data and "vector_coef" not in data
    loaded = OfficeTopicModel.load(path)
    assert loaded.key == model.key and not loaded.has_vectors
    np.testing.assert_allclose(loaded.probabilities(loaded.tfidf_logits(texts)), before, atol=1e-2)


def test_tagger_blends_model_and_rules_on_config_ids(rules: KeywordTopics) -> None:
    model = train(PASSAGES)
    tagger = TopicTagger(TOPICS, model, RULES)
    scores, hits = tagger.score("Mưa lớn làm ngập nhà dân suốt đêm.", 0, "vi")
    assert scores[0].id == "disaster"
    assert {t.id for t in scores} <= {t.id for t in TOPICS}
    # "crime" has keywords and no training data: rules alone still find it
    scores, hits = tagger.score("Công an bắt giữ hai đối tượng.", 0, "vi")
    assert "crime" in {t.id for t in scores if t.score >= 0.3} and "crime" in hits
    # a topic the config dropped never comes out of the model
    narrow = TopicTagger(TOPICS[1:], model, RULES)
    assert "disaster" not in {t.id for t in narrow.score("Mưa lớn làm ngập nhà.", 0)[0]}


def test_split_is_stable() -> None:
    assert split_of("Một câu bất kỳ.") == split_of("Một câu bất kỳ.")
    shares = [split_of(f"câu số {i}") for i in range(1000)]
    assert 0.15 < shares.count("heldout") / 1000 < 0.25
    assert 0.05 < shares.count("dev") / 1000 < 0.15


def test_stratified_subset_is_deterministic() -> None:
    texts = [f"text {i}" for i in range(20)]
    labels = ["a" if i % 2 else "b" for i in range(20)]
    first = stratified_subset(texts, labels, 3)
    assert first == stratified_subset(list(reversed(texts)), list(reversed(labels)), 3)
    assert sorted(first[1]) == ["a", "a", "a", "b", "b", "b"]


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


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for text, label in rows:
            handle.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def test_topics_evaluate_prints_accuracy_and_macro_f1_last(tmp_path: Path) -> None:
    train_rows = [(t, "sport") for t in SPORT[:3]] + [(t, "health") for t in HEALTH[:3]]
    test_rows = [(SPORT[3], "sport"), (HEALTH[3], "health")]
    _write(tmp_path / "train.jsonl.gz", train_rows * 3)
    (tmp_path / "test.jsonl").write_text(
        "\n".join(json.dumps({"text": t, "label": label}) for t, label in test_rows), "utf-8"
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
