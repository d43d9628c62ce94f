"""The metrics service over HTTP: the statistics routes (a mixin of the nameko class),
their error table, and the shapes they answer in: JSON (schemas.py) and CSV (exports.py)."""
