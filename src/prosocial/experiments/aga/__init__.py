"""The AgA paper's small experiments (seed 001): gradient adjustments in differentiable
games, and LOLA against naive learners in the exact iterated Prisoner's Dilemma."""
