"""Delivery channels as plug-ins: one module per channel behind one interface
(base.Channel), listed in one registry (registry.CHANNELS) that compose.py reads."""
