"""Text and Markdown tables for the side-by-side comparison scripts of bench/."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool, right: bool = False
) -> str:
    """*rows* under *header*: a Markdown table, or columns padded to their widest cell
    (right-aligned with *right*)."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in rows]
        return "\n".join(lines)
    table = [list(header), *map(list, rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
    pad = str.rjust if right else str.ljust
    return "\n".join("  ".join(pad(c, w) for c, w in zip(cells, widths)) for cells in table)
