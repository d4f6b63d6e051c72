"""The benchmark's sections, in the order they run (cheap and CPU-bound first): `bench/<name>.py` each.

Named here, outside the `bench` package, so `leadflow bench --only` offers them without importing the bench.
"""

BENCH_SECTIONS = ("core", "sweep", "nurture", "sla", "dashboard", "economy", "intake", "latency", "rescore", "backtest")
