"""The report as one self-contained HTML file: inline CSS, figures as data URIs, no scripts."""

from __future__ import annotations

import base64
from html import escape

from ._model import Bullets, Figure, Paragraph, Report, Section, Table

# Nothing may be loaded from elsewhere and no script may run, even if a label slipped through
# unescaped: the content security policy allows only inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
:root { --ink: #1d2428; --muted: #5b6770; --rule: #d5dbe0; --accent: #1b6e8f; --band: #f3f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
header h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
header p { color: var(--muted); margin: 0 0 1rem; overflow-wrap: anywhere; }
.banner { background: #fff4d6; border: 1px solid #e0b44c; padding: .6rem .8rem;
          border-radius: 4px; }
nav ol { columns: 2 14rem; padding-left: 1.2rem; margin: .5rem 0 1.5rem; }
nav a, a { color: var(--accent); }
section { border-top: 1px solid var(--rule); padding-top: .5rem; margin-top: 1.5rem; }
h2 { font-size: 1.3rem; margin: .6rem 0 .5rem; }
p, li, td { overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .9rem; min-width: 50%; }
caption { text-align: left; color: var(--muted); padding-bottom: .3rem; caption-side: top; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: .8rem 0 1.2rem; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
@media (max-width: 600px) {
  body { font-size: 15px; }
  main { padding: 1rem .75rem 2rem; }
  header h1 { font-size: 1.35rem; }
  nav ol { columns: 1; }
  th, td { padding: .2rem .35rem; }
}
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-inside: auto; }
  h2 { break-after: avoid; }
  figure, table, tr { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


def render_html(report: Report) -> str:
    """The full HTML document of ``report``; every text of the model is escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body><main>",
        f"<header><h1>{escape(report.title)}</h1><p>{escape(report.subtitle)}</p>",
    ]
    if report.banner:
        parts.append(f'<p class="banner" role="note">{escape(report.banner)}</p>')
    parts.append("</header>")
    parts.append(_contents(report.sections))
    parts += [_section(section) for section in report.sections]
    parts += ["<footer>Written by gexclust from this run's results.</footer>",
              "</main></body>", "</html>", ""]
    return "\n".join(parts)


def _contents(sections: list[Section]) -> str:
    items = "".join(f'<li><a href="#{escape(s.key)}">{escape(s.title)}</a></li>'
                    for s in sections)
    return f'<nav aria-label="Contents"><ol>{items}</ol></nav>'


def _section(section: Section) -> str:
    body = "\n".join(_block(block) for block in section.blocks)
    return (f'<section id="{escape(section.key)}">\n<h2>{escape(section.title)}</h2>\n'
            f"{body}\n</section>")


def _block(block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block.alt)}">'
                f"<figcaption>{escape(block.caption)}</figcaption></figure>")
    msg = f"unknown report block {type(block).__name__}"
    raise TypeError(msg)


def _table(table: Table) -> str:
    def cls(j: int) -> str:
        return ' class="num"' if j in table.numeric else ""

    head = "".join(f'<th scope="col"{cls(j)}>{escape(c)}</th>'
                   for j, c in enumerate(table.columns))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(j)}>{escape(cell)}</td>" for j, cell in enumerate(row))
        + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    return (f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")
