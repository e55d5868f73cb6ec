"""The HTML report's charts as inline SVG, in the few lines below rather than a plotting library:
the page must open offline, and the eval should not add a dependency for three charts."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .report_format import one_line

_BLUE, _GREEN, _RED, _GREY = "#2b6cb0", "#2f855a", "#c53030", "#a0aec0"


def svg_bars(
    items: Sequence[tuple[str, float | None]], title: str, width: int = 640, lower_is_better: frozenset[str] = frozenset()
) -> str:
    """Horizontal bars of shares in [0, 1], one per label; None is drawn as an empty row ("–").

    Bars are coloured by value (green ≥ 0.8, blue ≥ 0.5, red below); a label in
    ``lower_is_better`` is drawn grey, since a high value there is bad, not good.
    """
    label_w, bar_h, gap, top = 210, 18, 6, 28
    plot_w = width - label_w - 60
    height = top + len(items) * (bar_h + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#4a5568">{tick:g}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(one_line(label, 32))}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + bar_h - 5}" fill="#718096">–</text>')
            continue
        w = max(0.0, min(1.0, value)) * plot_w
        color = _GREY if label in lower_is_better else _GREEN if value >= 0.8 else _BLUE if value >= 0.5 else _RED
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(values: Sequence[float], title: str, marks: dict[str, float | None], bins: int = 20,
                  width: int = 640, height: int = 220) -> str:
    """A histogram of ``values`` (ms) with vertical lines at ``marks`` (e.g. p50, p95)."""
    left, right, top, bottom = 40, 20, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    if not values:
        parts.append(f'<text x="{left}" y="{top + 20}">keine Werte</text></svg>')
        return "".join(parts)
    hi = max(values) or 1.0
    step = hi / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step))] += 1
    peak = max(counts)
    bw = plot_w / bins
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x, y = left + i * bw, top + plot_h - h
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="{_BLUE}">'
            f"<title>{i * step:.0f}–{(i + 1) * step:.0f} ms: {c}</title></rect>"
        )
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#4a5568"/>')
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + frac * plot_w
        parts.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" fill="#4a5568">{frac * hi:.0f}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">ms</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="#4a5568">{peak}</text>')
    for i, (name, v) in enumerate(marks.items()):
        if v is None:
            continue
        x = left + plot_w * v / hi
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{_RED}" stroke-dasharray="4 3"/>')
        # staggered and haloed, so close marks and a tall bar do not hide the labels
        parts.append(
            f'<text x="{x + 3:.1f}" y="{top + 12 + 14 * i}" fill="{_RED}" stroke="white" stroke-width="3" '
            f'paint-order="stroke">{escape(name)} {v:.0f} ms</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
