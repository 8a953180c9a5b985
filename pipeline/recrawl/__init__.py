"""Recrawl and diff (issue 15): refetch flagged articles and record edits."""
