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

# Shared by the KB (E018, E019) and corpus (E117) readers' messages.
_GZIP_PROBLEM = (
    "{path}: cannot decompress the file at line {line} ({error}). A name ending in .gz "
    "promises gzip data, but this file is truncated, corrupt or not compressed. Download or "
    "compress it again (`gzip -t` tests it), or drop the .gz suffix if it is plain text."
)
_LONE_SURROGATE = (
    "holds a lone UTF-16 surrogate ({found}), which is not a character and cannot be written "
    "as UTF-8. Expected complete characters (a \\ud800-\\udbff escape followed by a "
    "\\udc00-\\udfff one); fix or remove the escape."
)


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
    W110 = ("Skipped {n_skipped} of {n_total} records of {path} without a text to label (JSONL "
            "lines that are not UTF-8 JSON objects with a non-empty string \"text\" free of lone "
            "surrogates, DocBin or PubTator documents with an empty text); first ones: {examples}")
    W111 = ("{n_repeats} documents of {path} repeat an earlier document with the same id word "
            "for word (title, abstract and mentions) and were kept, as in the file; first ones "
            "(id: line, earlier line): {examples}. Remove the repeats to count each document "
            "once.")
    W113 = ("{path} has mentions of types that are not diseases ({found}); they are converted as "
            "{label} entities like the others. Keep the disease mentions with `convert --type "
            "TYPE` (e.g. --type Disease for BC5CDR), or the corpus reader's `types` setting.")
    W114 = ("{path}: the kept type(s) {missing} (convert --type, the corpus reader's types) "
            "matched no mention (the types kept are {kept}; types are case-sensitive).")
    W112 = ("Skipped {n_relations} relation lines of {path} (pmid, relation type, ids: "
            "BioRED's and BC5CDR's relation annotations); spacy-medlink reads the mentions only.")
    # --- linker (200-299) ---
    # abbreviations (250-269)
    W250 = ("medlink_abbreviations: {n_skipped} of {n_total} abbreviation spans (short-form "
            "occurrences and long forms) do not align to token boundaries and were not added "
            "to doc.spans; first ones: {examples}. A tokenizer that splits on hyphens and "
            "brackets (spaCy's default) avoids this. Warned for the first such document only; "
            "the component's n_misaligned / n_spans count all.")
    # --- evaluation (300-399) ---
    W300 = ("--guideline {guideline!r} changes nothing: no component of {model} reads the guideline "
            "(its NER was trained without `guidelines`, on one guideline). The entities are the "
            "pipeline's own.")
    W301 = ("The NER pipeline {path} has no component that sets entities (components: "
            "{found}): the assembled pipeline links only the entities of components you add "
            "before its linker (an entity_ruler, your own NER). Pass a trained NER pipeline to "
            "link out of the box.")
    # annotate (320-349)
    W320 = ("Skipped {n_skipped} bad input records of {n_total} (--on-error skip); first ones: "
            "{examples}. The summary lists every one.")
    W321 = ("The pipeline {model} has no component that sets entities (components: {found}), "
            "so every document is written with 0 entities. Annotate with a pipeline that finds "
            "the mentions, an NER or entity_ruler before the linker (a component counts when "
            "its factory declares assigns=[\"doc.ents\"]).")
    W322 = ("{parts}: {n} shard(s) of the interrupted run have no matching receipt (changed or "
            "cut short since, killed before the receipt, or written by a spacy-medlink without "
            "receipts) and are annotated again: {shards}.")
    # benchmark (350-399)
    W350 = ("The spaCy entity_linker baseline was trained on {n_examples} training documents "
            "in which no gold mention has a normalized-alias candidate; it predicts with its "
            "untrained context encoder and the KB priors.")


class Errors(metaclass=_CodedMessages):
    # --- knowledge base (001-099) ---
    E001 = "Vocabulary file not found: {path}{problem}."
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
    E022 = ("The entity vector length (--dim) must be a whole number >= 1, found {dim!r}.")
    E023 = ("Unknown {option} label(s) {found}: the vocabulary's match labels are {expected} "
            "(upper case); a mistyped label would turn the option off without a word.")
    E016 = "Concept id '{concept_id}' is already in the store; concept ids must be unique."
    E017 = "Invalid KB data in {path}: {error}."
    # input files and ids (018-029, issue 13)
    E018 = _GZIP_PROBLEM
    E019 = "{path}, line {line}: field '{field}' " + _LONE_SURROGATE
    E020 = ("{path}, line {line}: field '{field}' holds the id {concept_id!r}, which contains "
            "{found}. Expected one id without whitespace or '|' ('|' joins the ids of a "
            "composite mention, so this id would be scored as several concepts); {fix}.")
    E021 = ("Cannot read the alias index file {path}: {error}. Expected the file "
            "CharNgramIndex.to_disk writes; it is missing, empty, truncated or of another "
            "format. Save the pipeline again (nlp.to_disk) or rebuild its KB with "
            "`python -m spacy_medlink build-kb`.")
    # saved folders and their manifests (030-039)
    E030 = ("{path} is missing from the saved folder {folder}. The folder was copied or saved "
            "incompletely: save the pipeline again (nlp.to_disk) or reinstall its package.")
    E031 = ("{path} has {found} bytes, but {expected} were saved (medlink_files.json). The file "
            "was truncated or replaced: save the pipeline again or reinstall its package.")
    E032 = ("{path} does not match the sha256 recorded when it was saved (medlink_files.json): "
            "the file was changed or damaged. Save the pipeline again or reinstall its package.")
    E033 = ("{path} is damaged (its own checksum does not match, or it is not a manifest of "
            "file sizes and sha256): the folder cannot be verified. Save it again.")
    E034 = "{path} cannot be read as {what}: {error}. The file is damaged; save it again."
    E039 = ("Cannot verify {path}: {problem}. Pass a pipeline folder saved by spacy-medlink (e.g. "
            "the output of `assemble`, or an installed package's model folder).")
    E036 = ("Cannot read the mapped KB file {path}: {error}. Expected the .npy arrays that "
            "`python -m spacy_medlink build-kb --mapped` writes; the file is missing, truncated "
            "or of another format. Build the KB again.")
    E038 = ("A mapped KB (build-kb --mapped) is written to its output folder as it is built, "
            "and has no corpus concepts: give an output folder and leave out --corpus-concepts.")
    E037 = ("Two different aliases of the mapped KB share the 64-bit hash {hash} ({first!r}, "
            "{second!r}); the KB cannot tell them apart. Rename one of them in the vocabulary.")
    E040 = ("{path}, line {line}: expected 'OLD_ID<TAB>NEW_ID' (a retired id and its successor), found {found!r}.")
    E041 = "Cannot update the KB: {problem}. Nothing was changed."
    E042 = ("Cannot load the pipeline {model}: {problem}. Pass a pipeline folder (one with "
            "config.cfg, e.g. training/medlink or training/linker/model-best) or the name of an "
            "installed pipeline package.")
    E035 = ("The KB in {path} is inconsistent: {problem}. Rebuild it with `python -m "
            "spacy_medlink build-kb` and save the pipeline again.")
    # --- corpus (100-199) ---
    E100 = "PubTator file not found: {path}."
    E101 = "PubTator file {path} is empty: no documents were found."
    E102 = "{path}, line {line}: expected a title line 'PMID|t|TEXT', found: {found!r}."
    E103 = "{path}, line {line}: expected an abstract line 'PMID|a|TEXT' after the title of {pmid}, found: {found!r}."
    E104 = ("{path}, line {line}: expected 6 tab-separated mention fields "
            "(pmid, start, end, text, type, ids; a 7th, BC5CDR's composite parts, is ignored) or a "
            "relation line (pmid, relation type, id, id[, novelty]: skipped), found {found} fields.")
    E105 = "{path}, line {line}: the line belongs to PMID {found}, but the current document is {pmid}."
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
    # input files (117-129, issue 13)
    E117 = _GZIP_PROBLEM
    E119 = ("{path}, line {line}: document id {pmid} was already used by the document that "
            "starts on line {first_line}, and the two differ (title, abstract or mentions). "
            "Expected one document per id: document ids are keys of the gold data. Give one "
            "of them another id or remove it.")
    E120 = ("Cannot read the DocBin {path}: {error}. Expected a .spacy file written by "
            "DocBin.to_disk (e.g. by `python -m spacy_medlink convert`); it is empty, "
            "truncated or of another format. Write it again.")
    E121 = ("gold_repeat must be a whole number >= 1 (copies of the gold training docs in a "
            "self-training round), found {value}.")
    E122 = ("Unknown silver source(s) {found} in entity_sources (--sources); expected some of "
            "{expected}.")
    E123 = ("{path}: head and limit count texts and must be >= 0 (0: all), found head={head}, "
            "limit={limit}.")
    E124 = ("{path}: the reader's repeat names {found}, but the corpus has the files {stems} "
            "(repeat maps a file's stem to the times its documents are read per pass, a whole "
            "number >= 1, e.g. {{\"ncbi_disease\": 2}}).")
    E125 = ("{path} is a DocBin, whose entities carry no PubTator type: the corpus reader's "
            "types {types} keeps mention types of PubTator .txt files only. Convert with "
            "`python -m spacy_medlink convert --type TYPE` instead, or set types = [].")
    E131 = ("{path}: no mention has one of the types to keep {types} (convert --type, the "
            "corpus reader's types); its mentions' types are {found} (types are "
            "case-sensitive).")
    # spacy pretrain's corpus (spacy_medlink/training/pretrain_corpus.py)
    E132 = ("[training] annotating_components names {names}, which the pipeline {pipeline} "
            "does not have: list only components of [nlp] pipeline.")
    E133 = ("The pretraining corpus has no path: pass the unlabeled texts with `spacy pretrain "
            "CONFIG OUT --paths.raw_text TEXTS.jsonl`.")
    E130 = ("spaCy has no language {lang!r} (--lang): use a code such as \"en\" (English, the "
            "default) that spacy.blank accepts.")
    E136 = "Invalid {option} {value!r}: expected {expected}."
    E137 = ("{path}: convert writes a DocBin, which every reader here recognises by the suffix "
            ".spacy (anything else is read as PubTator text); name the output {suggestion}.")
    # the downloaded archives `spacy project run unpack` prepares (scripts/unpack_*.py)
    E134 = ("{path}: the archive has no file whose path ends in {suffix!r}; it holds {found}. "
            "Download it again from the URL in project.yml's assets (a different release may "
            "lay its files out differently).")
    # --- linker (200-299) ---
    E200 = ("The medical_entity_linker '{name}' has no knowledge base (or an empty one). Fill "
            "it in initialize with [initialize.components.{name}.kb_loader], e.g. "
            "@misc = \"spacy-medlink.KBFromDisk.v1\".")
    E201 = ("The kb_loader of '{name}' must return a MedlinkKB, got {found}.")
    E203 = ("The model of '{name}' takes {found} evidence features but the linker computes "
            "{expected}. Set [components.{name}.model] n_features = {expected}.")
    E204 = ("{source}: field '{field}' must be {expected}, found {found}. Fix the value in the "
            "[components] block of the config (or the component's cfg file).")
    E205 = ("'{name}' was given a Doc made with another Vocab than the pipeline's: its strings "
            "are not the pipeline's, so nothing would be found or linked. Make docs with "
            "nlp.make_doc(text) or nlp(text).")
    E207 = ("Cannot calibrate '{name}': none of the {n_examples} documents has a gold mention of "
            "one KB concept with candidates ({n_found} gold mentions of one KB concept in all). "
            "Pass held-out gold data with linked mentions (e.g. corpus/dev.spacy); nothing was saved.")
    E206 = ("The text has a lone surrogate {char} at character {position} (near {context}), "
            "which is not Unicode text and cannot be stored. It usually comes from decoding bytes "
            "with errors='surrogateescape'; decode with errors='replace' instead.")
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
    E274 = ("{path}/{missing} is missing: the component '{name}' was saved incompletely. Save "
            "the pipeline again with nlp.to_disk.")
    E275 = ("This doc's guideline (doc._.medlink_guideline) is {name!r}; the NER was trained "
            "with the guidelines {expected}. Set one of them (the medlink_guideline "
            "component's `guideline`, or the corpus reader's `guideline`).")
    # Chunked tok2vec (spacy_medlink/ml/chunked_tok2vec.py)
    E276 = ("spacy-medlink.ChunkedTok2Vec.v1: predict_max_tokens must be 0 (no chunks) or "
            "positive, found {value}.")
    E277 = ("spacy-medlink.ChunkedTok2Vec.v1 predicted in chunks (is_train=False) and has no "
            "gradient: call it with is_train=True (begin_update) to train.")
    # LoRA adapters (spacy_medlink/ml/lora.py)
    E280 = ("The saved transformer holds no LoRA adapters, but the config builds "
            "spacy-medlink.LoRATransformerModel.v1 on {name!r}: it was trained with another "
            "architecture. Load it with the config it was trained with.")
    E281 = ("The LoRA transformer on {name!r} does not match the saved weights (first "
            "mismatched names: {missing}): the base model or the adapters' target_modules differ "
            "from those it was trained with.")
    E283 = ("The LoRA adapters were trained on other base weights than those {name!r} gives "
            "now (their fingerprints differ): the model behind that name changed. Load them "
            "with the base model they were trained on (the transformer's `name` in the config).")
    E282 = ("spacy-medlink.LoRATransformerModel.v1 needs the `peft` library: "
            "pip install \"spacy-medlink[lora]\" (or pip install peft).")
    # Student NER (spacy_medlink/pipeline/student_ner.py)
    E284 = ("A training doc carries {n_values} teacher values for {n_tokens} tokens, but the "
            "teacher {teacher!r} scores states from {width} per token: the corpus's teacher "
            "vectors were written by another teacher or for another tokenization. Write them "
            "again with the teacher the component names (scripts/teacher_vectors.py).")
    E285 = ("The teacher {teacher!r} has the moves {teacher_moves}, the student {moves}: a "
            "teacher can only teach a student with the same entity labels. Add the labels of "
            "the teacher to the student (initialize it from the same corpus).")
    # Releasing freed memory (spacy_medlink/memory.py: ReleaseCounter, trimmed, and the
    # medlink_release_memory component)
    E286 = ("{what} releases memory every {every} {unit}: expected a whole number >= 1 "
            "(default 256).")
    # --- evaluation (300-399) ---
    E300 = ("Cannot read evaluation data {path}: expected a .spacy DocBin or a PubTator file with "
            "documents (or a folder of them), found {found}.")
    E301 = "Model {path} has no component named '{name}'. Components: {found}."
    E302 = ("The {name} baseline has not been fitted: call fit(concepts, train_mentions) "
            "before rank/rank_many.")
    # CLI outputs (303-319, issue 13)
    E303 = ("Cannot write {what} to {path}: {blocker} is a file, not a folder. Expected an "
            "output path inside a folder; choose another path or move that file away.")
    E304 = ("Cannot write {what} to {path}: {blocker} is not writable. Choose an output path "
            "you can write to, or make it writable (chmod u+w).")
    E305 = ("Cannot write {what} to {path}: expected a {expected} path, found an existing "
            "{found}. Pass a {expected} path.")
    E306 = ("Cannot write {what} to {path}: {error}. Check that the disk has space and the "
            "folder is writable, or choose another output path.")
    # CLI options (307-319)
    E307 = ("Invalid {option} {value!r}: expected a whole number >= 1 ({meaning}).")
    E309 = ("Cannot write {what} to {path}: the folder holds files ({found}) but no spaCy "
            "pipeline (config.cfg), and writing there replaces the whole folder. Name a new "
            "folder, or a pipeline folder to replace.")
    E310 = ("Cannot write {what} to {path}: that path is also {other}, which writing would "
            "replace. Name another output path.")
    E308 = ("Cannot use the GPU --gpu-id {gpu_id}: {error}. Install CuPy for your CUDA version "
            "(e.g. pip install cupy-cuda12x) on a machine with that GPU, or run on the CPU with "
            "--gpu-id -1.")
    # annotate (320-349, issue 15)
    E320 = ("{path}, line {line}: {problem}. Expected one JSON object per line with a string "
            "\"text\" (and optionally \"meta\"); skip bad records with --on-error skip.")
    E321 = ("{path}: cannot decode the file as UTF-8 ({error}); skip bad records with --on-error "
            "skip.")
    E322 = "No input to annotate: {path} {problem}."
    E323 = ("{output} has an interrupted run's shards in {parts}, made with {found}; this run "
            "has {expected}. Run again with --resume and the same input, model, format and "
            "shard size, or remove {parts} to start over.")
    E324 = ("{parts} holds an interrupted run: add --resume to continue it, or remove the folder "
            "to start over.")
    E325 = ("Unknown {what} {value!r}: expected one of {expected}.")
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
    E402 = ("{path} ({option}) is not the metrics JSON of `python -m spacy_medlink evaluate`: "
            "expected an object with at least one of the sections {sections}, found {found}.")
    E403 = ("Invalid {option} {value!r}: expected {expected}, as `spacy package` and pip "
            "require.")


def warn_once(message: str, category=UserWarning) -> None:
    """Emit a coded warning. Python's default filter shows each distinct message once."""
    warnings.warn(message, category, stacklevel=3)
