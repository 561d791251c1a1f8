"""A Chinese reader sees the study's own words: labels and weekdays from the study definition."""

from __future__ import annotations


def test_a_chinese_reader_sees_visit_labels_and_weekdays_from_the_study_definition(
    nurse, scheduled
) -> None:
    english = nurse.get(f"/participants/{scheduled}").text
    chinese = nurse.get(f"/participants/{scheduled}", headers={"Accept-Language": "zh-CN"}).text
    assert "<td>2 weeks</td>" in english and "<td>2周</td>" not in english
    assert "<td>2周</td>" in chinese and "<td>12个月</td>" in chinese
    assert "2026-03-30 周一" in chinese
