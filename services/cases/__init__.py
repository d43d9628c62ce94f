"""The cases service owns the cases: intake from every channel (the JSON API, the 12345
hotline's work orders, Open311), triage, the lifecycle and its time limits, duplicates,
readable numbers, and the API keys every service accepts. It keeps a replica of roster's
areas to place reports, and emits case.*, hotline.reply and apikey.changed events."""
