"""Tests of the compiled functions cached on a model: they do not keep it alive, and a new model does not
print TensorFlow's retracing warning."""
from tiny_runs import build

from mtl_helpers import evaluation


def test_evaluated_models_can_be_freed(toy):
    """Compiled evaluation functions close over their model; caching them must not keep it alive."""
    import gc
    import weakref

    tasks, vocab = toy
    model = build(tasks, vocab)
    evaluation.evaluate(model, tasks, vocab, "dev")
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def test_new_models_do_not_print_tensorflows_retracing_warning(toy):
    """Each model compiles its own functions by design; TensorFlow's "triggered tf.function retracing"
    warning would tell students something is wrong when nothing is."""
    import logging

    import tensorflow as tf

    tasks, vocab = toy
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        for seed in range(7):
            evaluation.evaluate(build({"toy_topic": tasks["toy_topic"]}, vocab, sharing="none", seed=seed),
                              {"toy_topic": tasks["toy_topic"]}, vocab, "dev")
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in seen if "retracing" in m]
