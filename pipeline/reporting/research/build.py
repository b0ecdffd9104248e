"""The research report assembled: sections in paper order, numbered, with the TRIPOD+AI
checklist, rendered by the same engine as the annual report (HTML and Typst PDF).

Order: title, contents, summary, introduction, methods, results (participants, the predictor
tables, course during treatment, time to event, prediction models), discussion, declarations,
references, appendices (TRIPOD+AI checklist, further model outputs, reproducibility).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.reporting.document import (
    Block,
    Contents,
    Document,
    Heading,
    PageBreak,
    Paragraph,
    Title,
)
from pipeline.reporting.research import (
    appendix,
    discussion,
    introduction,
    methods,
    mixed,
    numbering,
    participants,
    prediction,
    predictors,
    survival,
    tripod,
)
from pipeline.reporting.research.common import Inputs, Part
from pipeline.reporting.research.participants import export_date
from pipeline.reporting.research.references import REFERENCES

DEFAULT_TITLE = (
    "Baseline predictors of treatment success in specialist care for persistent somatic "
    "symptoms: development and internal validation of prediction models in a routine outcome "
    "monitoring cohort"
)
#: Marks where the reference list goes until the citations are numbered.
_REFERENCES_HERE = "\u0000references\u0000"


def _long_date(value: object) -> str:
    import pandas as pd

    day = pd.Timestamp(str(value))
    return f"{day.day} {day.strftime('%B')} {day.year}"


def sections(inp: Inputs, versions: Mapping[str, str] | None = None) -> list[Part]:
    """Every section's part, in print order (before numbering)."""
    versions = versions or {}
    results: list[Part] = [
        Part([Heading("Results", 2, "results")]),
        participants.flow_part(inp),
        participants.table1_part(inp),
        predictors.predictor_part(inp),
        mixed.mixed_part(inp),
        survival.survival_part(inp),
        prediction.prediction_part(inp),
    ]
    return [
        discussion.summary_part(inp),
        introduction.introduction_part(inp),
        methods.methods_part(inp, versions),
        *results,
        discussion.discussion_part(inp),
        introduction.declarations_part(inp),
    ]


def headings(blocks: Sequence[Block]) -> dict[str, str]:
    """Anchor -> where it is in words: the heading text, after its section for a subsection
    ("Methods: Participants"), and "Title" for the title."""
    out: dict[str, str] = {}
    section = ""
    for b in blocks:
        if isinstance(b, Heading):
            if b.level <= 2:
                section = b.text
            if b.anchor:
                out[b.anchor] = b.text if b.level <= 2 or not section else f"{section}: {b.text}"
        if isinstance(b, Title) and b.anchor:
            out[b.anchor] = "Title"
    return out


def build_document(inp: Inputs, versions: Mapping[str, str] | None = None) -> Document:
    """The research report as one document (English), numbered and cross-referenced."""
    research = inp.report.research
    title = research.title or DEFAULT_TITLE
    day = export_date(inp)
    subtitle_parts = []
    if research.authors:
        subtitle_parts.append(research.authors)
    subtitle_parts.append(
        "Research report generated from the routine outcome monitoring data"
        + (f" up to {_long_date(day)}" if day is not None else "")
    )
    parts = sections(inp, versions)
    body: list[Block] = [b for p in parts for b in p.blocks]
    items: dict[str, str] = {"1": "title"}
    for p in parts:
        for k, v in p.items.items():
            items.setdefault(k, v)
    extra = appendix.extra_part(inp)
    reproducibility = appendix.reproducibility_part(inp)
    blocks: list[Block] = [
        Title(
            title,
            subtitle=". ".join(subtitle_parts) + ".",
            kicker=inp.report.centre_name,
            anchor="title",
        ),  # fmt: skip
        Contents("Contents", depth=3),
        PageBreak(),
        *body,
        Heading("References", 2, "references"),
        Paragraph(_REFERENCES_HERE),
    ]
    anchors = headings(blocks + extra.blocks + reproducibility.blocks)
    blocks.extend(tripod.checklist_part(items, anchors))
    blocks.extend(extra.blocks)
    blocks.extend(reproducibility.blocks)
    numbered, numbers = numbering.number(blocks, REFERENCES)
    ref_list = numbering.reference_list(numbers, REFERENCES)
    final = numbering.with_widths(
        [
            ref_list if isinstance(b, Paragraph) and b.text == _REFERENCES_HERE else b
            for b in numbered
        ]
    )
    date = inp.report.publication_date or (
        day.date().isoformat() if day is not None else "2000-01-01"
    )
    return Document(
        lang="en",
        title=title,
        blocks=final,
        footer=f"{inp.report.centre_name} \u00b7 Research report",
        date=date,
        author=research.authors or inp.report.centre_name,
    )


def build_record(provenance: Sequence[Block], inp: Inputs) -> Document:
    """The technical record beside the research report (DVC hashes, parameters, versions)."""
    day = export_date(inp)
    return Document(
        lang="en",
        title="Technical record of the research report",
        blocks=[
            Title(
                "Technical record of the research report",
                subtitle="What the research report rests on: data hashes, code, parameters "
                "and package versions.",
                kicker=inp.report.centre_name,
            ),
            *provenance,
        ],
        date=inp.report.publication_date
        or (day.date().isoformat() if day is not None else "2000-01-01"),
        author=inp.report.centre_name,
    )
