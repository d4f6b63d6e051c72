"""RQ worker entry point (Procfile `worker: python worker.py`): the same as `leadflow worker`."""

from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    main(["worker", *sys.argv[1:]])
