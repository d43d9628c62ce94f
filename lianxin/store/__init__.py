"""Storing aggregates safely on every MongoDB-compatible engine (rules 2–4, 6 and 8 of
docs/architecture.md).

What the engine guarantees and conditional writes on top of it, the lease that keeps one
writer per aggregate, the aggregate store (load, fenced save with outbox, publish) and
its typed face every repository uses (`typed.Aggregates`, with the applied-events record),
the process's one MongoClient and how a service's repository is built from it, the
in-memory twin tests build repositories on, the query log, and the small helpers
repositories share: documents of dataclasses, applied event ids. The only room of this
package that speaks Mongo.
"""
