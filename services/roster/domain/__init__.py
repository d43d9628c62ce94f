"""Roster's rules, plain Python (no nameko, no pymongo, no I/O): the area hierarchy, rotas
and the interval arithmetic of duty, who gets a case, the hours ledger and a case's
credits, a community's policy, and the rows and checks of an import."""
