"""The digest's chart: stance by origin, as PNG bytes (matplotlib, no display)."""

from __future__ import annotations

import io

# Colours that stay apart for the common colour-vision deficiencies.
COLOURS = {"supportive": "#1b7837", "neutral": "#bababa", "critical": "#b2182b", "other": "#8073ac"}


def stance_chart(table: dict[str, dict[str, int]], words: dict[str, str]) -> bytes:
    """Horizontal stacked bars, one per origin, one segment per stance label."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib.figure import Figure

    origins = list(table)
    figure = Figure(figsize=(6, 1.2 + 0.5 * len(origins)), dpi=100)
    axes = figure.add_subplot()
    left = [0] * len(origins)
    for label, colour in COLOURS.items():
        values = [table[o].get(label, 0) for o in origins]
        if not any(values):
            continue
        axes.barh(
            [words.get(o, o) for o in origins],
            values,
            left=left,
            color=colour,
            label=words.get(label, label),
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_title(words["stance_by_origin"], fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if any(left):
        # Below the axes, so it never hides a bar.
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, fontsize=8, frameon=False
        )
    figure.tight_layout()
    buffer = io.BytesIO()
    # No timestamp in the file: the same numbers give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def stance_trend_chart(
    starts: list[str], layers: dict[str, list[int]], words: dict[str, str]
) -> bytes:
    """Stacked columns per day or week, one segment per stance label (the digest's
    colours), for the periodic report."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7, 3), dpi=150)
    axes = figure.add_subplot()
    bottom = [0] * len(starts)
    positions = list(range(len(starts)))
    for label, values in layers.items():
        if not any(values):
            continue
        axes.bar(
            positions,
            values,
            bottom=bottom,
            color=COLOURS.get(label, COLOURS["other"]),
            label=words.get(label, label),
            width=0.8,
        )
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    step = max(1, round(len(starts) / 10))  # about ten dates fit under the axis
    axes.set_xticks(positions[::step], starts[::step], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(words["stance_over_time"], fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    if any(bottom):
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, fontsize=8, frameon=False
        )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
