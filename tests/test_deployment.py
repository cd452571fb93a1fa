"""The deployment files check out with the tools that run here; model files are inspected and refused clearly."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support import free_port, request

from nllb.config import _VARIABLES

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "conf"


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    assert path, f"{name} is missing; `python3 quickstart.py test` installs it"
    return path


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def test_the_nginx_site_passes_nginx_t_inside_a_minimal_config(tmp_path):
    (tmp_path / "logs").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(
        "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
        "http {\n  access_log off;\n  include %s;\n}\n" % (tmp_path, tmp_path, CONF / "nginx" / "nllb.conf")
    )
    result = run(tool("nginx"), "-t", "-p", str(tmp_path), "-c", str(main))
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    unit = (CONF / "systemd" / "nllb.service").read_text()
    # verify wants ExecStart's binary to exist: point it at this checkout's nllb.
    unit = unit.replace("/opt/nllb/.venv/bin/nllb", tool("nllb"))
    path = tmp_path / "nllb.service"
    path.write_text(unit)
    result = run(tool("systemd-analyze"), "verify", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KillMode=mixed" in unit and "RuntimeDirectory=nllb" in unit


def test_the_compose_file_parses_with_docker_compose_config(tmp_path):
    env = {**os.environ, "DRAGONFLY_PASSWORD": "x" * 32, "CT2_ROCM_ZIP_SHA256": "0" * 64}
    result = run(tool("docker-compose"), "-f", str(ROOT / "docker-compose.yml"), "config", env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    nllb, cache = config["services"]["nllb"], config["services"]["dragonfly"]
    assert "ports" not in cache  # the cache is reachable from the compose network only
    assert "--requirepass" in cache["command"]
    assert not nllb.get("privileged") and {"/dev/kfd", "/dev/dri"} <= {d.split(":")[0] for d in nllb["devices"]}
    assert len(nllb["group_add"]) == 2


def test_the_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), str(ROOT / "Dockerfile"), cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / "Dockerfile").read_text()
    for target in ("AS rocm", "AS cuda", "AS cpu", "AS ct2-wheel", "AS ct2-build"):
        assert target in text
    assert "sha256sum -c" in text and "ct2_rocm.patch" in text and "HEALTHCHECK" in text
    assert re.search(r"^USER 10001$", text, re.M)


def test_the_kubernetes_manifests_have_what_a_cluster_needs():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all((CONF / "kubernetes" / "nllb.yaml").read_text())}
    assert all(d["apiVersion"] and d["metadata"]["name"] for d in docs.values())
    deployment = docs[("Deployment", "nllb")]["spec"]["template"]["spec"]["containers"][0]
    for probe, path in (("startupProbe", "/health/ready"), ("livenessProbe", "/health/live"),
                        ("readinessProbe", "/health/ready")):
        assert deployment[probe]["httpGet"]["path"] == path
    assert deployment["resources"]["limits"]["amd.com/gpu"] == 1
    assert {("Service", "nllb"), ("ConfigMap", "nllb"), ("Secret", "nllb"), ("PodDisruptionBudget", "nllb"),
            ("StatefulSet", "nllb-redis")} <= set(docs)
    assert docs[("ConfigMap", "nllb")]["data"]["TOKEN_STORE"] == "redis"


def test_the_example_secret_cannot_start_a_service():
    from nllb.access.admin import weakness

    secret = next(d for d in yaml.safe_load_all((CONF / "kubernetes" / "nllb.yaml").read_text()) if d["kind"] == "Secret")
    assert weakness(secret["stringData"]["ADMIN_TOKEN"])


def test_the_environment_template_documents_every_variable():
    template = (CONF / "nllb.env").read_text()
    missing = [name for name, _ in _VARIABLES.values() if not re.search(rf"^#?{name}=", template, re.M)]
    assert missing == []


def test_the_rocm_patch_is_a_well_formed_patch_with_each_hunk_explained():
    patch = ROOT / "ct2_rocm.patch"
    result = run("git", "apply", "--stat", str(patch))
    assert result.returncode == 0, result.stderr
    assert "src/cuda/allocator.cc" in result.stdout and "src/types.cc" in result.stdout
    header = patch.read_text().split("diff --git", 1)[0]
    assert "v4.8.1" in header and "Hunk 1" in header and "Hunks 2-3" in header


def test_model_info_reports_the_architecture_sizes_and_memory(tiny_model):
    result = run(sys.executable, "-m", "nllb", "model", "info", str(tiny_model))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["architecture"] == "TransformerSpec" and info["d_model"] == 64
    assert info["encoder_layers"] == info["decoder_layers"] == 2 and info["languages"] == 202
    assert info["parameters"] > 0 and info["device_memory_estimate_bytes"]["float16"] > 0
    assert info["synthetic"] == "tiny"


def test_converting_without_the_extra_says_what_to_install(tmp_path):
    pytest.importorskip("ctranslate2")
    if any(__import__("importlib").util.find_spec(m) for m in ("transformers", "torch")):
        pytest.skip("the convert extra is installed here")
    result = run(sys.executable, "-m", "nllb", "model", "convert", "facebook/nllb-200-distilled-600M", str(tmp_path / "out"))
    assert result.returncode == 2 and "nllb[convert]" in result.stderr


def test_the_service_refuses_a_directory_that_is_not_an_nllb_model(make_server, tmp_path):
    srv = make_server(MODEL_PATH=str(tmp_path)).start(ready=False)
    assert srv.process.wait(30) != 0
    assert "no model.bin: it is not a CTranslate2 model" in srv.log()
    assert "Traceback" not in srv.log()


def run_nginx_site(tmp_path, listen_port: int, upstream_port: int) -> subprocess.Popen:
    """The shipped nginx site, on loopback ports, under a private prefix."""
    site = (CONF / "nginx" / "nllb.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen_port};").replace("listen [::]:80;", "")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    (tmp_path / "site.conf").write_text(site)
    temp = "".join(f"  {name}_temp_path {tmp_path}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}  include {tmp_path}/site.conf;\n}}\n"
    )
    process = subprocess.Popen([tool("nginx"), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", listen_port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError((tmp_path / "error.log").read_text())


def test_errors_nginx_answers_itself_are_json_like_the_service(server, tmp_path):
    port = free_port()
    nginx = run_nginx_site(tmp_path, port, server.port)
    try:
        big = request(port, "POST", "/translate", b"x" * (6 * 1024 * 1024),
                      {"Content-Type": "application/json", "X-Request-ID": "big-1"})
        assert big.status == 413 and big.headers["content-type"] == "application/json"
        assert big.json == {"error": "payload_too_large", "message": big.json["message"], "request_id": "big-1"}
        passed = request(port, "POST", "/translate", b"{}", {"Content-Type": "application/json"})
        assert passed.status == 401 and passed.json["error"] == "missing_token"  # nllb's own error, untouched
    finally:
        nginx.terminate()
        nginx.wait()
    dead = free_port()
    nginx = run_nginx_site(tmp_path, port, dead)
    try:
        down = request(port, "GET", "/health/ready")
        assert down.status == 502 and down.json["error"] == "unavailable"
        assert down.headers["retry-after"] == "5" and down.json["request_id"]
    finally:
        nginx.terminate()
        nginx.wait()
