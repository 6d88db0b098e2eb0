"""Figure layout: a legend under the panels stays inside the figure, however long its labels."""

import pytest

from prosocial.plots.common import figure
from prosocial.plots.kinds import figure_legend

LONG = [
    "with the planner",
    "with the planner, sampled estimate",
    "without the planner",
    "planner off half-way",
    "fixed mechanism: ±c per pickup",
]


@pytest.mark.parametrize(("labels", "rows"), [(LONG, 3), (["A2C", "GO", "LIO", "LASE"], 1)])
def test_the_figure_legend_fits_the_width(labels, rows):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with figure(figsize=(7.2, 3.3)) as fig:
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        handles = [ax.plot([0, 1], [0, i], label=label)[0] for i, label in enumerate(labels)]
        assert figure_legend(fig, handles, labels) == rows
        fig.canvas.draw()
        box = fig.legends[0].get_window_extent()
        width = fig.get_figwidth() * fig.dpi
        assert box.x0 >= 0 and box.x1 <= width
