"""Write the advance widths of the PDF standard fonts Helvetica and Helvetica-Bold.

The report's PDF (``gexclust/_report/_plain_pdf.py``) writes Latin-1 text in these two fonts,
which every PDF reader has, and needs their widths to right-align table columns. The widths
come from Adobe's font metrics (AFM) files that matplotlib ships (``mpl-data/fonts/afm``),
read once here into ``gexclust/_report/_helvetica.py``: one width per byte of the
WinAnsiEncoding (cp1252) the PDF declares, in 1/1000 em, 0 where the byte has no glyph.

Usage: python scripts/build_helvetica_widths.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fontTools.agl import toUnicode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "gexclust" / "_report" / "_helvetica.py"
FILES = {"Helvetica": "phvr8a.afm", "Helvetica-Bold": "phvb8a.afm"}
#: Bytes WinAnsiEncoding draws with another glyph (PDF 1.7, annex D): no-break space and soft
#: hyphen are the space and the hyphen.
WIN_ANSI_ALIASES = {"\u00a0": " ", "\u00ad": "-"}


def widths(afm: Path) -> list[int]:
    """Width of each byte 0..255 of cp1252 in the font of ``afm`` (0: no glyph)."""
    by_char = {}
    for line in afm.read_text(encoding="latin-1").splitlines():
        if not line.startswith("C "):
            continue
        fields = dict(part.strip().split(" ", 1) for part in line.split(";") if part.strip())
        by_char[toUnicode(fields["N"])] = int(float(fields["WX"]))
    out = []
    for byte in range(256):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            char = None
        char = WIN_ANSI_ALIASES.get(char, char)
        out.append(by_char.get(char, 0) if byte >= 32 else 0)
    return out


def main() -> None:
    folder = Path(matplotlib.get_data_path()) / "fonts" / "afm"
    lines = ['"""Advance widths (1/1000 em) of the PDF standard fonts, by cp1252 byte.',
             "",
             "Written by scripts/build_helvetica_widths.py from Adobe's AFM files (as matplotlib",
             'ships them); do not edit.', '"""', "", "WIDTHS = {"]
    for name, file in FILES.items():
        values = widths(folder / file)
        lines.append(f"    {name!r}: (")
        lines += [f"        {', '.join(map(str, values[i:i + 16]))},"
                  for i in range(0, 256, 16)]
        lines.append("    ),")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
