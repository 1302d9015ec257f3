"""The meta.json of an installable pipeline package (`spacy package --meta-path`).

`spacy package` reads the pipeline's own meta.json (pipeline, labels, training scores) and
updates it with the file written here: package name and version, the requirement on
spacy-medlink, the data sources with their sha256, the KB's identity and checksum, the dev
metrics of `spacy_medlink evaluate` and the data licences. The pipeline folder itself is
not modified.

    python -m spacy_medlink package-meta training/medlink packages/meta.json \
        --name medlink_disease_sm --version 0.2.0 --metrics metrics/dev.json \
        --data assets/ncbi_disease/train.pubtator.txt --data assets/medic/CTD_diseases.tsv.gz

DOCS: docs/PACKAGING.md
"""
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import srsly
from spacy import util
from wasabi import msg

from ..about import __version__
from ..errors import Errors
from ..integrity import file_sha256, read_json
from ..loading import pipeline_folder
from ..output_files import written_atomically
from ..pipeline.linker import LINKER_FACTORY
from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors

KB_META_FILE = "meta.json"
# The package names spacy-medlink, which provides the factories, in its requirements;
# spaCy's own detection (entry points) finds it too, this makes it explicit.
REQUIREMENT = f"spacy-medlink{util.get_minor_version_range(__version__)}"
# spacy-transformers allows transformers up to 4.53, whose import costs about 1 s more per
# spacy.load (torch._dynamo); a transformer pipeline pins the faster range (pyproject.toml).
TRANSFORMERS_REQUIREMENT = "transformers>=4.48,<4.52"
METRIC_SECTIONS = ("ner", "end_to_end", "document_concepts", "norm_at_gold", "candidate_recall")
# What `spacy package` accepts as a name (it becomes en_NAME, a Python module).
PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Published files the project uses, recognised by their sha256 (the checksums of
# project.yml); any other file is recorded by its name and checksum only.
KNOWN_SOURCES: Dict[str, Dict[str, str]] = {
    "f311381b28a6d0f641f57f4a963bb83619c2bdec5cd9caabb1381f894d5db817": {
        "name": "NCBI disease corpus, training set (593 abstracts, 5,145 mentions)",
        "url": "https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/",
        "author": "Dogan, Leaman & Lu, J Biomed Inform 2014",
        "license": "public domain (US government work)",
    },
    "02db559974624ae9cbe6cd95d64d953e6926bb63afb6b25b63e53bd8b41a4b55": {
        "name": "NCBI disease corpus, development set (100 abstracts, 787 mentions)",
        "url": "https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/",
        "author": "Dogan, Leaman & Lu, J Biomed Inform 2014",
        "license": "public domain (US government work)",
    },
    "3b65264b87734cb2eabbe766efcac0939c417742c57e229a8db510735dfa0d6e": {
        "name": "BioRED, training set, disease and phenotype mentions",
        "url": "https://ftp.ncbi.nlm.nih.gov/pub/lu/BioRED/",
        "author": "Luo et al., Briefings in Bioinformatics 2022",
        "license": "NCBI public release",
    },
    "6ca75c756a24fbafb9529fd06b35a34c5dd76c671f7aaeb67af54f12d7bb7c1a": {
        "name": "Unlabeled pool: 110,143 biomedical sentences (labels dropped)",
        "url": "https://github.com/cambridgeltl/MTL-Bioinformatics-2016",
        "author": "Crichton et al., BMC Bioinformatics 2017 (source corpora: BC2GM, BioNLP, CRAFT, AnatEM, linnaeus)",
        "license": "research use; licences differ by source corpus",
    },
    "3a83865362b11f996fec18562d2e7996f66e94d01d2e0c6360770d64184e3326": {
        "name": "MEDIC, CTD merged disease vocabulary (MeSH + OMIM), report of 2017-06-06",
        "url": "http://ctdbase.org/downloads/",
        "author": "Comparative Toxicogenomics Database (CTD), MDI Biological Laboratory & "
        "NC State University",
        "license": "CTD terms of use, http://ctdbase.org/about/legal.jsp",
    },
}

LICENSE = "MIT (code and weights); the knowledge base derives from MEDIC: CTD terms of use apply"
LICENSE_NOTES = """### Licences of the data

- **Model weights and code**: MIT (spacy-medlink).
- **Knowledge base** (`medical_entity_linker/kb`): names, synonyms, definitions and
  hierarchy come from MEDIC, the merged disease vocabulary of the Comparative
  Toxicogenomics Database (CTD), which combines MeSH (U.S. National Library of Medicine)
  and OMIM. Use is subject to CTD's terms (http://ctdbase.org/about/legal.jsp). At the
  time of the 2017 release these asked, among other things, that every publication or
  application using CTD data cite CTD, that online applications link to the relevant CTD
  pages, and that CTD be notified of the use. Read the current terms before you
  redistribute this package or use it in a product.
- **Training data**: the sources listed above. The NCBI disease corpus (Dogan, Leaman & Lu
  2014) is a public-domain work of the U.S. National Center for Biotechnology Information;
  BioRED (Luo et al. 2022) is an NCBI public release; the sentences of the unlabeled pool
  (used by self-training and distillation) come from research corpora whose licences differ.
"""


def build_package_meta(
    model_path: Union[str, Path],
    *,
    name: str,
    version: str,
    metrics_path: Optional[Union[str, Path]] = None,
    second_metrics_path: Optional[Union[str, Path]] = None,
    data_paths: Iterable[Union[str, Path]] = (),
    trained_on: str = "the NCBI disease corpus",
    dev_names: Sequence[str] = (),
) -> Dict[str, Any]:
    """The meta.json fields that `spacy package --meta-path` adds to a pipeline's meta.

    model_path (Union[str, Path]): The pipeline folder (with a medical_entity_linker).
    name (str): Package name without the language prefix, e.g. "medlink_disease_sm".
    version (str): Package version.
    metrics_path (Optional[Union[str, Path]]): metrics JSON of `spacy_medlink evaluate`.
    second_metrics_path (Optional[Union[str, Path]]): the same on a second corpus's dev set.
    data_paths (Iterable[Union[str, Path]]): The data files the pipeline was built from;
        each is recorded with its sha256 (and its publication, when it is a known file).
    trained_on (str): What the NER was trained on, in words (stated in the description).
    dev_names (Sequence[str]): Names of the two metrics' dev sets in the README's accuracy
        table (default: their file names).
    RETURNS (Dict[str, Any]): The meta fields.
    """
    model_path = Path(model_path)
    kb_path = find_kb_path(model_path)
    kb_meta = srsly.read_json(kb_path / KB_META_FILE)
    sources = [_source(Path(path)) for path in data_paths]
    medlink: Dict[str, Any] = {
        "kb": {
            "name": kb_meta.get("name", ""),
            "version": kb_meta.get("version", ""),
            "path": str(kb_path.relative_to(model_path)),
            "sha256": folder_sha256(kb_path),
            "n_concepts": kb_meta.get("n_concepts"),
            "n_aliases": kb_meta.get("n_aliases"),
            "encoder": kb_meta.get("encoder", ""),
            "source": Path(str(kb_meta.get("source", ""))).name,
            "source_sha256": kb_meta.get("source_sha256", ""),
        },
        "data": sources,
        "trained_on": trained_on,
    }
    if metrics_path is not None:
        medlink["dev_metrics"] = summarize_metrics(read_metrics(metrics_path, "--metrics"))
    if second_metrics_path is not None:
        medlink["second_dev_metrics"] = summarize_metrics(read_metrics(second_metrics_path, "--second-metrics"))
    return {
        "name": name,
        "version": version,
        "description": (
            "Disease NER and entity linking to MEDIC (MeSH/OMIM) concepts, trained with "
            f"spacy-medlink on {trained_on}. Sets doc.ents (label DISEASE), "
            "ent.kb_id_ (e.g. MESH:D001943), ent._.medlink_category (disease or "
            "sign_or_symptom) and doc._.medlink_links (candidates with evidence)."
        ),
        "author": "spacy-medlink contributors",
        "license": LICENSE,
        "requirements": package_requirements(model_path),
        # spaCy's package README lists the sources in its table: say there what the NER learned from.
        "sources": [{"name": f"NER trained on {trained_on}"}] + [_readme_source(s) for s in sources],
        "notes": accuracy_notes(medlink, trained_on, dev_names) + LICENSE_NOTES,
        "medlink": medlink,
    }


# (section of an evaluate report, its row in the package README's accuracy table)
_ACCURACY_ROWS = (
    ("ner", "NER P / R / F (strict span)"),
    ("end_to_end", "mention linking (span + concept) P / R / F"),
    ("document_concepts", "document-level concepts P / R / F"),
)


def accuracy_notes(medlink: Dict[str, Any], trained_on: str, dev_names: Sequence[str] = ()) -> str:
    """The package README's table of the evaluate figures on each dev set, and what the
    pipeline was trained on ("" without metrics).

    medlink (Dict[str, Any]): The meta's "medlink" block (dev_metrics, second_dev_metrics).
    trained_on (str): What the NER was trained on, in words.
    dev_names (Sequence[str]): The dev sets' names (default: the metrics' file names).
    RETURNS (str): Markdown, ending with a blank line.
    """
    reports = [medlink[key] for key in ("dev_metrics", "second_dev_metrics") if key in medlink]
    if not reports:
        return ""
    names = list(dev_names)[: len(reports)]
    names += [Path(str(report.get("data", "dev"))).stem for report in reports[len(names):]]
    lines = [
        "### Accuracy of the whole pipeline (`spacy_medlink evaluate`)", "",
        f"Trained on {trained_on}; evaluated on {', '.join(names)}, dev splits that no "
        "training step saw (a corpus whose training split was not used either measures how "
        "far the pipeline carries).", "",
        "| measure | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for section, label in _ACCURACY_ROWS:
        cells = [
            " / ".join(f"{report[section][k]:.1f}" for k in ("p", "r", "f")) if section in report else "-"
            for report in reports
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = [
        f"{report['norm_at_gold']['acc@1']:.1f}" if "norm_at_gold" in report else "-" for report in reports
    ]
    lines.append("| linker on gold spans, norm@gold acc@1 | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n"


def package_requirements(model_path: Path) -> List[str]:
    """Requirements the package adds to the ones spacy package detects: spacy-medlink, and
    the transformers range for a pipeline with a transformer component.

    model_path (Path): The pipeline folder.
    RETURNS (List[str]): Requirement strings.
    """
    config = util.load_config(model_path / "config.cfg", interpolate=False)
    factories = {component.get("factory") for component in config.get("components", {}).values()}
    return [REQUIREMENT, TRANSFORMERS_REQUIREMENT] if "transformer" in factories else [REQUIREMENT]


def find_kb_path(model_path: Path) -> Path:
    """The KB folder of the pipeline's (first) medical_entity_linker.

    model_path (Path): The pipeline folder.
    RETURNS (Path): <model_path>/<linker name>/kb.
    """
    config = util.load_config(model_path / "config.cfg", interpolate=False)
    components = config.get("components", {})
    names = [n for n, c in components.items() if c.get("factory") == LINKER_FACTORY]
    if not names:
        found = ", ".join(components) or "none"
        raise ValueError(Errors.E400.format(path=model_path, factory=LINKER_FACTORY, found=found))
    kb_path = model_path / names[0] / "kb"
    if not (kb_path / KB_META_FILE).exists():
        raise ValueError(Errors.E009.format(path=kb_path, missing=KB_META_FILE))
    return kb_path


def folder_sha256(path: Path) -> str:
    """One sha256 over a folder: every file's relative path and bytes, in sorted order.

    path (Path): The folder.
    RETURNS (str): The hex digest; equal for equal folder contents on any machine.
    """
    digest = hashlib.sha256()
    for file_path in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file_path.relative_to(path).as_posix().encode("utf8") + b"\0")
        digest.update(file_sha256(file_path).encode("ascii"))
    return digest.hexdigest()


def summarize_metrics(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """The scalar scores of an evaluate report, per section (nested details left out).

    metrics (Dict[str, Any]): The JSON written by `spacy_medlink evaluate`.
    RETURNS (Dict[str, Any]): {"data": ..., "n_docs": ..., section: {name: number}}.
    """
    summary: Dict[str, Any] = {
        key: metrics[key] for key in ("data", "n_docs", "n_gold_mentions") if key in metrics
    }
    for section in METRIC_SECTIONS:
        values = metrics.get(section)
        if isinstance(values, dict):
            summary[section] = {
                k: v for k, v in values.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
    return summary


def report_date(path: Path) -> str:
    """The "Report created:" date in the comment header of a CTD file, or "".

    path (Path): A CTD TSV file, optionally gzipped.
    RETURNS (str): The date as written by CTD, e.g. "Tue Jun 06 11:31:46 EDT 2017".
    """
    if not re.search(r"\.tsv(\.gz)?$", path.name):
        return ""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf8", errors="replace") as infile:
        for line in infile:
            if not line.startswith("#"):
                break
            match = re.match(r"#\s*Report created:\s*(.+)", line)
            if match:
                return match.group(1).strip()
    return ""


def _source(path: Path) -> Dict[str, str]:
    if not path.exists():
        raise ValueError(Errors.E401.format(path=path))
    sha256 = file_sha256(path)
    source = {"file": path.name, "sha256": sha256}
    source.update(KNOWN_SOURCES.get(sha256, {"name": path.name}))
    created = report_date(path)
    if created:
        source["report_created"] = created
    return source


def _readme_source(source: Dict[str, str]) -> Dict[str, str]:
    # spaCy's README lists "name (author)" linked to "url"; keep the checksum in the name.
    readme = {k: v for k, v in source.items() if k in ("name", "url", "author", "license")}
    readme["name"] = f"{source['name']} [sha256 {source['sha256'][:12]}]"
    return readme


def read_metrics(path: Union[str, Path], option: str) -> Dict[str, Any]:
    """The JSON of `evaluate`, with coded errors: unreadable (E034), another shape (E402)."""
    metrics = read_json(Path(path))
    if not isinstance(metrics, dict) or not any(isinstance(metrics.get(s), dict) for s in METRIC_SECTIONS):
        found = f"keys {sorted(metrics)[:8]}" if isinstance(metrics, dict) else f"a JSON {type(metrics).__name__}"
        raise ValueError(Errors.E402.format(path=path, option=option, sections=", ".join(METRIC_SECTIONS), found=found))
    return metrics


def check_package_name(name: str, version: str) -> None:
    """RAISES ValueError: E403 for a name or version `spacy package` or pip would refuse."""
    from packaging.version import InvalidVersion, Version

    if not PACKAGE_NAME.match(name):
        raise ValueError(Errors.E403.format(option="--name", value=name, expected="letters, digits and underscores, starting with a letter (e.g. medlink_disease_sm)"))
    try:
        Version(version)
    except InvalidVersion:
        raise ValueError(Errors.E403.format(option="--version", value=version, expected="a PEP 440 version such as 0.2.0")) from None


def write_package_meta(
    model_path: Union[str, Path],
    output: Union[str, Path],
    **kwargs: Any,
) -> Dict[str, Any]:
    """Write the meta of build_package_meta to a JSON file (its folder is created).

    model_path (Union[str, Path]): The pipeline folder.
    output (Union[str, Path]): The JSON file for `spacy package --meta-path`.
    **kwargs: name, version, metrics_path, second_metrics_path, data_paths, trained_on,
        dev_names (see build_package_meta).
    RETURNS (Dict[str, Any]): The meta written.
    """
    meta = build_package_meta(model_path, **kwargs)
    with written_atomically(output, "the package meta") as tmp:
        srsly.write_json(tmp, meta)
    return meta


@app.command("package-meta")
@coded_errors()
def package_meta_cli(
    model_path: Path = Arg(..., help="Pipeline folder", exists=True, file_okay=False),
    output: Path = Arg(..., help="Where to write the meta.json for spacy package --meta-path"),
    name: str = Opt(..., "--name", "-n", help="Package name without the 'en_' prefix"),
    version: str = Opt(..., "--version", "-v", help="Package version"),
    metrics: Optional[Path] = Opt(
        None, "--metrics", "-m", help="metrics JSON of `evaluate`", exists=True
    ),
    data: List[Path] = Opt(
        [], "--data", "-d", help="A data file the pipeline was built from (repeatable)"
    ),
    second_metrics: Optional[Path] = Opt(
        None, "--second-metrics", help="metrics JSON of `evaluate` on a second corpus", exists=True
    ),
    trained_on: str = Opt("the NCBI disease corpus", "--trained-on", help="What the NER was trained on, in words"),
    dev_names: str = Opt("", "--dev-names", help="Comma-separated names of the --metrics and --second-metrics dev sets for the README's table"),
):
    """Write the meta.json overrides of an installable pipeline package."""
    check_package_name(name, version)
    check_output_path(output, "the package meta")
    pipeline_folder(model_path)  # a folder that is not a pipeline: MLE042
    check_distinct_paths([("the package meta", output)], [("the metrics", metrics), ("the second metrics", second_metrics)])
    names = [n.strip() for n in dev_names.split(",") if n.strip()]
    write_package_meta(model_path, output, name=name, version=version, metrics_path=metrics,
                       second_metrics_path=second_metrics, data_paths=data, trained_on=trained_on,
                       dev_names=names)
    msg.good(f"Wrote package meta to {output}")

