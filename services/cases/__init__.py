"""cases: intake, the case lifecycle, SLA deadlines; emits case.* events."""
