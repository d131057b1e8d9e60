"""The Rasa side runs in its own Python 3.10 environment, installed from bot/requirements.lock."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.processes import BOT_PYTHON, need


@pytest.fixture(scope="module")
def bot_python() -> Path:
    need(BOT_PYTHON.exists(), ".venv-bot is not installed (scripts/setup.sh installs it; SKIP_BOT=1?)", "the bot environment tests")
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
