"""What a PDF asks the press to print, read by the tests' own interpreter.

Independent of the toolchain's preflight (which takes shortcuts for speed): every
content stream (pages, forms, tiling patterns) is parsed with pikepdf and run through
a small graphics-state machine. Reported: the colour spaces anything is painted in,
the inks of text and of other fills and strokes, images and shadings with their
colour spaces, and any transparency in force when something is painted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pikepdf
from pikepdf import Name


@dataclass
class Inks:
    spaces: set[str] = field(default_factory=set)  # colour families painted with: DeviceCMYK, DeviceGray, DeviceRGB, ...
    text_colours: set[tuple[str, tuple[float, ...]]] = field(default_factory=set)  # (space, components)
    colours: set[tuple[str, tuple[float, ...]]] = field(default_factory=set)  # fills and strokes of anything
    image_spaces: set[str] = field(default_factory=set)
    shading_spaces: set[str] = field(default_factory=set)
    transparency: set[str] = field(default_factory=set)
    images_with_alpha: int = 0

    @property
    def most_ink(self) -> float:
        """Percent, over every CMYK colour painted (registration colour aside: the marks)."""
        totals = [100 * sum(c) for space, c in self.colours if space == "DeviceCMYK" and sum(c) < 3.999]
        return max(totals, default=0.0)


def _family(space, resources) -> str:
    if isinstance(space, Name) and "/ColorSpace" in resources and str(space) in resources.ColorSpace:
        space = resources.ColorSpace[str(space)]
    if isinstance(space, pikepdf.Array):
        family = str(space[0])[1:]
        if family == "ICCBased":
            return {1: "ICC gray", 3: "ICC RGB", 4: "ICC CMYK"}.get(int(space[1].get("/N", 0)), "ICC")
        return family
    return str(space)[1:]


_COMPONENTS = {"DeviceGray": 1, "DeviceRGB": 3, "DeviceCMYK": 4}


def read_inks(pdf_path) -> Inks:
    inks = Inks()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            if page.obj.get("/Group", {}).get("/S") == Name.Transparency:
                inks.transparency.add("page group")
            _run(page.obj, pikepdf.Page(page.obj), inks, set())
    return inks


@dataclass
class _State:
    fill: tuple[str, tuple[float, ...]] = ("DeviceGray", (0.0,))
    stroke: tuple[str, tuple[float, ...]] = ("DeviceGray", (0.0,))
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    soft_mask: bool = False

    def copy(self) -> "_State":
        return _State(self.fill, self.stroke, self.fill_alpha, self.stroke_alpha, self.soft_mask)


def _run(owner, content, inks: Inks, seen: set, state: _State | None = None) -> None:
    resources = owner.get("/Resources", pikepdf.Dictionary())
    state = state.copy() if state else _State()
    stack: list[_State] = []
    in_text = False

    def painted(colour: tuple[str, tuple[float, ...]], alpha: float, text: bool) -> None:
        inks.spaces.add(colour[0])
        inks.colours.add(colour)
        if text:
            inks.text_colours.add(colour)
        if alpha < 1 or state.soft_mask:
            inks.transparency.add("painted with opacity below 1" if alpha < 1 else "painted under a soft mask")

    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator)
        if op == "q":
            stack.append(state.copy())
        elif op == "Q" and stack:
            state = stack.pop()
        elif op == "BT":
            in_text = True
        elif op == "ET":
            in_text = False
        elif op in ("g", "G", "rg", "RG", "k", "K"):
            space = {"g": "DeviceGray", "rg": "DeviceRGB", "k": "DeviceCMYK"}[op.lower()]
            numbers = tuple(round(float(v), 4) for v in operands)
            if op.islower():
                state.fill = (space, numbers)
            else:
                state.stroke = (space, numbers)
        elif op in ("cs", "CS"):
            family = _family(operands[0], resources)
            initial = (0.0,) * _COMPONENTS.get(family, 1)
            if op == "cs":
                state.fill = (family, initial)
            else:
                state.stroke = (family, initial)
        elif op in ("sc", "scn", "SC", "SCN"):
            numbers = tuple(round(float(v), 4) for v in operands if not isinstance(v, Name))
            if op.islower():
                state.fill = (state.fill[0], numbers)
            else:
                state.stroke = (state.stroke[0], numbers)
            if operands and isinstance(operands[-1], Name):  # a pattern
                pattern = resources.get("/Pattern", {}).get(str(operands[-1]))
                if pattern is not None:
                    _pattern(pattern, inks, seen, state)
        elif op == "gs":
            graphics = resources.get("/ExtGState", {}).get(str(operands[0]), pikepdf.Dictionary())
            state.fill_alpha = float(graphics.get("/ca", state.fill_alpha))
            state.stroke_alpha = float(graphics.get("/CA", state.stroke_alpha))
            if "/SMask" in graphics:
                state.soft_mask = graphics.SMask != Name("/None")
            if graphics.get("/BM", Name.Normal) not in (Name.Normal, Name.Compatible):
                inks.transparency.add("blend mode")
        elif op in ("f", "F", "f*", "B", "B*", "b", "b*"):
            painted(state.fill, state.fill_alpha, False)
            if op.lower().startswith("b"):
                painted(state.stroke, state.stroke_alpha, False)
        elif op in ("S", "s"):
            painted(state.stroke, state.stroke_alpha, False)
        elif op in ("Tj", "TJ", "'", '"') and in_text:
            painted(state.fill, state.fill_alpha, True)
        elif op == "sh":
            shading = resources.get("/Shading", {}).get(str(operands[0]))
            if shading is not None:
                inks.shading_spaces.add(_family(shading.get("/ColorSpace"), resources))
            if state.fill_alpha < 1:
                inks.transparency.add("shading painted with opacity below 1")
        elif op == "INLINE IMAGE":
            image = operands[0].obj
            inks.image_spaces.add(_family(image.get("/ColorSpace", image.get("/CS", Name.DeviceGray)), resources))
        elif op == "Do":
            xobject = resources.get("/XObject", {}).get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == Name.Image:
                if not xobject.get("/ImageMask", False):
                    inks.image_spaces.add(_family(xobject.get("/ColorSpace"), resources))
                if "/SMask" in xobject or "/Mask" in xobject:
                    inks.images_with_alpha += 1
                if state.fill_alpha < 1:
                    inks.transparency.add("image painted with opacity below 1")
            elif xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                if xobject.get("/Group", {}).get("/S") == Name.Transparency:
                    inks.transparency.add("form group")
                seen.add(xobject.objgen)
                _run(xobject, xobject, inks, seen, state)
                seen.discard(xobject.objgen)


def _pattern(pattern, inks: Inks, seen: set, state: _State) -> None:
    if int(pattern.get("/PatternType", 1)) == 2:
        inks.shading_spaces.add(_family(pattern.Shading.get("/ColorSpace"), pikepdf.Dictionary()))
    elif pattern.objgen not in seen:
        seen.add(pattern.objgen)
        _run(pattern, pattern, inks, seen, _State(fill_alpha=state.fill_alpha, stroke_alpha=state.stroke_alpha))
        seen.discard(pattern.objgen)
