"""`presswatch cases evidence N -o DIR`: the evidence bundle of a case.

A module of its own (registered on the `cases` group of pipeline.cli.workflow)
because that file is near its size limit. Thin: the work is pipeline.evidence.bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.context import app_context, reports_errors
from pipeline.cli.workflow import Actor, _actor


def cases_evidence(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="The case number.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder to write case-N/ into.", file_okay=False),
    ],
    actor: Actor = None,
    make_zip: Annotated[
        bool, typer.Option("--zip/--no-zip", help="Also write case-N.zip of the folder.")
    ] = False,
) -> None:
    """Write the case's evidence bundle: a WARC of every snapshot, a PNG and a PDF of
    each page as stored, and a manifest with the SHA-256 of every file."""
    from pipeline.evidence.bundle import build_bundle

    state = app_context(ctx)
    bundle = build_bundle(
        state.settings, state.database(), case_id, out, _actor(actor), make_zip=make_zip
    )
    shots = bundle.manifest["screenshots"]
    typer.echo(
        f"evidence of case #{case_id}: {len(bundle.manifest['snapshots'])} snapshot(s), "
        f"{shots['taken']} screenshot(s) -> {bundle.folder}"
    )
    typer.echo(f"  warc: {bundle.warc_path}")
    if shots["missing_reason"]:
        typer.echo(f"  screenshots missing: {shots['missing_reason']}", err=True)
    if bundle.zip_path is not None:
        typer.echo(f"  zip:  {bundle.zip_path}")


def register(cases_app: typer.Typer) -> None:
    """Add the command to the `presswatch cases` group."""
    cases_app.command("evidence")(reports_errors(cases_evidence))
