"""Why multi-task learning works (notebook 01): the five reasons of Ruder (2017), section 3."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import attempt_first, report

MTL_REASONS: tuple[str, ...] = ("implicit data augmentation", "attention focusing", "eavesdropping",
                                "representation bias", "regularisation")


# Scenarios of Exercise 1.4 and the reason (Ruder 2017, section 3) each one illustrates best.
MTL_REASON_SCENARIOS: dict[str, tuple[str, str]] = {
    "A": ("Named entities are rare in the sentiment data, but the NER task sees thousands; the shared "
          "encoder learns what a name looks like from the NER labels and sentiment reuses it.", "eavesdropping"),
    "B": ("Each task has only 300 noisy labelled sentences; the shared encoder is trained on all tasks' "
          "sentences, so its noise averages out.", "implicit data augmentation"),
    "C": ("The model must work for every one of the training tasks, which prefers features that will also "
          "suit a new, related task later.", "representation bias"),
    "D": ("With many irrelevant input features and little data, the other tasks' evidence tells the model "
          "which features matter.", "attention focusing"),
    "E": ("A model that must also fit a second task cannot memorise the quirks of the first task's "
          "training set as easily, so its train-test gap shrinks.", "regularisation"),
}


@attempt_first("1.4")
def check_mtl_reasons(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 1.4: the reason behind each scenario of MTL_REASON_SCENARIOS (a dict letter → reason)."""
    expected = {letter: reason for letter, (_, reason) in MTL_REASON_SCENARIOS.items()}
    given = ({str(k).strip().upper(): str(v).strip().lower().replace("regularization", "regularisation")
              for k, v in answer.items()} if isinstance(answer, dict) else {})
    wrong = sorted(letter for letter in expected if given.get(letter) != expected[letter])
    return report(not wrong, exercise="1.4", quiet=quiet,
                  hint=f"scenario(s) {', '.join(wrong)} are not matched yet; use the names in "
                       f"exercises.MTL_REASONS. Ask of each: is it about more data (augmentation), about "
                       f"which features matter (attention), about a feature easier for another task "
                       f"(eavesdropping), or about future tasks (representation bias)?")
