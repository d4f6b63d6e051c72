"""A clock job's query for its due rows, through its index against a full scan (PostgreSQL's EXPLAIN ANALYZE).

The decay sweep (bench/sweep.py) and the nurture-due job (bench/nurture.py) each find their due contacts through an
index on (due time, contact id). `index_against_scan` runs such a query as Leadflow runs it and EXPLAINs the same
SQL, once with index scans allowed and once with PostgreSQL's index scans switched off in the same run (a full
scan: what the job would cost without the index): the median database time (EXPLAIN ANALYZE's execution time),
the median wall time in Leadflow (rows turned into Python), the rows the plan read and the buffers it touched.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

SCAN_OFF = ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan")


@dataclass(frozen=True)
class DueQuery:
    """A due-rows query: `run` is Leadflow's own function for it (returning the rows found), `sql` with `params`
    the same SELECT as SQL, to EXPLAIN."""

    run: Callable[[Connection], Sized]
    sql: str
    params: Mapping[str, Any]


def index_against_scan(engine: Engine, query: DueQuery, repeats: int) -> dict[str, Any]:
    """Time and EXPLAIN the query with index scans on, then off; return both as `index_*` and `scan_*` keys."""
    indexed, scanned = timed(engine, query, False, repeats), timed(engine, query, True, repeats)
    assert indexed["found"] == scanned["found"], (indexed, scanned)
    return {
        f"{name}_{key}": value for name, plan in (("index", indexed), ("scan", scanned)) for key, value in plan.items()
    }


def timed(engine: Engine, query: DueQuery, scan: bool, repeats: int) -> dict[str, Any]:
    """The query with index scans on or off: the median database time (EXPLAIN ANALYZE's execution time) and wall
    time in Leadflow (rows turned into Python), and what the plan read."""
    with engine.connect() as connection:
        if scan:
            for setting in SCAN_OFF:
                connection.execute(text(f"SET {setting} = off"))
        found = len(query.run(connection))  # warm, as in a running database
        walls, plans = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            query.run(connection)
            walls.append(time.perf_counter() - started)
            plans.append(plan(connection, query))
        connection.rollback()
    return {
        "found": found,
        "db_ms": round(statistics.median(plan["ms"] for plan in plans), 3),
        "wall_ms": round(statistics.median(walls) * 1000, 3),
        "rows": plans[-1]["rows"],
        "buffers": plans[-1]["buffers"],
        "plan": plans[-1]["nodes"],
    }


def plan(connection: Connection, query: DueQuery) -> dict[str, Any]:
    """EXPLAIN ANALYZE the query: its execution time, the rows its table nodes read (kept or filtered out), the
    buffers it touched and its nodes."""
    explain = f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query.sql}"
    ((document,),) = connection.execute(text(explain), dict(query.params)).all()
    root = document[0]["Plan"]
    nodes, rows = [], 0
    pending = [root]
    while pending:
        node = pending.pop()
        nodes.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        if "Relation Name" in node:  # a node that reads the table: every row it looked at, kept or filtered out
            rows += int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))
        pending.extend(node.get("Plans", []))
    buffers = int(root.get("Shared Hit Blocks", 0)) + int(root.get("Shared Read Blocks", 0))
    return {"ms": float(document[0]["Execution Time"]), "rows": rows, "buffers": buffers, "nodes": nodes}
