"""The shipped Prometheus rules, scrape config and Grafana dashboard are valid and name real metrics."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

CONF = Path(__file__).resolve().parent.parent / "conf"
PROMQL_FUNCTIONS = {"sum", "rate", "increase", "histogram_quantile", "by", "le", "instance", "status", "up",
                    "token_name", "cause", "job", "label_values", "humanizeDuration"}


def promtool(*args):
    binary = shutil.which("promtool")
    assert binary, "promtool is missing; `python3 quickstart.py test` installs Debian's prometheus package"
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=CONF / "prometheus")


def test_alert_rules_pass_promtool():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scrape_config_passes_promtool():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def expressions():
    rules = yaml.safe_load((CONF / "prometheus" / "alerts.yml").read_text())
    yield from (rule["expr"] for group in rules["groups"] for rule in group["rules"])
    dashboard = json.loads((CONF / "grafana" / "nllb-dashboard.json").read_text())
    yield from (target["expr"] for panel in dashboard["panels"] for target in panel["targets"])


def sample_names(name: str, kind: str) -> set[str]:
    if kind == "histogram":
        return {name + "_bucket", name + "_sum", name + "_count"}
    if kind == "counter":
        return {name if name.endswith("_total") else name + "_total"}
    return {name}


def test_rules_and_dashboard_only_use_metrics_the_service_exports(server):
    from prometheus_client.metrics import MetricWrapperBase

    from nllb import metrics

    exported = set()
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                exported |= sample_names(family.name, family.type)
    for line in server.get("/metrics").body.decode().splitlines():  # the live gauges of shared state
        if line.startswith("# TYPE "):
            exported |= sample_names(*line.split()[2:4])
    used = set()
    for expr in expressions():
        expr = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^]]*\]', "", expr)
        used |= set(re.findall(r"[a-z_][a-z0-9_]*", expr)) - PROMQL_FUNCTIONS
    assert used and used <= exported, used - exported
