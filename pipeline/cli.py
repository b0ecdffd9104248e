"""The command line: ``python -m pipeline`` and the ``alk-pipeline`` console script.

Sub-commands (contract in ``docs/outputs.md``):

- ``synth --out DIR [--clients N] [--seed S] [--format csv|xlsx|sav] [--profile alk|roqua|long]``
- ``validate EXPORT_DIR [--profile NAME]``
- ``score IN.csv OUT.csv``
- ``stage NAME [ARGS...]``: run one DVC stage (what ``dvc.yaml`` calls); every stage module
  has ``main(argv: list[str]) -> None``.

A :class:`pipeline.errors.PipelineError` ends the run with its one-line message on stderr and
exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import PipelineError

STAGES = ("synth", "ingest", "clean", "score", "fit", "report")


def _cmd_synth(args: argparse.Namespace) -> int:
    from pipeline.stages import synth

    synth.run_cli(
        out=Path(args.out),
        clients=args.clients,
        seed=args.seed,
        fmt=args.format,
        profile=args.profile,
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipeline.stages import ingest

    report = ingest.validate_cli(Path(args.export_dir), profile=args.profile)
    sys.stdout.write(report)
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from pipeline.stages import score

    return score.score_file_cli(Path(args.input), Path(args.output))


def _cmd_stage(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"pipeline.stages.{args.name}")
    module.main(list(args.stage_args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="ALK ROM pipeline: synthetic exports, validation, scoring and DVC stages.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("synth", help="write a synthetic, realistic ROM export")
    p.add_argument("--out", required=True, help="folder to write the export to")
    p.add_argument("--clients", type=int, default=None, help="number of clients (params.yaml)")
    p.add_argument("--seed", type=int, default=None, help="random seed (params.yaml)")
    p.add_argument("--format", choices=("csv", "xlsx", "sav"), default="csv")
    p.add_argument(
        "--profile",
        choices=("alk", "roqua", "long"),
        default="alk",
        help="file layout: the project's own (alk) or a platform's (roqua, long; CSV)",
    )
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("validate", help="check an export; print its row accounting")
    p.add_argument("export_dir", metavar="EXPORT_DIR")
    p.add_argument(
        "--profile",
        default=None,
        help="export profile: a shipped name (alk, roqua, long) or a profile file "
        "(default: params.yaml ingest.profile)",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("score", help="score an item-level CSV with canonical item names")
    p.add_argument("input", metavar="IN.csv")
    p.add_argument("output", metavar="OUT.csv")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("stage", help="run one DVC stage (as dvc.yaml does)")
    p.add_argument("name", choices=STAGES)
    p.add_argument("stage_args", nargs=argparse.REMAINDER, help="arguments for the stage")
    p.set_defaults(func=_cmd_stage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PipelineError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
