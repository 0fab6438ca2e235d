"""The Live2D Cubism Core C API (Cubism 3+ `.moc3`), reached through ctypes in live2d-py's extension module.

live2d-py 1.0.0's `_live2d` extension links the Cubism Core statically and exports every `csm*` symbol, so the
moc can be revived, parameters set and the model updated with no OpenGL at all; ids, part hierarchy, draw and
render orders, opacities, masks, UVs, indices and deformed vertices are read straight from Core's arrays.
(Facts recorded in `docs/live2d-facts.md` §1.4; this is our own binding.)

Import order matters for live2d-py (its statically linked std::filesystem must bind before Mesa's libstdc++
is loaded), so the extension is imported with RTLD_LOCAL before any GL context exists.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
from collections.abc import Iterator
from ctypes import POINTER, c_char_p, c_float, c_int, c_uint, c_ushort, c_void_p
from functools import lru_cache
from typing import Any

import numpy as np

from seethrough.core.errors import BadInput

MOC_ALIGN, MODEL_ALIGN = 64, 16
_LIBC = ctypes.CDLL(None)


class Vector2(ctypes.Structure):
    _fields_ = [("x", c_float), ("y", c_float)]


class Vector4(ctypes.Structure):
    _fields_ = [("x", c_float), ("y", c_float), ("z", c_float), ("w", c_float)]


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """live2d-py prints a banner on import and the Core its version (from C) on first use: keep stdout clean for
    `--json` output by pointing file descriptor 1 at /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        sys.stdout.flush()
        _LIBC.fflush(None)  # C-level printf output is buffered: flush it while fd 1 still points at /dev/null
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


#: Cubism 5.3 (moc version 6): per-drawable blend modes and part offscreens, read when the Core has them
OPTIONAL_SIG: dict[str, tuple[Any, list[Any]]] = {
    "csmGetDrawableBlendModes": (POINTER(c_int), [c_void_p]),
    "csmGetOffscreenCount": (c_int, [c_void_p]),
    "csmGetOffscreenOwnerIndices": (POINTER(c_int), [c_void_p]),
    "csmGetOffscreenBlendModes": (POINTER(c_int), [c_void_p]),
}


@lru_cache(maxsize=1)
def core_library() -> ctypes.CDLL:
    flags = sys.getdlopenflags()
    try:
        sys.setdlopenflags(os.RTLD_NOW | os.RTLD_LOCAL)
        with quiet_stdout():
            import live2d  # noqa: F401 - the import that must happen with local symbol binding
            from live2d import _live2d
    except ImportError as exc:
        raise BadInput(f"live2d-py is not installed or cannot load: {exc}") from exc
    finally:
        sys.setdlopenflags(flags)
    lib = ctypes.CDLL(_live2d.__file__)
    sig = {
        "csmGetVersion": (c_uint, []),
        "csmGetLatestMocVersion": (c_uint, []),
        "csmGetMocVersion": (c_uint, [c_void_p, c_uint]),
        "csmHasMocConsistency": (c_int, [c_void_p, c_uint]),
        "csmReviveMocInPlace": (c_void_p, [c_void_p, c_uint]),
        "csmGetSizeofModel": (c_uint, [c_void_p]),
        "csmInitializeModelInPlace": (c_void_p, [c_void_p, c_void_p, c_uint]),
        "csmUpdateModel": (None, [c_void_p]),
        "csmReadCanvasInfo": (None, [c_void_p, POINTER(Vector2), POINTER(Vector2), POINTER(c_float)]),
        "csmGetParameterCount": (c_int, [c_void_p]),
        "csmGetParameterIds": (POINTER(c_char_p), [c_void_p]),
        "csmGetParameterMinimumValues": (POINTER(c_float), [c_void_p]),
        "csmGetParameterMaximumValues": (POINTER(c_float), [c_void_p]),
        "csmGetParameterDefaultValues": (POINTER(c_float), [c_void_p]),
        "csmGetParameterValues": (POINTER(c_float), [c_void_p]),
        "csmGetPartCount": (c_int, [c_void_p]),
        "csmGetPartIds": (POINTER(c_char_p), [c_void_p]),
        "csmGetPartOpacities": (POINTER(c_float), [c_void_p]),
        "csmGetPartParentPartIndices": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableCount": (c_int, [c_void_p]),
        "csmGetDrawableIds": (POINTER(c_char_p), [c_void_p]),
        "csmGetDrawableConstantFlags": (POINTER(ctypes.c_ubyte), [c_void_p]),
        "csmGetDrawableDynamicFlags": (POINTER(ctypes.c_ubyte), [c_void_p]),
        "csmGetDrawableTextureIndices": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableDrawOrders": (POINTER(c_int), [c_void_p]),
        "csmGetRenderOrders": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableOpacities": (POINTER(c_float), [c_void_p]),
        "csmGetDrawableMaskCounts": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableMasks": (POINTER(POINTER(c_int)), [c_void_p]),
        "csmGetDrawableVertexCounts": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableVertexPositions": (POINTER(POINTER(Vector2)), [c_void_p]),
        "csmGetDrawableVertexUvs": (POINTER(POINTER(Vector2)), [c_void_p]),
        "csmGetDrawableIndexCounts": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableIndices": (POINTER(POINTER(c_ushort)), [c_void_p]),
        "csmGetDrawableParentPartIndices": (POINTER(c_int), [c_void_p]),
        "csmGetDrawableMultiplyColors": (POINTER(Vector4), [c_void_p]),
        "csmGetDrawableScreenColors": (POINTER(Vector4), [c_void_p]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    for name, (restype, argtypes) in OPTIONAL_SIG.items():
        if hasattr(lib, name):  # a Core older than 5.3 has none of these
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
    return lib


def _aligned(size: int, alignment: int) -> tuple[ctypes.Array, int]:
    """A zeroed buffer and the address of its first `alignment`-aligned byte (Core needs aligned memory)."""
    buffer = (ctypes.c_ubyte * (size + alignment))()
    address = ctypes.addressof(buffer)
    return buffer, address + (-address % alignment)


class CoreModel:
    """One instantiated moc3 model. Arrays returned are copies (Core may rewrite its own on update)."""

    def __init__(self, moc_bytes: bytes, name: str = "model") -> None:
        with quiet_stdout():
            self._init(moc_bytes, name)

    def _init(self, moc_bytes: bytes, name: str) -> None:
        lib = self.lib = core_library()
        self._moc_buffer, moc_address = _aligned(len(moc_bytes), MOC_ALIGN)
        ctypes.memmove(moc_address, moc_bytes, len(moc_bytes))
        version = lib.csmGetMocVersion(moc_address, len(moc_bytes))
        latest = lib.csmGetLatestMocVersion()
        if version == 0 or version > latest:
            raise BadInput(f"{name}: unsupported or damaged .moc3 (moc version {version}, this Core reads ≤ {latest})")
        if not lib.csmHasMocConsistency(moc_address, len(moc_bytes)):
            raise BadInput(f"{name}: the .moc3 file is damaged (consistency check failed)")
        self._moc = lib.csmReviveMocInPlace(moc_address, len(moc_bytes))
        if not self._moc:
            raise BadInput(f"{name}: the .moc3 file could not be read")
        size = lib.csmGetSizeofModel(self._moc)
        self._model_buffer, model_address = _aligned(size, MODEL_ALIGN)
        self.handle = lib.csmInitializeModelInPlace(self._moc, model_address, size)
        if not self.handle:
            raise BadInput(f"{name}: the model could not be initialised")
        self.moc_version = int(version)
        self.update()

    # --- scalar info ---------------------------------------------------------------------------------------
    def canvas(self) -> tuple[tuple[float, float], tuple[float, float], float]:
        """(size in pixels (w, h), origin in pixels (x, y), pixels per unit)."""
        size, origin, ppu = Vector2(), Vector2(), c_float()
        self.lib.csmReadCanvasInfo(self.handle, ctypes.byref(size), ctypes.byref(origin), ctypes.byref(ppu))
        return (size.x, size.y), (origin.x, origin.y), float(ppu.value)

    def update(self) -> None:
        with quiet_stdout():  # the Core logs its version on the first update
            self.lib.csmUpdateModel(self.handle)

    # --- arrays ---------------------------------------------------------------------------------------------
    def _ids(self, fn: str, count: int) -> list[str]:
        ptr = getattr(self.lib, fn)(self.handle)
        return [ptr[i].decode("utf-8", "replace") for i in range(count)]

    def _array(self, fn: str, count: int, dtype: type) -> np.ndarray:
        ptr = getattr(self.lib, fn)(self.handle)
        return np.ctypeslib.as_array(ptr, shape=(count,)).astype(dtype).copy() if count else np.zeros(0, dtype)

    @property
    def parameter_count(self) -> int:
        return int(self.lib.csmGetParameterCount(self.handle))

    @property
    def part_count(self) -> int:
        return int(self.lib.csmGetPartCount(self.handle))

    @property
    def drawable_count(self) -> int:
        return int(self.lib.csmGetDrawableCount(self.handle))

    def parameter_ids(self) -> list[str]:
        return self._ids("csmGetParameterIds", self.parameter_count)

    def parameter_ranges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.parameter_count
        return (self._array("csmGetParameterMinimumValues", n, np.float32),
                self._array("csmGetParameterMaximumValues", n, np.float32),
                self._array("csmGetParameterDefaultValues", n, np.float32))

    def parameter_values(self) -> np.ndarray:
        return self._array("csmGetParameterValues", self.parameter_count, np.float32)

    def set_parameter_values(self, values: np.ndarray) -> None:
        ptr = self.lib.csmGetParameterValues(self.handle)
        for i, v in enumerate(np.asarray(values, np.float32)):
            ptr[i] = float(v)

    def part_ids(self) -> list[str]:
        return self._ids("csmGetPartIds", self.part_count)

    def part_parents(self) -> np.ndarray:
        return self._array("csmGetPartParentPartIndices", self.part_count, np.int32)

    def part_opacities(self) -> np.ndarray:
        return self._array("csmGetPartOpacities", self.part_count, np.float32)

    def set_part_opacities(self, values: np.ndarray) -> None:
        ptr = self.lib.csmGetPartOpacities(self.handle)
        for i, v in enumerate(np.asarray(values, np.float32)):
            ptr[i] = float(v)

    def drawable_ids(self) -> list[str]:
        return self._ids("csmGetDrawableIds", self.drawable_count)

    def drawable_ints(self, fn: str) -> np.ndarray:
        return self._array(fn, self.drawable_count, np.int32)

    def drawable_opacities(self) -> np.ndarray:
        return self._array("csmGetDrawableOpacities", self.drawable_count, np.float32)

    def drawable_flags(self, dynamic: bool = False) -> np.ndarray:
        fn = "csmGetDrawableDynamicFlags" if dynamic else "csmGetDrawableConstantFlags"
        return self._array(fn, self.drawable_count, np.uint8)

    def blend_modes(self) -> np.ndarray | None:
        """Each drawable's blend code (colour blend in the low byte, alpha blend in the next); None when the Core
        predates Cubism 5.3 (the constant flags then say additive or multiply)."""
        if not hasattr(self.lib, "csmGetDrawableBlendModes"):
            return None
        return self.drawable_ints("csmGetDrawableBlendModes")

    def offscreens(self) -> list[tuple[int, int]]:
        """(owner part index, blend code) of every part drawn into an offscreen of its own (Cubism 5.3)."""
        if not hasattr(self.lib, "csmGetOffscreenCount"):
            return []
        count = int(self.lib.csmGetOffscreenCount(self.handle))
        owners = self._array("csmGetOffscreenOwnerIndices", count, np.int32)
        codes = self._array("csmGetOffscreenBlendModes", count, np.int32)
        return [(int(o), int(c)) for o, c in zip(owners, codes)]

    def render_orders(self) -> np.ndarray:
        return self._array("csmGetRenderOrders", self.drawable_count, np.int32)

    def masks(self) -> list[list[int]]:
        counts = self.drawable_ints("csmGetDrawableMaskCounts")
        ptr = self.lib.csmGetDrawableMasks(self.handle)
        return [[int(ptr[i][j]) for j in range(counts[i])] for i in range(self.drawable_count)]

    def vertices(self, index: int) -> np.ndarray:
        """Deformed vertex positions of one drawable in model units, (n, 2)."""
        count = int(self.lib.csmGetDrawableVertexCounts(self.handle)[index])
        ptr = self.lib.csmGetDrawableVertexPositions(self.handle)[index]
        return np.ctypeslib.as_array(ctypes.cast(ptr, POINTER(c_float)), shape=(count * 2,)).reshape(-1, 2).copy()

    def uvs(self, index: int) -> np.ndarray:
        count = int(self.lib.csmGetDrawableVertexCounts(self.handle)[index])
        ptr = self.lib.csmGetDrawableVertexUvs(self.handle)[index]
        return np.ctypeslib.as_array(ctypes.cast(ptr, POINTER(c_float)), shape=(count * 2,)).reshape(-1, 2).copy()

    def colors(self, screen: bool = False) -> np.ndarray:
        """Per-drawable multiply (or screen) colours at the current pose, (n, 4) RGBA."""
        fn = "csmGetDrawableScreenColors" if screen else "csmGetDrawableMultiplyColors"
        n = self.drawable_count
        if n == 0:
            return np.zeros((0, 4), np.float32)
        ptr = ctypes.cast(getattr(self.lib, fn)(self.handle), POINTER(c_float))
        return np.ctypeslib.as_array(ptr, shape=(n * 4,)).reshape(n, 4).astype(np.float32)

    def geometry(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The `annotation.model.Runtime` view: vertices in canvas pixels (y down), UVs (v up), triangles."""
        _, origin, ppu = self.canvas()
        v = self.vertices(index)
        pixels = np.stack([origin[0] + v[:, 0] * ppu, origin[1] - v[:, 1] * ppu], axis=1)
        return pixels, self.uvs(index), self.indices(index)

    def indices(self, index: int) -> np.ndarray:
        count = int(self.lib.csmGetDrawableIndexCounts(self.handle)[index])
        if count == 0:
            return np.zeros((0, 3), np.int32)
        ptr = self.lib.csmGetDrawableIndices(self.handle)[index]
        return np.ctypeslib.as_array(ptr, shape=(count,)).astype(np.int32).reshape(-1, 3)
