"""Feeds, canonical URLs, charsets, extraction and dedup on our recorded pages."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from conftest import SITE_HOST, site_bytes

from crawlers import dedup
from crawlers.charset import decode_html
from crawlers.extract import extract_bytes
from crawlers.feeds import FeedError, parse_feed
from crawlers.urls import canonical_url
from pipeline.crawl.extraction import extract_page


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://VnExpress.net/a-123.html?utm_source=rss&utm_medium=x&fbclid=1#box",
            "https://vnexpress.net/a-123.html",
        ),
        (
            "https://www.bbc.com/vietnamese/articles/c1?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.com/vietnamese/articles/c1",
        ),
        ("https://m.tuoitre.vn/a-1.htm", "https://tuoitre.vn/a-1.htm"),
        (
            "https://baoquangtri.vn/xa-hoi/202603/a-b-9f3/amp/",
            "https://baoquangtri.vn/xa-hoi/202603/a-b-9f3/",
        ),
        ("https://x.vn/amp/a-1.html", "https://x.vn/a-1.html"),
        ("https://x.vn/a-1.amp.html?amp=1&id=2", "https://x.vn/a-1.html?id=2"),
        ("https://x.vn/list?page=2", "https://x.vn/list?page=2"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_rss_entries_are_clean_and_absolute() -> None:
    feed = parse_feed(site_bytes("feeds/rss.xml"), f"http://{SITE_HOST}/feeds/rss.xml")
    assert feed.warning is None and len(feed.entries) == 9
    first = feed.entries[0]
    assert first.title == "Mưa lũ nhấn chìm hơn 1.200 ngôi nhà ở Quảng Bình"
    assert (
        first.link
        == f"http://{SITE_HOST}/vi/lu-quang-binh-1001.html?utm_source=rss&utm_medium=feed"
    )
    assert first.published_at == dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.UTC)


def test_atom_entries() -> None:
    feed = parse_feed(site_bytes("feeds/atom.xml"), f"http://{SITE_HOST}/feeds/atom.xml")
    assert feed.title == "Central Vietnam News" and len(feed.entries) == 8
    assert feed.entries[0].link == f"http://{SITE_HOST}/en/son-doong-cap-2001.html"


def test_broken_feed_is_used_as_far_as_it_parses() -> None:
    feed = parse_feed(site_bytes("feeds/broken.xml"), "http://h/feeds/broken.xml")
    assert [e.title for e in feed.entries] == ["Thông xe hầm đường bộ mới qua Đèo Ngang"]
    assert feed.warning is not None and "http://h/feeds/broken.xml" in feed.warning


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"http://h/x\.xml"):
        parse_feed(b"\x00\x01 not xml at all", "http://h/x.xml")


def test_lying_meta_charset_is_decoded_by_the_bytes() -> None:
    body = site_bytes("vi/hang-dong-moi-1010.html")
    assert b'charset="windows-1252"' in body
    text, encoding = decode_html(body, "text/html")
    assert encoding == "utf-8" and "Phong Nha-Kẻ Bàng" in text


def test_declared_legacy_charset_is_honoured_when_the_bytes_agree() -> None:
    body = '<html><head><meta charset="windows-1252"></head><body>café déjà</body></html>'
    text, encoding = decode_html(body.encode("cp1252"))
    assert encoding == "cp1252" and "café déjà" in text


def test_extraction_fields() -> None:
    fields = extract_bytes(site_bytes("vi/lu-quang-binh-1001.html"), "http://h/vi/a.html")
    assert fields.title == "Mưa lũ nhấn chìm hơn 1.200 ngôi nhà ở Quảng Bình"
    assert fields.text.startswith("Chiều 4/3") and "© 2026" not in fields.text
    assert "Tin liên quan" not in fields.text
    assert fields.authors == ["Hoàng Minh"]
    assert fields.published_at == dt.datetime(
        2026, 3, 4, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))
    )


def test_date_without_offset_is_local_time() -> None:
    html = site_bytes("vi/kinh-te-ha-noi-1002.html").replace(
        b"2026-03-05T08:00:00+07:00", b"2026-03-05"
    )
    published = extract_bytes(html).published_at
    assert published is not None and published.utcoffset() == dt.timedelta(hours=7)


def test_text_is_nfc_with_one_tone_mark_convention() -> None:
    html = site_bytes("vi/lu-quang-binh-1001.html").decode()
    html = html.replace("nước sông Kiến Giang", "nước sông Kiến Giang hoà vào")
    decomposed = unicodedata.normalize("NFD", html).encode()
    page = extract_page(decomposed, "http://h/vi/a.html")
    assert unicodedata.is_normalized("NFC", page.extracted.text)
    assert "Quảng Bình" in page.extracted.text and "hòa vào" in page.extracted.text
    assert page.language == "vi"


def test_near_duplicates() -> None:
    original = extract_bytes(site_bytes("vi/lu-quang-binh-1001.html")).text
    syndicated = extract_bytes(site_bytes("vi/ban-sao-lu-1007.html")).text
    other = extract_bytes(site_bytes("vi/tong-ket-thien-tai-1011.html")).text
    index = dedup.NearDuplicateIndex()
    index.add("original", dedup.from_bytes(dedup.to_bytes(dedup.minhash(original))))
    match = index.match(dedup.minhash(syndicated))
    assert match is not None and match[0] == "original"
    assert index.match(dedup.minhash(other)) is None
    assert dedup.content_hash(original) == dedup.content_hash(original.upper() + "  ")
    assert dedup.content_hash(original) != dedup.content_hash(syndicated)


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-16", "application/rss+xml; charset=UTF-16", "text/html", "text/xml"],
)
def test_feed_charset_lies_are_decoded_by_the_bytes(content_type: str) -> None:
    # Vietnam News declares UTF-16 and sends UTF-8; other servers label feeds text/html.
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>VNS</title>'
        "<item><title>Hà Nội mưa lớn</title><link>https://vietnamnews.vn/society/1/a.html</link>"
        "</item></channel></rss>"
    ).encode()
    feed = parse_feed(body, "https://vietnamnews.vn/rss/society.rss", content_type)
    assert [e.title for e in feed.entries] == ["Hà Nội mưa lớn"] and feed.warning is None


def test_old_sitemap_entries_are_not_fetched() -> None:
    from crawlers.plan import CrawlPlan
    from crawlers.spider import NewsSpider

    spider = NewsSpider(CrawlPlan(sources=[], user_agent="t", max_age_days=14))
    now = dt.datetime.now(dt.UTC)
    assert spider._too_old((now - dt.timedelta(days=30)).isoformat())
    assert not spider._too_old((now - dt.timedelta(days=1)).isoformat())
    assert not spider._too_old("2026-13-45") and not spider._too_old(None)
