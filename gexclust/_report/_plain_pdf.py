"""Pages of the report written as PDF directly, in the standard fonts Helvetica and Helvetica-Bold.

Used when every text of the report is Latin-1 (the usual case): the pages hold only text,
rules, shaded bands and the run's PNG figures, which PDF says in a few operators each, so
they are written without matplotlib (whose PDF backend lays out and draws every text as an
artist, ~0.2 s for a run's report). Text stays text: ``pdftotext`` extracts it. Other reports
go through matplotlib, which embeds the glyphs of any script.
"""

from __future__ import annotations

import io
import zlib

from ._helvetica import WIDTHS

FONTS = {False: ("F1", "Helvetica"), True: ("F2", "Helvetica-Bold")}
#: Height of Helvetica's ascender ('l', 'd'), in em: the top of a line of text to its baseline.
ASCENT = 0.718
#: zlib level of the streams: as matplotlib's PDF backend (``pdf.compression``).
COMPRESSION = 6


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Advance width of ``text`` in points (no kerning: as the PDF draws it)."""
    widths = WIDTHS[FONTS[bold][1]]
    return sum(widths[b] for b in _encode(text)) * size / 1000


def _encode(text: str) -> bytes:
    """``text`` in the PDF's WinAnsiEncoding (cp1252), characters without a glyph as '?'."""
    return text.encode("cp1252", errors="replace")


def _literal(data: bytes) -> bytes:
    """A PDF literal string of ``data``: backslash, parentheses and control bytes escaped."""
    out = bytearray(b"(")
    for byte in data:
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif byte < 32:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b")")


def _text_string(text: str) -> bytes:
    """``text`` as a PDF text string, for the document's /Info.

    Readers decode text strings as PDFDocEncoding, which differs from the pages' cp1252
    (no-break space, soft hyphen, 0x80-0x9F, and control bytes 0x18-0x1F): printable ASCII is
    the same in both, anything else is written as UTF-16BE with its byte-order mark, which
    holds every character.
    """
    if text.isascii() and text.isprintable():
        return _literal(text.encode("ascii"))
    return b"<%s>" % ("\ufeff" + text).encode("utf-16-be").hex().upper().encode()


#: The signature every PNG file starts with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _rgb_png_stream(png: bytes) -> tuple[int, int, bytes] | None:
    """Width, height and compressed pixel rows of an 8-bit RGB PNG, else ``None``.

    Such a PNG's image data (its IDAT chunks, joined) is what a PDF image with PNG predictors
    (``/Predictor 15``) holds, so it goes into the PDF as it is, neither unpacked nor packed
    again. Other PNGs (transparent, grey, palette, interlaced) are not taken, nor a PNG cut
    short (no IEND, a chunk past the end): copied, its rows were a broken stream in the PDF,
    without a word; PIL refuses it.
    """
    if not png.startswith(PNG_SIGNATURE):
        return None
    pos, header, data, ended = len(PNG_SIGNATURE), None, [], False
    while pos + 12 <= len(png) and not ended:
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if pos + 12 + length > len(png):  # length, type, data, CRC
            return None
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data.append(body)
        ended = kind == b"IEND"
        pos += 12 + length
    # bit depth 8, colour type 2 (RGB), compression, filter and interlace methods 0
    if not ended or header is None or len(header) != 13 or (
            header[8:] != b"\x08\x02\x00\x00\x00"):
        return None
    return (int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big"),
            b"".join(data))


def _rgb(colour: str) -> bytes:
    """``'#rrggbb'`` as the three PDF colour components."""
    value = colour.lstrip("#")
    return b" ".join(b"%.4g" % (int(value[i:i + 2], 16) / 255) for i in (0, 2, 4))


def _number(x: float) -> bytes:
    return b"%.3f" % x


class PlainPages:
    """A PDF document built page by page; positions are in inches from the page's bottom left.

    Objects 1-4 are the catalogue, the page tree and the two fonts; images, page contents and
    pages follow in the order they are made.
    """

    def __init__(self, width_in: float, height_in: float, *, title: str,
                 creator: str = "gexclust") -> None:
        self.size = (width_in * 72, height_in * 72)
        self.objects: list[bytes] = [b"", b"", *(self._font(name) for _, name in FONTS.values())]
        self.kids: list[int] = []
        self.ops: list[bytes] | None = None
        self.images: dict[str, int] = {}
        self.info = {"Title": title, "Creator": creator, "Producer": creator}

    @staticmethod
    def _font(name: str) -> bytes:
        return (b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
                % name.encode())

    def _add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def _stream(self, data: bytes, entries: bytes = b"") -> int:
        packed = zlib.compress(data, COMPRESSION)
        return self._add(b"<< %s/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                         % (entries, len(packed), packed))

    def new_page(self) -> None:
        self.end_page()
        self.ops, self.images = [], {}

    def end_page(self) -> None:
        if self.ops is None:
            return
        content = self._stream(b"\n".join(self.ops))
        fonts = b" ".join(b"/%s %d 0 R" % (key.encode(), i + 3)
                          for i, (key, _) in enumerate(FONTS.values()))
        images = b" ".join(b"/%s %d 0 R" % (key.encode(), ref) for key, ref in self.images.items())
        self.kids.append(self._add(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << %s >> "
            b"/XObject << %s >> >> /Contents %d 0 R >>"
            % (_number(self.size[0]), _number(self.size[1]), fonts, images, content)))
        self.ops = None

    def text(self, x: float, y: float, text: str, *, size: float, bold: bool, colour: str,
             ha: str, top: bool, line: float) -> None:
        """Lines of ``text`` from ``y`` down (``top``: the first line's top, else its baseline).

        ``line`` is the distance of baselines, in points; ``ha`` places each line ('left' or
        'right' of ``x``).
        """
        key = FONTS[bold][0].encode()
        baseline = y * 72 - (ASCENT * size if top else 0)
        ops = [b"BT /%s %s Tf %s rg" % (key, _number(size), _rgb(colour))]
        for i, row in enumerate(text.split("\n")):
            left = x * 72 - (text_width(row, size, bold=bold) if ha == "right" else 0)
            ops.append(b"1 0 0 1 %s %s Tm %s Tj"
                       % (_number(left), _number(baseline - i * line), _literal(_encode(row))))
        self.ops.append(b"\n".join([*ops, b"ET"]))

    def rule(self, x0: float, x1: float, y: float, *, colour: str, lw: float) -> None:
        """A horizontal line at ``y`` from ``x0`` to ``x1``, ``lw`` points wide."""
        self.ops.append(b"%s RG %s w 2 J %s %s m %s %s l S"
                        % (_rgb(colour), _number(lw), _number(x0 * 72), _number(y * 72),
                           _number(x1 * 72), _number(y * 72)))

    def band(self, x: float, y: float, width: float, height: float, *, colour: str) -> None:
        """A filled rectangle, bottom left at (``x``, ``y``)."""
        self.ops.append(b"%s rg %s %s %s %s re f"
                        % (_rgb(colour), *(_number(v * 72) for v in (x, y, width, height))))

    def image(self, png: bytes, x: float, y: float, width: float, height: float) -> None:
        """The pixels of ``png``, bottom left at (``x``, ``y``), scaled to ``width`` x ``height``.

        The image holds the PNG's own pixels (the reader scales them); a transparent PNG keeps
        its alpha as a soft mask.
        """
        if (packed := _rgb_png_stream(png)) is not None:
            w, h, data = packed
            ref = self._add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d "
                            b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
                            b"/DecodeParms << /Predictor 15 /Colors 3 /BitsPerComponent 8 "
                            b"/Columns %d >> /Length %d >>\nstream\n%s\nendstream"
                            % (w, h, w, len(data), data))
            self._place(ref, x, y, width, height)
            return
        from PIL import Image

        with Image.open(io.BytesIO(png)) as picture:
            picture = picture.convert("RGBA") if picture.mode != "RGB" else picture
            w, h = picture.size
            rgb = picture.convert("RGB").tobytes() if picture.mode == "RGBA" else picture.tobytes()
            alpha = picture.getchannel("A") if picture.mode == "RGBA" else None
            mask = b""
            if alpha is not None and alpha.getextrema() != (255, 255):
                ref = self._stream(alpha.tobytes(), b"/Type /XObject /Subtype /Image /Width %d "
                                   b"/Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
                                   % (w, h))
                mask = b"/SMask %d 0 R " % ref
        ref = self._stream(rgb, b"/Type /XObject /Subtype /Image /Width %d /Height %d "
                           b"/ColorSpace /DeviceRGB /BitsPerComponent 8 %s" % (w, h, mask))
        self._place(ref, x, y, width, height)

    def _place(self, ref: int, x: float, y: float, width: float, height: float) -> None:
        """Draw the image object ``ref`` with its bottom left at (``x``, ``y``)."""
        key = f"I{len(self.images) + 1}"
        self.images[key] = ref
        self.ops.append(b"q %s 0 0 %s %s %s cm /%s Do Q"
                        % (_number(width * 72), _number(height * 72), _number(x * 72),
                           _number(y * 72), key.encode()))

    def document(self) -> bytes:
        """The PDF file's bytes (the current page ended)."""
        self.end_page()
        self.objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
        self.objects[1] = (b"<< /Type /Pages /Kids [%s] /Count %d >>"
                           % (b" ".join(b"%d 0 R" % k for k in self.kids), len(self.kids)))
        info = self._add(b"<< %s >>" % b" ".join(b"/%s %s" % (key.encode(), _text_string(v))
                                                 for key, v in self.info.items()))
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                % (len(self.objects) + 1, info, xref))
        return bytes(out)
