"""mtl_helpers: the code behind the mtl-nlp notebooks (multi-task learning for NLP with Keras 3).

One module per idea: ``config`` (fast mode, seeds), ``data`` (real corpora, toy language, batching),
``toy`` (the generated toy language), ``models`` (hard / soft / cross-stitch sharing), ``metrics``,
``training`` (the joint trainer and evaluation), ``embeddings`` (word vectors from unlabelled text),
``experiments``, ``plots``, ``widgets``, ``exercises``.
"""
__version__ = "0.1.0"

from mtl_helpers import _tf_logs

# TensorFlow's C++ start-up chatter (the oneDNN notice, CUDA probes on CPU-only machines) would bury what the
# CLIs and notebooks print: TF_CPP_MIN_LOG_LEVEL=3 unless the user set it, and the first import of TensorFlow
# filtered by that level, which TensorFlow itself ignores while it loads (mtl_helpers/_tf_logs.py).
_tf_logs.install()
