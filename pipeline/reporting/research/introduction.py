"""Introduction (TRIPOD+AI 3a-3c, 4) and the declarations (17, 18a-f, 19).

The background paragraph states the clinical context and the centre's research question; what
the pipeline cannot know (references to existing models, known health inequalities, ethics,
funding, conflicts of interest, protocol, registration, data and code sharing, patient and
public involvement) comes from ``report.research`` in ``params.yaml``. An item whose text is not
given is not claimed: the report says it is not reported and the checklist marks it so.
"""

from __future__ import annotations

from pipeline.reporting.document import Block, DefinitionList, Heading, Paragraph
from pipeline.reporting.research.common import Inputs, Part, join_en, lower
from pipeline.reporting.research.outcomes import model_name, prediction_outcome

#: Declarations: (params field, heading, TRIPOD+AI item).
DECLARATIONS: tuple[tuple[str, str, str], ...] = (
    ("ethics", "Ethical approval and consent", "17"),
    ("funding", "Funding", "18a"),
    ("conflicts_of_interest", "Conflicts of interest", "18b"),
    ("protocol", "Protocol", "18c"),
    ("registration", "Registration", "18d"),
    ("data_sharing", "Data sharing", "18e"),
    ("code_sharing", "Code sharing", "18f"),
    ("patient_involvement", "Patient and public involvement", "19"),
)
NOT_REPORTED = "Not reported (no statement in the report settings)."


def introduction_part(inp: Inputs) -> Part:
    """Background, target population and intended use, objectives."""
    research = inp.report.research
    background = (
        "Persistent somatic symptoms (PSS) \u2014 bodily symptoms that last, cause distress and "
        "impairment, and are not, or not fully, explained by a somatic disease \u2014 are common "
        "across medical settings, and a minority of patients is referred to specialist mental "
        "health care [@lowe_2022]. Treatment there aims at reducing the psychological burden of "
        "the symptoms (their thoughts, feelings and behaviours, measured by the SSD-12 [@ssd12]) "
        "and at better functioning and quality of life. Not every patient benefits, and "
        "comorbid conditions such as autism spectrum disorder, personality disorder, "
        "post-traumatic stress disorder or opioid dependence are thought to slow or prevent "
        "improvement; knowing which baseline factors predict success would help to inform "
        "patients at intake, to adapt treatment and to plan care. The centre's routine outcome "
        "monitoring makes this question answerable from its own data."
    )
    blocks: list[Block] = [
        Heading("Introduction", 2, "introduction"),
        Paragraph(background),
    ]
    items = {"3a": "introduction"} if research.background else {}
    if research.background:
        blocks.append(Paragraph(research.background))
    blocks.append(
        Paragraph(
            "The target population is adults who start specialist treatment for PSS. The "
            "prediction models are developed for research: to find which baseline factors are "
            "associated with treatment success and how well success can be predicted at intake; "
            "they are not (yet) intended for decisions about individual patients. Their "
            "intended users are researchers and the clinicians of the centre."
        )
    )
    items["3b"] = "introduction"
    if research.health_inequalities:
        blocks.append(Paragraph(research.health_inequalities))
        items["3c"] = "introduction"
    primary = inp.model(inp.report.primary_model) if inp.report.primary_model else None
    aim = (
        "We aimed to estimate which baseline factors, comorbidities above all, are associated "
        "with treatment success and with the course of symptoms, functioning and quality of "
        "life during treatment, with drop-out and with re-entry; and to develop and internally "
        "validate models that predict treatment success at intake"
    )
    if primary is not None and primary.fitted:
        outcome = prediction_outcome(primary, inp.entry(primary.name))
        aim += (
            f", the {lower(model_name(primary))} of {outcome.name} being the pre-specified "
            "primary model"
        )
    aim += (
        ". This is a development study with internal validation; no external validation was done."
    )
    blocks.append(Heading("Objectives", 3, "objectives"))
    blocks.append(Paragraph(aim))
    items["4"] = "objectives"
    return Part(blocks, items)


def declarations_part(inp: Inputs) -> Part:
    """Ethics, open science and patient involvement, from ``report.research``."""
    research = inp.report.research
    entries = []
    items: dict[str, str] = {}
    for field, heading, item in DECLARATIONS:
        text = getattr(research, field)
        entries.append((heading, text if text else NOT_REPORTED))
        if text:
            items[item] = "declarations"
    blocks: list[Block] = [Heading("Declarations", 2, "declarations")]
    if not research.ethics:
        blocks.append(
            Paragraph(
                "The analyses use pseudonymised data of clients who consented to research use "
                "of their data; the report settings hold no statement on ethical review."
            )
        )
    blocks.append(DefinitionList(tuple(entries)))
    return Part(blocks, items)


def missing_declarations(inp: Inputs) -> list[str]:
    """The declarations the settings do not give (named in the limitations)."""
    research = inp.report.research
    return [heading.lower() for field, heading, _ in DECLARATIONS if not getattr(research, field)]


__all__ = ["introduction_part", "declarations_part", "missing_declarations", "join_en"]
