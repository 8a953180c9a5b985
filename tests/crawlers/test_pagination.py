"""Section pagination found by what it is (issue 15): each form on small pages,
then a local site whose sections each paginate one way over four pages, crawled
end to end through the real Scrapy child."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import crawl_settings
from parsel import Selector

from core.config import Settings, Source
from crawlers.pagination import fold, next_page, page_of, same_listing
from pipeline.crawl.run import run_crawl
from storage.db import Database

PAGE = "https://baomoi.example.vn/thoi-su/"


def _next(
    body: str, url: str = PAGE, is_article: Callable[[str], bool] | None = None
) -> str | None:
    html = f"<html><head><title>x</title></head><body>{body}</body></html>"
    return next_page(Selector(text=html), url, is_article=is_article or (lambda url: False))


# --- each form on its own ---------------------------------------------------------------


def test_link_rel_next_in_the_head() -> None:
    html = (
        '<html><head><link rel="canonical" href="/thoi-su/">'
        '<link rel="next" href="/luu-tru/ab12cd"></head>'
        '<body><a href="/kinh-te/">Kinh tế</a></body></html>'
    )
    assert next_page(Selector(text=html), PAGE) == "https://baomoi.example.vn/luu-tru/ab12cd"


def test_anchor_rel_next_among_other_rel_tokens() -> None:
    body = '<a href="/a">A</a><a rel="nofollow NEXT" href="/x?after=9f">Xem</a>'
    assert _next(body) == "https://baomoi.example.vn/x?after=9f"


@pytest.mark.parametrize(
    "text",
    [
        "Trang sau",
        "Trang tiếp",
        "Tiếp",
        "Tiếp theo",
        "Sau",
        "Next",
        "Next page",
        "Older",
        "  TRANG   SAU ",
        "trang sau »",
        "Tiep theo",
        "<span>Tiếp</span> <i class='icon'></i>",
        "Next ›",
        "›",
        "»",
        ">",
    ],
)
def test_next_link_by_its_text(text: str) -> None:
    body = f'<a href="/">Trang chủ</a><a href="/kinh-te/">Kinh tế</a><a href="/q/zz7">{text}</a>'
    assert _next(body) == "https://baomoi.example.vn/q/zz7"


def test_next_link_by_its_title_or_aria_label() -> None:
    assert _next('<a href="/q/1" aria-label="Trang sau"><svg></svg></a>').endswith("/q/1")
    assert _next('<a href="/q/2" title="Next page">→</a>').endswith("/q/2")


def test_single_arrow_preferred_to_the_double_one() -> None:
    body = '<a href="/q/last">»</a><a href="/q/next">›</a>'
    assert _next(body) == "https://baomoi.example.vn/q/next"


def test_words_that_only_contain_a_next_word_are_not_pagination() -> None:
    body = '<a href="/q/1">Đọc tiếp</a><a href="/q/2">Sau bão</a><a href="/q/3">Next generation</a>'
    assert _next(body) is None


def test_numbered_links_in_a_pager() -> None:
    body = (
        '<div class="pagination"><a href="/so?o=0">1</a><span class="active">2</span>'
        '<a href="/so?o=40">3</a><a href="/so?o=60">4</a></div>'
    )
    assert _next(body) == "https://baomoi.example.vn/so?o=40"


def test_numbered_links_current_marked_on_a_link() -> None:
    body = (
        '<ul id="phan-trang"><li><a href="/s/a">1</a></li><li><a href="/s/b">2</a></li>'
        '<li class="current"><a href="/s/c">3</a></li><li><a href="/s/d">4</a></li></ul>'
    )
    assert _next(body) == "https://baomoi.example.vn/s/d"


def test_bootstrap_pager_with_opaque_urls() -> None:
    body = (
        '<ul class="pagination"><li class="page-item"><a class="page-link" href="/s/x1">1</a></li>'
        '<li class="page-item"><a class="page-link" href="/s/x2">2</a></li>'
        '<li class="page-item active"><span class="page-link">3</span></li>'
        '<li class="page-item"><a class="page-link" href="/s/x4">4</a></li></ul>'
    )
    assert _next(body, url="https://baomoi.example.vn/s/x3") == "https://baomoi.example.vn/s/x4"


def test_only_page_two_shown_beside_a_plain_one() -> None:
    body = '<div class="phan-trang"><b>1</b> <a href="/s/opaque">2</a></div>'
    assert _next(body) == "https://baomoi.example.vn/s/opaque"


def test_a_run_of_numeric_links_without_a_pager_class() -> None:
    body = (
        '<p><a href="/tin/9">9 bình luận</a></p>'
        '<nav><a href="/s?k=a">1</a><b>2</b><a href="/s?k=c">3</a><a href="/s?k=d">4</a></nav>'
    )
    assert _next(body) == "https://baomoi.example.vn/s?k=c"


def test_numbered_links_current_from_the_url() -> None:
    body = '<div class="paging"><a href="/s?k=1">1</a><a href="/s?k=2">2</a><a href="/s?k=3">3</a>'
    assert _next(body, url=PAGE + "trang-2/") == "https://baomoi.example.vn/s?k=3"


def test_a_lone_number_outside_a_pager_is_no_page() -> None:
    assert _next('<div class="tin"><a href="/x/2">2</a></div>') is None


@pytest.mark.parametrize(
    ("current", "following"),
    [
        ("/thoi-su?page=1", "/thoi-su?page=2"),
        ("/thoi-su?cat=3&page=4", "/thoi-su?page=5&cat=3"),
        ("/thoi-su/?p=2", "/thoi-su/?p=3"),
        ("/thoi-su/", "/thoi-su/trang-2/"),
        ("/thoi-su/trang-2.html", "/thoi-su/trang-3.html"),
        ("/thoi-su.html", "/thoi-su/trang-2.html"),
        ("/blog/page/2/", "/blog/page/3/"),
        ("/the-gioi", "/the-gioi-p2"),
        ("/the-gioi-p2.html", "/the-gioi-p3.html"),
    ],
)
def test_url_forms_one_page_on(current: str, following: str) -> None:
    base = "https://baomoi.example.vn"
    wrong = (
        current,  # the page itself
        following.replace("2", "7").replace("3", "8").replace("5", "9"),  # further on
        "/kinh-te/trang-2/",  # another listing's page 2
        "/kinh-te?page=2",
    )
    body = "".join(f'<a href="{href}">Xem thêm</a>' for href in (*wrong, following))
    assert _next(body, url=base + current) == base + following


def test_page_of_reads_the_listing_and_its_number() -> None:
    assert page_of("https://www.x.vn/thoi-su/") == page_of("https://x.vn/thoi-su?page=1")
    assert page_of("https://x.vn/thoi-su/trang-3/")[1] == 3
    assert page_of("https://x.vn/the-gioi-p12")[1] == 12
    assert page_of("https://x.vn/a?page=2&b=1")[0] == page_of("https://x.vn/a?b=1")[0]
    assert same_listing("https://x.vn/tin/page/4/", "https://x.vn/tin")
    assert not same_listing("https://x.vn/tin/page/4/", "https://x.vn/the-thao/page/4/")
    assert fold("  Tiếp  THEO ") == "tiep theo" and fold("Đọc") == "doc"


# --- what is never a next page -----------------------------------------------------------


def test_the_last_page_has_no_next() -> None:
    body = (
        '<div class="pagination"><a href="/thoi-su/">1</a><a href="/thoi-su/trang-2/">2</a>'
        "<span>3</span></div>"
    )
    assert _next(body, url=PAGE + "trang-3/") is None


def test_only_the_same_registered_domain() -> None:
    assert _next('<a rel="next" href="https://other.example.com/p/2">Next</a>') is None
    assert _next('<a href="https://baomoi.example.vn.evil.example/t/2">Trang sau</a>') is None
    assert _next('<a href="https://m.baomoi.example.vn/t/2">Trang sau</a>') == (
        "https://m.baomoi.example.vn/t/2"
    )


def test_never_an_article_the_page_itself_or_a_script() -> None:
    article = "https://baomoi.example.vn/bai/lu-lon-123.html"
    body = f'<a href="{article}">Tiếp</a><a href="#top">›</a><a href="javascript:go(2)">Next</a>'
    assert _next(body, is_article=lambda url: url.startswith(article)) is None
    assert _next('<link rel="next" href="/thoi-su/#trang"><a href="/thoi-su/">Next</a>') is None
    assert _next('<a href="mailto:toa-soan@baomoi.example.vn">Tiếp theo</a>') is None


def test_a_base_href_is_honoured() -> None:
    html = (
        '<html><head><base href="https://baomoi.example.vn/cm/"></head><body><a href="t2">Sau</a>'
    )
    assert next_page(Selector(text=html), PAGE) == "https://baomoi.example.vn/cm/t2"


# --- end to end: a local site, one section per form ------------------------------------

PAGES = 4


def _page_path(form: str, n: int) -> str:
    """Where page n of the section of this form lives (opaque where the form allows)."""
    opaque = f"{n * 7919:x}"
    return {
        "rel": "/rel/" if n == 1 else f"/luu-tru/{opaque}",
        "text": "/chu/" if n == 1 else f"/xem/{opaque}",
        "num": "/so/" if n == 1 else f"/so-bai?offset={(n - 1) * 20}",
        "qp": f"/qp/tin?page={n}",
        "trang": "/tr/chuyen-muc.html" if n == 1 else f"/tr/chuyen-muc/trang-{n}.html",
        "pn": "/pn/the-gioi" if n == 1 else f"/pn/the-gioi-p{n}",
    }[form]


FORMS = ("rel", "text", "num", "qp", "trang", "pn")


def _article_path(form: str, n: int, i: int) -> str:
    return f"/bai/{form}-{n}-{i}.html"


def _listing(form: str, n: int) -> str:
    head = ""
    links = "".join(
        f'<li><a href="{_article_path(form, n, i)}">Tin {form} {n}.{i}</a></li>' for i in (1, 2)
    )
    nav = '<a href="/">Trang chủ</a>'
    following = _page_path(form, n + 1) if n < PAGES else None
    if form == "rel":
        # The last page points back at the first: the seen set, not the form, stops it.
        head = f'<link rel="next" href="{following or _page_path(form, 1)}">'
    elif form == "text" and following:
        nav += f'<a class="btn" href="{following}">Trang sau</a>'
    elif form == "num":
        numbers = "".join(
            f"<span>{k}</span>" if k == n else f'<a href="{_page_path(form, k)}">{k}</a>'
            for k in range(1, PAGES + 1)
        )
        nav += f'<div class="phan-trang">{numbers}</div>'
    elif following:
        nav += f'<a href="{following}">Xem thêm tin cũ hơn</a>'
    return (
        f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>{head}"
        f"<title>Chuyên mục {form} trang {n}</title></head>"
        f"<body><nav>{nav}</nav><ul>{links}</ul></body></html>"
    )


def _article(path: str) -> str:
    paragraphs = "".join(
        f"<p>Bài {path}, đoạn {p}: hội đồng nhân dân phường họp bàn kế hoạch chỉnh trang "
        f"{p} tuyến phố, lát vỉa hè và trồng thêm cây xanh trước mùa hè năm nay.</p>"
        for p in range(1, 6)
    )
    return (
        f"<html lang='vi'><head><meta charset='utf-8'><title>Bài {path}</title></head>"
        f"<body><article><h1>Bài {path}</h1>{paragraphs}</article></body></html>"
    )


ROUTES = {_page_path(f, n): _listing(f, n) for f in FORMS for n in range(1, PAGES + 1)} | {
    _article_path(f, n, i): _article(_article_path(f, n, i))
    for f in FORMS
    for n in range(1, PAGES + 1)
    for i in (1, 2)
}


class _Handler(BaseHTTPRequestHandler):
    server: _Site
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        body = ROUTES.get(self.path)
        status = 200 if body is not None else 404
        data = (body or "<html><body>Not found</body></html>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def paged_sites() -> Iterator[tuple[_Site, _Site]]:
    """Two copies of the site: one crawled to its end, one under a tighter page limit."""
    servers = (_Site(), _Site())
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def _sources(site: _Site, max_depth: int) -> list[Source]:
    return [
        Source(
            id=f"phan-trang-{form}-{max_depth}",
            name=f"Phân trang {form}",
            kind="site",
            language="vi",
            origin="domestic",
            start_urls=[site.url(_page_path(form, 1))],
            article_patterns=[rf"/bai/{form}-\d+-\d+\.html$"],
            max_depth=max_depth,
        )
        for form in FORMS
    ]


@pytest.mark.slow
def test_every_form_reaches_the_last_page_and_the_page_limit_stops_it(
    db_settings: Settings, database: Database, paged_sites: tuple[_Site, _Site]
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("following pages does not depend on the backend")
    full, limited = paged_sites
    sources = _sources(full, max_depth=PAGES - 1) + _sources(limited, max_depth=2)
    report = run_crawl(crawl_settings(db_settings, sources), timeout=60)
    assert all(s.ok for s in report.sources), [(s.source_id, s.errors) for s in report.sources]

    paths = list(full.paths)
    for form in FORMS:
        for n in range(1, PAGES + 1):
            assert paths.count(_page_path(form, n)) == 1, (form, n)  # once each: no loop
        assert {_article_path(form, PAGES, i) for i in (1, 2)} <= set(paths), form
    assert not [p for p in paths if p not in ROUTES and p != "/robots.txt"], paths

    seen = set(limited.paths)
    for form in FORMS:  # max_depth 2: the start page and two more
        assert {_page_path(form, PAGES - 1), _article_path(form, PAGES - 1, 1)} <= seen, form
        assert _page_path(form, PAGES) not in seen, form
        assert _article_path(form, PAGES, 1) not in seen, form
