"""The report's PDF of Latin-1 text, written directly in Helvetica: text, alignment, images."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from gexclust._report._model import Figure, Paragraph, Report, Section, Table
from gexclust._report._pdf import LINE, TABLE_PT, render_pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="pdftotext (poppler-utils) absent")
ROWS = [["AML", "26", "0.898"], ["Ménétrier (5 µm) ± 2%", "8", "12.5"], ["PB", "10", "1.0"]]


def png(alpha: int = 255, size=(30, 20), mode: str = "RGBA") -> bytes:
    """A PNG of known pixels: red rising left to right, green top to bottom."""
    w, h = size
    pixels = np.zeros((h, w, 4), dtype=np.uint8)
    pixels[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    pixels[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    pixels[..., 3] = alpha
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def report(*, alpha: int = 255, picture: bytes | None = None) -> Report:
    blocks = [Paragraph("Ménétrier's disease: 5 µm ± 2% (façade, naïve, Ångström)."),
              Table(columns=["type", "samples", "score"], rows=ROWS, caption="Types",
                    numeric=(1, 2)),
              Figure(png=picture or png(alpha), caption="A figure.", alt="")]
    return Report(title="Report « Latin-1 »", subtitle="L.csv · 64 samples",
                  sections=[Section(key="s", title="Résumé", blocks=blocks)])


def words(pdf: bytes, tmp_path) -> list[tuple[str, float, float, float]]:
    """(word, xMin, xMax, yMin) of every word pdftotext finds in ``pdf``."""
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    page = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    found = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<',
                       page)
    return [(html.unescape(w), float(x0), float(x1), float(y0)) for x0, y0, x1, w in found]


def test_a_latin1_report_is_written_without_matplotlib(tmp_path):
    """Before: every report's PDF was drawn by matplotlib's PDF backend (~0.2 s of a run)."""
    code = ("import sys; from tests.report.test_pdf import report; "
            "from gexclust._report._pdf import render_pdf; pdf = render_pdf(report()); "
            "assert b'/BaseFont /Helvetica' in pdf and b'/Type3' not in pdf, pdf[:2000]; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


@needs_poppler
def test_latin1_text_is_extracted_whole(tmp_path):
    text = " ".join(w for w, *_ in words(render_pdf(report()), tmp_path))
    assert "Ménétrier's disease: 5 µm ± 2% (façade, naïve, Ångström)." in text
    assert "Report « Latin-1 » · page 1" in text
    assert "Résumé" in text


@needs_poppler
def test_table_rows_are_one_line_apart_and_numbers_right_aligned(tmp_path):
    """Before: matplotlib spaced lines by each line's glyphs (8.0 pt text: 9.3 to 10.6 pt
    apart), while the flow counted 1.4 x 8 = 11.2 pt per line: rows drifted from the header's
    band and from each other."""
    found = words(render_pdf(report()), tmp_path)
    first = [next(y for w, _, _, y in found if w == row[0].split()[0]) for row in ROWS]
    assert np.diff(first) == pytest.approx(TABLE_PT * LINE, abs=0.01)
    for column in (1, 2):
        right = [next(x1 for w, _, x1, _ in found if w == row[column]) for row in ROWS]
        assert max(right) - min(right) < 0.5, right


def image_streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """(dictionary, decompressed data) of every image XObject of ``pdf``."""
    return [(head, zlib.decompress(data)) for head, data in
            re.findall(rb"<< (/Type /XObject /Subtype /Image[^>]*)>>\nstream\n(.*?)\nendstream",
                       pdf, re.S)]


def test_figures_keep_their_pixels_and_transparency_only_when_there_is_some():
    opaque = image_streams(render_pdf(report()))
    assert len(opaque) == 1
    head, data = opaque[0]
    assert b"/Width 30 /Height 20 /ColorSpace /DeviceRGB" in head
    assert b"/SMask" not in head
    expected = np.asarray(Image.open(io.BytesIO(png())).convert("RGB"))
    assert data == expected.tobytes()

    see_through = image_streams(render_pdf(report(alpha=100)))
    assert len(see_through) == 2  # the alpha as a soft mask, then the colours
    mask, colours = see_through
    assert b"/DeviceGray" in mask[0]
    assert mask[1] == bytes([100]) * 600
    assert b"/SMask" in colours[0]


def png_data(picture: bytes) -> bytes:
    """The image data of a PNG: its IDAT chunks' contents, joined."""
    chunks, pos = [], 8
    while pos < len(picture):
        length = int.from_bytes(picture[pos : pos + 4], "big")
        if picture[pos + 4 : pos + 8] == b"IDAT":
            chunks.append(picture[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(chunks)


def test_an_rgb_png_goes_into_the_pdf_as_it_is(tmp_path):
    """An opaque figure's RGB PNG (as gexclust saves them) is embedded without being unpacked
    and packed again: its compressed rows, read with the PNG predictors."""
    picture = png(mode="RGB", size=(37, 23))
    pdf = render_pdf(report(picture=picture))
    (head, data), = re.findall(
        rb"<< (/Type /XObject /Subtype /Image[^>]*>>[^>]*)>>\nstream\n(.*?)\nendstream", pdf, re.S)
    assert b"/Width 37 /Height 23 /ColorSpace /DeviceRGB /BitsPerComponent 8" in head
    assert b"/DecodeParms << /Predictor 15 /Colors 3 /BitsPerComponent 8 /Columns 37 >>" in head
    assert data == png_data(picture)
    if shutil.which("pdfimages") is None:
        pytest.skip("pdfimages (poppler-utils) absent: the pixels are not decoded")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdfimages", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "img")],
                   check=True, timeout=60)
    decoded = np.asarray(Image.open(tmp_path / "img-000.png").convert("RGB"))
    np.testing.assert_array_equal(decoded, np.asarray(Image.open(io.BytesIO(picture))))


@pytest.mark.parametrize("cut", [30, 60])
def test_an_rgb_png_cut_short_is_refused_not_embedded(cut):
    """An RGB PNG missing its last bytes (IEND, or part of its pixels) was copied into the PDF:
    a flate stream ending too early, which readers flag ("Unexpected end of file in flate
    stream", poppler) and draw partly; found by embedding a truncated PNG. PIL refuses it."""
    picture = png(mode="RGB", size=(37, 23))
    with pytest.raises(OSError, match="truncated"):
        render_pdf(report(picture=picture[:-cut]))


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) absent")
def test_the_title_in_the_documents_info_keeps_every_character(tmp_path):
    """Before: /Title was written as cp1252 bytes, which readers take as PDFDocEncoding:
    a no-break space showed as '€', a soft hyphen as '�', 'é' only by luck."""
    title = "AML\u00a0vs\u00a0ALL: Ménétrier « naïve » co\u00adexpression"
    made = Report(title=title, subtitle="s", sections=[Section(key="s", title="S", blocks=[])])
    path = tmp_path / "r.pdf"
    path.write_bytes(render_pdf(made))
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == title
    assert fields["Creator"].strip() == "gexclust"
    assert fields["Producer"].strip() == "gexclust"


@needs_poppler
@pytest.mark.parametrize("beyond_latin1", [False, True])
def test_tabs_and_line_ends_in_labels_read_as_one_space_as_in_the_html(tmp_path, beyond_latin1):
    """A type 'Bone<TAB>Marrow' (a CSV's quoted field) was drawn 'Bone    Marrow' in paragraphs
    (textwrap expanded the tab to column 8) and its table cell ran wide of its column."""
    label = "Bone\tMarrow" + (" β" if beyond_latin1 else "")
    blocks = [Paragraph(f"The first split separates PB (10) and {label}\n(10)."),
              Table(columns=["type", "samples"], rows=[[label, "10"], ["PB", "10"]],
                    numeric=(1,))]
    pdf = render_pdf(Report(title="t", subtitle="s",
                            sections=[Section(key="s", title="S", blocks=blocks)]))
    found = words(pdf, tmp_path)
    bone = [x1 for w, _, x1, _ in found if w == "Bone"]
    marrow = [x0 for w, x0, _, _ in found if w == "Marrow"]
    assert len(bone) == len(marrow) == 2  # in the paragraph and in the table
    # one space apart (about 2.6 pt at 9.5 pt, 2.2 at 8 pt), as the HTML shows them;
    # before: 13-21 pt for the paragraph's tab
    assert all(0 < x0 - x1 < 4 for x1, x0 in zip(bone, marrow, strict=True))
    assert " ".join(w for w, *_ in found).count("PB (10) and Bone Marrow") == 1
