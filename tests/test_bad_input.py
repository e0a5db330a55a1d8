"""A catalogue of bad and surprising inputs across the public API (issue 11).

Each case either raises an error of the named type whose message contains the phrase (a
learner can act on it), or, where PyTorch has an answer, gives that answer.  A case is
``(id, call, expected, phrase_or_check)``: ``call`` takes a temporary folder; ``expected`` is
an exception class, or ``OK`` with a function that checks the result.
"""

import io
import math
import re
import zipfile

import numpy as np
import pytest

import backproplab as bp
from backproplab import widgets

OK = object()


def leaf(*values):
    return bp.Tensor(list(values) or [1.0, 2.0], requires_grad=True)


def mlp():
    return bp.nn.MLP(2, [3, 2], seed=0)


def opt():
    return bp.optim.SGD(mlp().parameters(), lr=0.1)


class SetHolder(bp.nn.Module):
    def __init__(self):
        self.layers = {bp.nn.Linear(2, 2)}


class DottedKey(bp.nn.Module):
    def __init__(self):
        self.heads = {"a.b": bp.nn.Linear(2, 2)}


class NonLeaf(bp.nn.Module):
    def __init__(self):
        self.w = bp.Tensor([1.0], requires_grad=True) * 0.1


class Holder(bp.nn.Module):
    def __init__(self):
        self.ws = [bp.Tensor([1.0], requires_grad=True), bp.Tensor([2.0], requires_grad=True)]
        self.heads = {"left": bp.nn.Linear(2, 1), "right": bp.nn.Linear(2, 1)}


def changed_in_place(change):
    w, x = leaf(), bp.Tensor([3.0, 4.0])
    loss = (w * x).sum()
    change(w)
    loss.backward()


def train_steps(n=3):
    model = mlp()
    optimizer = bp.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(n):
        loss = bp.losses.cross_entropy(model(np.ones((4, 2))), [0, 1, 1, 0])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def fit(loader, epochs=1, model=None, loss=bp.losses.cross_entropy, **kwargs):
    model = model or mlp()
    return bp.train.fit(model, loss, bp.optim.SGD(model.parameters(), lr=0.1), loader,
                        epochs=epochs, progress=False, **kwargs)


def moons_with_nan(where):
    X, y = bp.data.make_moons(20, seed=0)
    if where == "y":
        y = y.astype(float)
    (X if where == "X" else y)[3] = np.nan
    return X, y


def saved(tmp, name="w.npz", model=None):
    path = tmp / name
    bp.save(model or mlp(), path)
    return path


def write_zip(tmp, entries, name="bad.npz"):
    """A zip file with raw ``{member name: bytes}`` entries."""
    path = tmp / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in entries.items():
            archive.writestr(member, data)
    return path


def npy(array=None, header=None, body=b""):
    buffer = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buffer, array, allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
        buffer.write(body)
    return buffer.getvalue()


def good_entries(change=None):
    state = mlp().state_dict()
    entries = {f"{k}.npy": npy(v) for k, v in state.items()}
    if change:
        entries.update(change)
    return entries


def load(path):
    return bp.load(mlp(), path)


CASES = [
    # ------------------------------------------------------------ constructing tensors
    ("tensor-none", lambda t: bp.Tensor([1, None, 3]), ValueError, "contains None"),
    ("tensor-none-object-array", lambda t: bp.Tensor(np.array([1, None], dtype=object)), ValueError, "None"),
    ("tensor-ragged", lambda t: bp.Tensor([[1, 2], [3]]), ValueError, "ragged"),
    ("tensor-complex", lambda t: bp.Tensor([1 + 2j]), TypeError, "complex"),
    ("tensor-string", lambda t: bp.Tensor("abc"), TypeError, "numeric"),
    ("tensor-strings-in-list", lambda t: bp.Tensor([1, "a"]), TypeError, "numeric"),
    ("tensor-None-alone", lambda t: bp.Tensor(None), TypeError, "NoneType"),
    ("tensor-dict", lambda t: bp.Tensor({"a": 1}), TypeError, "dict"),
    ("tensor-set", lambda t: bp.Tensor({1, 2}), TypeError, "set"),
    ("tensor-generator", lambda t: bp.Tensor(x for x in range(3)), TypeError, "list(...)"),
    ("tensor-of-values", lambda t: bp.Tensor([bp.Value(1.0)]), TypeError, "Pick one mode"),
    ("tensor-from-value", lambda t: bp.Tensor(bp.Value(1.0)), TypeError, "Pick one mode"),
    ("tensor-of-grad-tensors", lambda t: bp.Tensor([leaf(1.0), leaf(2.0)]), TypeError, "bp.stack"),
    ("tensor-int8-overflow", lambda t: bp.Tensor([300], dtype="int8"), OverflowError, "does not fit in int8"),
    ("tensor-nan-to-int", lambda t: bp.Tensor([math.nan], dtype="int64"), ValueError, "NaN or inf"),
    ("tensor-complex-dtype", lambda t: bp.Tensor([1.0], dtype="complex64"), TypeError, "real numbers"),
    ("tensor-unknown-dtype", lambda t: bp.Tensor([1.0], dtype="banana"), TypeError, "Unknown dtype"),
    ("tensor-int-requires-grad", lambda t: bp.Tensor([1, 2], requires_grad=True), TypeError, "floating-point"),
    ("tensor-big-int", lambda t: bp.Tensor([2**70]).item(), OK, lambda r: r == pytest.approx(2.0**70, rel=1e-6)),
    ("tensor-of-constant-tensors", lambda t: bp.Tensor([bp.Tensor([1.0]), bp.Tensor([2.0])]).shape, OK,
     lambda r: r == (2, 1)),
    # ------------------------------------------------------------ truth and conversion
    ("bool-one-element", lambda t: bool(bp.Tensor([0.2]) > 0.5), OK, lambda r: r is False),
    ("bool-one-element-true", lambda t: bool(bp.Tensor([[0.7]]) > 0.5), OK, lambda r: r is True),
    ("bool-many", lambda t: bool(bp.Tensor([1.0, 2.0])), RuntimeError, ".any() (is any element true?) or .all()"),
    ("bool-empty", lambda t: bool(bp.Tensor([])), RuntimeError, "ambiguous"),
    ("if-many", lambda t: 1 if bp.Tensor([1.0, 2.0]) > 0 else 0, RuntimeError, "ambiguous"),
    ("float-one", lambda t: float(bp.Tensor([[2.5]])), OK, lambda r: r == 2.5),
    ("float-many", lambda t: float(bp.Tensor([1.0, 2.0])), ValueError, "one element"),
    ("int-truncates", lambda t: int(bp.Tensor([-2.7])), OK, lambda r: r == -2),
    ("int-many", lambda t: int(bp.Tensor([1, 2])), ValueError, "one element"),
    ("index-int-tensor", lambda t: [10, 11, 12][bp.Tensor(1, dtype="int64")], OK, lambda r: r == 11),
    ("index-float-tensor", lambda t: [10, 11, 12][bp.Tensor(1.0)], TypeError, "integer tensors"),
    ("len-0d", lambda t: len(bp.Tensor(1.0)), TypeError, "0-d"),
    ("iter-0d", lambda t: list(bp.Tensor(1.0)), TypeError, "0-d"),
    ("iter-rows", lambda t: [row.shape for row in bp.Tensor(np.ones((2, 3)))], OK, lambda r: r == [(3,), (3,)]),
    ("format-one", lambda t: f"{bp.Tensor(1.2345):.2f}", OK, lambda r: r == "1.23"),
    ("format-many", lambda t: f"{bp.Tensor([1.0, 2.0]):.2f}", TypeError, "one element"),
    ("contains", lambda t: 2 in bp.Tensor([1, 2, 3]), OK, lambda r: r is True),
    ("setitem", lambda t: bp.Tensor([1.0, 2.0]).__setitem__(0, 5.0), TypeError, "not changed in place"),
    ("asarray", lambda t: np.asarray(bp.Tensor([[1.0, 2.0]])).shape, OK, lambda r: r == (1, 2)),
    ("any-all", lambda t: (bool((bp.Tensor([1.0, -1.0]) > 0).any()), bool((bp.Tensor([1.0, -1.0]) > 0).all())),
     OK, lambda r: r == (True, False)),
    ("item-many", lambda t: bp.Tensor([1.0, 2.0]).item(), ValueError, "one element"),
    # ------------------------------------------------------------ modes and ops
    ("tensor-times-value", lambda t: leaf() * bp.Value(2.0), TypeError, "Pick one mode"),
    ("value-times-tensor", lambda t: bp.Value(2.0) * leaf(), TypeError, "Pick one mode"),
    ("value-plus-tensor", lambda t: bp.Value(2.0) + leaf(), TypeError, "scalar mode (bp.Value) and tensor mode"),
    ("tensor-compare-value", lambda t: leaf() > bp.Value(1.0), TypeError, "Pick one mode"),
    ("tensor-plus-complex", lambda t: leaf() + (1 + 2j), TypeError, "real numbers"),
    ("value-of-tensor", lambda t: bp.Value(bp.Tensor(1.0)), TypeError, "Pick one mode"),
    ("matmul-shapes", lambda t: bp.Tensor(np.ones((2, 3))) @ bp.Tensor(np.ones((2, 4))), ValueError, "do not fit"),
    ("broadcast-shapes", lambda t: bp.Tensor(np.ones((2, 3))) + bp.Tensor(np.ones(4)), ValueError, "broadcast"),
    ("sigmoid-tail-float32", lambda t: bp.Tensor([-20.0]).sigmoid().item(), OK,
     lambda r: r == pytest.approx(2.0611536e-9, rel=1e-6)),
    ("sigmoid-log-float32", lambda t: bp.Tensor([-80.0]).sigmoid().log().item(), OK,
     lambda r: r == pytest.approx(-80.0, rel=1e-6)),
    ("sigmoid-log-float64", lambda t: bp.Tensor([-700.0], dtype="float64").sigmoid().log().item(), OK,
     lambda r: r == pytest.approx(-700.0, rel=1e-12)),
    ("log-zero", lambda t: bp.Tensor([0.0]).log(), ValueError, "log of zero"),
    ("matmul-number", lambda t: leaf() @ 2, ValueError, "use * for scalars"),
    ("sum-fraction-axis", lambda t: leaf().sum(axis=0.5), TypeError, "axis must be a whole number"),
    ("softmax-fraction-axis", lambda t: leaf().softmax(axis=0.5), TypeError, "axis must be a whole number"),
    ("reshape-fraction", lambda t: leaf().reshape(2.5), ValueError, "whole numbers"),
    ("to-unknown-device", lambda t: leaf().to("cuda"), ValueError, "use 'cpu' or 'gpu'"),
    ("backward-non-scalar", lambda t: (leaf() * 2).backward(), RuntimeError, "one-element"),
    ("backward-no-grad", lambda t: bp.Tensor([1.0]).backward(), RuntimeError, "does not require grad"),
    # ------------------------------------------------------------ losses
    ("ce-batch-axes-swapped", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3, 5))), np.zeros((3, 2), int)),
     ValueError, "targets of shape (2, 3)"),
    ("ce-column-targets", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((3, 5))), np.zeros((3, 1), int)),
     ValueError, "reshape(-1)"),
    ("ce-count", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0]), ValueError,
     "2 predictions but 1 targets"),
    ("ce-float-targets", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0.0, 1.0]), TypeError,
     "integer class"),
    ("ce-class-too-big", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0, 3]), IndexError,
     "outside 0..2"),
    ("ce-class-negative", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [-1, 0]), IndexError,
     "outside 0..2"),
    ("ce-0d-logits", lambda t: bp.losses.cross_entropy(bp.Tensor(1.0), [0]), ValueError, "(batch, classes)"),
    ("ce-empty", lambda t: bp.losses.cross_entropy(bp.Tensor(np.ones((0, 3))), np.zeros(0, int)), ValueError, "empty"),
    ("ce-right-shape", lambda t: bp.losses.cross_entropy(bp.Tensor(np.zeros((2, 3, 4))), np.zeros((2, 3), int)).item(),
     OK, lambda r: r == pytest.approx(math.log(4))),
    ("ce-scalar-ragged", lambda t: bp.losses.cross_entropy([[bp.Value(1.0), bp.Value(2.0)], [bp.Value(1.0)]], [0, 0]),
     ValueError, "different numbers of logits"),
    ("ce-scalar-fraction", lambda t: bp.losses.cross_entropy([bp.Value(1.0), bp.Value(2.0)], 1.5), TypeError,
     "not an integer"),
    ("mse-shapes", lambda t: bp.losses.mse(bp.Tensor(np.ones((4, 1))), np.ones(4)), ValueError, "reshape"),
    ("mse-empty", lambda t: bp.losses.mse(bp.Tensor(np.ones(0)), np.ones(0)), ValueError, "empty"),
    ("mse-values-as-targets", lambda t: bp.losses.mse(leaf(), [bp.Value(1.0), bp.Value(2.0)]), TypeError,
     "Pick one mode"),
    ("mse-scalar-count", lambda t: bp.losses.mse([bp.Value(1.0), bp.Value(2.0)], [1.0]), ValueError,
     "mse: 2 predictions but 1 targets. Each prediction needs exactly one target."),
    ("mse-scalar-layout", lambda t: bp.losses.mse([[bp.Value(1.0), bp.Value(2.0)], [bp.Value(3.0), bp.Value(4.0)]],
                                                  [1.0, 2.0, 3.0, 4.0]), ValueError, "laid out"),
    ("mse-scalar-tensor-targets", lambda t: bp.losses.mse([bp.Value(1.0), bp.Value(3.0)], bp.Tensor([1.0, 1.0])).data,
     OK, lambda r: r == 2.0),
    ("mse-scalar-column-targets", lambda t: bp.losses.mse([bp.Value(1.0), bp.Value(3.0)], np.ones((2, 1))).data,
     OK, lambda r: r == 2.0),
    ("bce-shapes", lambda t: bp.losses.binary_cross_entropy_with_logits(bp.Tensor(np.ones((3, 1))), np.ones(3)),
     ValueError, "differ"),
    ("bce-target-range", lambda t: bp.losses.binary_cross_entropy_with_logits(bp.Tensor(np.ones(3)), [0, 2, 1]),
     ValueError, "[0, 1]"),
    ("bce-target-nan", lambda t: bp.losses.binary_cross_entropy_with_logits(bp.Tensor(np.ones(3)), [0, math.nan, 1]),
     ValueError, "NaN"),
    ("bce-scalar-target-range", lambda t: bp.losses.binary_cross_entropy_with_logits([bp.Value(0.0)], [2.0]),
     ValueError, "[0, 1]"),
    # ------------------------------------------------------------ optimizers
    ("opt-duplicate", lambda t: (lambda w: bp.optim.SGD([w, w], lr=0.1))(leaf()), ValueError, "same parameter"),
    ("opt-model", lambda t: bp.optim.SGD(mlp(), lr=0.1), TypeError, "model.parameters()"),
    ("opt-model-in-list", lambda t: bp.optim.SGD([mlp()], lr=0.1), TypeError, "model.parameters()"),
    ("opt-single-tensor", lambda t: bp.optim.SGD(leaf(), lr=0.1), TypeError, "Wrap it in a list"),
    ("opt-number", lambda t: bp.optim.SGD(5, lr=0.1), TypeError, "list of parameters"),
    ("opt-non-leaf", lambda t: bp.optim.SGD([leaf() * 2], lr=0.1), ValueError, "non-leaf"),
    ("opt-no-grad-tensor", lambda t: bp.optim.SGD([bp.Tensor([1.0])], lr=0.1), ValueError, "requires_grad=False"),
    ("opt-groups", lambda t: bp.optim.SGD([{"params": [leaf()]}], lr=0.1), TypeError, "parameter groups"),
    ("opt-lr-nan", lambda t: bp.optim.SGD([leaf()], lr=math.nan), ValueError, "finite"),
    ("opt-lr-inf", lambda t: bp.optim.Adam([leaf()], lr=math.inf), ValueError, "finite"),
    ("opt-lr-negative", lambda t: bp.optim.SGD([leaf()], lr=-0.1), ValueError, "learning rate must be >= 0"),
    ("opt-lr-bool", lambda t: bp.optim.SGD([leaf()], lr=True), TypeError, "learning rate"),
    ("opt-lr-numpy", lambda t: bp.optim.SGD([leaf()], lr=np.float32(0.1)).lr, OK,
     lambda r: r == pytest.approx(0.1) and type(r) is float),
    ("opt-eps-negative", lambda t: bp.optim.Adam([leaf()], eps=-1.0), ValueError, "eps must be >= 0"),
    ("opt-betas-short", lambda t: bp.optim.Adam([leaf()], betas=(0.9,)), ValueError, "pair"),
    ("opt-betas-number", lambda t: bp.optim.Adam([leaf()], betas=0.9), ValueError, "pair"),
    ("opt-beta2-one", lambda t: bp.optim.AdamW([leaf()], betas=(0.9, 1.0)), ValueError, "betas[1]"),
    ("opt-momentum-negative", lambda t: bp.optim.SGD([leaf()], lr=0.1, momentum=-0.1), ValueError, "momentum"),
    ("opt-alpha", lambda t: bp.optim.RMSProp([leaf()], alpha=1.5), ValueError, "alpha"),
    ("opt-lr-decay", lambda t: bp.optim.AdaGrad([leaf()], lr_decay=-1.0), ValueError, "lr_decay"),
    ("opt-weight-decay-nan", lambda t: bp.optim.Adam([leaf()], weight_decay=math.nan), ValueError, "finite"),
    ("steplr-model", lambda t: bp.optim.StepLR(mlp(), 2), TypeError, "optimizer"),
    ("steplr-zero", lambda t: bp.optim.StepLR(opt(), 0), ValueError, "step_size"),
    ("cosine-fraction", lambda t: bp.optim.CosineAnnealingLR(opt(), 2.5), ValueError, "T_max"),
    ("clip-negative", lambda t: bp.optim.clip_grad_norm(mlp().parameters(), -1.0), ValueError, "max_norm"),
    ("clip-model", lambda t: bp.optim.clip_grad_norm(mlp(), 1.0), TypeError, "model.parameters()"),
    # ------------------------------------------------------------ modules and containers
    ("module-set", lambda t: SetHolder().parameters(), TypeError, "ModuleList"),
    ("module-dotted-key", lambda t: DottedKey().parameters(), ValueError, "contains '.'"),
    ("module-non-leaf", lambda t: NonLeaf(), ValueError, "not a leaf"),
    ("module-plain-containers", lambda t: [n for n, _ in Holder().named_parameters()], OK,
     lambda r: r == ["ws.0", "ws.1", "heads.left.weight", "heads.left.bias", "heads.right.weight",
                     "heads.right.bias"]),
    ("modulelist-tensor", lambda t: bp.nn.ModuleList([leaf()]), TypeError, "ParameterList"),
    ("parameterlist-module", lambda t: bp.nn.ParameterList([bp.nn.ReLU()]), TypeError, "ModuleList"),
    ("parameterlist-non-leaf", lambda t: bp.nn.ParameterList([leaf() * 2]), ValueError, "not a leaf"),
    ("moduledict-key", lambda t: bp.nn.ModuleDict({1: bp.nn.ReLU()}), KeyError, "strings"),
    ("modulelist-forward", lambda t: bp.nn.ModuleList([bp.nn.ReLU()])(leaf()), NotImplementedError, "only holds"),
    ("sequential-list", lambda t: bp.nn.Sequential([bp.nn.ReLU(), bp.nn.Tanh()]), TypeError, "one by one"),
    ("sequential-function", lambda t: bp.nn.Sequential(bp.nn.ReLU(), abs), TypeError, "Module"),
    ("state-from-path", lambda t: mlp().load_state_dict("w.npz"), TypeError, "bp.load(model, path)"),
    ("opt-uncalled-parameters", lambda t: bp.optim.SGD(mlp().parameters, lr=0.1), TypeError, "call it"),
    ("gradcheck-eps", lambda t: bp.gradcheck(lambda x: x * x, [1.0], eps=0.0), ValueError, "eps"),
    ("gradcheck-one-input", lambda t: bp.gradcheck(lambda x: x * x, bp.Value(2.0)), OK, lambda r: r is True),
    ("state-nan", lambda t: mlp().load_state_dict({**mlp().state_dict(), "layers.0.bias": np.full(3, np.nan)}),
     ValueError, "contains NaN"),
    ("state-shape", lambda t: mlp().load_state_dict({**mlp().state_dict(), "layers.0.bias": np.ones(4)}),
     ValueError, "shape of layers.0.bias"),
    ("state-dtype", lambda t: mlp().load_state_dict({**mlp().state_dict(), "layers.0.bias": np.array(["a"] * 3)}),
     ValueError, "dtype of layers.0.bias"),
    # ------------------------------------------------------------ layer arguments
    ("maxpool-zero", lambda t: bp.nn.MaxPool2d(0), ValueError, "kernel_size must be positive"),
    ("maxpool-fraction", lambda t: bp.nn.MaxPool2d(2.5), TypeError, "whole number"),
    ("maxpool-stride-zero", lambda t: bp.nn.MaxPool2d(2, stride=0), ValueError, "stride"),
    ("avgpool-zero", lambda t: bp.nn.AvgPool2d(0), ValueError, "kernel_size"),
    ("maxpool1d-zero", lambda t: bp.nn.MaxPool1d(0), ValueError, "kernel_size"),
    ("conv-fraction", lambda t: bp.nn.Conv2d(1, 2, 2.5), TypeError, "whole number"),
    ("conv-padding", lambda t: bp.nn.Conv2d(1, 2, 3, padding=-1), ValueError, ">= 0"),
    ("conv-rectangular", lambda t: bp.nn.Conv2d(1, 2, (3, 2)), ValueError, "same number"),
    ("conv-stride-zero", lambda t: bp.nn.Conv2d(1, 4, 3, stride=0), ValueError, "positive"),
    ("conv1d-zero", lambda t: bp.nn.Conv1d(1, 2, 0), ValueError, "kernel_size"),
    ("linear-fraction", lambda t: bp.nn.Linear(2.5, 3), TypeError, "in_features"),
    ("linear-zero", lambda t: bp.nn.Linear(0, 3), ValueError, "in_features"),
    ("attention-zero-heads", lambda t: bp.nn.MultiHeadSelfAttention(8, 0), ValueError, "n_heads"),
    ("attention-divisible", lambda t: bp.nn.MultiHeadSelfAttention(6, 4), ValueError, "divisible"),
    ("lm-negative-layers", lambda t: bp.nn.TransformerLM(5, 4, n_layers=-1), ValueError, "n_layers"),
    ("block-ratio", lambda t: bp.nn.TransformerBlock(8, 2, mlp_ratio=0), ValueError, "mlp_ratio"),
    ("embedding-zero", lambda t: bp.nn.Embedding(0, 3), ValueError, "num_embeddings"),
    ("rnn-zero", lambda t: bp.nn.RNN(3, 0), ValueError, "hidden_size"),
    ("lstm-fraction", lambda t: bp.nn.LSTM(2.5, 3), TypeError, "input_size"),
    ("lstm-no-steps", lambda t: bp.nn.LSTM(2, 3)(np.zeros((4, 0, 2))), ValueError, "no time steps"),
    ("rnn-no-steps", lambda t: bp.nn.RNN(2, 3)(np.zeros((4, 0, 2))), ValueError, "no time steps"),
    ("lstm-state-shape", lambda t: bp.nn.LSTM(2, 3)(np.zeros((3, 5, 2)), (np.zeros(3), np.zeros(3))),
     ValueError, "(batch, hidden_size) = (3, 3)"),
    ("layernorm-zero", lambda t: bp.nn.LayerNorm(0), ValueError, "normalized_shape"),
    ("layernorm-eps", lambda t: bp.nn.LayerNorm(3, eps=0.0), ValueError, "eps"),
    ("dropout-range", lambda t: bp.nn.Dropout(1.5), ValueError, "[0, 1)"),
    ("dropout-string", lambda t: bp.nn.Dropout("half"), TypeError, "number"),
    ("gelu-mode", lambda t: bp.nn.GELU("fast"), ValueError, "'tanh', 'none'"),
    ("mlp-int-sizes", lambda t: bp.nn.MLP(2, 3), TypeError, "list of layer widths"),
    ("mlp-zero-width", lambda t: bp.nn.MLP(2, [4, 0]), ValueError, "layer_sizes[1]"),
    ("mlp-no-layers", lambda t: bp.nn.MLP(2, []), ValueError, "at least one"),
    ("scalar-mlp-fraction", lambda t: bp.nn.ScalarMLP(2, [2.5]), TypeError, "whole number"),
    ("neuron-zero", lambda t: bp.nn.Neuron(0), ValueError, "n_in"),
    ("layer-zero", lambda t: bp.nn.Layer(2, 0), ValueError, "n_out"),
    # ------------------------------------------------------------ data and the training loop
    ("loader-lists", lambda t: [tuple(b.shape for b in batch) for batch in
                                bp.data.DataLoader(([[1, 2], [3, 4], [5, 6]], [0, 1, 0]), batch_size=2, shuffle=False)],
     OK, lambda r: r == [((2, 2), (2,)), ((1, 2), (1,))]),
    ("loader-ragged", lambda t: bp.data.DataLoader(([[1, 2], [3]], [0, 1])), ValueError, "ragged"),
    ("loader-lengths", lambda t: bp.data.DataLoader(([1, 2, 3], [0, 1])), ValueError, "different lengths"),
    ("loader-dict", lambda t: bp.data.DataLoader({"x": np.ones(3)}), TypeError, "tuple"),
    ("loader-number", lambda t: bp.data.DataLoader(5), TypeError, "got int"),
    ("loader-0d", lambda t: bp.data.DataLoader(np.array(3.0)), ValueError, "single number"),
    ("loader-batch-zero", lambda t: bp.data.DataLoader(np.ones(3), batch_size=0), ValueError, "batch_size"),
    ("loader-seed-fraction", lambda t: bp.data.DataLoader(np.ones(3), seed=1.5), TypeError, "seed"),
    ("loader-none-column", lambda t: bp.data.DataLoader(([None, 1.0], [0, 1])), TypeError, "holds"),
    ("fit-empty-loader", lambda t: fit([]), ValueError, "no batches"),
    ("fit-drop-last-empty", lambda t: fit(bp.data.DataLoader((np.ones((3, 2)), [0, 1, 0]), batch_size=8,
                                                             drop_last=True)), ValueError, "no batches"),
    ("fit-epochs-fraction", lambda t: fit(bp.data.DataLoader((np.ones((3, 2)), [0, 1, 0])), epochs=2.5),
     ValueError, "whole number"),
    ("fit-nan-inputs", lambda t: fit(bp.data.DataLoader(moons_with_nan("X"), batch_size=5)), ValueError,
     "not with the learning rate"),
    ("fit-nan-targets", lambda t: fit(bp.data.DataLoader(moons_with_nan("y"), batch_size=5),
                                      model=bp.nn.MLP(2, [1], seed=0), loss=bp.losses.mse), ValueError, "targets"),
    ("fit-nan-validation", lambda t: fit(bp.data.DataLoader(bp.data.make_moons(20, seed=0)),
                                         val_data=moons_with_nan("X")), ValueError, "validation data"),
    ("fit-nan-batch-generic", lambda t: fit([moons_with_nan("X")]).stopped, OK, lambda r: "not with the learning" in r),
    ("fit-generator", lambda t: fit((b for b in [(np.ones((2, 2)), [0, 1])]), epochs=2), ValueError, "generator"),
    ("fit-arrays-not-loader", lambda t: fit((np.ones((2, 2)), np.array([0, 1]))), TypeError, "DataLoader((X, y)"),
    ("fit-val-data-not-pair", lambda t: fit(bp.data.DataLoader((np.ones((2, 2)), [0, 1])), val_data=np.ones(2)),
     TypeError, "pair"),
    ("fit-swapped", lambda t: bp.train.fit(mlp(), bp.losses.cross_entropy, [], opt()), TypeError, "optimizer"),
    # ------------------------------------------------------------ scalar mode
    ("value-pow-overflow", lambda t: bp.Value(10.0) ** 400, OverflowError, "too large for a float"),
    ("value-pow-value-overflow", lambda t: bp.Value(2.0) ** bp.Value(2000.0), OverflowError, "too large"),
    ("number-pow-value-overflow", lambda t: 2.0 ** bp.Value(2000.0), OverflowError, "too large"),
    ("value-none", lambda t: bp.Value(None), TypeError, "real number"),
    ("value-backward-nan", lambda t: bp.Value(1.0).backward(math.nan), ValueError, "NaN"),
    # ------------------------------------------------------------ saving and loading
    ("save-swapped", lambda t: bp.save(str(t / "w.npz"), mlp()), TypeError, "swapped"),
    ("load-swapped", lambda t: bp.load(saved(t), mlp()), TypeError, "swapped"),
    ("save-not-a-path", lambda t: bp.save(mlp(), 3), TypeError, "file name"),
    ("save-not-a-model", lambda t: bp.save({"w": np.ones(2)}, t / "w.npz"), TypeError, "bp.nn.Module"),
    ("save-folder", lambda t: bp.save(mlp(), t), IsADirectoryError, "is a folder"),
    ("save-missing-folder", lambda t: bp.save(mlp(), t / "no" / "w.npz"), FileNotFoundError, "does not exist"),
    ("save-nan-weights", lambda t: bp.save(_nan_model(), t / "w.npz"),
     ValueError, "NaN or inf"),
    ("load-missing", lambda t: load(t / "missing.npz"), FileNotFoundError, "No weights file"),
    ("load-folder", lambda t: load(t), IsADirectoryError, "is a folder"),
    ("load-empty", lambda t: load(_write(t, b"")), ValueError, "is empty"),
    ("load-text", lambda t: load(_write(t, b"hello")), ValueError, "not a weights file"),
    ("load-npy", lambda t: load(_write(t, npy(np.ones(3)))), ValueError, "single NumPy array"),
    ("load-pickle", lambda t: load(write_zip(t, good_entries({"layers.0.weight.npy": npy(np.array([object()]))}))),
     ValueError, "Python objects"),
    ("load-huge-header", lambda t: load(write_zip(t, good_entries({"layers.0.weight.npy": npy(
        header={"descr": "<f8", "fortran_order": False, "shape": (10**12, 10**6)})}))), ValueError, "shape of"),
    ("load-short-data", lambda t: load(write_zip(t, good_entries({"layers.0.weight.npy": npy(
        header={"descr": "<f4", "fortran_order": False, "shape": (3, 2)}, body=b"\0" * 4)}))), ValueError, "damaged"),
    ("load-not-npy-member", lambda t: load(write_zip(t, good_entries({"notes.txt": b"hi"}))), ValueError, "not a .npy"),
    ("load-complex", lambda t: load(write_zip(t, good_entries({"layers.0.bias.npy": npy(np.ones(3, complex))}))),
     ValueError, "complex"),
    ("load-nan", lambda t: load(write_zip(t, good_entries({"layers.0.bias.npy": npy(np.full(3, np.nan))}))),
     ValueError, "NaN"),
    ("load-unexpected", lambda t: load(write_zip(t, good_entries({"extra.npy": npy(np.ones(2))}))), ValueError,
     "unexpected: extra"),
    ("load-other-model", lambda t: bp.load(bp.nn.MLP(2, [5, 2]), saved(t)), ValueError, "do not fit this MLP"),
    # ------------------------------------------------------------ data changed between forward and backward
    ("inplace-write", lambda t: changed_in_place(lambda w: w.data.__setitem__(slice(None), 0.0)), RuntimeError,
     "changed after the forward pass"),
    ("inplace-assign", lambda t: changed_in_place(lambda w: setattr(w, "data", np.zeros(2, np.float32))),
     RuntimeError, "changed after the forward pass"),
    ("inplace-numpy", lambda t: changed_in_place(lambda w: w.numpy().__setitem__(0, 9.0)), RuntimeError, "Mul saved"),
    ("inplace-restored", lambda t: changed_in_place(lambda w: (w.data.__iadd__(1.0), w.data.__isub__(1.0))), OK,
     lambda r: r is None),
    ("inplace-read-only", lambda t: changed_in_place(lambda w: w.data.sum()), OK, lambda r: r is None),
    ("optimizer-steps-are-fine", lambda t: train_steps(), OK, math.isfinite),
    # ------------------------------------------------------------ widgets and exercises
    ("flow-depth", lambda t: widgets.GradientFlowExplorer(depth=50), ValueError, "between 1 and 30"),
    ("flow-activation", lambda t: widgets.GradientFlowExplorer(activation="elu"), ValueError, "'sigmoid'"),
    ("flow-init", lambda t: widgets.GradientFlowExplorer(init="zeros"), ValueError, "init"),
    ("dashboard-lr", lambda t: widgets.TrainingDashboard(lr=5.0), ValueError, "lr"),
    ("dashboard-dataset", lambda t: widgets.TrainingDashboard("iris"), ValueError, "'moons'"),
    ("dashboard-hidden", lambda t: widgets.TrainingDashboard(hidden=16), TypeError, "hidden"),
    ("dashboard-redraw", lambda t: widgets.TrainingDashboard(redraw_every=0), ValueError, "redraw_every"),
    ("lr-explorer-steps", lambda t: widgets.LearningRateExplorer(steps=0), ValueError, "steps"),
    ("race-steps", lambda t: widgets.OptimizerRace(steps=-5), ValueError, "steps"),
    ("stepper-nodes", lambda t: widgets.BackwardStepper(bp.Value(1.0), max_nodes=0), ValueError, "max_nodes"),
    ("exercise-tensor", lambda t: bp.exercises.is_correct("03.2", bp.Tensor(0.25)), OK, lambda r: r is True),
    ("exercise-tensor-list", lambda t: bp.exercises.is_correct("06.1", bp.Tensor([4.0, 4.0, 4.0])), OK,
     lambda r: r is True),
    ("exercise-value", lambda t: bp.exercises.is_correct("01.1", bp.Value(math.tanh(0.5))), OK, lambda r: r is True),
    ("exercise-array-row", lambda t: bp.exercises.is_correct("06.1", np.full((1, 3), 4.0)), OK, lambda r: r is True),
    ("exercise-id", lambda t: bp.exercises.check("3.1", 1.0), KeyError, "ids look like"),
]


def _write(tmp, data: bytes, name="file.npz"):
    path = tmp / name
    path.write_bytes(data)
    return path


def _nan_model():
    model = mlp()
    model.layers[0].bias.data = np.full(3, np.nan, np.float32)
    return model


def test_the_catalogue_is_large():
    assert len(CASES) >= 120
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("call, expected, check", [pytest.param(c, e, m, id=i) for i, c, e, m in CASES])
def test_bad_input(call, expected, check, tmp_path):
    if expected is OK:
        assert check(call(tmp_path))
    else:
        with pytest.raises(expected, match=re.escape(check)):
            call(tmp_path)
