"""The Markdown twin is escaped like the HTML page: a payload from a run never becomes a tag or a link."""

from __future__ import annotations

import markdown_it
import pandas as pd

from reports.render import to_markdown
from reports.tables import Figure, ReportTable, Section

PAYLOAD = '"><img src=x onerror=alert(1)> [click](http://evil.example) ![pic](http://evil.example/p.png) *x*|y'


def test_markdown_payloads_render_as_text_not_tags_or_links() -> None:
    table = ReportTable(PAYLOAD, pd.DataFrame({PAYLOAD: [PAYLOAD], "fvd": [1.5]}), [True], note=PAYLOAD)
    figure = Figure("plot.png", b"", PAYLOAD)
    section = Section(PAYLOAD, tables=[table], figures=[figure], notes=[PAYLOAD, "# not a heading"], skipped=PAYLOAD)
    text = to_markdown([section], PAYLOAD, random_weights=True, assets="assets")
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(text)  # raw HTML on, as GitHub's
    assert "<img src=x" not in rendered and "href=" not in rendered and 'src="http://evil' not in rendered
    assert rendered.count("<img") == 1 and 'src="assets/plot.png"' in rendered  # the report's own picture only
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered  # shown as text
    assert "<h1>not a heading</h1>" not in rendered
    assert rendered.count("<tr>") == 2  # header and one row: the payload's "|" did not add a column or row
