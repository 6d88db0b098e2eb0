"""What the deep-baseline presets share: their games, methods, finals, table columns and
learning-curve figures."""

from __future__ import annotations

from typing import NamedTuple

from prosocial.experiments import finals as fin
from prosocial.experiments.spec import Column, Figure


class Game(NamedTuple):
    title: str
    env: str
    options: tuple[str, ...] | None
    counter: str
    counter_title: str


GAMES = {
    "coin_game": Game(
        "Coin Game (2 players, 3×3)", "coin_game", None, "coin/own_fraction", "own-coin fraction"
    ),
    "cleanup_small": Game(
        "Cleanup, LIO's 7×7 map (2 players)",
        "cleanup_small",
        None,
        "cleanup/waste_cleaned",
        "waste cleaned",
    ),
    "harvest": Game(
        "Harvest (4 players, 9×9 view, 100 steps)",
        "harvest",
        ("num_agents=4", "view=4/4/4", "max_steps=100"),
        "harvest/apples",
        "apples eaten",
    ),
    "stag_hunt": Game(
        "Sequential stag hunt (4 players)", "stag_hunt", None, "stag_hunt/stags", "stags caught"
    ),
    "snowdrift": Game(
        "Sequential snowdrift (4 players)", "snowdrift", None, "snowdrift/drifts", "drifts removed"
    ),
}

METHODS = {
    "a2c": ("A2C", {"algo": "a2c"}),
    "ppo": ("PPO", {"algo": "ppo"}),
    "go": ("PPO, group optimum", {"algo": "ppo", "reward": "collective"}),
    "ia": ("PPO, inequity aversion", {"algo": "ppo", "reward": "inequity_aversion"}),
    "svo": ("PPO, SVO 45°", {"algo": "ppo", "reward": "svo"}),
}

COLORS = {
    "a2c": "tab:gray",
    "ppo": "tab:blue",
    "go": "tab:green",
    "ia": "tab:orange",
    "svo": "tab:purple",
    "individual": "tab:blue",
    "collective": "tab:green",
}

FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "sustainability": fin.last("social/sustainability"),
    "peace": fin.last("social/peace"),
    **{g.counter: fin.last(g.counter) for g in GAMES.values()},
}


def columns(game: Game) -> tuple[Column, ...]:
    peace = (Column("peace", "peace", 2),) if game.env in ("cleanup", "harvest") else ()
    return (
        Column("collective_return", "collective return", 2),
        Column("equality", "equality", 3),
        Column(game.counter, game.counter_title, 3 if "fraction" in game.counter else 2),
        *peace,
    )


def curve_figures(title: str, panels_of: list[tuple[str, list[tuple[str, str]]]], counters: dict):
    """Learning curves: collective return and each game's counter, per game."""
    figs = []
    for name, column, ylabel in (
        ("collective_return", "social/collective_return", "collective return"),
        ("counters", None, None),
    ):
        panels = []
        for game_title, series in panels_of:
            col = column or counters[game_title][0]
            panels.append(
                {
                    "title": game_title,
                    "ylabel": ylabel or counters[game_title][1],
                    "series": [
                        {"cell": cell, "column": col, "label": label, "color": color}
                        for cell, label, color in series
                    ],
                }
            )
        what = "collective return" if column else "the game's counters"
        figs.append(
            Figure(
                name,
                "curves",
                f"{title}: {what} at evaluation (mean ± std over seeds)",
                {"x": "step", "columns": 3, "legend": "figure", "panels": panels},
            )
        )
    return figs


def scale_note(cfg) -> str:
    """The scale of a run of the presets of agents that shape the others' learning."""
    return (
        f"{cfg.updates} iterations of {cfg.num_envs} episodes per run, {cfg.seeds} seeds; "
        "evaluation episodes after the last iteration, agents sampling from their policies "
        "without exploration; returns on the game's own rewards (incentives excluded)."
    )
