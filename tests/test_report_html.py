"""The HTML renderer (Jinja2 template): escaping, suppressed cells, embedded figures."""

from __future__ import annotations

from matplotlib.figure import Figure

from pipeline.reporting.document import (
    BulletList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)
from pipeline.reporting.html import render


def _draw(fig: Figure) -> None:
    fig.add_subplot().plot([0, 1], [1, 0])


DOC = Document(
    lang="nl",
    title="Jaarverslag <2025>",
    blocks=(
        Heading("Uitkomsten & respons", level=2, anchor="uitkomsten"),
        Paragraph("<script>alert(1)</script>"),
        BulletList(("a < b", "c")),
        Table(
            caption="Tabel 1",
            header=("Instrument", "n"),
            rows=(("SSD-12", "34"), ("PHQ-15", "n < 10")),
            note="Noot",
            anchor="t1",
        ),
        FigureBlock(caption="Figuur 1", width=3.0, height=2.0, draw=_draw, alt="lijn"),
    ),
)


def test_page_is_escaped_self_contained_and_deterministic() -> None:
    page = render(DOC)
    assert page == render(DOC)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert '<html lang="nl">' in page and "<title>Jaarverslag &lt;2025&gt;</title>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<h2 id="uitkomsten">Uitkomsten &amp; respons</h2>' in page
    assert "<li>a &lt; b</li>" in page
    assert '<th scope="row">SSD-12</th><td>34</td>' in page
    assert '<td class="suppressed">n &lt; 10</td>' in page
    assert '<p class="note">Noot</p>' in page
    assert 'src="data:image/svg+xml;base64,' in page and 'width="288"' in page
    assert "<style>" in page and "http" not in page.split("<main>")[0].replace("viewport", "")
