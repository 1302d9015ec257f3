"""Check the medlink_short_form_mentions rule on gold annotations (no model involved).

    python scripts/short_form_rule_check.py corpus/train.spacy

With the gold entities standing in for the NER, every short-form occurrence is counted by
how its long form reads (mention / undecided / not a mention) and whether the occurrence is
itself a gold mention, lies inside a longer one, or is not annotated. The rule is sound where
"mention" occurrences are mostly gold and "not a mention" ones never are.
"""
import sys
import warnings
from collections import Counter

import spacy
from spacy.tokens import DocBin

from spacy_medlink.pipeline.abbreviations import AbbreviationDetector
from spacy_medlink.pipeline.short_form_mentions import read_short_forms


def main(path: str) -> None:
    nlp = spacy.blank("en")
    detector = AbbreviationDetector()
    counts: Counter = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # misaligned abbreviations are counted by W250 elsewhere
        docs = [detector(doc) for doc in DocBin().from_disk(path).get_docs(nlp.vocab)]
    for doc in docs:
        ents = list(doc.ents)
        gold = {(ent.start, ent.end) for ent in ents}
        readings = read_short_forms(doc.spans[detector.long_forms_key], ents)
        for short_form in doc.spans[detector.spans_key]:
            if short_form.text not in readings:
                continue  # a part of a compound short form: no long-form span of its own
            if (short_form.start, short_form.end) in gold:
                status = "gold mention"
            elif any(e.start < short_form.end and short_form.start < e.end for e in ents):
                status = "inside a gold mention"
            else:
                status = "not annotated"
            counts[readings[short_form.text][0], status] += 1
    print(f"{'long form reads as':20} {'occurrence is':24} {'count':>6}")
    for (reading, status), n in sorted(counts.items()):
        print(f"{reading:20} {status:24} {n:6d}")


if __name__ == "__main__":
    main(sys.argv[1])
