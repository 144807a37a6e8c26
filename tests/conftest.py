"""Test-wide settings: fast mode on, corpora from ../shared/nltk_data when it is there."""
import os
from pathlib import Path

os.environ.setdefault("MTL_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_shared = Path(__file__).resolve().parents[1].parent / "shared" / "nltk_data"
if "NLTK_DATA" not in os.environ and _shared.is_dir():
    os.environ["NLTK_DATA"] = str(_shared)
