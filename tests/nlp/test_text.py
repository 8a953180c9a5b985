from __future__ import annotations

from core.analysis import Document
from nlp.text import document_text, split_sentences


def test_sentences_keep_offsets() -> None:
    text = 'Mưa lớn kéo dài. "Nước lên nhanh quá!" Ông Nam nói.\nLũ rút vào ngày 3.5 vừa qua.'
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Mưa lớn kéo dài.",
        '"Nước lên nhanh quá!"',
        "Ông Nam nói.",
        "Lũ rút vào ngày 3.5 vừa qua.",
    ]
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text


def test_run_on_text_is_cut() -> None:
    sentences = split_sentences("chữ " * 1000)
    assert all(len(s.text) <= 600 for s in sentences)


def test_document_text_is_title_blank_line_body() -> None:
    assert document_text(Document(id="1", title="T", text="B")) == "T\n\nB"
    assert document_text(Document(id="1", title="", text="B")) == "B"
