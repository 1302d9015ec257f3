"""The NER's F1 over training seeds, and the short-form component ablation: strict NER
scores of a pipeline on gold documents (as `evaluate_pipeline` scores them)."""
import sys
from pathlib import Path
from statistics import mean, pstdev
from typing import Any, Dict, List, Optional, Sequence, Union

import spacy
from spacy.language import Language
from tqdm import tqdm

from spacy_medlink.evaluation.evaluate import run_pipeline
from spacy_medlink.evaluation.metrics import ner_prf
from spacy_medlink.evaluation.resolved_gold import ResolvedGold
from spacy_medlink.pipeline.components import components_of
from spacy_medlink.pipeline.linker import LINKER_FACTORY
from spacy_medlink.pipeline.short_form_mentions import SHORT_FORM_FACTORY
from spacy_medlink.training.gold_corpus import GoldDocument

from .measure import display_command, run_measured


def strict_ner_scores(nlp: Language, documents: List[GoldDocument], *, progress: bool = True) -> Dict[str, Any]:
    """Strict NER P/R/F of a pipeline on gold documents (as `evaluate_pipeline` scores it).

    RETURNS (Dict[str, Any]): {"p", "r", "f", "tp", "fp", "fn"}.
    """
    gold = ResolvedGold(list(documents), lambda concept_id: concept_id)
    output = run_pipeline(nlp, gold, 1, progress)
    return ner_prf(gold.spans(), set(output.entities)).to_dict()


def ablate_short_form_mentions(
    nlp: Language, documents: List[GoldDocument], *, progress: bool = True
) -> Optional[Dict[str, Any]]:
    """Strict NER scores with the pipeline's `medlink_short_form_mentions` switched off.

    RETURNS (Optional[Dict[str, Any]]): {"components": names, "without": scores}, or None
        when the pipeline has no such component.
    """
    names = components_of(nlp, SHORT_FORM_FACTORY)
    if not names:
        return None
    # The linker never changes doc.ents: switched off too, it is not run a second time.
    linkers = components_of(nlp, LINKER_FACTORY)
    with nlp.select_pipes(disable=names + linkers):
        without = strict_ner_scores(nlp, documents, progress=progress)
    return {"components": names, "without": without}


def benchmark_ner_seeds(
    seeds: Sequence[int],
    *,
    ner_config: Union[str, Path],
    train_path: Union[str, Path],
    dev_path: Union[str, Path],
    dev_documents: List[GoldDocument],
    work_dir: Union[str, Path],
    max_steps: Optional[int] = None,
    vocabulary: Optional[Union[str, Path]] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Retrain the NER once per seed (`python -m spacy train NER_CONFIG --system.seed S`)
    and score model-best with strict NER on dev (model-best is chosen on the same dev set,
    as in the project). `vocabulary` is the config's paths.vocabulary (the KB features).

    RETURNS (Dict[str, Any]): "runs" (per seed: "seed", "f", "p", "r", "train_seconds"),
        "f_mean", "f_min", "f_max", "f_std" and the training command.
    """
    runs = []
    command = None
    for seed in tqdm(list(seeds), desc="NER seeds", unit="seed", disable=not progress, leave=False):
        output = Path(work_dir) / f"ner_seed{seed}"
        command = [
            sys.executable, "-m", "spacy", "train", str(ner_config), "--output", str(output),
            "--paths.train", str(train_path), "--paths.dev", str(dev_path), "--system.seed", str(seed),
        ]
        if max_steps:
            command += ["--training.max_steps", str(max_steps)]
        if vocabulary is not None:
            command += ["--paths.vocabulary", str(vocabulary)]
        measured = run_measured(command, step=f"train the NER with seed {seed}")
        best = output / "model-best"
        nlp = spacy.load(best if best.exists() else output / "model-last")
        scores = strict_ner_scores(nlp, dev_documents, progress=progress)
        runs.append({"seed": seed, **{k: scores[k] for k in ("p", "r", "f")}, "train_seconds": measured["seconds"]})
    f_scores = [run["f"] for run in runs]
    return {
        "runs": runs,
        "n_seeds": len(runs),
        "f_mean": mean(f_scores) if f_scores else None,
        "f_min": min(f_scores) if f_scores else None,
        "f_max": max(f_scores) if f_scores else None,
        "f_std": pstdev(f_scores) if f_scores else None,
        "command": display_command(command).replace(str(work_dir), "TMP") if command else None,
        "max_steps": max_steps,
    }


