"""The periodic report's blocks (`periodic_layout.outline`) drawn as DOCX
(python-docx) and as PDF (fpdf2).

The PDF embeds DejaVu Sans from matplotlib's own fonts: it has every
Vietnamese letter with its diacritics, and needs no system font package.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pipeline.reports.periodic_layout import Block, Header, Heading, Image, Para, Table, Title

FONT_FAMILY = "dejavu"


def _font_files() -> dict[str, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {
        "": folder / "DejaVuSans.ttf",
        "B": folder / "DejaVuSans-Bold.ttf",
        "I": folder / "DejaVuSans-Oblique.ttf",
    }


def to_docx(blocks: list[Block], title: str) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt
    from docx.table import _Cell

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(15)
    section.top_margin, section.bottom_margin = Mm(15), Mm(15)
    # Official Vietnamese documents are set in Times New Roman, 13 pt.
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    document.core_properties.title = title
    usable = section.page_width - section.left_margin - section.right_margin

    def centred(
        container: Any, text: str, *, bold: bool = False, italic: bool = False, size: int = 0
    ) -> None:
        # A new table cell already holds one empty paragraph: fill it before adding more.
        reuse = isinstance(container, _Cell) and not container.paragraphs[-1].text
        paragraph = container.paragraphs[-1] if reuse else container.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)

    for block in blocks:
        if isinstance(block, Header):
            table = document.add_table(rows=1, cols=2)
            left, right = table.rows[0].cells
            for line in block.left:
                centred(left, line, bold=True, size=12)
            for line in block.right:
                centred(right, line, bold=True, size=12)
            centred(right, block.place_date, italic=True, size=12)
        elif isinstance(block, Title):
            centred(document, block.text, bold=True, size=15)
            centred(document, block.subtitle, italic=True)
        elif isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            document.add_paragraph(block.text)
        elif isinstance(block, Table):
            table = document.add_table(rows=1, cols=len(block.headers), style="Table Grid")
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, block.headers, strict=True):
                cell.paragraphs[0].add_run(text).bold = True
            for values in block.rows:
                for cell, text in zip(table.add_row().cells, values, strict=True):
                    cell.text = text
            total = sum(block.widths)
            for column, width in zip(table.columns, block.widths, strict=True):
                for cell in column.cells:
                    cell.width = int(usable * width / total)
            document.add_paragraph()
        elif isinstance(block, Image):
            document.add_picture(io.BytesIO(block.png), width=usable)
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def to_pdf(blocks: list[Block], title: str, page_word: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT_FAMILY, "", 8)
            self.cell(0, 5, f"{page_word} {self.page_no()}/{{nb}}", align="C")

    pdf = Report(format="A4")
    pdf.set_title(title)
    pdf.set_creator("presswatch")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=16)
    for style, path in _font_files().items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.add_page()
    width = pdf.epw

    def line(w: float, h: float, text: str, align: str = "L", x: float | None = None) -> None:
        """A wrapped paragraph, then back to the left margin (or `x`) on the next line."""
        if x is not None:
            pdf.set_x(x)
        pdf.multi_cell(w, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for block in blocks:
        if isinstance(block, Header):
            top = pdf.get_y()
            left_width = width * 0.42
            right_x = pdf.l_margin + left_width
            pdf.set_font(FONT_FAMILY, "B", 10)
            for text in block.left:
                line(left_width, 5, text, "C")
            _rule(pdf, pdf.l_margin + left_width / 2, 20)
            left_bottom = pdf.get_y()
            pdf.set_y(top)
            for text in block.right:
                line(width - left_width, 5, text, "C", x=right_x)
            # The short rule under the motto, as on an official document.
            _rule(pdf, right_x + (width - left_width) / 2, 44)
            pdf.set_font(FONT_FAMILY, "I", 10)
            line(width - left_width, 6, block.place_date, "C", x=right_x)
            pdf.set_y(max(left_bottom, pdf.get_y()) + 6)
        elif isinstance(block, Title):
            pdf.set_font(FONT_FAMILY, "B", 14)
            line(width, 7, block.text, "C")
            pdf.set_font(FONT_FAMILY, "I", 10)
            line(width, 6, block.subtitle, "C")
            pdf.ln(4)
        elif isinstance(block, Heading):
            pdf.ln(2)
            pdf.set_font(FONT_FAMILY, "B", 12)
            line(width, 7, block.text)
            pdf.ln(1)
        elif isinstance(block, Para):
            pdf.set_font(FONT_FAMILY, "", 10)
            line(width, 5.5, block.text)
            pdf.ln(2)
        elif isinstance(block, Table):
            pdf.set_font(FONT_FAMILY, "", 9)
            with pdf.table(
                col_widths=block.widths,
                line_height=5,
                text_align="LEFT",
                headings_style=_headings_style(),
                width=width,
            ) as table:
                for values in (block.headers, *block.rows):
                    row = table.row()
                    for text in values:
                        row.cell(text)
            pdf.ln(3)
        elif isinstance(block, Image):
            pdf.image(io.BytesIO(block.png), w=width)
            pdf.ln(2)
    return bytes(pdf.output())


def _rule(pdf: Any, centre: float, length: float) -> None:
    y = pdf.get_y() + 1.6  # clear of the descenders above
    pdf.line(centre - length / 2, y, centre + length / 2, y)
    pdf.set_y(y + 1.2)


def _headings_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=FONT_FAMILY, emphasis="BOLD", fill_color=(230, 236, 242))
