"""Why CuPy can or cannot use a GPU here, in words that say what is missing.

CuPy needs three things besides itself: an NVIDIA driver that sees a GPU, the CUDA libraries
(NVRTC compiles its kernels at run time, cuBLAS multiplies matrices, cuRAND draws random
numbers), and a driver new enough for those libraries.  The ``gpu`` extra installs the
libraries from PyPI (``cupy-cuda12x[ctk]``); only the driver must come with the machine.
``diagnose`` tries one small thing per part, in that order, and names the first part that
fails.  It receives the ``cupy`` module rather than importing it: only ``backend.py`` does.
"""

from __future__ import annotations

__all__ = ["diagnose", "INSTALL", "DRIVER"]

INSTALL = ('pip install -e ".[gpu]" (CuPy for CUDA 12 with the CUDA libraries, from PyPI: '
           'cupy-cuda12x[ctk]), or install the CUDA 12 toolkit and set CUDA_PATH')
DRIVER = ("install or update the NVIDIA driver (nvidia-smi shows it; CUDA 12 needs version 525 "
          "or newer)")
_MISSING_LIBRARY = ("not found", "cannot open shared object", "dynamiclibnotfound", "cuda_path",
                    "no such file", "failed to load", "could not find")


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."


def _driver(cupy) -> str:
    count = cupy.cuda.runtime.getDeviceCount()
    if count < 1:
        raise RuntimeError("the driver reports 0 CUDA devices")
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props.get("name", b"GPU")
    return f"{count} CUDA device(s), the first a {name.decode() if isinstance(name, bytes) else name}"


def _kernel(cupy) -> None:
    if float((cupy.arange(3, dtype=cupy.float32) * 2).sum()) != 6.0:
        raise RuntimeError("a test kernel computed a wrong result")


def _matmul(cupy) -> None:
    a = cupy.ones((2, 2), dtype=cupy.float32)
    if float((a @ a).sum()) != 8.0:
        raise RuntimeError("a test matrix product computed a wrong result")


def _random(cupy) -> None:
    values = cupy.random.default_rng(0).random(4, dtype=cupy.float32)
    if not 0.0 <= float(values.min()) <= float(values.max()) < 1.0:
        raise RuntimeError("test random numbers fell outside [0, 1)")


_STEPS = (
    ("the NVIDIA driver and a GPU", _driver),
    ("NVRTC, the CUDA compiler CuPy builds its kernels with", _kernel),
    ("cuBLAS, the CUDA library for matrix products", _matmul),
    ("CuPy's random numbers (cuRAND)", _random),
)


def _advice(part: str, exc: BaseException, cupy) -> str:
    text = str(exc).lower()
    if any(marker in text for marker in _MISSING_LIBRARY):
        return f"A CUDA library is missing: {INSTALL}."
    if "insufficientdriver" in text or "driver version is insufficient" in text:
        try:
            version = cupy.cuda.runtime.driverGetVersion()
        except Exception:  # noqa: BLE001 - without a driver this fails too
            version = 0
        if version == 0:
            return f"No NVIDIA driver is installed or loaded: {DRIVER}."
        return (f"The NVIDIA driver supports CUDA {version // 1000}.{version % 1000 // 10}, older than "
                f"CuPy's CUDA libraries: {DRIVER}.")
    if "nodevice" in text or "no cuda-capable device" in text or "0 cuda devices" in text:
        return ("The NVIDIA driver sees no GPU: is one attached to this machine (or passed into the "
                "container)? nvidia-smi lists them.")
    if part.startswith("the NVIDIA driver"):
        return f"Check the driver: {DRIVER}."
    return f"If a CUDA library is missing or too old: {INSTALL}."


def diagnose(cupy) -> tuple[bool, str]:
    """``(usable, reason)`` for the ``cupy`` module given: the first missing part, and its fix."""
    try:
        available = cupy.is_available()
    except Exception as exc:  # noqa: BLE001 - CUDA errors come in many types
        available, first_error = False, exc
    else:
        first_error = None
    found = ""
    for part, step in _STEPS:
        try:
            result = step(cupy)
        except Exception as exc:  # noqa: BLE001
            return False, (f"CuPy {getattr(cupy, '__version__', '')} is installed, but {part} "
                           f"failed ({_short(exc)}). {_advice(part, exc, cupy)}")
        if part.startswith("the NVIDIA driver"):
            found = result
    if not available:  # every part worked, yet CuPy says no: report what it said
        return False, f"cupy.is_available() is False ({first_error or 'no reason given'})."
    return True, found
