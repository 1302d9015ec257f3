"""Annotate a corpus with a trained pipeline (`python -m spacy_medlink annotate`): readers of
JSONL, plain-text and PubTator input, writers of JSONL, PubTator and DocBin output, and a
runner that writes atomic shards so an interrupted run resumes where it stopped."""
