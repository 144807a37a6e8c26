"""Test-wide settings: fast mode on, corpora from ../shared/nltk_data when it is there."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("MTL_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_shared = Path(__file__).resolve().parents[1].parent / "shared" / "nltk_data"
if "NLTK_DATA" not in os.environ and _shared.is_dir():
    os.environ["NLTK_DATA"] = str(_shared)


@pytest.fixture
def toy():
    """The trainer tests' toy tasks and vocabulary (tests/tiny_runs.py builds them once per session)."""
    from tiny_runs import toy_tasks

    return toy_tasks()


@pytest.fixture
def trained():
    """One short trained run shared by the trainer tests (tests/tiny_runs.py)."""
    from tiny_runs import trained_run

    return trained_run()
