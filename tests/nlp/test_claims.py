"""The claim stage: retrieve, anchor, verify, with a narrative written for these tests.

The narrative (a reservoir said to be poisoned) and every sentence here are
invented for the tests: not config.yaml's, not the training pairs'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis import Document
from core.config import AnalysisConfig, Narrative, Place, Watch
from nlp.claims import build
from nlp.claims.anchor import derive_subjects
from nlp.claims.data import LABELS, Pair, heldout, lono_folds
from nlp.claims.matcher import NarrativeMatcher
from nlp.claims.model import Verifier
from nlp.registry import build_analyzer
from nlp.text import document_text, split_sentences

RESERVOIR = Narrative(
    id="phu-vinh-poisoned",
    statement_vi="Hồ Phú Vinh đã bị nhiễm độc, nước máy ở Đồng Hới không thể uống được",
    statement_en="Phu Vinh lake has been poisoned and Dong Hoi tap water is unsafe to drink",
    examples_vi=["Nước hồ Phú Vinh nhiễm độc, dân Đồng Hới không dám dùng nước máy."],
    examples_en=["The Phu Vinh reservoir is poisoned, so Dong Hoi's tap water cannot be drunk."],
)
PLACES = [
    Place(id="quang-binh", kind="province", names=["Quảng Bình", "Quang Binh"]),
    Place(id="dong-hoi", kind="city", names=["Đồng Hới", "Dong Hoi"]),
]


def matcher(narrative: Narrative = RESERVOIR) -> NarrativeMatcher:
    return NarrativeMatcher([narrative], PLACES, models_dir=Path("unused"))


def found(narrative: Narrative, title: str, text: str) -> tuple[list[str], list[str]]:
    """(asserted ids, rebutted ids) for one article."""
    doc = Document(id="t", title=title, text=text)
    candidates = matcher(narrative).match(split_sentences(document_text(doc)), len(title))
    return (
        [c.narrative for c in candidates if not c.denied],
        [c.narrative for c in candidates if c.denied],
    )


def test_subjects_are_derived_from_the_statements_and_config_overrides_them() -> None:
    subjects = derive_subjects(
        (RESERVOIR.statement_vi, RESERVOIR.statement_en), [(("Đồng Hới", "Dong Hoi"), False)]
    )
    assert "phu vinh" in {a for group in subjects.specific for a in group}
    assert subjects.anchored(["Nuoc ho Phu Vinh van trong"])  # folded, no diacritics
    assert not subjects.anchored(["Hồ Bàu Tró vẫn trong xanh."])
    override = derive_subjects((RESERVOIR.statement_vi,), override=["nhà máy nước Cầu Rào"])
    assert override.anchored(["Nhà máy nước Cầu Rào tạm ngừng"])
    assert not override.anchored(["Hồ Phú Vinh"])


def test_a_broad_place_does_not_anchor_a_claim_with_a_specific_subject() -> None:
    subjects = derive_subjects(("Chợ Nhật Lệ ở Quảng Bình đã bị bán cho tư nhân",))
    assert not subjects.anchored(["Một chợ khác ở Quảng Bình vừa được sửa chữa."])


def test_an_other_subject_sentence_is_not_flagged() -> None:
    asserted, _ = found(
        RESERVOIR,
        "Nguồn nước sinh hoạt gây lo ngại",
        "Nhiều người cho rằng nước hồ Bàu Tró đã nhiễm độc nặng và không ai dám uống nữa. "
        "Cơ quan chức năng đang lấy mẫu để kiểm tra.",
    )
    assert asserted == []


def test_an_attributed_repeat_is_flagged() -> None:
    asserted, _ = found(
        RESERVOIR,
        "Người dân Đồng Hới hoang mang về nguồn nước",
        "Mấy hôm nay nhiều nhóm cư dân bàn tán về nước sinh hoạt. "
        "Theo một tài khoản Facebook, hồ Phú Vinh đã bị đầu độc và nước máy trong thành phố "
        "uống vào sẽ sinh bệnh. Bài viết được chia sẻ hàng nghìn lần.",
    )
    assert asserted == ["phu-vinh-poisoned"]


def test_a_cross_language_repeat_is_flagged() -> None:
    vietnamese_only = RESERVOIR.model_copy(update={"statement_en": "", "examples_en": ["-"]})
    asserted, _ = found(
        vietnamese_only,
        "Residents fear for their water",
        "Residents told a diaspora radio station that the Phu Vinh reservoir has been "
        "contaminated with poison and that nobody in Dong Hoi should drink from the tap. "
        "The station could not confirm the account.",
    )
    assert asserted == ["phu-vinh-poisoned"]


def test_a_debunk_becomes_a_rebuttal() -> None:
    asserted, rebutted = found(
        RESERVOIR,
        "Bác bỏ tin đồn hồ Phú Vinh bị nhiễm độc",
        "Công ty cấp nước Quảng Bình khẳng định thông tin nước hồ Phú Vinh bị đầu độc là "
        "hoàn toàn sai sự thật. Kết quả xét nghiệm mẫu nước máy đều đạt quy chuẩn.",
    )
    assert asserted == []
    assert rebutted == ["phu-vinh-poisoned"]


def test_a_debunk_that_quotes_the_rumour_first_is_a_rebuttal_not_a_flag() -> None:
    asserted, rebutted = found(
        RESERVOIR,
        "Sự thật về tin đồn nước máy Đồng Hới",
        "Nhiều bài đăng trên mạng xã hội khẳng định hồ Phú Vinh đã bị nhiễm độc và nước máy ở "
        "Đồng Hới không uống được. Công ty cấp nước khẳng định thông tin này là bịa đặt, "
        "mẫu nước hồ Phú Vinh xét nghiệm hằng tuần đều đạt chuẩn.",
    )
    assert asserted == []
    assert rebutted == ["phu-vinh-poisoned"]


def test_a_claim_about_the_province_is_anchored_by_any_watched_place() -> None:
    gazetteer = [(("Quảng Bình", "Quang Binh"), True), (("Bố Trạch", "Bo Trach"), False)]
    subjects = derive_subjects(("Kết quả bầu cử ở Quảng Bình đã bị làm giả",), gazetteer)
    assert subjects.anchored(["Một cán bộ ở Bố Trạch kể đã phải ký thay cử tri."])
    alone = derive_subjects(("Kết quả bầu cử ở Quảng Bình đã bị làm giả",))
    assert not alone.anchored(["Một cán bộ ở Bố Trạch kể đã phải ký thay cử tri."])
    specific = derive_subjects(("Chợ Nhật Lệ ở Quảng Bình đã bị bán",), gazetteer)
    assert not specific.anchored(["Một chợ ở Bố Trạch vừa được sửa."])


def test_analyze_output_has_rebuttals_and_keeps_narratives(tmp_path: Path) -> None:
    config = AnalysisConfig(
        watch=Watch(place=PLACES[0], places=PLACES[1:]),
        narratives=[RESERVOIR],
        models_dir=tmp_path,
    )
    analyzer = build_analyzer(config)
    doc = Document(
        id="r",
        title="Bác bỏ tin đồn hồ Phú Vinh bị nhiễm độc",
        text=(
            "Công ty cấp nước Quảng Bình khẳng định thông tin nước hồ Phú Vinh bị đầu độc là "
            "hoàn toàn sai sự thật. Kết quả xét nghiệm mẫu nước máy đều đạt quy chuẩn."
        ),
    )
    line = analyzer.analyze([doc])[0].to_json()
    assert list(line["narratives"]) == []
    assert [r["id"] for r in line["rebuttals"]] == ["phu-vinh-poisoned"]
    assert set(line["rebuttals"][0]) == {"id", "score", "sentence"}
    assert not line["distortion"]["flagged"]


def test_an_article_that_is_not_relevant_never_reaches_the_claim_stage(tmp_path: Path) -> None:
    config = AnalysisConfig(
        watch=Watch(place=PLACES[0], places=PLACES[1:]), narratives=[RESERVOIR], models_dir=tmp_path
    )
    analyzer = build_analyzer(config)
    doc = Document(id="x", title="Giá vàng tăng", text="Giá vàng trong nước tăng mạnh sáng nay.")
    result = analyzer.analyze([doc])[0]
    assert not result.relevant and result.narratives == () and result.rebuttals == ()


def test_shipped_weights_are_current_and_small() -> None:
    path = build.shipped_path()
    assert path.stat().st_size < 1_000_000
    verifier = Verifier.load(path)
    assert verifier.data_hash == build.expected_hash(), "run: python -m nlp.claims.build"
    assert verifier.labels == LABELS


def test_stale_weights_are_rebuilt_into_models_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = Verifier.load(build.shipped_path())
    stale = tmp_path / "shipped.npz"
    Verifier(
        mean=shipped.mean,
        scale=shipped.scale,
        layers=shipped.layers,
        idf=shipped.idf,
        data_hash="0" * 16,
    ).save(stale)
    monkeypatch.setattr(build, "shipped_path", lambda: stale)
    calls: list[Path | None] = []

    def fake_build(cache_dir: Path | None) -> Verifier:
        calls.append(cache_dir)
        shipped.data_hash = build.expected_hash()
        return shipped

    monkeypatch.setattr(build, "build", fake_build)
    models = tmp_path / "models"
    assert build.current(models) is shipped
    assert calls == [models] and (models / build.MODEL_NAME).exists()
    again = build.current(models)  # the rebuilt copy is current now: no second build
    assert calls == [models] and again.data_hash == build.expected_hash()
    np.testing.assert_allclose(again.mean, shipped.mean)


def test_lono_keeps_a_narratives_pairs_out_of_its_own_training_fold() -> None:
    pairs = [Pair(f"n{i % 4}", "vi", "t", "", f"s{i}", "", LABELS[i % 4], "k") for i in range(40)]
    folds = list(lono_folds(pairs))
    assert sorted(n for n, _tr, _te in folds) == ["n0", "n1", "n2", "n3"]
    for narrative, train, test in folds:
        assert all(pairs[i].narrative == narrative for i in test)
        assert all(pairs[i].narrative != narrative for i in train)
        assert sorted(train + test) == list(range(40))


def test_the_heldout_split_is_stable_and_about_a_fifth() -> None:
    ids = [f"w{w}-narrative-{i}" for w in range(1, 5) for i in range(50)]
    share = sum(heldout(i) for i in ids) / len(ids)
    assert 0.1 < share < 0.3
    assert [heldout(i) for i in ids] == [heldout(i) for i in ids]
