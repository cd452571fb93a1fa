"""`nllb model info | convert | download | download-lid`: the model files a service runs on."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from nllb.modeldir import SENTENCEPIECE_NAMES, ModelDirectory, ModelDirectoryError

_EXTRA = "this needs the 'convert' extra: pip install 'nllb[convert]' (transformers, torch, huggingface_hub)"

# Language identification models: fastText, labels in FLORES-200 style (`__label__eng_Latn`).
LID_MODELS = {
    "glotlid": ("cis-lmu/glotlid", "Apache-2.0"),
    "openlid": ("laurievb/OpenLID-v2", "GPL-3.0"),
    "nllb": ("facebook/fasttext-language-identification", "CC-BY-NC-4.0: not for commercial use"),
}
# The first four bytes of a fastText model file.
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")


def main(args: argparse.Namespace) -> int:
    try:
        if args.model_command == "info":
            return _info(args.path)
        if args.model_command == "convert":
            return _convert(args.hf_model, Path(args.out_dir), args.quantization)
        if args.model_command == "download-lid":
            return _download_lid(args.name, Path(args.dir))
        return _download(args.name, args.quantization, Path(args.dir))
    except ModelDirectoryError as exc:
        print(f"nllb: {exc}", file=sys.stderr)
        return 1


def _info(path: str) -> int:
    if _is_fasttext(Path(path)):
        return _lid_info(Path(path))
    from nllb.tools import modelinfo

    print(json.dumps(modelinfo.read(path).as_dict(), indent=2))
    return 0


def _is_fasttext(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == _FASTTEXT_MAGIC


def _lid_info(path: Path) -> int:
    from nllb.languages import NLLB_LANGUAGE_CODES, Languages
    from nllb.translation.detection import LanguageDetector

    detector = LanguageDetector(path, Languages(list(NLLB_LANGUAGE_CODES)))
    missing = sorted(set(NLLB_LANGUAGE_CODES) - detector.known)
    print(json.dumps({
        "kind": "fastText language identification",
        **detector.describe(),
        "size_bytes": path.stat().st_size,
        "nllb_languages_covered": f"{len(detector.known)} of {len(NLLB_LANGUAGE_CODES)}",
        "nllb_languages_missing": missing,
    }, indent=2))
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


def _download_lid(name: str, root: Path) -> int:
    if not importlib.util.find_spec("huggingface_hub"):
        print(f"nllb: {_EXTRA}", file=sys.stderr)
        return 2
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repository, licence = LID_MODELS[name]
    print(f"{repository}: licence {licence}", file=sys.stderr)
    try:
        # huggingface_hub shows a progress bar.
        path = hf_hub_download(repository, "model.bin", local_dir=root / f"lid-{name}")
    except (LocalEntryNotFoundError, OSError) as exc:
        print(f"nllb: could not download {repository} from the Hugging Face Hub ({exc.__class__.__name__}). "
              "Offline? Download its model.bin on a machine with access and point LID_MODEL_PATH at the copy.",
              file=sys.stderr)
        return 1
    _lid_info(Path(path))
    print(f"LID_MODEL_PATH={Path(path).resolve()}")
    return 0
