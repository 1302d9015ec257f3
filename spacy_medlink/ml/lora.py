"""Parameter-efficient fine-tuning: `spacy-medlink.LoRATransformerModel.v1`.

A drop-in replacement for `spacy-transformers.TransformerModel.v3` whose Hugging Face model
gets LoRA adapters (the `peft` library) and is otherwise frozen: during `spacy train` only the
adapters, the listener's KB features and the NER head learn. The transformer component saves
its adapters only (kilobytes instead of the base model's megabytes); loading rebuilds the
base model from `name` (offline for the bundled MiniLM) and puts the adapters back.

    [components.transformer.model]
    @architectures = "spacy-medlink.LoRATransformerModel.v1"
    r = 8
    alpha = 16
    ...                      # every TransformerModel.v3 argument

Several pipelines with adapters on the same base model (one trained on NCBI, one on BioRED)
share the base weights in memory: the frozen tensors are loaded once per process and reused
by every pipeline that names the same base (`shared_base_state`).
"""
import hashlib
from io import BytesIO
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Union

import srsly
import torch
from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch, HFObjects
from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.layers.transformer_model import TransformerModel, set_pytorch_transformer
from spacy_transformers.util import make_tempdir
from thinc.api import Model, get_torch_default_device
from transformers import AutoModel

from ..errors import Errors

# LoRA on every attention projection and feed-forward layer of the encoder, not on the
# pooler (spacy-transformers reads token vectors only: a pooler adapter would never learn).
DEFAULT_TARGET_MODULES = r".*encoder\..*\.(query|key|value|dense)"
LORA_PARAM_MARKER = "lora_"

# Frozen base weights per resolved model name, shared by every LoRA pipeline of the process.
_BASE_STATES: Dict[str, Dict[str, torch.Tensor]] = {}
_BASE_FINGERPRINTS: Dict[str, str] = {}


@registry.architectures("spacy-medlink.LoRATransformerModel.v1")
def build_lora_transformer(
    name: str,
    get_spans: Callable,
    tokenizer_config: dict = {},
    transformer_config: dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.05,
    target_modules: Union[str, Sequence[str]] = DEFAULT_TARGET_MODULES,
) -> Model[List[Doc], FullTransformerBatch]:
    """A pretrained transformer with trainable LoRA adapters and frozen weights.

    name, get_spans, tokenizer_config, transformer_config, mixed_precision,
        grad_scaler_config: as for spacy-transformers.TransformerModel.v3.
    r (int): Rank of the adapters.
    alpha (int): LoRA scaling (the update is scaled by alpha / r).
    dropout (float): Dropout on the adapters' input.
    target_modules (Union[str, Sequence[str]]): The linear layers that get adapters: module
        names, or one regular expression matched against full module names.
    RETURNS (Model[List[Doc], FullTransformerBatch]): The transformer model.
    """
    settings = {
        "r": r,
        "lora_alpha": alpha,
        "lora_dropout": dropout,
        "target_modules": target_modules if isinstance(target_modules, str) else list(target_modules),
    }
    model = TransformerModel(
        name, get_spans, tokenizer_config, transformer_config, mixed_precision, grad_scaler_config
    )
    wrapper = model.layers[0]
    wrapper.shims[0] = LoRAShim(
        wrapper.shims[0]._hfmodel,
        base_name=name,
        lora_settings=settings,
        mixed_precision=mixed_precision,
        grad_scaler_config=grad_scaler_config,
    )
    model.attrs["set_transformer"] = _set_lora_transformer
    return model


def _set_lora_transformer(model: Model, hf_model: HFObjects) -> None:
    """TransformerModel's init hook: the freshly loaded HF model gets its adapters."""
    shim = model.layers[0].shims[0]
    hf_model.transformer = add_adapters(hf_model.transformer, shim.lora_settings)
    set_pytorch_transformer(model, hf_model)


def add_adapters(transformer: torch.nn.Module, settings: dict) -> torch.nn.Module:
    """Inject LoRA adapters into `transformer` in place and freeze every other weight."""
    try:
        from peft import LoraConfig, inject_adapter_in_model
    except ImportError:
        raise ImportError(Errors.E282) from None

    transformer = inject_adapter_in_model(LoraConfig(**settings), transformer)
    for param_name, param in transformer.named_parameters():
        param.requires_grad = LORA_PARAM_MARKER in param_name
    return transformer


def adapter_state(transformer: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """The adapter weights of `transformer`, by parameter name."""
    return {
        key: value.detach().cpu()
        for key, value in transformer.state_dict().items()
        if LORA_PARAM_MARKER in key
    }


def count_parameters(transformer: torch.nn.Module) -> Dict[str, int]:
    """Trainable (adapter) and total parameters of a transformer with adapters."""
    params = list(transformer.parameters())
    return {
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "total": sum(p.numel() for p in params),
    }


def weights_fingerprint(state: Dict[str, torch.Tensor]) -> str:
    """RETURNS (str): sha256 of the frozen weights (adapters left out; peft's ".base_layer"
    names read as the plain model's), so adapters are never put on another base model."""
    digest = hashlib.sha256()
    frozen = {key.replace(".base_layer", ""): value for key, value in state.items() if LORA_PARAM_MARKER not in key}
    for key in sorted(frozen):
        digest.update(key.encode("utf8"))
        digest.update(frozen[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def base_fingerprint(name: str) -> str:
    """RETURNS (str): weights_fingerprint of the pretrained weights of `name` (once per process)."""
    if name not in _BASE_FINGERPRINTS:
        _BASE_FINGERPRINTS[name] = weights_fingerprint(shared_base_state(name))
    return _BASE_FINGERPRINTS[name]


def shared_base_state(name: str) -> Dict[str, torch.Tensor]:
    """The frozen pretrained weights of `name`, loaded once per process."""
    if name not in _BASE_STATES:
        base = AutoModel.from_pretrained(name)
        _BASE_STATES[name] = {key: value.detach() for key, value in base.state_dict().items()}
    return _BASE_STATES[name]


class LoRAShim(HFShim):
    """An HFShim that serializes the adapters only and rebuilds the base model from its name."""

    def __init__(self, hf_model: HFObjects, *, base_name: str, lora_settings: dict, **kwargs):
        super().__init__(hf_model, **kwargs)
        self.base_name = base_name
        self.lora_settings = lora_settings

    def to_bytes(self) -> bytes:
        hf_model = self._hfmodel
        if hf_model.transformer is None:  # not initialized: keep the init settings only
            return super().to_bytes()
        msg = {
            "config": hf_model.transformer.config.to_dict(),
            "tokenizer": _tokenizer_files(hf_model),
            "lora": self.lora_settings,
            "base_fingerprint": weights_fingerprint(self._model.state_dict()),
            "adapters": _tensors_to_bytes(adapter_state(self._model)),
            "_init_tokenizer_config": {},
            "_init_transformer_config": {},
        }
        return srsly.msgpack_dumps(msg)

    def from_bytes(self, bytes_data: bytes) -> "LoRAShim":
        msg = srsly.msgpack_loads(bytes_data)
        if not msg["config"]:  # saved before initialization
            return super().from_bytes(bytes_data)
        if "adapters" not in msg:
            raise ValueError(Errors.E280.format(name=self.base_name))
        tokenizer, vocab_file_contents, config = _hf_files_from_msg(self, msg)
        transformer = self.model_cls.from_config(config)
        base = shared_base_state(self.base_name)
        saved = msg.get("base_fingerprint")
        if saved is not None and saved != base_fingerprint(self.base_name):
            raise ValueError(Errors.E283.format(name=self.base_name))
        missing = set(transformer.state_dict()) - set(base)
        if missing:
            raise ValueError(Errors.E281.format(name=self.base_name, missing=sorted(missing)[:3]))
        # assign=True: the module's parameters become the shared tensors, not copies of them.
        transformer.load_state_dict(base, assign=True)
        self.lora_settings = msg["lora"]
        transformer = add_adapters(transformer, self.lora_settings)
        loaded = _tensors_from_bytes(msg["adapters"])
        result = transformer.load_state_dict(loaded, strict=False)
        not_loaded = set(adapter_state(transformer)) - set(loaded)
        if result.unexpected_keys or not_loaded:
            raise ValueError(Errors.E281.format(
                name=self.base_name, missing=sorted(result.unexpected_keys or not_loaded)[:3]
            ))
        transformer.to(get_torch_default_device())
        self._hfmodel = HFObjects(tokenizer, transformer, vocab_file_contents, {}, {})
        self._model = transformer
        return self


def _tokenizer_files(hf_model: HFObjects) -> Dict[str, bytes]:
    """The tokenizer's saved files (as HFShim.to_bytes stores them)."""
    tokenizer = hf_model.tokenizer
    files: Dict[str, object] = {"kwargs": {"use_fast": tokenizer.is_fast}}
    with make_tempdir() as temp_dir:
        if hasattr(tokenizer, "vocab_file"):
            vocab_path = temp_dir / tokenizer.vocab_files_names["vocab_file"]
            vocab_path.write_bytes(hf_model.vocab_file_contents)
            tokenizer.vocab_file = str(vocab_path.absolute())
        tokenizer.save_pretrained(str(temp_dir.absolute()))
        for path in temp_dir.glob("**/*"):
            if path.is_file():
                files[path.name] = path.read_bytes()
    return files


def _hf_files_from_msg(shim: HFShim, msg: dict):
    """The tokenizer, its vocab file's bytes and the model config (as HFShim.from_bytes)."""
    files = dict(msg["tokenizer"])
    kwargs = files.pop("kwargs", {})
    with make_tempdir() as temp_dir:
        config_path = temp_dir / "config.json"
        srsly.write_json(config_path, msg["config"])
        config = shim.config_cls.from_pretrained(config_path)
        for file_name, data in files.items():
            Path(temp_dir / file_name).write_bytes(data)
        tokenizer = shim.tokenizer_cls.from_pretrained(str(temp_dir.absolute()), **kwargs)
        vocab_file_contents = None
        if hasattr(tokenizer, "vocab_file"):
            vocab_path = temp_dir / tokenizer.vocab_files_names["vocab_file"]
            vocab_file_contents = vocab_path.read_bytes()
    return tokenizer, vocab_file_contents, config


def _tensors_to_bytes(tensors: Dict[str, torch.Tensor]) -> bytes:
    buffer = BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def _tensors_from_bytes(data: bytes) -> Dict[str, torch.Tensor]:
    return torch.load(BytesIO(data), map_location="cpu", weights_only=True)
