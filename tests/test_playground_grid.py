"""mtl_helpers.playground_grid and the instant explorer: the grid's file round trip, paired gains per cell,
an explorer that redraws a pick without training, and a tiny real grid."""
from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from mtl_helpers import evidence, playground_grid, playground_ui
from mtl_helpers.playground import PlaygroundSettings

matplotlib.use("Agg")


def fake_grid() -> pd.DataFrame:
    """hard helps by 0.2 at r = 1 and hurts by 0.1 at r = 0, with seed noise; soft changes nothing."""
    rows = []
    for sharing in ("none", "hard", "soft"):
        for r in (0.0, 1.0):
            for fraction in (0.02, 0.25):
                for seed in range(4):
                    gain = {"none": 0.0, "soft": 0.0, "hard": 0.2 if r == 1.0 else -0.1}[sharing]
                    noise = 0.01 * ((seed * 7) % 3) + (0.001 * seed if sharing == "soft" else 0.0)
                    rows += [{"sharing": sharing, "relatedness": r, "fraction": fraction, "seed": seed,
                              "task": "toy_sentiment", "metric": "accuracy", "value": 0.6 + gain + noise},
                             {"sharing": sharing, "relatedness": r, "fraction": fraction, "seed": seed,
                              "task": "toy_topic", "metric": "accuracy", "value": 0.95}]
    return pd.DataFrame(rows, columns=playground_grid.COLUMNS)


def test_the_file_names_its_command_and_round_trips(tmp_path):
    path = playground_grid.save_grid(fake_grid(), tmp_path / "grid.csv")
    assert path.read_text().splitlines()[0] == f"# regenerate with: {playground_grid.COMMAND}"
    pd.testing.assert_frame_equal(playground_grid.load_grid(path), fake_grid(), check_dtype=False)


def test_a_missing_or_foreign_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ValueError, match="python -m benchmarks --only playground_grid"):
        playground_grid.load_grid(tmp_path / "none.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a playground grid"):
        playground_grid.load_grid(tmp_path / "other.csv")


def test_gains_pair_by_seed_in_every_cell():
    gains = playground_grid.grid_gains(fake_grid(), "toy_sentiment", "hard")
    assert set(gains) == {(0.0, 0.02), (0.0, 0.25), (1.0, 0.02), (1.0, 0.25)}
    assert gains[1.0, 0.02].verdict == evidence.HELPS and gains[0.0, 0.25].verdict == evidence.HURTS
    assert gains[1.0, 0.02].diff == pytest.approx(0.2)
    with pytest.raises(ValueError, match="cross_stitch"):
        playground_grid.grid_gains(fake_grid(), "toy_sentiment", "cross_stitch")


def test_the_explorer_redraws_a_pick_and_prints_its_cell():
    explorer = playground_ui.build_grid_explorer(fake_grid())
    assert "r = 1, toy_sentiment data 0.02" in explorer.text.value and "helps" in explorer.text.value
    image = bytes(explorer.plot.value)
    explorer.relatedness.value = 0.0
    assert "hurts" in explorer.text.value and bytes(explorer.plot.value) != image
    explorer.sharing.value = "soft"
    assert "cannot tell" in explorer.text.value
    assert explorer.last_redraw_seconds() >= 0.0


def test_the_committed_grid_loads_and_covers_the_defaults():
    grid = playground_grid.load_grid()
    defaults = PlaygroundSettings()
    assert set(grid.sharing) == {"none", "hard", "soft", "cross_stitch"} and grid.seed.nunique() >= 3
    assert {defaults.fraction, 0.25} <= set(grid.fraction) and {0.0, 1.0} <= set(grid.relatedness)


@pytest.mark.slow
def test_a_tiny_grid_trains_every_cell():
    base = PlaygroundSettings(units=4, toy_size=200, epochs=1, steps_per_epoch=4)
    grid = playground_grid.compute_grid((0.0, 1.0), (0.5,), ("none", "hard"), (0, 1), base)
    assert len(grid) == 2 * 1 * 2 * 2 * 2 and grid.value.between(0, 1).all()
    assert set(playground_grid.grid_gains(grid, "toy_sentiment")) == {(0.0, 0.5), (1.0, 0.5)}
    with pytest.raises(ValueError, match="baseline"):
        playground_grid.compute_grid((1.0,), (0.5,), ("hard",), (0,), base)
