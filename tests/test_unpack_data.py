"""scripts/unpack_data.py: the downloaded BioRED and MTL-Bioinformatics-2016 archives in the
layout the workflow reads (invented miniature archives with the real ones' member paths)."""
import gzip
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

from spacy_medlink.training.pubtator import read_pubtator

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("unpack_data", ROOT / "scripts" / "unpack_data.py")
unpack_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unpack_data)

TRAIN = (
    "11|t|Fever and cough in mice.\n"
    "11|a|Mice with TP53 loss had fever.\n"
    "11\t0\t5\tFever\tDiseaseOrPhenotypicFeature\tD005334\n"
    "11\t10\t15\tcough\tDiseaseOrPhenotypicFeature\tD003371\n"
    "11\t35\t39\tTP53\tGeneOrGeneProduct\t7157\n"
    "11\tAssociation\tD005334\t7157\tNovel\n"
    "\n"
    "12|t|Anemia.\n"
    "12|a|Iron helps.\n"
    "12\t0\t6\tAnemia\tDiseaseOrPhenotypicFeature\tD000740,D001\n"
    "12\t8\t12\tIron\tChemicalEntity\tD007501\n"
    "\n"
)
DEV = "21|t|Gout.\n21|a|Rare.\n21\t0\t4\tGout\tDiseaseOrPhenotypicFeature\tD006073\n\n"


def _biored_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("BioRED/Train.PubTator", TRAIN)
        archive.writestr("BioRED/Dev.PubTator", DEV)
        archive.writestr("BioRED/Test.PubTator", DEV)
    return path


def test_biored_keeps_disease_mentions_and_counts_what_it_drops(tmp_path):
    report = unpack_data.unpack_biored(_biored_zip(tmp_path / "BIORED.zip"), tmp_path / "biored", set())
    assert report["train"] == {"documents": 2, "documents_excluded": 0, "disease_mentions": 3,
                               "other_type_mentions_dropped": 2, "relation_lines_dropped": 1}
    assert report["dev"]["documents"] == 1 and report["dev"]["disease_mentions"] == 1
    # the package's own reader reads the result: texts intact, disease mentions only
    documents = list(read_pubtator(tmp_path / "biored" / "train.pubtator.txt"))
    assert [d.pmid for d in documents] == ["11", "12"]
    assert [m.text for m in documents[0].mentions] == ["Fever", "cough"]
    assert documents[0].text == "Fever and cough in mice. Mice with TP53 loss had fever."
    assert {m.type for d in documents for m in d.mentions} == {"DiseaseOrPhenotypicFeature"}


def test_biored_exclude_drops_documents_by_pmid(tmp_path):
    exclude_file = tmp_path / "held_out.pubtator.txt"
    exclude_file.write_text("12|t|Anemia.\n12|a|Iron helps.\n\n")
    excluded = unpack_data.excluded_pmids(exclude_file)
    assert excluded == {"12"}
    report = unpack_data.unpack_biored(_biored_zip(tmp_path / "BIORED.zip"), tmp_path / "out", excluded)
    assert report["train"]["documents"] == 1 and report["train"]["documents_excluded"] == 1
    assert [d.pmid for d in read_pubtator(tmp_path / "out" / "train.pubtator.txt")] == ["11"]


def test_an_archive_without_the_expected_file_names_it_and_writes_nothing(tmp_path):
    path = tmp_path / "BIORED.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("BioRED/Train.BioC.JSON", "{}")
    with pytest.raises(SystemExit, match=r"MLE134.*BIORED.zip.*'train.pubtator'.*Train.BioC.JSON"):
        unpack_data.unpack_biored(path, tmp_path / "out", set())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("BioRED/Train.PubTator", TRAIN)  # no dev split: no train file alone either
    with pytest.raises(SystemExit, match=r"MLE134.*'dev.pubtator'"):
        unpack_data.unpack_biored(path, tmp_path / "out", set())
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    pool = tmp_path / "mtl.zip"
    with zipfile.ZipFile(pool, "w") as archive:
        archive.writestr("x/data/BC2GM-IOB/train.tsv", "One\tO\n")
    with pytest.raises(SystemExit, match=r"MLE134.*BC2GM-IOB/devel.tsv"):
        unpack_data.build_pool(pool, tmp_path / "pool.jsonl.gz")
    assert not (tmp_path / "pool.jsonl.gz").exists()


def _pool_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for source in unpack_data.POOL_SOURCES:
            for split in unpack_data.POOL_SPLITS:
                rows = [f"{source}\tB-X", "cells\tO", "(\tO", "p\tO", "<\tO", "0\tO", ".\tO", "04\tO", ")\tO",
                        ".\tO", "", "IL\tB-GENE", "-\tI-GENE", "2\tI-GENE", "rises\tO", ".\tO", ""]
                archive.writestr(f"MTL-Bioinformatics-2016-master/data/{source}-IOB/{split}.tsv", "\n".join(rows))
        # a disease corpus of the repository, which holds dev texts: never read
        archive.writestr("MTL-Bioinformatics-2016-master/data/NCBI-disease-IOB/train.tsv", "Leak\tO\n")
    return path


def test_pool_sentences_are_detokenized_and_deduplicated(tmp_path):
    output = tmp_path / "unlabeled" / "pool.jsonl.gz"
    report = unpack_data.build_pool(_pool_zip(tmp_path / "mtl.zip"), output)
    records = [json.loads(line) for line in gzip.open(output, "rt")]
    texts = [r["text"] for r in records]
    # one sentence per source (repeated in its three splits) plus one shared by all, kept once
    assert len(texts) == len(set(texts)) == len(unpack_data.POOL_SOURCES) + 1
    assert texts[:2] == ["BC2GM cells (p < 0.04).", "IL-2 rises."]
    assert records[0]["meta"] == {"source": "BC2GM"} and "Leak" not in " ".join(texts)
    assert report["BC2GM"] == 2 and report["linnaeus"] == 1
    assert report["duplicates_skipped"] == 3 * 2 * len(unpack_data.POOL_SOURCES) - len(texts)
