"""What a task is: :class:`TaskData` (name, kind, corpus, label inventory, three :class:`Split` s) and the check
that its labels line up with its tokens.

Its own module because both :mod:`mtl_helpers.data` (the real corpora, batching) and :mod:`mtl_helpers.toy`
(the generated language) make tasks; ``data`` re-exports everything here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

KINDS: tuple[str, ...] = ("classification", "tagging", "lm", "seq2seq")
SPLITS: tuple[str, ...] = ("train", "dev", "test")


@dataclass
class Split:
    """One split of one task: original tokens (case kept) and their labels.

    ``labels``: classification -> one string per sentence; tagging -> one tag list per sentence (same
    lengths as the tokens); lm -> ``[]`` (targets are the next words); seq2seq -> target token lists.
    """

    tokens: list[list[str]]
    labels: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class TaskData:
    """A task: name, kind, corpus, label inventory (index = class id) and its three splits.

    Treat it as read-only: :func:`load_task` hands out copies of its lists, but the sentences inside
    are shared with its cache.
    """

    name: str
    kind: str
    corpus: str
    labels: list[str]
    train: Split
    dev: Split
    test: Split
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: kind {self.kind!r} is not one of {KINDS}; use one of them.")
        for split_name in SPLITS:
            check_split(self, split_name)

    def split(self, name: str) -> Split:
        """The split called ``name`` ("train", "dev" or "test")."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; use one of {', '.join(SPLITS)}.")
        return getattr(self, name)


def check_split(task: TaskData, split_name: str) -> None:
    """Raise ValueError when a split's labels do not line up with its tokens."""
    split = getattr(task, split_name)
    where = f"task {task.name!r}, split {split_name!r}"
    if task.kind == "lm":
        if split.labels:
            raise ValueError(f"{where}: lm splits carry no labels (targets are the next words); pass labels=[].")
        return
    if len(split.labels) != len(split.tokens):
        raise ValueError(f"{where}: {len(split.tokens)} sentences but {len(split.labels)} labels; "
                         "give exactly one label entry per sentence.")
    if task.kind == "tagging":
        for i, (tokens, tags) in enumerate(zip(split.tokens, split.labels)):
            if len(tokens) != len(tags):
                raise ValueError(f"{where}, sentence {i}: {len(tokens)} tokens but {len(tags)} tags; "
                                 "tagging needs exactly one tag per token.")
