"""Draw a flow as inline SVG with Graphviz ``dot`` at build time.

The SVG carries classes, not colours that matter: ``assets/guide.css`` paints it from the
theme's CSS variables so the light and dark palettes both work. Labels are set in a CJK font
(``fonts-wqy-microhei`` on Debian) so box widths fit Chinese text.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess

from .content import model
from .errors import BuildError

FONT = "WenQuanYi Micro Hei"

SHAPES = {
    "start": 'shape=box, style="rounded,filled", peripheries=1',
    "end": 'shape=box, style="rounded,filled,bold"',
    "task": 'shape=box, style="filled"',
    "decision": 'shape=diamond, style="filled", margin="0.12,0.06"',
}


def _q(text: str) -> str:
    """Quote for a DOT HTML-like label."""
    return html.escape(text, quote=True)


def _wrap(text: str, width: int = 12) -> list[str]:
    """Break long Chinese labels so boxes stay narrow (no spaces to break on)."""
    lines, current = [], ""
    for ch in text:
        current += ch
        if len(current) >= width and ch not in "（(":
            lines.append(current)
            current = ""
    if current:
        lines.append(current)
    return lines or [text]


def to_dot(flow: model.Flow) -> str:
    out = [
        "digraph flow {",
        f'  graph [rankdir=TB, bgcolor="transparent", nodesep=0.35, ranksep=0.4, pad=0.15, fontname="{FONT}"];',
        f'  node [fontname="{FONT}", fontsize=13, margin="0.18,0.08", penwidth=1.3];',
        f'  edge [fontname="{FONT}", fontsize=11, arrowsize=0.7, penwidth=1.1];',
    ]
    for number, step in enumerate(flow.steps, start=1):
        label = "<BR/>".join(_q(line) for line in _wrap(step.label))
        actor = f'<BR/><FONT POINT-SIZE="10">{_q(step.actor)}</FONT>' if step.actor else ""
        out.append(f'  "{step.id}" [id="{flow.id}--{step.id}", class="flow-node flow-{step.kind}", '
                   f'{SHAPES[step.kind]}, label=<{number}. {label}{actor}>];')
    for step in flow.steps:
        if step.next:
            out.append(f'  "{step.id}" -> "{step.next}" [class="flow-edge"];')
        for branch in step.branches:
            out.append(f'  "{step.id}" -> "{branch.next}" [class="flow-edge flow-branch", '
                       f'label=<{_q(branch.when)}>];')
    out.append("}")
    return "\n".join(out)


_STRIP = [
    re.compile(r"<\?xml.*?\?>\s*", re.S),
    re.compile(r"<!DOCTYPE.*?>\s*", re.S),
    re.compile(r"<!--.*?-->\s*", re.S),
    re.compile(r"<title>.*?</title>\s*", re.S),
]


def render_svg(flow: model.Flow) -> str:
    """The flow as an inline ``<svg>`` element, accessible and free of fixed colours' meaning."""
    dot = shutil.which("dot")
    if dot is None:
        raise BuildError("Graphviz 'dot' is not installed: on Debian run 'apt-get install graphviz "
                         "fonts-wqy-microhei' (make run does this for you)")
    proc = subprocess.run([dot, "-Tsvg"], input=to_dot(flow).encode("utf-8"), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise BuildError(f"Graphviz failed on flow '{flow.id}': {proc.stderr.decode('utf-8', 'replace').strip()}")
    svg = proc.stdout.decode("utf-8")
    for pattern in _STRIP:
        svg = pattern.sub("", svg)
    # Scale with the column: drop the fixed size, keep it as a maximum width.
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    width = m.group(1) if m else "600"
    svg = re.sub(r'<svg width="[\d.]+pt" height="[\d.]+pt"',
                 f'<svg class="guide-flow-svg" role="img" aria-label="{_q(flow.title)}流程图" '
                 f'style="max-width:{float(width):.0f}pt"', svg, count=1)
    svg = re.sub(r'\sid="graph0"', f' id="{flow.id}--graph"', svg)
    svg = svg.replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    # Markdown must not see blank lines inside the block.
    return "\n".join(line for line in svg.splitlines() if line.strip())
