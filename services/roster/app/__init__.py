"""Roster's use cases: plain functions taking the repository and the time, called by the
service's entrypoints and the operator's CLI — dispatching a case, duty, the hours
ledger, imports into the registry, each rota's clock, and what the API shows."""
