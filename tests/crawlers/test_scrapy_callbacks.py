"""Scrapy's per-response check for generator callbacks returning a value is off
(issue 14, crawl path cost: it re-read and parsed the spider's source for every
page, as its cache is keyed weakly on a bound method made anew per request).
This test does that check once instead, on every callback of the spider."""

from __future__ import annotations

import inspect

from scrapy.utils.misc import is_generator_with_return_value

from crawlers.plan import CrawlPlan
from crawlers.settings import scrapy_settings
from crawlers.spider import NewsSpider


def test_the_per_response_check_is_off() -> None:
    settings = scrapy_settings(CrawlPlan(sources=[], user_agent="t"), {})
    assert settings["WARN_ON_GENERATOR_RETURN_VALUE"] is False


def test_no_spider_callback_is_a_generator_returning_a_value() -> None:
    callbacks = [
        member
        for name, member in inspect.getmembers(NewsSpider, inspect.isfunction)
        if name.startswith(("parse", "after_")) and member.__qualname__.startswith("NewsSpider.")
    ]
    assert {c.__name__ for c in callbacks} >= {
        "parse_feed",
        "parse_sitemap",
        "parse_listing",
        "parse_article",
        "after_warmup",
    }
    generators = [c for c in callbacks if inspect.isgeneratorfunction(c)]
    assert generators  # the check below looks at something
    assert [c.__name__ for c in generators if is_generator_with_return_value(c)] == []
