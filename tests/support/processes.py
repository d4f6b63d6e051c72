"""Running real commands in tests: the benchmark's process helpers (bench/processes.py), shared."""

from bench.processes import Service, describe, free_port, http_ok, port_open, run_command

__all__ = ["Service", "describe", "free_port", "http_ok", "port_open", "run_command"]
