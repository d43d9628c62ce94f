"""Alertmanager's webhook: each alert to its community's staff (app/alerts.py)."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.notify.app import alerts
from services.notify.http.errors import http
from services.notify.http.schemas import AlertmanagerWebhook, AlertsAcceptedSchema


class AlertsHttp:
    @http(
        "POST",
        "/v1/alertmanager",
        summary="Alertmanager's webhook: each alert to its community's staff, by its labels",
        body=AlertmanagerWebhook,
        responses={200: AlertsAcceptedSchema},
        raises=(LeaseBusy,),
        scope="alerts",  # Alertmanager's own key: a report key cannot page the staff
    )
    def alertmanager(self, request, actor, body):
        outcome = alerts.receive_alerts(self.parts.store, self.parts.outbound, actor, body, utc_now)
        return 200, AlertsAcceptedSchema().dump(outcome)
