"""The mediation desk's pages (矛盾调处): `/desk`, the desk's board, and
`/cases/<id>/desk`, a dispute's desk record with the forms that set its appointment,
record its parties (with their consent, shown masked), its sessions with who attended,
its outcome and its follow-up (an agreement's visit, or a referral's answer).

A form is read by its own schema; bad input answers the desk page again with the field's
error and nothing changed (400), as does cases' refusal (its status, the field it names).
A valid form first answers a confirm page saying what will be recorded; the confirmed
form acts with the form's key as the Idempotency-Key and answers a redirect (303), so a
reload posts nothing and a confirmation sent twice acts once. Staff's roles only: a
volunteer's token never reaches these pages.
"""

from __future__ import annotations

from typing import Any

from lianxin.clock import utc_now
from services.console.apis import ApiError, ApiUnavailable
from services.console.app import mediation
from services.console.app.desk import Desk
from services.console.domain.case_actions import Refusal, refusal_of
from services.console.domain.labels import local_time
from services.console.domain.mediation import (
    appointment_slots,
    overdue_follow_up,
    session_slots,
)
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.errors import PageNotFound
from services.console.http.mediation_forms import DESK_FORMS
from services.console.http.pages import Pages, page, redirect


class MediationPages(Pages):
    @page("GET", "/desk")
    def desk_board(self, request):
        session = self.signed_in(request)
        now = utc_now()
        shown = mediation.board(Desk.of(self.parts.services, session), now)
        return self.render(
            request, "mediation/desk.html", session, now=now, **shown, **_clock(shown, now)
        )

    @page("GET", "/cases/<string:case_id>/desk")
    def dispute_desk(self, request, case_id):
        session = self.signed_in(request)
        done = request.args.get("done", "")
        done = done if done in DESK_FORMS else ""
        return self.dispute_answer(request, session, case_id, done=done)

    @page("POST", "/cases/<string:case_id>/desk/<string:action>")
    def desk_act(self, request, case_id, action):
        """One of the desk's forms: checked, then confirmed, then done."""
        form = DESK_FORMS.get(action)
        if form is None:
            raise PageNotFound(f"No desk action {action}.")
        session, body, errors = read_checked(self, request, form())  # a forged form: 403
        if errors:
            refusal = Refusal(action, "invalid_request", fields=dict(errors))
            return self.dispute_answer(request, session, case_id, refusal, 400)
        desk = Desk.of(self.parts.services, session)
        try:
            if not body["confirmed"]:
                shown = mediation.dispute(desk, case_id)
                return self.render(
                    request, "mediation/confirm.html", session, action=action, form=body,
                    present=mediation.present(body), **shown, **_clock(shown, utc_now()),
                )  # fmt: skip
            calendar = mediation.dispute(desk, case_id)["calendar"]
            mediation.act(desk, case_id, action, body, calendar, utc_now())
        except mediation.BadLocalTime:
            named = {"happened_on": [body["happened_on"]]}
            refusal = Refusal(action, "invalid_request", fields=named)
            return self.dispute_answer(request, session, case_id, refusal, 400)
        except ApiUnavailable:
            raise
        except ApiError as refused:
            named = {_FIELD.get(name, name): texts for name, texts in refused.fields.items()}
            refusal = refusal_of(action, refused.status, refused.code, refused.state, named)
            return self.dispute_answer(request, session, case_id, refusal, refused.status)
        return redirect(f"/cases/{case_id}/desk?done={action}")

    def dispute_answer(
        self,
        request,
        session: Session,
        case_id: str,
        refusal: Refusal | None = None,
        status: int = 200,
        done: str = "",
    ) -> tuple[int, Any, str]:
        """The dispute's desk page as it stands now, with what was refused, if anything."""
        now = utc_now()
        shown = mediation.dispute(Desk.of(self.parts.services, session), case_id)
        return self.render(
            request, "mediation/dispute.html", session, status, done=done, refusal=refusal,
            appointment_slots=appointment_slots(shown["calendar"], now),
            session_slots=session_slots(shown["calendar"], now),
            **shown, **_clock(shown, now),
        )  # fmt: skip


def _clock(shown: dict[str, Any], now) -> dict[str, Any]:
    """Times said in the desk's own zone (the shared calendar's), which the pages name."""
    calendar = shown.get("calendar")
    if calendar is None:
        return {}
    return {
        "at_desk": lambda at: local_time(at, calendar.zone),
        "desk_zone": calendar.zone.key,
        "late": lambda case: overdue_follow_up(case, now),
    }


# a field cases names → the form's field that says it (the rest keep their names)
_FIELD = {"parties": "party_1", "mediators": "mediator", "happened_at": "happened_on"}
