"""Keep TensorFlow's C++ start-up chatter off the terminal.

TensorFlow 2.20+ logs through absl, and what it logs while its libraries load, before
``absl::InitializeLog()``, ignores ``TF_CPP_MIN_LOG_LEVEL``: every process that imports TensorFlow prints
the oneDNN notice and the CUDA probes of a CPU-only machine (twice: two libraries), about ten lines above
the output of a CLI. After the import TensorFlow honours the level again.

So :func:`install` hooks the first ``import tensorflow``: while it runs, file descriptor 2 goes to a
temporary file, and afterwards the lines come back to stderr except the C++ log lines below the level
(Python warnings and tracebacks always come back). Nothing is imported until someone imports TensorFlow.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib.machinery import ModuleSpec
from types import ModuleType

#: Our default for ``TF_CPP_MIN_LOG_LEVEL``: 3 hides C++ INFO, WARNING and ERROR lines. On a CPU-only machine
#: the ERROR lines are CUDA probes ("failed call to cuInit"); real failures still raise Python exceptions.
DEFAULT_LEVEL = "3"
SEVERITIES = "IWEF"  # TF_CPP_MIN_LOG_LEVEL n hides the first n of these; FATAL always shows

# absl's prefix "I0000 00:00:1796125609.494865   11459 port.cc:153] ", TensorFlow's older
# "2024-05-01 12:00:00.123456: I tensorflow/core/...cc:42] ", and absl's banner before InitializeLog.
_ABSL = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ")  # seconds: since 1970 before InitializeLog
_TF = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) \S+:\d+\] ")
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
# The second line of a two-line C++ record (cpu_feature_guard.cc): hidden with its first line.
_CONTINUATIONS = ("To enable the following instructions:",)


def level() -> int:
    """The TF_CPP_MIN_LOG_LEVEL in force (0-3; unset or unreadable: 0, TensorFlow's default)."""
    try:
        return min(max(int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")), 0), 3)
    except ValueError:
        return 0


def is_hidden(line: str, min_level: int) -> bool:
    """True for a C++ log line of TensorFlow whose severity is below ``min_level`` (TF_CPP_MIN_LOG_LEVEL)."""
    line = line.rstrip("\r\n")
    if line == _BANNER:  # says where the lines below it go: of no use once they are hidden
        return min_level >= 1
    match = _ABSL.match(line) or _TF.match(line)
    return bool(match) and SEVERITIES.index(match.group(1)) < min(min_level, 3)


@contextlib.contextmanager
def filtered_stderr(min_level: int) -> Iterator[None]:
    """Capture file descriptor 2 (C++ writes there directly) and give back every line not hidden at
    ``min_level``. Where fd 2 cannot be redirected, nothing is filtered."""
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                if sys.stderr is not None:
                    sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept, hiding = [], False
            for line in capture.read().splitlines(keepends=True):
                text = line.decode("utf-8", "replace")
                hiding = is_hidden(text, min_level) or (hiding and text.startswith(_CONTINUATIONS))
                if not hiding:
                    kept.append(line)
            if kept:
                os.write(2, b"".join(kept))


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of ``tensorflow`` inside :func:`filtered_stderr`, then steps aside."""

    def __init__(self, loader: importlib.abc.Loader, finder: _QuietFinder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = module.__spec__.loader = self.loader  # TensorFlow sees its own loader
        self.finder.remove()
        with filtered_stderr(level()):
            self.loader.exec_module(module)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """On sys.meta_path until TensorFlow is imported: wraps the loader of the ``tensorflow`` package."""

    def __init__(self) -> None:
        self.busy = False

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname != "tensorflow" or self.busy or level() == 0:
            return None
        self.busy = True
        try:
            spec = importlib.util.find_spec(fullname)  # the finders after us; busy keeps us out
        finally:
            self.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _QuietLoader(spec.loader, self)
        return spec

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)


def install() -> None:
    """Set TF_CPP_MIN_LOG_LEVEL to DEFAULT_LEVEL unless the user set it, and filter the first
    ``import tensorflow`` of this process (no-op once TensorFlow is imported, or at level 0)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", DEFAULT_LEVEL)
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietFinder())
