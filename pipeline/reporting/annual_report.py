"""The annual quality report (Dutch) as a document: text, tables and figures from the figures of
:func:`pipeline.reporting.annual.annual_figures`, which are printed as they are (no figure is
computed here, so the report and ``reports/metrics/annual.json`` agree by construction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from pipeline.reporting import figures as fg
from pipeline.reporting.annual import CATEGORIES, MAIN_OUTCOMES, OUTCOMES, instruments_shown
from pipeline.reporting.document import (
    Block,
    BulletList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)
from pipeline.reporting.suppression import suppression_label

OUTCOME_NL: dict[str, str] = {
    "ssd12_total": "SSD-12 totaalscore",
    "eq5d5l_index": "EQ-5D-5L index",
    "eq5d_vas": "EQ VAS",
    "rand36_pf": "RAND-36 fysiek functioneren",
    "rand36_rp": "RAND-36 rolbeperking fysiek",
    "rand36_re": "RAND-36 rolbeperking emotioneel",
    "rand36_vt": "RAND-36 vitaliteit",
    "rand36_mh": "RAND-36 mentale gezondheid",
    "rand36_sf": "RAND-36 sociaal functioneren",
    "rand36_bp": "RAND-36 pijn",
    "rand36_gh": "RAND-36 algemene gezondheid",
}
INSTRUMENT_NL: dict[str, str] = {
    "ssd12": "SSD-12",
    "eq5d5l": "EQ-5D-5L",
    "eq5d3l": "EQ-5D-3L",
    "rand36": "RAND-36",
    "phq15": "PHQ-15",
    "cqi": "CQ-index",
}
CATEGORY_NL: dict[str, str] = {
    "recovered": "hersteld",
    "improved": "verbeterd",
    "unchanged": "onveranderd",
    "deteriorated": "verslechterd",
    "harmed": "achteruitgegaan",
}
COUNT_NL: dict[str, str] = {
    "referrals": "Aanmeldingen",
    "intakes": "Gestarte behandelingen (intakes)",
    "ended": "Afgesloten behandeltrajecten",
    "ongoing_at_year_end": "Lopende trajecten op 31 december",
}
POPULATION_NL: dict[str, str] = {
    "all": "alle behandeltrajecten",
    "research_consent": "alleen behandeltrajecten van cliënten die toestemming gaven voor "
    "gebruik van hun gegevens voor onderzoek",
}


def nl(value: float | int | None, decimals: int, min_n: int) -> str:
    """A number in Dutch notation (decimal comma, true minus sign); suppressed as "n < min_n"."""
    if value is None:
        return suppression_label(min_n)
    text = f"{value:.{decimals}f}".replace(".", ",")
    return text.replace("-", "\u2212")


def nl_ci(low: float | None, high: float | None, decimals: int, min_n: int) -> str:
    """A 95% interval as "a tot b"."""
    if low is None or high is None:
        return suppression_label(min_n)
    return f"{nl(low, decimals, min_n)} tot {nl(high, decimals, min_n)}"


def _decimals(score: str) -> int:
    return 3 if score.endswith("_index") else 1


def improvement_sign(direction: str) -> int:
    """+1 when higher scores are better, -1 when lower are (SSD-12)."""
    return 1 if direction == "higher_is_better" else -1


def _counts_table(fig: Mapping[str, Any], years: Sequence[str], min_n: int) -> Table:
    rows = tuple(
        (label, *(nl(fig["by_year"][y]["counts"][key], 0, min_n) for y in years))
        for key, label in COUNT_NL.items()
    )
    return Table(
        caption="Tabel 1. Aantallen per jaar",
        header=("", *years),
        rows=rows,
        note="Aanmelding, start en einde tellen in het jaar van de datum; lopend = gestart en "
        "op 31 december nog niet afgesloten.",
        anchor="aantallen",
    )


def _response_table(fig: Mapping[str, Any], years: Sequence[str], min_n: int) -> Table:
    rows = []
    for instrument in instruments_shown(fig):
        cells = []
        for y in years:
            r = fig["by_year"][y]["response"][instrument]
            if r["rate"] is None:
                cells.append(suppression_label(min_n))
            else:
                cells.append(f"{nl(100 * r['rate'], 0, min_n)}% ({r['responders']})")
        rows.append((INSTRUMENT_NL[instrument], *cells))
    return Table(
        caption="Tabel 2. Respons per instrument: percentage van de afgesloten trajecten met een "
        "voor- én nameting (aantal)",
        header=("Instrument", *years),
        rows=tuple(rows),
        note="Bij de CQ-index (alleen gemeten bij het einde) telt een nameting als respons. "
        "Instrumenten die in deze jaren niet of te weinig zijn afgenomen, staan niet in de tabel.",
        anchor="respons",
    )


def _outcome_table(fig: Mapping[str, Any], year: str, min_n: int) -> Table:
    rows = []
    for score in OUTCOMES:
        o = fig["by_year"][year]["outcomes"][score]
        d = _decimals(score)
        rows.append(
            (
                OUTCOME_NL[score],
                nl(o["n"], 0, min_n),
                nl(o["intake_mean"], d, min_n),
                nl(o["end_mean"], d, min_n),
                nl(o["change_mean"], d, min_n),
                nl_ci(o["change_ci_low"], o["change_ci_high"], d, min_n),
                nl(o["effect_size"], 2, min_n),
            )
        )
    return Table(
        caption=f"Tabel 3. Uitkomsten {year}: trajecten afgesloten in {year} met voor- en nameting",
        header=("Uitkomst", "n", "Begin", "Einde", "Verandering", "95%-BI", "Effectgrootte"),
        rows=tuple(rows),
        note="Verandering = eind- min beginscore. Bij de SSD-12 is een daling een verbetering, bij "
        "de andere uitkomsten een stijging. Effectgrootte = gemiddelde verandering gedeeld door "
        "de standaarddeviatie bij de start. BI = betrouwbaarheidsinterval.",
        anchor="uitkomsten",
    )


def _change_by_year_table(fig: Mapping[str, Any], years: Sequence[str], min_n: int) -> Table:
    rows = []
    for score in OUTCOMES:
        d = _decimals(score)
        per_year = [fig["by_year"][y]["outcomes"][score] for y in years]
        rows.append((OUTCOME_NL[score], *(nl(o["change_mean"], d, min_n) for o in per_year)))
        rows.append(("   effectgrootte", *(nl(o["effect_size"], 2, min_n) for o in per_year)))
        rows.append(("   n", *(nl(o["n"], 0, min_n) for o in per_year)))
    return Table(
        caption="Tabel 4. Gemiddelde verandering, effectgrootte en n per jaar",
        header=("Uitkomst", *years),
        rows=tuple(rows),
        anchor="verandering-per-jaar",
    )


def _categories_table(fig: Mapping[str, Any], year: str, min_n: int) -> Table:
    rows = []
    for score in OUTCOMES:
        c = fig["by_year"][year]["categories"][score]
        rows.append(
            (
                OUTCOME_NL[score],
                nl(c["n"], 0, min_n),
                *(
                    suppression_label(min_n)
                    if c["percent"][k] is None
                    else f"{nl(c['percent'][k], 0, min_n)}%"
                    for k in CATEGORIES
                ),
            )
        )
    return Table(
        caption=f"Tabel 5. Betrouwbare verandering {year}: percentage van de trajecten met voor- en "
        "nameting",
        header=("Uitkomst", "n", *(CATEGORY_NL[k] for k in CATEGORIES)),
        rows=tuple(rows),
        note="Hersteld: betrouwbaar verbeterd en over het afkappunt naar het gezonde gebied; "
        "verbeterd: betrouwbaar verbeterd; achteruitgegaan: betrouwbaar verslechterd en over het "
        "afkappunt naar het klinische gebied (Jacobson & Truax 1991). Cellen onder de "
        f"drempel en cellen waaruit die door aftrekken te herleiden zijn, staan als "
        f"'{suppression_label(min_n)}'.",
        anchor="categorieen",
    )


def _categories_by_year_table(fig: Mapping[str, Any], years: Sequence[str], min_n: int) -> Table:
    score = "ssd12_total"
    rows = []
    for k in CATEGORIES:
        cells = []
        for y in years:
            p = fig["by_year"][y]["categories"][score]["percent"][k]
            cells.append(suppression_label(min_n) if p is None else f"{nl(p, 0, min_n)}%")
        rows.append((CATEGORY_NL[k], *cells))
    rows.append(("n", *(nl(fig["by_year"][y]["categories"][score]["n"], 0, min_n) for y in years)))
    return Table(
        caption="Tabel 6. SSD-12: betrouwbare verandering per jaar",
        header=("", *years),
        rows=tuple(rows),
    )


def _cqi_table(fig: Mapping[str, Any], years: Sequence[str], min_n: int) -> Table:
    rows = (
        (
            "Gemiddeld rapportcijfer",
            *(nl(fig["by_year"][y]["cqi"]["mean"], 1, min_n) for y in years),
        ),
        (
            "95%-BI",
            *(
                nl_ci(
                    fig["by_year"][y]["cqi"]["ci_low"],
                    fig["by_year"][y]["cqi"]["ci_high"],
                    1,
                    min_n,
                )
                for y in years
            ),
        ),
        ("n", *(nl(fig["by_year"][y]["cqi"]["n"], 0, min_n) for y in years)),
    )
    return Table(
        caption="Tabel 7. Cliëntwaardering (CQ-index): rapportcijfer voor de behandeling (0-10) bij "
        "het einde",
        header=("", *years),
        rows=rows,
        anchor="cqi",
    )


def _forest_rows(
    fig: Mapping[str, Any], year: str, directions: Mapping[str, str]
) -> list[dict[str, Any]]:
    rows = []
    for score in OUTCOMES:
        o = fig["by_year"][year]["outcomes"][score]
        sign = improvement_sign(directions.get(score, "higher_is_better"))
        es = o["effect_size"]
        if es is None or o["change_mean"] in (None, 0) or es == 0:
            rows.append({"label": OUTCOME_NL[score], "effect": None, "low": None, "high": None})
            continue
        sd = o["change_mean"] / es
        bounds = sorted([sign * o["change_ci_low"] / sd, sign * o["change_ci_high"] / sd])
        rows.append(
            {"label": OUTCOME_NL[score], "effect": sign * es, "low": bounds[0], "high": bounds[1]}
        )
    return rows


def _trend_series(
    fig: Mapping[str, Any], years: Sequence[str], directions: Mapping[str, str]
) -> dict[str, list[tuple[float | None, float | None, float | None]]]:
    series: dict[str, list[tuple[float | None, float | None, float | None]]] = {}
    for score in MAIN_OUTCOMES:
        sign = improvement_sign(directions.get(score, "higher_is_better"))
        points: list[tuple[float | None, float | None, float | None]] = []
        for y in years:
            o = fig["by_year"][y]["outcomes"][score]
            es = o["effect_size"]
            if es is None or not o["change_mean"] or not es:
                points.append((None, None, None))
                continue
            sd = o["change_mean"] / es
            lo, hi = sorted([sign * o["change_ci_low"] / sd, sign * o["change_ci_high"] / sd])
            points.append((sign * es, lo, hi))
        series[OUTCOME_NL[score]] = points
    return series


def _response_series(
    fig: Mapping[str, Any], years: Sequence[str]
) -> dict[str, list[tuple[float | None, float | None, float | None]]]:
    out: dict[str, list[tuple[float | None, float | None, float | None]]] = {}
    for instrument in instruments_shown(fig):
        out[INSTRUMENT_NL[instrument]] = [
            (
                None
                if fig["by_year"][y]["response"][instrument]["rate"] is None
                else 100 * fig["by_year"][y]["response"][instrument]["rate"],
                None,
                None,
            )
            for y in years
        ]
    return out


def methods_text(
    fig: Mapping[str, Any],
    score_options: Mapping[str, Any],
    windows: Mapping[str, Any],
) -> list[Block]:
    """The plain-Dutch methods section: who is counted, instruments, scoring, windows."""
    min_n = fig["min_n"]
    ssd = score_options["ssd12"]
    eq5 = score_options["eq5d5l"]
    eq3 = score_options["eq5d3l"]
    rand = score_options["rand36"]
    phq = score_options["phq15"]
    coef = {
        "published": "de gepubliceerde coëfficiënten met 3 decimalen (Versteegh e.a. 2016)",
        "full_precision": "de coëfficiënten van de EuroQol-waardetabel in volle precisie "
        "(Versteegh e.a. 2016)",
    }.get(eq5["coefficients"], str(eq5["coefficients"]))
    value_set = {
        "NL_2006_Lamers": "de Nederlandse waardeset van Lamers e.a. (2006)",
        "NL_2026_RoudijkJonker": "de Nederlandse waardeset van Roudijk & Jonker (2026)",
    }.get(eq3["value_set"], str(eq3["value_set"]))
    rand_method = {
        "rand": "volgens de RAND-scoringsregels (RAND 36-Item Health Survey 1.0)",
        "sf36_ware": "volgens de SF-36-scoring van Ware",
    }.get(rand["method"], str(rand["method"]))
    rand_missing = {
        "half_scale": "een schaal krijgt alleen een score als minstens de helft van de vragen "
        "is beantwoord",
        "available_items": "een schaal is het gemiddelde van de beantwoorde vragen",
    }.get(rand["missing_rule"], str(rand["missing_rule"]))
    return [
        Heading("Werkwijze", 2, "werkwijze"),
        Paragraph(
            f"Wie tellen mee: {POPULATION_NL[fig['population']]}. De gegevens lopen tot en met "
            f"{fig['data_until']}. Een jaarcijfer hoort bij het jaar van de einddatum van de "
            "behandeling; alleen afgesloten trajecten met een meting bij de start én bij het "
            "einde tellen mee in de uitkomsten. Lopende trajecten worden alleen geteld."
        ),
        Paragraph(
            "Meetmomenten: de beginmeting is de meting die het dichtst bij de startdatum ligt, "
            f"van {windows['intake_before_days']} dagen ervoor tot {windows['intake_after_days']} "
            "dagen erna; de eindmeting is de meting die het dichtst bij de einddatum ligt, van "
            f"{windows['end_before_days']} dagen ervoor tot {windows['end_after_days']} dagen erna."
        ),
        BulletList(
            (
                "SSD-12 (Toussaint e.a. 2016): ernst van de psychologische kenmerken van de "
                "lichamelijke klachten, 0-48, lager is beter. Een subschaal wordt aangevuld "
                f"(gemiddelde x 4) als er hoogstens {ssd['max_missing_per_subscale']} van de 4 "
                f"vragen ontbreekt; afgerond op {ssd['decimals']} decimaal.",
                f"EQ-5D-5L: gezondheidsgerelateerde kwaliteit van leven; de index volgens {coef}; "
                "de EQ VAS is het eigen oordeel over de gezondheid, 0-100. Hoger is beter.",
                f"EQ-5D-3L (tot en met 2020 naast de 5L afgenomen): index volgens {value_set}.",
                f"RAND-36 (VanderZee e.a. 1996), {rand_method}; {rand_missing}. 0-100, hoger is "
                "beter.",
                "PHQ-15 (Kroenke e.a. 2002): lichamelijke klachten; aangevuld als hoogstens "
                f"{phq['max_missing']} vraag ontbreekt.",
                "CQ-index: het rapportcijfer (0-10) dat de cliënt aan het einde aan de "
                "behandeling geeft.",
            )
        ),
        Paragraph(
            "Betrouwbare verandering: een verandering telt als betrouwbaar als ze groter is dan "
            "de meetfout van het instrument toelaat (Reliable Change Index, Jacobson & Truax "
            "1991, grens 1,96). Voor de SSD-12 is dat een verandering van 8,2 punten of meer; "
            "voor de andere uitkomsten zijn de spreiding en betrouwbaarheid uit de eigen "
            "startmetingen van het centrum gebruikt."
        ),
        Paragraph(
            f"Privacy: een cijfer dat op minder dan {min_n} trajecten berust, staat in dit "
            f"verslag als '{suppression_label(min_n)}'. Ook cijfers waaruit zo'n klein aantal "
            "door aftrekken van een totaal te herleiden is, worden niet getoond."
        ),
    ]


def build_document(
    fig: Mapping[str, Any],
    *,
    directions: Mapping[str, str],
    score_options: Mapping[str, Any],
    windows: Mapping[str, Any],
    provenance: Sequence[Block],
) -> Document:
    """The annual report as a document (Dutch)."""
    min_n = fig["min_n"]
    year = str(fig["year"])
    years = [str(y) for y in fig["years"]]
    label = suppression_label(min_n)
    forest = _forest_rows(fig, year, directions)
    bars = [
        {"label": OUTCOME_NL[s], "percent": fig["by_year"][year]["categories"][s]["percent"]}
        for s in MAIN_OUTCOMES
    ]
    trend = _trend_series(fig, years, directions)
    resp = _response_series(fig, years)
    int_years = [int(y) for y in years]

    def draw_forest(f: Figure) -> None:
        ax = f.subplots()
        fg.effect_forest(
            ax, forest, xlabel="Effectgrootte (rechts = verbetering), 95%-BI", suppressed_text=label
        )

    def draw_bars(f: Figure) -> None:
        ax = f.subplots()
        fg.category_bars(
            ax,
            bars,
            category_labels=CATEGORY_NL,
            suppressed_label=f"niet getoond ({label})",
            xlabel="Percentage van de trajecten met voor- en nameting",
        )

    def draw_trend(f: Figure) -> None:
        ax1, ax2 = f.subplots(1, 2)
        fg.trend_lines(
            ax1,
            int_years,
            trend,
            ylabel="Effectgrootte (hoger = meer verbetering)",
            zero_line=True,
        )
        ax1.set_title("Effectgrootte per jaar (95%-BI)")
        fg.trend_lines(ax2, int_years, resp, ylabel="Respons (%)", zero_line=False)
        ax2.set_ylim(0, 100)
        ax2.set_title("Respons per jaar")

    counts = fig["by_year"][year]["counts"]
    intro = (
        f"Dit verslag beschrijft de behandelingen van {year}: {nl(counts['ended'], 0, min_n)} "
        f"afgesloten behandeltrajecten, {nl(counts['intakes'], 0, min_n)} gestarte behandelingen "
        f"en {nl(counts['ongoing_at_year_end'], 0, min_n)} trajecten die op 31 december nog "
        f"liepen, met de jaren {years[0]}-{years[-1]} ter vergelijking. Populatie: "
        f"{POPULATION_NL[fig['population']]}."
    )
    blocks: list[Block] = [
        Heading(f"Kwaliteitsjaarverslag {year}: uitkomsten van behandeling (ROM)", 1),
        Paragraph(intro),
        Heading("Aantallen en respons", 2, "aantallen-respons"),
        _counts_table(fig, years, min_n),
        _response_table(fig, years, min_n),
        Heading("Uitkomsten", 2, "uitkomsten-sectie"),
        _outcome_table(fig, year, min_n),
        FigureBlock(
            f"Figuur 1. Verandering per uitkomst in {year}: effectgrootte met 95%-BI, zo gericht "
            "dat rechts van de nul verbetering betekent.",
            7.0,
            4.0,
            draw_forest,
        ),
        _change_by_year_table(fig, years, min_n),
        Heading("Betrouwbare verandering", 2, "betrouwbare-verandering"),
        _categories_table(fig, year, min_n),
        FigureBlock(
            f"Figuur 2. Betrouwbare verandering in {year}. Niet getoonde cellen ({label}) zijn "
            "samen gearceerd.",
            7.0,
            2.9,
            draw_bars,
        ),
        _categories_by_year_table(fig, years, min_n),
        Heading("Cliëntwaardering", 2, "clientwaardering"),
        _cqi_table(fig, years, min_n),
        Heading("Ontwikkeling over de jaren", 2, "trend"),
        FigureBlock(
            "Figuur 3. Links: effectgrootte van SSD-12, EQ-5D-5L index en EQ VAS per jaar (hoger "
            "= meer verbetering). Rechts: respons per instrument. Een onderbroken lijn is een "
            f"jaar met {label}.",
            7.4,
            3.3,
            draw_trend,
        ),
        *methods_text(fig, score_options, windows),
        *provenance,
    ]
    return Document(lang="nl", title=f"Kwaliteitsjaarverslag {year}", blocks=blocks)
