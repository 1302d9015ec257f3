"""A small trained pipeline on the bundled sample, shared by the evaluation and benchmark
tests: entity_ruler (the training mentions as patterns) + abbreviations + a linker trained
for a few epochs."""
from pathlib import Path

from spacy.util import fix_random_seed

SAMPLE = Path(__file__).parent.parent / "assets" / "sample"


def train_sample_pipeline(path: Path, *, epochs: int, **linker_cfg) -> Path:
    """Build and train the sample pipeline and save it to `path`. RETURNS (Path): path."""
    from spacy_medlink.evaluation.evaluate import read_gold
    from spacy_medlink.kb.build import build_kb
    from spacy_medlink.kb.encoders import create_lsa_encoder
    from spacy_medlink.kb.readers import read_vocabulary
    from spacy_medlink.training.convert import blank_pipeline
    from spacy_medlink.training.readers import PubtatorCorpus

    fix_random_seed(0)
    train_path = SAMPLE / "train.pubtator.txt"
    train_docs = read_gold(train_path)
    nlp = blank_pipeline("en")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("medlink_abbreviations")
    linker = nlp.add_pipe("medical_entity_linker", config=linker_cfg)
    aliases = [(m.text, m.ids[0]) for d in train_docs for m in d.mentions if len(m.ids) == 1]
    kb, _ = build_kb(
        read_vocabulary(SAMPLE / "vocabulary.jsonl"), nlp.vocab,
        encoder=create_lsa_encoder(dim=64), extra_aliases=aliases, progress=False,
    )
    linker.set_kb(lambda vocab: kb)
    examples = list(PubtatorCorpus(train_path, gold_ents_in_predicted=True)(nlp))
    optimizer = nlp.initialize(lambda: examples)
    ruler.add_patterns(
        [{"label": "DISEASE", "pattern": m.text} for d in train_docs for m in d.mentions]
    )
    for _ in range(epochs):
        nlp.update(examples, sgd=optimizer, drop=0.1, exclude=["entity_ruler"])
    nlp.to_disk(path)
    return path
