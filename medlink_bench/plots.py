"""PNG plots of the benchmark (matplotlib with the Agg backend: no display needed).

matplotlib is an optional dependency (`pip install spacy-medlink[benchmark]`); it is imported
inside the functions so the rest of the package works without it.
"""
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

DPI = 120
# One marker shape per system, in order.
_MARKERS = "os^Dv<>p"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # write files only; never open a window
    import matplotlib.pyplot as plt

    return plt


def plot_threshold_curve(
    points: Sequence[Mapping[str, Any]],
    path: Union[str, Path],
    *,
    configured_threshold: Optional[float] = None,
    pr_points: Optional[Sequence[Mapping[str, Any]]] = None,
    title: str = "Linking on gold mentions as the NIL threshold moves",
) -> Path:
    """Plot precision and recall of linking against the NIL threshold (left) and precision
    against recall (right).

    points (Sequence[Mapping[str, Any]]): `threshold_curve` output: dicts with "threshold",
        "precision", "recall" (percent) and "n_linked". Points where nothing is linked
        (precision undefined) are left out of the precision line.
    path (Union[str, Path]): The PNG file to write.
    configured_threshold (Optional[float]): The pipeline's threshold, marked when given.
    pr_points (Optional[Sequence[Mapping[str, Any]]]): Points for the precision-recall
        panel, e.g. at every distinct score (calibrated probabilities crowd near 1.0, where
        a fixed grid is coarse); `points` when None.
    title (str): The figure title.
    RETURNS (Path): The path written.
    """
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    defined = [p for p in points if p["n_linked"] > 0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot([p["threshold"] for p in defined], [p["precision"] for p in defined], label="precision")
    left.plot([p["threshold"] for p in points], [p["recall"] for p in points], label="recall")
    if configured_threshold is not None:
        left.axvline(configured_threshold, color="grey", linestyle="--", label="configured threshold")
    left.set_xlabel("NIL threshold (probability of the top candidate)")
    left.set_ylabel("%")
    left.set_xlim(0, 1)
    left.set_ylim(0, 100.5)
    left.grid(alpha=0.3)
    left.legend(loc="best")
    pr_defined = [p for p in (pr_points or points) if p["n_linked"] > 0]
    right.plot([p["recall"] for p in pr_defined], [p["precision"] for p in pr_defined], marker=".", markersize=2)
    right.set_xlabel("recall (correct / all gold mentions) %")
    right.set_ylabel("precision (correct / linked) %")
    right.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_accuracy_vs_speed(
    systems: Mapping[str, Dict[str, Optional[float]]],
    path: Union[str, Path],
    *,
    title: str = "norm@gold acc@1 vs linking speed (CPU)",
) -> Path:
    """Scatter accuracy against speed, one labelled point per system (log-scale speed).

    systems (Mapping[str, Dict[str, Optional[float]]]): system name -> {"acc@1": percent,
        "mentions_per_second": float}; systems missing either value are left out.
    path (Union[str, Path]): The PNG file to write.
    title (str): The figure title.
    RETURNS (Path): The path written.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for index, (name, values) in enumerate(systems.items()):
        accuracy, speed = values.get("acc@1"), values.get("mentions_per_second")
        if accuracy is None or not speed:
            continue
        # A legend, not labels next to the points: systems of similar speed and accuracy
        # would overlap.
        ax.scatter([speed], [accuracy], s=50, marker=_MARKERS[index % len(_MARKERS)], label=name)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_xlabel("mentions per second (log scale)")
    ax.set_ylabel("acc@1 on gold mentions %")
    ax.set_ylim(0, 100.5)
    ax.set_title(title)
    return _save_log_x(plt, fig, ax, path)


def _save_log_x(plt, fig, ax, path: Union[str, Path]) -> Path:
    """Log-scale x axis and grid, then write the PNG (folders made) and free the figure."""
    ax.set_xscale("log")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_recognition_vs_speed(
    pipelines: Mapping[str, Dict[str, float]],
    path: Union[str, Path],
    *,
    corpora: Sequence[str] = ("NCBI dev", "BioRED dev"),
    title: str = "Distilled student, teacher and CNN: NER F1 vs speed (one CPU thread)",
) -> Path:
    """Each pipeline's NER F1 on two dev sets against its end-to-end words/s (log scale):
    a filled marker for the first corpus, a hollow one for the second, joined by a line.

    pipelines (Mapping[str, Dict[str, float]]): name -> {"words_per_second": float, CORPUS: F1}.
    path (Union[str, Path]): The PNG file to write.
    corpora (Sequence[str]): The two corpus keys of each pipeline's values.
    title (str): The figure title.
    RETURNS (Path): The path written.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for index, (name, values) in enumerate(pipelines.items()):
        speed = values["words_per_second"]
        first, second = (values[corpus] for corpus in corpora)
        marker = _MARKERS[index % len(_MARKERS)]
        line = ax.plot([speed, speed], [first, second], color=f"C{index}", alpha=0.5)[0]
        ax.scatter([speed], [first], s=60, marker=marker, color=line.get_color(), label=name)
        ax.scatter([speed], [second], s=60, marker=marker, facecolors="none", edgecolors=line.get_color())
    ax.legend(loc="lower left", fontsize=8)
    ax.set_xlabel("end-to-end words per second, unseen text (log scale)")
    ax.set_ylabel(f"NER F1 %: {corpora[0]} (filled), {corpora[1]} (hollow)")
    ax.set_title(title, fontsize=10)
    return _save_log_x(plt, fig, ax, path)
