"""The crawl stage: the spider in a child process, storing and extracting what it yields."""
