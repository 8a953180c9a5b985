"""Highlighting flagged sentences without ever trusting the text as markup."""

from __future__ import annotations

import unicodedata

from pipeline.web.templating import highlight, paragraphs, safe_url


def test_highlight_marks_and_escapes() -> None:
    text = "Mở đầu <b>.\n\nCâu <script>x()</script> bị gắn cờ. Phần sau."
    html = str(highlight(text, [("Câu <script>x()</script> bị gắn cờ.", 1), ("không có", 2)]))
    assert "<script>" not in html and "<b>" not in html
    assert (
        '<mark class="flag" id="mark-1" data-ref="1">Câu &lt;script&gt;x()&lt;/script&gt;' in html
    )
    assert html.count("<p>") == 2 and "mark-2" not in html


def test_highlight_across_line_breaks_and_unicode_forms() -> None:
    text = unicodedata.normalize("NFD", "Tiền cứu trợ\nđã bị tham ô hết. Khác.")
    html = str(highlight(text, [("Tiền cứu trợ đã bị tham ô hết.", 3)]))
    assert 'data-ref="3">Tiền cứu trợ\nđã bị tham ô hết.<sup>3</sup></mark>' in html


def test_overlapping_sentences_mark_once() -> None:
    html = str(highlight("Một hai ba.", [("Một hai ba.", 1), ("hai", 2)]))
    assert html.count("<mark") == 1


def test_paragraphs_and_urls() -> None:
    assert str(paragraphs("a <i>\n\nb")) == "<p>a &lt;i&gt;</p>\n<p>b</p>\n"
    assert safe_url("javascript:alert(1)") == "#"
    assert safe_url(" JAVASCRIPT:alert(1)") == "#"
    assert safe_url("data:text/html,x") == "#"
    assert safe_url("https://baoquangtri.vn/a") == "https://baoquangtri.vn/a"


def test_missing_variables_raise_but_missing_data_keys_do_not() -> None:
    import jinja2
    import pytest

    from pipeline.web.templating import make_templates

    env = make_templates().env
    assert env.from_string("[{{ a.tone.label }}]").render(a={}) == "[]"
    assert env.from_string("{% for x in a.topics %}{{ x }}{% endfor %}.").render(a={}) == "."
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nope }}").render()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{% if 'x' in nope %}{% endif %}").render()


def test_one_paragraph_per_line_as_extractors_write_them() -> None:
    """trafilatura puts each paragraph on its own line, with no blank line between:
    those stay paragraphs; a line broken mid-sentence does not split one."""
    text = "Mưa lớn ở Đồng Hới.\nNgười dân Bố Trạch\nsơ tán. Chiều nay.\nHết."
    html = str(highlight(text, [("Người dân Bố Trạch sơ tán.", 1)]))
    assert html.count("<p>") == 3, html
    assert html.startswith("<p>Mưa lớn ở Đồng Hới.</p>\n<p><mark")
    assert "sơ tán.<sup>1</sup></mark> Chiều nay.</p>\n<p>Hết.</p>" in html
