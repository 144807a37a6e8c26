"""mtl_helpers._tf_logs: TensorFlow's C++ start-up logs stay off the terminal of the CLIs."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mtl_helpers import _tf_logs

REPO = Path(__file__).resolve().parents[1]
# What TensorFlow's C++ logging prints: absl's "I0000 00:00:1796125609.494865   11459 port.cc:153] ...",
# the older "2024-05-01 12:00:00.123456: I tensorflow/...", absl's banner, the oneDNN notice, CUDA probes.
CPP_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ |^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |absl::InitializeLog"
                     r"|oneDNN|cuda|cuInit", re.IGNORECASE | re.MULTILINE)
INFO = "I0000 00:00:1796125609.494865   11459 port.cc:153] oneDNN custom operations are on."
ERROR = "E0000 00:00:1796125618.226347   11459 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)"
OLD_WARNING = "2019-08-26 11:45:17.907378: W tensorflow/core/platform/cpu_feature_guard.cc:142] Your CPU supports AVX2"


@pytest.mark.parametrize("line,hidden_from", [
    (INFO, 1), (OLD_WARNING, 2), (ERROR, 3), (_tf_logs._BANNER, 1),
    ("F0000 00:00:1796125618.226347   11459 x.cc:1] fatal", 4),  # FATAL: never hidden
    ("UserWarning: a Python warning", 4), ("Traceback (most recent call last):", 4), ("oneDNN in a sentence", 4),
])
def test_a_cpp_log_line_is_hidden_from_its_level_up(line, hidden_from):
    assert [_tf_logs.is_hidden(line + "\n", level) for level in range(4)] == [level >= hidden_from
                                                                            for level in range(4)]


def test_filtered_stderr_keeps_everything_but_the_hidden_lines(capfd):
    with _tf_logs.filtered_stderr(3):
        os.write(2, f"{_tf_logs._BANNER}\n{INFO}\nkept: a Python line\n{ERROR}\n".encode())
        os.write(2, b"I0000 00:00:1.5 1 cpu_feature_guard.cc:227] optimized\n"
                    b"To enable the following instructions: AVX2, rebuild TensorFlow\n")
        os.write(2, b"also kept\n")
    with _tf_logs.filtered_stderr(0):
        os.write(2, f"{INFO}\n".encode())
    assert capfd.readouterr().err == f"kept: a Python line\nalso kept\n{INFO}\n"


def test_a_level_the_user_set_wins(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    _tf_logs.install()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0" and _tf_logs.level() == 0
    assert _tf_logs._QuietFinder().find_spec("tensorflow") is None  # level 0: TensorFlow imports untouched
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")
    _tf_logs.install()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == _tf_logs.DEFAULT_LEVEL == "3"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "loud")
    assert _tf_logs.level() == 0


def test_a_cli_prints_its_output_and_no_tensorflow_start_up_logs():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # the CLI's own default
    done = subprocess.run([sys.executable, "-m", "mtl_helpers.models", "--tasks", "toy_topic,toy_ner",
                           "--sharing", "hard"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "total parameters" in done.stdout
    assert not CPP_LOG.findall(done.stderr), done.stderr
    assert not CPP_LOG.findall(done.stdout), done.stdout
