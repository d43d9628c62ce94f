"""HTTP entrypoints of the residents' pact (居民公约红黑榜): articles, evidence photos,
observations, the household's answer (the residents' key), staff's decision, and the
quarter's list — previewed and published by staff, read by anyone. Another community's
pact, observation, photo or household is 404."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.http.idempotency import idempotency_key, names_its_request
from lianxin.photos import MAX_PHOTO_BYTES, PHOTO_HEADERS, PhotoRefused
from lianxin.store.lease import LeaseBusy
from services.estate.app import pact, pact_lists, pact_photos, pact_places
from services.estate.domain import pact as rules
from services.estate.domain.pact import Observation, Pact
from services.estate.domain.pact_list import AlreadyPublished, PactList, QuarterNotStarted
from services.estate.http.errors import http
from services.estate.http.pact_schemas import (
    AnswerBody,
    ArticleBody,
    CommunityQuery,
    DecisionBody,
    ObservationBody,
    ObservationSchema,
    ObservationsSchema,
    PactListSchema,
    PactSchema,
    PactsSchema,
    PhotoListSchema,
    PhotoUploadForm,
    PreviewSchema,
    PublishBody,
    QuarterQuery,
    ResidentBody,
    ResidentObservationsSchema,
    ResidentPhotoBody,
)

MAX_UPLOAD_BYTES = rules.MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024
FOUND = (rules.PactNotFound, Forbidden)
RECORD = (pact.ObservationKeyReused, rules.QuarterPublished, rules.SeenInFuture, PhotoRefused,
          LeaseBusy, *FOUND)  # fmt: skip
DECIDE = (rules.WindowOpen, rules.AlreadyDecided, rules.QuarterPublished, LeaseBusy, *FOUND)


def _number(text: str) -> int:
    """An article's number from the path: 1 to MAX_ARTICLES, or 400 naming the field."""
    if not text.isdigit() or not 1 <= int(text) <= rules.MAX_ARTICLES:
        raise ValidationError({"number": [f"An article's number, 1 to {rules.MAX_ARTICLES}."]})
    return int(text)


def pact_shown(found: Pact, name: str) -> dict[str, Any]:
    return {**found.__dict__, "name": name, "articles": found.current(),
            "versions": list(found.versions)}  # fmt: skip


def observation_shown(found: Observation) -> dict[str, Any]:
    return {**found.__dict__, "state": rules.state_of(found, utc_now())}


def list_shown(found: PactList, published: bool) -> dict[str, Any]:
    articles = [{"number": n, "title": title} for n, title in found.articles.items()]
    rules = {**found.rules.__dict__,
             "answer_window_seconds": int(found.rules.answer_window.total_seconds())}  # fmt: skip
    return {**found.__dict__, "articles": articles, "rules": rules, "published": published,
            "published_at": found.published_at if published else None}  # fmt: skip


def photo_response(record: dict[str, Any], content: bytes) -> Response:
    return Response(content, status=200, mimetype=record["content_type"], headers=PHOTO_HEADERS)


class PactHttp:
    # -- the articles --

    @http(
        "GET",
        "/v1/pacts",
        summary="The pacts of a community's estates, each with its current articles",
        query=CommunityQuery,
        responses={200: PactsSchema},
        raises=FOUND,
        scope="read",
    )
    def list_pacts(self, request, actor, query):
        community_id = query["community_id"]
        if not actor.sees(community_id):
            raise rules.PactNotFound(f"No community {community_id}.")
        store, reference = self.parts.store, self.parts.pact
        estates = [
            pact_shown(
                pact.pact_of(store, reference, community_id, estate["estate_id"], actor),
                estate["name"],
            )
            for estate in pact_places.estates(store, community_id)
        ]
        return 200, PactsSchema().dump({"community_id": community_id, "estates": estates})

    @http(
        "POST",
        "/v1/pacts/<string:community_id>/<string:estate_id>/articles/<string:number>",
        summary="Write a new version of an article (or the next article) of an estate's "
        "pact (staff); older versions are kept",
        body=ArticleBody,
        responses={200: PactSchema},
        raises=(rules.ArticleUnchanged, LeaseBusy, *FOUND),
        scope="act",
    )
    def edit_article(self, request, actor, community_id, estate_id, number, body):
        edited = pact.edit_article(
            self.parts.store, self.parts.pact, community_id, estate_id, _number(number), body,
            actor, utc_now(),
        )  # fmt: skip
        return 200, PactSchema().dump(pact_shown(edited, estate_id))

    # -- evidence photos --

    @http(
        "POST",
        "/v1/pact/photos",
        summary="Upload evidence photos for an observation that will name them (a unit "
        "leader or staff); kept without their metadata, with a thumbnail",
        upload=PhotoUploadForm,
        files="photo",
        max_body_bytes=MAX_UPLOAD_BYTES,
        responses={201: PhotoListSchema},
        raises=(PhotoRefused, LeaseBusy, Forbidden),
        scope="act",
    )
    def upload_pact_photos(self, request, actor, body, files):
        kept = pact_photos.upload(self.parts.store, files, body["community_id"], actor, utc_now())
        shown = [{**record, "id": record["_id"]} for record in kept]
        return 201, PhotoListSchema().dump({"photos": shown})

    @http(
        "GET",
        "/v1/pact/photos/<string:photo_id>/<string:variant>",
        summary="An evidence photo, `variant` thumb (320 px) or full, for its uploader, or "
        "whoever may see its observation",
        responses={200: None},
        raises=(pact_photos.PactPhotoNotFound,),
        scope="read",
    )
    def get_pact_photo(self, request, actor, photo_id, variant):
        store = self.parts.store

        def visible(record: dict[str, Any]) -> bool:
            if record["observation_id"] is None:
                return pact_photos.uploaded_by(record, actor)
            found = store.pact.observations.get(record["observation_id"])
            return found is not None and pact.may_see(found, actor)

        return photo_response(*pact_photos.read(store, photo_id, variant, visible))

    # -- observations --

    @http(
        "POST",
        "/v1/pact/observations",
        summary="Record an observation against an article for a household of the register "
        "(a unit leader: of their units; staff); the household may answer within the "
        "community's window",
        body=ObservationBody,
        headers=names_its_request("a retry finds the observation it made (200)"),
        responses={201: ObservationSchema, 200: ObservationSchema},
        raises=RECORD,
        scope="act",
    )
    def record_observation(self, request, actor, body):
        observation_id = pact.observation_id_for(actor, idempotency_key(request))
        found, created = pact.record(
            self.parts.store, self.parts.pact, body, actor, observation_id, utc_now()
        )
        return (201 if created else 200), ObservationSchema().dump(observation_shown(found))

    @http(
        "GET",
        "/v1/pact/observations",
        summary="A quarter's observations (staff), or the asker's own (a unit leader)",
        query=QuarterQuery,
        responses={200: ObservationsSchema},
        raises=FOUND,
        scope="read",
    )
    def list_observations(self, request, actor, query):
        community_id, quarter = query["community_id"], query["quarter"]
        found = pact.observations_of(self.parts.store, community_id, quarter, actor)
        answer = {
            "community_id": community_id,
            "quarter": quarter,
            "timezone": pact_places.zone_of(self.parts.store, community_id),
            "observations": [observation_shown(seen) for seen in found],
        }
        return 200, ObservationsSchema().dump(answer)

    @http(
        "GET",
        "/v1/pact/observations/<string:observation_id>",
        summary="One observation (staff of its community, or its recorder)",
        responses={200: ObservationSchema},
        raises=FOUND,
        scope="read",
    )
    def get_observation(self, request, actor, observation_id):
        found = pact.observation_of(self.parts.store, observation_id, actor)
        return 200, ObservationSchema().dump(observation_shown(found))

    @http(
        "POST",
        "/v1/pact/observations/<string:observation_id>/decision",
        summary="Uphold or withdraw an observation once the household's window has closed "
        "(staff); the same decision again answers the stored one",
        body=DecisionBody,
        responses={200: ObservationSchema},
        raises=DECIDE,
        scope="act",
    )
    def decide_observation(self, request, actor, observation_id, body):
        found = pact.decide(
            self.parts.store, observation_id, body["outcome"], body["note"], actor, utc_now()
        )
        return 200, ObservationSchema().dump(observation_shown(found))

    # -- the household's side: the residents' key, for a number it proved --

    @http(
        "POST",
        "/v1/pact/resident/observations",
        summary="The observations of the households a proven number is on (the residents' "
        "key; POST keeps the number out of addresses and logs)",
        body=ResidentBody,
        responses={200: ResidentObservationsSchema},
        raises=FOUND,
        scope=pact.RESIDENTS_SCOPE,
    )
    def resident_observations(self, request, actor, body):
        community_id = body["community_id"]
        households, found = pact.household_observations(
            self.parts.store, community_id, body["phone"], self.parts.digest, actor
        )
        answer = {
            "community_id": community_id,
            "quarter": None,
            "timezone": pact_places.zone_of(self.parts.store, community_id),
            "households": households,
            "observations": [observation_shown(seen) for seen in found],
        }
        return 200, ResidentObservationsSchema().dump(answer)

    @http(
        "POST",
        "/v1/pact/resident/observations/<string:observation_id>/answer",
        summary="The household's answer to an observation, within its window (the "
        "residents' key, for a number on the household)",
        body=AnswerBody,
        responses={200: ObservationSchema},
        raises=(rules.WindowClosed, rules.AlreadyAnswered, LeaseBusy, *FOUND),
        scope=pact.RESIDENTS_SCOPE,
    )
    def answer_observation(self, request, actor, observation_id, body):
        found = pact.answer(
            self.parts.store, observation_id, body, self.parts.digest, actor, utc_now()
        )
        return 200, ObservationSchema().dump(observation_shown(found))

    @http(
        "POST",
        "/v1/pact/resident/photos/<string:photo_id>",
        summary="An evidence photo of an observation about the households a proven number "
        "is on (the residents' key)",
        body=ResidentPhotoBody,
        responses={200: None},
        raises=(pact_photos.PactPhotoNotFound, *FOUND),
        scope=pact.RESIDENTS_SCOPE,
    )
    def resident_photo(self, request, actor, photo_id, body):
        store = self.parts.store
        households = pact.households_of(
            store, body["community_id"], body["phone"], self.parts.digest, actor
        )

        def visible(record: dict[str, Any]) -> bool:
            found = store.pact.observations.get(record["observation_id"] or "")
            return (
                found is not None
                and found.community_id == body["community_id"]
                and found.household_id in households
            )

        return photo_response(*pact_photos.read(store, photo_id, body["variant"], visible))

    # -- the quarter's list --

    @http(
        "GET",
        "/v1/pact/lists/preview",
        summary="What publishing the quarter's list now would show, the quarter's "
        "observations by state, and the list if published already (staff)",
        query=QuarterQuery,
        responses={200: PreviewSchema},
        raises=FOUND,
        scope="read",
    )
    def preview_list(self, request, actor, query):
        found, states, published = pact_lists.preview(
            self.parts.store, self.parts.pact, query["community_id"], query["quarter"], actor,
            utc_now(),
        )  # fmt: skip
        answer = {
            "preview": list_shown(found, published=False),
            "states": states,
            "published": list_shown(published, published=True) if published else None,
        }
        return 200, PreviewSchema().dump(answer)

    @http(
        "POST",
        "/v1/pact/lists",
        summary="Publish the quarter's list (staff, confirmed): frozen, once; the quarter "
        "then takes no more observations or decisions",
        body=PublishBody,
        responses={201: PactListSchema},
        raises=(AlreadyPublished, QuarterNotStarted, LeaseBusy, *FOUND),
        scope="act",
    )
    def publish_list(self, request, actor, body):
        found = pact_lists.publish(
            self.parts.store, self.parts.pact, body["community_id"], body["quarter"], actor,
            utc_now(),
        )  # fmt: skip
        return 201, PactListSchema().dump(list_shown(found, published=True))

    @http(
        "GET",
        "/v1/pact/lists/<string:community_id>/<string:quarter>",
        summary="A published list: building, unit, the room masked, the articles; a surname "
        "on the red list only where the household gave it (any key of the community)",
        responses={200: PactListSchema},
        raises=(rules.PactNotFound,),
        scope=("read", pact.RESIDENTS_SCOPE),
    )
    def published_list(self, request, actor, community_id, quarter):
        if not actor.sees(community_id):
            raise rules.PactNotFound(f"No community {community_id}.")
        found = pact_lists.published(self.parts.store, community_id, quarter)
        return 200, PactListSchema().dump(list_shown(found, published=True))
