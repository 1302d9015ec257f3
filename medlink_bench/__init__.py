"""The project's benchmark harness: accuracy, speed and cost of a trained pipeline next to
baselines, in one run (`python -m medlink_bench`, `spacy project run benchmark`).

It lives beside the library, not in it: the wheel of `spacy_medlink` ships metrics and
`evaluate`; this package imports the library and is never imported by it.
"""
