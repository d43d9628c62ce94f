"""The use cases of the cases service: plain functions taking the repository, the
reference data and the clock, each running one change under its lease (DESIGN.md rules
2–4). HTTP, RPC, event and timer entrypoints each call one of them."""
