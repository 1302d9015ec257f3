"""The linker's softmax temperature, fitted on held-out gold mentions (lowest negative
log-likelihood of the gold concept), so its threshold is a probability that means something."""
from typing import Sequence

import numpy as np

from .decide import group_offsets, group_softmax

DEFAULT_TEMPERATURES = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0)


def fit_temperature(
    scores: np.ndarray, pair_mention: np.ndarray, mentions: Sequence, temperatures: Sequence[float] = (),
) -> float:
    """The temperature, of those tried, under which the gold candidates are most probable.

    scores (np.ndarray): raw ranker scores per (mention, candidate) pair.
    pair_mention (np.ndarray): the mention index of each pair.
    mentions (Sequence[Mention]): the gold mentions (mention.gold, mention.candidates).
    temperatures (Sequence[float]): the values tried (default DEFAULT_TEMPERATURES).
    RETURNS (float): the best temperature (1.0 if none improves on an infinite loss).
    """
    temperatures = temperatures or DEFAULT_TEMPERATURES
    offsets = group_offsets(pair_mention, len(mentions))
    best_t, best_nll = 1.0, float("inf")
    for t in temperatures:
        probs = group_softmax(scores / t, pair_mention, len(mentions))
        nll = 0.0
        for m, o in zip(mentions, offsets):
            p = next(
                (probs[o + j] for j, c in enumerate(m.candidates) if c.concept_id == m.gold),
                0.0,
            )
            nll -= np.log(p + 1e-6)
        if nll < best_nll:
            best_t, best_nll = t, nll
    return best_t
