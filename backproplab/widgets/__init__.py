"""Interactive widgets (ipywidgets) that make gradients visible.

Each is a class with a small pure-Python core (tests drive it without a browser) and a
``ui`` shown when the object is the last expression of a notebook cell.
"""

from .backward_stepper import BackwardStepper
from .dashboard import TrainingDashboard
from .gradient_flow import GradientFlowExplorer, layer_gradient_norms
from .lr_explorer import LearningRateExplorer
from .optimizer_race import SURFACES, OptimizerRace
from .playground import Playground, PlaygroundCore

__all__ = ["BackwardStepper", "LearningRateExplorer", "OptimizerRace", "GradientFlowExplorer",
           "TrainingDashboard", "Playground", "PlaygroundCore", "layer_gradient_norms", "SURFACES"]
