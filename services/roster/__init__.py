"""roster: areas, people, teams, rotas, offers and the volunteer-hours ledger."""
