import typer

app = typer.Typer(
    name="spacy-medlink",
    help="Medical entity linking for spaCy: build knowledge bases, convert corpora, evaluate.",
    no_args_is_help=True,
    add_completion=False,
)
Arg = typer.Argument
Opt = typer.Option
