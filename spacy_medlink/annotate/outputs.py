"""Output of `annotate`: one record per document with its linked entities, as JSONL, PubTator
or a DocBin (chosen by the output's suffix or --format). Shards are written atomically (a
temporary file renamed into place), so a killed run leaves whole shards or none, and each
gets a receipt that --resume checks (a shard changed since is redone)."""
import json
import re
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import srsly
from spacy.tokens import Doc, DocBin

from ..errors import Errors
from ..integrity import file_entry
from ..output_files import replace_atomically, written_atomically
from ..kb.ids import KB_ID_SEPARATOR
from ..pipeline.explain import LINKS_EXTENSION
from .inputs import InputRecord

OUTPUT_FORMATS = {"jsonl": ".jsonl", "pubtator": ".pubtator.txt", "spacy": ".spacy"}
ANNOTATE_USER_DATA = "medlink_annotate"
# A finished shard's receipt (its document count, size and sha256), written after the shard.
RECEIPT_SUFFIX = ".done"
_LINE_BREAKS = re.compile(r"[\r\n\t]")
_ID_SEPARATORS = re.compile(r"[\r\n\t|\s]")


def output_format(path: Path, requested: Optional[str] = None) -> str:
    """jsonl, pubtator or spacy: as requested, else by the output's suffix (default jsonl)."""
    if requested:
        if requested not in OUTPUT_FORMATS:
            raise ValueError(Errors.E325.format(what="output format", value=requested, expected=", ".join(OUTPUT_FORMATS)))
        return requested
    name = path.name.lower()
    if name.endswith(".spacy"):
        return "spacy"
    if name.endswith((".pubtator", ".pubtator.txt")):
        return "pubtator"
    return "jsonl"


def entity_records(doc: Doc, names_of) -> List[Dict[str, Any]]:
    """The doc's entities with their links: offsets, text, label, concept id(s), name(s),
    calibrated score and category (as the linker set them; "" for NIL)."""
    links = {}
    if Doc.has_extension(LINKS_EXTENSION):
        links = {(r["start_char"], r["end_char"]): r for r in doc._.get(LINKS_EXTENSION) or []}
    entities = []
    for ent in doc.ents:
        link = links.get((ent.start_char, ent.end_char), {})
        kb_id = ent.kb_id_
        entities.append({
            "start": ent.start_char, "end": ent.end_char, "text": ent.text, "label": ent.label_,
            "kb_id": kb_id, "name": names_of(kb_id), "score": link.get("score"),
            "category": link.get("category", ""),
        })
    return entities


def json_record(record: InputRecord, doc: Doc, names_of) -> Dict[str, Any]:
    return {
        "id": record.doc_id, **record.fields, "text": record.text, "meta": record.meta,
        "entities": entity_records(doc, names_of),
        "source": {"file": record.source, "line": record.line},
    }


def pubtator_lines(record: InputRecord, doc: Doc, names_of) -> List[str]:
    """A PubTator document: the whole text as its title (newlines as spaces: same offsets)."""
    doc_id = _ID_SEPARATORS.sub("_", record.doc_id) or f"{Path(record.source).name}:{record.line}"
    # Line breaks and tabs become spaces: one character each, so offsets stay right, and the
    # title, mention and text fields stay one line and one field.
    lines = [f"{doc_id}|t|{_LINE_BREAKS.sub(' ', record.text)}", f"{doc_id}|a|"]
    for ent in entity_records(doc, names_of):
        lines.append("\t".join((doc_id, str(ent["start"]), str(ent["end"]), _LINE_BREAKS.sub(" ", ent["text"]),
                                ent["label"], ent["kb_id"] or "-")))
    return lines + [""]


def write_shard(path: Path, kind: str, items: Sequence[Tuple[InputRecord, Doc]], names_of) -> None:
    """Write one shard atomically, then its receipt (shard_is_complete)."""
    tmp = path.with_name(path.name + ".tmp")
    if kind == "spacy":
        docs = []
        for record, doc in items:
            doc.user_data[ANNOTATE_USER_DATA] = {"id": record.doc_id, "meta": record.meta}
            docs.append(doc)
        DocBin(docs=docs, store_user_data=True).to_disk(tmp)
    elif kind == "pubtator":
        tmp.write_text("".join(line + "\n" for r, d in items for line in pubtator_lines(r, d, names_of)), encoding="utf8")
    else:
        srsly.write_jsonl(tmp, [json_record(r, d, names_of) for r, d in items])
    replace_atomically(tmp, path)
    with written_atomically(receipt_path(path), "a shard's receipt") as receipt:
        receipt.write_text(json.dumps({"n_docs": len(items), **file_entry(path)}))


def receipt_path(shard: Path) -> Path:
    return shard.with_name(shard.name + RECEIPT_SUFFIX)


def shard_is_complete(shard: Path) -> bool:
    """Whether a shard is as its run wrote it: its receipt exists and names its size and
    sha256 (a shard changed or cut short since, or killed before its receipt, is redone)."""
    try:
        receipt = json.loads(receipt_path(shard).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(receipt, dict) and {k: receipt.get(k) for k in ("bytes", "sha256")} == file_entry(shard)


def merge_shards(shards: Iterable[Path], kind: str, output: Path) -> None:
    """Join the shards, in order, into the output (atomically)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    if kind == "spacy":
        merged = DocBin(store_user_data=True)
        for shard in shards:
            merged.merge(DocBin(store_user_data=True).from_disk(shard))
        merged.to_disk(tmp)
    else:
        with tmp.open("wb") as out:
            for shard in shards:
                with shard.open("rb") as part:
                    shutil.copyfileobj(part, out)
    replace_atomically(tmp, output)


def names_from_store(store):
    """kb_id ("A" or "A|B") -> the concepts' names, joined the same way ("" for NIL)."""
    def names_of(kb_id: str) -> str:
        if not kb_id:
            return ""
        names = []
        for concept_id in kb_id.split(KB_ID_SEPARATOR):
            concept = store.get(concept_id) if store is not None else None
            names.append(concept.name if concept is not None else "")
        return KB_ID_SEPARATOR.join(names)
    return names_of
