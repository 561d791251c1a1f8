"""WTForms' own words (a refused choice, a field's default label) read in the reader's language,
request after request, in either language."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from edc.views.fields import Form


class _Chooser(Form):
    size = SelectField("Size", choices=[SelectChoice("S"), SelectChoice("L")])
    next_page = HiddenField()


def test_wtforms_words_follow_the_readers_language_on_every_request() -> None:
    reader = {"language": "zh_Hans_CN"}
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app, locale_selector=lambda: reader["language"])
    seen = []
    for language in ("zh_Hans_CN", "en", "zh_Hans_CN", "en"):
        reader["language"] = language
        with app.test_request_context():
            form = _Chooser(formdata=MultiDict({"size": "XXL"}))
            form.validate()
            seen.append((form.size.errors, form.next_page.label.text))
    chinese = (["不是有效的选择。"], "Next Page")
    english = (["Not a valid choice."], "Next Page")
    assert seen == [chinese, english, chinese, english]
