"""Each person's own link to the clinic calendar feed: issued and revoked by its owner.

A calendar app cannot send the log-in cookie, so the random token in the link is the key; it
names its owner, whose account and role are checked on every read of the feed.
"""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _

from edc.models import User
from edc.services.base import GENERAL, N_, Changed, Context, audited


def link_state(user: User) -> str:
    """A short fingerprint of the person's current link ("" while none), which the page's form
    carries so that a second tab's click does not undo the first one's unseen."""
    token = user.clinic_feed_token
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def _check(user: User, expected: str | None) -> None:
    if expected is not None and expected != link_state(user):
        raise Changed({GENERAL: [_("Your clinic calendar link was changed in another window "
                                   "after you opened this page. Nothing was changed; the page "
                                   "shows it as it is now.")]})


def issue_clinic_feed_link(ctx: Context, user: User, *, expected: str | None = None) -> str:
    """Give the person a new link to the clinic calendar; their earlier link stops working."""
    _check(user, expected)
    with audited(ctx.session, ctx.actor.username, N_("Clinic calendar link issued")):
        user.clinic_feed_token = secrets.token_urlsafe(24)  # 192 random bits
        ctx.session.commit()
    return user.clinic_feed_token


def revoke_clinic_feed_link(ctx: Context, user: User, *, expected: str | None = None) -> None:
    """Stop the person's clinic calendar link from working."""
    _check(user, expected)
    with audited(ctx.session, ctx.actor.username, N_("Clinic calendar link revoked")):
        user.clinic_feed_token = None
        ctx.session.commit()
