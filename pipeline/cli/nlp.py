"""Commands of the nlp area: analyze, topics evaluate, train.

Thin: parse options, build settings, delegate to nlp/ (and storage/ for the
staff labels `train` reads). Heavy imports stay inside the commands so
`presswatch --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated

import typer

from pipeline.cli.context import app_context, reports_errors

topics_app = typer.Typer(help="Topic classifier tools.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the presswatch app."""
    app.command("analyze")(analyze)
    app.command("train")(train)
    app.add_typer(topics_app, name="topics")


@reports_errors
def analyze(
    ctx: typer.Context,
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT.jsonl", help="JSON lines: id, title, text[, ...].")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write results here (default: stdout).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents per analyzer call.")] = 64,
) -> None:
    """Analyse articles from a JSON-lines file; one result line per valid input line."""
    from nlp.jsonl import analyze_stream
    from nlp.registry import build_analyzer

    settings = app_context(ctx).settings
    analyzer = build_analyzer(settings.analysis())
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    with _utf8_lines(input_path) as (readable, bad_lines):
        try:
            stats = analyze_stream(readable, sink, analyzer, batch_size=batch_size)
        finally:
            if output:
                sink.close()
    problems = sorted(
        [*bad_lines, *((_line_number(p), p) for p in stats.problems)], key=lambda item: item[0]
    )
    for _, problem in problems:
        typer.echo(f"{input_path}:{problem}", err=True)
    stats.problems = [p for _, p in problems]
    typer.echo(
        f"analysed {stats.analysed} article(s), skipped {len(stats.problems)} malformed line(s)"
        f" [analyzer {analyzer.version}]",
        err=True,
    )


@contextmanager
def _utf8_lines(path: Path) -> Iterator[tuple[Path, list[tuple[int, str]]]]:
    """The input, or when some lines are not UTF-8 a copy with those lines blanked
    (blank lines are skipped, so numbering stays), and the problems found. One
    bad line must not lose the run: it is reported like any malformed line."""
    import gzip
    import tempfile

    def opened() -> IO[bytes]:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]  # a binary file object
        return path.open("rb")

    bad: list[tuple[int, str]] = []
    try:
        with opened() as raw:
            for number, line in enumerate(raw, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad.append(
                        (number, f"line {number}: not UTF-8 (byte {exc.start + 1}); skipped")
                    )
    except OSError:
        yield path, []  # unreadable: the stream reports it as before
        return
    if not bad:
        yield path, []
        return
    skip = {number for number, _ in bad}
    with tempfile.TemporaryDirectory(prefix="presswatch-analyze-") as tmp:
        cleaned = Path(tmp, "input.jsonl")
        with opened() as raw, cleaned.open("wb") as out:
            for number, line in enumerate(raw, 1):
                out.write(b"\n" if number in skip else line)
        yield cleaned, bad


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") and head[5:].isdigit() else 0


@topics_app.command("evaluate")
@reports_errors
def topics_evaluate(
    train_path: Annotated[Path, typer.Option("--train", help="JSON lines with text and label.")],
    test_path: Annotated[Path, typer.Option("--test", help="JSON lines with text and label.")],
    limit_per_class: Annotated[
        int | None, typer.Option(help="Deterministic stratified subset of each split.")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Processes for word segmentation.")] = 1,
) -> None:
    """Train the topic classifier on --train, score --test; last line: accuracy, macro-F1."""
    from nlp.topic_model import evaluate_files

    try:
        report = evaluate_files(train_path, test_path, limit_per_class=limit_per_class, jobs=jobs)
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for line in report.details():
        typer.echo(line)
    typer.echo(f"accuracy {report.accuracy:.4f} macro_f1 {report.macro_f1:.4f}")


@reports_errors
def train(ctx: typer.Context) -> None:
    """Retrain stance and tone on the shipped seed set plus every staff label and closed case."""
    from nlp import linear
    from pipeline.review.training import staff_examples
    from storage.labels import training_examples

    state = app_context(ctx)
    with state.database().session() as session:
        staff = staff_examples(training_examples(session))
    models = linear.train_current(state.settings.analysis().models_dir, staff)
    typer.echo(
        f"trained stance/tone on {models.counts.get('stance', 0)} stance and "
        f"{models.counts.get('tone', 0)} tone examples ({len(staff)} from staff labels); "
        f"model {linear.RECIPE}-{models.key} is now current"
    )
