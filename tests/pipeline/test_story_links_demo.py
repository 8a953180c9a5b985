"""On the demo's recorded press, where the embedding-only linker failed (the English
cable-car story at 0.82 against the Vietnamese border-marker story; the English aid
report at 0.84 against the BBC/RFA "aid never arrived" copies): the VnExpress
International aid report joins the Vietnamese aid story, and nothing else links."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.loading import load_settings
from pipeline.cli import app
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.models import ArticleRow


@pytest.mark.slow
def test_demo_links_the_aid_report_and_nothing_else(tmp_path: Path, shared_data_dir: Path) -> None:
    if (shared_data_dir / "models").is_dir():
        shutil.copytree(shared_data_dir / "models", tmp_path / "data" / "models")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    settings = load_settings(tmp_path / "config.yaml")
    database = Database.open(settings.database_url)
    with database.session() as session:
        rows = list(session.scalars(select(ArticleRow).where(ArticleRow.relevant.is_(True))))
        details = [get_case(session, c.id) for c in list_cases(session)]
    database.dispose()
    assert len(rows) >= 10
    aid_en = next(r for r in rows if r.source_id == "vnexpress-international" and "aid" in r.title)
    aid_vi = [r for r in rows if r.language == "vi" and "hỗ trợ" in r.title and "1.500" in r.title]
    assert len(aid_vi) == 2 and {r.story_id for r in aid_vi} == {aid_en.story_id}
    # Every other English article is alone in its story.
    for r in rows:
        if r.language == "en" and r.id != aid_en.id:
            assert [o.id for o in rows if o.story_id == r.story_id] == [r.id], r.title
    # No case mixes languages: the relief-claim case holds only the BBC and RFA copies,
    # the cable-car and border-marker cases only their own articles.
    assert details
    for detail in details:
        languages = {a.language for a in detail.articles}
        assert len(languages) == 1, (detail.case.title, languages)
