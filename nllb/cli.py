"""The `nllb` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nllb.config import QUALITIES
from nllb.tools.models import LID_MODELS

MODELS = ("nllb-200-distilled-600M", "nllb-200-distilled-1.3B", "nllb-200-3.3B")
QUANTIZATIONS = ("float16", "int8_float16", "int8", "bfloat16", "float32")


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

    token = commands.add_parser("token", help="manage API tokens without a running server").add_subparsers(
        dest="token_command", required=True)
    create = token.add_parser("create", help="create a token; it is printed once, alone on the last line")
    create.add_argument("name")
    create.add_argument("--description", default="")
    create.add_argument("--rate-limit", type=_per_window, metavar="N/SECONDS", help="requests per window")
    create.add_argument("--char-limit", type=_per_window, metavar="N/SECONDS", help="characters per window")
    token.add_parser("rotate", help="a new secret for an existing token, printed once; the old one stops working"
                     ).add_argument("name")
    token.add_parser("list", help="list tokens (never their secrets)")
    for verb, text in (("revoke", "deactivate a token"), ("activate", "activate a token again")):
        token.add_parser(verb, help=text).add_argument("id", type=int)

    bench = commands.add_parser(
        "bench", help="measure the service against raw CTranslate2 on this machine",
        description="Raw translate_batch against the running service, same model, sentences and options. "
                    "Synthetic models never emit </s> (random weights), so every translation would run to the "
                    "length limit, where one batch takes so long that the service's own delays vanish; their "
                    "outputs are capped at 48 tokens unless --set MAX_DECODING_LENGTH says otherwise, about "
                    "what a real model writes for a sentence (1-1.5x its 20-50 tokens).")
    where = bench.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="a CTranslate2 NLLB model directory")
    where.add_argument("--synthetic", choices=("tiny", "600M", "1.3B", "3.3B"), help="build a synthetic model of this shape")
    bench.add_argument("--concurrency", default="1,8,32", help="comma-separated numbers of requests in flight")
    bench.add_argument("--duration", type=float, default=10.0, help="seconds per load level")
    bench.add_argument("--quality", choices=QUALITIES, default="fast")
    bench.add_argument("--texts-per-request", type=int, default=1, help="also drive multi-text requests of this size")
    bench.add_argument("--texts-concurrency", help="requests in flight for the multi-text runs (default: --concurrency)")
    bench.add_argument("--workers", type=int, help="default: what `nllb serve` picks on this machine")
    bench.add_argument("--threads", type=int, help="default: what `nllb serve` picks on this machine")
    bench.add_argument("--clients", type=int, default=4, help="load-generator processes")
    bench.add_argument("--lone-requests", type=_at_least_one, default=50,
                       help="lone requests timed against direct calls, in pairs")
    bench.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="service setting for this run (DEVICE, COMPUTE_TYPE, MAX_BATCH_SIZE, ...)")
    bench.add_argument("--open-loop", default="",
                       help="comma-separated offered rates as shares of the raw maximum (0.5,0.8,0.95): "
                            "Poisson arrivals, independent of the answers")
    bench.add_argument("--rounds", type=_at_least_one, default=1,
                       help="turns the raw ceiling and the service take at each closed-loop level (the median "
                            "round is reported), so that a drifting machine moves both alike")
    bench.add_argument("--out", help="write the machine-readable result here (JSON)")

    cache = commands.add_parser("bench-cache", help="cached requests against a bare Falcon app, same gunicorn settings")
    cache.add_argument("--concurrency", default="1,8,32")
    cache.add_argument("--duration", type=float, default=10.0, help="seconds per load level and server")
    cache.add_argument("--rounds", type=_at_least_one, default=3,
                       help="turns the two servers take at each level, so that a drifting machine moves both alike")
    cache.add_argument("--workers", type=int, default=2)
    cache.add_argument("--threads", type=int, default=8)
    cache.add_argument("--clients", type=int, default=2, help="load-generator processes")
    cache.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    cache.add_argument("--out")

    markup = commands.add_parser("bench-markup", help="documents/s for a 2 KB HTML page against plain text of "
                                 "the same words, tiny model, uncached")
    markup.add_argument("--concurrency", type=int, default=8)
    markup.add_argument("--duration", type=float, default=10.0)
    markup.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    markup.add_argument("--out")

    detect = commands.add_parser("bench-detect", help="language identification: throughput on one core, added "
                                 "latency of a lone \"auto\" request, memory per process with N workers")
    detect.add_argument("--lid-model", help="a fastText LID model (default: a synthetic one of --lid-size)")
    detect.add_argument("--lid-size", default="256x1000000", metavar="DIMxBUCKETS",
                        help="the synthetic model's shape; the default is about NLLB's own model's size (1 GB)")
    detect.add_argument("--workers", type=int, default=16)
    detect.add_argument("--pairs", type=int, default=200)
    detect.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    detect.add_argument("--out")

    info = model.add_parser("info", help="architecture, sizes, languages, fingerprint, device memory needed")
    info.add_argument("path")
    convert = model.add_parser("convert", help="convert a Hugging Face NLLB model (needs the 'convert' extra)")
    convert.add_argument("hf_model", help="a Hub name (facebook/nllb-200-distilled-600M) or a local directory")
    convert.add_argument("out_dir")
    convert.add_argument("--quantization", choices=QUANTIZATIONS, default="float16")
    download = model.add_parser("download", help="download and convert an NLLB-200 model (needs the 'convert' extra)")
    download.add_argument("name", nargs="?", choices=MODELS, default=MODELS[0])
    download.add_argument("--quantization", choices=QUANTIZATIONS, default="float16")
    download.add_argument("--dir", default="models", help="where the converted model goes (DIR/NAME)")
    download_lid = model.add_parser("download-lid", help="download a language identification model for "
                                    "source_lang \"auto\" and /detect (needs the 'convert' extra)")
    download_lid.add_argument("name", nargs="?", choices=tuple(LID_MODELS), default=next(iter(LID_MODELS)),
                              help="; ".join(f"{name}: {repo}, {licence}" for name, (repo, licence) in LID_MODELS.items()))
    download_lid.add_argument("--dir", default="models", help="where it goes (DIR/lid-NAME/model.bin)")
    synth_lid = model.add_parser("synth-lid", help="train a small language identification model on the package's "
                                 "sentences (8 languages; for trying source_lang \"auto\")")
    synth_lid.add_argument("out_path")

    soak = commands.add_parser("soak", help="a long mixed-load run watching every process for leaks")
    soak.add_argument("--minutes", type=float, default=10.0)
    soak.add_argument("--warmup-minutes", type=float, default=2.0)
    soak.add_argument("--clients", type=int, default=6)
    soak.add_argument("--out")

    siege = commands.add_parser("siege", help="normal clients beside an attacker: latency, statuses, memory, leftovers")
    siege.add_argument("--baseline-minutes", type=float, default=1.0)
    siege.add_argument("--attack-minutes", type=float, default=5.0)
    siege.add_argument("--clients", type=int, default=6, help="normal clients, each one request at a time")
    siege.add_argument("--stop-engine-after", type=float, default=60.0,
                       help="seconds into the attack when the engine gets SIGSTOP (once)")
    siege.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="a setting for the service, e.g. ENGINE_STALL_SECONDS=2")
    siege.add_argument("--out")

    args = parser.parse_args(argv)
    if args.command == "model":
        return _model(args)
    run = {"serve": _serve, "token": _token, "bench": _bench, "bench-cache": _bench_cache,
           "bench-detect": _bench_detect, "bench-markup": _bench_markup, "soak": _soak, "siege": _siege}[args.command]
    return run(args)


def _model(args: argparse.Namespace) -> int:
    if args.model_command == "synth":
        from nllb.tools.synthetic import write_model

        path = write_model(args.size, args.out_dir, seed=args.seed)
        print(f"synthetic {args.size} NLLB model written to {path} (random weights: output is gibberish)")
        return 0
    if args.model_command == "synth-lid":
        from nllb.tools.synthetic import write_lid_model

        path = write_lid_model(Path(args.out_path))
        print(f"language identification model (8 languages, for trying it out) written to {path}")
        return 0
    from nllb.tools import models

    return models.main(args)


def _at_least_one(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _per_window(raw: str) -> tuple[int, int]:
    count, _, window = raw.partition("/")
    try:
        values = int(count), int(window)
    except ValueError:
        raise argparse.ArgumentTypeError("expected N/SECONDS, such as 100/60") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError("both numbers must be at least 1")
    return values


def _token(args: argparse.Namespace) -> int:
    import json

    from nllb.access import open_store
    from nllb.access.tokens import Limits, TokenError
    from nllb.config import ConfigError, Settings

    try:
        store = open_store(Settings.from_env())
    except ConfigError as exc:
        print(f"nllb: {exc}", file=sys.stderr)
        return 2
    if args.token_command == "create":
        requests, characters = args.rate_limit or (None, None), args.char_limit or (None, None)
        try:
            record, secret = store.create(args.name, args.description, Limits(*requests, *characters))
        except TokenError as exc:
            hint = f"; `nllb token rotate {args.name}` gives it a new secret" if exc.code == "name_taken" else ""
            print(f"nllb: {exc}{hint}", file=sys.stderr)
            return 1
        return _show_secret(record, secret, store, "created token", "it is shown once, keep it now")
    if args.token_command == "rotate":
        try:
            record, secret = store.rotate(args.name)
        except TokenError as exc:
            print(f"nllb: {exc}", file=sys.stderr)
            return 1
        return _show_secret(record, secret, store, "new secret for token", "the old one no longer works")
    if args.token_command == "list":
        for record in store.list():
            print(json.dumps(record.public(), ensure_ascii=False))
        return 0
    record = store.set_active(args.id, args.token_command == "activate")
    if record is None:
        print(f"nllb: no token has id {args.id}", file=sys.stderr)
        return 1
    print(f"token {record.id} ({record.name}) is {'active' if record.active else 'revoked'}")
    return 0


def _show_secret(record, secret: str, store, what: str, note: str) -> int:
    """The secret alone on standard output (for `TOKEN=$(...)`), what it is on standard error."""
    where = str(store.path) if hasattr(store, "path") else "the shared Redis"
    print(f"{what} {record.id} ({record.name}) in {where}; {note}:", file=sys.stderr)
    print(secret)
    return 0


# A synthetic model never ends a translation: outputs stop at the length
# limit. 48 tokens is about what a real model writes for a typical sentence.
SYNTHETIC_OUTPUT_CAP = 48


def _bench(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from nllb.modeldir import ModelDirectory
    from nllb.tools import bench

    env = _settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model) if args.model else None
        if model is None or ModelDirectory.open(model).synthetic:
            env.setdefault("MAX_DECODING_LENGTH", str(SYNTHETIC_OUTPUT_CAP))
        if model is None:
            from nllb.tools.synthetic import write_model

            print(f"writing a synthetic {args.synthetic} model ...", file=sys.stderr, flush=True)
            model = write_model(args.synthetic, Path(tmp) / args.synthetic)
        result = bench.run(bench.Options(
            model_path=model,
            concurrency=[int(c) for c in args.concurrency.split(",")],
            texts_concurrency=[int(c) for c in (args.texts_concurrency or args.concurrency).split(",")],
            duration=args.duration,
            quality=args.quality,
            texts_per_request=args.texts_per_request,
            workers=args.workers,
            threads=args.threads,
            clients=args.clients,
            lone_requests=args.lone_requests,
            env=env,
            open_loop=[float(x) for x in args.open_loop.split(",") if x],
            rounds=args.rounds,
        ))
    result["synthetic"] = args.synthetic
    return _report(bench.report(result), result, args.out)


def _settings(args: argparse.Namespace) -> dict[str, str]:
    """The service settings given as --set NAME=VALUE."""
    return dict(item.split("=", 1) for item in args.set)


def _report(text: str, result: dict, out: str | None) -> int:
    """A benchmark's table on standard output, its whole result as JSON in `out`."""
    import json

    print(text)
    if out:
        Path(out).write_text(json.dumps(result, indent=2))
    return 0


def _bench_cache(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from nllb.tools import bench_cache
    from nllb.tools.synthetic import write_model

    with tempfile.TemporaryDirectory() as tmp:
        model = write_model("tiny", Path(tmp) / "tiny")
        result = bench_cache.run(
            model, args.workers, args.threads, [int(c) for c in args.concurrency.split(",")],
            args.duration, args.clients, _settings(args), args.rounds,
        )
    return _report(bench_cache.report(result), result, args.out)


def _bench_markup(args: argparse.Namespace) -> int:
    import tempfile

    from nllb.tools import bench_markup
    from nllb.tools.synthetic import write_model

    with tempfile.TemporaryDirectory() as tmp:
        model = write_model("tiny", Path(tmp) / "tiny")
        env = {"COMPUTE_TYPE": "float32", "INTRA_THREADS": "1", "MAX_DECODING_LENGTH": "48",
               **_settings(args)}
        result = bench_markup.run(model, args.concurrency, args.duration, env)
    return _report(bench_markup.report(result), result, args.out)


def _bench_detect(args: argparse.Namespace) -> int:
    import tempfile

    from nllb.tools import bench_detect
    from nllb.tools.synthetic import write_lid_model, write_model

    with tempfile.TemporaryDirectory() as tmp:
        model = write_model("tiny", Path(tmp) / "tiny")
        if args.lid_model:
            lid = Path(args.lid_model)
        else:
            dim, buckets = (int(x) for x in args.lid_size.split("x"))
            lid = write_lid_model(Path(tmp) / "lid.bin", dim=dim, bucket=buckets)
        env = {"COMPUTE_TYPE": "float32", "INTRA_THREADS": "1", **_settings(args)}
        result = bench_detect.run(model, lid, args.workers, args.pairs, env)
    return _report(bench_detect.report(result), result, args.out)


def _soak(args: argparse.Namespace) -> int:
    import json
    import tempfile
    from pathlib import Path

    from nllb.tools import soak
    from nllb.tools.synthetic import write_model

    with tempfile.TemporaryDirectory() as tmp:
        result = soak.run(args.minutes, args.warmup_minutes, args.clients, write_model("tiny", Path(tmp) / "tiny"))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


def _siege(args: argparse.Namespace) -> int:
    import json
    import tempfile
    from pathlib import Path

    from nllb.tools import siege
    from nllb.tools.synthetic import write_model

    env = _settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        result = siege.run(args.baseline_minutes, args.attack_minutes, args.clients,
                           write_model("tiny", Path(tmp) / "tiny"), args.stop_engine_after, env)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


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
    # glibc gives each thread that allocates its own arena and keeps what it
    # freed there: 8-64 threads per worker handling large bodies took workers
    # to twice their idle memory under attack (docs/PERFORMANCE.md). Two arenas
    # keep that bounded; it must be in the environment before the master starts.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:nllb.gunicorn_config"])
