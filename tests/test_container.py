"""The container image builds and serves `/health` as a non-root user. Needs a running
Docker daemon (and its registry); without one the test is skipped and says so: CI on the
project's machine has the docker client but no daemon."""

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    return done.returncode == 0


@pytest.mark.skipif(not docker_ready(), reason="no Docker daemon here: the image build is untested")
def test_the_image_builds_and_answers_health(tmp_path):
    tag = "customer-hub:test"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=900)
    user = subprocess.run(
        ["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True
    )
    assert user.stdout.strip() != "0"
    name = f"hub-test-{int(time.time())}"
    subprocess.run(
        [
            "docker", "run", "-d", "--name", name, "-p", "127.0.0.1::8000",
            "-e", "DATABASE_URL=sqlite+aiosqlite:///var/hub.db", "-e", "SECRET_KEY=test",
            tag, "sh", "-c", "customer-hub migrate && python -m server",
        ],
        check=True,
    )  # fmt: skip
    try:
        port = (
            subprocess.run(
                ["docker", "port", name, "8000"], capture_output=True, text=True, check=True
            )
            .stdout.strip()
            .rsplit(":", 1)[-1]
        )
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200
                    return
            except OSError:
                time.sleep(1)
        pytest.fail("the container never answered /health")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
