"""Peer profiles: active or resting, the weekly maximum, liked topics, what the public sees."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from college.models import PublicVisibility, User
from courses.models import Topic
from peers.models import PeerProfile, PeerStatus
from peers.services.availability import _audit_if_staff, require_self_or_admin
from peers.services.errors import InvalidWeeklyMaximum

MAX_WEEKLY = 20


def profile_of(user: User) -> PeerProfile:
    """The person's profile; a fresh default one (not yet saved) when they have none."""
    profile = db.session.get(PeerProfile, user.id)
    if profile is None:
        profile = PeerProfile(
            user_id=user.id,
            status=PeerStatus.ACTIVE,
            max_sessions_per_week=3,
            liked_topics="",
        )
    return profile


def profiles_of(user_ids: Iterable[int]) -> dict[int, PeerProfile]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(PeerProfile).where(PeerProfile.user_id.in_(ids)))
    return {row.user_id: row for row in rows}


def update_profile(
    actor: User,
    person: User,
    *,
    status: PeerStatus,
    max_sessions_per_week: int,
    topics: Iterable[str],
    public_visibility: PublicVisibility,
) -> PeerProfile:
    """Save how ``person`` wants to teach and be named in public; resting keeps every
    qualification."""
    require_self_or_admin(actor, person)
    if not 0 <= max_sessions_per_week <= MAX_WEEKLY:
        raise InvalidWeeklyMaximum(max=MAX_WEEKLY)
    known = {str(t) for t in Topic}
    profile = profile_of(person)
    profile.status = PeerStatus(status)
    profile.max_sessions_per_week = max_sessions_per_week
    profile.liked_topics = ",".join(sorted({t for t in topics if t in known}))
    person.public_visibility = PublicVisibility(public_visibility)
    profile.updated_at = now_utc()
    db.session.add(profile)
    db.session.flush()
    _audit_if_staff(actor, "peer.profile_changed", person, person)
    return profile
