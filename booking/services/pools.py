"""An enterprise's pooled quotas: how much of each its members have used together, shown before a refusal."""

from datetime import datetime, timedelta

from booking.engine import quotas as engine_quotas
from booking.engine.types import Interval
from booking.services import specs
from models import OrganizationKind, QuotaScope, Resource, User

DEFAULT_TIMEZONE = "Asia/Shanghai"


def pooled_standing(
    user: User, now: datetime, *, resource: Resource | None = None
) -> list[engine_quotas.Standing]:
    """The organization quotas that apply to `user` (at `resource`, or anywhere), with their usage now.

    Empty for anyone outside an enterprise. Usage is counted the way a request made now is judged.
    """
    organization = user.organization
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        return []
    requester = specs.requester_spec(user)
    quotas = specs.load_quotas(resource.university_id if resource is not None else None)
    if resource is not None:
        spec = specs.resource_spec(resource)
        quotas = [q for q in quotas if engine_quotas.quota_applies(q, spec, requester)]
    else:
        quotas = [q for q in quotas if q.category is None or q.category == requester.category]
    quotas = [q for q in quotas if q.scope is QuotaScope.ORGANIZATION]
    if not quotas:
        return []
    usage = specs.load_usage([user], Interval(now, now + timedelta(seconds=1)), now)
    timezone = resource.timezone if resource is not None else DEFAULT_TIMEZONE
    return [engine_quotas.standing(q, requester, usage, timezone, now) for q in quotas]
