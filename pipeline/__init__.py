"""Orchestration: each sub-package owns one job and joins crawlers/, nlp/ and storage/."""
