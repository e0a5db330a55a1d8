"""Saving and loading weights as ``.npz`` files: plain arrays, never pickled code.

``save`` writes the archive itself, one ``.npy`` entry per parameter as ``np.savez`` does
(so ``np.load`` reads it), but with every name allowed: ``np.savez(f, **state)`` would
take a parameter called ``file`` or ``allow_pickle`` for its own argument.  It writes to a
temporary file beside the target and renames it, so an interrupted save never leaves a
half-written file; the result gets the permissions any new file gets (``0o666`` minus the
umask) or keeps those of the file it replaces.  On any failure the temporary file is
removed and the error names the target.

``load`` is all-or-nothing and reads nothing it has not checked.  It first reads only the
small header of each entry and compares names and shapes with the model, so a hostile
header that claims a huge array allocates nothing; then it reads the data of the entries
the model needs, checks their dtypes and that every value is finite, and only then copies
them into the model.  Pickled data is never read (loading weights can never run code).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zipfile

import numpy as np

from . import backend

__all__ = ["save", "load"]

_MAGIC = b"\x93NUMPY"


def _is_module(x) -> bool:
    return hasattr(x, "state_dict") and hasattr(x, "load_state_dict")


def _check_arguments(module, path, what: str, file_method: str):
    is_path = isinstance(path, (str, bytes, os.PathLike)) or hasattr(path, file_method)
    if _is_module(path) and (isinstance(module, (str, bytes, os.PathLike)) or hasattr(module, file_method)):
        raise TypeError(f"The arguments of bp.{what} are swapped: write bp.{what}(model, {module!r}) "
                        "(the model first, then the file).")
    if not _is_module(module):
        raise TypeError(f"bp.{what} needs a bp.nn.Module first: bp.{what}(model, path); got "
                        f"{type(module).__name__}.")
    if not is_path:
        raise TypeError(f"bp.{what} needs a file name (a str or pathlib.Path) after the model; got "
                        f"{type(path).__name__}.")
    if hasattr(path, file_method):
        return path, repr(getattr(path, "name", "the file object"))
    path = os.fsdecode(os.fspath(path))
    if not path:
        raise ValueError(f"bp.{what} got an empty file name.")
    return path, repr(path)


# ---------------------------------------------------------------- save


def save(module, path) -> None:
    """Write ``module.state_dict()`` to ``path`` (an ``.npz`` file), atomically."""
    path, label = _check_arguments(module, path, "save", "write")
    state = module.state_dict()
    bad = sorted(name for name, array in state.items() if not bool(np.isfinite(array).all()))
    if bad:
        raise ValueError(f"Not saving {label}: {', '.join(bad)} contain NaN or inf (did training "
                         "diverge?). bp.load would refuse such a file; fix the model or save an "
                         "earlier copy.")
    if not isinstance(path, str):  # an open binary file: write into it directly
        _write_npz(path, state)
        return
    target = os.path.realpath(path)  # through a symbolic link, as np.savez writes
    if os.path.isdir(target):
        raise IsADirectoryError(f"Cannot save the weights to {label}: it is a folder. Give a file "
                                f"name, e.g. {os.path.join(path, 'model.npz')!r}.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".backproplab-", suffix=".npz.tmp",
                                   dir=os.path.dirname(target))
    except OSError as exc:
        raise _save_error(exc, label, os.path.dirname(target)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, state)
            f.flush()
            os.fsync(f.fileno())  # the rename must not overtake the data on a crash
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(exc, OSError):
            raise _save_error(exc, label, os.path.dirname(target)) from None
        raise


def _write_npz(f, state: dict) -> None:
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in state.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, backend.to_host(array), allow_pickle=False)


def _new_file_mode(target: str) -> int:
    """The mode np.savez's open() would give: the replaced file's, or 0o666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _save_error(exc: OSError, label: str, folder: str) -> OSError:
    if isinstance(exc, FileNotFoundError) and not os.path.isdir(folder):
        reason = f"the folder {folder!r} does not exist (create it first: os.makedirs)"
    elif isinstance(exc, PermissionError):
        reason = f"no permission to write there ({folder!r})"
    else:
        reason = exc.strerror or str(exc)
    error = type(exc)(f"Cannot save the weights to {label}: {reason}.")
    error.errno = exc.errno
    return error


# ---------------------------------------------------------------- load


def load(module, path):
    """Load weights saved by ``save`` into ``module`` (in place) and return the module.

    Raises ``ValueError`` listing every missing, unexpected, mis-shaped, mistyped or
    non-finite entry, and leaves the model unchanged; any file that is not a weights file
    gets an error naming it.
    """
    path, label = _check_arguments(module, path, "load", "read")
    if not isinstance(path, str):
        return _load_from(module, path, label)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"No weights file at {label}.") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{label} is a folder, not a weights file.") from None
    except PermissionError:
        raise PermissionError(f"Cannot read {label}: permission denied.") from None
    with f:
        return _load_from(module, f, label)


def _not_weights(label: str, why: str) -> ValueError:
    return ValueError(f"{label} is not a weights file written by bp.save: {why}.")


def _load_from(module, f, label: str):
    head = f.read(len(_MAGIC))
    f.seek(0)
    if not head:
        raise _not_weights(label, "it is empty (was a save interrupted?)")
    if head == _MAGIC:
        raise _not_weights(label, "it holds a single NumPy array (.npy), not named weights (.npz)")
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_weights(label, f"it is not an .npz archive ({exc})") from None
    with archive:
        entries = _read_headers(archive, label)
        problems = module._state_problems({name: e[1] for name, e in entries.items()})
        if problems:
            raise ValueError(f"The weights in {label} do not fit this {type(module).__name__}:\n  "
                             + "\n  ".join(sorted(problems)))
        state = {name: _read_data(archive, label, name, *entry) for name, entry in entries.items()}
    try:
        module.load_state_dict(state)
    except ValueError as exc:  # dtypes or values: name the file
        message = str(exc).replace("The weights do not", f"The weights in {label} do not", 1)
        raise ValueError(message) from None
    return module


def _read_headers(archive, label: str) -> dict:
    """``{name: (info, shape, fortran_order, dtype, header_size)}`` read from headers only."""
    entries = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        if not info.filename.endswith(".npy"):
            raise _not_weights(label, f"it holds {info.filename!r}, which is not a .npy array")
        name = info.filename[:-4]
        if name in entries:
            raise _not_weights(label, f"it holds {name!r} twice")
        try:
            with archive.open(info) as entry:
                version = np.lib.format.read_magic(entry)
                if version not in ((1, 0), (2, 0)):
                    raise ValueError(f"unsupported .npy version {version}")
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = read_header(entry, max_header_size=10000)
                header_size = entry.tell()
        except (ValueError, OSError, EOFError, RuntimeError, SyntaxError, zipfile.BadZipFile,
                NotImplementedError) as exc:
            raise _not_weights(label, f"the entry {name!r} is damaged ({exc})") from None
        if dtype.hasobject:
            raise _not_weights(label, f"the entry {name!r} holds Python objects (pickled data), "
                                      "which bp.load never reads")
        if dtype.kind not in "fiu" or dtype.shape:
            raise _not_weights(label, f"the entry {name!r} has dtype {dtype}; weights are real numbers")
        entries[name] = (info, shape, fortran, dtype, header_size)
    return entries


def _read_data(archive, label, name, info, shape, fortran, dtype, header_size):
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if info.file_size != header_size + nbytes:  # checked before reading: no huge allocation
        raise _not_weights(label, f"the entry {name!r} is damaged (its size does not match the "
                                  f"shape {shape} it claims)")
    try:
        with archive.open(info) as entry:
            entry.read(header_size)
            data = entry.read(nbytes)
            entry.read(1)  # reach the end, where zipfile checks the CRC
    except (OSError, EOFError, RuntimeError, zipfile.BadZipFile) as exc:
        raise _not_weights(label, f"the entry {name!r} is damaged ({exc})") from None
    if len(data) != nbytes:
        raise _not_weights(label, f"the entry {name!r} is cut short")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
