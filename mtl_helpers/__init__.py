"""mtl_helpers: the code behind the mtl-nlp notebooks (multi-task learning for NLP with Keras 3).

One module per idea, each named after it:
- data: ``config`` (fast mode, seeds), ``tasks`` (task data and splits), ``data`` (real corpora), ``vocabulary``,
  ``batching``, ``toy`` (the generated toy language and its relatedness knob);
- models: ``specs`` (encoder and task specs), ``layers`` (BiLSTM on the fused kernel, Transformer, cross-stitch),
  ``heads``, ``sharing`` (one builder per sharing scheme), ``theta`` (the θ partition), ``models``
  (``build_model``), ``crf``, ``embeddings`` (word vectors from unlabelled text);
- training: ``train_config``, ``sampling``, ``losses``, ``weighting`` (with PCGrad), ``streams``, ``compiled``,
  ``training`` (the joint trainer), ``evaluation``;
- evidence: ``metrics``, ``evidence`` (paired comparisons), ``baselines``, ``lessons`` (the ledger),
  ``experiments``;
- teaching: ``playground``, ``plots``, ``widgets``, ``exercises`` (checkers by concept), ``classroom`` (nbgrader),
  ``notebook_runner``.
"""
__version__ = "0.1.0"

from mtl_helpers import _tf_logs

# TensorFlow's C++ start-up chatter (the oneDNN notice, CUDA probes on CPU-only machines) would bury what the
# CLIs and notebooks print: TF_CPP_MIN_LOG_LEVEL=3 unless the user set it, and the first import of TensorFlow
# filtered by that level, which TensorFlow itself ignores while it loads (mtl_helpers/_tf_logs.py).
_tf_logs.install()
