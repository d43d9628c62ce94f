"""The use cases of metrics, plain functions over the repository: counting.py (events
into facts, batches into totals, the rebuild), stats.py (the reports), zones.py (each
community's time zone, cached)."""
