"""Where the refits of a model fit run: local worker processes or a Dask cluster.

The prediction family's validation is a list of independent tasks (the final fit and every
outer-fold or bootstrap refit, each with its imputations and inner tuning; then the blocks of
bootstrap resamples behind the confidence intervals). Every task draws its random numbers from
its own seed, derived from the fit's seed and the task's position, and limits BLAS and OpenMP to
one thread, so a task computes the same bytes wherever it runs. This module only decides where:

- ``local`` (default): ``n_jobs`` worker processes of joblib's ``loky`` backend on this machine
  (``n_jobs: 1`` runs the tasks in order in the stage's own process);
- ``dask``: joblib's Dask backend sends the tasks to a ``dask.distributed`` cluster, the one at
  the scheduler address ``fit.dask_scheduler`` of params.yaml, or, when that is null, a
  ``LocalCluster`` of one single-threaded worker process per core started for the stage and
  stopped after it. The cluster's size, not ``n_jobs``, then sets how many tasks run at once.

DVC still runs the stages; Dask only runs the tasks inside one ``fit`` stage. Workers of an
external cluster need the same version of this package and its dependencies (see
``docs/guides/dask-cluster.md``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

from joblib import Parallel, delayed, parallel_config

from pipeline.errors import PipelineError

Backend = Literal["local", "dask"]
BACKENDS: tuple[str, ...] = ("local", "dask")

#: The backend in force (set by :func:`use_backend`).
_BACKEND: ContextVar[Backend] = ContextVar("pipeline_parallel_backend", default="local")


def current_backend() -> Backend:
    """The backend tasks are sent to now."""
    return _BACKEND.get()


@contextmanager
def use_backend(
    backend: Backend, scheduler: str | None = None, workers: int | None = None
) -> Iterator[None]:
    """Run :func:`run_tasks` calls inside this block on ``backend``.

    Parameters
    ----------
    backend
        ``local`` or ``dask``.
    scheduler
        ``dask``: address of a running scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` for the block.
    workers
        ``dask`` without a scheduler: worker processes of the local cluster (default: one per
        core); each has one thread.

    Raises
    ------
    PipelineError
        An unknown backend, or no Dask scheduler reachable at ``scheduler``.
    """
    if backend not in BACKENDS:
        raise PipelineError(f"unknown parallel backend '{backend}' (local or dask)")
    if backend == "local":
        token = _BACKEND.set("local")
        try:
            yield
        finally:
            _BACKEND.reset(token)
        return
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise PipelineError(
                f"no Dask scheduler reachable at fit.dask_scheduler '{scheduler}'"
            ) from exc
    token = _BACKEND.set("dask")
    try:
        with client.as_current():
            yield
    finally:
        _BACKEND.reset(token)
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    function: Callable[..., Any], arguments: Sequence[tuple[Any, ...]], n_jobs: int
) -> list[Any]:
    """``[function(*a) for a in arguments]``, in that order, on the backend in force.

    ``local`` with ``n_jobs`` 1 runs in this process; ``local`` otherwise uses ``n_jobs`` loky
    worker processes; ``dask`` sends every call to the cluster as one task.
    """
    if current_backend() == "dask":
        with parallel_config(backend="dask"):
            return list(Parallel(n_jobs=-1)(delayed(function)(*a) for a in arguments))
    if n_jobs == 1 or len(arguments) <= 1:
        return [function(*a) for a in arguments]
    return list(Parallel(n_jobs=n_jobs, backend="loky")(delayed(function)(*a) for a in arguments))
