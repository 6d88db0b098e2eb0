"""The presets of thesis chapter 4 (adaptive mechanism design), as data.

``prosocial reproduce amd`` runs all six; the runner merges their cells and runs them as
one vmapped batch per player count, so the chapter compiles two programs. Paper numbers:
thesis Tables 4.2 and 4.3 (Baumann, Graepel & Shawe-Taylor, IJCNN 2020, arXiv 1806.04067)
and, for ten players, the result summary of the authors' multi-player code.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from prosocial.experiments import finals as f
from prosocial.experiments.amd.cell import LEARNER_ORDER
from prosocial.experiments.amd.configs import ChapterConfig, MultiPlayerConfig, game_title
from prosocial.experiments.amd.figures import figures_4_1, figures_multi, p_coop_figure
from prosocial.experiments.amd.paper import (
    MULTI_SETTING,
    PAPER_4_1,
    PAPER_4_2,
    PAPER_4_3,
    PAPER_MULTI,
    PCC_NOTE,
    TABLE_SETTING,
)
from prosocial.experiments.spec import Cell, Column, Paper, Preset, Table, register

FINALS = MappingProxyType(
    {
        "p_coop": f.last("policy/p_coop", "mean"),
        "p_all_coop": f.last("policy/p_coop", "prod"),
        "welfare": f.last("social/welfare"),
        "aar": f.over_rows("planner/extra_abs"),
        "reach_0.9": f.first_reach("policy/p_coop", 0.9, "mean"),
        "p_coop_at_turn_off": f.at(
            "policy/p_coop", lambda c: c.turn_off_after or c.episodes, "mean"
        ),
    }
)


def _cells(cfg: ChapterConfig, modes) -> list[Cell]:
    """One cell per game and mode; ``modes``: ``name -> (changes, extra meta)``."""
    out = []
    for game in cfg.games:
        for mode, (changes, meta) in modes.items():
            c = cfg.cell(game, **changes)
            row = {
                "game": game_title(c),
                "game_key": game,
                "mode": mode.replace("_", " "),
                "mode_key": mode,
                **meta,
            }
            out.append(Cell(f"{game}/{mode}", c, row))
    return out


# ---------------------------------------------------------------- Table 4.2

MODES_4_2 = MappingProxyType(
    {
        "none": ({"planner": "none"}, {}),
        "planner": ({}, {}),
        "turned_off": ({"turn_off_after": "half"}, {}),
    }
)


def _tables_4_2(cfg: ChapterConfig):
    intro = (
        f"{cfg.seeds} seeds, {cfg.episodes} episodes ({2 * cfg.episodes} when turned off),"
        f" learner `{cfg.learner}`, planner eq. 4.3 with exact values. Mean ± std over "
        f"seeds.\n{PCC_NOTE}"
    )
    return [
        Table(
            "Table 4.2: cooperation without, with, and after turning off the planner",
            rows=("game", "mode"),
            columns=(
                Column("p_all_coop", "P(C,C)", 4, paper=True),
                Column("welfare", "V", paper=True),
                Column("p_coop", "mean P(C)"),
            ),
            intro=intro,
            paper=Paper(
                "thesis Table 4.2, ten runs",
                PAPER_4_2,
                setting=TABLE_SETTING,
                keys=("game_key", "mode_key"),
            ),
        )
    ]


# ---------------------------------------------------------------- Table 4.3

VARIANTS_4_3 = MappingProxyType(
    {
        "exact": ({}, "eq. 4.3, exact expectations (prosocial)", "exact"),
        "linearised": (
            {"planner": "linearised"},
            "exact V, ∇V^p linearised at the sampled action (authors' code)",
            "exact",
        ),
        "revenue_neutral": (
            {"revenue_neutral": True},
            "eq. 4.3, transfers sum to zero",
            "revenue_neutral",
        ),
        "revenue_neutral_linearised": (
            {"revenue_neutral": True, "planner": "linearised"},
            "as coded, transfers sum to zero",
            "revenue_neutral",
        ),
        "estimated": (
            {"planner": "estimated"},
            "eq. 4.5, one play, baseline T+S−0.1 (multi-player code)",
            "estimated",
        ),
        "estimated_b1.9": (
            {"planner": "estimated", "baseline_value": 1.9},
            "eq. 4.5, one play, baseline 1.9 (two-player code)",
            "estimated",
        ),
        "estimated_learned_baseline": (
            {"planner": "estimated", "baseline": "learned"},
            "improvement: learned baseline",
            None,
        ),
        "estimated_16_samples": (
            {"planner": "estimated", "baseline": "learned", "samples": 16},
            "improvement: 16 plays per step, learned baseline",
            None,
        ),
    }
)
MODES_4_3 = MappingProxyType(
    {
        v: (changes, {"what": what, "paper_row": row})
        for v, (changes, what, row) in VARIANTS_4_3.items()
    }
)


def _tables_4_3(cfg: ChapterConfig):
    intro = (
        f"{cfg.seeds} seeds, {cfg.episodes} episodes. AAR = average over episodes of "
        "Σ_i |r_p,i|. Rows marked *improvement* are prosocial's, not the paper's. " + PCC_NOTE
    )
    return [
        Table(
            "Table 4.3: variants of the planner's learning rule",
            rows=("game", "mode", "what"),
            columns=(
                Column("p_all_coop", "P(C,C)", paper=True),
                Column("aar", "AAR", 2, paper=True),
                Column("p_coop", "mean P(C)"),
            ),
            intro=intro,
            paper=Paper(
                "thesis Table 4.3", PAPER_4_3, setting=TABLE_SETTING, keys=("game_key", "paper_row")
            ),
        )
    ]


# ---------------------------------------------------------------- Figure 4.1


def _tables_4_1(cfg: ChapterConfig):
    return [
        Table(
            "Figure 4.1: mechanism design over a Prisoner's Dilemma",
            rows=("game",),
            columns=(
                Column("p_all_coop", "final P(C,C)", paper=True),
                Column("aar", "AAR", 2, paper=True),
                Column("p_coop", "final mean P(C)"),
            ),
            intro=(
                f"{cfg.seeds} seeds, {cfg.episodes} episodes, initial P(C) = {cfg.p_init}. "
                "Panels: (a) P(C) per player, (b) the planner's extra reward for player 1 on "
                "each outcome, (c) greed and fear of the modified game, (d) cumulative extra "
                "rewards."
            ),
            paper=Paper(
                "thesis Tables 4.2 and 4.3", PAPER_4_1, setting=TABLE_SETTING, keys=("game_key",)
            ),
        )
    ]


# ---------------------------------------------------------------- Figure 4.2


def _tables_multi(cfg: MultiPlayerConfig):
    return [
        Table(
            f"Figure 4.2: {cfg.n_players}-player dilemmas",
            rows=("game", "mode"),
            columns=(
                Column("p_coop", "final mean P(C)", paper=True),
                Column("welfare", "V", 2),
                Column("aar", "AAR (sum over players)", 2),
            ),
            intro=(
                f"{cfg.seeds} seeds, {cfg.episodes} episodes, initial P(C) = {cfg.p_init}, "
                "symmetric planner (one output shared by all players, seeing each player's own "
                f"action) with exact values and cost α = {cfg.cost:g}. The authors' symmetric "
                "planner differs: it is trained on one sampled player per step with a "
                "linearised gradient and the welfare gradient of a single other player as a "
                "proxy, and has no cost term. V is the exact expected welfare (the authors "
                "evaluate a mean-field formula)."
            ),
            paper=Paper(
                "the authors' single 2000-episode run (their result summary)",
                PAPER_MULTI,
                spread="single",
                setting=MULTI_SETTING,
                keys=("game_key", "mode_key"),
            ),
        )
    ]


# ---------------------------------------------------------------- opponent modelling

MODES_OM = MappingProxyType(
    {
        "exact": ({}, {}),
        "opponent_model": ({"opponent_model": True}, {}),
    }
)


def _tables_om(cfg: ChapterConfig):
    return [
        Table(
            "Opponent modelling (eq. 4.6): what it costs against the exact planner",
            rows=("game", "mode"),
            columns=(
                Column("p_coop", "final mean P(C)"),
                Column("aar", "AAR", 2),
                Column("reach_0.9", "median episode P(C) ≥ 0.9 (seeds reaching)", 0, stat="reach"),
            ),
            intro=(
                "The planner estimates each learner's logit by discounted maximum likelihood "
                "from its observed actions (decay 0.99) instead of reading it. The thesis "
                "proposes this but never ran it, so there is no paper column. "
                f"{cfg.seeds} seeds, {cfg.episodes} episodes."
            ),
        )
    ]


# ---------------------------------------------------------------- the two learners

MODES_LEARNERS = MappingProxyType(
    {
        learner: ({"learner": learner, "turn_off_after": "half"}, {"label": learner})
        for learner in LEARNER_ORDER
    }
)


def _tables_learners(cfg: ChapterConfig):
    return [
        Table(
            "Turning the planner off: actor-critic (Adam) against plain exact gradient ascent",
            rows=("game", "mode"),
            columns=(
                Column("p_coop_at_turn_off", "P(C) when turned off"),
                Column("p_coop", "P(C) at the end"),
            ),
            intro=(
                f"Planner on for {cfg.episodes} episodes, then off for {cfg.episodes}. "
                "`pg_critic` is the authors' learner (sampled play, Adam); `exact_gradient` "
                "ascends its exact value with plain steps. Adam's normalised steps unlearn "
                "cooperation in the Prisoner's Dilemma within a few thousand episodes once the "
                "planner is gone (after holding it for about 1500); plain steps scale with "
                "σ'(θ) and stall near P(C) = 1."
            ),
        )
    ]


# ---------------------------------------------------------------- registration


def _preset(name, description, config, modes, tables, figures) -> Preset:
    return register(
        Preset(
            name=name,
            group="amd",
            description=description,
            config=config,
            program="amd",
            cells=lambda cfg: _cells(cfg, modes),
            finals=FINALS,
            tables=tables,
            figures=figures,
        )
    )


def register_all() -> None:
    """Register the chapter-4 presets."""
    chapter = ChapterConfig()

    def turn_off(name, title):
        return lambda cfg, cells: [p_coop_figure(name, title, cfg, cells, cfg.episodes)]

    def plain(name, title):
        return lambda cfg, cells: [p_coop_figure(name, title, cfg, cells)]

    _preset(
        "amd-table-4.2",
        "Table 4.2: no planner / planner / planner turned off",
        chapter,
        MODES_4_2,
        _tables_4_2,
        turn_off("table_4_2", "Cooperation without, with and after the planner"),
    )
    _preset(
        "amd-table-4.3",
        "Table 4.3: exact, revenue-neutral, estimated (+ improvements)",
        chapter,
        MODES_4_3,
        _tables_4_3,
        plain("table_4_3", "Variants of the planner's learning rule"),
    )
    _preset(
        "amd-figure-4.1",
        "Figure 4.1: the four Prisoner's Dilemma panels",
        dataclasses.replace(chapter, games=("prisoners_dilemma",)),
        {"planner": ({}, {})},
        _tables_4_1,
        figures_4_1,
    )
    _preset(
        "amd-figure-4.2",
        "Figure 4.2: 10-player Prisoner's Dilemma with and without planner",
        MultiPlayerConfig(),
        {"planner": ({}, {}), "none": ({"planner": "none"}, {})},
        _tables_multi,
        figures_multi,
    )
    _preset(
        "amd-opponent-modelling",
        "Eq. 4.6: planner with opponent modelling vs exact",
        chapter,
        MODES_OM,
        _tables_om,
        plain("opponent_modelling", "Planner reading θ vs estimating it"),
    )
    _preset(
        "amd-learners",
        "Turn-off with the actor-critic vs the exact-gradient learner",
        chapter,
        MODES_LEARNERS,
        _tables_learners,
        turn_off("learners", "Turning the planner off: Adam actor-critic vs plain gradient"),
    )
