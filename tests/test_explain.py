"""Evidence contributions: each group's is the score drop when that group's columns of the
fused evidence are set to 0, everything else fixed."""
import numpy as np
from thinc.api import Config
from spacy.util import registry

from spacy_medlink.pipeline.explain import evidence_contributions
from spacy_medlink.pipeline.features import EVIDENCE_GROUPS, FEATURE_NAMES, N_FEATURES
from spacy_medlink.pipeline.linker import DEFAULT_MODEL_CONFIG
from spacy_medlink.pipeline.ranker_model import score_fused


def _ranker(seed: int):
    model = registry.resolve(Config().from_str(DEFAULT_MODEL_CONFIG))["model"]
    model.initialize()
    rng = np.random.default_rng(seed)
    for node in model.walk():  # away from the zero biases, so every group matters
        for name in node.param_names:
            if node.has_param(name):
                node.set_param(name, rng.standard_normal(node.get_param(name).shape).astype("float32"))
    return model


def test_each_group_is_the_score_drop_of_zeroing_its_columns():
    model = _ranker(0)
    rng = np.random.default_rng(1)
    fused = rng.random((9, N_FEATURES + 1)).astype("float32")
    base = score_fused(model, fused)
    offsets, reported = [0, 4, 6], [[0, 2, 3], [1], [0, 1, 2]]
    found = evidence_contributions(model, fused, base, offsets, reported)
    names = FEATURE_NAMES + ["context_match"]
    for mention, (offset, candidates) in enumerate(zip(offsets, reported)):
        assert list(found[mention]) == candidates  # in reported order: the link records' order
        for j in candidates:
            row = fused[offset + j: offset + j + 1]
            for group, group_names in EVIDENCE_GROUPS.items():
                ablated = row.copy()
                ablated[:, [names.index(n) for n in group_names]] = 0.0
                expected = round(float(base[offset + j] - score_fused(model, ablated)[0]), 4)
                assert abs(found[mention][j][group] - expected) <= 1e-4, (mention, j, group)
    assert any(abs(value) > 1e-3 for contributions in found for by_group in contributions.values()
               for value in by_group.values())
