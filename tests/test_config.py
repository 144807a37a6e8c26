"""mtl_helpers.config: the MTL_THREADS cap reaches TensorFlow in a fresh process, and a bad value is named."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mtl_helpers import config


def test_the_thread_cap_reaches_tensorflow_in_a_fresh_kernel():
    code = ("from mtl_helpers.config import notebook_setup\nnotebook_setup()\nimport tensorflow as tf\n"
            "print('caps', tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads())")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MTL_THREADS": "1"}, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert "caps 1 1" in out and "MTL_THREADS=1" in out


@pytest.mark.parametrize("value, expected", [("", None), ("2", 2), (" 1 ", 1)])
def test_thread_cap_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setenv("MTL_THREADS", value)
    assert config.thread_cap() == expected


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_cap_says_what_to_pass(monkeypatch, value):
    monkeypatch.setenv("MTL_THREADS", value)
    with pytest.raises(ValueError, match="MTL_THREADS=1"):
        config.thread_cap()
