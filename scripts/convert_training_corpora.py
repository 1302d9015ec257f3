"""Convert the training split of each chosen corpus into one folder of gold DocBins.

    python scripts/convert_training_corpora.py DATA_DIR ncbi_disease,biored corpus/train_ner \
        --vocabulary DATA_DIR/medic/CTD_diseases.tsv.gz

Each corpus is DATA_DIR/NAME/train.pubtator.txt and becomes OUTPUT/NAME.spacy; the NER
config reads the whole folder. A corpus whose guideline leaves a vocabulary category
unannotated (spacy_medlink.training.guidelines.UNANNOTATED_BY_CORPUS: NCBI disease does not
annotate signs and symptoms) gets those matches marked missing, so pooling it with a corpus
that annotates them does not teach "no entity" for them. Files of corpora no longer chosen
are removed from OUTPUT. With --tagged, the gold stays as it is: the NER is trained with each
corpus's name as its guideline tag (KBFeatures `guidelines`, reader `guideline = "file"`), so
an NCBI document teaches "no entity" for symptoms under the NCBI tag only.
"""
import argparse
from pathlib import Path

from wasabi import msg

from spacy_medlink.training.convert import convert_pubtator
from spacy_medlink.training.guidelines import UNANNOTATED_BY_CORPUS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("corpora", help="Comma-separated folder names under DATA_DIR")
    parser.add_argument("output", type=Path)
    parser.add_argument("--vocabulary", type=Path, required=True)
    parser.add_argument(
        "--tagged", action="store_true",
        help="Keep every corpus's gold as it is (guideline-tagged training): no missing marks",
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.corpora.split(",") if name.strip()]
    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.spacy"):
        if stale.stem not in names:
            stale.unlink()
    for name in names:
        unannotated = () if args.tagged else UNANNOTATED_BY_CORPUS.get(name, ())
        report = convert_pubtator(
            args.data_dir / name / "train.pubtator.txt", args.output / f"{name}.spacy",
            unannotated=unannotated, vocabulary=args.vocabulary if unannotated else None,
        )
        msg.good(
            f"{name}: {report.n_documents} documents, {report.n_converted} of "
            f"{report.n_mentions} mentions; {report.n_unannotated_missing} unannotated "
            f"{'/'.join(unannotated) or '-'} matches marked missing"
        )


if __name__ == "__main__":
    main()
