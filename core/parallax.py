"""The 2.5D preview's motion model: per-layer 2D transforms from a pointer position and time (no Qt).

The preview fakes depth the way Live2D-style rigs do: every layer slides with the pointer by an amount that
depends on its representative depth (near layers move with the pointer, far ones against it, the focus plane
stays put), and three small procedural motions make the character feel alive:

- head sway: the head group (face parts, hair, headwear) rotates and drifts slightly around a neck pivot on a
  slow sine;
- breathing: the torso group scales vertically by ~1 % at ~0.25 Hz, anchored at the waist, and lifts the head
  by the same amount so the neck stays attached;
- hair spring: hair strata do not follow the head rigidly but through a damped second-order spring, so they
  trail behind fast pointer moves and overshoot a little. The spring is integrated with a fixed step, so the
  same sequence of `step(dt)` calls always gives the same pose (tests and recordings are reproducible).

Everything here is plain Python/numpy so that the policy is testable without a display; `app.workspaces.preview`
turns each `LayerTransform` into a QTransform and draws the cached layer images with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from seethrough.core.document import DocumentLike, Layer
from seethrough.core.taxonomy import base_tag, taxonomy

#: tags of the hair strata that get a spring (and also move with the head)
HAIR_TAGS = frozenset({"hair", "front hair", "back hair"})
#: tags that breathe with the chest (scaled around the waist)
TORSO_TAGS = frozenset({"topwear", "neck", "neckwear", "handwear"})
#: fixed integration step of the hair spring (seconds); small enough for stiff springs, cheap enough for 60 Hz
SPRING_STEP = 1.0 / 240.0


def head_tags() -> frozenset[str]:
    """The head group: the V3 head group, the V2 head members, hair and headwear (all sway around the neck)."""
    tax = taxonomy()
    return (
        frozenset(tax.v3_groups.get("head", ()))
        | frozenset(tax.head_members)
        | HAIR_TAGS
        | {
            "head",
            "headwear",
            "eyes",
            "earwear",
        }
    )


@dataclass(frozen=True)
class LayerTransform:
    """Where one layer goes this frame: p' = pivot + R(angle)·S(scale)·(p − pivot) + (dx, dy), canvas pixels.

    `angle` is in degrees, clockwise on screen (y points down), like QTransform.rotate.
    """

    uid: str
    dx: float = 0.0
    dy: float = 0.0
    angle: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    pivot: tuple[float, float] = (0.0, 0.0)

    def affine(self) -> tuple[float, float, float, float, float, float]:
        """(m11, m12, m21, m22, tx, ty) with x' = m11·x + m21·y + tx, y' = m12·x + m22·y + ty (QTransform order)."""
        rad = math.radians(self.angle)
        cos, sin = math.cos(rad), math.sin(rad)
        m11, m21 = cos * self.scale_x, -sin * self.scale_y
        m12, m22 = sin * self.scale_x, cos * self.scale_y
        px, py = self.pivot
        tx = px + self.dx - (m11 * px + m21 * py)
        ty = py + self.dy - (m12 * px + m22 * py)
        return (m11, m12, m21, m22, tx, ty)

    def map(self, x: float, y: float) -> tuple[float, float]:
        m11, m12, m21, m22, tx, ty = self.affine()
        return (m11 * x + m21 * y + tx, m12 * x + m22 * y + ty)

    @property
    def linear_key(self) -> tuple[float, float, float, float, float] | None:
        """What layers must share to be drawn as one batch: None for a pure translation (a cheap blit anyway)."""
        if abs(self.angle) < 1e-9 and abs(self.scale_x - 1) < 1e-12 and abs(self.scale_y - 1) < 1e-12:
            return None
        return (self.angle, self.scale_x, self.scale_y, self.pivot[0], self.pivot[1])

    def pre_shift(self) -> tuple[float, float]:
        """The translation e applied *before* the linear part that gives the same map: d = R·S·e, so e = (R·S)⁻¹·d.

        Layers that share angle, scale and pivot but not (dx, dy) can then be composited into one buffer (each
        shifted by its e) and that buffer drawn once with the shared rotation/scale — one resampling pass instead
        of one per layer.
        """
        rad = math.radians(self.angle)
        cos, sin = math.cos(rad), math.sin(rad)
        # (R·S)⁻¹ = S⁻¹·Rᵀ
        ex = (cos * self.dx + sin * self.dy) / self.scale_x
        ey = (-sin * self.dx + cos * self.dy) / self.scale_y
        return (ex, ey)

    @property
    def is_identity(self) -> bool:
        return (
            abs(self.dx) < 1e-9
            and abs(self.dy) < 1e-9
            and abs(self.angle) < 1e-9
            and abs(self.scale_x - 1) < 1e-12
            and abs(self.scale_y - 1) < 1e-12
        )


@dataclass
class MotionSettings:
    """Knobs of the preview. Amplitudes are small on purpose: the preview shows depth, not animation."""

    strength: float = 0.08  # parallax: displacement per unit depth difference, as a fraction of the canvas
    focus: float = 0.5  # depth that stays still (0.5: the "(0.5 − depth) · strength")
    sway: bool = True
    sway_degrees: float = 2.0
    sway_hz: float = 0.2
    sway_drift: float = 0.004  # sideways drift of the head, fraction of canvas width
    breathing: bool = True
    breath_amount: float = 0.01  # vertical scale amplitude of the torso
    breath_hz: float = 0.25
    hair_spring: bool = True
    spring_hz: float = 2.2  # natural frequency of the nearest hair stratum; farther strata are softer
    spring_damping: float = 0.35  # damping ratio ζ (< 1: a little overshoot)


@dataclass
class RigLayer:
    """What the rig needs to know about one layer (a snapshot, so the rig never holds document pixels)."""

    uid: str
    depth: float
    role: str  # "head", "hair", "torso" or "body"
    visible: bool
    bbox: tuple[int, int, int, int]


@dataclass
class _Spring:
    """Second-order spring state of one hair stratum: its (angle, dx, dy), trailing the rigid head motion."""

    omega: float
    pos: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    vel: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])


def _role(layer: Layer, head: frozenset[str]) -> str:
    tag = base_tag(layer.tag or layer.name)
    if tag in HAIR_TAGS:
        return "hair"
    if tag in head:
        return "head"
    if tag in TORSO_TAGS:
        return "torso"
    return "body"


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


class ParallaxRig:
    """Pose a document's layers for the preview: `rig.pose(pointer=(x, y), t=seconds)`; `rig.step(dt)` animates.

    The rig keeps its own clock `t`, pointer and hair-spring state; `step(dt)` advances all three with a fixed
    integration step (any leftover time is carried to the next call), so the result depends only on the sequence
    of calls, not on wall-clock timing. Call `update_document(doc)` after edits: it refreshes depths, roles and
    pivots but keeps the clock and the springs of layers that still exist.
    """

    def __init__(self, doc: DocumentLike, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self.t = 0.0
        self.pointer: tuple[float, float] = (0.0, 0.0)
        self._acc = 0.0
        self._springs: dict[str, _Spring] = {}
        self._spring_depth: dict[str, float] = {}
        self.layers: list[RigLayer] = []
        self.size = doc.size
        self.neck = (0.0, 0.0)
        self.waist = (0.0, 0.0)
        self.head_depth = self.settings.focus
        self.update_document(doc)

    # --- document ----------------------------------------------------------------------------------
    def update_document(self, doc: DocumentLike) -> None:
        head = head_tags()
        self.size = doc.size
        self.layers = [
            RigLayer(layer.uid, float(layer.depth_value), _role(layer, head), layer.visible, layer.bbox)
            for layer in doc.layers_by_depth()
        ]
        width, height = self.size
        by_role: dict[str, list[RigLayer]] = {}
        for rl in self.layers:
            by_role.setdefault(rl.role, []).append(rl)
        head_box = _union([rl.bbox for rl in by_role.get("head", [])]) or _union(
            [rl.bbox for rl in by_role.get("hair", [])]
        )
        torso_box = _union([rl.bbox for rl in by_role.get("torso", [])])
        # neck pivot: bottom centre of the head parts; waist: bottom centre of the torso
        self.neck = ((head_box[0] + head_box[2]) / 2, float(head_box[3])) if head_box else (width / 2, height * 0.35)
        self.waist = (
            ((torso_box[0] + torso_box[2]) / 2, float(torso_box[3])) if torso_box else (width / 2, height * 0.7)
        )
        head_depths = sorted(rl.depth for rl in by_role.get("head", []) or by_role.get("hair", []))
        self.head_depth = head_depths[len(head_depths) // 2] if head_depths else self.settings.focus
        hair = [rl for rl in self.layers if rl.role == "hair"]  # far → near
        springs: dict[str, _Spring] = {}
        for i, rl in enumerate(hair):
            # nearest stratum stiffest; the farthest has 60 % of its frequency (longer hair behind swings slower)
            frac = 1.0 if len(hair) == 1 else 0.6 + 0.4 * i / (len(hair) - 1)
            omega = 2 * math.pi * self.settings.spring_hz * frac
            old = self._springs.get(rl.uid)
            springs[rl.uid] = _Spring(omega, old.pos, old.vel) if old else self._rest_spring(rl, omega)
        self._springs = springs
        self._spring_depth = {rl.uid: rl.depth for rl in hair}

    def _rest_spring(self, rl: RigLayer, omega: float) -> _Spring:
        return _Spring(omega, list(self._rigid_head(rl.depth, self.pointer, self.t)), [0.0, 0.0, 0.0])

    # --- pure motion terms --------------------------------------------------------------------------
    def parallax(self, depth: float, pointer: tuple[float, float]) -> tuple[float, float]:
        """Pixel offset of a layer at `depth`: (focus − depth) · strength · pointer, scaled to the canvas."""
        s = self.settings
        k = (s.focus - depth) * s.strength * max(self.size)
        return (k * pointer[0], k * pointer[1])

    def breath_scale(self, t: float) -> float:
        s = self.settings
        return 1.0 + (s.breath_amount * math.sin(2 * math.pi * s.breath_hz * t) if s.breathing else 0.0)

    def _breath_lift(self, t: float) -> float:
        """How far the top of the torso (the neck) moves up when the torso scales around the waist."""
        return -(self.waist[1] - self.neck[1]) * (self.breath_scale(t) - 1.0)

    def _sway(self, t: float) -> tuple[float, float]:
        s = self.settings
        if not s.sway:
            return (0.0, 0.0)
        phase = 2 * math.pi * s.sway_hz * t
        return (s.sway_degrees * math.sin(phase), s.sway_drift * self.size[0] * math.sin(phase))

    def _head_motion(self, pointer: tuple[float, float], t: float) -> tuple[float, float, float]:
        """(angle, dx, dy) of the head group: sway + breathing lift + parallax at the head's depth."""
        angle, drift = self._sway(t)
        px, py = self.parallax(self.head_depth, pointer)
        return (angle, drift + px, self._breath_lift(t) + py)

    def _rigid_head(self, depth: float, pointer: tuple[float, float], t: float) -> tuple[float, float, float]:
        """(angle, dx, dy) of a head-group layer at `depth` moving rigidly with the head: own parallax + sway."""
        angle, head_dx, head_dy = self._head_motion(pointer, t)
        px, py = self.parallax(depth, pointer)
        head_px, head_py = self.parallax(self.head_depth, pointer)
        return (angle, px + head_dx - head_px, py + head_dy - head_py)

    # --- animation ---------------------------------------------------------------------------------
    def set_pointer(self, x: float, y: float) -> None:
        self.pointer = (min(max(float(x), -1.0), 1.0), min(max(float(y), -1.0), 1.0))

    def step(self, dt: float) -> None:
        """Advance the clock by `dt` seconds and integrate the hair springs in fixed steps."""
        if dt < 0:
            raise ValueError(f"dt must be >= 0, got {dt}")
        self._acc += dt
        zeta = self.settings.spring_damping
        while self._acc >= SPRING_STEP - 1e-12:
            self._acc -= SPRING_STEP
            self.t += SPRING_STEP
            for uid, spring in self._springs.items():
                target = self._rigid_head(self._spring_depth[uid], self.pointer, self.t)
                w = spring.omega
                for i in range(3):  # semi-implicit Euler: stable for ω·h ≪ 1
                    accel = w * w * (target[i] - spring.pos[i]) - 2 * zeta * w * spring.vel[i]
                    spring.vel[i] += SPRING_STEP * accel
                    spring.pos[i] += SPRING_STEP * spring.vel[i]

    def reset(self) -> None:
        """Back to t = 0, centred pointer, springs at rest."""
        self.t, self._acc, self.pointer = 0.0, 0.0, (0.0, 0.0)
        self.settle()

    def settle(self) -> None:
        """Put the hair springs at rest on their current targets (when paused, hair must still follow the pointer)."""
        for uid, spring in self._springs.items():
            spring.pos = list(self._rigid_head(self._spring_depth[uid], self.pointer, self.t))
            spring.vel = [0.0, 0.0, 0.0]

    def spring_energy(self) -> float:
        """How far the hair is from following the head (0 at rest); used by tests and the fps readout."""
        total = 0.0
        for uid, spring in self._springs.items():
            target = self._rigid_head(self._spring_depth[uid], self.pointer, self.t)
            total += sum((p - q) ** 2 for p, q in zip(spring.pos, target, strict=True))
            total += sum(v * v for v in spring.vel)
        return total

    # --- pose --------------------------------------------------------------------------------------
    def pose(
        self, pointer: tuple[float, float] | None = None, t: float | None = None, include_hidden: bool = False
    ) -> list[LayerTransform]:
        """Transforms of the layers, far to near (drawing order); defaults to the rig's own pointer and clock."""
        pointer = self.pointer if pointer is None else pointer
        t = self.t if t is None else t
        s = self.settings
        breath = self.breath_scale(t)
        out: list[LayerTransform] = []
        for rl in self.layers:
            if not rl.visible and not include_hidden:
                continue
            px, py = self.parallax(rl.depth, pointer)
            base = LayerTransform(rl.uid, dx=px, dy=py)
            if rl.role == "torso":
                out.append(replace(base, scale_y=breath, pivot=self.waist))
            elif rl.role == "head" or (rl.role == "hair" and not s.hair_spring):
                # the head moves rigidly: its own parallax plus the group's sway and breathing lift
                angle, dx, dy = self._rigid_head(rl.depth, pointer, t)
                out.append(replace(base, dx=dx, dy=dy, angle=angle, pivot=self.neck))
            elif rl.role == "hair":
                # the spring trails the rigid head motion of this stratum (set by `step`, not by `t`)
                angle, dx, dy = self._springs[rl.uid].pos
                out.append(replace(base, dx=dx, dy=dy, angle=angle, pivot=self.neck))
            else:
                out.append(base)
        return out


def batch_runs(pose: list[LayerTransform]) -> list[list[LayerTransform]]:
    """Split a far→near pose into runs of consecutive layers sharing one rotation/scale (see `pre_shift`).

    Drawing order is kept: only neighbours are batched, and compositing a run into a transparent buffer first gives
    the same result as drawing its layers one by one ("over" is associative). Pure translations stay alone.
    """
    runs: list[list[LayerTransform]] = []
    for tr in pose:
        key = tr.linear_key
        if key is not None and runs and runs[-1][0].linear_key == key:
            runs[-1].append(tr)
        else:
            runs.append([tr])
    return runs
