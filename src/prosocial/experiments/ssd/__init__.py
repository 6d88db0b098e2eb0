"""Deep multi-agent learners on the sequential social dilemmas: the training program
(``PROGRAMS["ssd"]``), its config and the baseline presets."""
