"""Chinese pages write asides, changes and dates as Chinese does (full-width brackets, 12% with no
space); English pages are as they were. A read-only visit page names its sample date."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import text

from edc import db
from tests.support import factories
from tests.support.records import visit_id

ZH = {"Accept-Language": "zh-CN"}


def test_asides_and_changes_in_chinese_and_english(app: Flask, nurse, allocation) -> None:
    pid = factories.child(app, "screened")  # a baseline, so each visit shows its change
    factories.infuse(app, pid, 1, factories.INFUSION_1)
    factories.infuse(app, pid, 2, factories.INFUSION_2)
    factories.enter_results(app, pid, "W02", factories.targets(app, pid)["W02"])
    english = nurse.get(f"/participants/{pid}").text
    chinese = nurse.get(f"/participants/{pid}", headers=ZH).text
    done = factories.targets(app, pid)["W02"].isoformat()
    assert re.search(rf"done \({done} \w{{3}}\)", english)
    assert re.search(rf"已完成（{done} 周.）", chinese)
    assert re.findall(r'class="change">([^<]*)<', english) and all(
        re.fullmatch(r"[+-]\d+ %", c) for c in re.findall(r'class="change">([^<]*)<', english))
    assert all(re.fullmatch(r"[+-]\d+%", c)
               for c in re.findall(r'class="change">([^<]*)<', chinese))
    assert "nurse（研究护士）" in chinese and "nurse (nurse)" in english


def test_a_read_only_visit_page_names_its_sample_date(app: Flask, as_role, allocation) -> None:
    pid = factories.child(app, "with results")
    sampled = factories.targets(app, pid)["W02"].isoformat()
    page = as_role("monitor").get(f"/visits/{visit_id(app, pid, 'W02')}").text
    assert re.search(rf'class="sample-date">Sample date: {sampled} \w{{3}}[ <]', page)
    assert page.count('class="sample-date"') == 1


def test_results_that_cannot_be_computed_are_said_in_the_readers_language_and_logged(
        app: Flask, nurse, allocation, caplog) -> None:
    pid = factories.child(app, "with results")
    with app.app_context():
        # A stored creatinine in a unit no rule knows (only a hand edit of the database does this).
        db.session().execute(text("UPDATE result SET unit = 'mg/g?' WHERE field = 'creatinine'"))
        db.session().commit()
    chinese = nurse.get(f"/participants/{pid}", headers=ZH).text
    english = nurse.get(f"/participants/{pid}").text
    assert "无法根据已存储的数据计算" in chinese and "Expected a unit" not in chinese
    assert ("The computed values could not be made from what is stored. The reason is in the "
            "server&#39;s log: tell the data manager.") in english
    assert "in 'mg/g?'. Expected a unit convertible to" in caplog.text


def test_chinese_sentences_and_ages_are_not_spaced_as_english(app: Flask, nurse, allocation):
    pid = factories.child(app, "with results")
    w02 = f"/visits/{visit_id(app, pid, 'W02')}"
    assert re.search(r"<dd>\d+(\.\d+)?岁</dd>", nurse.get(w02, headers=ZH).text)
    assert re.search(r"<dd>\d+(\.\d+)? years</dd>", nurse.get(w02).text)
    chinese = nurse.get(f"/participants/{pid}", headers=ZH).text
    english = nurse.get(f"/participants/{pid}").text
    assert "无法评估。检验科" in chinese
    assert "an outcome is not assessable. A lab eGFR" in english


def test_a_label_and_its_text_are_joined_by_a_full_width_colon_in_chinese(
        app: Flask, as_role, allocation) -> None:
    pid = factories.child(app, "with results")
    sampled = factories.targets(app, pid)["W02"].isoformat()
    monitor = as_role("monitor")
    url = f"/visits/{visit_id(app, pid, 'W02')}"
    chinese = monitor.get(url, headers=ZH).text
    assert re.search(rf'class="sample-date">采样日期：{sampled} 周.[ <]', chinese)
    # Who saved the results, then what: "nurse：..." in Chinese, "nurse: ..." in English.
    assert re.search(r"\d\d:\d\d:\d\d nurse：", chinese)
    assert re.search(r"\d\d:\d\d:\d\d nurse: ", monitor.get(url).text)
