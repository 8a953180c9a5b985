"""Search benchmark: the web app's article search on N synthetic articles, SQLite
(FTS5) and PostgreSQL (tsvector + unaccent), through `storage.web_queries`.

    python benchmarks/bench_search.py                    # 100,000 articles, both backends
    python benchmarks/bench_search.py --n 20000 --backend sqlite
    python benchmarks/bench_search.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Articles are made of a Vietnamese vocabulary with place names, 120 words each,
inserted through the schema's own triggers (so the index build time is part of
the load time). Each query runs once to warm up, then `--repeat` times; the
median and the worst are printed in milliseconds, for a first page (50 rows, the
total counted) sorted by date and by relevance, and combined with filters.
PostgreSQL runs in a private schema dropped afterwards. Not run by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

from storage.db import Database, make_engine, upgrade
from storage.models import ArticleRow
from storage.web_queries import ArticleQuery, search_articles

PLACES = [
    "Quảng Bình",
    "Đồng Hới",
    "Lệ Thủy",
    "Phong Nha",
    "Đà Nẵng",
    "Huế",
    "Quảng Trị",
    "Bố Trạch",
    "Minh Hóa",
    "Tuyên Hóa",
    "Hà Nội",
    "Nghệ An",
    "Hà Tĩnh",
]
# A sentence of words, split: reads better than seventy quoted ones.
_SENTENCE = (
    "mưa lũ cứu trợ người dân chính quyền tỉnh huyện xã đường sá cầu cống kinh tế "
    "du lịch hang động trường học bệnh viện nông dân ngư dân biển đảo sạt lở sơ tán "
    "hỗ trợ ngân sách dự án đầu tư cán bộ quyết định báo cáo tăng giảm năm tháng ngày "
    "thông tin phản ánh bức xúc khắc phục thiệt hại nhà cửa hoa màu gạo tiền"
)
WORDS = _SENTENCE.split()
QUERIES = ["Quảng Bình", "quang binh", "ĐỒNG HỚI", "cứu trợ gạo", "phong nha du lich", "sạt lở"]


def make_rows(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(120)]
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words)), rng.choice(PLACES))
        title = " ".join([rng.choice(WORDS), rng.choice(PLACES), *rng.sample(WORDS, 5)])
        url = f"https://bench.example/{i}"
        rows.append(
            {
                "canonical_url": url,
                "url": url,
                "title": title.capitalize(),
                "text": " ".join(words),
                "lead": "",
                "authors": [],
                "language": "vi",
                "content_hash": f"{i:064x}",
                "relevant": rng.random() < 0.6,
                "places": [],
                "published_at": start + dt.timedelta(minutes=5 * i),
            }
        )
    return rows


def load(database: Database, rows: list[dict[str, object]]) -> float:
    began = time.perf_counter()
    with database.session() as session:
        for at in range(0, len(rows), 5000):
            session.execute(insert(ArticleRow), rows[at : at + 5000])
    return time.perf_counter() - began


def measure(database: Database, query: ArticleQuery, repeat: int) -> tuple[float, float, int]:
    times = []
    total = 0
    for round_ in range(repeat + 1):
        began = time.perf_counter()
        with database.session() as session:
            total = search_articles(session, query).total
        if round_:  # the first run warms caches
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times), total


def run(label: str, database: Database, rows: list[dict[str, object]], repeat: int) -> None:
    upgrade(database.engine)
    seconds = load(database, rows)
    print(f"\n{label}: {len(rows):,} articles loaded and indexed in {seconds:.1f} s")
    print(f"{'query':<22} {'variant':<22} {'median ms':>9} {'max ms':>8} {'matches':>8}")
    # A month in the middle of the span the articles cover.
    month = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=5 * len(rows) // 2)
    for words in QUERIES:
        variants = {
            "date, relevant only": ArticleQuery(text=words, limit=50),
            "relevance": ArticleQuery(text=words, limit=50, sort="relevance", relevant_only=False),
            "date + one month": ArticleQuery(
                text=words, limit=50, date_from=month, date_to=month + dt.timedelta(days=30)
            ),
        }
        for name, query in variants.items():
            median, worst, total = measure(database, query, repeat)
            print(f"{words:<22} {name:<22} {median:9.1f} {worst:8.1f} {total:8,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rows = make_rows(args.n)
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            database = Database(make_engine(f"sqlite:///{Path(folder) / 'bench.db'}"))
            try:
                run("SQLite FTS5", database, rows, args.repeat)
            finally:
                database.dispose()
    if args.backend in ("both", "postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        database = Database(make_engine(f"{args.postgres}?options=-csearch_path%3D{schema}"))
        try:
            run("PostgreSQL tsvector + unaccent", database, rows, args.repeat)
        finally:
            database.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
