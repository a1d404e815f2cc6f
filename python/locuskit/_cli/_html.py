"""``--html``: one static, self-contained report page (no server, no network, no scripts).

A report is a title and sections; a section holds paragraphs, tables, figures (matplotlib,
embedded as base64 PNG) and preformatted text, in the order they are added. Commands build the
report from the same rows they print and write as JSON, so a new analysis adds a section::

    report = HtmlReport("COCO evaluation")
    s = report.section("TIDE errors")
    s.table(["type", "dAP"], [["classification", 0.012], ...])
    s.figure(fig, "dAP per error type")
    report.write("out.html")
"""
from __future__ import annotations

import base64
import html
import io
import math
import os

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1200px;
color:#1b1b1b;background:#fff;padding:0 1em;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}
h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{padding:.2em .6em;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th{background:#f3f3f3;position:sticky;top:0}td.t,th.t{text-align:left}
.scroll{max-height:32em;overflow:auto;display:inline-block;border:1px solid #e4e4e4}
figure{margin:1em 0}figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:.85em}
pre{background:#f7f7f7;padding:.6em;font-size:.85em;overflow:auto}
ul.warn li{color:#8a4b00}
"""


def _cell(v, digits: int) -> tuple:
    """(text, is_text) of one table cell; NaN and None print as '-'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-", False
    if isinstance(v, bool):
        return str(v), True
    if isinstance(v, float):
        return f"{v:.{digits}f}", False
    if isinstance(v, int):
        return str(v), False
    return str(v), True


class Section:
    def __init__(self, heading: str):
        self.heading = heading
        self.parts = []

    def text(self, paragraph: str) -> "Section":
        self.parts.append(f"<p>{html.escape(paragraph)}</p>")
        return self

    def items(self, lines, css_class: str = "") -> "Section":
        cls = f' class="{css_class}"' if css_class else ""
        self.parts.append(f"<ul{cls}>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in lines) + "</ul>")
        return self

    def pre(self, text: str) -> "Section":
        self.parts.append(f"<pre>{html.escape(text)}</pre>")
        return self

    def table(self, columns, rows, caption: str = None, digits: int = 3) -> "Section":
        """columns: header names; rows: lists of cells (str, int, float, None)."""
        head = "".join(f'<th class="t">{html.escape(str(c))}</th>' if k == 0 else f"<th>{html.escape(str(c))}</th>"
                       for k, c in enumerate(columns))
        body = []
        for row in rows:
            cells = []
            for v in row:
                text, is_text = _cell(v, digits)
                cells.append(f'<td class="t">{html.escape(text)}</td>' if is_text else f"<td>{html.escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self.parts.append(f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead><tbody>'
                          + "".join(body) + "</tbody></table></div>")
        return self

    def figure(self, fig, caption: str = None) -> "Section":
        """A matplotlib figure (written as PNG, embedded; the figure is not closed) or PNG bytes."""
        if isinstance(fig, (bytes, bytearray)):
            png = bytes(fig)
        else:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            png = buf.getvalue()
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        alt = html.escape(caption or self.heading)
        self.parts.append(f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">{cap}</figure>')
        return self

    def render(self) -> str:
        return f"<section><h2>{html.escape(self.heading)}</h2>\n" + "\n".join(self.parts) + "</section>"


class HtmlReport:
    def __init__(self, title: str, meta=None):
        self.title = title
        self.meta = list(meta or [])
        self.sections = []

    def section(self, heading: str) -> Section:
        s = Section(heading)
        self.sections.append(s)
        return s

    def render(self) -> str:
        meta = "".join(f'<div class="meta">{html.escape(m)}</div>' for m in self.meta)
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head>\n<body>"
                f"<h1>{html.escape(self.title)}</h1>{meta}\n"
                + "\n".join(s.render() for s in self.sections) + "\n</body></html>\n")

    def write(self, path) -> None:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.render())
        except OSError as exc:
            raise ValueError(f"--html {os.fspath(path)}: cannot write ({exc.strerror})") from None
