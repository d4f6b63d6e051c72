"""Running real commands (tests and the benchmark): one-shot commands, and services stopped by their own pid.

A `Service` writes its standard output and error to files (no pipes to drain or to leave open), fails fast
with that output when it exits before it is ready, and is stopped with SIGTERM, then SIGKILL after a grace
period. It is started in a session of its own, so the SIGKILL fallback can reach the children it forked
(gunicorn's workers, RQ's work horse) through its own process group, and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

OUTPUT_TAIL = 6000


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    """Return whether a GET of `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        exc.close()
        return False
    except OSError:
        return False


def run_command(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = 60,
    input: str | None = None,
    stdin: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end and capture its output; a command past `timeout` is killed and fails the test."""
    try:
        return subprocess.run(
            list(argv),
            env=dict(env),
            cwd=cwd,
            input=input,
            stdin=stdin if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{' '.join(argv)} did not finish within {timeout} s\n"
            f"--- stdout ---\n{_text(exc.stdout)[-OUTPUT_TAIL:]}\n--- stderr ---\n{_text(exc.stderr)[-OUTPUT_TAIL:]}"
        ) from None


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """Return a command's exit status and output, for assertion messages."""
    argv = result.args if isinstance(result.args, str) else " ".join(map(str, result.args))
    return (
        f"{argv} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-OUTPUT_TAIL:]}\n--- stderr ---\n{result.stderr[-OUTPUT_TAIL:]}"
    )


def _text(output: bytes | str | None) -> str:
    if output is None:
        return ""
    return output.decode(errors="replace") if isinstance(output, bytes) else output


class Service:
    """A long-running command started by the test; a context manager that stops it (and only it)."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log_dir: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        """Start the command; its output goes to this service's log files."""
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        return self

    def output(self) -> str:
        """Return the exit status (if any) and the tail of the output so far, for assertion messages."""
        status = "running" if self.process is None or self.process.poll() is None else self.process.returncode
        pid = self.process.pid if self.process else None
        return (
            f"{self.name} (pid {pid}, {status}): {' '.join(self.argv)}\n"
            f"--- stdout ---\n{self._tail(self.stdout_path)}\n--- stderr ---\n{self._tail(self.stderr_path)}"
        )

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 20) -> None:
        """Wait until `ready()` holds; fail with the service's output if it exits or the time runs out."""
        assert self.process is not None, f"{self.name} was not started"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited before {what}\n{self.output()}")
            if ready():
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: no {what} within {timeout} s\n{self.output()}")

    def wait_for_port(self, port: int, host: str = "127.0.0.1", timeout: float = 20) -> None:
        self.wait_until(lambda: port_open(port, host), f"listener on {host}:{port}", timeout)

    def wait_for_http(self, url: str, timeout: float = 20) -> None:
        self.wait_until(lambda: http_ok(url), f"200 from {url}", timeout)

    def stop(self, grace: float = 10) -> None:
        """Stop the service: SIGTERM to its pid, then SIGKILL to its own process group after `grace` seconds."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                # Not reaped yet, so the group id (our child's pid) cannot belong to anyone else.
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    process.kill()
                process.wait(timeout=grace)

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @staticmethod
    def _tail(path: Path) -> str:
        try:
            return path.read_text(errors="replace")[-OUTPUT_TAIL:]
        except FileNotFoundError:
            return ""
