"""The sections as an HTML page and its Markdown twin, both pointing at the pictures in ``assets/``.

The page carries its style inline, with no script, font or stylesheet from anywhere else, so it
opens offline; its pictures are files beside it (not ``data:`` URIs, which made the page of a few
tiny runs 13.8 MB of inlined GIFs), so the page stays small enough to mail, with ``assets/`` zipped
beside it for the pictures.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from collections.abc import Sequence

import pandas as pd

from benchmarks.paper import RANDOM_WEIGHTS_NOTE
from reports.tables import Figure, ReportTable, Section

STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
caption { font-weight: bold; text-align: left; padding: 4px 0; }
th, td { border: 1px solid #bbb; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.random td { background: #fdecea; }
.banner { background: #fdecea; border: 1px solid #d9534f; padding: 8px; font-weight: bold; }
.skipped { color: #777; font-style: italic; }
figure { display: inline-block; margin: 1em 1em 1em 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 12px; max-width: 900px; }
figure.random figcaption::before { content: "RANDOM WEIGHTS: "; color: #d9534f; font-weight: bold; }
"""
#: Characters with a meaning in (GitHub-flavoured) Markdown, escaped with a backslash in literal text.
MARKDOWN_SPECIAL = frozenset("\\`*_[]!|~")
#: Characters that start a heading, a list or a quote at the start of a paragraph.
MARKDOWN_LEADING = frozenset("#-+=")


def format_cell(value: object, column: str = "") -> str:
    """Numbers as a reader wants them: a dash for missing, thousands separators, a sign on differences."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        sign = "+" if column.startswith("Δ") else ""
        if value.is_integer() and abs(value) >= 1000:
            return f"{value:{sign},.0f}"
        if abs(value) >= 100:
            return f"{value:{sign},.2f}"
        return f"{value:{sign}.3g}" if 0 < abs(value) < 0.01 else f"{value:{sign}.4f}"
    return str(value)


def _cells(table: ReportTable) -> list[list[str]]:
    """Every row as text; ``to_dict`` gives Python scalars, not numpy ones, so formatting sees ints and floats."""
    frame = table.frame.astype(object).where(pd.notna(table.frame), None)
    return [
        [format_cell(value, str(column)) for column, value in zip(frame.columns, row, strict=True)]
        for row in frame.to_dict("split")["data"]
    ]


def _html_table(table: ReportTable) -> str:
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in table.frame.columns)
    body = []
    for cells, random_weights in zip(_cells(table), table.random_rows, strict=True):
        row_class = ' class="random"' if random_weights else ""
        body.append(f"<tr{row_class}>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
    note = f"<p>{html.escape(table.note)}</p>" if table.note else ""
    return (
        f"<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def _html_figure(figure: Figure, assets: str) -> str:
    figure_class = ' class="random"' if figure.random_weights else ""
    caption = html.escape(figure.caption)
    source = html.escape(urllib.parse.quote(f"{assets}/{figure.name}"))
    return (
        f'<figure{figure_class}><img src="{source}" alt="{caption}">'
        f"<figcaption>{caption} ({html.escape(figure.name)})</figcaption></figure>"
    )


def _anchor(title: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in title.lower()).strip("-")


def to_html(sections: Sequence[Section], heading: str, random_weights: bool, assets: str) -> str:
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<link rel="icon" href="data:,"><title>{html.escape(heading)}</title><style>{STYLE}</style></head><body>',
        f"<h1>{html.escape(heading)}</h1>",
    ]
    if random_weights:
        parts.append(f'<p class="banner">Some runs used {html.escape(RANDOM_WEIGHTS_NOTE)}. Their rows are shaded.</p>')
    links = "".join(
        f'<li><a href="#{_anchor(section.title)}">{html.escape(section.title)}</a></li>' for section in sections
    )
    parts.append(f"<ul>{links}</ul>")
    for section in sections:
        parts.append(f'<section id="{_anchor(section.title)}"><h2>{html.escape(section.title)}</h2>')
        if section.skipped:
            parts.append(f'<p class="skipped">Skipped: {html.escape(section.skipped)}.</p>')
        parts += [f"<p>{html.escape(note)}</p>" for note in section.notes]
        parts += [_html_table(table) for table in section.tables]
        parts += [_html_figure(figure, assets) for figure in section.figures]
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def md(text: object, paragraph: bool = False) -> str:
    """``text`` as literal Markdown text: HTML's ``<``, ``>`` and ``&`` escaped as the HTML page does, and every
    character Markdown gives a meaning (links' brackets, emphasis, code, tables) backslash-escaped, so a
    caption from a run can never become a tag, a link or a picture when the file is rendered. A ``paragraph``
    also escapes a first character that would start a heading or a list."""
    escaped = html.escape(str(text), quote=False).replace("\n", " ")
    escaped = "".join(f"\\{char}" if char in MARKDOWN_SPECIAL else char for char in escaped)
    return f"\\{escaped}" if paragraph and escaped[:1] in MARKDOWN_LEADING else escaped


def _markdown_table(table: ReportTable) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    columns = [md(column) for column in table.frame.columns]
    rows = [line(columns), line(["---"] * len(columns))]
    for cells, random_weights in zip(_cells(table), table.random_rows, strict=True):
        cells = [md(cell) for cell in cells]
        rows.append(line([f"**{cells[0]}** (random weights)" if random_weights else cells[0], *cells[1:]]))
    note = f"\n\n{md(table.note, paragraph=True)}" if table.note else ""
    return f"**{md(table.title)}**\n\n" + "\n".join(rows) + note


def to_markdown(sections: Sequence[Section], heading: str, random_weights: bool, assets: str) -> str:
    parts = [f"# {md(heading)}"]
    if random_weights:
        parts.append(f"> **Some runs used {md(RANDOM_WEIGHTS_NOTE)}.** Their rows say so.")
    for section in sections:
        parts.append(f"## {md(section.title)}")
        if section.skipped:
            parts.append(f"_Skipped: {md(section.skipped)}._")
        parts += [md(note, paragraph=True) for note in section.notes]
        parts += [_markdown_table(table) for table in section.tables]
        for figure in section.figures:
            mark = "RANDOM WEIGHTS: " if figure.random_weights else ""
            target = urllib.parse.quote(f"{assets}/{figure.name}")
            parts.append(f"![{md(figure.name)}]({target})\n\n_{mark}{md(figure.caption)}_")
    return "\n\n".join(parts) + "\n"
