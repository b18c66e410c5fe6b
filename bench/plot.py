"""The report's picture: every recorded figure as a ratio to its baseline, one panel per
benchmark, written as a PNG beside the Markdown report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.common import Comparison

BAR_HEIGHT_INCHES = 0.32


def plot_comparisons(found: Sequence[Comparison], path: Path) -> Path | None:
    """Horizontal bars of value ÷ baseline (1.0 = the baseline); None when there is nothing to
    draw. Bars are green where the variant does better than its baseline, red where worse."""
    if not found:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    sections = list(dict.fromkeys(c.section for c in found))
    counts = [sum(c.section == s for c in found) for s in sections]
    figure, axes = plt.subplots(
        len(sections),
        1,
        figsize=(11, 1.2 + BAR_HEIGHT_INCHES * (sum(counts) + 2 * len(sections))),
        gridspec_kw={"height_ratios": [n + 1 for n in counts]},
        squeeze=False,
    )
    for axis, section in zip(axes[:, 0], sections, strict=True):
        rows = [c for c in found if c.section == section]
        names = [f"{c.figure}: {c.label} ÷ {c.baseline_label}" for c in rows]
        ratios = [c.ratio for c in rows]
        colours = [
            "#2e7d32" if (r >= 1) == c.higher_is_better or r == 1 else "#c62828"
            for c, r in zip(rows, ratios, strict=True)
        ]
        positions = range(len(rows))
        axis.barh(positions, ratios, color=colours, height=0.6)
        axis.axvline(1.0, color="black", linewidth=0.8)
        axis.set_yticks(list(positions), names, fontsize=8)
        axis.invert_yaxis()
        axis.set_title(section, fontsize=10, loc="left")
        for y, (c, r) in enumerate(zip(rows, ratios, strict=True)):
            axis.text(r, y, f" {r:.2f} ({c.value:.3g} {c.unit})", va="center", fontsize=7)
        axis.set_xlim(0, max(max(ratios) * 1.35, 1.5))
    axes[-1, 0].set_xlabel("value ÷ baseline (1.0 = baseline, measured in the same run)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
