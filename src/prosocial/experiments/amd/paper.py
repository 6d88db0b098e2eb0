"""The numbers of thesis chapter 4 that the AMD presets print beside ours.

Sources: thesis Tables 4.2 and 4.3 (Baumann, Graepel & Shawe-Taylor, *Adaptive Mechanism
Design: Learning to Promote Cooperation*, IJCNN 2020, arXiv 1806.04067), and the result
summary of the authors' multi-player code for ten players (github
tobiasbaumann1/Mechanism_Design_Multi-Player, ``Results/Summary.txt``).
"""

from __future__ import annotations

from types import MappingProxyType

TITLES = MappingProxyType(
    {"prisoners_dilemma": "Prisoner's Dilemma", "chicken": "Chicken", "stag_hunt": "Stag Hunt"}
)
PCC_NOTE = (
    "P(C,C) = P(C)_1 · P(C)_2 at the end of training, the quantity the paper's tables print: "
    "the welfare V stored beside each probability in the authors' result files fits P(C,C), "
    "not the mean P(C) (e.g. PD without planner: V = 2.024 = 2 + 6·P(C,C) with "
    "P(C,C) = 0.004 %, whereas mean P(C) = 0.004 % would give V = 2.000). We print the mean "
    "P(C) too."
)
TABLE_SETTING = MappingProxyType({"payoff_source": "table_4_1", "n_players": 2})
"""The setting of Tables 4.2 and 4.3: Table 4.1's games, two players."""


def _paper(finals: tuple[str, ...], rows: dict) -> MappingProxyType:
    """``row key -> final -> (mean, spread)`` from rows of ``(mean, spread)`` pairs."""
    return MappingProxyType({k: dict(zip(finals, v, strict=True)) for k, v in rows.items()})


# Table 4.2: P(C,C) (as printed) and V, mean (std) over ten runs.
PAPER_4_2 = _paper(("p_all_coop", "welfare"), {
    ("prisoners_dilemma", "none"): ((0.00004, 0.00001), (2.024, 0.003)),
    ("chicken", "none"): ((0.037, 0.013), (5.44, 0.01)),
    ("stag_hunt", "none"): ((0.00004, 0.00002), (2.00, 0.00)),
    ("prisoners_dilemma", "planner"): ((0.987, 0.001), (5.975, 0.002)),
    ("chicken", "planner"): ((0.990, 0.001), (5.995, 0.001)),
    ("stag_hunt", "planner"): ((0.991, 0.001), (5.964, 0.005)),
    ("prisoners_dilemma", "turned_off"): ((0.0048, 0.004), (2.60, 0.69)),
    ("chicken", "turned_off"): ((0.538, 0.294), (5.728, 0.174)),
    ("stag_hunt", "turned_off"): ((0.996, 0.000), (5.986, 0.002)),
})  # fmt: skip
# Table 4.3: P(C,C) (as printed) and AAR, mean (std).
PAPER_4_3 = _paper(("p_all_coop", "aar"), {
    ("prisoners_dilemma", "exact"): ((0.987, 0.001), (0.77, 0.21)),
    ("chicken", "exact"): ((0.990, 0.001), (0.41, 0.02)),
    ("stag_hunt", "exact"): ((0.991, 0.001), (0.45, 0.02)),
    ("prisoners_dilemma", "revenue_neutral"): ((0.914, 0.010), (0.61, 0.04)),
    ("chicken", "revenue_neutral"): ((0.989, 0.001), (0.31, 0.02)),
    ("stag_hunt", "revenue_neutral"): ((0.692, 0.453), (0.19, 0.11)),
    ("prisoners_dilemma", "estimated"): ((0.613, 0.200), (3.31, 0.63)),
    ("chicken", "estimated"): ((0.522, 0.186), (2.65, 0.31)),
    ("stag_hunt", "estimated"): ((0.960, 0.012), (4.89, 0.39)),
})  # fmt: skip
# The authors' 10-player result summary (one run of 2000 episodes): final mean P(C).
PAPER_MULTI = _paper(("p_coop",), {
    ("prisoners_dilemma", "planner"): ((0.985, 0.0),),
    ("prisoners_dilemma", "none"): ((0.012, 0.0),),
    ("chicken", "planner"): ((0.987, 0.0),),
    ("chicken", "none"): ((0.662, 0.0),),
    ("stag_hunt", "planner"): ((0.989, 0.0),),
    ("stag_hunt", "none"): ((0.011, 0.0),),
})  # fmt: skip

PAPER_4_1 = MappingProxyType(
    {
        ("prisoners_dilemma",): {
            "p_all_coop": PAPER_4_2[("prisoners_dilemma", "planner")]["p_all_coop"],
            "aar": PAPER_4_3[("prisoners_dilemma", "exact")]["aar"],
        },
    }
)


MULTI_SETTING = MappingProxyType({"payoff_source": "table_4_1", "n_players": 10})
