"""The rules of counting and reporting, plain Python (no nameko, no pymongo, no I/O):
totals.py (facts, partitions, totals), measures.py (what each event adds),
durations.py (times as histograms), reports.py (the figures of each report),
evaluation.py (the quarterly scores and the red/black list), places.py (areas and
duty as the live totals know them)."""
