"""``python -m pipeline``: see :mod:`pipeline.cli`."""

from pipeline.cli import main

# The guard matters: worker processes started by multiprocessing's spawn method (a Dask
# LocalCluster, fit.backend: dask) import this module under another name and must not run it.
if __name__ == "__main__":
    raise SystemExit(main())
