"""The annual report rendered: Typst PDF (tagged, fonts embedded, byte-identical) and HTML
(table of contents, print CSS: no table wider than an A4 page in headless Chromium, every
table column in the print PDF).

Built from a synthetic cohort of a few hundred trajectories (tests/test_annual_sections.py's
frame, with realistic mixes), so it runs in seconds without the DVC pipeline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from annual_cohort import cohort

from pipeline.reporting import annual, html, pdf
from pipeline.reporting.annual import ReferenceValue, ReportingParams, ReportParams
from pipeline.reporting.annual_report import build_document
from pipeline.reporting.document import Document, Table

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OPTIONS = {
    "ssd12": {"max_missing_per_subscale": 1},
    "eq5d5l": {"coefficients": "published"},
    "eq5d3l": {"value_set": "NL_2006_Lamers"},
    "rand36": {"method": "rand", "missing_rule": "half_scale"},
    "phq15": {"max_missing": 1},
}
WINDOWS = {
    "intake_before_days": 60,
    "intake_after_days": 30,
    "end_before_days": 60,
    "end_after_days": 30,
}
NORMS = {
    "ssd12_total": {
        "reliable_change": 8.2,
        "cutoff_value": 14.45,
        "cutoff": "c",
        "m_clin": 28.3,
        "m_func": 5.8,
        "note": "",
    }
}


@pytest.fixture(scope="module")
def document() -> Document:
    traj, scores = cohort()
    params = ReportParams(
        year=2024,
        previous_years=3,
        centre_name="Testcentrum",
        contact="kwaliteit@test.example",
        publication_date="2025-03-31",
        reference_values=(ReferenceValue("cqi_grade", 2019, 8.0, "eigen meting"),),
    )
    fig = annual.annual_figures(traj, scores, params, ReportingParams())
    return build_document(fig, score_options=OPTIONS, windows=WINDOWS, norms=NORMS)


def test_pdf_tagged_embedded_fonts_and_byte_identical(document: Document, tmp_path: Path) -> None:
    first = pdf.render(document)
    assert first == pdf.render(document)
    assert first.startswith(b"%PDF-")
    assert b"StructTreeRoot" in first and b"MarkInfo" in first  # tagged
    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(first)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    assert "Page size:       595.276 x 841.89" in info  # A4
    assert "Title:           Kwaliteitsjaarverslag 2024" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = [r for r in fonts.splitlines()[2:] if r.strip()]
    assert rows and all("DejaVuSans" in r and " yes " in r for r in rows), fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "31 maart 2025" in text and "Kernpunten" in text and "Testcentrum" in text
    assert "2024-12-31" not in text


def test_html_contents_and_byte_identical(document: Document) -> None:
    page = html.render(document)
    assert page == html.render(document)
    assert '<nav class="toc"' in page
    for anchor in (
        "kernpunten",
        "over",
        "clienten",
        "stroom",
        "respons",
        "uitkomsten",
        "betrouwbaar",
        "clientervaring",
        "werkwijze",
    ):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert "@media print" in page and "size: A4" in page
    assert 'src="data:image/svg+xml;base64,' in page  # vector figures


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed (CI installs it)")
def test_print_layout_in_chromium(document: Document, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_html = html.render(document)
    tables = [b for b in document.blocks if isinstance(b, Table)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(page_html, wait_until="load")
            page.emulate_media(media="print")
            # A4 minus the print margins of report.css (16 mm each side) at 96 px per inch.
            width = int((210 - 32) / 25.4 * 96)
            page.set_viewport_size({"width": width, "height": 1100})
            overflow = page.evaluate(
                """(w) => Array.from(document.querySelectorAll('table')).map(t => ({
                    caption: t.caption ? t.caption.textContent : '',
                    right: t.getBoundingClientRect().right,
                    scroll: t.scrollWidth, client: t.clientWidth, w: w}))""",
                width,
            )
            assert len(overflow) == len(tables)
            for t in overflow:
                assert t["right"] <= width + 1 and t["scroll"] <= t["client"] + 1, t
            pdf_bytes = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    path = tmp_path / "print.pdf"
    path.write_bytes(pdf_bytes)
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    words = set(re.findall(r"[\w%\u2212,.()\-]+", text))
    for table in tables:
        for header in table.header:
            for word in re.findall(r"[\w%\u2212,.()\-]+", header):
                assert word in words, (table.caption, header)
        last = table.rows[0][-1]
        for word in re.findall(r"[\w%\u2212,.()\-]+", last):
            assert word in words, (table.caption, last)


def test_figures_are_vector_with_dutch_numbers(document: Document) -> None:
    import base64

    page = html.render(document)
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    figures = [b for b in document.blocks if b.__class__.__name__ == "FigureBlock"]
    assert len(uris) == len(figures) >= 5
    for uri in uris:
        svg = base64.b64decode(uri).decode("utf-8")
        assert "<image" not in svg  # no embedded raster
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert texts, "text kept as text"
        assert not [t for t in texts if re.search(r"\d\.\d", t)], texts  # decimal comma only
    forest = base64.b64decode(uris[1]).decode("utf-8")
    assert "0,2" in forest or "0,4" in forest
