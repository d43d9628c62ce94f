"""The routes file: per community and grid, where groups are told and in which zone; per
hotline, where replies go. (A resident's progress and rating page is the console's: the
link each progress message carries, services/notify/app/reactions.py.)

```yaml
communities:
  jingxiang:
    name: 井湘社区
    timezone: Asia/Shanghai          # area.changed's zone wins once roster has sent it
    groups:                          # grid id, `staff`, or `default` for the community
      jingxiang-g1: {channel: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_G1_KEY}"}
      jingxiang-g2:
        channel: dingtalk
        url: "https://oapi.dingtalk.com/robot/send?access_token=${DT_G2_TOKEN}"
        secret: "${DT_G2_SECRET}"
      staff: {channel: webhook, url: "https://ops.example.cn/hooks/lianxin"}
    robots:                          # a person's contact naming a robot by id (`wecom:g1-leader`)
      g1-leader: {channel: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_G1_LEADER_KEY}"}
hotlines:
  changsha-12345: {url: "https://12345.example.cn/callback", secret: "${HOTLINE_SECRET}"}
```

Secrets stay out of the file: `${NAME}` is read from the environment, and a name that
is not set stops the service at start (compose.load_routes reads the file; this module
holds what it says, and its schema).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.notify.domain.addresses import GROUP_CHANNELS, ROBOT_CHANNELS
from services.notify.domain.plans import DEFAULT_GROUP, EVERY_COMMUNITY, Reachable

DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class GroupRoute:
    channel: str
    url: str
    secret: str = ""


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str


@dataclass(frozen=True)
class CommunityRoutes:
    name: str = ""
    timezone: str = DEFAULT_ZONE
    groups: Mapping[str, GroupRoute] = field(default_factory=dict)
    robots: Mapping[str, GroupRoute] = field(default_factory=dict)


@dataclass(frozen=True)
class Routes:
    communities: Mapping[str, CommunityRoutes] = field(default_factory=dict)
    hotlines: Mapping[str, Endpoint] = field(default_factory=dict)
    default_webhook: str = ""

    @classmethod
    def from_document(
        cls,
        data: Mapping[str, Any],
        default_webhook: str,
        hotline_secret: Callable[[str, str], str],
    ) -> Routes:
        """The routes of a file RoutesFile loaded; `hotline_secret(hotline_id, given)` is
        the secret a hotline signs with (compose.py checks it as every secret is)."""
        communities = {
            community_id: CommunityRoutes(
                name=entry.get("name", ""),
                timezone=entry.get("timezone", DEFAULT_ZONE),
                groups={name: GroupRoute(**group) for name, group in entry["groups"].items()},
                robots={name: GroupRoute(**robot) for name, robot in entry["robots"].items()},
            )
            for community_id, entry in data["communities"].items()
        }
        hotlines = {
            hotline_id: Endpoint(entry["url"], hotline_secret(hotline_id, entry["secret"]))
            for hotline_id, entry in data["hotlines"].items()
        }
        return cls(communities, hotlines, default_webhook)

    def community(self, community_id: str) -> CommunityRoutes:
        return self.communities.get(community_id) or CommunityRoutes()

    def group(self, community_id: str, name: str) -> GroupRoute | None:
        if community_id == EVERY_COMMUNITY and name == DEFAULT_GROUP and self.default_webhook:
            return GroupRoute("webhook", self.default_webhook)
        return self.community(community_id).groups.get(name)

    def robot(self, community_id: str, channel: str, robot_id: str) -> GroupRoute | None:
        """The robot a person's contact names by id, in the person's community and on the
        contact's channel: a WeCom id never resolves to a DingTalk robot."""
        found = self.community(community_id).robots.get(robot_id)
        return found if found is not None and found.channel == channel else None

    def reachable(self, channels: frozenset[str]) -> Reachable:
        groups = {
            community_id: {name: group.channel for name, group in routes.groups.items()}
            for community_id, routes in self.communities.items()
        }
        robots = {
            community_id: {robot_id: robot.channel for robot_id, robot in routes.robots.items()}
            for community_id, routes in self.communities.items()
        }
        return Reachable(channels, groups, bool(self.default_webhook), robots)

    def secrets(self) -> tuple[str, ...]:
        """Robot keys (the query of their URLs), robot and hotline secrets: for redaction."""
        found: list[str] = []
        groups = [
            route
            for routes in self.communities.values()
            for route in (*routes.groups.values(), *routes.robots.values())
        ]
        for url, secret in (
            [(g.url, g.secret) for g in groups]
            + [(h.url, h.secret) for h in self.hotlines.values()]
            + [(self.default_webhook, "")]
        ):
            found += [secret, *_query_values(url)]
        return tuple(value for value in found if value and len(value) >= 6)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


class GroupSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(GROUP_CHANNELS))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    secret = fields.String(load_default="", validate=validate.Length(max=200))


class RobotSchema(GroupSchema):
    channel = fields.String(required=True, validate=validate.OneOf(ROBOT_CHANNELS))


class CommunitySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String()
    timezone = fields.String(validate=lambda zone: _zone_exists(zone))
    groups = fields.Dict(keys=fields.String(), values=fields.Nested(GroupSchema), load_default={})
    robots = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")),
        values=fields.Nested(RobotSchema),
        load_default={},
    )


class HotlineSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    secret = fields.String(load_default="")


class RoutesFile(Schema):
    communities = fields.Dict(
        keys=fields.String(), values=fields.Nested(CommunitySchema), load_default={}
    )
    hotlines = fields.Dict(
        keys=fields.String(), values=fields.Nested(HotlineSchema), load_default={}
    )


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {name!r}") from None
    return True


def _query_values(url: str) -> list[str]:
    from urllib.parse import parse_qsl, urlsplit

    return [value for _, value in parse_qsl(urlsplit(url).query)]
