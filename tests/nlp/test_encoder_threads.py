"""The shared encoder's thread count comes from one environment setting."""

from __future__ import annotations

import pytest

from nlp.encoder import THREADS_ENV, encoder_threads


def test_one_thread_unless_the_office_asks_for_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert encoder_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "4")
    assert encoder_threads() == 4


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_bad_thread_count_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(ValueError, match=THREADS_ENV):
        encoder_threads()
