"""The Rasa side runs in its own Python 3.10 environment, installed from bot/requirements.lock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

BOT_PYTHON = Path(__file__).resolve().parents[2] / ".venv-bot" / "bin" / "python"


@pytest.fixture(scope="module")
def bot_python() -> Path:
    if not BOT_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(".venv-bot is missing: scripts/setup.sh should have installed it")
        pytest.skip(".venv-bot not installed (SKIP_BOT=1?)")
    return BOT_PYTHON


def test_the_bot_environment_has_rasa_3_6_on_python_3_10(bot_python: Path) -> None:
    out = subprocess.run(
        [str(bot_python), "-c", "import sys, rasa, rasa_sdk; print(sys.version_info[:2], rasa.__version__, rasa_sdk.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    assert out == "(3, 10) 3.6.21 3.6.2"
