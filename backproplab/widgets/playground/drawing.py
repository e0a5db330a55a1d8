"""The Playground's picture: the network with a heat map per neuron, the output, the losses.

Speed decides the design, because the picture is redrawn on every tick of the Play
button (measured in ``benchmarks/playground_tick.py``):

- one ``Figure`` is made once and kept; its artists are updated in place;
- text is the slowest thing Agg draws (about 1 ms per label), so everything that does
  not change from tick to tick (titles, labels, ticks) is drawn once into a background
  that each tick restores ("blitting"); only the changing artists are drawn on top. The
  background is redrawn when the network's shape, the loss axes' limits (which grow in
  steps of 1-2-5) or the gradient colour scale (whole decades, which move with some
  hysteresis) change;
- all neuron heat maps are pasted into one opaque RGB canvas shown by one ``imshow``
  (partly transparent images cost Agg several times more), the edges are one
  ``LineCollection`` drawn on top, ending at the boxes' borders;
- the PNG is encoded with fast compression at a modest dpi.

Colours follow TensorFlow Playground: orange for negative / class 0, blue for positive /
class 1.  With ``show_gradients`` the neurons and edges are coloured instead by the size
of their gradient in the last step, on a log scale (``magma``: dark = tiny, bright =
large), so a vanishing or exploding gradient shows up as a dark or bright layer.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from PIL import Image

from .data import FEATURE_LABELS, PLANE

__all__ = ["PlaygroundPicture", "PLAYGROUND_CMAP", "GRADIENT_CMAP", "gradient_colour_scale"]

PLAYGROUND_CMAP = LinearSegmentedColormap.from_list("playground", ["#f59322", "#e8eaeb", "#0877bd"])
# the decision surface in paler colours, so the data points drawn on it stand out
SURFACE_CMAP = LinearSegmentedColormap.from_list(
    "playground_pale", 0.55 * PLAYGROUND_CMAP(np.linspace(0, 1, 64)) + 0.45 * np.ones((64, 4)))
GRADIENT_CMAP = colormaps["magma"]
RES = 24            # grid points per side of a neuron's heat map (one canvas pixel each)
ROW = RES * 5 // 4  # canvas pixels from one neuron to the next in a column
MAX_COL = 4 * RES   # the widest gap from one column of neurons to the next
SURFACE_RES = 60    # grid points per side of the output's decision surface
DECADES = 6         # the gradient colour scale spans this many powers of ten
INPUT_GREY = np.array([204, 209, 217, 255], dtype=np.uint8)


def gradient_colour_scale(values, previous: tuple[int, int] | None = None) -> tuple[int, int]:
    """(low, high) powers of ten for the gradient colours: ``high`` is the decade of the
    largest finite gradient shown and the scale reaches ``DECADES`` below it, so "dark"
    always means "a million times smaller than the largest".  (The smallest gradient of
    one step is no anchor: a single weight near zero makes it jump by decades.)

    With ``previous`` (the scale used last time) the scale stays put unless the largest
    gradient leaves it or falls two decades or more below its top: colours are only
    comparable from tick to tick on a scale that does not move with every step's noise.
    """
    magnitudes = np.abs(np.concatenate([np.ravel(v) for v in values]))
    positive = magnitudes[(magnitudes > 0) & np.isfinite(magnitudes)]
    if positive.size == 0:
        return previous or (-DECADES, 0)
    high = math.ceil(math.log10(positive.max()))
    if previous is not None and high <= previous[1] < high + 2:
        high = previous[1]
    return high - DECADES, high


def _typical_power(gradients, previous: int | None) -> int | None:
    """The power of ten nearest the median |gradient|, kept at ``previous`` while the median
    stays within a decade of it (one step's gradients jump about); None when all are 0."""
    median = float(np.median(np.abs(gradients)))
    if not median > 0 or not math.isfinite(median):
        return None
    exact = math.log10(median)
    return previous if previous is not None and abs(exact - previous) < 1 else round(exact)


def _log_level(values, low, high) -> np.ndarray:
    """|values| placed on [0, 1] of the log colour scale (zeros and tinier values at 0)."""
    with np.errstate(divide="ignore"):
        logs = np.log10(np.abs(values))
    return np.clip((logs - low) / (high - low), 0.0, 1.0)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, ... (times a power of ten) that is >= value."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value * (1 - 1e-9):
            return factor * power
    return 10 * power


class PlaygroundPicture:
    """A figure kept for the life of a Playground and redrawn from a ``PlaygroundCore``.

    ``draw(core, show_gradients)`` updates it and returns PNG bytes.  ``columns`` is the
    number of neuron columns drawn (features, hidden layers, output).
    """

    def __init__(self, figsize=(11.0, 4.4), dpi: int = 72):
        self.dpi = dpi
        self.fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_net = self.fig.add_axes((0.0, 0.0, 0.65, 1.0))
        self.ax_cbar = self.fig.add_axes((0.655, 0.14, 0.008, 0.66))
        self.ax_out = self.fig.add_axes((0.725, 0.45, 0.25, 0.47))
        self.ax_loss = self.fig.add_axes((0.755, 0.09, 0.22, 0.22))
        self.ax_net.set_axis_off()
        self.ax_out.set_xticks([])
        self.ax_out.set_yticks([])
        self._background = None
        self._background_key = None
        self._structure = None  # what the network's artists were built for
        self._data_key = None   # which data the scatter points show
        self._inputs_pasted = False
        self.columns = 0
        self._scale = None      # the gradient colour scale last used (low, high decades)
        self._build_output_and_losses()

    # ------------------------------------------------------------------ building

    def _build_output_and_losses(self):
        ax = self.ax_out
        self.surface = ax.imshow(np.zeros((SURFACE_RES, SURFACE_RES)), extent=(-PLANE, PLANE, -PLANE, PLANE),
                                 origin="lower", cmap=SURFACE_CMAP, vmin=-1, vmax=1,
                                 interpolation="bilinear", zorder=0, animated=True)
        self.train_points, self.test_points = (
            ax.scatter([], [], c=np.zeros(0), s=12, cmap=PLAYGROUND_CMAP, vmin=-1, vmax=1,
                       edgecolors=rim, linewidths=0.6, zorder=z, animated=True)
            for rim, z in (("white", 2), ("black", 3)))
        ax.set_xlim(-PLANE, PLANE)
        ax.set_ylim(-PLANE, PLANE)
        ax.set_title("output: the decision surface", fontsize=9)
        ax.set_xlabel("points: white rim = training, black rim = test", fontsize=7, labelpad=2)
        ax = self.ax_loss
        (self.train_line,) = ax.plot([], [], color="#0877bd", lw=1.3, label="training", animated=True)
        (self.test_line,) = ax.plot([], [], color="#f59322", lw=1.3, label="test", animated=True)
        ax.legend(fontsize=7, loc="upper right", frameon=False)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("epoch", fontsize=7, labelpad=1)
        ax.set_title("loss", fontsize=9)
        self.ax_cbar.imshow(np.linspace(0, 1, 128)[:, None], aspect="auto", origin="lower",
                            cmap=GRADIENT_CMAP, extent=(0, 1, -8, 0))
        self.ax_cbar.set_xticks([])
        self.ax_cbar.tick_params(labelsize=6)
        self.ax_cbar.yaxis.tick_right()
        self.ax_cbar.set_title("log₁₀|∂L/∂·|", fontsize=7)

    def _build_network(self, sizes, features, show_gradients):
        """Lay out columns of neurons and the edges between them (only when the shape changes)."""
        ax = self.ax_net
        ax.clear()
        ax.set_axis_off()
        n_cols, n_rows = len(sizes), max(sizes)
        # the columns spread over the space there is, up to MAX_COL apart
        pitch = max(2 * RES, min(MAX_COL, (21 * RES - RES) // max(n_cols - 1, 1)))
        self.width, self.height = (n_cols - 1) * pitch + RES, (n_rows - 1) * ROW + RES
        # each column is centred vertically; box (c, j) has its lower-left pixel at origins[c][j]
        self.origins = [[(c * pitch, int(round((self.height + (size - 1) * ROW - RES) / 2 - j * ROW)))
                         for j in range(size)] for c, size in enumerate(sizes)]
        self.pixels = np.full((self.height, self.width, 4), 255, dtype=np.uint8)  # white where no neuron is
        self.image = ax.imshow(self.pixels, extent=(0, self.width, 0, self.height), origin="lower",
                               interpolation="nearest", zorder=1, animated=True)
        segments = [((xi + RES, yi + RES / 2), (xj, yj + RES / 2))
                    for c in range(n_cols - 1)
                    for (xj, yj) in self.origins[c + 1]
                    for (xi, yi) in self.origins[c]]  # row-major, like each weight matrix (out, in)
        self.edges = LineCollection(segments, zorder=2, capstyle="butt", animated=True)
        ax.add_collection(self.edges)
        ax.set_xlim(-RES * 2.2, 22 * RES)
        ax.set_ylim(-RES * 1.5, max(self.height, 8 * ROW) + RES * 1.4)
        titles = ["features"] + [f"layer {k}\n{sizes[k]} neuron{'s' if sizes[k] > 1 else ''}"
                                 for k in range(1, n_cols - 1)] + ["output"]
        for c, title in enumerate(titles):
            ax.text(c * pitch + RES / 2, self.height + RES * 0.35, title, ha="center", va="bottom",
                    fontsize=8)
        for (x, y), name in zip(self.origins[0], features):
            ax.text(x - 4, y + RES / 2, FEATURE_LABELS[name], ha="right", va="center", fontsize=8)
        # under each column of edges: the typical gradient size there (gradient mode only), as
        # a power of ten that moves with hysteresis, so that these labels stay in the background
        self.layer_notes = [ax.text((c + 0.5) * pitch + RES / 2, -RES * 0.5, "", ha="center", va="top",
                                    fontsize=7, color="#334155") for c in range(n_cols - 1)]
        self._note_powers = [None] * (n_cols - 1)
        self.ax_cbar.set_visible(show_gradients)
        self.columns = n_cols
        self._inputs_pasted = False
        self._scale = None

    # ------------------------------------------------------------------ drawing

    def draw(self, core, show_gradients: bool = False) -> bytes:
        """Redraw everything from ``core`` and return the PNG."""
        # a diverged network holds inf and NaN: draw what there is, quietly (the widget says why)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._draw(core, show_gradients)

    def _draw(self, core, show_gradients):
        sizes = [len(core.features), *core.hidden, 1]
        structure = (tuple(sizes), core.features, bool(show_gradients))
        if structure != self._structure:
            self._build_network(sizes, core.features, show_gradients)
            self._structure = structure
        gradients = core.edge_gradients() if show_gradients else None
        scale = None
        if gradients is not None:
            scale = self._draw_gradients(core, gradients)
        else:
            self._draw_activations(core, show_gradients)
        self._draw_output(core)
        loss_limits = self._draw_losses(core)
        notes = tuple(text.get_text() for text in self.layer_notes)
        return self._render((structure, loss_limits, scale, notes))

    def _paste(self, column: int, rgb) -> None:
        for (x, y), block in zip(self.origins[column], rgb):
            self.pixels[y:y + RES, x:x + RES] = block

    @staticmethod
    def _heat_colours(maps, scale_each: bool):
        """RGB heat maps: each neuron on its own symmetric scale (the output on [-1, 1])."""
        if scale_each:
            peak = np.abs(maps).reshape(len(maps), -1).max(axis=1)
            maps = maps / np.where(peak > 0, peak, 1.0)[:, None, None]
        return PLAYGROUND_CMAP((np.clip(maps, -1, 1) + 1) / 2, bytes=True)

    def _draw_activations(self, core, show_gradients):
        columns = core.neuron_outputs(RES)
        if not self._inputs_pasted:  # the feature maps never change for a given layout
            self._paste(0, self._heat_colours(columns[0], True))
            self._inputs_pasted = True
        for c, maps in enumerate(columns[1:-1], start=1):
            self._paste(c, self._heat_colours(maps, True))
        self._paste(len(columns) - 1, self._heat_colours(self._output_levels(core, columns[-1]), False))
        weights = np.concatenate([w.ravel() for w in core.weights()])
        self.edges.set_colors(PLAYGROUND_CMAP(np.where(weights > 0, 1.0, 0.0), alpha=0.75))
        self.edges.set_linewidths(np.minimum(0.3 + 1.6 * np.abs(weights), 5.0))
        for text in self.layer_notes:
            text.set_text("")
        if show_gradients:  # asked for, but no step has computed a gradient yet
            self.layer_notes[0].set_text("gradients appear after the first step")
        self.image.set_data(self.pixels)

    def _draw_gradients(self, core, gradients):
        neuron_grads = core.neuron_gradients()
        low, high = self._scale = gradient_colour_scale(gradients + neuron_grads, self._scale)
        self._paste(0, np.broadcast_to(INPUT_GREY, (len(core.features), RES, RES, 4)))
        self._inputs_pasted = False  # paste the feature maps again when switching back
        for c, g in enumerate(neuron_grads, start=1):
            colours = GRADIENT_CMAP(_log_level(g, low, high), bytes=True)
            self._paste(c, np.broadcast_to(colours[:, None, None, :], (len(g), RES, RES, 4)))
        flat = np.concatenate([g.ravel() for g in gradients])
        self.edges.set_colors(GRADIENT_CMAP(_log_level(flat, low, high)))
        self.edges.set_linewidths(1.6)
        for k, (text, g) in enumerate(zip(self.layer_notes, gradients)):
            power = self._note_powers[k] = _typical_power(g, self._note_powers[k])
            text.set_text("|∂L/∂w| = 0" if power is None else f"|∂L/∂w| ~ 1e{power}")
        self.image.set_data(self.pixels)
        self.ax_cbar.images[0].set_extent((0, 1, low, high))
        self.ax_cbar.set_ylim(low, high)
        return low, high

    @staticmethod
    def _output_levels(core, scores):
        """Scores on [-1, 1]: 2·sigmoid(score) - 1 = tanh(score/2) for classes, else the value."""
        return np.tanh(scores / 2) if core.is_classification else np.clip(scores, -1, 1)

    def _draw_output(self, core):
        xs = np.linspace(-PLANE, PLANE, SURFACE_RES)
        gx, gy = np.meshgrid(xs, xs)
        scores = core.predict(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(SURFACE_RES, SURFACE_RES)
        self.surface.set_data(self._output_levels(core, scores))
        key = (core, core.data_version)  # the core itself, not its id(), which Python reuses
        if key != self._data_key:  # new data: move the points (colour = class or target)
            for points, X, y in ((self.train_points, core.X_train, core.y_train),
                                 (self.test_points, core.X_test, core.y_test)):
                points.set_offsets(X)
                points.set_array(2.0 * y - 1 if core.is_classification else np.clip(y, -1, 1))
            self._data_key = key

    def _draw_losses(self, core):
        epochs = np.arange(len(core.train_loss))
        self.train_line.set_data(epochs, core.train_loss)
        self.test_line.set_data(epochs, core.test_loss)
        finite = [v for v in core.train_loss + core.test_loss if math.isfinite(v)]
        # limits grow in 1-2-5 steps, so the background (ticks) is redrawn only now and then
        limits = (_nice_ceiling(max(len(epochs) - 1, 10)), _nice_ceiling(max(finite, default=1.0)))
        return limits

    def _render(self, background_key) -> bytes:
        if background_key != self._background_key:
            x_max, y_max = background_key[1]
            self.ax_loss.set_xlim(0, x_max)
            self.ax_loss.set_ylim(0, y_max)
            self.canvas.draw()  # everything but the animated artists
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = background_key
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in (self.image, self.edges, self.surface, self.train_points, self.test_points,
                       self.train_line, self.test_line):
            artist.draw(renderer)
        return self.png()

    def png(self) -> bytes:
        """The picture as last drawn by ``draw``, as PNG bytes (fast compression)."""
        size = self.canvas.get_width_height()
        rgb = Image.frombuffer("RGBA", size, self.canvas.buffer_rgba()).convert("RGB")
        # 256 colours are plenty for this picture, and a palette PNG encodes about 8x faster
        palette = rgb.quantize(256, method=Image.Quantize.FASTOCTREE)
        buffer = io.BytesIO()
        palette.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()
