"""The annual quality report (Dutch) as a document: text, tables and figures from the figures of
:func:`pipeline.reporting.annual.annual_figures`, printed as they are (no figure is computed
here, so the report and ``reports/metrics/annual.json`` agree by construction).

Sections, in print order: Kernpunten; Over het centrum en dit verslag (with the glossary);
De cliënten; Instroom, doorstroom en uitstroom; ROM-respons; Uitkomsten; Betrouwbare
verandering; Cliëntervaring; Werkwijze. Every table and figure is numbered in order of
appearance and referred to in the text. One sign convention throughout, tables and figures
alike: *verbetering* is positive (for the SSD-12 and PHQ-15, whose scores fall when clients
improve, the improvement is voormeting minus nameting). Terms come from
:mod:`pipeline.reporting.labels`.

The technical record (hashes, parameters, versions) is not part of this public report:
:func:`build_verantwoording` makes the separate internal ``verantwoording-<year>.html``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from pipeline.reporting import figures as fg
from pipeline.reporting.annual import (
    AGE_GROUPS,
    DIAGNOSES,
    FLAGS,
    MAIN_OUTCOMES,
    MERGED,
    NONRESPONSE_GROUPS,
    OUTCOMES,
    SEXES,
    age_group_keys,
    instruments_shown,
)
from pipeline.reporting.document import (
    Block,
    BulletList,
    Contents,
    DefinitionList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
    Title,
)
from pipeline.reporting.labels import (
    GLOSSARY_NL,
    MINUS,
    age_group_label,
    date_nl,
    join_nl,
    label,
    level,
    number_nl,
    year_range_nl,
)
from pipeline.reporting.suppression import suppression_label

POPULATION_NL: dict[str, str] = {
    "all": "alle behandeltrajecten",
    "research_consent": "alleen behandeltrajecten van cliënten die toestemming gaven voor "
    "gebruik van hun gegevens voor onderzoek",
}
#: Colours of the merged reliable-change categories (Okabe-Ito: blue = better, grey,
#: vermilion = worse).
MERGED_COLOURS: dict[str, str] = {"better": "#0072B2", "unchanged": "#BBBBBB", "worse": "#D55E00"}
#: Effect-size reading guide (Cohen): bounds and words.
EFFECT_WORDS: tuple[tuple[float, str], ...] = (
    (0.2, "verwaarloosbaar"),
    (0.5, "klein"),
    (0.8, "middelmatig"),
    (float("inf"), "groot"),
)
#: Below this many trajectories a figure is described as an uncertain estimate in the text.
CAREFUL_N = 50


def nl(value: float | int | None, decimals: int, min_n: int) -> str:
    """A number in Dutch notation (decimal comma, true minus sign); suppressed as "n < min_n"."""
    if value is None:
        return suppression_label(min_n)
    return number_nl(value, decimals)


def nl_ci(low: float | None, high: float | None, decimals: int, min_n: int) -> str:
    """A 95% interval as "a tot b"."""
    if low is None or high is None:
        return suppression_label(min_n)
    return f"{nl(low, decimals, min_n)} tot {nl(high, decimals, min_n)}"


def pct(value: float | None, min_n: int) -> str:
    """A percentage without decimals ("45%"), suppressed as "n < min_n"."""
    return suppression_label(min_n) if value is None else number_nl(value, 0) + "%"


def effect_word(es: float) -> str:
    """Reading guide of an (improvement-signed) effect size: verwaarloosbaar, klein,
    middelmatig or groot (Cohen 1988: 0,2 / 0,5 / 0,8)."""
    for bound, word in EFFECT_WORDS:
        if abs(es) < bound:
            return word
    return "groot"


def _decimals(score: str) -> int:
    return 2 if score.endswith("_index") else 1


@dataclass
class Numbers:
    """Table and figure numbers in order of appearance."""

    tables: dict[str, int] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    def table(self, key: str) -> int:
        return self.tables.setdefault(key, len(self.tables) + 1)

    def figure(self, key: str) -> int:
        return self.figures.setdefault(key, len(self.figures) + 1)


@dataclass(frozen=True)
class Context:
    """What every section needs: the figures, years, threshold and numbering."""

    fig: Mapping[str, Any]
    year: str
    years: list[str]
    min_n: int
    numbers: Numbers
    norms: Mapping[str, Mapping[str, Any]]

    @property
    def label(self) -> str:
        return suppression_label(self.min_n)

    def by_year(self, year: str | None = None) -> Mapping[str, Any]:
        return self.fig["by_year"][year or self.year]


# ---------------------------------------------------------------------------------------------
# Kernpunten


def _careful(n: int | None) -> str:
    """A warning sentence when a figure rests on few trajectories (a suppressed n counts as
    few; the exact number is not repeated, it may be suppressed elsewhere)."""
    if n is None or n < CAREFUL_N:
        return (
            f" Dit cijfer berust op minder dan {CAREFUL_N} trajecten en is daarom een ruwe "
            "schatting."
        )
    return ""


def key_points(ctx: Context) -> list[str]:
    """Five to eight sentences from the figures (careful wording where n is small; a sentence
    whose figures are suppressed is left out)."""
    y = ctx.by_year()
    m = ctx.min_n
    points: list[str] = []
    cl, fl = y["clients"], y["flow"]
    if cl["trajectories"] is not None:
        clients_text = "" if cl["clients"] is None else f" van {nl(cl['clients'], 0, m)} cliënten"
        points.append(
            f"In {ctx.year} waren {nl(cl['trajectories'], 0, m)} behandeltrajecten"
            f"{clients_text} in zorg; {nl(fl['started'], 0, m)} trajecten startten en "
            f"{nl(fl['ended'], 0, m)} werden afgesloten."
        )
    if fl["dropout_percent"] is not None:
        duration = fl["duration_months"]
        tail = (
            ""
            if duration["median"] is None
            else f" De behandeling duurde in de helft van de afgesloten trajecten "
            f"{nl(duration['median'], 0, m)} maanden of korter."
        )
        points.append(
            f"Van de afgesloten behandelingen stopte {pct(fl['dropout_percent'], m)} voortijdig "
            f"(uitval).{tail}"
        )
    resp = y["response"].get("ssd12")
    if resp is not None and resp["rate"] is not None:
        rate = 100 * resp["rate"]
        share = (
            "minder dan de helft"
            if rate < 50
            else "ruim de helft"
            if rate < 60
            else "het merendeel"
        )
        points.append(
            f"Van {share} van de afgesloten trajecten ({pct(rate, m)}) zijn een voormeting en "
            "een nameting bekend (ROM-respons op de SSD-12); de uitkomsten gelden voor deze "
            "groep en niet zonder meer voor alle cliënten."
        )
    o = y["outcomes"]["ssd12_total"]
    if o["improvement_mean"] is not None:
        es = o["effect_size_improvement"]
        direction = "af" if o["improvement_mean"] > 0 else "toe"
        points.append(
            f"De ernst van de psychische kenmerken van de lichamelijke klachten (SSD-12) nam "
            f"gemiddeld {direction} met {nl(abs(o['improvement_mean']), 1, m)} punten (95%-BI "
            f"{nl_ci(o['improvement_ci_low'], o['improvement_ci_high'], 1, m)}): een "
            f"{effect_word(es)} effect (effectgrootte {nl(es, 2, m)}).{_careful(o['n'])}"
        )
    rc = ctx.fig["reliable_change"]["ssd12_total"]
    if all(v is not None for v in rc["percent"].values()):
        period = year_range_nl(*rc["period"])
        pooled = "" if rc["period"][0] == rc["period"][1] else f" (jaren {period} samen)"
        points.append(
            f"Op de SSD-12 was {pct(rc['percent']['better'], m)} van de cliënten met voor- en "
            f"nameting betrouwbaar verbeterd, {pct(rc['percent']['unchanged'], m)} onveranderd "
            f"en {pct(rc['percent']['worse'], m)} betrouwbaar verslechterd{pooled}."
        )
    q = y["outcomes"]["eq5d5l_index"]
    if q["effect_size_improvement"] is not None:
        es = q["effect_size_improvement"]
        word = "verbeterde" if es > 0 else "verslechterde"
        points.append(
            f"De kwaliteit van leven (EQ-5D-5L index) {word} met een {effect_word(es)} effect "
            f"(effectgrootte {nl(es, 2, m)}).{_careful(q['n'])}"
        )
    c = y["cqi"]
    if c["mean"] is not None:
        sentence = (
            f"Cliënten gaven de behandeling bij afsluiting gemiddeld een "
            f"{nl(c['mean'], 1, m)} (CQ-index, 95%-BI {nl_ci(c['ci_low'], c['ci_high'], 1, m)})"
        )
        ref = _latest_reference(ctx.fig, "cqi_grade")
        if ref is not None:
            sentence += f"; {_compare_reference(c, ref)}"
        points.append(sentence + "." + _careful(c["n"]))
    trend = [
        ctx.by_year(yy)["outcomes"]["ssd12_total"]["effect_size_improvement"] for yy in ctx.years
    ]
    earlier = [
        t for t, yy in zip(trend, ctx.years, strict=True) if t is not None and yy != ctx.year
    ]
    if earlier and o["effect_size_improvement"] is not None:
        points.append(
            f"In de jaren {year_range_nl(int(ctx.years[0]), int(ctx.years[-2]))} lag de "
            f"effectgrootte op de SSD-12 tussen {nl(min(earlier), 2, m)} en "
            f"{nl(max(earlier), 2, m)}; in {ctx.year} was die {nl(o['effect_size_improvement'], 2, m)}."
        )
    return points[:8]


def _latest_reference(fig: Mapping[str, Any], measure: str) -> Mapping[str, Any] | None:
    refs = [r for r in fig.get("references", []) if r["measure"] == measure]
    return refs[-1] if refs else None


def _compare_reference(c: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    value = number_nl(ref["value"], 1)
    if c["ci_low"] is not None and c["ci_high"] is not None:
        if ref["value"] < c["ci_low"]:
            verdict = "het cijfer is nu hoger"
        elif ref["value"] > c["ci_high"]:
            verdict = "het cijfer is nu lager"
        else:
            verdict = "het verschil valt binnen de onzekerheidsmarge"
    else:
        verdict = "een vergelijking is niet mogelijk"
    return f"in {ref['year']} was dat een {value} ({verdict})"


# ---------------------------------------------------------------------------------------------
# Over het centrum en dit verslag


def about(ctx: Context) -> list[Block]:
    """Centre, period, export and publication date, contact, population; the glossary."""
    fig = ctx.fig
    centre = fig["centre"]
    rows: list[tuple[str, str]] = [("Centrum", centre["name"])]
    rows.append(("Verslagperiode", f"1 januari {ctx.year} tot en met 31 december {ctx.year}"))
    if len(ctx.years) > 1:
        rows.append(("Vergelijkingsjaren", year_range_nl(int(ctx.years[0]), int(ctx.years[-2]))))
    rows.append(("Gegevens tot en met", date_nl(fig["export_date"])))
    if fig.get("publication_date"):
        rows.append(("Publicatiedatum", date_nl(fig["publication_date"])))
    rows.append(("Wie tellen mee", POPULATION_NL[fig["population"]]))
    if centre["contact"]:
        rows.append(("Contact", centre["contact"]))
    blocks: list[Block] = [Heading("Over het centrum en dit verslag", 2, "over")]
    if centre["description"]:
        blocks.append(Paragraph(centre["description"]))
    blocks.append(
        Paragraph(
            "Dit verslag beschrijft wie er bij het centrum in behandeling waren, hoe de "
            "behandelingen verliepen en wat ze opleverden volgens de vragenlijsten die cliënten "
            "bij de start en bij de afsluiting invullen (Routine Outcome Monitoring, ROM), en "
            "hoe cliënten de behandeling waardeerden."
        )
    )
    blocks.append(DefinitionList(tuple(rows)))
    blocks.append(Heading("Begrippen", 3, "begrippen"))
    blocks.append(
        Paragraph("Dit verslag gebruikt de volgende begrippen steeds in dezelfde betekenis.")
    )
    blocks.append(DefinitionList(GLOSSARY_NL))
    return blocks


# ---------------------------------------------------------------------------------------------
# De cliënten


def clients_section(ctx: Context) -> list[Block]:
    """Trajectories and unique clients in care; age group, sex, diagnosis, each comorbidity."""
    m = ctx.min_n
    t = ctx.numbers.table("clienten")
    rows: list[tuple[str, ...]] = []

    def per_year(get: Any) -> tuple[str, ...]:
        return tuple(get(ctx.by_year(y)["clients"]) for y in ctx.years)

    rows.append(("Behandeltrajecten in zorg", *per_year(lambda c: nl(c["trajectories"], 0, m))))
    rows.append(("Unieke cliënten", *per_year(lambda c: nl(c["clients"], 0, m))))
    rows.append(("Leeftijd bij start", *("" for _ in ctx.years)))
    for (lo, hi), key in zip(AGE_GROUPS, age_group_keys(), strict=True):
        rows.append(
            (
                f"   {age_group_label(lo, hi)}",
                *per_year(lambda c, k=key: pct(c["age"]["percent"].get(k), m)),
            )
        )
    rows.append(("Geslacht", *("" for _ in ctx.years)))
    every_x = all(
        ctx.by_year(y)["clients"]["sex"]["counts"].get("x") is not None for y in ctx.years
    )
    if every_x:
        for sex in SEXES:
            rows.append(
                (
                    f"   {level('sex', sex)}",
                    *per_year(lambda c, k=sex: pct(c["sex"]["percent"].get(k), m)),
                )
            )
    else:
        rows.append(("   vrouw", *per_year(lambda c: pct(c["sex_f_other"]["percent"].get("f"), m))))
        rows.append(
            (
                "   man of anders",
                *per_year(lambda c: pct(c["sex_f_other"]["percent"].get("other"), m)),
            )
        )
    rows.append(("Diagnose", *("" for _ in ctx.years)))
    for dx in DIAGNOSES:
        rows.append(
            (
                f"   {level('diagnosis', dx)}",
                *per_year(lambda c, k=dx: pct(c["diagnosis"]["percent"].get(k), m)),
            )
        )
    rows.append(("Bijkomende problematiek", *("" for _ in ctx.years)))
    for flag in FLAGS:
        rows.append(
            (
                f"   {label(flag)}",
                *per_year(
                    lambda c, k=flag: (
                        pct(c["flags"][k]["percent"].get("yes"), m)
                        if k in c["flags"]
                        else ctx.label
                    )
                ),
            )
        )
    c = ctx.by_year()["clients"]
    top = _largest_share(c["diagnosis"]["percent"], DIAGNOSES)
    women = c["sex"]["percent"].get("f")
    text = (
        f"Tabel {t} beschrijft de cliënten die in een jaar in zorg waren: elk behandeltraject "
        "dat in dat jaar liep, met de kenmerken bij de start. Een cliënt kan meer dan één "
        "traject hebben (bijvoorbeeld na heraanmelding); daarom staan trajecten en unieke "
        "cliënten apart."
    )
    if women is not None and top is not None:
        text += (
            f" In {ctx.year} was {pct(women, m)} van de trajecten van een vrouw; de meest "
            f"voorkomende diagnose was {level('diagnosis', top[0])} ({pct(top[1], m)})."
        )
    return [
        Heading("De cliënten", 2, "clienten"),
        Paragraph(text),
        Table(
            caption=f"Tabel {t}. Cliënten in zorg per jaar: aantallen en kenmerken bij de start "
            "(percentage van de trajecten)",
            header=("", *ctx.years),
            rows=tuple(rows),
            note="Bijkomende problematiek: percentage van de trajecten met deze diagnose of dit "
            "kenmerk naast de lichamelijke klachten; één traject kan er meer hebben. "
            f"'{ctx.label}': te weinig trajecten om te tonen, of uit andere cellen te herleiden.",
            anchor="tabel-clienten",
        ),
    ]


def _largest_share(percent: Mapping[str, Any], keys: Sequence[str]) -> tuple[str, float] | None:
    known = [(k, percent[k]) for k in keys if percent.get(k) is not None]
    return max(known, key=lambda kv: kv[1]) if known else None


# ---------------------------------------------------------------------------------------------
# Instroom, doorstroom en uitstroom


def flow_section(ctx: Context) -> list[Block]:
    """Started, ended by reason, ongoing, duration, re-entry."""
    m = ctx.min_n
    t = ctx.numbers.table("stroom")

    def row(name: str, get: Any) -> tuple[str, ...]:
        return (name, *(get(ctx.by_year(y)) for y in ctx.years))

    rows = [
        row("Aanmeldingen", lambda f: nl(f["counts"]["referrals"], 0, m)),
        row("Gestarte behandelingen", lambda f: nl(f["flow"]["started"], 0, m)),
        row("Afgesloten behandelingen", lambda f: nl(f["flow"]["ended"], 0, m)),
    ]
    for reason in ("regular", "dropout", "referred_or_other"):
        name = (
            "verwezen of overig" if reason == "referred_or_other" else level("end_reason", reason)
        )
        rows.append(
            row(
                f"   {name}",
                lambda f, r=reason: pct(f["flow"]["end_reasons_merged"]["percent"].get(r), m),
            )
        )
    for reason in ("referred", "other"):
        rows.append(
            row(
                f"      waarvan {level('end_reason', reason)}",
                lambda f, r=reason: pct(f["flow"]["end_reasons_merged"]["split"].get(r), m),
            )
        )
    rows.append(row("Lopend op 31 december", lambda f: nl(f["flow"]["ongoing_at_year_end"], 0, m)))
    rows.append(
        row(
            "Behandelduur in maanden, mediaan",
            lambda f: nl(f["flow"]["duration_months"]["median"], 1, m),
        )
    )
    rows.append(
        row(
            "   middelste helft (IQR)",
            lambda f: nl_ci(
                f["flow"]["duration_months"]["q1"], f["flow"]["duration_months"]["q3"], 1, m
            ),
        )
    )
    rows.append(
        row(
            "Heraanmelding binnen twee jaar",
            lambda f: pct(f["flow"]["reentry"]["percent"], m),
        )
    )
    f = ctx.by_year()["flow"]
    window = number_nl(f["reentry"]["window_years"], 0)
    text = (
        f"Tabel {t} volgt de trajecten door het jaar: hoeveel behandelingen startten, hoeveel "
        "werden afgesloten en waarom, hoeveel er op 31 december nog liepen, hoe lang een "
        "afgesloten behandeling duurde en hoe vaak een cliënt na een reguliere afsluiting "
        f"binnen {window} jaar opnieuw in behandeling kwam."
    )
    if f["dropout_percent"] is not None:
        text += (
            f" In {ctx.year} stopte {pct(f['dropout_percent'], m)} van de afgesloten "
            "behandelingen voortijdig (uitval)."
        )
    return [
        Heading("Instroom, doorstroom en uitstroom", 2, "stroom"),
        Paragraph(text),
        Table(
            caption=f"Tabel {t}. Instroom, doorstroom en uitstroom per jaar",
            header=("", *ctx.years),
            rows=tuple(rows),
            note="Redenen van afsluiting als percentage van de afgesloten behandelingen. "
            "Behandelduur: van eerste behandelcontact tot afsluiting, van de in dat jaar "
            "afgesloten behandelingen; IQR: de middelste helft van de trajecten ligt tussen deze "
            f"waarden. Heraanmelding: van de cliënten met een reguliere afsluiting {window} jaar "
            "eerder (zodat de hele periode bekend is), het percentage dat binnen twee jaar een "
            "nieuwe behandeling begon.",
            anchor="tabel-stroom",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# ROM-respons


def response_rows(ctx: Context) -> list[tuple[str, ...]]:
    """One row per instrument (and the EQ VAS), cells "45% (98)"."""
    m = ctx.min_n
    rows: list[tuple[str, ...]] = []

    def cell(r: Mapping[str, Any] | None) -> str:
        if r is None or r["rate"] is None:
            return ctx.label
        return f"{number_nl(100 * r['rate'], 0)}% ({nl(r['responders'], 0, m)})"

    for instrument in instruments_shown(ctx.fig):
        rows.append(
            (
                label(instrument),
                *(cell(ctx.by_year(y)["response"].get(instrument)) for y in ctx.years),
            )
        )
        if instrument == "eq5d5l":
            rows.append(
                (
                    label("eq5d_vas"),
                    *(cell(ctx.by_year(y)["score_response"].get("eq5d_vas")) for y in ctx.years),
                )
            )
    return rows


def nonresponse_rows(ctx: Context) -> list[tuple[str, ...]]:
    """Responders vs non-responders (SSD-12) at voormeting, report year."""
    m = ctx.min_n
    nr = ctx.by_year()["nonresponse"]
    a, b = nr.get("responders") or {}, nr.get("non_responders") or {}

    def both(key: str, kind: str) -> tuple[str, str]:
        fmt = (lambda v: pct(v, m)) if kind == "pct" else (lambda v: nl(v, 1, m))
        return fmt(a.get(key)), fmt(b.get(key))

    return [
        ("Aantal trajecten", nl(a.get("n"), 0, m), nl(b.get("n"), 0, m)),
        ("Gemiddelde leeftijd bij start (jaren)", *both("age_mean", "num")),
        ("Vrouw", *both("female_percent", "pct")),
        (f"Diagnose {level('diagnosis', 'ssd')}", *both("diagnosis_ssd_percent", "pct")),
        ("Voortijdig gestopt (uitval)", *both("dropout_percent", "pct")),
        ("SSD-12 bij voormeting, gemiddelde", *both("ssd12_intake_mean", "num")),
        (
            "   aantal met voormeting",
            nl(a.get("ssd12_intake_n"), 0, m),
            nl(b.get("ssd12_intake_n"), 0, m),
        ),
    ]


def response_section(ctx: Context) -> list[Block]:
    """Response per instrument and year; responders vs non-responders; reasons."""
    t1 = ctx.numbers.table("respons")
    t2 = ctx.numbers.table("nonrespons")
    f1 = ctx.numbers.figure("respons")
    m = ctx.min_n
    nr = ctx.by_year()["nonresponse"]
    a, b = nr.get("responders") or {}, nr.get("non_responders") or {}
    words = []
    if a.get("dropout_percent") is not None and b.get("dropout_percent") is not None:
        words.append(
            f"onder de non-responders stopte {pct(b['dropout_percent'], m)} voortijdig, onder "
            f"de responders {pct(a['dropout_percent'], m)}"
        )
    if a.get("ssd12_intake_mean") is not None and b.get("ssd12_intake_mean") is not None:
        words.append(
            f"de gemiddelde SSD-12 bij de voormeting was {nl(b['ssd12_intake_mean'], 1, m)} bij "
            f"de non-responders met een voormeting en {nl(a['ssd12_intake_mean'], 1, m)} bij de "
            "responders"
        )
    compare = (
        f"Tabel {t2} vergelijkt de trajecten met en zonder voor- en nameting op de SSD-12 in "
        f"{ctx.year}: " + "; ".join(words) + "."
        if words
        else f"Tabel {t2} vergelijkt de trajecten met en zonder voor- en nameting op de SSD-12 "
        f"in {ctx.year}."
    )
    compare += (
        " Wijken de groepen van elkaar af, dan gelden de uitkomsten in dit verslag vooral voor "
        "cliënten die de behandeling volgens plan afrondden."
    )
    years = [int(y) for y in ctx.years]
    series = _response_series(ctx)

    def draw(f: Figure) -> None:
        ax = f.subplots()
        fg.trend_lines(ax, years, series, ylabel="ROM-respons (%)", zero_line=False)
        ax.set_ylim(0, 100)
        ax.legend(frameon=False, loc="lower left", ncol=3)

    return [
        Heading("ROM-respons", 2, "respons"),
        Paragraph(
            f"De uitkomsten in dit verslag berusten op de afgesloten trajecten met een "
            f"voormeting én een nameting. Tabel {t1} en figuur {f1} geven per vragenlijst welk "
            "deel van de afgesloten trajecten dat was (de ROM-respons); bij de CQ-index, die "
            "alleen bij afsluiting wordt afgenomen, telt de nameting. Hoe lager de respons, hoe "
            "voorzichtiger de uitkomsten te lezen zijn."
        ),
        Table(
            caption=f"Tabel {t1}. ROM-respons per vragenlijst: percentage van de afgesloten "
            "trajecten met voor- én nameting (aantal)",
            header=("Vragenlijst", *ctx.years),
            rows=tuple(response_rows(ctx)),
            note="Vragenlijsten die in deze jaren niet of te weinig zijn afgenomen, staan niet in "
            "de tabel. De EQ VAS hoort bij de EQ-5D-5L maar wordt apart geteld.",
            anchor="tabel-respons",
        ),
        FigureBlock(
            f"Figuur {f1}. ROM-respons per vragenlijst en jaar (percentage van de afgesloten "
            "trajecten). Een ontbrekend punt is een jaar met te weinig trajecten om te tonen.",
            7.0,
            3.0,
            draw,
            alt="Lijnfiguur van de ROM-respons per vragenlijst over de jaren "
            f"{year_range_nl(years[0], years[-1])}; de waarden staan in tabel {t1}.",
        ),
        Paragraph(compare),
        Table(
            caption=f"Tabel {t2}. Trajecten afgesloten in {ctx.year} met en zonder voor- en "
            "nameting op de SSD-12 (respons en non-respons), kenmerken bij de start",
            header=("", "Met voor- en nameting", "Zonder"),
            rows=tuple(nonresponse_rows(ctx)),
            note="Percentages van het aantal trajecten in de kolom. De SSD-12 bij de voormeting "
            "is voor non-responders alleen bekend als zij wel een voormeting hebben.",
            anchor="tabel-nonrespons",
        ),
        *nonresponse_reason_blocks(ctx),
    ]


def nonresponse_reason_rows(ctx: Context) -> list[tuple[str, ...]]:
    """Non-responders (SSD-12) per year by registered reason group: "n (p%)" cells."""
    m = ctx.min_n
    rows: list[tuple[str, ...]] = []
    for group in NONRESPONSE_GROUPS:
        cells = []
        for y in ctx.years:
            r = ctx.by_year(y)["nonresponse_reasons"]
            count, percent = r["counts"].get(group), r["percent"].get(group)
            cells.append(ctx.label if count is None else f"{nl(count, 0, m)} ({pct(percent, m)})")
        rows.append((level("nonresponse_group", group), *cells))
    rows.append(
        (
            "Totaal zonder voor- en nameting",
            *(nl(ctx.by_year(y)["nonresponse_reasons"]["non_responders"], 0, m) for y in ctx.years),
        )
    )
    return rows


def nonresponse_reason_blocks(ctx: Context) -> list[Block]:
    """The registered reasons of non-response (when the export carries them), else a note
    that the export does not."""
    available = any(
        ctx.by_year(y).get("nonresponse_reasons", {}).get("available") for y in ctx.years
    )
    if not available:
        return [
            Paragraph(
                "Redenen van non-respons (bijvoorbeeld geweigerd, niet uitgenodigd of niet "
                "bereikbaar) staan niet in de ROM-export en kunnen daarom niet worden "
                "gerapporteerd."
            )
        ]
    t = ctx.numbers.table("nonrespons-redenen")
    return [
        Paragraph(
            f"Waarom een meting ontbreekt, wordt in het ROM-systeem geregistreerd met de "
            f"landelijke redenen van non-respons (de SBG-codes). Tabel {t} verdeelt de "
            "afgesloten trajecten zonder voor- en nameting op de SSD-12 naar de geregistreerde "
            "reden bij de ontbrekende meting: de cliënt is benaderd maar vulde niet (volledig) "
            "in (codes 01–05), of de cliënt is niet benaderd (codes 06–10)."
        ),
        Table(
            caption=f"Tabel {t}. Afgesloten trajecten zonder voor- en nameting op de SSD-12, "
            "naar geregistreerde reden van non-respons (aantal, percentage)",
            header=("Reden", *ctx.years),
            rows=tuple(nonresponse_reason_rows(ctx)),
            note="Telt de reden bij de ontbrekende nameting, anders die bij de ontbrekende "
            "voormeting; bij meer registraties de laatste. Percentages van het totaal zonder "
            "voor- en nameting in dat jaar.",
            anchor="tabel-nonrespons-redenen",
        ),
    ]


def _response_series(
    ctx: Context,
) -> dict[str, list[tuple[float | None, float | None, float | None]]]:
    out: dict[str, list[tuple[float | None, float | None, float | None]]] = {}
    for instrument in instruments_shown(ctx.fig):
        points: list[tuple[float | None, float | None, float | None]] = []
        for y in ctx.years:
            r = ctx.by_year(y)["response"][instrument]
            points.append((None if r["rate"] is None else 100 * r["rate"], None, None))
        out[label(instrument)] = points
    return out


# ---------------------------------------------------------------------------------------------
# Uitkomsten


def outcome_rows(ctx: Context) -> list[tuple[str, ...]]:
    """Report year: n, voormeting, nameting, verbetering (95%-BI), effect size."""
    m = ctx.min_n
    rows: list[tuple[str, ...]] = []
    for score in OUTCOMES:
        o = ctx.by_year()["outcomes"][score]
        d = _decimals(score)
        improvement = (
            ctx.label
            if o["improvement_mean"] is None
            else f"{nl(o['improvement_mean'], d, m)} ({nl_ci(o['improvement_ci_low'], o['improvement_ci_high'], d, m)})"
        )
        rows.append(
            (
                label(score),
                nl(o["n"], 0, m),
                nl(o["intake_mean"], d, m),
                nl(o["end_mean"], d, m),
                improvement,
                nl(o["effect_size_improvement"], 2, m),
            )
        )
    return rows


def outcomes_section(ctx: Context) -> list[Block]:
    """Means at voormeting and nameting, improvement with 95% CI, effect size; trend."""
    m = ctx.min_n
    t1 = ctx.numbers.table("uitkomsten")
    f1 = ctx.numbers.figure("effect")
    t2 = ctx.numbers.table("effect-trend")
    f2 = ctx.numbers.figure("effect-trend")
    forest = []
    for score in OUTCOMES:
        o = ctx.by_year()["outcomes"][score]
        forest.append(
            {
                "label": label(score),
                "effect": o["effect_size_improvement"],
                "low": o["effect_size_improvement_ci_low"],
                "high": o["effect_size_improvement_ci_high"],
            }
        )
    years = [int(y) for y in ctx.years]
    trend: dict[str, list[tuple[float | None, float | None, float | None]]] = {}
    for score in (*MAIN_OUTCOMES, "phq15_total"):
        trend[label(score)] = [
            (
                ctx.by_year(y)["outcomes"][score]["effect_size_improvement"],
                ctx.by_year(y)["outcomes"][score]["effect_size_improvement_ci_low"],
                ctx.by_year(y)["outcomes"][score]["effect_size_improvement_ci_high"],
            )
            for y in ctx.years
        ]

    def draw_forest(f: Figure) -> None:
        ax = f.subplots()
        fg.effect_forest(
            ax,
            forest,
            xlabel="Effectgrootte (positief = verbetering), met 95%-BI",
            suppressed_text=ctx.label,
        )
        for bound in (0.2, 0.5, 0.8):
            ax.axvline(bound, color="#999999", linewidth=0.6, linestyle=":")
        fg.decimal_comma(ax, "x", 1)

    def draw_trend(f: Figure) -> None:
        ax = f.subplots()
        fg.trend_lines(
            ax, years, trend, ylabel="Effectgrootte (positief = verbetering)", zero_line=True
        )
        fg.decimal_comma(ax, "y", 1)
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)

    trend_rows = []
    for score in OUTCOMES:
        trend_rows.append(
            (
                label(score),
                *(
                    nl(ctx.by_year(y)["outcomes"][score]["effect_size_improvement"], 2, m)
                    for y in ctx.years
                ),
            )
        )
    trend_rows.append(
        (
            "n (SSD-12)",
            *(nl(ctx.by_year(y)["outcomes"]["ssd12_total"]["n"], 0, m) for y in ctx.years),
        )
    )
    o = ctx.by_year()["outcomes"]["ssd12_total"]
    summary = ""
    if o["improvement_mean"] is not None:
        summary = (
            f" Op de SSD-12, de belangrijkste uitkomst, was de gemiddelde verbetering in "
            f"{ctx.year} {nl(o['improvement_mean'], 1, m)} punten: van "
            f"{nl(o['intake_mean'], 1, m)} bij de voormeting naar {nl(o['end_mean'], 1, m)} bij "
            f"de nameting (effectgrootte {nl(o['effect_size_improvement'], 2, m)}, "
            f"{effect_word(o['effect_size_improvement'])}).{_careful(o['n'])}"
        )
    return [
        Heading("Uitkomsten", 2, "uitkomsten"),
        Paragraph(
            f"Tabel {t1} geeft per vragenlijst de gemiddelde score bij de voormeting en de "
            f"nameting van de trajecten die in {ctx.year} werden afgesloten en beide metingen "
            "hebben, de gemiddelde verbetering met het 95%-betrouwbaarheidsinterval (95%-BI) en "
            f"de effectgrootte; figuur {f1} toont de effectgroottes." + summary
        ),
        Paragraph(
            "Overal in dit verslag, in tabellen en figuren, is een verbetering positief. Bij de "
            "SSD-12 en de PHQ-15 betekent een lagere score minder klachten: daar is de "
            "verbetering de voormeting min de nameting. Bij de EQ-5D-5L, de EQ VAS en de RAND-36 "
            "betekent een hogere score een betere gezondheid: daar is de verbetering de nameting "
            "min de voormeting. De effectgrootte is de gemiddelde verbetering gedeeld door de "
            "spreiding (standaarddeviatie) bij de voormeting. Leeswijzer: 0,2 is een klein, 0,5 "
            "een middelmatig en 0,8 een groot effect; een negatieve waarde is een verslechtering."
        ),
        Table(
            caption=f"Tabel {t1}. Uitkomsten van de trajecten afgesloten in {ctx.year} met voor- "
            "en nameting",
            header=(
                "Uitkomst",
                "n",
                "Voormeting",
                "Nameting",
                "Verbetering (95%-BI)",
                "Effectgrootte",
            ),
            rows=tuple(outcome_rows(ctx)),
            note="Gemiddelden in de eenheid van de vragenlijst: SSD-12 0 tot 48 en PHQ-15 0 tot "
            "30 (lager is beter); EQ-5D-5L index tot 1 en EQ VAS en RAND-36 0 tot 100 (hoger is "
            "beter). Verbetering en effectgrootte: positief = verbetering.",
            anchor="tabel-uitkomsten",
        ),
        FigureBlock(
            f"Figuur {f1}. Effectgrootte per uitkomst in {ctx.year} met 95%-BI; rechts van de "
            "nul is verbetering. Stippellijnen: 0,2 klein, 0,5 middelmatig, 0,8 groot.",
            7.0,
            4.4,
            draw_forest,
            alt=f"Puntfiguur van de effectgroottes per uitkomst in {ctx.year}; de waarden staan "
            f"in tabel {t1}.",
        ),
        Paragraph(
            f"Tabel {t2} en figuur {f2} zetten de effectgroottes van {ctx.year} naast die van "
            "de jaren ervoor. Verschillen tussen jaren zijn alleen betekenisvol als de "
            "betrouwbaarheidsintervallen elkaar weinig overlappen."
        ),
        Table(
            caption=f"Tabel {t2}. Effectgrootte per uitkomst en jaar (positief = verbetering)",
            header=("Uitkomst", *ctx.years),
            rows=tuple(trend_rows),
            anchor="tabel-effect-trend",
        ),
        FigureBlock(
            f"Figuur {f2}. Effectgrootte per jaar met 95%-BI voor SSD-12, EQ-5D-5L index, EQ VAS "
            "en PHQ-15 (positief = verbetering).",
            7.0,
            3.4,
            draw_trend,
            alt=f"Lijnfiguur van de effectgroottes per jaar; de waarden staan in tabel {t2}.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Betrouwbare verandering


def threshold_rows(ctx: Context) -> list[tuple[str, ...]]:
    """Per outcome: reliable-change threshold and cut-off (or none within the range)."""
    rows: list[tuple[str, ...]] = []
    for score in OUTCOMES:
        used = ctx.norms.get(score, {})
        rc = used.get("reliable_change")
        cut = used.get("cutoff_value")
        outside = "outside the score range" in str(used.get("note", ""))
        d = _decimals(score)
        rows.append(
            (
                label(score),
                "niet beschikbaar" if rc is None else number_nl(rc, d),
                "geen" if cut is None or outside else f"{number_nl(cut, d)} ({used.get('cutoff')})",
            )
        )
    return rows


def reliable_rows(ctx: Context) -> list[tuple[str, ...]]:
    """Merged categories per outcome (pooled period where needed) and waarvan hersteld."""
    m = ctx.min_n
    rows: list[tuple[str, ...]] = []
    for score in OUTCOMES:
        rc = ctx.fig["reliable_change"][score]
        p = rc["percent"]
        rows.append(
            (
                label(score),
                year_range_nl(*rc["period"]),
                nl(rc["n"], 0, m),
                pct(p["better"], m),
                pct(rc["recovered_percent"], m),
                pct(p["unchanged"], m),
                pct(p["worse"], m),
            )
        )
    return rows


def reliable_section(ctx: Context) -> list[Block]:
    """Reliable change in three categories with thresholds stated; SSD-12 per year."""
    m = ctx.min_n
    t0 = ctx.numbers.table("grenzen")
    t1 = ctx.numbers.table("betrouwbaar")
    f1 = ctx.numbers.figure("betrouwbaar")
    t2 = ctx.numbers.table("betrouwbaar-trend")
    ssd = ctx.norms.get("ssd12_total", {})
    crit = number_nl(ctx.fig.get("rci_critical", 1.96), 2)
    ssd_text = ""
    if ssd.get("reliable_change") is not None:
        ssd_text = (
            f" Voor de SSD-12 is een verandering betrouwbaar vanaf {number_nl(ssd['reliable_change'], 1)} "
            f"punten (RCI ≥ {crit})."
        )
        if ssd.get("cutoff_value") is not None:
            ssd_text += (
                f" Hersteld is wie betrouwbaar verbeterde en bij de nameting onder de grenswaarde "
                f"c = {number_nl(ssd['cutoff_value'], 1)} scoort: het punt tussen een klinische "
                f"groep (gemiddeld {number_nl(ssd['m_clin'], 1)}) en de algemene bevolking "
                f"(gemiddeld {number_nl(ssd['m_func'], 1)}) waar iemand even waarschijnlijk bij "
                "de ene als bij de andere groep hoort."
            )
    pooled = [
        label(s)
        for s in OUTCOMES
        if ctx.fig["reliable_change"][s]["period"][0] != ctx.fig["reliable_change"][s]["period"][1]
    ]
    pooled_text = (
        f" Voor {join_nl(pooled)} waren er in {ctx.year} in ten minste één categorie te weinig "
        "trajecten om te tonen; daar staan de jaren "
        f"{year_range_nl(int(ctx.years[0]), int(ctx.years[-1]))} samen."
        if pooled
        else ""
    )
    bars = [
        {"label": label(s), "percent": ctx.fig["reliable_change"][s]["percent"]}
        for s in (*MAIN_OUTCOMES, "phq15_total")
    ]
    cats = {k: label(f"merged={k}") for k in MERGED}

    def draw(f: Figure) -> None:
        ax = f.subplots()
        fg.category_bars(
            ax,
            bars,
            category_labels=cats,
            suppressed_label=f"niet getoond ({ctx.label})",
            xlabel="Percentage van de trajecten met voor- en nameting",
            colours=MERGED_COLOURS,
        )

    by_year = ctx.fig["reliable_change_by_year"]["ssd12_total"]
    trend_rows: list[tuple[str, ...]] = [
        (cats["better"], *(pct(by_year[y]["percent"]["better"], m) for y in ctx.years)),
        (
            "niet betrouwbaar verbeterd",
            *(pct(by_year[y]["percent"]["not_better"], m) for y in ctx.years),
        ),
    ]
    trend_rows.append(("n", *(nl(by_year[y]["n"], 0, m) for y in ctx.years)))
    return [
        Heading("Betrouwbare verandering", 2, "betrouwbaar"),
        Paragraph(
            "Een gemiddelde zegt niet hoeveel cliënten er echt op vooruitgingen. Daarom is per "
            "cliënt bekeken of de verandering groter is dan de meetfout van de vragenlijst "
            f"(de Reliable Change Index, RCI, van Jacobson en Truax; betrouwbaar bij RCI ≥ {crit})."
            + ssd_text
            + f" Tabel {t0} geeft deze grenzen voor alle uitkomsten."
        ),
        Table(
            caption=f"Tabel {t0}. Grenzen voor betrouwbare verandering en herstel",
            header=("Uitkomst", "Betrouwbare verandering vanaf", "Grenswaarde herstel"),
            rows=tuple(threshold_rows(ctx)),
            note="In punten van de vragenlijst. Grenswaarde c: tussen klinische groep en "
            "algemene bevolking (Jacobson en Truax); a: twee standaarddeviaties voorbij het "
            "gemiddelde van de eigen cliënten bij de voormeting. 'Geen': er is geen bruikbare "
            "grenswaarde binnen het bereik van de vragenlijst, dus niemand kan als hersteld "
            "tellen; wie betrouwbaar verbeterde, telt als betrouwbaar verbeterd.",
            anchor="tabel-grenzen",
        ),
        Paragraph(
            f"Tabel {t1} en figuur {f1} geven per uitkomst het percentage cliënten dat betrouwbaar "
            "verbeterde (inclusief hersteld), onveranderd bleef of betrouwbaar verslechterde. "
            "Om kleine aantallen te vermijden zijn de vijf categorieën van Jacobson en Truax "
            "samengevoegd tot deze drie; de kolom 'waarvan hersteld' staat er alleen als ook "
            "die aantallen groot genoeg zijn." + pooled_text
        ),
        Table(
            caption=f"Tabel {t1}. Betrouwbare verandering per uitkomst: percentage van de "
            "trajecten met voor- en nameting",
            header=(
                "Uitkomst",
                "Jaar",
                "n",
                "Betrouwbaar verbeterd",
                "waarvan hersteld",
                "Onveranderd",
                "Betrouwbaar verslechterd",
            ),
            rows=tuple(reliable_rows(ctx)),
            note="Betrouwbaar verbeterd omvat hersteld; betrouwbaar verslechterd omvat "
            "verslechterd tot in het klinische gebied. Jaar: het jaar van afsluiting, of "
            f"meer jaren samen als één jaar te weinig trajecten had. '{ctx.label}': te weinig "
            "trajecten, of uit andere cellen te herleiden.",
            anchor="tabel-betrouwbaar",
        ),
        FigureBlock(
            f"Figuur {f1}. Betrouwbare verandering in drie categorieën (periode als in tabel "
            f"{t1}). Niet getoonde cellen ({ctx.label}) zijn samen gearceerd.",
            7.0,
            2.9,
            draw,
            alt=f"Gestapelde staven per uitkomst; de percentages staan in tabel {t1}.",
        ),
        Paragraph(
            f"Tabel {t2} geeft per jaar welk deel van de cliënten op de SSD-12 betrouwbaar "
            "verbeterde. Per jaar zijn er te weinig cliënten die betrouwbaar verslechterden om "
            "apart te tonen; daarom staan onveranderd en verslechterd hier samen."
        ),
        Table(
            caption=f"Tabel {t2}. SSD-12: betrouwbare verandering per jaar van afsluiting",
            header=("", *ctx.years),
            rows=tuple(trend_rows),
            anchor="tabel-betrouwbaar-trend",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Cliëntervaring


def cqi_section(ctx: Context) -> list[Block]:
    """CQ-index rapportcijfer per year with CI; reference values shown and compared."""
    m = ctx.min_n
    t = ctx.numbers.table("cqi")
    f1 = ctx.numbers.figure("cqi")
    refs = [r for r in ctx.fig.get("references", []) if r["measure"] == "cqi_grade"]
    rows: list[tuple[str, ...]] = [
        ("Gemiddeld rapportcijfer", *(nl(ctx.by_year(y)["cqi"]["mean"], 1, m) for y in ctx.years)),
        (
            "95%-BI",
            *(
                nl_ci(ctx.by_year(y)["cqi"]["ci_low"], ctx.by_year(y)["cqi"]["ci_high"], 1, m)
                for y in ctx.years
            ),
        ),
        ("n", *(nl(ctx.by_year(y)["cqi"]["n"], 0, m) for y in ctx.years)),
    ]
    c = ctx.by_year()["cqi"]
    text = (
        f"Cliënten geven bij de afsluiting een rapportcijfer van 0 tot 10 voor de behandeling "
        f"(CQ-index). Tabel {t} en figuur {f1} geven het gemiddelde per jaar met het 95%-BI."
    )
    if c["mean"] is not None:
        text += f" In {ctx.year} was het gemiddelde {nl(c['mean'], 1, m)}.{_careful(c['n'])}"
    ref_blocks: list[Block] = []
    if refs:
        for r in refs:
            source = f" ({r['source']})" if r["source"] else ""
            text += f" Ter vergelijking: in {r['year']} was het rapportcijfer {number_nl(r['value'], 1)}{source}"
            text += (
                f"; {_compare_reference(c, r).split('(', 1)[1].rstrip(')')}."
                if c["mean"] is not None
                else "."
            )
        ref_blocks.append(
            Paragraph(
                "Een eerder cijfer is alleen goed te vergelijken als het op dezelfde manier is "
                "gemeten (dezelfde vragenlijst, bij afsluiting, vergelijkbare respons)."
            )
        )
    years = [int(y) for y in ctx.years]
    series = {
        "Rapportcijfer (95%-BI)": [
            (
                ctx.by_year(y)["cqi"]["mean"],
                ctx.by_year(y)["cqi"]["ci_low"],
                ctx.by_year(y)["cqi"]["ci_high"],
            )
            for y in ctx.years
        ]
    }

    def draw(f: Figure) -> None:
        ax = f.subplots()
        fg.trend_lines(ax, years, series, ylabel="Rapportcijfer (0\u201310)", zero_line=False)
        shown = [r for r in refs]
        if shown:
            ax.plot(
                [r["year"] for r in shown],
                [r["value"] for r in shown],
                linestyle="none",
                marker="D",
                color="#000000",
                label="Eerder cijfer van het centrum",
            )
            low = min(years[0], *(r["year"] for r in shown))
            ax.set_xticks(range(low, years[-1] + 1), [str(v) for v in range(low, years[-1] + 1)])
            ax.set_xlim(low - 0.5, years[-1] + 0.5)
        ax.set_ylim(5, 10)
        fg.decimal_comma(ax, "y", 1)
        ax.legend(frameon=False, loc="lower left")

    return [
        Heading("Cliëntervaring", 2, "clientervaring"),
        Paragraph(text),
        *ref_blocks,
        Table(
            caption=f"Tabel {t}. CQ-index: rapportcijfer voor de behandeling (0 tot 10) bij "
            "afsluiting, per jaar",
            header=("", *ctx.years),
            rows=tuple(rows),
            note="Eerdere cijfers van het centrum: "
            + (
                "; ".join(
                    f"{r['year']}: {number_nl(r['value'], 1)}"
                    + (f" ({r['source']})" if r["source"] else "")
                    for r in refs
                )
                if refs
                else "geen opgegeven."
            ),
            anchor="tabel-cqi",
        ),
        FigureBlock(
            f"Figuur {f1}. Gemiddeld rapportcijfer per jaar met 95%-BI"
            + ("; ruit: eerder cijfer van het centrum." if refs else "."),
            7.0,
            2.8,
            draw,
            alt=f"Lijnfiguur van het rapportcijfer per jaar; de waarden staan in tabel {t}.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Werkwijze


def methods_section(
    ctx: Context,
    score_options: Mapping[str, Any],
    windows: Mapping[str, Any],
    record_kept_by: str,
) -> list[Block]:
    """One page of plain Dutch: measurement, scoring, inclusion, missing data, privacy."""
    m = ctx.min_n
    ssd = score_options["ssd12"]
    eq5 = score_options["eq5d5l"]
    eq3 = score_options["eq5d3l"]
    rand = score_options["rand36"]
    phq = score_options["phq15"]
    coef = {
        "published": "de gepubliceerde Nederlandse waardeset (Versteegh e.a. 2016, 3 decimalen)",
        "full_precision": "de Nederlandse waardeset in volle precisie (Versteegh e.a. 2016)",
    }.get(eq5["coefficients"], str(eq5["coefficients"]))
    value_set = {
        "NL_2006_Lamers": "de Nederlandse waardeset van Lamers e.a. (2006)",
        "NL_2026_RoudijkJonker": "de Nederlandse waardeset van Roudijk en Jonker (2026)",
    }.get(eq3["value_set"], str(eq3["value_set"]))
    rand_method = {
        "rand": "volgens de RAND-scoringsregels",
        "sf36_ware": "volgens de SF-36-scoring van Ware",
    }.get(rand["method"], str(rand["method"]))
    rand_missing = {
        "half_scale": "een schaal krijgt alleen een score als minstens de helft van de vragen "
        "is beantwoord",
        "available_items": "een schaal is het gemiddelde van de beantwoorde vragen",
    }.get(rand["missing_rule"], str(rand["missing_rule"]))
    return [
        Heading("Werkwijze", 2, "werkwijze"),
        Heading("Meten", 3),
        Paragraph(
            "Cliënten vullen bij de start van de behandeling (voormeting), ten minste elk "
            "half jaar tijdens de behandeling en bij de afsluiting (nameting) vragenlijsten in. "
            "Als voormeting telt de vragenlijst die het dichtst bij de startdatum is ingevuld, "
            f"van {windows['intake_before_days']} dagen ervoor tot "
            f"{windows['intake_after_days']} dagen erna; als nameting de vragenlijst het dichtst "
            f"bij de einddatum, van {windows['end_before_days']} dagen ervoor tot "
            f"{windows['end_after_days']} dagen erna."
        ),
        BulletList(
            (
                "SSD-12 (Toussaint e.a. 2016): de psychische kenmerken van de lichamelijke "
                "klachten (gedachten, gevoelens en gedrag), 0 tot 48, lager is beter. Ontbreekt "
                f"per deelschaal hoogstens {ssd['max_missing_per_subscale']} van de 4 vragen, "
                "dan telt het gemiddelde van de beantwoorde vragen.",
                f"EQ-5D-5L: kwaliteit van leven, als index volgens {coef}; de EQ VAS is het eigen "
                "oordeel over de gezondheid vandaag, 0 tot 100. Hoger is beter. Waar eerder de "
                f"EQ-5D-3L werd afgenomen, is die gescoord volgens {value_set}.",
                f"RAND-36 (VanderZee e.a. 1996): acht schalen van gezondheid, {rand_method}; "
                f"{rand_missing}. 0 tot 100, hoger is beter.",
                "PHQ-15 (Kroenke e.a. 2002): hinder van lichamelijke klachten, 0 tot 30, lager is "
                f"beter; aangevuld als hoogstens {phq['max_missing']} vraag ontbreekt. De vraag over "
                "menstruatie telt niet mee voor mannen.",
                "CQ-index: het rapportcijfer (0 tot 10) dat de cliënt bij de afsluiting aan de "
                "behandeling geeft.",
            )
        ),
        Heading("Wie tellen mee", 3),
        Paragraph(
            f"{POPULATION_NL[ctx.fig['population']].capitalize()}. Een "
            "uitkomst hoort bij het jaar waarin de behandeling werd afgesloten; alleen "
            "afgesloten trajecten met een voormeting én een nameting tellen mee in de "
            "uitkomsten. Lopende trajecten worden alleen geteld."
        ),
        Heading("Ontbrekende gegevens", 3),
        Paragraph(
            "Trajecten zonder voor- of nameting worden niet aangevuld of "
            "geschat: de uitkomsten gelden voor de cliënten met beide metingen (zie de "
            "vergelijking van respons en non-respons). Een vragenlijst met te veel "
            "onbeantwoorde vragen krijgt geen score."
        ),
        Heading("Berekeningen", 3),
        Paragraph(
            "Betrouwbaarheidsintervallen zijn t-intervallen rond het gemiddelde. De grenzen "
            "voor betrouwbare verandering van de SSD-12 komen uit Nederlands onderzoek "
            "(Toussaint e.a.; Kop e.a. 2019); voor de andere vragenlijsten zijn de spreiding en "
            "de betrouwbaarheid geschat uit de eigen voormetingen van het centrum."
        ),
        Heading("Privacy", 3),
        Paragraph(
            f"Het verslag bevat alleen groepscijfers. Een cijfer dat op minder dan {m} "
            f"trajecten berust, staat er als '{ctx.label}'; ook cijfers waaruit zo'n klein "
            "aantal door optellen of aftrekken te herleiden is, worden niet getoond. De "
            "gegevens zijn vóór de analyse gepseudonimiseerd."
        ),
        Heading("Reproduceerbaarheid", 3),
        Paragraph(
            "De analyse is reproduceerbaar: dezelfde gegevens en instellingen geven hetzelfde "
            "verslag, en de technische verantwoording (gebruikte gegevens, instellingen en "
            f"programmatuur) wordt bewaard door {record_kept_by}."
        ),
    ]


# ---------------------------------------------------------------------------------------------
# The document


def build_document(
    fig: Mapping[str, Any],
    *,
    score_options: Mapping[str, Any],
    windows: Mapping[str, Any],
    norms: Mapping[str, Mapping[str, Any]],
    record_kept_by: str = "de afdeling Kwaliteit",
) -> Document:
    """The annual report as a document (Dutch).

    Parameters
    ----------
    fig
        :func:`pipeline.reporting.annual.annual_figures`.
    score_options
        The scoring options in force (:func:`pipeline.instruments.params.describe_options`).
    windows
        The ``clean.windows`` block (days).
    norms
        Per outcome score the reliable-change norms used by the score stage (the ``used``
        entries of ``reports/metrics/psychometrics.json``).
    record_kept_by
        Who keeps the technical record, as printed.
    """
    year = str(fig["year"])
    ctx = Context(
        fig=fig,
        year=year,
        years=[str(y) for y in fig["years"]],
        min_n=fig["min_n"],
        numbers=Numbers(),
        norms=norms,
    )
    centre = fig["centre"]["name"]
    published = (
        f"Gepubliceerd op {date_nl(fig['publication_date'])}" if fig.get("publication_date") else ""
    )
    sections: list[Block] = [
        *about(ctx),
        *clients_section(ctx),
        *flow_section(ctx),
        *response_section(ctx),
        *outcomes_section(ctx),
        *reliable_section(ctx),
        *cqi_section(ctx),
        *methods_section(ctx, score_options, windows, record_kept_by),
    ]
    blocks: list[Block] = [
        Title(
            f"Kwaliteitsjaarverslag {year}",
            subtitle="Behandeling van aanhoudende lichamelijke klachten: cliënten, verloop en "
            "uitkomsten (ROM)" + (f" \u2013 {published.lower()}" if published else ""),
            kicker=centre,
        ),
        Contents("Inhoud"),
        Heading("Kernpunten", 2, "kernpunten"),
        BulletList(tuple(key_points(ctx))),
        *sections,
    ]
    return Document(
        lang="nl",
        title=f"Kwaliteitsjaarverslag {year} \u2013 {centre}",
        blocks=blocks,
        footer=f"{centre} \u00b7 Kwaliteitsjaarverslag {year}",
        date=fig.get("publication_date") or fig["export_date"],
        author=centre,
    )


def build_verantwoording(fig: Mapping[str, Any], provenance: Sequence[Block]) -> Document:
    """The internal technical record of the annual report (``verantwoording-<year>.html``):
    stages, DVC hashes, parameters and package versions; not for publication."""
    year = str(fig["year"])
    return Document(
        lang="nl",
        title=f"Technische verantwoording kwaliteitsjaarverslag {year}",
        blocks=[
            Title(
                f"Technische verantwoording kwaliteitsjaarverslag {year}",
                subtitle="Intern document: niet voor publicatie.",
                kicker=fig["centre"]["name"],
            ),
            Paragraph(
                "Dit document legt vast waarop het kwaliteitsjaarverslag berust: de DVC-hashes "
                "van de invoer en van de tussenresultaten, de code-vingerafdruk, de parameters "
                "en de versies van de programmatuur. Het verslag is een DVC-uitvoer die in "
                "dvc.lock is vastgelegd; dezelfde gegevens en parameters geven hetzelfde "
                "verslag, byte voor byte."
            ),
            *provenance,
        ],
        date=fig.get("publication_date") or fig["export_date"],
        author=fig["centre"]["name"],
    )


__all__ = [
    "MINUS",
    "build_document",
    "build_verantwoording",
    "effect_word",
    "key_points",
    "nl",
    "nl_ci",
    "pct",
]
