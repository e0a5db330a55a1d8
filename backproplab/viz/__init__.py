"""Pictures of backpropagation, drawn with matplotlib alone."""

from .capture import capture_gradients
from .graph import GraphTooLarge, as_values, draw_graph, graph_layout, scalar_matmul
from .plots import (plot_decision_boundary, plot_gradient_flow, plot_history, plot_loss_surface,
                    predict_classes)
from .render import figure_png

__all__ = ["draw_graph", "graph_layout", "GraphTooLarge", "capture_gradients", "as_values", "scalar_matmul",
           "plot_history", "plot_decision_boundary", "plot_gradient_flow", "plot_loss_surface",
           "predict_classes", "figure_png"]
