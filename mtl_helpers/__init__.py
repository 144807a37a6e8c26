"""mtl_helpers: the code behind the mtl-nlp notebooks (multi-task learning for NLP with Keras 3).

One module per idea: ``config`` (fast mode, seeds), ``data`` (real corpora, toy language, batching),
``toy`` (the generated toy language), ``models`` (hard / soft / cross-stitch sharing), ``metrics``,
``training`` (the joint trainer and evaluation), ``embeddings`` (word vectors from unlabelled text),
``experiments``, ``plots``, ``widgets``, ``exercises``.
"""
__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probes on CPU-only machines) hides what the notebooks print;
# keep warnings and errors. A value the user set wins.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
