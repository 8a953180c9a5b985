"""Closed cases become training examples for the next `presswatch train`."""

from __future__ import annotations

from pipeline.review.training import staff_examples


def test_case_resolutions_and_direct_labels_become_examples() -> None:
    rows = [
        ("Bài xuyên tạc về Quảng Bình", "vi", "flag", "responded"),
        ("Bài đưa tin đúng sự thật", "vi", "flag", "false_positive"),
        ("Quang Binh welcomes visitors", "en", "stance", "supportive"),
        ("Du lịch tăng trưởng", "vi", "tone", "positive"),
        ("Tôn giáo", "vi", "topic", "religion"),
    ]
    examples = staff_examples(rows)
    assert [(e.task, e.label) for e in examples] == [
        ("stance", "critical"),
        ("stance", "supportive"),
        ("tone", "positive"),
    ]
    assert examples[0].text == "Bài xuyên tạc về Quảng Bình"
