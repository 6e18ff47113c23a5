"""Small files that cost a reader dearly, made for the hostile tests (tests/test_hostile.py)
and for bench/hostile.py, which times the same cases."""

from __future__ import annotations


def alias_bomb(kind: str) -> str:
    """Ten lines that a YAML reader expands to 9^8 (43 million) items: lists, or mappings."""
    if kind == "list":
        lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 8)]
    else:
        lines = ["l0: &l0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}"]
        lines += [f"l{n}: &l{n} {{{', '.join(f'{k}: *l{n - 1}' for k in 'abcdefghi')}}}" for n in range(1, 8)]
    return "\n".join(lines) + "\n"


def use_bomb(levels: int) -> bytes:
    """An SVG of 2 KB that asks for 10^levels rectangles: each level uses the one below ten times."""
    groups = "".join(f'<g id="l{n}">' + f'<use href="#l{n - 1}"/>' * 10 + "</g>" for n in range(1, levels + 1))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><g id="l0"><rect width="1" '
            f'height="1"/></g>{groups}</defs><use href="#l{levels}"/></svg>').encode()
