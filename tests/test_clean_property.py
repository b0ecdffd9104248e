"""Property tests of pipeline.clean: random small exports, checked against invariants and
against a plain row-by-row reference implementation of the rules in docs/input-format.md
(*Timepoints*) and docs/outputs.md (*Quarantine*) as the pipeline.clean module docstring
spells them out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import TIMEPOINTS, CleanParams, WindowParams, clean_tables
from pipeline.instruments.catalogue import item_columns

BASE = dt.datetime(2022, 1, 1)
INSTR = ("eq5d3l", "cqi")


@st.composite
def exports(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    n_clients = draw(st.integers(1, 3))
    traj_rows = []
    for c in range(n_clients):
        for t in range(draw(st.integers(0, 3))):
            start = draw(st.integers(0, 700))
            length = draw(st.one_of(st.none(), st.integers(0, 400)))
            traj_rows.append(
                {
                    "source_row": len(traj_rows) + 2,
                    "client_key": f"c{c}",
                    "trajectory_key": f"t{c}{t}",
                    "birth_year": 1970,
                    "start_date": BASE + dt.timedelta(days=start),
                    "end_date": None
                    if length is None
                    else BASE + dt.timedelta(days=start + length),
                    "treatments": "cbt",
                }
            )
    trajectories = pd.DataFrame(
        traj_rows,
        columns=["source_row", "client_key", "trajectory_key", "birth_year", "start_date",
                 "end_date", "treatments"],
    )  # fmt: skip
    trajectories["source_row"] = trajectories["source_row"].astype("int64")
    trajectories["birth_year"] = trajectories["birth_year"].astype("Int64")
    for column in ("start_date", "end_date"):
        trajectories[column] = pd.to_datetime(trajectories[column]).astype("datetime64[ns]")
    keys = [*trajectories["trajectory_key"], "unknown"]

    tables = {}
    for name in INSTR:
        rows = []
        n = draw(st.integers(0, 14))
        rows_order = draw(st.permutations(range(2, n + 2)))
        for i in range(n):
            if rows and draw(st.integers(0, 5)) == 0:  # an exact copy of an earlier row
                rows.append(
                    {**rows[draw(st.integers(0, len(rows) - 1))], "source_row": rows_order[i]}
                )
                continue
            # Mostly a client with trajectories, near a start or end date (where the windows
            # and their bounds are), with its own key or none.
            if traj_rows and draw(st.integers(0, 4)) > 0:
                near = draw(st.sampled_from(traj_rows))
                client = near["client_key"]
                anchor = draw(st.sampled_from([near["start_date"], near["end_date"]]))
                days = (anchor or near["start_date"]) - BASE
                offset = days.days + draw(st.integers(-100, 100))
                own = near["trajectory_key"]
                key = draw(st.sampled_from([None, None, own, own, draw(st.sampled_from(keys))]))
            else:
                client = f"c{draw(st.integers(0, n_clients))}"
                offset = draw(st.integers(-120, 1600))
                key = draw(st.one_of(st.none(), st.sampled_from(keys)))
            record: dict[str, Any] = {
                "source_row": rows_order[i],
                "client_key": client,
                "trajectory_key": key,
                "completed_at": BASE
                + dt.timedelta(days=offset, hours=draw(st.sampled_from([8, 20]))),
            }
            for item in item_columns(name):
                record[item] = draw(st.sampled_from([np.nan, 1.0, 2.0]))
            rows.append(record)
        frame = pd.DataFrame(
            rows, columns=["source_row", "client_key", "trajectory_key", "completed_at",
                           *item_columns(name)]
        )  # fmt: skip
        frame["source_row"] = frame["source_row"].astype("int64")
        frame["trajectory_key"] = frame["trajectory_key"].astype(object)
        frame["completed_at"] = pd.to_datetime(frame["completed_at"]).astype("datetime64[ns]")
        for item in item_columns(name):
            frame[item] = frame[item].astype("float32")
        tables[name] = frame
    return trajectories, tables


def reference(
    trajectories: pd.DataFrame, tables: dict[str, pd.DataFrame], w: WindowParams
) -> tuple[dict[tuple[str, int], tuple[str | None, str]], dict[tuple[str, int], int]]:
    """Row by row: (instrument, source_row) -> (trajectory_key, timepoint) for kept rows, and
    (instrument, source_row) -> kept row for duplicates."""
    trajs = [
        {
            "client": r.client_key,
            "key": r.trajectory_key,
            "s": r.start_date.date(),
            "e": None if pd.isna(r.end_date) else r.end_date.date(),
        }
        for r in trajectories.itertuples()
    ]
    kept: list[dict[str, Any]] = []
    dups: dict[tuple[str, int], int] = {}
    for name, frame in tables.items():
        seen: dict[tuple[Any, ...], int] = {}
        for r in frame.sort_values("source_row").to_dict("records"):
            answers = tuple(None if np.isnan(r[i]) else float(r[i]) for i in item_columns(name))
            sig = (r["client_key"], r["trajectory_key"], r["completed_at"], answers)
            if sig in seen:
                dups[(name, r["source_row"])] = seen[sig]
                continue
            seen[sig] = r["source_row"]
            kept.append({"instr": name, **r, "d": r["completed_at"].date()})

    def days(a: dt.date, b: dt.date) -> int:
        return (a - b).days

    def in_span(t: dict[str, Any], d: dt.date) -> bool:
        if days(d, t["s"]) < -w.intake_before_days:
            return False
        return t["e"] is None or days(d, t["e"]) <= w.follow_up_days

    for a in kept:
        a["t"] = None
        if a["trajectory_key"] is not None:
            match = [
                t
                for t in trajs
                if t["key"] == a["trajectory_key"] and t["client"] == a["client_key"]
            ]
            a["t"] = match[0] if match else None
        else:
            cands = [t for t in trajs if t["client"] == a["client_key"] and in_span(t, a["d"])]
            if cands:
                a["t"] = max(cands, key=lambda t: (t["s"], t["key"]))

    def in_intake(a: dict[str, Any]) -> bool:
        t = a["t"]
        return (
            t is not None and -w.intake_before_days <= days(a["d"], t["s"]) <= w.intake_after_days
        )

    def in_end(a: dict[str, Any]) -> bool:
        t = a["t"]
        return (
            t is not None
            and t["e"] is not None
            and -w.end_before_days <= days(a["d"], t["e"]) <= w.end_after_days
        )

    chosen: dict[int, str] = {}
    for t in trajs:
        for name in tables:
            group = [a for a in kept if a["t"] is t and a["instr"] == name]
            intake_c = [a for a in group if in_intake(a)]
            intake = None
            if intake_c:
                intake = min(
                    intake_c,
                    key=lambda a: (abs(days(a["d"], t["s"])), a["completed_at"], a["source_row"]),
                )
                chosen[id(intake)] = "intake"
            end_c = [
                a for a in group if in_end(a) and a is not intake
                and (intake is None or (a["completed_at"], a["source_row"]) > (intake["completed_at"], intake["source_row"]))
            ]  # fmt: skip
            if end_c:
                end = min(
                    end_c,
                    key=lambda a: (abs(days(a["d"], t["e"])), a["completed_at"], a["source_row"]),
                )
                chosen[id(end)] = "end"

    out: dict[tuple[str, int], tuple[str | None, str]] = {}
    for a in kept:
        t = a["t"]
        if id(a) in chosen:
            tp = chosen[id(a)]
        elif t is None:
            tp = "unlinked"
        elif in_intake(a) or in_end(a):
            if a["d"] < t["s"]:
                tp = "unlinked"
            elif t["e"] is not None and a["d"] > t["e"]:
                tp = "follow_up"
            else:
                tp = "interim"
        elif days(a["d"], t["s"]) > w.intake_after_days and (
            t["e"] is None or days(a["d"], t["e"]) < -w.end_before_days
        ):
            tp = "interim"
        elif t["e"] is not None and w.end_after_days < days(a["d"], t["e"]) <= w.follow_up_days:
            tp = "follow_up"
        else:
            tp = "unlinked"
        out[(a["instr"], a["source_row"])] = (None if tp == "unlinked" else t["key"], tp)
    return out, dups


windows = st.builds(
    WindowParams,
    intake_before_days=st.integers(0, 90),
    intake_after_days=st.integers(0, 60),
    end_before_days=st.integers(0, 90),
    end_after_days=st.integers(0, 60),
    follow_up_days=st.integers(60, 800),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=exports(), w=windows)
def test_matches_reference_and_invariants(
    data: tuple[pd.DataFrame, dict[str, pd.DataFrame]], w: WindowParams
) -> None:
    trajectories, tables = data
    result = clean_tables({"trajectories": trajectories, **tables}, CleanParams(w))
    adm = result.administrations
    expected, dups = reference(trajectories, tables, w)

    # Every administration is either kept or quarantined, never both, never lost.
    kept = set(zip(adm["instrument"], adm["source_row"], strict=True))
    quarantined = set(zip(result.quarantine["table"], result.quarantine["row"], strict=True))
    rows_in = {(name, int(r)) for name, f in tables.items() for r in f["source_row"]}
    assert not kept & quarantined
    assert kept | quarantined == rows_in
    assert len(adm) == len(kept) and len(result.quarantine) == len(quarantined)
    for name, frame in tables.items():
        n_kept = int((adm["instrument"] == name).sum())
        assert len(frame) == n_kept + result.accounting[name]

    # Each kept one has exactly one timepoint, and linked iff it has a trajectory and days.
    assert adm["timepoint"].isin(TIMEPOINTS).all()
    unlinked = adm["timepoint"] == "unlinked"
    assert (adm["trajectory_key"].isna() == unlinked).all()
    assert (adm["days_from_start"].isna() == unlinked).all()
    linked = adm[~unlinked]
    firsts = linked[linked["timepoint"].isin(["intake", "end"])]
    assert not firsts.duplicated(["trajectory_key", "instrument", "timepoint"]).any()

    # The same answer as the row-by-row reference.
    got = {
        (i, r): (k, tp)
        for i, r, k, tp in zip(
            adm["instrument"],
            adm["source_row"],
            adm["trajectory_key"],
            adm["timepoint"],
            strict=True,
        )
    }
    assert got == expected
    got_dups = {
        (t, r): int(reason.rsplit(" ", 1)[1])
        for t, r, reason in zip(
            result.quarantine["table"],
            result.quarantine["row"],
            result.quarantine["reason"],
            strict=True,
        )
    }
    assert got_dups == dups

    # Response status agrees with the linked intake and end administrations.
    for row in result.trajectories.itertuples():
        for name in INSTR:
            mine = linked[
                (linked["trajectory_key"] == row.trajectory_key) & (linked["instrument"] == name)
            ]
            pre, post = (mine["timepoint"] == "intake").any(), (mine["timepoint"] == "end").any()
            status = getattr(row, f"response_{name}")
            if row.status == "ongoing":
                assert status == "ongoing"
            else:
                assert (
                    status
                    == {
                        (True, True): "completer",
                        (True, False): "pre_only",
                        (False, True): "post_only",
                        (False, False): "none",
                    }[(bool(pre), bool(post))]
                )

    # Linkage counts add up.
    total = result.linkage["total"]
    assert total["administrations"] == len(adm)
    assert total["linked_by_id"] + total["linked_by_date"] + total["unlinked"] == len(adm)
    assert sum(total["unlinked_reasons"].values()) == total["unlinked"]
