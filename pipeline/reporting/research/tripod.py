"""The TRIPOD+AI checklist of the research report.

Items and topics as numbered in the statement (Collins GS, Moons KGM, Dhiman P, et al.
TRIPOD+AI statement: updated guidance for reporting clinical prediction models that use
regression or machine learning methods. BMJ 2024;385:e078378). Each item links to the section
that reports it; an item no section reports reads "Not reported". Sections say which items
they report (:class:`~pipeline.reporting.research.common.Part`); nothing here claims an item
on its own, except that the title (1) and the structured summary (2) are always there.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.reporting.document import Block, Heading, Paragraph, Table

#: (item, section, topic) in the statement's order.
ITEMS: tuple[tuple[str, str, str], ...] = (
    ("1", "Title", "Title"),
    ("2", "Abstract", "Abstract"),
    ("3a", "Introduction", "Background: healthcare context and rationale"),
    ("3b", "Introduction", "Background: target population and intended purpose"),
    ("3c", "Introduction", "Background: known health inequalities"),
    ("4", "Introduction", "Objectives"),
    ("5a", "Methods", "Data: sources"),
    ("5b", "Methods", "Data: dates"),
    ("6a", "Methods", "Participants: setting"),
    ("6b", "Methods", "Participants: eligibility criteria"),
    ("6c", "Methods", "Participants: treatments received"),
    ("7", "Methods", "Data preparation"),
    ("8a", "Methods", "Outcome: definition and time horizon"),
    ("8b", "Methods", "Outcome: subjective assessment"),
    ("8c", "Methods", "Outcome: blinding"),
    ("9a", "Methods", "Predictors: choice"),
    ("9b", "Methods", "Predictors: definition and measurement"),
    ("9c", "Methods", "Predictors: subjective assessment"),
    ("10", "Methods", "Sample size"),
    ("11", "Methods", "Missing data"),
    ("12a", "Methods", "Analytical methods: data use and partitioning"),
    ("12b", "Methods", "Analytical methods: predictor handling"),
    ("12c", "Methods", "Analytical methods: model type, building, tuning, internal validation"),
    ("12d", "Methods", "Analytical methods: heterogeneity across clusters"),
    ("12e", "Methods", "Analytical methods: performance measures"),
    ("12f", "Methods", "Analytical methods: model updating"),
    ("12g", "Methods", "Analytical methods: how predictions were calculated"),
    ("13", "Methods", "Class imbalance"),
    ("14", "Methods", "Fairness"),
    ("15", "Methods", "Model output"),
    ("16", "Methods", "Training versus evaluation"),
    ("17", "Methods", "Ethical approval"),
    ("18a", "Open science", "Funding"),
    ("18b", "Open science", "Conflicts of interest"),
    ("18c", "Open science", "Protocol"),
    ("18d", "Open science", "Registration"),
    ("18e", "Open science", "Data sharing"),
    ("18f", "Open science", "Code sharing"),
    ("19", "Patient and public involvement", "Patient and public involvement"),
    ("20a", "Results", "Participants: flow"),
    ("20b", "Results", "Participants: characteristics"),
    ("20c", "Results", "Participants: comparison with the development data"),
    ("21", "Results", "Model development: participants and events per analysis"),
    ("22", "Results", "Model specification"),
    ("23a", "Results", "Model performance, with confidence intervals, including subgroups"),
    ("23b", "Results", "Model performance: heterogeneity across clusters"),
    ("24", "Results", "Model updating"),
    ("25", "Discussion", "Interpretation"),
    ("26", "Discussion", "Limitations"),
    (
        "27a",
        "Discussion",
        "Usability of the model in the context of current care: poor quality or unavailable input data",
    ),
    (
        "27b",
        "Discussion",
        "Usability of the model in the context of current care: user interaction and expertise",
    ),
    ("27c", "Discussion", "Usability of the model in the context of current care: next steps"),
)
#: Items that do not apply to this design, with the reason printed (and said in the text).
NOT_APPLICABLE: dict[str, tuple[str, str]] = {
    "20c": (
        "Internal validation only: the evaluation data are the development data.",
        "prediction-development-section",
    ),
    "23b": ("One centre: no clusters to compare.", "methods-clusters"),
    "24": (
        "No model updating (development and internal validation only).",
        "methods-prediction-performance",
    ),
}
REPORTED = "Reported"
NOT_REPORTED = "Not\u00a0reported"
APPLICABLE_NOT = "Not\u00a0applicable"


def status(
    items: Mapping[str, str], headings: Mapping[str, str]
) -> dict[str, tuple[str, str, str]]:
    """Per item: (status, where in words, anchor to link or ""). ``items`` maps items to the
    anchors of the sections that report them; ``headings`` maps anchors to heading texts."""
    out: dict[str, tuple[str, str, str]] = {}
    for item, _, _ in ITEMS:
        if item in items and items[item] in headings:
            anchor = items[item]
            out[item] = (REPORTED, headings[anchor], anchor)
        elif item in NOT_APPLICABLE and NOT_APPLICABLE[item][1] in headings:
            reason, anchor = NOT_APPLICABLE[item]
            out[item] = (APPLICABLE_NOT, reason, anchor)
        else:
            out[item] = (NOT_REPORTED, "", "")
    return out


def checklist_part(items: Mapping[str, str], headings: Mapping[str, str]) -> list[Block]:
    """The checklist as an appendix table, each reported item linked to its section."""
    found = status(items, headings)
    rows = []
    links = []
    for item, section, topic in ITEMS:
        state, where, anchor = found[item]
        rows.append((item, section, topic, state, where))
        links.append(("", "", "", "", anchor))
    reported = sum(1 for s, _, _ in found.values() if s == REPORTED)
    missing = [i for i, (s, _, _) in found.items() if s == NOT_REPORTED]
    return [
        Heading("Appendix A. TRIPOD+AI checklist", 2, "tripod"),
        Paragraph(
            f"{reported} of {len(ITEMS)} items are reported; "
            + (
                f"not reported: items {', '.join(missing)} (what the data cannot tell; they "
                "are filled in from the report settings when given)."
                if missing
                else "every item is reported or does not apply."
            )
            + " Items and topics as numbered in the TRIPOD+AI statement [@tripod_ai]."
        ),
        Table(
            caption="TRIPOD+AI checklist: where each item is reported",
            header=("Item", "Section", "Topic", "Status", "Where"),
            rows=tuple(rows),
            note="Where: the heading of the part of this report that gives the item (a link).",
            anchor="tripod-checklist",
            links=tuple(links),
            left=(1, 2, 3, 4),
        ),
    ]
