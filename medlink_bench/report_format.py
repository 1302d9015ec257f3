"""Number and table formatting shared by the benchmark report's sections."""
from typing import Any, Iterable, List, Optional, Sequence


def fmt(value: Any, digits: int = 1) -> str:
    """A figure for a table: "n/a" for None, floats with `digits` decimals, ints with commas."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], aligns: Optional[str] = None) -> List[str]:
    """A Markdown table. aligns: one "l" or "r" per column; by default the first column is
    left-aligned and the figures right-aligned."""
    aligns = aligns or "l" + "r" * (len(header) - 1)
    rules = [" --- " if a == "l" else " ---: " for a in aligns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rules) + "|"]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return lines + [""]
