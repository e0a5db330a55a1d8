"""``Playground``: the widget around ``PlaygroundCore`` and ``PlaygroundPicture``.

Training runs live but is driven from the browser: an ``ipywidgets.Play`` counts up in
the front end, and each new value asks the kernel for one tick (a few training epochs
and a redraw).  Between ticks the kernel is idle, so other cells and every control stay
responsive.  The Play's timer does not wait for the kernel, so two safeguards keep beats
from piling up when a tick is slow: the interval is stretched to the measured tick time,
and a beat that arrives right after the previous tick ended (it was queued while the
kernel was busy) is dropped.
"""

from __future__ import annotations

import html
import time

import ipywidgets as W

from ..base import WidgetBase
from .core import PlaygroundCore
from .data import FEATURE_LABELS, FEATURES
from .drawing import PlaygroundPicture

__all__ = ["Playground"]

DATASET_LABELS = [("circle", "circle"), ("XOR", "xor"), ("two Gaussians", "gaussians"),
                  ("spiral", "spiral"), ("moons", "moons"), ("regression: two bumps", "regression")]
ACTIVATION_LABELS = [("ReLU", "relu"), ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("linear", "linear")]
STALE_BEAT_S = 0.005  # a beat this soon after a tick ended was queued while the kernel was busy


def _style(width):
    return dict(layout=W.Layout(width=width), style={"description_width": "initial"})


class Playground(WidgetBase):
    """TensorFlow Playground's controls in Jupyter, with a "show gradients" switch.

    ``Playground(dataset="spiral", hidden=(8, 8), activation="relu", ...)`` takes the
    settings of ``PlaygroundCore`` (see ``DEFAULTS``).  The picture shows every neuron's
    output over the input plane, the edges (colour = sign of the weight, thickness = its
    size), the output's decision surface with the training and test points, and the loss
    curves.  With "show gradients" each edge and neuron is coloured by the size of its
    gradient in the last step (log scale).  Programmatic use: ``play()``, ``pause()``,
    ``step()``, ``reset()``, ``tick()``, ``set(**settings)``; ``core`` is the engine.
    """

    def __init__(self, interval_ms: int = 120, **settings):
        super().__init__()
        self.core = PlaygroundCore(**settings)
        self.picture = PlaygroundPicture()
        self.interval_ms = int(interval_ms)
        self._quiet = False             # True while the code (not the user) sets controls
        self._last_tick_end = 0.0
        self.last_tick_s = 0.0          # how long the last tick took (training + drawing)
        self._drawn_hidden = None       # the hidden sizes the neuron buttons were made for
        self.message_text = ""          # the last problem reported in the message line
        self._build_ui()
        self.refresh()

    # ------------------------------------------------------------------ controls

    def _build_ui(self):
        s = self.core.settings
        self.player = W.Play(value=0, min=0, max=10**9, step=1, interval=self.interval_ms,
                             show_repeat=False, description="play", tooltip="play / pause")
        self.player.observe(self._on_beat, names="value")
        self.player.observe(self._on_playing, names="playing")
        self.step_button = W.Button(description="step", icon="step-forward", tooltip="train one epoch",
                                    layout=W.Layout(width="80px"))
        self.reset_button = W.Button(description="reset", icon="undo", tooltip="fresh weights, epoch 0",
                                     layout=W.Layout(width="80px"))
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self.epoch_label = W.HTML()
        self.epoch_label.add_class("bp-playground-epoch")
        self.layers_label = W.HTML(layout=W.Layout(width="220px"))
        self.layers_label.add_class("bp-playground-layers")
        self.stats = W.HTML()
        self.stats.add_class("bp-playground-stats")

        self.controls = {
            "dataset": W.Dropdown(options=DATASET_LABELS, value=s["dataset"], description="data",
                                  **_style("210px")),
            "noise": W.FloatSlider(value=s["noise"], min=0, max=0.5, step=0.05, description="noise",
                                   continuous_update=False, **_style("220px")),
            "train_ratio": W.IntSlider(value=round(100 * s["train_ratio"]), min=10, max=90, step=10,
                                       description="training %", continuous_update=False, **_style("230px")),
            "batch_size": W.IntSlider(value=s["batch_size"], min=1, max=60, description="batch size",
                                      continuous_update=False, **_style("240px")),
            "activation": W.Dropdown(options=ACTIVATION_LABELS, value=s["activation"],
                                     description="activation", **_style("170px")),
            "lr": W.FloatText(value=s["lr"], description="learning rate", step=0.01, **_style("170px")),
            "regularization": W.Dropdown(options=["none", "L1", "L2"], value=s["regularization"],
                                         description="regularisation", **_style("190px")),
            "reg_rate": W.FloatText(value=s["reg_rate"], description="rate", step=0.001, **_style("120px")),
        }
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_control(name, change["new"]), names="value")
        self.feature_toggles = {
            name: W.ToggleButton(value=name in s["features"], description=FEATURE_LABELS[name],
                                 tooltip=f"feed {FEATURE_LABELS[name]} to the network",
                                 layout=W.Layout(width="64px"))
            for name in FEATURES
        }
        for name, toggle in self.feature_toggles.items():
            toggle.observe(lambda change, name=name: self._on_feature(name, change["new"]), names="value")
        self.gradient_switch = W.ToggleButton(value=False, description="show gradients", icon="eye",
                                              tooltip="colour edges and neurons by |gradient| (log scale)",
                                              layout=W.Layout(width="140px"))
        self.gradient_switch.observe(lambda _c: self.refresh(), names="value")
        self.add_layer_button = W.Button(description="layer", icon="plus", tooltip="add a hidden layer",
                                         layout=W.Layout(width="80px"))
        self.remove_layer_button = W.Button(description="layer", icon="minus",
                                            tooltip="remove the last hidden layer",
                                            layout=W.Layout(width="80px"))
        self.add_layer_button.on_click(lambda _b: self._act(self.core.add_layer))
        self.remove_layer_button.on_click(lambda _b: self._act(self.core.remove_layer))
        self.neuron_controls = W.HBox()

        c = self.controls
        self.ui = W.VBox([
            W.HBox([self.player, self.step_button, self.reset_button, self.epoch_label,
                    self.gradient_switch]),
            W.HBox([c["dataset"], c["noise"], c["train_ratio"], c["batch_size"]]),
            W.HBox([W.Label("features"), *self.feature_toggles.values()]),
            W.HBox([c["activation"], c["lr"], c["regularization"], c["reg_rate"]]),
            W.HBox([self.layers_label, self.add_layer_button, self.remove_layer_button]),
            W.HBox([W.Label("neurons per layer", layout=W.Layout(width="130px")), self.neuron_controls]),
            self.stats, self.message, self.image,
        ])
        self._finish_ui("bp-playground")

    def _neuron_buttons(self):
        """One small group per hidden layer: '− n +' (rebuilt when the layers change)."""
        groups = []
        for k, size in enumerate(self.core.hidden):
            small = dict(width="32px", padding="0")
            minus = W.Button(icon="minus", tooltip=f"one neuron fewer in layer {k + 1}",
                             layout=W.Layout(**small))
            plus = W.Button(icon="plus", tooltip=f"one more neuron in layer {k + 1}",
                            layout=W.Layout(**small))
            minus.on_click(lambda _b, k=k: self._act(self.core.remove_neuron, k))
            plus.on_click(lambda _b, k=k: self._act(self.core.add_neuron, k))
            groups.append(W.HBox([minus, W.HTML(f"<b>{size}</b>", layout=W.Layout(margin="0 4px")), plus],
                                 layout=W.Layout(margin="0 10px 0 0")))
        return groups

    # ------------------------------------------------------------------ actions

    def _act(self, action, *args) -> bool:
        """Run a core action; a ValueError is shown in the message line instead of raised."""
        try:
            action(*args)
        except ValueError as problem:
            self.message_text = str(problem)
            self.show_message(self.message_text, problem=True)
            return False
        # a good action clears an earlier complaint, but not a diverged run (reset clears that)
        self.show_message(self.core.problem or "", problem=bool(self.core.problem))
        self._sync()
        self.refresh()
        return True

    def set(self, **settings) -> bool:
        """Change settings as the controls do (a bad value is reported, nothing changes)."""
        return self._act(lambda: self.core.configure(**settings))

    def _on_control(self, name, value):
        if self._quiet:
            return
        if name == "train_ratio":
            value = value / 100
        before = self.core.settings[name]
        if not self.set(**{name: value}):
            # the control shows the refused value; say which one is still in use
            still = (f"{before:.0%}" if name == "train_ratio" else f"{before:g}" if isinstance(before, float)
                     else before)
            self.show_message(f"{self.message_text} Still using {still}.", problem=True)

    def _on_feature(self, name, enabled):
        if self._quiet:
            return
        if not self._act(self.core.set_feature, name, enabled):
            self._sync()  # switch the toggle back: the core kept the old features

    def play(self) -> None:
        """Start training live (as pressing the Play button does)."""
        self.core.play()
        self._sync()

    def pause(self) -> None:
        """Stop training live."""
        self.core.pause()
        self._sync()

    def step(self) -> None:
        """Pause and train exactly one epoch."""
        self.core.pause()
        self._sync()
        self.core.step()
        self._report_problem()
        self.refresh()

    def reset(self) -> None:
        """Pause, fresh weights, epoch 0."""
        self.core.reset()
        self.show_message("")
        self._sync()
        self.refresh()

    def tick(self) -> bool:
        """One beat of the Play button: train (if playing) and redraw; returns whether it trained."""
        started = time.perf_counter()
        trained = self.core.tick()
        self._report_problem()
        if trained:
            self.refresh()
        self._last_tick_end = time.perf_counter()
        self.last_tick_s = self._last_tick_end - started
        # let the front end's timer wait at least as long as a tick takes (plus a margin)
        wanted = max(self.interval_ms, int(1300 * self.last_tick_s))
        if abs(wanted - self.player.interval) > 0.25 * self.player.interval:
            self.player.interval = wanted
        return trained

    def _on_beat(self, change):
        if change["new"] <= change["old"]:  # the Play's stop button rewinds to 0: not a beat
            return
        if time.perf_counter() - self._last_tick_end < STALE_BEAT_S:
            return
        if self.player.playing and not self.core.playing and not self.core.problem:
            self.core.play()
        self.tick()

    def _on_playing(self, change):
        if self._quiet:
            return
        if change["new"]:
            self.core.play()
        else:
            self.core.pause()
        self._report_problem()
        self._sync()

    def _report_problem(self):
        if self.core.problem:
            self.show_message(self.core.problem, problem=True)
            self._sync()

    # ------------------------------------------------------------------ showing

    def _sync(self):
        """Make every control show the core's state (without triggering their handlers)."""
        s = self.core.settings
        self._quiet = True
        try:
            self.player.playing = self.core.playing
            values = dict(s, train_ratio=round(100 * s["train_ratio"]))
            for name, control in self.controls.items():
                if control.value != values[name]:
                    control.value = values[name]
            for name, toggle in self.feature_toggles.items():
                toggle.value = name in s["features"]
        finally:
            self._quiet = False

    def refresh(self) -> None:
        """Redraw the picture and the readouts from the core."""
        core = self.core
        png = self.picture.draw(core, self.gradient_switch.value)
        # the readouts first and the picture last: when the picture has changed in the
        # browser, everything else already shows the same state
        self.epoch_label.value = f'<span style="font-size:1.3em">epoch <b>{core.epoch}</b></span>'
        n = len(core.hidden)
        plural = "s" if n != 1 else ""
        self.layers_label.value = f"<b>{n}</b> hidden layer{plural} ({self.picture.columns} columns)"
        if self._drawn_hidden != core.hidden:
            old = self.neuron_controls.children
            self.neuron_controls.children = self._neuron_buttons()
            for group in old:  # close the replaced widgets, or their models live on in the kernel
                for child in group.children:
                    child.close()
                group.close()
            self._drawn_hidden = core.hidden
        stats = html.escape(core.summary())
        sizes = core.layer_gradient_sizes() if self.gradient_switch.value else None
        if sizes:
            stats += ("<br>Median |∂L/∂w| per layer, inputs → output, in the last step: "
                      + " · ".join(f"{size:.1e}" for size in sizes))
        self.stats.value = stats
        self.image.value = png

    def __repr__(self):
        s = self.core.settings
        return (f"<Playground widget: {s['dataset']}, hidden {list(s['hidden'])}, {s['activation']}, "
                f"epoch {self.core.epoch}>")
