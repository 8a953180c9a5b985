"""Reports: the daily digest (HTML, text, chart) and the weekly CSV export."""
