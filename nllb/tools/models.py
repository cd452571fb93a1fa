"""`nllb model info | convert | download`: the model files a service runs on."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from nllb.modeldir import SENTENCEPIECE_NAMES, ModelDirectory, ModelDirectoryError

_EXTRA = "this needs the 'convert' extra: pip install 'nllb[convert]' (transformers, torch, huggingface_hub)"


def main(args: argparse.Namespace) -> int:
    try:
        if args.model_command == "info":
            return _info(args.path)
        if args.model_command == "convert":
            return _convert(args.hf_model, Path(args.out_dir), args.quantization)
        return _download(args.name, args.quantization, Path(args.dir))
    except ModelDirectoryError as exc:
        print(f"nllb: {exc}", file=sys.stderr)
        return 1


def _info(path: str) -> int:
    from nllb.tools import modelinfo

    print(json.dumps(modelinfo.read(path).as_dict(), indent=2))
    return 0


def _convert(source: str, out: Path, quantization: str) -> int:
    if not all(importlib.util.find_spec(name) for name in ("transformers", "torch")):
        print(f"nllb: {_EXTRA}", file=sys.stderr)
        return 2
    from ctranslate2.converters import TransformersConverter

    converter = TransformersConverter(source, copy_files=[SENTENCEPIECE_NAMES[0]])
    converter.convert(str(out), quantization=quantization, force=True)
    directory = ModelDirectory.open(out)
    print(f"converted {source} to {out} ({quantization}): {len(directory.languages)} languages, "
          f"fingerprint {directory.fingerprint}")
    return 0


def _download(name: str, quantization: str, root: Path) -> int:
    if not importlib.util.find_spec("huggingface_hub"):
        print(f"nllb: {_EXTRA}", file=sys.stderr)
        return 2
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        # huggingface_hub shows a progress bar per file.
        source = snapshot_download(f"facebook/{name}", allow_patterns=["*.json", "*.bin", "*.safetensors", "*.model"])
    except (LocalEntryNotFoundError, OSError) as exc:
        print(f"nllb: could not download facebook/{name} from the Hugging Face Hub ({exc.__class__.__name__}). "
              "Offline? Download it on a machine with access and run `nllb model convert` on the copy.",
              file=sys.stderr)
        return 1
    return _convert(source, root / f"{name}-{quantization}", quantization)
