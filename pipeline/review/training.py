"""What staff decisions teach the models: labels from the queue as training examples."""

from __future__ import annotations

from collections.abc import Iterable

from nlp import linear

# A case closed as "responded" confirms the article argued a false or distorted
# claim against the province: a critical-stance example. "false_positive" says
# nothing about stance (a fair critical report is one too), so it teaches none.
RESOLUTION_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("flag", "responded"): ("stance", "critical"),
}


def staff_examples(rows: Iterable[tuple[str, str, str, str]]) -> list[linear.Example]:
    """(text, language, task, label) rows from storage as stance/tone examples."""
    examples = []
    for text, language, task, label in rows:
        task, label = RESOLUTION_LABELS.get((task, label), (task, label))
        example = linear.staff_example(text, language, task, label)
        if example is not None:
            examples.append(example)
    return examples
