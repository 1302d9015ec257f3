"""Coded errors and warnings for spacy-medlink.

Messages are formatted as ``[MLE###] ...`` / ``[MLW###] ...`` so they never clash with
spaCy's own ``E###``/``W###`` codes. Each message says what was expected, what was found and
how to fix it. Code ranges by area (keep to your range when adding):

    001-099  knowledge base (records, readers, normalizer, builder, loaders)
    100-199  corpus (PubTator parser, conversion, readers)
    200-299  linker, candidates, abbreviations
    300-399  evaluation, benchmark, CLI
    400-449  packaging (installable pipeline packages)
"""
import warnings


class _CodedMessages(type):
    def __getattribute__(self, code):
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        prefix = "MLW" if self.__name__ == "Warnings" else "MLE"
        return f"[{prefix}{code[1:]}] {msg}"


class Warnings(metaclass=_CodedMessages):
    # --- knowledge base (001-099) ---
    W001 = ("Skipped {n_skipped} of {n_total} rows while reading {path}; first problems: "
            "{examples}")
    W002 = ("{n_conflicts} alt id claims{source} name an alt id that an earlier concept already "
            "claimed; each alt id resolves to the first concept that claimed it. First conflicts "
            "(alt id: kept, ignored): {examples}")
    W003 = ("{n_unknown} of {n_total} extra aliases (training mentions) name concept ids that "
            "are not in the vocabulary (neither primary nor alt ids) and were not added; first "
            "ones: {examples}")
    W004 = ("{n_skipped} aliases normalize to an empty string (no letters or digits) and were "
            "not added; first ones: {examples}")
    # --- corpus (100-199) ---
    W100 = ("{n_skipped} of {n_total} gold mentions in {path} were not added to doc.ents: "
            "{n_misaligned} do not align to token boundaries and {n_overlapping} overlap another "
            "mention (documents: {docs}). All of them are kept in "
            "doc.user_data['medlink_gold_mentions']; the tokenizer decides the alignment.")
    W101 = ("{n_skipped} of {n_total} gold entities in {path} do not align to the tokens of "
            "nlp.make_doc and were not copied to the predicted docs (gold_ents_in_predicted). "
            "Convert the corpus with the tokenizer of the pipeline you train.")
    W110 = ("Skipped {n_skipped} of {n_total} lines of {path} that are not JSON objects with a "
            "non-empty string \"text\"; first ones: {examples}")
    # --- linker (200-299) ---
    # abbreviations (250-269)
    W250 = ("medlink_abbreviations: {n_skipped} of {n_total} abbreviation spans (short-form "
            "occurrences and long forms) do not align to token boundaries and were not added "
            "to doc.spans; first ones: {examples}. A tokenizer that splits on hyphens and "
            "brackets (spaCy's default) avoids this.")
    # --- evaluation (300-399) ---
    # benchmark (350-399)
    W350 = ("The spaCy entity_linker baseline was trained on {n_examples} training documents "
            "in which no gold mention has a normalized-alias candidate; it predicts with its "
            "untrained context encoder and the KB priors.")


class Errors(metaclass=_CodedMessages):
    # --- knowledge base (001-099) ---
    E001 = "Vocabulary file not found: {path}."
    E002 = "Vocabulary file {path} is empty: no concept rows were found."
    E003 = ("{path}, line {line}: expected {expected} tab-separated columns ({columns}), "
            "found {found}.")
    E004 = "{path}, line {line}: field '{field}' is empty; every concept needs one."
    E005 = "{path}, line {line}: duplicate concept id '{concept_id}' (first seen on line {first_line})."
    E006 = "{path}, line {line}: cannot decode the line as {encoding}: {error}."
    E007 = "{path}, line {line}: invalid JSON: {error}."
    E008 = ("{path}, line {line}: field '{field}' must be {expected}, found {found}.")
    E009 = "Knowledge base path {path} does not exist or is not a spacy-medlink KB folder (missing {missing})."
    E010 = ("The knowledge base has entity vectors of length {kb_length}, but the component "
            "expects {expected}. Rebuild the KB or set entity_vector_length = {kb_length}.")
    E011 = ("Unknown concept encoder '{name}'. Registered encoders: {options}.")
    E012 = "Invalid on_error={value!r}: expected 'raise' (stop at the first bad row) or 'skip' (skip, count and warn)."
    E013 = ("Cannot tell the vocabulary format of {path} (format={format!r}). Use a .tsv/.tsv.gz "
            "MEDIC file or a .jsonl/.json concept file, or pass format='medic' or 'jsonl'.")
    E014 = "Cannot build a knowledge base from an empty vocabulary: no concepts were given."
    E015 = ("The encoder returned an array of shape {shape} for {n} concepts; expected a 2-D "
            "array with one row per concept.")
    E016 = "Concept id '{concept_id}' is already in the store; concept ids must be unique."
    E017 = "Invalid KB data in {path}: {error}."
    # --- corpus (100-199) ---
    E100 = "PubTator file not found: {path}."
    E101 = "PubTator file {path} is empty: no documents were found."
    E102 = "{path}, line {line}: expected a title line 'PMID|t|TEXT', found: {found!r}."
    E103 = "{path}, line {line}: expected an abstract line 'PMID|a|TEXT' after the title of {pmid}, found: {found!r}."
    E104 = ("{path}, line {line}: expected 6 tab-separated mention fields "
            "(pmid, start, end, text, type, ids), found {found}.")
    E105 = "{path}, line {line}: mention belongs to PMID {found}, but the current document is {pmid}."
    E106 = "{path}, line {line}: field '{field}' must be an integer, found {found!r}."
    E107 = ("{path}, line {line}: offsets {start}-{end} are outside the document "
            "(length {length}) or reversed.")
    E108 = ("{path}, line {line}: mention text {expected!r} does not match the document text "
            "at {start}-{end}: {found!r}.")
    E109 = "{path}, line {line}: cannot decode the line as {encoding}: {error}."
    E110 = ("Converting {path} lost track of gold mentions: {accounted} accounted for "
            "(converted + misaligned + overlapping), {n_mentions} read. This is a bug.")
    E111 = "Corpus path not found: {path}."
    E112 = ("Cannot read corpus file {path}: expected a .spacy DocBin or a PubTator .txt file "
            "(or a folder of them).")
    E113 = "Unlabeled text file not found: {path}."
    E114 = ("Cannot read unlabeled text file {path} (near line {line}): {error}. Expected JSONL, "
            "plain or gzip-compressed, one {{\"text\": ...}} object per line.")
    E115 = ("No texts to label in {path}: every line was skipped or the file is empty.")
    E116 = ("Converting {path} with unannotated categories needs the vocabulary whose matches "
            "are marked missing: pass --vocabulary (MEDIC TSV or concepts JSONL).")
    # --- linker (200-299) ---
    E200 = ("The medical_entity_linker '{name}' has no knowledge base (or an empty one). Fill "
            "it in initialize with [initialize.components.{name}.kb_loader], e.g. "
            "@misc = \"spacy-medlink.KBFromDisk.v1\".")
    E201 = ("The kb_loader of '{name}' must return a MedlinkKB, got {found}.")
    E203 = ("The model of '{name}' takes {found} evidence features but the linker computes "
            "{expected}. Set [components.{name}.model] n_features = {expected}.")
    # short-form mentions (260-269)
    E260 = ("{name} needs the abbreviations found by `medlink_abbreviations`, but doc.spans has "
            "no '{key}' group (or its long forms). Add the component before it: "
            "nlp.add_pipe(\"medlink_abbreviations\", before=\"{name}\"), with the same "
            "spans_key as its abbreviations_key.")
    # KB mentions for recognition (270-279)
    E270 = ("The component '{name}' has no alias table. Fill it in initialize from a vocabulary: "
            "[initialize.components.{name}] vocabulary = \"MEDIC.tsv.gz or concepts.jsonl\" "
            "(or load a trained pipeline).")
    E271 = ("The KB features of the NER read doc.spans['{key}'], which this doc does not have. "
            "Put `medlink_kb_mentions` before the tok2vec in [nlp] pipeline, and list it in "
            "[training] annotating_components so it also runs while training.")
    E272 = ("doc.spans['{key}'] holds a span labelled {label!r}; the KB features know the "
            "categories {expected}.")
    E273 = ("The vocabulary {path} gave no alias usable for matching (every name is shorter "
            "than {min_chars} characters or a stop word).")
    E274 = ("{path} has no {missing}: the component '{name}' was saved incompletely. Save the "
            "pipeline again with nlp.to_disk.")
    # --- evaluation (300-399) ---
    E300 = "Cannot read evaluation data {path}: expected a .spacy DocBin or a PubTator file."
    E301 = "Model {path} has no component named '{name}'. Components: {found}."
    E302 = ("The {name} baseline has not been fitted: call fit(concepts, train_mentions) "
            "before rank/rank_many.")
    # benchmark (350-399)
    E350 = ("Invalid {option} value {value!r}: expected a comma-separated list of {expected}, "
            "e.g. {example}.")
    E351 = ("Cannot benchmark {path}: the model must be a pipeline folder on disk (its load "
            "time and size are measured), found {found}.")
    E352 = ("The benchmark step '{step}' failed: `{command}` exited with code {code}. Last "
            "lines of its output:\n{output}")
    E353 = ("The linker '{name}' of {path} has no KB folder at {kb_path}; the spaCy "
            "entity_linker baseline loads the same KB from there. Save the pipeline with "
            "nlp.to_disk (the linker writes its KB to NAME/kb).")
    # --- packaging (400-449) ---
    E400 = ("Pipeline {path} has no component made by the '{factory}' factory (components: "
            "{found}); a spacy-medlink package needs the linker and its KB.")
    E401 = "Data file {path} (passed with --data to record its sha256) does not exist."


def warn_once(message: str, category=UserWarning) -> None:
    """Emit a coded warning. Python's default filter shows each distinct message once."""
    warnings.warn(message, category, stacklevel=3)
