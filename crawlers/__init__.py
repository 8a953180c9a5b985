"""Talking to the web: everything up to an extracted page, nothing about storage.

- spider.py      one Scrapy spider for feeds, news sitemaps, section pages and articles
- settings.py    Scrapy settings from a CrawlPlan (robots, throttle, retries, size cap)
- middlewares.py retry backoff
- plan.py        what a crawl is asked to do (built by pipeline/ from config + storage)
- feeds.py       RSS/Atom with feedparser
- charset.py     bytes to text when declared and real charsets disagree
- extract.py     trafilatura + htmldate into article fields
- urls.py        canonical URLs
- dedup.py       content hashes and MinHash LSH near-duplicates

The spider yields `core.record` items (Snapshot, NotModified, FetchFailed);
pipeline/crawl/ runs it in a child process (worker.py), stores what it yields
(store.py) and adds nlp's normalisation to the extraction (extraction.py).
"""
