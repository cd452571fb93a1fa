"""A property-based fuzzer driven by /openapi.json finds no server error and nothing off-spec."""

import os
import shutil
import subprocess
import sys

from support import ADMIN_TOKEN


def test_schemathesis_finds_no_server_error_and_no_response_off_the_spec(make_server, tmp_path):
    # The admin token reaches every operation; limits would only turn fuzzing into 429s.
    srv = make_server(RATE_LIMIT_ENABLED="false", AUTH_FAILURE_LIMIT="100000000").start()
    st = shutil.which("st", path=os.path.dirname(sys.executable))
    assert st, "schemathesis is a test dependency; `python3 quickstart.py test` installs it"
    result = subprocess.run(
        [st, "run", f"http://127.0.0.1:{srv.port}/openapi.json",
         "-H", f"Authorization: Bearer {ADMIN_TOKEN}",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance",
         # Opening the breaker would turn the rest of the run into 503s.
         "--exclude-path-regex", "/admin/circuit-breaker/(test|reset)",
         "--max-examples", "60", "--seed", "20261127", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its .schemathesis cache stays out of the tree
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Traceback" not in srv.log()
