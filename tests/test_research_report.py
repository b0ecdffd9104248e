"""The research report as a paper: checklist, labels, suppression, the predictor table, each
section on small frames, and the rendering (byte-identical HTML and tagged PDF, the print layout
in headless Chromium).

Built from a small fitted cohort (``tests/research_cohort.py``: simulated inputs, one small
entry of every model type, fitted by the fit stage's own function), so it runs without the
DVC pipeline. ``tests/test_report.py`` checks the same on the reproduced project.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import research_cohort as rc

from pipeline.errors import ParamsError
from pipeline.reporting import html, pdf
from pipeline.reporting.annual import ReportParams, ResearchParams
from pipeline.reporting.document import (
    BulletList,
    DefinitionList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
    Title,
)
from pipeline.reporting.labels import LABELS, term_label
from pipeline.reporting.research import (
    build_document,
    common,
    participants,
    prediction,
    predictors,
    survival,
    tripod,
)
from pipeline.reporting.research import mixed as mixed_section

# TRIPOD+AI checklist: item numbers and topics as in Collins GS, Moons KGM, Dhiman P, et al.
# TRIPOD+AI statement: updated guidance for reporting clinical prediction models that use
# regression or machine learning methods. BMJ 2024;385:e078378 (Table 1 of the statement).
TRIPOD_AI: tuple[tuple[str, str], ...] = (
    ("1", "Title"),
    ("2", "Abstract"),
    ("3a", "Background"),
    ("3b", "Background"),
    ("3c", "Background"),
    ("4", "Objectives"),
    ("5a", "Data"),
    ("5b", "Data"),
    ("6a", "Participants"),
    ("6b", "Participants"),
    ("6c", "Participants"),
    ("7", "Data preparation"),
    ("8a", "Outcome"),
    ("8b", "Outcome"),
    ("8c", "Outcome"),
    ("9a", "Predictors"),
    ("9b", "Predictors"),
    ("9c", "Predictors"),
    ("10", "Sample size"),
    ("11", "Missing data"),
    ("12a", "Analytical methods"),
    ("12b", "Analytical methods"),
    ("12c", "Analytical methods"),
    ("12d", "Analytical methods"),
    ("12e", "Analytical methods"),
    ("12f", "Analytical methods"),
    ("12g", "Analytical methods"),
    ("13", "Class imbalance"),
    ("14", "Fairness"),
    ("15", "Model output"),
    ("16", "Training versus evaluation"),
    ("17", "Ethical approval"),
    ("18a", "Funding"),
    ("18b", "Conflicts of interest"),
    ("18c", "Protocol"),
    ("18d", "Registration"),
    ("18e", "Data sharing"),
    ("18f", "Code sharing"),
    ("19", "Patient and public involvement"),
    ("20a", "Participants"),
    ("20b", "Participants"),
    ("20c", "Participants"),
    ("21", "Model development"),
    ("22", "Model specification"),
    ("23a", "Model performance"),
    ("23b", "Model performance"),
    ("24", "Model updating"),
    ("25", "Interpretation"),
    ("26", "Limitations"),
    ("27a", "Usability of the model in the context of current care"),
    ("27b", "Usability of the model in the context of current care"),
    ("27c", "Usability of the model in the context of current care"),
)
#: Items only the report settings can give (never reported without them).
FROM_SETTINGS = ("3c", "17", "18a", "18b", "18c", "18d", "18e", "18f", "19")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def cohort() -> tuple[object, list[common.ModelOutput]]:
    data = rc.research_inputs()
    return data, rc.fit_models(data)


@pytest.fixture(scope="module")
def inputs(cohort: tuple[object, list[common.ModelOutput]]) -> common.Inputs:
    data, models = cohort
    return rc.report_inputs(data, models)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def document(inputs: common.Inputs) -> Document:
    return build_document(inputs, {"python": "3.11.7", "numpy": "2.0"})


def _tables(document: Document) -> list[Table]:
    return [b for b in document.blocks if isinstance(b, Table)]


def _text(document: Document) -> str:
    parts: list[str] = []
    for b in document.blocks:
        if isinstance(b, Paragraph | Heading):
            parts.append(b.text)
        elif isinstance(b, Title):
            parts += [b.text, b.subtitle, b.kicker]
        elif isinstance(b, BulletList):
            parts += list(b.items)
        elif isinstance(b, DefinitionList):
            parts += [t for pair in b.items for t in pair]
        elif isinstance(b, Table):
            parts += [b.caption, b.note, *b.header, *(c for r in b.rows for c in r)]
        elif isinstance(b, FigureBlock):
            parts += [b.caption, b.alt]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# TRIPOD+AI checklist


def test_checklist_items_follow_the_statement(document: Document) -> None:
    ours = [(item, topic) for item, _, topic in tripod.ITEMS]
    assert [i for i, _ in ours] == [i for i, _ in TRIPOD_AI]
    for (item, topic), (_, expected) in zip(ours, TRIPOD_AI, strict=True):
        section = next(s for i, s, _ in tripod.ITEMS if i == item)
        assert topic.startswith(expected) or section == expected, (item, topic, expected)
    (table,) = [t for t in _tables(document) if t.anchor == "tripod-checklist"]
    assert [r[0] for r in table.rows] == [i for i, _ in TRIPOD_AI]


def test_checklist_links_every_reported_item_to_an_existing_heading(document: Document) -> None:
    page = html.render(document)
    ids = set(re.findall(r'id="([^"]+)"', page))
    (table,) = [t for t in _tables(document) if t.anchor == "tripod-checklist"]
    for row, links in zip(table.rows, table.links, strict=True):
        state, anchor = row[3], links[4]
        if state == tripod.NOT_REPORTED:
            assert anchor == "" and row[4] == ""
        else:
            assert anchor in ids, row
            assert f'href="#{anchor}"' in page


def test_statements_are_not_reported_unless_the_settings_give_them(
    inputs: common.Inputs,
) -> None:
    bare = build_document(inputs)
    (table,) = [t for t in _tables(bare) if t.anchor == "tripod-checklist"]
    state = {r[0]: r[3] for r in table.rows}
    for item in FROM_SETTINGS:
        assert state[item] == tripod.NOT_REPORTED, item
    research = ResearchParams(
        health_inequalities="Women are referred more often.",
        ethics="The medical ethics committee waived review (W00.000).",
        funding="None.",
        conflicts_of_interest="None declared.",
        protocol="No protocol was prepared.",
        registration="Not registered.",
        data_sharing="Data are not shared (routine care).",
        code_sharing="The pipeline's code is available on request.",
        patient_involvement="No patients were involved.",
    )
    full = build_document(
        dataclasses.replace(inputs, report=dataclasses.replace(inputs.report, research=research))
    )
    (table,) = [t for t in _tables(full) if t.anchor == "tripod-checklist"]
    state = {r[0]: r[3] for r in table.rows}
    for item in FROM_SETTINGS:
        assert state[item] == tripod.REPORTED, item
    assert "The medical ethics committee waived review (W00.000)." in _text(full)


def test_an_item_is_reported_only_when_its_section_is_there(inputs: common.Inputs) -> None:
    no_prediction = dataclasses.replace(
        inputs, models=[m for m in inputs.models if m.family != "prediction"], report=ReportParams()
    )
    doc = build_document(no_prediction)
    (table,) = [t for t in _tables(doc) if t.anchor == "tripod-checklist"]
    state = {r[0]: r[3] for r in table.rows}
    for item in ("12a", "12c", "12e", "13", "15", "21", "22", "23a"):
        assert state[item] == tripod.NOT_REPORTED, item


# ---------------------------------------------------------------------------------------------
# Labels


RAW = re.compile(r"\b(?:comorbid|rand36|eq5d5l|ssd12|phq15|eq5d)_[a-z_]+|\[T\.|\bUsable: |<= -")


def test_every_term_and_variable_has_a_label(inputs: common.Inputs) -> None:
    for m in inputs.models:
        refs = dict(m.metrics.get("reference_levels") or {})
        assert m.coefficients is not None
        for t in m.coefficients["term"].astype(str):
            if "[" in t and not t.startswith("importance[") and "[T." not in t:
                continue  # Kaplan-Meier and cumulative incidence estimates: not model terms
            assert term_label(t, "en", refs) and term_label(t, "nl", refs)
        for column in m.metrics.get("predictors") or []:
            assert column in LABELS
    for column in inputs.trajectories.columns:
        if column.startswith(("tx_", "comorbid_", "response_")) or column in (
            "cfs",
            "sex",
            "diagnosis",
        ):
            if column.startswith("response_"):
                continue
            assert column in LABELS, column


def test_no_raw_names_or_machine_phrases_in_the_report(document: Document) -> None:
    text = _text(document)
    # File pointers name entries and CSVs; everything else must be labelled.
    scrubbed = re.sub(
        r"data/models/\S+|\b[a-z0-9]+(?:_[a-z0-9]+)+(?=[,)]| \(data| and [a-z0-9_]+ \(data)",
        "",
        text,
    )
    hits = RAW.findall(scrubbed)
    assert not hits, sorted(set(hits))[:10]
    for metric in ("scaled_brier", "calibration_slope", " auc ", " r2 ", "nested_cv", "client_key"):
        assert metric not in text


# ---------------------------------------------------------------------------------------------
# Suppression


def _numbers(cell: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"(?<![\d.])\d[\d,]*(?:\.\d+)?", cell)]


def test_no_count_below_min_n_is_printed(inputs: common.Inputs) -> None:
    min_n = 25  # large for this cohort, so that many cells must be hidden
    doc = build_document(dataclasses.replace(inputs, min_n=min_n))
    count_headers = re.compile(r"^(All ended|Completers|Non-completers|Trajectories|Events)")
    checked = 0
    for table in _tables(doc):
        # Table 1: the count rows are "Trajectories, n" and the levels under an "n (%)" row.
        counted = []
        group = ""
        for row in table.rows:
            if not row[0].startswith(" "):
                group = row[0]
            if (
                table.anchor != "table1"
                or row[0] == "Trajectories, n"
                or (row[0].startswith(" ") and group.endswith("n (%)"))
            ):
                counted.append(row)
        for j, header in enumerate(table.header):
            if not count_headers.match(header):
                continue
            for row in counted:
                cell = row[j]
                if not cell or cell.startswith("n <") or cell == "\u2013":
                    continue
                first = _numbers(cell)[0]
                assert first >= min_n, (table.caption, row[0], cell)
                checked += 1
        for row in table.rows:
            if row[0] == "Number at risk":
                for cell in row[1:]:
                    assert cell.startswith("n <") or cell == "\u2013" or _numbers(cell)[0] >= min_n
    assert checked > 10
    (flow,) = [b for b in doc.blocks if isinstance(b, FigureBlock) and b.anchor == "flow"]
    for n in re.findall(r"(?:n = |: )(\d[\d,]*)", flow.alt):
        assert int(n.replace(",", "")) >= min_n, flow.alt
    assert "n < 25" in flow.alt


def test_curves_stop_and_risk_numbers_hide_below_min_n() -> None:
    frame = pd.DataFrame(
        {
            "time": [0.0, 0.5, 1.0, 1.5, 2.0],
            "n_at_risk": [40, 30, 12, 9, 3],
            "survival": [1.0, 0.9, 0.8, 0.7, 0.6],
            "ci_low": [np.nan, 0.8, 0.7, 0.6, 0.5],
            "ci_high": [np.nan, 1.0, 0.9, 0.8, 0.7],
            "n_censored": [0, 1, 0, 2, 1],
        }
    )
    cut = survival._cut(frame, 10)
    assert cut["time"].max() == 1.0 and cut["n_at_risk"].min() >= 10
    risk = survival._risk_text(frame, 2.0, 10)
    assert list(risk["text"]) == ["40", "30", "12"]


def test_subgroup_performance_only_with_min_n_events(inputs: common.Inputs) -> None:
    outcome_models = [
        m for m in inputs.models if m.name in ("improvement_logistic", "improvement_hgb")
    ]
    m0 = outcome_models[0]
    outcome = prediction.prediction_outcome(m0, inputs.entry(m0.name))
    table, left_out = prediction.subgroup_table(inputs, outcome, outcome_models, "x")
    sub = m0.tables["subgroups"]
    auc = sub[sub["measure"] == "auc"]
    ok = auc[(auc["n"] >= 10) & (auc["events"] >= 10) & (auc["n"] - auc["events"] >= 10)]
    if table is None:
        assert ok.empty
        return
    assert len(table.rows) <= len(ok) and left_out >= len(auc) - len(ok)
    for row in table.rows:
        assert int(row[1]) >= 10 and int(row[2]) >= 10


# ---------------------------------------------------------------------------------------------
# The predictor table


def test_predictor_table_equals_the_coefficients(inputs: common.Inputs) -> None:
    cols, _ = predictors.columns(inputs)
    rows = predictors.rows(cols)
    assert {c.kind for c in cols} >= {"or", "hr", "coef", "importance", "interaction"}
    compared = 0
    for c in cols:
        coef = c.model.coefficients
        assert coef is not None
        by_term = coef.set_index(coef["term"].astype(str))
        for r in rows:
            printed = predictors.cell(c, r)
            if printed in ("", "\u2013"):
                continue
            if c.kind == "or":
                t = by_term.loc[r.key]
                expected = [math.exp(t["estimate"])] + [
                    math.exp(t[k]) for k in ("ci_low", "ci_high") if np.isfinite(t[k])
                ]
            elif c.kind == "hr":
                t = by_term.loc[f"{c.cause}:{r.key}" if c.cause else r.key]
                expected = [t["hazard_ratio"], t["hr_ci_low"], t["hr_ci_high"]]
            elif c.kind == "importance":
                t = by_term.loc[f"importance[{r.key}]"]
                expected = [t["estimate"], t["ci_low"], t["ci_high"]]
            elif c.kind == "interaction":
                t = by_term.loc[f"years:{r.key}"]
                expected = [t["estimate"], t["ci_low"], t["ci_high"]]
            else:
                t = by_term.loc[r.key]
                expected = [t["estimate"], t["ci_low"], t["ci_high"]]
            shown = [
                float(x.replace("\u2212", "-").replace(",", ""))
                for x in re.findall(r"\u2212?\d[\d,]*\.\d+", printed)
            ]
            digits = c.digits(r.key)
            assert len(shown) == len(expected), (c.key, r.key, printed)
            for a, b in zip(shown, expected, strict=True):
                assert a == pytest.approx(b, abs=0.51 * 10**-digits), (c.key, r.key, printed)
            compared += 1
    assert compared > 40


def test_identical_cox_models_are_shown_once(inputs: common.Inputs) -> None:
    cols, _ = predictors.columns(inputs)
    names = [c.model.name for c in cols]
    assert "improvement_cs_cox" in names and "improvement_cox" not in names


# ---------------------------------------------------------------------------------------------
# Sections on small frames


def test_flow_counts_and_table1_smd(inputs: common.Inputs) -> None:
    t = inputs.trajectories
    counts = participants.flow_counts(inputs)
    consent = t[t["research_consent"] == 1]
    done = consent[consent["status"] == "ended"]
    assert counts["consent"] == len(consent) and counts["ended"] == len(done)
    assert counts["completers"] == int((done["response_ssd12"] == "completer").sum())
    part = participants.table1_part(inputs)
    (table,) = [b for b in part.blocks if isinstance(b, Table)]
    row = next(r for r in table.rows if r[0].startswith("Age at start"))
    comp = done[done["response_ssd12"] == "completer"]["age_at_start"].astype(float)
    non = done[done["response_ssd12"] != "completer"]["age_at_start"].astype(float)
    expected = (comp.mean() - non.mean()) / math.sqrt((comp.var() + non.var()) / 2)
    assert row[-1] == common.num(expected, 2)
    assert part.items["20b"] == "participants"


def test_mixed_predictions_equal_the_fixed_effects(inputs: common.Inputs) -> None:
    m = inputs.model("ssd12_mixed")
    assert m is not None and m.usable
    frame = mixed_section.analysis_frame(inputs, m)
    assert frame is not None
    grid = np.array([0.0, 1.0])
    lines = mixed_section.predicted(inputs, m, frame, "comorbid_asd", grid)
    assert lines is not None
    coef = m.coefficients.set_index("term")["estimate"]  # type: ignore[union-attr]
    first = frame.drop_duplicates("trajectory_key")
    for key, flag in (("without", 0), ("with", 1)):
        group = first[first["comorbid_asd"].astype(float) == flag]
        sex = {lev: float((group["sex"] == lev).mean()) for lev in ("m", "x")}
        at0 = (
            coef["Intercept"]
            + sum(
                coef[c] * float(group[c].astype(float).mean())
                for c in (
                    "comorbid_asd",
                    "comorbid_ptsd",
                    "comorbid_personality",
                    "comorbid_depression",
                )
            )
            + coef["age_at_start"] * float(group["age_at_start"].astype(float).mean())
        )
        at0 += sum(coef.get(f"sex[T.{lev}]", 0.0) * share for lev, share in sex.items())
        slope = coef["years"] + sum(
            coef[f"years:{c}"] * float(group[c].astype(float).mean())
            for c in (
                "comorbid_asd",
                "comorbid_ptsd",
                "comorbid_personality",
                "comorbid_depression",
            )
        )
        assert lines[key]["mean"][0] == pytest.approx(at0, rel=1e-9)
        assert lines[key]["mean"][1] == pytest.approx(at0 + slope, rel=1e-9)
        assert (lines[key]["low"] < lines[key]["mean"]).all()


def test_survival_figures_split_by_the_strongest_or_the_named_factors() -> None:
    tests = pd.DataFrame(
        {"group": ["cfs", "comorbid_asd", "comorbid_opioid"], "p_value": [0.8, 0.001, 0.03]}
    )
    assert survival.strongest(tests, ()) == ["comorbid_asd", "comorbid_opioid"]
    assert survival.strongest(tests, ("cfs",)) == ["cfs"]


def test_reentry_is_timed_from_the_end_of_the_previous_trajectory() -> None:
    assert survival._origin("reentry") == "Years since the end of the previous trajectory"
    assert survival._origin("dropout") == "Years since the start of treatment"


def test_primary_model_named_and_shortfall_called_exploratory(inputs: common.Inputs) -> None:
    part = prediction.prediction_part(inputs)
    text = " ".join(b.text for b in part.blocks if isinstance(b, Paragraph))
    assert "The primary model, named before the analysis" in text
    assert "penalised (l2) logistic regression of reliable improvement" in text.lower()
    short = [m for m in inputs.family("prediction") if prediction.exploratory(m)]
    assert short and "exploratory" in text
    (dev,) = [
        b for b in part.blocks if isinstance(b, Table) and b.anchor == "prediction-development"
    ]
    for row in dev.rows:
        assert row[-1] in ("yes", "no: exploratory")
        if row[-1] != "yes":
            assert "(" in row[-2]  # the binding criterion is named
    headings = [b.text for b in part.blocks if isinstance(b, Heading)]
    assert "Prediction of reliable improvement on the SSD-12" in headings


def test_settings_are_checked() -> None:
    families = {"a": "prediction", "b": "mixed", "km": "survival"}
    entries = {"a": {}, "b": {}, "km": {"groups": ["comorbid_asd"]}}
    common.check_settings(ReportParams(primary_model="a"), entries, families)
    with pytest.raises(ParamsError, match="not an entry of models"):
        common.check_settings(ReportParams(primary_model="zz"), entries, families)
    with pytest.raises(ParamsError, match="a mixed model"):
        common.check_settings(ReportParams(primary_model="b"), entries, families)
    bad = ReportParams(research=ResearchParams(figure_factors=("comorbid_xyz",)))
    with pytest.raises(ParamsError, match="figure_factors"):
        common.check_settings(bad, entries, families)


def test_limitations_come_from_the_data(inputs: common.Inputs) -> None:
    from pipeline.reporting.research import discussion

    items = discussion.limitations(inputs)
    done = common.ended(inputs.trajectories)
    rate = float((done["response_ssd12"] == "completer").mean())
    assert any(f"{common.percent(rate, 1)} of the ended trajectories" in i for i in items)
    assert any("minimum sample size" in i for i in items)
    # A different cohort gives different limitations, not a fixed list.
    fewer = dataclasses.replace(inputs, models=[m for m in inputs.models if m.family == "mixed"])
    assert discussion.limitations(fewer) != items


def test_not_estimable_models_keep_their_place(inputs: common.Inputs) -> None:
    blocked = [
        dataclasses.replace(
            m,
            metrics={"estimable": False, "reason": "no events among 3"},
            coefficients=m.coefficients.iloc[0:0],
            tables={},
        )  # fmt: skip
        if m.name in ("improvement_cs_cox", "ssd12_mixed", "improvement_hgb")
        else m
        for m in inputs.models
    ]
    doc = build_document(dataclasses.replace(inputs, models=blocked))
    text = _text(doc)
    assert text.count("not estimable: no events among 3") >= 3


# ---------------------------------------------------------------------------------------------
# Rendering


def test_html_and_pdf_byte_identical_tagged_with_fonts(document: Document, tmp_path: Path) -> None:
    page = html.render(document)
    assert page == html.render(document)
    assert '<nav class="toc"' in page and "@media print" in page
    for anchor in (
        "summary",
        "introduction",
        "methods",
        "results",
        "discussion",
        "references",
        "tripod",
    ):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    svgs = re.findall(r'src="data:image/svg\+xml;base64,', page)
    assert len(svgs) == sum(isinstance(b, FigureBlock) for b in document.blocks) >= 5
    first = pdf.render(document)
    assert first == pdf.render(document)
    assert b"StructTreeRoot" in first
    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(first)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = [r for r in fonts.splitlines()[2:] if r.strip()]
    assert rows and all("DejaVuSans" in r and " yes " in r for r in rows), fonts
    # Figures are vector: no embedded raster image in the PDF.
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True
    ).stdout
    assert len([r for r in images.splitlines()[2:] if r.strip()]) == 0


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed (CI installs it)")
def test_print_layout_in_chromium(document: Document, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_html = html.render(document)
    tables = _tables(document)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(page_html, wait_until="load")
            page.emulate_media(media="print")
            width = int((210 - 32) / 25.4 * 96)
            page.set_viewport_size({"width": width, "height": 1100})
            boxes = page.evaluate(
                """() => Array.from(document.querySelectorAll('table')).map(t => ({
                    right: t.getBoundingClientRect().right,
                    scroll: t.scrollWidth, client: t.clientWidth}))"""
            )
            assert len(boxes) == len(tables)
            for box in boxes:
                assert box["right"] <= width + 1 and box["scroll"] <= box["client"] + 1, box
            printed = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    path = tmp_path / "print.pdf"
    path.write_bytes(printed)
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    # Headers may wrap at their hyphens (the text extraction then drops or keeps the hyphen).
    text = re.sub(r"-\s*\n\s*", "", text).replace("-", "")
    words = set(re.findall(r"[\w%\u2212,.()]+", text))
    for table in tables:
        for header in table.header:
            for word in re.findall(r"[\w%\u2212,.()]+", header.replace("-", "")):
                assert word in words, (table.caption, header)
