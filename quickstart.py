#!/usr/bin/env python3
"""Set up nllb in ./.venv and run it: `python3 quickstart.py serve` or `python3 quickstart.py test`.

Needs nothing but Python 3.10+ (and, for the tests, redis-server, promtool,
nginx, docker-compose, systemd-analyze and chromium, which are installed with
apt-get when missing and run as root). The virtual environment
is (re)installed when pyproject.toml changes; extra arguments go to
`nllb serve` or to pytest.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def ensure_environment(extras: set[str]) -> None:
    """A .venv with nllb and `extras`; reinstalled when pyproject.toml changes or an extra is missing."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".installed"
    if stamp.is_file():
        installed, _, have = stamp.read_text().partition(" ")
        if installed == wanted and extras <= set(have.split(",")):
            return
    if not (BIN / "python").exists():
        print("quickstart: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"quickstart: installing nllb with {', '.join(sorted(extras))} into .venv", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["-e", f"{ROOT}[{','.join(sorted(extras))}]"], check=True)
    stamp.write_text(f"{wanted} {','.join(sorted(extras))}")


# Programs the tests run, and the Debian package of each.
TEST_PROGRAMS = {
    "redis-server": "redis-server",
    "promtool": "prometheus",
    "nginx": "nginx",
    "docker-compose": "docker-compose",
    "systemd-analyze": "systemd",
    "chromium": "chromium",
}


def ensure_test_programs() -> None:
    """The tests start redis-server and check the deployment files; install Debian's packages when missing."""
    missing = sorted({package for program, package in TEST_PROGRAMS.items() if not shutil.which(program)})
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"quickstart: the tests need {', '.join(missing)}; install them (apt-get install {' '.join(missing)})")
    print(f"quickstart: installing {', '.join(missing)} (apt-get)", flush=True)
    quiet = {"stdout": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env=env, **quiet)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    # Serving needs the docs pages only; the tests' tools (a browser driver, fuzzers) are hundreds of MB.
    ensure_environment({"docs"} if command == "serve" else {"docs", "test"})
    if command == "serve":
        os.execv(str(BIN / "nllb"), [str(BIN / "nllb"), "serve", *rest])
    ensure_test_programs()
    os.chdir(ROOT)
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
