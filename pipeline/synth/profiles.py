"""The synthetic export dressed in the file layout of an export profile (``roqua``, ``long``).

:func:`profile_files` takes the canonical tables of :func:`pipeline.synth.generate` (the same
cohort, the same planted errors) and returns the files a centre using that platform would get,
as bytes by path, with the quirks real exports have. Ingested with the matching profile in
``profiles/`` they give the same scores and trajectories as the ``alk`` layout (apart from
source row numbers): every quirk is either undone by the profile or set aside by it.

``roqua`` (docs/profile-roqua.md): RoQua's nightly export plus the centre's EPD extract:

- ``epd/trajecten.csv``: the care trajectories from the electronic patient record (Dutch
  column names, Windows-1252, sex as 1/2/3, end reasons as the EPD's words, the referral date
  split in ``aanmelddatum_dd``/``_mm``/``_yyyy``);
- ``<key>.csv`` per questionnaire: ``;``, every field quoted (also empty ones), UTF-8,
  one row per response sorted by creation time, completion dates in ISO 8601 with a time-zone
  offset; ``patient_id``, the deprecated empty ``roqua_id``, ``gender``, ``birthyear``,
  ``project``, ``emailed_at``; ``respondent_type`` (a few responses of a caregiver or a
  professional), a flagged test dossier, non-response rows (``<key>_non_response`` pointing
  into ``non_responses.json``), pending invitations (no date, no answer); SSD-12 answers on
  RoQua's 1-based scale (1..5), PHQ-15 item 4 of men as 9 (not applicable); the platform's
  totals ``ssd12_totaal`` and ``phq15_totaal`` (a plain sum of the answered items, so they
  differ from the project's prorated totals when items are missing);
- ``non_responses.json``: the non-response records (SBG reason codes);
- ``codebooks/<key>.csv``: the answer labels of the item columns.

``long`` (docs/profile-long.md): a data-warehouse extract, one row per item:

- ``epd_trajecten.csv``: the EPD extract as above (plus a test client, flagged);
- ``rom_antwoorden.csv``: ``clientnr;trajectnr;vragenlijst;afname_id;afnamedatum;respondent;
  item;antwoord``, unanswered items as ``-9``, a few administrations filled in by a partner,
  a few item rows repeated with the same value;
- ``rom_nonrespons.csv``: the non-response records (client, trajectory, questionnaire, date,
  SBG code); ``rom_codeboek.csv``: the answer labels per item code.

Pure: no files, clock or environment; every draw comes from the ``profiles`` stream of the seed.
"""

from __future__ import annotations

import codecs
import csv as _csv
import datetime as dt
import io
import json
from typing import Any

import numpy as np
import pandas as pd

from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.synth._rng import stream
from pipeline.synth.params import FLAGS, QUESTIONNAIRES, SynthParams

#: Layouts the generator writes (``alk`` is the project's own, written by
#: :func:`pipeline.io.export_writers.write_export`).
PROFILES: tuple[str, ...] = ("alk", "roqua", "long")

#: RoQua questionnaire keys of the synthetic export (``{key}`` in ``profiles/roqua.yaml``).
ROQUA_KEYS: dict[str, str] = {
    "ssd12": "ssd12", "eq5d5l": "eq5d5l", "eq5d3l": "eq5d3l", "rand36": "rand36",
    "phq15": "phq15", "cqi": "cqindex",
}  # fmt: skip
#: Questionnaire codes and item-code prefixes of the long extract (``profiles/long.yaml``).
LONG_KEYS: dict[str, str] = {
    "ssd12": "SSD-12", "eq5d5l": "EQ-5D-5L", "eq5d3l": "EQ-5D-3L", "rand36": "RAND-36",
    "phq15": "PHQ-15", "cqi": "CQi",
}  # fmt: skip
LONG_ITEM_PREFIX: dict[str, str] = {
    "ssd12": "SSD12", "eq5d5l": "EQ5D5L", "eq5d3l": "EQ5D3L", "rand36": "RAND36",
    "phq15": "PHQ15", "cqi": "CQI",
}  # fmt: skip
#: The EPD extract's column for every canonical trajectory column (both profiles).
EPD_COLUMNS: dict[str, str] = {
    "client_id": "clientnummer", "trajectory_id": "zorgtraject", "birth_year": "geboortejaar",
    "sex": "geslacht", "referral_date": "aanmelddatum", "start_date": "startdatum",
    "end_date": "einddatum", "end_reason": "reden_einde", "diagnosis": "diagnose",
    "cfs": "cvs", "comorbid_asd": "autisme", "comorbid_ptsd": "ptss",
    "comorbid_personality": "persoonlijkheidsstoornis", "comorbid_mild_id": "lvb",
    "comorbid_opioid": "opioidafhankelijkheid",
    "comorbid_childhood_trauma": "vroegkinderlijk_trauma", "comorbid_depression": "depressie",
    "comorbid_anxiety": "angststoornis", "symptom_duration_years": "klachtduur_jaren",
    "prior_treatments": "eerdere_behandelingen", "treatments": "behandelvormen",
    "sessions": "aantal_contacten", "research_consent": "toestemming_onderzoek", "team": "team",
}  # fmt: skip
#: The EPD's codes: sex 1/2/3 and its words for the end reasons (mapped by the profiles).
EPD_SEX: dict[str, str] = {"man": "1", "vrouw": "2", "anders": "3"}
EPD_END_REASON: dict[str, str] = {
    "regulier": "Afgerond", "voortijdig": "Uitval", "verwezen": "Verwezen", "overig": "Overig",
}  # fmt: skip
#: The EPD's diagnosis wordings (accepted spellings of docs/input-format.md).
EPD_DIAGNOSIS: dict[str, str] = {
    "ssd": "Somatische symptoomstoornis", "fnd": "Functionele neurologische stoornis",
    "illness_anxiety": "Ziekteangststoornis", "other": "Overig",
}  # fmt: skip
#: SBG non-response codes drawn for the synthetic records, with their weights.
REASON_CODES: tuple[str, ...] = (
    "01", "02a", "02b", "03", "04", "05", "06a", "06b", "07", "08", "09a", "09b", "10",
)  # fmt: skip
REASON_WEIGHTS: tuple[float, ...] = (
    0.14, 0.05, 0.03, 0.06, 0.28, 0.04, 0.08, 0.04, 0.06, 0.04, 0.05, 0.03, 0.10,
)  # fmt: skip
#: Answer labels written to the codebooks (canonical answer -> label).
LABELS: dict[str, dict[int, str]] = {
    "ssd12": {0: "nooit", 1: "zelden", 2: "soms", 3: "vaak", 4: "heel vaak"},
    "phq15": {0: "niet gehinderd", 1: "een beetje gehinderd", 2: "veel gehinderd"},
    "eq5d5l": {
        1: "geen problemen", 2: "een beetje problemen", 3: "matige problemen",
        4: "ernstige problemen", 5: "niet in staat / extreme problemen",
    },
    "eq5d3l": {1: "geen problemen", 2: "enige problemen", 3: "niet in staat / extreme problemen"},
}  # fmt: skip
#: Share of administrations also filled in by another respondent (set aside by the profile).
OTHER_RESPONDENT_SHARE = 0.03
#: Share of missing measurements for which a non-response record is registered.
NON_RESPONSE_SHARE = 0.6
#: The test dossier's client id (flagged; set aside by the profile).
TEST_CLIENT = "TEST0001"
#: Non-response questionnaires of an occasion (the battery; the EQ-5D-3L had ended by then).
NR_QUESTIONNAIRES: tuple[str, ...] = ("ssd12", "eq5d5l", "rand36", "phq15")


def profile_files(
    tables: dict[str, pd.DataFrame], params: SynthParams, profile: str
) -> dict[str, bytes]:
    """The files of the synthetic export in ``profile``'s layout, as bytes by relative path.

    Parameters
    ----------
    tables
        :func:`pipeline.synth.generate` output (not modified).
    params
        The ``synth`` parameters (seed, calendar).
    profile
        ``roqua`` or ``long``.
    """
    rng = stream(params.seed, "profiles")
    if profile == "roqua":
        return _roqua(tables, params, rng)
    if profile == "long":
        return _long(tables, params, rng)
    raise ValueError(f"no synthetic file layout for profile '{profile}'")


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------


def _csv_bytes(
    header: list[str],
    rows: list[list[str]],
    *,
    quote_all: bool = False,
    encoding: str = "utf-8",
    eol: str = "\r\n",
) -> bytes:
    buffer = io.StringIO()
    writer = _csv.writer(
        buffer,
        delimiter=";",
        quoting=_csv.QUOTE_ALL if quote_all else _csv.QUOTE_MINIMAL,
        lineterminator=eol,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _day_text(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%d-%m-%Y")


def _number_text(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    number = float(value)
    return (
        str(int(number)) if number.is_integer() else f"{number:.2f}".rstrip("0").replace(".", ",")
    )


def _amsterdam_offset(stamp: pd.Timestamp) -> str:
    """The Dutch UTC offset of a wall-clock time: +02:00 from the last Sunday of March to the
    last Sunday of October (EU summer time), else +01:00."""

    def last_sunday(year: int, month: int) -> dt.date:
        day = dt.date(year, month, 31)
        return day - dt.timedelta(days=(day.weekday() + 1) % 7)

    day = stamp.date()
    summer = last_sunday(stamp.year, 3) <= day < last_sunday(stamp.year, 10)
    return "+02:00" if summer else "+01:00"


def _iso_with_offset(value: Any) -> str:
    """ISO 8601 with the Dutch offset for a date-time; text (a planted bad date) as it is."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + _amsterdam_offset(stamp)


def _dutch_stamp(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%d-%m-%Y %H:%M")


def _sort_times(completed: pd.Series) -> np.ndarray:
    """Per row a time to sort on: the completion time, or (a planted unparseable date) the
    time of the row before it."""
    stamps = pd.to_datetime(
        completed.map(lambda v: None if isinstance(v, str) else v), errors="coerce"
    )
    return stamps.ffill().bfill().to_numpy(dtype="datetime64[ns]")


def epd_extract(trajectories: pd.DataFrame, test_client: bool, *, referral_parts: bool) -> bytes:
    """The EPD extract of the trajectories (Windows-1252, ``;``, CRLF, Dutch names and codes).

    ``test_client`` adds a flagged test client's trajectory (column ``testclient``);
    ``referral_parts`` splits the referral date into ``aanmelddatum_dd``/``_mm``/``_yyyy``.
    """
    header: list[str] = []
    for column in EPD_COLUMNS:
        name = EPD_COLUMNS[column]
        if column == "referral_date" and referral_parts:
            header += [f"{name}_dd", f"{name}_mm", f"{name}_yyyy"]
        else:
            header.append(name)
    header.append("testclient")
    rows = []
    records = trajectories.to_dict("records")
    if test_client and records:
        fake = dict(records[0])
        fake.update(client_id=TEST_CLIENT, trajectory_id="TESTTRAJ01", team="Noord")
        records.append(fake)
    for record in records:
        row: list[str] = []
        for column in EPD_COLUMNS:
            value = record.get(column)
            if column == "referral_date" and referral_parts:
                day = pd.Timestamp(str(value))
                row += [str(day.day), str(day.month), str(day.year)]
            elif column in ("referral_date", "start_date", "end_date"):
                row.append(_day_text(value))
            elif column == "sex":
                row.append(EPD_SEX.get(str(value), ""))
            elif column == "diagnosis":
                row.append(EPD_DIAGNOSIS.get(str(value), str(value)))
            elif column == "end_reason":
                row.append("" if value is None else EPD_END_REASON.get(str(value), str(value)))
            elif column in FLAGS:
                row.append("J" if value == 1 else ("N" if value == 0 else ""))
            elif column == "research_consent":
                row.append({"ja": "J", "nee": "N"}.get(str(value), ""))
            elif column in ("symptom_duration_years",):
                row.append(_number_text(value))
            else:
                row.append("" if value is None or (not isinstance(value, str) and pd.isna(value))
                           else str(value))  # fmt: skip
        row.append("J" if record.get("client_id") == TEST_CLIENT else "N")
        rows.append(row)
    return _csv_bytes(header, rows, encoding="cp1252")


def _window_has(
    admins: pd.DataFrame, trajectory: np.ndarray, day: pd.Series, before: int, after: int
) -> np.ndarray:
    """Per trajectory: an administration of ``admins`` (with that trajectory id) within
    ``[day - before, day + after]``."""
    if not len(admins):
        return np.zeros(len(trajectory), dtype=bool)
    stamps = pd.to_datetime(
        admins["completed_at"].map(lambda v: None if isinstance(v, str) else v), errors="coerce"
    )
    frame = pd.DataFrame(
        {"t": admins["trajectory_id"].to_numpy(dtype=object), "d": stamps.dt.normalize()}
    ).dropna()
    target = pd.DataFrame({"t": trajectory, "lo": day - pd.Timedelta(days=before),
                           "hi": day + pd.Timedelta(days=after)})  # fmt: skip
    merged = target.reset_index().merge(frame, on="t", how="inner")
    inside = (merged["d"] >= merged["lo"]) & (merged["d"] <= merged["hi"])
    hit = np.zeros(len(trajectory), dtype=bool)
    hit[merged.loc[inside, "index"].to_numpy(dtype=np.int64)] = True
    return hit


def non_response_events(tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> pd.DataFrame:
    """Registered non-responses of missed intake and end measurements.

    For every trajectory without an SSD-12 administration in its intake window (and, when it
    ended, in its end window), a record is registered with probability
    :data:`NON_RESPONSE_SHARE`, a few days before the start or end, with an SBG reason code;
    it covers every questionnaire of the battery missing at that occasion.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``client_id``, ``trajectory_id``, ``recorded_at``, ``reason_code``,
        ``instruments`` (tuple), sorted by ``recorded_at``.
    """
    traj = tables["trajectories"]
    parts = []
    for occasion, column in (("intake", "start_date"), ("end", "end_date")):
        day = pd.to_datetime(traj[column])
        present = day.notna().to_numpy()
        ids = traj["trajectory_id"].to_numpy(dtype=object)
        missing = {
            name: ~_window_has(tables[name], ids, day, 60, 30) & present
            for name in NR_QUESTIONNAIRES
            if name in tables
        }
        if "ssd12" not in missing:
            continue
        chosen = missing["ssd12"] & (rng.random(len(traj)) < NON_RESPONSE_SHARE)
        lead = rng.integers(1, 21, size=len(traj))
        hour = rng.integers(8, 18, size=len(traj))
        codes = rng.choice(len(REASON_CODES), size=len(traj), p=np.asarray(REASON_WEIGHTS))
        for k in np.flatnonzero(chosen):
            when = day.iloc[k] - pd.Timedelta(days=int(lead[k])) + pd.Timedelta(hours=int(hour[k]))
            covered = tuple(name for name, mask in missing.items() if mask[k])
            parts.append(
                {
                    "client_id": traj["client_id"].iloc[k],
                    "trajectory_id": ids[k],
                    "recorded_at": when,
                    "reason_code": REASON_CODES[int(codes[k])],
                    "instruments": covered,
                    "occasion": occasion,
                }
            )
    events = pd.DataFrame(parts)
    if not len(events):
        return pd.DataFrame(
            columns=[
                "id",
                "client_id",
                "trajectory_id",
                "recorded_at",
                "reason_code",
                "instruments",
            ]  # fmt: skip
        )
    events = events.sort_values(["recorded_at", "client_id"], kind="mergesort").reset_index(
        drop=True
    )
    events.insert(0, "id", [str(5000 + k) for k in range(len(events))])
    return events


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _platform_total(answers: np.ndarray) -> np.ndarray:
    """The platform's total: the plain sum of the answered items (empty when none is)."""
    answered = ~np.isnan(answers)
    total = np.nansum(answers, axis=1)
    return np.where(answered.any(axis=1), total, np.nan)


def _answers(frame: pd.DataFrame, name: str) -> np.ndarray:
    columns = [item.name for item in INSTRUMENT_ITEMS[name]]
    return frame[columns].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


# --------------------------------------------------------------------------------------------
# RoQua
# --------------------------------------------------------------------------------------------

#: Metadata columns of every RoQua questionnaire file, before the questionnaire's own.
ROQUA_META: tuple[str, ...] = (
    "patient_id", "roqua_id", "gender", "birthyear", "project", "emailed_at", "test_dossier",
    "respondent_id", "respondent_type", "respondent_label",
)  # fmt: skip


def _roqua(
    tables: dict[str, pd.DataFrame], params: SynthParams, rng: np.random.Generator
) -> dict[str, bytes]:
    traj = tables["trajectories"]
    files: dict[str, bytes] = {"epd/trajecten.csv": epd_extract(traj, False, referral_parts=True)}
    events = non_response_events(tables, rng)
    sex_of = dict(zip(traj["client_id"], traj["sex"], strict=False))
    cutoff = pd.Timestamp(params.calendar.export_date)
    ongoing = traj.loc[traj["end_date"].isna(), "client_id"].to_numpy(dtype=object)
    pending_clients: list[Any] = (
        rng.choice(ongoing, size=min(3, len(ongoing)), replace=False).tolist()
        if len(ongoing)
        else []
    )
    respondent_ids: dict[tuple[str, str], str] = {}
    for name in QUESTIONNAIRES:
        if name not in tables:
            continue
        key = ROQUA_KEYS[name]
        frame = tables[name]
        items = INSTRUMENT_ITEMS[name]
        answers = _answers(frame, name)
        rows: list[tuple[np.datetime64, list[str]]] = []
        times = _sort_times(frame["completed_at"])
        clients = frame["client_id"].to_numpy(dtype=object)
        totals = _platform_total(answers) if name in ("ssd12", "phq15") else None

        def row(
            client: str,
            kind: str,
            label: str,
            completed: str,
            coded: list[str],
            nr: str = "",
            total: str = "",
            test: str = "0",
            with_total: bool = totals is not None,
        ) -> list[str]:
            rid = respondent_ids.setdefault((client, kind), str(3000 + len(respondent_ids)))
            meta = [client, "", "", "", "", "", test, rid, kind, label]
            tail = [total] if with_total else []
            return [*meta, "", nr, "ALK", completed, "", *coded, *tail]

        for k in range(len(frame)):
            coded = _roqua_codes(name, answers[k], sex_of.get(clients[k]))
            total = "" if totals is None or np.isnan(totals[k]) else f"{totals[k]:g}"
            rows.append(
                (times[k], row(clients[k], "patient", "patiënt",
                               _iso_with_offset(frame["completed_at"].iloc[k]), coded, total=total))
            )  # fmt: skip
        others = np.flatnonzero(rng.random(len(frame)) < OTHER_RESPONDENT_SHARE)
        for k in others.tolist():
            kind = str(rng.choice(["caregiver", "profess"]))
            label = "mantelzorger" if kind == "caregiver" else "behandelaar"
            fake = np.array([float(rng.integers(s.low, s.high + 1)) for s in items])
            stamp = pd.Timestamp(times[k]) + pd.Timedelta(minutes=int(rng.integers(30, 900)))
            rows.append(
                (stamp.to_datetime64(), row(clients[k], kind, label, _iso_with_offset(stamp),
                                            _roqua_codes(name, fake, None)))
            )  # fmt: skip
        for event in _records(events):
            if name not in event["instruments"]:
                continue
            blank = ["" for _ in items]
            rows.append(
                (pd.Timestamp(event["recorded_at"]).to_datetime64(),
                 row(str(event["client_id"]), "patient", "patiënt", "", blank,
                     nr=str(event["id"])))
            )  # fmt: skip
        for client in pending_clients:
            stamp = cutoff - pd.Timedelta(days=int(rng.integers(1, 20)))
            blank = ["" for _ in items]
            rows.append((stamp.to_datetime64(), row(str(client), "patient", "patiënt", "", blank)))
        stamp = cutoff - pd.Timedelta(days=int(rng.integers(30, 300)))
        fake = np.array([float(rng.integers(s.low, s.high + 1)) for s in items])
        rows.append(
            (stamp.to_datetime64(), row(TEST_CLIENT, "patient", "patiënt", _iso_with_offset(stamp),
                                        _roqua_codes(name, fake, None), test="1"))
        )  # fmt: skip
        order = sorted(range(len(rows)), key=lambda i: (rows[i][0], i))
        body = []
        for number, position in enumerate(order, start=1):
            cells = rows[position][1]
            cells[len(ROQUA_META)] = str(100000 + number)  # the response id
            body.append(cells)
        header = [
            *ROQUA_META, f"{key}_id", f"{key}_non_response", f"{key}_location", f"{key}_date",
            f"{key}_notes", *(f"{key}_{n}" for n in range(1, len(items) + 1)),
        ]  # fmt: skip
        if totals is not None:
            header.append(f"{key}_totaal")
        files[f"{key}.csv"] = _csv_bytes(header, body, quote_all=True, eol="\n")
        book = _codebook_rows(name, key, items, roqua=True)
        if book:
            files[f"codebooks/{key}.csv"] = _csv_bytes(
                ["variable", "value", "label"], book, quote_all=True, eol="\n"
            )
    files["non_responses.json"] = _non_response_json(events)
    return files


def _roqua_codes(name: str, answers: np.ndarray, sex: Any) -> list[str]:
    """A row's answers as RoQua writes them: SSD-12 1-based, PHQ-15 item 4 of men 9."""
    out = []
    for k, value in enumerate(answers):
        if np.isnan(value):
            out.append("9" if name == "phq15" and k == 3 and sex == "man" else "")
        else:
            out.append(str(int(value) + 1) if name == "ssd12" else str(int(value)))
    return out


def _codebook_rows(name: str, key: str, items: Any, *, roqua: bool) -> list[list[str]]:
    labels = LABELS.get(name)
    if labels is None:
        return []
    rows = []
    for n, item in enumerate(items, start=1):
        if item.high - item.low > 10:  # the EQ VAS
            continue
        variable = f"{key}_{n}" if roqua else f"{LONG_ITEM_PREFIX[name]}_{n}"
        for answer, label in labels.items():
            code = answer + 1 if roqua and name == "ssd12" else answer
            rows.append([variable, str(code), label])
        if name == "phq15" and n == 4:
            rows.append([variable, "9" if roqua else "-9", "niet van toepassing"])
        elif not roqua:
            rows.append([variable, "-9", "niet ingevuld"])
    return rows


def _non_response_json(events: pd.DataFrame) -> bytes:
    group_of = {True: "Patiënt benaderd", False: "Patiënt niet benaderd"}
    records = []
    for event in _records(events):
        code = str(event["reason_code"])
        stamp = pd.Timestamp(event["recorded_at"])
        records.append(
            {
                "id": int(event["id"]),
                "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S") + _amsterdam_offset(stamp),
                "reason_code": code,
                "reason_group": group_of[int(code[:2]) <= 5],
                "reason_option": f"SBG-code {code}",
                "reason_other": "andere reden, zie dossier" if code == "10" else None,
            }
        )
    return (json.dumps(records, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# long (item-per-row)
# --------------------------------------------------------------------------------------------

LONG_HEADER: tuple[str, ...] = (
    "clientnr", "trajectnr", "vragenlijst", "afname_id", "afnamedatum", "respondent", "item",
    "antwoord",
)  # fmt: skip
#: Share of administrations with one item row written twice (same value).
REPEATED_ROW_SHARE = 0.002


def _long(
    tables: dict[str, pd.DataFrame], params: SynthParams, rng: np.random.Generator
) -> dict[str, bytes]:
    traj = tables["trajectories"]
    events = non_response_events(tables, rng)
    files: dict[str, bytes] = {"epd_trajecten.csv": epd_extract(traj, True, referral_parts=False)}
    files["rom_antwoorden.csv"] = long_items_csv(tables, params, rng)
    rows = [
        [
            str(e["client_id"]),
            str(e["trajectory_id"]),
            LONG_KEYS[str(name)],
            _day_text(e["recorded_at"]),
            str(e["reason_code"]),
        ]  # fmt: skip
        for e in _records(events)
        for name in e["instruments"]
    ]
    files["rom_nonrespons.csv"] = _csv_bytes(
        ["clientnr", "trajectnr", "vragenlijst", "datum", "reden"], rows
    )
    book = [
        row
        for name in QUESTIONNAIRES
        for row in _codebook_rows(name, "", INSTRUMENT_ITEMS[name], roqua=False)
    ]
    files["rom_codeboek.csv"] = _csv_bytes(["item", "code", "omschrijving"], book)
    return files


def long_items_csv(
    tables: dict[str, pd.DataFrame], params: SynthParams, rng: np.random.Generator
) -> bytes:
    """``rom_antwoorden.csv``: one row per item of every administration (vectorised with
    pyarrow dictionary columns, so a million administrations write in seconds)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    blocks = []
    for name in QUESTIONNAIRES:
        if name not in tables:
            continue
        frame = tables[name]
        answers = _answers(frame, name)
        blocks.append((name, frame, answers))
    # administrations of every questionnaire, in one order: client, then time
    admin_parts = []
    for i, (_, frame, _) in enumerate(blocks):
        admin_parts.append(
            pd.DataFrame(
                {
                    "block": i,
                    "local": np.arange(len(frame), dtype=np.int64),
                    "client": frame["client_id"].to_numpy(dtype=object),
                    "trajectory": frame["trajectory_id"].to_numpy(dtype=object),
                    "time": _sort_times(frame["completed_at"]),
                    "date": frame["completed_at"].map(_dutch_stamp).to_numpy(dtype=object),
                    "respondent": "patient",
                }
            )
        )
    admins = pd.concat(admin_parts, ignore_index=True)
    partner = np.flatnonzero(rng.random(len(admins)) < OTHER_RESPONDENT_SHARE / 2)
    extra = admins.iloc[partner].copy()
    extra["respondent"] = "partner"
    extra["time"] = extra["time"] + pd.Timedelta(minutes=45)
    extra["date"] = [_dutch_stamp(pd.Timestamp(t)) for t in extra["time"]]
    test_rows = admins.iloc[:0].copy()
    if len(admins):
        first_block = admins[admins["block"] == 0].head(3).copy()
        first_block["client"] = TEST_CLIENT
        first_block["trajectory"] = "TESTTRAJ01"
        test_rows = first_block
    admins = pd.concat([admins, extra, test_rows], ignore_index=True)
    admins["fake"] = np.arange(len(admins)) >= len(admins) - len(extra) - len(test_rows)
    order = np.lexsort((admins["time"].to_numpy(), admins["client"].astype(str).to_numpy()))
    admins = admins.iloc[order].reset_index(drop=True)
    admins["admin_id"] = [f"AF{k:08d}" for k in range(1, len(admins) + 1)]
    # item rows
    sizes = np.array([len(INSTRUMENT_ITEMS[blocks[b][0]]) for b in admins["block"]], np.int64)
    row_admin = np.repeat(np.arange(len(admins)), sizes)
    starts = np.cumsum(sizes) - sizes
    position = np.arange(len(row_admin)) - np.repeat(starts, sizes)
    item_texts: list[str] = []
    item_first: dict[int, int] = {}
    for b, (name, _, _) in enumerate(blocks):
        item_first[b] = len(item_texts)
        item_texts += [
            f"{LONG_ITEM_PREFIX[name]}_{n}" for n in range(1, len(INSTRUMENT_ITEMS[name]) + 1)
        ]
    block_of = admins["block"].to_numpy(dtype=np.int64)
    first_of_block = np.array([item_first[b] for b in range(len(blocks))], dtype=np.int64)
    item_code = first_of_block[block_of[row_admin]] + position
    # answers: "-9" for unanswered; partner and test administrations get other answers
    value_texts = ["-9", *(str(v) for v in range(0, 101))]
    values = np.zeros(len(row_admin), dtype=np.int32)
    local = admins["local"].to_numpy(dtype=np.int64)
    fake_rows = admins["fake"].to_numpy(dtype=bool)
    for b, (name, _, answers) in enumerate(blocks):
        rows_b = np.flatnonzero(block_of[row_admin] == b)
        a = answers[local[row_admin[rows_b]], position[rows_b]]
        specs = INSTRUMENT_ITEMS[name]
        low = np.array([s.low for s in specs])[position[rows_b]]
        high = np.array([s.high for s in specs])[position[rows_b]]
        fake = fake_rows[row_admin[rows_b]]
        drawn = rng.integers(low, high + 1)
        a = np.where(fake, drawn, a)
        values[rows_b] = np.where(np.isnan(a), 0, np.nan_to_num(a, nan=-1).astype(np.int64) + 1)
    repeat = np.ones(len(row_admin), dtype=np.int64)
    doubled = np.flatnonzero(rng.random(len(admins)) < REPEATED_ROW_SHARE)
    repeat[starts[doubled]] = 2
    take = np.repeat(np.arange(len(row_admin)), repeat)
    row_admin, item_code, values = row_admin[take], item_code[take], values[take]

    def column(indices: np.ndarray, dictionary: Any) -> Any:
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(indices, dtype=np.int32)), pa.array(list(dictionary), pa.string())
        )

    def admin_column(values_per_admin: np.ndarray) -> Any:
        codes, uniques = pd.factorize(pd.Series(values_per_admin, dtype=object).fillna(""))
        return column(codes[row_admin], uniques)

    names = [LONG_KEYS[blocks[b][0]] for b in range(len(blocks))]
    table = pa.table(
        {
            "clientnr": admin_column(admins["client"].to_numpy(dtype=object)),
            "trajectnr": admin_column(admins["trajectory"].to_numpy(dtype=object)),
            "vragenlijst": column(block_of[row_admin], names),
            "afname_id": admin_column(admins["admin_id"].to_numpy(dtype=object)),
            "afnamedatum": admin_column(admins["date"].to_numpy(dtype=object)),
            "respondent": admin_column(admins["respondent"].to_numpy(dtype=object)),
            "item": column(item_code, item_texts),
            "antwoord": column(values, value_texts),
        }
    )
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(
        delimiter=";", eol="\r\n", quoting_style="none", quoting_header="none"
    )
    pa_csv.write_csv(table, buffer, options)
    return codecs.BOM_UTF8 + buffer.getvalue()
