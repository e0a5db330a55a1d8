"""How a Tensor behaves as a Python number and as a sequence, as in PyTorch.

A one-element tensor acts as its number: ``if loss > 0.5:``, ``float(loss)``, ``int(n)``,
``f"{loss:.3f}"``, ``items[index_tensor]``.  A tensor with several elements refuses to
guess: its truth value is an error that says to use ``.any()`` or ``.all()``, as are
``float()`` and ``int()``.  ``len()`` and ``for`` go over the first axis and refuse a 0-d
tensor.  ``np.asarray(x)`` gives the data of a CPU tensor; a GPU tensor must be copied
explicitly with ``.numpy()``.  ``x[...] = v`` is refused: tensors change only by new ops.
"""

from __future__ import annotations

__all__ = ["PythonProtocols"]


class PythonProtocols:
    """Mixed into ``Tensor``: Python's number and sequence protocols."""

    __slots__ = ()

    def __bool__(self):
        if self.size != 1:
            raise RuntimeError(f"The truth value of a tensor with {self.size} elements (shape "
                               f"{self.shape}) is ambiguous. Use .any() (is any element true?) or "
                               ".all() (are all true?), e.g. if (x > 0.5).all(): ...")
        return bool(self._host_number())

    def __float__(self): return float(self._one_number("float()"))
    def __int__(self): return int(self._one_number("int()"))

    def __index__(self):
        if self.dtype.kind not in "iu" or self.size != 1:
            raise TypeError("Only integer tensors with one element can be used as an index; this "
                            f"one has dtype {self.dtype} and shape {self.shape}.")
        return int(self.item())

    def _one_number(self, what: str):
        if self.size != 1:
            raise ValueError(f"{what} needs a tensor with one element; this one has shape {self.shape}. "
                             "Reduce it first (.sum(), .mean()) or use .tolist() for every value.")
        return self._host_number()

    def _host_number(self):
        """The one value, read from the device through ``backend.to_host`` (queued checks first)."""
        from . import backend

        return backend.to_host(self._data.reshape(())).item()

    def __format__(self, spec: str) -> str:
        if self.size == 1:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise TypeError(f"The format {spec!r} needs a tensor with one element; this one has shape "
                        f"{self.shape}. Format its values one by one (.tolist()).")

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a single number); use .item() for its value.")
        return len(self._data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("Iteration over a 0-d tensor (a single number); use .item() for its value.")
        return (self[i] for i in range(len(self._data)))

    def __contains__(self, value) -> bool:
        return bool((self == value).any())

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":  # moving data off the GPU is always explicit
            raise TypeError("This tensor is on the GPU; NumPy cannot read it directly. Copy it to "
                            "the host with .numpy() (or .to('cpu')).")
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __setitem__(self, index, value):
        raise TypeError("Tensors are not changed in place with x[...] = ...: an op that saved x "
                        "would compute a wrong gradient. Build a new tensor (bp.where(mask, new, x), "
                        "bp.concatenate), or change the array before the forward pass: "
                        "x.data[...] = ...")
