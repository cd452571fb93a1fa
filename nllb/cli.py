"""The `nllb` command."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nllb", description="NLLB-200 translation service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the service (gunicorn, workers, engine)")
    serve.add_argument("--bind", help="HOST:PORT (env HOST, PORT)")
    serve.add_argument("--workers", type=int, help="HTTP worker processes (env WORKERS)")
    serve.add_argument("--threads", type=int, help="threads per worker (env THREADS)")

    model = commands.add_parser("model", help="model files").add_subparsers(dest="model_command", required=True)
    synth = model.add_parser("synth", help="write a synthetic NLLB model (random weights, gibberish output)")
    synth.add_argument("--size", choices=("tiny", "600M", "1.3B", "3.3B"), default="tiny")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("out_dir")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "model" and args.model_command == "synth":
        from nllb.synthetic import write_model

        path = write_model(args.size, args.out_dir, seed=args.seed)
        print(f"synthetic {args.size} NLLB model written to {path} (random weights: output is gibberish)")
        return 0
    return 2


def _serve(args: argparse.Namespace) -> int:
    # Options become the environment that nllb.config reads, so the master,
    # workers and engine all see one configuration.
    if args.bind:
        host, _, port = args.bind.rpartition(":")
        os.environ["HOST"], os.environ["PORT"] = host.strip("[]") or "0.0.0.0", port
    if args.workers is not None:
        os.environ["WORKERS"] = str(args.workers)
    if args.threads is not None:
        os.environ["THREADS"] = str(args.threads)
    from nllb.config import ConfigError, Settings

    try:
        Settings.from_env()
    except ConfigError as exc:
        print(f"nllb: {exc}", file=sys.stderr)
        return 2
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:nllb.gunicorn_config"])
