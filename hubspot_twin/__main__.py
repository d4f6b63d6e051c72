"""``python -m hubspot_twin --port 8765 --token TOKEN``: serve a fresh twin in the foreground."""

from __future__ import annotations

import argparse

from hubspot_twin.twin import run


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m hubspot_twin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--token", action="append", dest="tokens", help="an accepted bearer token (repeatable; default: any)"
    )
    args = parser.parse_args(argv)
    run(port=args.port, host=args.host, tokens=args.tokens)


if __name__ == "__main__":
    main()
