"""The rules of a case, in plain Python (no nameko, no pymongo, no I/O): the case and its
lifecycle table, the actions on it, intake and triage, time limits, areas, duplicates,
readable numbers, and what the hotline and Open311 are told."""
