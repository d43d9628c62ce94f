"""The console's use cases: plain functions taking the repository, the other services' APIs
(services.console.apis) and the clock."""
