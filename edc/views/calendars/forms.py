"""The calendars' forms: a person's own clinic calendar link."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField

from edc.views.fields import Form


class FeedLinkForm(Form):
    """Issue a new clinic calendar link, or revoke it; carries the link as the page showed it."""

    state = HiddenField()
    revoke = BooleanField()
