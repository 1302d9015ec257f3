"""The downloaded archives in the layout the workflow reads (`spacy project run unpack`).

- `biored ZIP OUT_DIR`: OUT_DIR/{train,dev}.pubtator.txt from BioRED's BIORED.zip, each
  document's title, abstract and DiseaseOrPhenotypicFeature mentions; the other entity types
  and the relation lines are left out and counted. `--exclude FILE` drops documents by PMID
  (one per line, or the PMIDs of a PubTator file: e.g. an evaluation set you keep apart).
- `pool ZIP OUT.jsonl.gz`: the unlabeled pool from the MTL-Bioinformatics-2016 archive: every
  sentence of POOL_SOURCES (their -IOB folders, train, devel and test), labels dropped,
  detokenized, de-duplicated, as {"text", "meta": {"source"}} lines. The repository's disease
  corpora (NCBI-disease, BC5CDR) are not read: they hold NCBI's and BioRED's texts.

    python scripts/unpack_data.py biored assets/biored/BIORED.zip assets/biored
    python scripts/unpack_data.py pool assets/unlabeled/MTL-Bioinformatics-2016.zip \
        assets/unlabeled/pubmed_sentences.jsonl.gz

The figures in docs/BENCHMARKS.md were measured on copies whose sha256 project.yml records:
BioRED without 54 training and 16 dev abstracts shared with an evaluation set kept apart, and
a pool whose detokenization differs from this one's in some spacing.
"""
import argparse
import gzip
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set

from spacy_medlink.errors import Errors
from spacy_medlink.output_files import written_atomically

DISEASE_TYPE = "DiseaseOrPhenotypicFeature"
BIORED_SPLITS = {"train": "train.pubtator", "dev": "dev.pubtator"}
POOL_SOURCES = ("BC2GM", "BioNLP09", "BioNLP11EPI", "BioNLP11ID", "BioNLP13CG", "BioNLP13GE",
                "BioNLP13PC", "CRAFT", "AnatEM", "linnaeus")
POOL_SPLITS = ("train", "devel", "test")
_TEXT_LINE = re.compile(r"^[^\t|]+\|[ta]\|")  # pmid|t|title, pmid|a|abstract
# Detokenization, in this order: numbers ("2 . 2", "1 , 338"), words joined by a hyphen or a
# slash ("S - 100", "v / v"), no space before closing punctuation, none after an opening bracket.
_DETOKENIZE = (
    (re.compile(r"(?<=\d) ([.,]) (?=\d)"), r"\1"),
    (re.compile(r"(?<=\w) ([-/]) (?=\w)"), r"\1"),
    (re.compile(r" ([,.;:)\]%])"), r"\1"),
    (re.compile(r"([(\[]) "), r"\1"),
)


def archive_member(archive: zipfile.ZipFile, path: Path, suffix: str) -> str:
    """The one member whose path ends in `suffix` (case-insensitive), else E134."""
    found = [name for name in archive.namelist() if name.lower().endswith(suffix.lower())]
    if len(found) != 1:
        names = archive.namelist()
        listed = names[:10] + ([f"... ({len(names) - 10} more)"] if len(names) > 10 else [])
        raise SystemExit(Errors.E134.format(path=path, suffix=suffix, found=found or listed))
    return found[0]


def blocks(lines: Iterable[str]) -> Iterator[List[str]]:
    """The runs of non-blank lines (blank lines end PubTator documents and CoNLL sentences)."""
    block: List[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def disease_lines(document: List[str], counts: Dict[str, int]) -> List[str]:
    """Title, abstract and disease mentions of a document; other lines counted in `counts`."""
    kept = []
    for line in document:
        fields = line.split("\t")
        if _TEXT_LINE.match(line):
            kept.append(line)
        elif len(fields) >= 6 and fields[4] == DISEASE_TYPE:
            kept.append(line)
            counts["disease_mentions"] += 1
        elif len(fields) >= 6:
            counts["other_type_mentions_dropped"] += 1
        else:
            counts["relation_lines_dropped"] += 1
    return kept


def excluded_pmids(path: Path) -> Set[str]:
    """PMIDs, one per line, or those of a PubTator file's title lines."""
    pmids = set()
    for line in path.read_text(encoding="utf8").splitlines():
        pmid = line.split("|", 1)[0].split("\t", 1)[0].strip()
        if pmid and ("|t|" in line or line.strip() == pmid):
            pmids.add(pmid)
    return pmids


def unpack_biored(zip_path: Path, out_dir: Path, exclude: Set[str]) -> Dict[str, Dict[str, int]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {}
    with zipfile.ZipFile(zip_path) as archive:
        # every member found before anything is written: no train file without its dev file
        members = {split: archive_member(archive, zip_path, suffix) for split, suffix in BIORED_SPLITS.items()}
        for split, member in members.items():
            counts = {"documents": 0, "documents_excluded": 0, "disease_mentions": 0,
                      "other_type_mentions_dropped": 0, "relation_lines_dropped": 0}
            with archive.open(member) as raw:
                documents = list(blocks(io.TextIOWrapper(raw, encoding="utf8")))
            with written_atomically(out_dir / f"{split}.pubtator.txt", f"BioRED's {split} split") as tmp, \
                    tmp.open("w", encoding="utf8") as out:
                for document in documents:
                    if document[0].split("|", 1)[0] in exclude:
                        counts["documents_excluded"] += 1
                        continue
                    out.write("\n".join(disease_lines(document, counts)) + "\n\n")
                    counts["documents"] += 1
            report[split] = counts
    return report


def detokenize(tokens: List[str]) -> str:
    text = " ".join(tokens)
    for pattern, replacement in _DETOKENIZE:
        text = pattern.sub(replacement, text)
    return text


def build_pool(zip_path: Path, output: Path) -> Dict[str, int]:
    """RETURNS (Dict[str, int]): sentences written per source (and duplicates skipped)."""
    seen: Set[str] = set()
    report = {"duplicates_skipped": 0}
    with zipfile.ZipFile(zip_path) as archive:
        members = {(source, split): archive_member(archive, zip_path, f"/{source}-IOB/{split}.tsv")
                   for source in POOL_SOURCES for split in POOL_SPLITS}
        with written_atomically(output, "the unlabeled pool") as tmp, gzip.open(tmp, "wt", encoding="utf8") as out:
            for (source, _), member in members.items():
                report.setdefault(source, 0)
                with archive.open(member) as raw:
                    for rows in blocks(io.TextIOWrapper(raw, encoding="utf8")):
                        text = detokenize([row.split("\t", 1)[0] for row in rows])
                        if text in seen:
                            report["duplicates_skipped"] += 1
                            continue
                        seen.add(text)
                        out.write(json.dumps({"text": text, "meta": {"source": source}}) + "\n")
                        report[source] += 1
    return report


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="dataset", required=True)
    biored = commands.add_parser("biored", help="BioRED's disease mentions")
    biored.add_argument("zip", type=Path)
    biored.add_argument("out_dir", type=Path)
    biored.add_argument("--exclude", type=Path, default=None, help="PMIDs to leave out (a list or a PubTator file)")
    pool = commands.add_parser("pool", help="The unlabeled pool")
    pool.add_argument("zip", type=Path)
    pool.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    if args.dataset == "biored":
        exclude = excluded_pmids(args.exclude) if args.exclude else set()
        report = unpack_biored(args.zip, args.out_dir, exclude)
    else:
        report = build_pool(args.zip, args.output)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
