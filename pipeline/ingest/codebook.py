"""The codebook check: an export's answer labels against the instrument's answers, before scoring.

Where the export says what its answer codes mean (SPSS value labels of a ``.sav`` file, or the
codebook an export profile names, such as RoQua's), every item column with labels is checked
against the item's canonical answers (``pipeline.instruments.catalogue``) under the coding
the profile declares (none: the codes are read as they are):

1. every labelled code must be either declared missing (SPSS user-missing codes, the
   coding's ``missing``) or covered by the coding;
2. the answers the labelled codes give must lie within the item's answers: an SSD-12 labelled
   1..5 read without recoding gives 1..5, not 0..4, so a 1-based scale declared 0-based is
   refused here instead of scored one point too high;
3. for items with at most 7 answers, the labelled codes must give every answer (a codebook of
   another version of the questionnaire, or another questionnaire under the key);
4. a label recognised as an anchor of the scale (``nooit``/``never`` is SSD-12's 0) must give
   that answer.

A failure stops the run with one line naming the table, the item and what the coding gives;
it never names a patient value (codebook codes are the platform's, not a patient's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.errors import ExportError
from pipeline.instruments.catalogue import ANSWER_ANCHORS, ItemSpec

#: Items with at most this many answers must have every answer labelled (check 3).
FULL_SCALE_MAX_OPTIONS = 7


def check_codebooks(tables: Sequence[Any]) -> None:
    """Run the codebook check on every questionnaire table that carries value labels.

    Parameters
    ----------
    tables
        Prepared tables of :mod:`pipeline.ingest.tables` (``name``, ``contract``, ``labels``
        canonical name -> frame column, ``raw`` with ``labels``, ``missing_codes``,
        ``codings``).

    Raises
    ------
    ExportError
        The first item whose labelled codes do not fit its answers under the coding.
    """
    from pipeline.ingest.profile import code_text

    for table in tables:
        contract = table.contract
        if contract is None:
            continue
        items = [spec for spec in contract.columns if spec.kind == "item"]
        for column in items:
            label = table.labels.get(column.name)
            if label is None:
                continue
            labels = table.raw.labels.get(str(label))
            if not labels:
                continue
            spec = ItemSpec(column.name, int(column.low or 0), int(column.high or 0))
            missing = {code_text(v) for v in table.raw.missing_codes.get(str(label), ())}
            coding = table.raw.codings.get(column.name)
            problem = codebook_problem(spec, table.name, labels, missing, coding, code_text)
            if problem:
                raise ExportError(
                    f"{table.raw.source}: table {table.name}, item {column.name}: {problem}; "
                    "nothing was scored (codebook check, docs/input-checks.md)"
                )


def codebook_problem(
    spec: ItemSpec,
    instrument: str,
    labels: Mapping[Any, str],
    missing: set[str],
    coding: Any,
    code_text: Any,
) -> str | None:
    """What is wrong with one item's labelled codes under ``coding`` (``None``: nothing).

    Parameters
    ----------
    spec
        The item and its canonical answers.
    instrument
        Its instrument (for the anchors).
    labels
        Code -> label, as the codebook or the value labels give them.
    missing
        Normalised codes declared missing by the file (SPSS user-missing).
    coding
        The profile's :class:`~pipeline.ingest.profile.Coding` of the item, or ``None``.
    code_text
        :func:`pipeline.ingest.profile.code_text`.
    """
    missing = set(missing) | set(getattr(coding, "missing", ()) or ())
    described = coding.describe() if coding is not None else "no recoding"
    answers: dict[str, float] = {}
    uncovered: list[str] = []
    for code in labels:
        text = code_text(code)
        if text in missing:
            continue
        try:
            number = float(text)
        except ValueError:
            number = None
        if coding is None:
            value = number
        elif number is not None:
            value = coding.maps(number)
        else:
            value = (coding.values or {}).get(text)
        if value is None:
            uncovered.append(text)
        else:
            answers[text] = float(value)
    if uncovered:
        return (
            f"the codebook labels {len(uncovered)} code(s) ({_span(uncovered)}) that are neither "
            f"declared missing nor covered by the profile's coding ({described})"
        )
    if not answers:
        return None
    low, high = min(answers.values()), max(answers.values())
    codes = list(answers)
    outside = [c for c, v in answers.items() if not spec.low <= v <= spec.high]
    inside = {v for v in answers.values() if spec.low <= v <= spec.high}
    if outside and len(inside) == spec.high - spec.low + 1:
        return (
            f"the codebook labels code(s) {_span(outside)} that give answers outside the item's "
            f"answers {spec.low}–{spec.high} with the profile's coding ({described}): declare "
            "them missing in the coding (missing: [...]) or map them"
        )
    if low < spec.low or high > spec.high:
        shift = ""
        if high - low == spec.high - spec.low:
            shift = (
                f": a {low:g}-based scale read as "
                f"{spec.low}-based? (give the item a coding with offset {spec.low - low:+g})"
            )
        return (
            f"the codes the codebook labels ({_span(codes)}) give answers "
            f"{low:g}–{high:g} with the profile's coding ({described}), outside the item's "
            f"answers {spec.low}–{spec.high}{shift}"
        )
    options = spec.high - spec.low + 1
    if options <= FULL_SCALE_MAX_OPTIONS and len(answers) >= 2:
        reached = set(answers.values())
        unreached = [v for v in range(spec.low, spec.high + 1) if float(v) not in reached]
        if unreached:
            return (
                f"the codebook labels {len(set(answers.values()))} of the item's {options} "
                f"answers ({spec.low}–{spec.high}); none gives "
                f"{', '.join(str(v) for v in unreached)} (another version of the questionnaire?)"
            )
    anchors = ANSWER_ANCHORS.get(instrument, {}) if options <= FULL_SCALE_MAX_OPTIONS else {}
    for code, text in labels.items():
        key = code_text(code)
        if key not in answers:
            continue
        for answer, phrases in anchors.items():
            if _labels_as(str(text), phrases) and answers[key] != answer:
                return (
                    f"the option labelled as answer {answer} of the scale ('{phrases[0]}') "
                    f"gives {answers[key]:g} with the profile's coding ({described})"
                )
    return None


def _labels_as(label: str, phrases: tuple[str, ...]) -> bool:
    """Whether a label is (or contains, as whole words) one of the anchor phrases."""
    text = " ".join(re.sub(r"[^\w]+", " ", label.lower()).split())
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in phrases)


def _span(codes: list[str]) -> str:
    """``1–5`` for consecutive whole numbers, else the first few codes."""
    try:
        numbers = sorted(float(c) for c in codes)
    except ValueError:
        numbers = []
    if (
        numbers
        and all(n.is_integer() for n in numbers)
        and (numbers[-1] - numbers[0] + 1 == len(numbers))
    ):
        return f"{numbers[0]:g}–{numbers[-1]:g}" if len(numbers) > 1 else f"{numbers[0]:g}"
    shown = sorted(codes)[:5]
    return ", ".join(shown) + (" ..." if len(codes) > 5 else "")
