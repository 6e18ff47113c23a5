#!/usr/bin/env python3
"""Generate the sample book's illustrations deterministically with Pillow.

Everything is drawn from flat shapes (plus DejaVu fonts for the cover text),
so running this script twice produces identical files.

Usage:
    python tools/make_sample_images.py [output_dir]

The default output directory is manuscript/images relative to the repository
root (the parent of this script's directory).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "manuscript" / "images"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

TITLE = "100 Things I've Learned the Hard Way About Keeping Houseplants Alive"
AUTHOR = "Marigold Ashcombe"

# A small, friendly palette.
CREAM = (246, 239, 224)
SAGE = (183, 201, 168)
SAGE_DARK = (120, 150, 110)
LEAF = (74, 130, 84)
LEAF_LIGHT = (112, 170, 104)
LEAF_DARK = (46, 94, 62)
TERRACOTTA = (196, 107, 72)
TERRACOTTA_DARK = (160, 82, 56)
SOIL = (92, 64, 48)
SKY = (206, 226, 236)
WOOD = (214, 176, 128)
WOOD_DARK = (178, 140, 96)
WATER = (98, 160, 206)
STEEL = (150, 170, 176)
STEEL_DARK = (112, 132, 140)
INK = (48, 52, 46)
WHITE = (255, 255, 255)


def save(img: Image.Image, path: Path) -> None:
    """Quantise to a small palette and write an optimised PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    small = img.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB, {img.width}x{img.height})")


def leaf(draw: ImageDraw.ImageDraw, base, length, width, angle_deg, fill, vein=None):
    """Draw a pointed leaf as a polygon from its base along angle_deg."""
    bx, by = base
    a = math.radians(angle_deg)
    dx, dy = math.cos(a), -math.sin(a)  # direction of the leaf
    px, py = -dy, dx  # perpendicular
    pts = []
    steps = 24
    for i in range(steps + 1):  # one edge
        t = i / steps
        w = math.sin(math.pi * t) * width / 2
        pts.append((bx + dx * length * t + px * w, by + dy * length * t + py * w))
    for i in range(steps, -1, -1):  # the other edge
        t = i / steps
        w = math.sin(math.pi * t) * width / 2
        pts.append((bx + dx * length * t - px * w, by + dy * length * t - py * w))
    draw.polygon(pts, fill=fill)
    if vein:
        draw.line([(bx, by), (bx + dx * length * 0.85, by + dy * length * 0.85)], fill=vein, width=max(2, int(width / 14)))


def pot(draw: ImageDraw.ImageDraw, cx, bottom, top_w, bottom_w, height, colour=TERRACOTTA, rim=TERRACOTTA_DARK):
    """A flowerpot: tapered body with a rim. Returns the y of the soil line."""
    rim_h = height * 0.18
    top = bottom - height
    draw.polygon(
        [
            (cx - top_w / 2 * 0.94, top + rim_h),
            (cx + top_w / 2 * 0.94, top + rim_h),
            (cx + bottom_w / 2, bottom),
            (cx - bottom_w / 2, bottom),
        ],
        fill=colour,
    )
    draw.rectangle([cx - top_w / 2, top, cx + top_w / 2, top + rim_h], fill=rim)
    draw.ellipse([cx - top_w / 2 + 6, top - rim_h * 0.22, cx + top_w / 2 - 6, top + rim_h * 0.22], fill=SOIL)
    return top


def fan_plant(draw, cx, soil_y, size, colours):
    """A rosette of leaves fanning out from one point."""
    angles = [160, 135, 112, 90, 68, 45, 20]
    for i, ang in enumerate(angles):
        length = size * (0.75 + 0.25 * math.sin(i * 1.3 + 0.5))
        leaf(draw, (cx, soil_y), length, size * 0.28, ang, colours[i % len(colours)], vein=LEAF_DARK)


def snake_plant(draw, cx, soil_y, size):
    """Tall upright sword leaves with pale bands."""
    specs = [(-0.30, 96, 0.80), (-0.12, 92, 1.0), (0.08, 88, 0.92), (0.26, 84, 0.70)]
    for off, ang, scale in specs:
        base = (cx + off * size * 0.5, soil_y)
        leaf(draw, base, size * scale, size * 0.20, ang, LEAF_DARK)
        leaf(draw, base, size * scale * 0.9, size * 0.09, ang, LEAF_LIGHT)


def trailing_plant(draw, cx, soil_y, size, pot_half_width):
    """Strings of round leaves spilling over a pot's rim."""
    for side in (-1, 1):
        for strand in range(3):
            x0 = cx + side * (pot_half_width * 0.35 + strand * pot_half_width * 0.18)
            y = soil_y
            for k in range(7 + strand * 2):
                x = x0 + side * (pot_half_width * 0.55 + 10 * math.sin(k * 0.9 + strand))
                y = soil_y + k * size * 0.09
                r = size * 0.05
                fill = LEAF if (k + strand) % 2 else LEAF_LIGHT
                draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    for i, ang in enumerate((150, 120, 90, 60, 30)):
        leaf(draw, (cx, soil_y), size * 0.35, size * 0.22, ang, LEAF if i % 2 else LEAF_LIGHT)


def make_opening(out: Path) -> None:
    """A sunny windowsill with three pots: rosette, snake plant, trailer."""
    w, h = 1800, 1000
    img = Image.new("RGB", (w, h), CREAM)
    d = ImageDraw.Draw(img)

    # Window frame and panes.
    d.rectangle([180, 60, 1620, 700], fill=WOOD_DARK)
    d.rectangle([210, 90, 885, 670], fill=SKY)
    d.rectangle([915, 90, 1590, 670], fill=SKY)
    # A low sun and a couple of flat clouds.
    d.ellipse([1290, 150, 1450, 310], fill=(250, 214, 120))
    for cx, cy, s in ((420, 220, 1.0), (1100, 330, 0.8)):
        d.ellipse([cx - 110 * s, cy - 30 * s, cx + 110 * s, cy + 40 * s], fill=WHITE)
        d.ellipse([cx - 50 * s, cy - 70 * s, cx + 60 * s, cy + 20 * s], fill=WHITE)
    # Light falling on the sill.
    d.polygon([(210, 670), (885, 670), (980, 780), (120, 780)], fill=(240, 226, 186))
    # The sill itself.
    d.rectangle([80, 760, 1720, 820], fill=WOOD)
    d.rectangle([80, 820, 1720, 850], fill=WOOD_DARK)
    d.rectangle([0, 850, w, h], fill=SAGE)

    soil = pot(d, 420, 760, 250, 180, 230)
    fan_plant(d, 420, soil, 300, [LEAF, LEAF_LIGHT])

    soil = pot(d, 900, 760, 210, 160, 200, colour=(232, 220, 200), rim=(205, 190, 168))
    snake_plant(d, 900, soil, 420)

    soil = pot(d, 1370, 760, 240, 170, 210)
    trailing_plant(d, 1370, soil, 360, 120)

    save(img, out / "opening-pots.png")


def make_watering_can(out: Path) -> None:
    """A watering can tipped over a pot, with a generous (too generous) pour."""
    w, h = 1200, 900
    img = Image.new("RGB", (w, h), CREAM)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 720, w, h], fill=SAGE)
    d.ellipse([620, 690, 1080, 760], fill=SAGE_DARK)  # shadow

    # The can: a body rotated by drawing a tilted polygon.
    angle = math.radians(-28)

    def rot(x, y, ox=420, oy=330):
        return (ox + x * math.cos(angle) - y * math.sin(angle), oy + x * math.sin(angle) + y * math.cos(angle))

    body = [rot(-170, -110), rot(130, -110), rot(150, 120), rot(-190, 120)]
    d.polygon(body, fill=STEEL)
    band = [rot(-178, 40), rot(142, 40), rot(146, 70), rot(-182, 70)]
    d.polygon(band, fill=STEEL_DARK)
    spout = [rot(120, 40), rot(340, -40), rot(350, -20), rot(140, 80)]
    d.polygon(spout, fill=STEEL_DARK)
    rose_c = rot(360, -30)
    d.ellipse([rose_c[0] - 38, rose_c[1] - 38, rose_c[0] + 38, rose_c[1] + 38], fill=STEEL_DARK)
    # Handle: a thick arc approximated with a polyline.
    handle = [rot(-150 + 260 * t, -110 - 120 * math.sin(math.pi * t)) for t in [i / 30 for i in range(31)]]
    d.line(handle, fill=STEEL_DARK, width=26, joint="curve")

    # Water: streams of drops from the rose down to the pot.
    sx, sy = rose_c
    for j in range(7):
        for k in range(9):
            t = k / 8
            x = sx + 12 + j * 11 + t * (70 + j * 8)
            y = sy + 30 + t * 330 + (j % 3) * 6
            r = 7 - t * 2
            d.ellipse([x - r, y - r * 1.6, x + r, y + r * 1.6], fill=WATER)

    soil = pot(d, 850, 720, 300, 220, 260)
    fan_plant(d, 850, soil, 240, [LEAF_LIGHT, LEAF])
    # A puddle escaping from the saucer, because of course.
    d.ellipse([660, 712, 1050, 752], fill=WATER)
    d.rectangle([700, 708, 1000, 722], fill=TERRACOTTA_DARK)

    # Drawn at 1200 px, saved at 1600 px: it prints across the text block at over 300 ppi.
    save(img.resize((1600, 1200), Image.Resampling.LANCZOS), out / "watering-can.png")


def wrap(draw, text, font, max_width):
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= max_width:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def make_cover(out: Path) -> None:
    w, h = 1600, 2400
    img = Image.new("RGB", (w, h), SAGE)
    d = ImageDraw.Draw(img)

    # Title panel.
    d.rectangle([0, 0, w, 1020], fill=CREAM)
    d.rectangle([0, 1020, w, 1044], fill=TERRACOTTA)

    big = ImageFont.truetype(str(FONT_DIR / "DejaVuSerif-Bold.ttf"), 300)
    title_font = ImageFont.truetype(str(FONT_DIR / "DejaVuSerif-Bold.ttf"), 92)
    author_font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 72)

    d.text((w / 2, 250), "100", font=big, fill=TERRACOTTA, anchor="mm")
    rest = TITLE.split(" ", 1)[1]
    y = 470
    for line in wrap(d, rest, title_font, w - 260):
        d.text((w / 2, y), line, font=title_font, fill=INK, anchor="mm")
        y += 118

    # A big pot with a cheerful, slightly overgrown plant.
    soil = pot(d, w / 2, 2020, 620, 440, 560)
    fan_plant(d, w / 2, soil, 700, [LEAF, LEAF_LIGHT, LEAF_DARK])
    # Two little pots either side.
    s2 = pot(d, 300, 2020, 260, 190, 230)
    snake_plant(d, 300, s2, 380)
    s3 = pot(d, 1300, 2020, 260, 190, 230)
    trailing_plant(d, 1300, s3, 340, 130)
    d.rectangle([0, 2020, w, 2400], fill=SAGE_DARK)

    d.text((w / 2, 2210), AUTHOR, font=author_font, fill=CREAM, anchor="mm")
    # Drawn at 1600 px, saved at 1920: it fills the print cover's front and its bleed
    # (6.125 x 9.25in) at over 300 ppi.
    save(img.resize((1920, 2880), Image.Resampling.LANCZOS), out / "cover.png")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    make_cover(out)
    make_opening(out)
    make_watering_can(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
