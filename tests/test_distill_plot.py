"""medlink_bench.distill_plot: F1 on both dev sets against a speed run's words/s."""
import json

import pytest

from medlink_bench.distill_plot import main, points


def _write(tmp_path):
    speed = {"results": [{"model": "training/a", "end_to_end": {"words_per_second": 40123.4}},
                         {"model": "training/b", "end_to_end": {"words_per_second": 900.2}}]}
    (tmp_path / "speed.json").write_text(json.dumps(speed))
    for name, f in (("a_dev", 84.456), ("a_second", 82.7), ("b_dev", 87.5), ("b_second", 82.8)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"ner": {"f": f}}))
    return speed


def test_points_join_speed_and_both_dev_sets(tmp_path):
    speed = _write(tmp_path)
    found = points(speed, [["student", "training/a", str(tmp_path / "a_dev.json"), str(tmp_path / "a_second.json")]])
    assert found == {"student": {"words_per_second": 40123, "NCBI dev": 84.46, "BioRED dev": 82.7}}
    with pytest.raises(SystemExit, match="training/c is not in the speed report"):
        points(speed, [["x", "training/c", "a", "b"]])


def test_main_writes_the_plot_and_its_points(tmp_path):
    pytest.importorskip("matplotlib")
    _write(tmp_path)
    output = tmp_path / "plot.png"
    main([str(tmp_path / "speed.json"), "--output", str(output),
          "--pipeline", "student", "training/a", str(tmp_path / "a_dev.json"), str(tmp_path / "a_second.json"),
          "--pipeline", "teacher", "training/b", str(tmp_path / "b_dev.json"), str(tmp_path / "b_second.json")])
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(json.loads(output.with_suffix(".json").read_text())["points"]) == ["student", "teacher"]
