"""The benchmark report's section on other dev corpora (`--also-dev`): the same pipeline and
string baselines on a corpus with another annotation guideline, next to the main dev corpus."""
from typing import Any, List, Mapping, Tuple

from .report_format import fmt, markdown_table


def other_dev_section(results: Mapping[str, Any]) -> List[str]:
    """The accuracy on the other dev corpora (--also-dev), ours next to the string baselines
    of the same evaluation; the first row repeats the main dev corpus for comparison."""
    others = results.get("other_dev") or []
    if not others:
        return []
    out = ["## Other dev corpora", "",
           "The same pipeline and baselines (same training data) on each dev corpus; F1 for NER, "
           "mention linking and document concepts, ours / dictionary baseline end to end:", ""]
    rows = [_other_dev_row(results["meta"]["dev_data"], results["accuracy"])]
    rows += [_other_dev_row(other["dev_data"], other["accuracy"]) for other in others]
    header = ("dev corpus", "norm@gold acc@1", "dictionary acc@1", "TF-IDF acc@1", "NER F",
              "mention linking F", "document concepts F", "gold mentions")
    return out + markdown_table(header, rows)


def _other_dev_row(dev_data: str, accuracy: Mapping[str, Any]) -> Tuple[Any, ...]:
    baselines = accuracy.get("baselines") or {}
    dictionary_e2e = baselines.get("dictionary_end_to_end") or {}

    def f1_pair(key: str) -> str:
        ours, theirs = accuracy.get(key), dictionary_e2e.get(key)
        if ours is None:
            return "n/a"
        return f"{fmt(ours['f'])} / {fmt(theirs['f']) if theirs else 'n/a'}"

    return (f"`{dev_data}`", fmt(accuracy["norm_at_gold"]["acc@1"]),
            fmt((baselines.get("dictionary") or {}).get("acc@1")), fmt((baselines.get("tfidf") or {}).get("acc@1")),
            f1_pair("ner"), f1_pair("end_to_end"), f1_pair("document_concepts"), accuracy["n_gold_mentions"])
