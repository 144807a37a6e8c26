"""The "Your turn" exercises: checkers that say right or wrong with a hint, and solutions on request.

Each ``check_…`` function takes the student's answer, prints a ✓ or a ✗ with a hint that points at the
concept, and returns ``True``/``False`` so that tests can use it too. An answer still at its placeholder
(``None``) prints "not attempted yet" and no hint. Worked solutions live in ``notebooks/solutions/`` and
are shown only when a student calls ``show_solution``. The checkers are cut by concept, one module each:

* ``core``: the verdict line, ``attempt_first``, predict-then-run (``check_prediction``), solutions;
* ``reasons``: why multi-task learning works;  ``parameters``: counting θ;
* ``soft_sharing``: λ·Ω and cross-stitch;  ``task_balance``: sampling, weighting, gradient surgery;
* ``evaluation``: Δ_MTL, span F1, seed intervals;  ``language_models``: perplexity, the next-word loss;
* ``batching``: padding masks and distributed batches;  ``text_to_text``: tasks as text, causal mask, constraints.

Notebooks call them through this package: ``exercises.check_proportional_share(...)``.
"""
from mtl_helpers.exercises.batching import check_global_batch, check_padding_mask
from mtl_helpers.exercises.core import (
                                        PREDICTIONS,
                                        SOLUTION_DIR,
                                        attempt_first,
                                        attempted,
                                        check_prediction,
                                        close,
                                        report,
                                        show_solution,
                                        solution_cells,
)
from mtl_helpers.exercises.evaluation import (
                                        SPAN_F1_CASES,
                                        check_best_tag_sequence,
                                        check_confidence_interval,
                                        check_delta_mtl_pair,
                                        check_delta_mtl_with_directions,
                                        check_paired_interval,
                                        check_selection_optimism,
                                        check_sharing_gain,
                                        check_span_f1,
                                        check_span_f1_function,
)
from mtl_helpers.exercises.language_models import (
                                        check_next_word_loss,
                                        check_perplexity,
                                        check_uniform_perplexity,
                                        next_word_loss_reference,
)
from mtl_helpers.exercises.parameters import (
                                        SHARED_TAGGER_SIZES,
                                        STACKINGS,
                                        check_embedding_only_sharing,
                                        check_hard_shared_model,
                                        check_hard_shared_parameters,
                                        check_read_layers,
                                        check_shared_gradient,
                                        check_shared_parameter_count,
                                        check_task_parameters,
                                        check_trainable_when_frozen,
                                        trained_parameters,
)
from mtl_helpers.exercises.reasons import MTL_REASON_SCENARIOS, MTL_REASONS, check_mtl_reasons
from mtl_helpers.exercises.soft_sharing import (
                                        COUPLING_WEIGHT_NAMES,
                                        check_best_lambda,
                                        check_coupling_penalty,
                                        check_cross_stitch,
                                        check_inert_setting,
                                        check_l2_penalty,
                                        check_stitch_mix,
)
from mtl_helpers.exercises.task_balance import (
                                        PCGRAD_SHARED,
                                        check_dwa_weights,
                                        check_most_conflicting_pair,
                                        check_pcgrad_projection,
                                        check_pcgrad_shared,
                                        check_proportional_share,
                                        check_temperature_sampling,
                                        check_temperature_share,
                                        pcgrad_case,
                                        pcgrad_pair,
)
from mtl_helpers.exercises.text_to_text import (
                                        FORMAT_CASES,
                                        check_causal_mask,
                                        check_constrained_choice,
                                        check_sentiment_format,
)

__all__ = ['PREDICTIONS', 'SOLUTION_DIR', 'attempt_first', 'attempted', 'check_prediction', 'close', 'report', 'show_solution', 'solution_cells', 'MTL_REASONS', 'MTL_REASON_SCENARIOS', 'check_mtl_reasons', 'check_hard_shared_parameters', 'check_shared_parameter_count', 'STACKINGS', 'check_shared_gradient', 'trained_parameters', 'check_trainable_when_frozen', 'SHARED_TAGGER_SIZES', 'check_hard_shared_model', 'check_read_layers', 'check_task_parameters', 'check_embedding_only_sharing', 'check_l2_penalty', 'check_cross_stitch', 'check_coupling_penalty', 'check_stitch_mix', 'check_best_lambda', 'COUPLING_WEIGHT_NAMES', 'check_inert_setting', 'check_proportional_share', 'check_temperature_sampling', 'pcgrad_pair', 'check_pcgrad_projection', 'check_dwa_weights', 'check_most_conflicting_pair', 'check_temperature_share', 'PCGRAD_SHARED', 'pcgrad_case', 'check_pcgrad_shared', 'check_delta_mtl_pair', 'check_span_f1', 'check_confidence_interval', 'check_delta_mtl_with_directions', 'check_best_tag_sequence', 'check_selection_optimism', 'check_sharing_gain', 'check_paired_interval', 'check_span_f1_function', 'SPAN_F1_CASES', 'check_perplexity', 'check_uniform_perplexity', 'next_word_loss_reference', 'check_next_word_loss', 'check_padding_mask', 'check_global_batch', 'FORMAT_CASES', 'check_sentiment_format', 'check_causal_mask', 'check_constrained_choice']
