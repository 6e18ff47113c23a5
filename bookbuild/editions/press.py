"""Colour for the press: what WeasyPrint drew in RGB, drawn in the printer's inks.

Every colour (content streams, forms, tiling patterns, shadings, images) is separated
into CMYK through the output profile: neutral greys go to black ink alone, and no
colour lays down more ink than the printer takes. Transparency is flattened onto the
paper: a colour painted at 60% opacity prints as 60% of its inks, a picture with an
alpha channel is composited onto white. What cannot be flattened that way (a soft
mask, a blend mode) is reported by kind, for the build to point at the styles that
asked for it.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

CMYK = tuple[float, float, float, float]

# ``rg`` or ``RG`` as an operator: after white space or a delimiter (not a name's "/"),
# and before one. The preflight looks for them the same way.
RGB_OPERATOR = re.compile(rb"(?<![^\s\[\]<>(){}%])(?:rg|RG)(?![^\s\[\]<>(){}/%])")
_NUMBER = rb"([-+]?(?:\d+\.?\d*|\.\d+))"
_THREE_NUMBERS_AT_END = re.compile(rb"(?:^|(?<=[\s\[\]<>{}/%]))" + rb"\s+".join([_NUMBER] * 3) + rb"\s+$")
_SAMPLES = 64  # along a shading's blend between two colours
# Content that needs the whole graphics state to be followed, not a substitution.
_NEEDS_PARSING = re.compile(rb"(?<![^\s\[\]<>(){}%])(?:cs|CS|sh|BI)(?![^\s\[\]<>(){}/%])|\(")


class Separation:
    """sRGB and CIELAB to the printer's CMYK through the output profile, greys to black
    ink only, within an ink limit (a fraction: 3.0 is 300%)."""

    def __init__(self, profile: Path, ink_limit: float):
        from PIL import ImageCms

        output = ImageCms.getOpenProfile(str(profile))
        intent = ImageCms.Intent.RELATIVE_COLORIMETRIC
        self.from_rgb = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), output, "RGB", "CMYK", renderingIntent=intent)
        self.from_lab = ImageCms.buildTransform(ImageCms.createProfile("LAB", 5000), output, "LAB", "CMYK", renderingIntent=intent)
        self.ink_limit = ink_limit

    def rgb(self, r: float, g: float, b: float) -> CMYK:
        return _rgb(self, round(r, 4), round(g, 4), round(b, 4))

    def lab(self, lightness: float, a: float, b: float) -> CMYK:
        return _lab(self, round(lightness, 2), round(a, 2), round(b, 2))

    def limited(self, cmyk: CMYK) -> CMYK:
        """Less cyan, magenta and yellow where the four inks together pass the limit."""
        c, m, y, k = cmyk
        colour = c + m + y
        if c + m + y + k <= self.ink_limit or colour == 0:
            return cmyk
        scale = max(0.0, self.ink_limit - k) / colour
        return (round(c * scale, 4), round(m * scale, 4), round(y * scale, 4), k)

    def image(self, picture):
        """An RGB, grey or CMYK picture as CMYK within the ink limit."""
        from PIL import ImageCms, ImageMath

        if picture.mode == "L":
            from PIL import Image

            black = picture.point(lambda v: 255 - v)
            empty = Image.new("L", picture.size, 0)
            return Image.merge("CMYK", (empty, empty, empty, black))
        if picture.mode != "CMYK":
            picture = ImageCms.applyTransform(picture.convert("RGB"), self.from_rgb)
        limit = round(self.ink_limit * 255)
        c, m, y, k = (band.convert("I") for band in picture.split())
        if ImageMath.lambda_eval(lambda n: n["c"] + n["m"] + n["y"] + n["k"], c=c, m=m, y=y, k=k).getextrema()[1] <= limit:
            return picture

        def less(band):
            # the band less its share of the ink over the limit (integer arithmetic, 0-255)
            return ImageMath.lambda_eval(
                lambda n: n["x"] - (n["x"] * n["max"](n["c"] + n["m"] + n["y"] + n["k"] - limit, 0)) / n["max"](n["c"] + n["m"] + n["y"], 1),
                x=band, c=c, m=m, y=y, k=k).convert("L")

        from PIL import Image

        return Image.merge("CMYK", (less(c), less(m), less(y), k.convert("L")))


@lru_cache(maxsize=4096)
def _rgb(separation: Separation, r: float, g: float, b: float) -> CMYK:
    if r == g == b:
        return (0.0, 0.0, 0.0, round(1 - r, 4))
    from PIL import Image, ImageCms

    pixel = Image.new("RGB", (1, 1), (round(r * 255), round(g * 255), round(b * 255)))
    values = ImageCms.applyTransform(pixel, separation.from_rgb).getpixel((0, 0))
    return separation.limited(tuple(round(v / 255, 4) for v in values))


@lru_cache(maxsize=1024)
def _lab(separation: Separation, lightness: float, a: float, b: float) -> CMYK:
    if abs(a) < 0.5 and abs(b) < 0.5:  # neutral: black ink alone
        return (0.0, 0.0, 0.0, round(1 - lightness / 100, 4))
    from PIL import Image, ImageCms

    pixel = Image.new("LAB", (1, 1), (round(lightness * 255 / 100), round(a) + 128, round(b) + 128))
    values = ImageCms.applyTransform(pixel, separation.from_lab).getpixel((0, 0))
    return separation.limited(tuple(round(v / 255, 4) for v in values))


def _faded(cmyk: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    """A colour painted at ``alpha`` opacity on white paper: that share of its inks."""
    return cmyk if alpha >= 1 else tuple(round(v * alpha, 4) for v in cmyk)


def separate(pdf: pikepdf.Pdf, separation: Separation) -> set[str]:
    """Every colour the pages draw in CMYK, their transparency flattened. Returns the kinds
    of transparency that could not be flattened (and were dropped)."""
    painter = _Painter(pdf, separation)
    # Every page is painted before any graphics state is made opaque: pages and forms
    # share graphics states, and each must be read as it was when it is met.
    for page in pdf.pages:
        painter.paint(page.obj, 1.0)
        drop_keys(page.obj, "/Group")  # no transparency group once nothing is transparent
    for page in pdf.pages:
        painter.settle(page.obj, set())
    return painter.unflattened


class _Painter:
    def __init__(self, pdf: pikepdf.Pdf, separation: Separation):
        self.pdf, self.separation = pdf, separation
        self.unflattened: set[str] = set()
        self.converted: dict[tuple[tuple[int, int], float], pikepdf.Object] = {}  # (object, alpha) -> its separated copy

    def paint(self, owner: pikepdf.Object, alpha: float) -> None:
        """A page, form or tiling pattern drawn at ``alpha``: its content, then what its
        resources hold (forms, images, patterns and shadings, as drawn opaque)."""
        resources = owner.get("/Resources")
        if resources is None:
            resources = owner.Resources = Dictionary()
        self._content(owner, resources, alpha)
        for xobject in resources.get("/XObject", {}).values():
            if (xobject.objgen, 1.0) in self.converted:
                continue
            self.converted[(xobject.objgen, 1.0)] = xobject
            if xobject.get("/Subtype") == Name.Image:
                self._image(xobject, 1.0)
            elif xobject.get("/Subtype") == Name.Form:
                drop_keys(xobject, "/Group")
                self.paint(xobject, 1.0)
        for pattern in resources.get("/Pattern", {}).values():
            self._pattern(pattern, 1.0)
        for shading in resources.get("/Shading", {}).values():
            if (shading.objgen, 1.0) not in self.converted:
                self.converted[(shading.objgen, 1.0)] = shading
                self._shading(shading, 1.0)

    def settle(self, owner: pikepdf.Object, seen: set) -> None:
        """Graphics states made opaque (their opacity is in the colours now), what cannot be
        flattened reported and dropped, colour spaces no longer used removed; the same in
        every form and pattern."""
        resources = owner.get("/Resources", Dictionary())
        for state in resources.get("/ExtGState", {}).values():
            self._opaque(state)
        spaces = resources.get("/ColorSpace")
        if spaces is not None:
            for name in [n for n, space in spaces.items() if _foreign(space)]:
                del spaces[name]  # every use of it is DeviceCMYK now
        for inner in [*resources.get("/XObject", {}).values(), *resources.get("/Pattern", {}).values()]:
            if inner.objgen in seen or inner.get("/Subtype") == Name.Image:
                continue
            seen.add(inner.objgen)
            if isinstance(inner, pikepdf.Stream):
                self.settle(inner, seen)
            elif "/ExtGState" in inner:  # a shading pattern
                self._opaque(inner.ExtGState)

    def _opaque(self, state: pikepdf.Object) -> None:
        if state.get("/SMask", Name("/None")) != Name("/None"):
            self.unflattened.add("soft mask")
            state.SMask = Name("/None")
        if state.get("/BM", Name.Normal) not in (Name.Normal, Name.Compatible):
            self.unflattened.add("blend mode")
            state.BM = Name.Normal
        for key in ("/ca", "/CA"):
            if key in state:
                state[key] = 1

    # --- content ------------------------------------------------------------------------

    def _content(self, owner: pikepdf.Object, resources: pikepdf.Object, alpha: float) -> None:
        raw = content_bytes(owner)
        if not raw:
            return
        fading = alpha < 1 or any(float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1
                                  for state in resources.get("/ExtGState", {}).values())
        if not fading and not _NEEDS_PARSING.search(raw):
            if not RGB_OPERATOR.search(raw):
                return  # nothing to convert: most of WeasyPrint's many small forms
            # Only rg and RG, no literal strings they could hide in (WeasyPrint writes text
            # as hex strings) and no opacity: a substitution does it, many times faster.
            data = self._substituted(raw)
        else:
            data = self._interpreted(owner, resources, alpha)
        if data != raw:
            # Compressed now, not when saved: a book's worth of page content waiting
            # uncompressed would be hundreds of megabytes.
            if isinstance(owner, pikepdf.Stream):
                owner.write(zlib.compress(data), filter=Name.FlateDecode)
            else:
                owner.Contents = self.pdf.make_stream(zlib.compress(data), Filter=Name.FlateDecode)

    def _substituted(self, raw: bytes) -> bytes:
        """Each ``r g b rg`` (or ``RG``) as ``c m y k k`` (or ``K``); found from the operator
        backwards, which is many times faster than a pattern tried at every number."""
        out, done = [], 0
        for found in RGB_OPERATOR.finditer(raw):
            operands = _THREE_NUMBERS_AT_END.search(raw, max(done, found.start() - 80), found.start())
            if operands is None:
                continue
            cmyk = self.separation.rgb(*(float(operands.group(n)) for n in (1, 2, 3)))
            out += [raw[done:operands.start()], _numbers(cmyk), b" k" if found.group(0) == b"rg" else b" K"]
            done = found.end()
        out.append(raw[done:])
        return b"".join(out)

    def _interpreted(self, owner: pikepdf.Object, resources: pikepdf.Object, alpha: float) -> bytes:
        """The content run through a graphics-state machine: each colour separated, and
        faded by the opacity in force when it paints (so a colour set before an opacity
        change is set again after it); forms, images, patterns and shadings painted at an
        opacity replaced by faded copies."""
        spaces = resources.get("/ColorSpace", Dictionary())
        states = resources.get("/ExtGState", Dictionary())
        # Opacity from this content's graphics states; what it paints is faded by that times
        # the opacity the whole content is painted at (``alpha``). Colours are kept unfaded.
        state = {"fill_alpha": 1.0, "stroke_alpha": 1.0, "fill": ("gray", (0.0,)), "stroke": ("gray", (0.0,)),
                 "fill_space": "DeviceGray", "stroke_space": "DeviceGray"}
        stack = []
        out = []
        for operands, operator in pikepdf.parse_content_stream(owner if isinstance(owner, pikepdf.Stream) else pikepdf.Page(owner)):
            op = str(operator)
            instructions = [(operands, operator)]
            if op == "q":
                stack.append(dict(state))
            elif op == "Q" and stack:
                state = stack.pop()
            elif op == "gs":
                graphics = states.get(str(operands[0]), Dictionary())
                before = (state["fill_alpha"], state["stroke_alpha"])
                state["fill_alpha"] = float(graphics.get("/ca", state["fill_alpha"]))
                state["stroke_alpha"] = float(graphics.get("/CA", state["stroke_alpha"]))
                if (state["fill_alpha"], state["stroke_alpha"]) != before:
                    instructions += self._pen(resources, "fill", state["fill"], alpha * state["fill_alpha"])
                    instructions += self._pen(resources, "stroke", state["stroke"], alpha * state["stroke_alpha"])
            elif op in ("rg", "RG", "k", "K", "g", "G"):
                side = "fill" if op.islower() else "stroke"
                family = {"rg": "DeviceRGB", "k": "DeviceCMYK", "g": "DeviceGray"}[op.lower()]
                state[side] = self._separated(family, [float(v) for v in operands])
                state[side + "_space"] = "DeviceGray" if family == "DeviceGray" else "DeviceCMYK"
                instructions = self._pen(resources, side, state[side], alpha * state[side + "_alpha"])
            elif op in ("cs", "CS"):
                side = "fill" if op == "cs" else "stroke"
                space = spaces.get(str(operands[0]), operands[0])
                state[side + "_space"] = _family(space)
                if _foreign(space):
                    instructions = [([Name.DeviceCMYK], operator)]
            elif op in ("sc", "scn", "SC", "SCN"):
                side = "fill" if op.islower() else "stroke"
                if operands and isinstance(operands[-1], Name):  # a pattern
                    state[side] = ("pattern", operands[-1])
                else:
                    state[side] = self._separated(state[side + "_space"], [float(v) for v in operands])
                instructions = self._pen(resources, side, state[side], alpha * state[side + "_alpha"])
            elif op == "sh":
                instructions = [([self._faded_resource(resources, "/Shading", operands[0], alpha * state["fill_alpha"])], operator)]
            elif op == "Do":
                instructions = [([self._faded_resource(resources, "/XObject", operands[0], alpha * state["fill_alpha"])], operator)]
            elif op == "INLINE IMAGE":
                image = operands[0].obj
                if _foreign(spaces.get(str(image.get("/CS", Name.DeviceGray)), image.get("/CS", Name.DeviceGray))):
                    self.unflattened.add("inline RGB image")
            out += instructions
        return pikepdf.unparse_content_stream(out)

    def _separated(self, family: str, values: list[float]) -> tuple:
        """A colour in inks, unfaded: ("cmyk", c m y k), ("gray", level), or ("tint", values)
        for separations and DeviceN, whose values are amounts of ink already."""
        if family == "DeviceGray" and len(values) == 1:
            return ("gray", (values[0],))
        if family in ("DeviceRGB", "ICCBased-RGB") and len(values) == 3:
            return ("cmyk", self.separation.rgb(*values))
        if family == "Lab" and len(values) == 3:
            return ("cmyk", self.separation.lab(*values))
        if family == "DeviceCMYK" and len(values) == 4:
            return ("cmyk", tuple(values))
        return ("tint", tuple(values))

    def _cmyk(self, family: str, values: list[float], alpha: float) -> list[float]:
        """A colour of a shading as CMYK, faded to ``alpha``."""
        kind, separated = self._separated(family, values)
        if kind == "gray":
            separated = (0.0, 0.0, 0.0, round(1 - separated[0], 4))
        return list(_faded(separated, alpha))

    def _pen(self, resources: pikepdf.Object, side: str, colour: tuple, alpha: float) -> list:
        """The operators that set ``colour`` on ``side``, faded to ``alpha``."""
        kind, values = colour
        fill = side == "fill"
        if kind == "gray":
            return [([round(1 - alpha * (1 - values[0]), 4)], pikepdf.Operator("g" if fill else "G"))]
        if kind == "cmyk":
            return [(list(_faded(values, alpha)), pikepdf.Operator("k" if fill else "K"))]
        if kind == "pattern":
            return [([Name.Pattern], pikepdf.Operator("cs" if fill else "CS")),
                    ([self._faded_resource(resources, "/Pattern", values, alpha)], pikepdf.Operator("scn" if fill else "SCN"))]
        return [(list(_faded(values, alpha)), pikepdf.Operator("scn" if fill else "SCN"))]

    def _faded_resource(self, resources: pikepdf.Object, kind: str, name: Name, alpha: float) -> Name:
        """The resource ``name`` as painted at ``alpha``: itself when opaque, else a faded copy
        added to the resources under a name of its own."""
        found = resources.get(kind, Dictionary()).get(str(name))
        if found is None or alpha >= 1:
            return name
        key = (found.objgen, round(alpha, 4))
        if key not in self.converted:
            if isinstance(found, pikepdf.Stream):
                copy = self._copy(found)
                if found.get("/Subtype") == Name.Image:
                    self._image(copy, alpha)
                else:  # a form, or a tiling pattern
                    drop_keys(copy, "/Group")
                    self.paint(copy, alpha)
            else:  # a shading, or a shading pattern
                copy = self.pdf.make_indirect(Dictionary(dict(found.items())))
                if kind == "/Pattern":
                    copy.Shading = self.pdf.make_indirect(Dictionary(dict(found.Shading.items())))
                    self._shading(copy.Shading, alpha)
                else:
                    self._shading(copy, alpha)
            self.converted[key] = copy
        faded = Name(f"{name}-a{round(alpha * 1000)}")
        resources[kind][str(faded)] = self.converted[key]
        return faded

    def _copy(self, stream: pikepdf.Stream, *leaving_out: str) -> pikepdf.Stream:
        """A new stream with the same (decoded) data and dictionary."""
        dropped = {"/Length", "/Filter", "/DecodeParms", *leaving_out}
        data = stream.read_bytes(decode_level=pikepdf.StreamDecodeLevel.all)  # JPEG pictures too
        return pikepdf.Stream(self.pdf, data, Dictionary({k: v for k, v in stream.stream_dict.items()
                                                                         if k not in dropped}))

    # --- images, patterns, shadings ----------------------------------------------------------

    def _image(self, image: pikepdf.Stream, alpha: float) -> None:
        """A picture in CMYK, its alpha channel (and ``alpha``) composited onto white paper."""
        from PIL import Image, ImageChops

        space = image.get("/ColorSpace")
        if image.get("/ImageMask", False):
            return
        if alpha >= 1 and "/SMask" not in image and space in (Name.DeviceCMYK, Name.DeviceGray) \
                and self._within_limit(image):
            return
        picture = pikepdf.PdfImage(self._copy(image, "/SMask", "/Mask")).as_pil_image()
        coverage = None
        if "/SMask" in image:
            coverage = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
            if coverage.size != picture.size:
                coverage = coverage.resize(picture.size)
        if alpha < 1:
            faded = Image.new("L", picture.size, round(255 * alpha))
            coverage = faded if coverage is None else ImageChops.multiply(coverage, faded)
        cmyk = self.separation.image(picture if picture.mode in ("CMYK", "L") else picture.convert("RGB"))
        if coverage is not None:
            paper = Image.new("CMYK", cmyk.size, (0, 0, 0, 0))
            cmyk = Image.composite(cmyk, paper, coverage)
        image.write(zlib.compress(cmyk.tobytes(), 9), filter=Name.FlateDecode)
        image.ColorSpace = Name.DeviceCMYK
        image.BitsPerComponent = 8
        image.Width, image.Height = cmyk.size
        drop_keys(image, "/SMask", "/Decode", "/DecodeParms", "/Mask", "/Intent", "/SMaskInData")

    def _within_limit(self, image: pikepdf.Stream) -> bool:
        if image.get("/ColorSpace") != Name.DeviceCMYK:
            return True
        picture = pikepdf.PdfImage(image).as_pil_image()
        return self.separation.image(picture) is picture

    def _pattern(self, pattern: pikepdf.Object, alpha: float) -> None:
        if (pattern.objgen, alpha) in self.converted:
            return
        self.converted[(pattern.objgen, alpha)] = pattern
        if int(pattern.get("/PatternType", 1)) == 2:
            self._shading(pattern.Shading, alpha)
        elif isinstance(pattern, pikepdf.Stream):
            self.paint(pattern, alpha)

    def _shading(self, shading: pikepdf.Object, alpha: float) -> None:
        """A shading's colour space and colours in CMYK, faded to ``alpha``."""
        space = shading.get("/ColorSpace")
        family = _family(space)
        if family in ("DeviceCMYK", "DeviceGray") and alpha >= 1:
            return
        if family not in ("DeviceRGB", "ICCBased-RGB", "Lab", "DeviceCMYK", "DeviceGray") or int(shading.get("/ShadingType", 0)) > 3:
            self.unflattened.add("shading")
            return
        if "/Function" not in shading:
            self.unflattened.add("shading")
            return
        functions = shading.Function if isinstance(shading.Function, Array) else [shading.Function]
        converted = []
        for function in functions:
            separated = self._function(function, family, alpha)
            if separated is None:
                self.unflattened.add("shading")
                return
            converted.append(separated)
        shading.Function = converted[0] if len(converted) == 1 and not isinstance(shading.Function, Array) else Array(converted)
        if "/Background" in shading:
            shading.Background = Array(self._cmyk(family, [float(v) for v in shading.Background], alpha))
        shading.ColorSpace = Name.DeviceCMYK

    def _function(self, function: pikepdf.Object, family: str, alpha: float) -> pikepdf.Object | None:
        """A shading function giving CMYK for one giving ``family``: exponential functions
        (type 2) by their end colours, stitching ones (type 3) by their parts."""
        kind = int(function.get("/FunctionType", -1))
        copy = Dictionary({k: v for k, v in function.items()})
        if kind == 2:
            size = {"DeviceGray": 1, "DeviceCMYK": 4}.get(family, 3)
            start = [float(v) for v in function.get("/C0", [0.0] * size)]
            end = [float(v) for v in function.get("/C1", [1.0] * size)]
            if family in ("DeviceGray", "DeviceCMYK"):  # inks blend as inks: the ends will do
                copy.C0, copy.C1 = Array(self._cmyk(family, start, alpha)), Array(self._cmyk(family, end, alpha))
                return self.pdf.make_indirect(copy)
            # Colours blend along the way in their own space: the inks of a blend are not the
            # blend of the inks at its ends, so the way is sampled.
            exponent = float(function.get("/N", 1))
            samples = bytearray()
            for n in range(_SAMPLES):
                t = (n / (_SAMPLES - 1)) ** exponent
                colour = [a + t * (b - a) for a, b in zip(start, end)]
                samples += bytes(round(255 * v) for v in self._cmyk(family, colour, alpha))
            return pikepdf.Stream(self.pdf, bytes(samples), FunctionType=0, Domain=function.get("/Domain", Array([0, 1])),
                                  Range=Array([0, 1] * 4), Size=Array([_SAMPLES]), BitsPerSample=8)
        if kind == 3:
            parts = [self._function(part, family, alpha) for part in function.Functions]
            if any(part is None for part in parts):
                return None
            copy.Functions = Array(parts)
            return self.pdf.make_indirect(copy)
        return None


def _numbers(values: tuple[float, ...]) -> bytes:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") or "0" for v in values).encode()


def _family(space) -> str:
    if isinstance(space, Array) and len(space) > 0:
        family = str(space[0])[1:]
        if family == "ICCBased":
            return {1: "DeviceGray", 3: "ICCBased-RGB", 4: "DeviceCMYK"}.get(int(space[1].get("/N", 0)), "ICCBased")
        if family == "CalRGB":
            return "DeviceRGB"
        return family
    return str(space)[1:] if space is not None else ""


def _foreign(space) -> bool:
    """A colour space a press has no plates for: RGB, ICC RGB, CIELAB."""
    return _family(space) in ("DeviceRGB", "ICCBased-RGB", "Lab")


def content_bytes(owner: pikepdf.Object) -> bytes:
    """The decoded content of a page (all its content streams) or of a form."""
    if isinstance(owner, pikepdf.Stream):
        return owner.read_bytes()
    contents = owner.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def drop_keys(dictionary: pikepdf.Object, *keys: str) -> None:
    for key in keys:
        if key in dictionary:
            del dictionary[key]
