"""Loading every supported format into exact, offset-stable text, and refusing the rest."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from index.loaders import (
    SUPPORTED_SUFFIXES,
    UnreadableDocument,
    discover,
    load_document,
    sidecar_path,
)
from rag.types import SourceDoc

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

LINES = [
    "关于印发《河源市高新区国民经济和社会发展第十四个五年规划(2021-2025)》的通知",
    "第一章 链接双区双城,谋划战略发展新蓝图",
    "2020年,规上工业总产值489.5亿元,同比增长4%。",
]
EXPECTED = "\n".join(LINES) + "\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _load(path: Path, root: Path) -> SourceDoc:
    return load_document(path, root)


def _assert_offsets(doc: SourceDoc, lines: list[str]) -> None:
    """Each written line sits at the offset where the decoded text says it does."""
    pos = 0
    for line in lines:
        start = doc.text.index(line, pos)
        assert doc.text[start : start + len(line)] == line
        pos = start + len(line)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("gbk.txt", EXPECTED.encode("gbk")),
        ("crlf-gbk.txt", EXPECTED.replace("\n", "\r\n").encode("gbk")),
        ("bom.txt", b"\xef\xbb\xbf" + EXPECTED.replace("\n", "\r\n").encode("utf-8")),
        ("cr.md", EXPECTED.replace("\n", "\r").encode("utf-8")),
        ("utf16.txt", "\ufeff".encode("utf-16-le") + EXPECTED.encode("utf-16-le")),
    ],
)
def test_text_encodings_and_newlines_decode_to_the_written_text(
    tmp_path: Path, name: str, data: bytes
) -> None:
    doc = _load(_write(tmp_path, name, data), tmp_path)
    assert doc.text == EXPECTED
    _assert_offsets(doc, LINES)
    assert doc.path == name


def test_gb18030_only_characters_are_decoded(tmp_path: Path) -> None:
    # 𠮷 (U+20BB7) exists in GB18030 but not in GBK, so a GBK decoder would fail.
    lines = ["𠮷野家开业。", "第二行:黄埔区。"]
    text = "\r\n".join(lines)
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    doc = _load(_write(tmp_path, "rare.txt", text.encode("gb18030")), tmp_path)
    assert doc.text == "\n".join(lines)
    _assert_offsets(doc, lines)


def test_decoding_goes_by_bytes_not_by_extension(tmp_path: Path) -> None:
    doc = _load(_write(tmp_path, "notes.md", EXPECTED.encode("gb18030")), tmp_path)
    assert doc.text == EXPECTED


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \r\n\t\n", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        ("photo.md", b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        ("data.txt", b"\x01\x02\x00\x00binary\x00", "binary"),
        ("bom-only.txt", b"\xef\xbb\xbf", "no text"),
        ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office"),
        ("notes.doc", b"plain words", "unsupported file type '.doc'"),
        ("archive.txt", b"\x1f\x8b\x08\x00", "a gzip archive"),
    ],
)
def test_unusable_files_raise_with_a_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(UnreadableDocument) as caught:
        _load(path, tmp_path)
    assert reason in caught.value.reason
    assert caught.value.path == path
    assert str(path) in str(caught.value)


def test_undecodable_bytes_raise(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = bytes(rng.choice(range(0x80, 0x100)) for _ in range(3000))
    with pytest.raises(UnreadableDocument, match="undecodable"):
        _load(_write(tmp_path, "noise.txt", noise), tmp_path)


HTML = """<!DOCTYPE html>
<html><head><meta charset="gb2312"><title>河源高新区_站点</title>
<style>.x{color:red}</style><script>var nav = "首页";</script></head>
<body>
<header><div class="logo">河源国家高新区门户网站</div></header>
<nav><a href="/">首页</a><a href="/zw">政务公开</a></nav>
<div class="breadcrumb">当前位置:首页 &gt; 政务公开</div>
<form><input name="q"><button>搜索</button></form>
<article>
  <h1>河源高新区发展规划</h1>
  <p>&nbsp;&nbsp;第一条&nbsp;规上工业总产值489.5亿元,
  同比增长4%。</p>
  <div class="share-bar">分享到:微信 微博</div>
  <p>研发投入&lt;1.5% &amp; 人才引进<br>第二行</p>
  <table><tr><th>指标</th><th>2020年</th></tr><tr><td>税收</td><td>13.5亿元</td></tr></table>
  <!-- 注释不应出现 -->
  <p>镕铸新优势。</p>
</article>
<aside><a href="/a">相关链接一</a></aside>
<footer>版权所有 河源市 粤ICP备12345号</footer>
</body></html>
"""


def test_html_keeps_only_the_main_text(tmp_path: Path) -> None:
    # Declared gb2312, written as GB18030: 镕 is outside GB2312, as on many real pages.
    doc = _load(_write(tmp_path, "page.html", HTML.encode("gb18030")), tmp_path)
    assert doc.text.split("\n") == [
        "河源高新区发展规划",
        "第一条 规上工业总产值489.5亿元, 同比增长4%。",
        "研发投入<1.5% & 人才引进",
        "第二行",
        "指标 | 2020年",
        "税收 | 13.5亿元",
        "镕铸新优势。",
    ]
    assert doc.meta.title == "河源高新区发展规划"


def test_html_without_article_uses_the_densest_block_and_page_title(tmp_path: Path) -> None:
    body = "".join(
        f"<p>第{i}段:推动高新区扩容提质,提升产业承载力和创新能力。</p>" for i in range(5)
    )
    links = "".join(f'<li><a href="/{i}">栏目{i}</a></li>' for i in range(30))
    page = (
        '<html><head><meta charset="utf-8"></head><body>'
        '<div class="site-logo"><h1>门户网站</h1></div>'
        f'<div id="left"><ul>{links}</ul></div>'
        '<div class="title"><h1>产业规划</h1></div>'
        f'<div id="content">{body}</div>'
        '<div id="bottom">联系我们 网站地图</div></body></html>'
    )
    doc = _load(_write(tmp_path, "list.htm", page.encode("utf-8")), tmp_path)
    lines = doc.text.split("\n")
    assert lines[0] == "产业规划"
    assert lines[1:] == [f"第{i}段:推动高新区扩容提质,提升产业承载力和创新能力。" for i in range(5)]


def test_docx_paragraphs_and_tables_in_body_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("新乡高新区深化改革创新工作方案")
    document.add_paragraph("一、总体要求")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("指标", "目标"), ("研发投入", "1.5%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("二、工作内容。")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    doc = _load(path, tmp_path)
    assert doc.text.split("\n") == [
        "新乡高新区深化改革创新工作方案",
        "一、总体要求",
        "指标 | 目标",
        "研发投入 | 1.5%",
        "二、工作内容。",
    ]
    assert doc.page_starts == ()


def test_corrupt_docx_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableDocument, match=r"corrupt \.docx"):
        _load(path, tmp_path)


def _cjk_font() -> Path | None:
    """A CJK TrueType font on this machine, if fontconfig knows one."""
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
    )
    files = sorted(Path(line.split(":")[0]) for line in listing.stdout.splitlines() if line)
    return next(iter(files), None)


def _pdf(path: Path, pages: list[str], font: Path | None, **encryption: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    if font is not None:
        pdf.add_font("cjk", fname=str(font))
        pdf.set_font("cjk", size=12)
    else:
        pdf.set_font("helvetica", size=12)
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, page)
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.output(str(path))


def test_pdf_pages_and_page_starts(tmp_path: Path) -> None:
    font = _cjk_font()
    # CJK text when a CJK font exists (here: fonts-wqy-zenhei/fonts-droid-fallback), else ASCII.
    pages = (
        ["第一页河源高新区规划。", "第二页新乡高新区规划。"] if font else ["Page one.", "Page two."]
    )
    path = tmp_path / "plan.pdf"
    _pdf(path, pages, font)
    doc = _load(path, tmp_path)
    assert doc.page_starts == (0, len(pages[0]) + 1)
    assert doc.text == "\n".join(pages)
    second = doc.text.index(pages[1])
    assert doc.page_at(second) == 2
    assert doc.page_at(second - 2) == 1


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    path = tmp_path / "open.pdf"
    _pdf(path, ["Open page."], None, owner_password="owner")
    assert _load(path, tmp_path).text == "Open page."


def test_pdf_that_needs_a_password_raises(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    _pdf(path, ["Secret page."], None, owner_password="owner", user_password="user")
    with pytest.raises(UnreadableDocument, match="encrypted PDF"):
        _load(path, tmp_path)


def test_image_only_pdf_raises(tmp_path: Path) -> None:
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (40, 20), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=100)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(UnreadableDocument, match="no text layer — OCR it first"):
        _load(path, tmp_path)


def test_corrupt_pdf_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.pdf", b"%PDF-1.7\n garbage without objects")
    with pytest.raises(UnreadableDocument, match="PDF"):
        _load(path, tmp_path)


def test_sidecar_corrects_derived_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.txt", EXPECTED.encode("utf-8"))
    derived = _load(path, tmp_path).meta
    assert derived.region == "河源高新区"
    sidecar_path(path).write_text(
        json.dumps({"title": "河源高新区十四五规划", "date": "2022-03-09"}), encoding="utf-8"
    )
    meta = _load(path, tmp_path).meta
    assert meta.title == "河源高新区十四五规划"
    assert meta.date == "2022-03-09"
    assert meta.region == derived.region
    assert sidecar_path(path).name == "plan.txt.meta.json"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"titel": "x"}', ["plan.txt.meta.json", "'titel'", "unknown", "title"]),
        ('{"date": 2022}', ["plan.txt.meta.json", "'date'", "string"]),
        ('{"date": "2022年3月9日"}', ["plan.txt.meta.json", "'date'", "yyyy-mm-dd"]),
        ('{"title": "x",\n  oops}', ["plan.txt.meta.json", "line 2"]),
        ('["title"]', ["plan.txt.meta.json", "JSON object"]),
    ],
)
def test_bad_sidecar_names_file_and_field(tmp_path: Path, content: str, words: list[str]) -> None:
    path = _write(tmp_path, "plan.txt", EXPECTED.encode("utf-8"))
    sidecar_path(path).write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableDocument) as caught:
        _load(path, tmp_path)
    for word in words:
        assert word in caught.value.reason


def test_discover_is_sorted_recursive_and_skips_hidden_and_sidecars(tmp_path: Path) -> None:
    for name in [
        "b.txt",
        "a/z.pdf",
        "a/y.DOCX",
        "c.htm",
        "b.txt.meta.json",
        ".hidden.txt",
        ".git/x.txt",
        "a/~$lock.docx",
        "table.xlsx",
    ]:
        _write(tmp_path, name, b"x")
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.documents] == [
        "a/y.DOCX",
        "a/z.pdf",
        "b.txt",
        "c.htm",
    ]
    # Hidden entries and lock files pass silently; an unsupported file is listed.
    supported = ", ".join(SUPPORTED_SUFFIXES)
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("table.xlsx", f"unsupported file type '.xlsx' (supported: {supported})")
    ]


def test_nested_document_path_is_relative_with_slashes(tmp_path: Path) -> None:
    path = _write(tmp_path, "zone/plans/plan.txt", EXPECTED.encode("utf-8"))
    assert _load(path, tmp_path).path == "zone/plans/plan.txt"


def test_missing_documents_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--docs"):
        discover(tmp_path / "nowhere")


def test_corpus_loads_unchanged() -> None:
    found = discover(CORPUS)
    assert found.skipped == ()
    paths = found.documents
    assert [p.name[:3] for p in paths] == ["000", "001", "002", "003", "004", "005", "006"]
    for path in paths:
        doc = load_document(path, CORPUS)
        if path.suffix == ".txt":
            assert doc.text == path.read_text(encoding="utf-8")
        assert doc.path == path.name
        assert doc.meta.title


# --- files judged by their content -----------------------------------------------------


def _nul_pdf() -> bytes:
    """A one-page PDF whose font maps each glyph to a NUL and an ideograph ("\\x00第\\x00一"),
    as two-byte CJK fonts with a sloppy ToUnicode map do (e.g. Noto CJK through fpdf2)."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Test def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"2 beginbfchar <41> <00007B2C> <42> <00004E00> endbfchar\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    content = b"BT /F1 12 Tf 72 720 Td (ABAB) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_loses_the_nuls_some_fonts_leave_in_it(tmp_path: Path) -> None:
    from pypdf import PdfReader

    data = _nul_pdf()
    path = _write(tmp_path, "nul.pdf", data)
    assert "\x00" in PdfReader(path).pages[0].extract_text()  # the reader's raw output
    doc = _load(path, tmp_path)
    assert doc.text == "第一第一"
    assert doc.page_starts == (0,)


def test_a_pdf_named_txt_is_read_as_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "saved-as.txt"
    _pdf(path, ["Page one.", "Page two."], None)
    doc = _load(path, tmp_path)
    assert doc.text == "Page one.\nPage two."
    assert doc.page_starts == (0, len("Page one.") + 1)


def test_a_docx_named_txt_is_read_as_a_docx(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("新乡高新区工作方案")
    document.add_paragraph("一、总体要求")
    path = tmp_path / "plan.txt"
    document.save(str(path))
    assert _load(path, tmp_path).text == "新乡高新区工作方案\n一、总体要求"


def test_a_web_page_named_txt_is_read_as_a_web_page(tmp_path: Path) -> None:
    page = "<!DOCTYPE html>\n<html><body><article><p>第一条 规划。</p></article></body></html>"
    doc = _load(_write(tmp_path, "page.txt", page.encode("utf-8")), tmp_path)
    assert doc.text == "第一条 规划。"


@pytest.mark.parametrize(
    ("name", "member", "reason"),
    [
        ("bundle.txt", "notes.txt", "a ZIP archive, not a document — unpack it"),
        ("bundle.docx", "notes.txt", "corrupt .docx (no word/document.xml)"),
        ("sheet.docx", "xl/workbook.xml", "an Excel workbook (.xlsx)"),
        ("scan.txt", "OFD.xml", "an OFD document, not a supported document — export it as PDF"),
    ],
)
def test_zip_files_that_are_no_docx_are_refused(
    tmp_path: Path, name: str, member: str, reason: str
) -> None:
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, "<x/>")
    with pytest.raises(UnreadableDocument) as caught:
        _load(path, tmp_path)
    assert reason in caught.value.reason


def test_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(UnreadableDocument, match="not a regular file"):
        _load(tmp_path / "pipe.txt", tmp_path)


def test_a_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside.txt", EXPECTED.encode("utf-8"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "link.txt").symlink_to(outside)
    with pytest.raises(UnreadableDocument, match="outside the documents folder"):
        _load(tmp_path / "docs" / "link.txt", tmp_path / "docs")


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.txt", EXPECTED.encode("utf-8") * 100)
    with pytest.raises(UnreadableDocument, match="too large"):
        load_document(path, tmp_path, max_bytes=1024)
    assert load_document(path, tmp_path, max_bytes=1024 * 1024).text


def test_sidecar_sets_the_publication_date(tmp_path: Path) -> None:
    path = _write(tmp_path, "plan.txt", EXPECTED.encode("utf-8"))
    sidecar_path(path).write_text(
        json.dumps({"date": "2021-10-14", "published": "2025-01-17"}), encoding="utf-8"
    )
    meta = _load(path, tmp_path).meta
    assert (meta.date, meta.published) == ("2021-10-14", "2025-01-17")
    for bad, words in [
        ({"published": "2025年1月17日"}, "'published' must be yyyy-mm-dd"),
        ({"title": "规划\n第二行"}, "'title' must be one line of text"),
    ]:
        sidecar_path(path).write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(UnreadableDocument, match=words):
            _load(path, tmp_path)


NOTICE_PAGE = """<html><head><meta charset="utf-8"><title>某市人民政府门户网站</title></head>
<body><div class="nav">首页 &gt; 政策文件</div>
<div class="article">
<table>
<tr><td>索 引 号：</td><td>11410700/2023-00123</td><td>主题分类：</td><td>工业、交通</td></tr>
<tr><td>发布机构：</td><td>某市人民政府门户网站</td><td>成文日期：</td><td>2023年04月28日</td></tr>
<tr><td>标 题：</td><td>某市人民政府关于印发某市先进制造业发展规划的通知</td></tr>
<tr><td>发文字号：</td><td>某政〔2023〕12号</td><td>发布日期：</td><td>2023年05月06日</td></tr>
</table>
<h1>某市人民政府关于印发某市先进制造业发展规划的通知</h1>
<p>各县(市)、区人民政府，市人民政府各部门：</p>
<p>现将《某市先进制造业发展规划》印发给你们，请认真贯彻执行。</p>
<p>某市人民政府</p><p>2023年4月28日</p>
<h2>某市先进制造业发展规划</h2>
<p>一、发展基础</p><p>某市高新区先进制造业规模持续扩大，某市高新区产值增长。</p>
</div></body></html>"""


def test_an_html_notice_is_dated_by_its_signing_not_by_the_page(tmp_path: Path) -> None:
    doc = _load(_write(tmp_path, "notice.html", NOTICE_PAGE.encode("utf-8")), tmp_path)
    meta = doc.meta
    assert (meta.date, meta.published) == ("2023-04-28", "2023-05-06")
    assert meta.issuer == "某市人民政府"  # the page names a website, the notice its issuer
    assert meta.doc_number == "某政〔2023〕12号"
    assert meta.title == "某市先进制造业发展规划"


def test_a_docx_notice_signed_at_the_end(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in [
        "某区科技创新促进办法",
        "第一条 为促进科技创新，制定本办法。",
        "第二条 本办法自发布之日起施行。",
        "某区科学技术局",
        "2022年3月1日",
    ]:
        document.add_paragraph(line)
    path = tmp_path / "rules.docx"
    document.save(str(path))
    meta = _load(path, tmp_path).meta
    assert (meta.title, meta.issuer, meta.date, meta.published) == (
        "某区科技创新促进办法",
        "某区科学技术局",
        "2022-03-01",
        "",
    )


@pytest.mark.parametrize(
    ("name", "issuer", "date", "published"),
    [
        # A GBK web notice: signed at its end, published per its <meta name="PubDate">.
        ("005_7c34d92de06d191d.html", "汀澜高新区管委会", "2024-03-15", "2024-03-19"),
        # A Word action plan signed under its task table; no publication date.
        ("006_a3c0b07a9c1e5341.docx", "鹭岭高新技术产业开发区管理委员会", "2024-05-20", ""),
    ],
)
def test_corpus_web_and_word_documents_are_dated_by_their_signing(
    name: str, issuer: str, date: str, published: str
) -> None:
    meta = load_document(CORPUS / name, CORPUS).meta
    assert (meta.issuer, meta.date, meta.published) == (issuer, date, published)


def test_a_web_pages_meta_pubdate_is_its_publication_date(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="utf-8"><meta name="PubDate" content="2023-06-01 09:00">'
        '<meta name="SiteName" content="某市人民政府门户网站"></head><body><article>'
        "<h1>某区产业发展规划</h1><p>为推动高质量发展，制定本规划。</p></article></body></html>"
    )
    meta = _load(_write(tmp_path, "plan.html", page.encode("utf-8")), tmp_path).meta
    assert (meta.date, meta.published, meta.issuer) == ("2023-06-01", "2023-06-01", "")


INFO_LINE_PAGE = """<html><head><meta charset="utf-8"></head><body>
<div class="header"><a href="/">某区门户网站</a> | <a href="/zwgk/">政务公开</a></div>
<div class="crumb">当前位置：首页 &gt; 通知公告</div>
<div class="article">
<h1>某区管委会关于印发《某区科技创新发展规划》的通知</h1>
{beside}
<div class="content">
{inside}
<p>各部门、各街道，区属国有企业：</p>
<p>《某区科技创新发展规划》已经管委会主任办公会议审议通过，现印发给你们，请认真组织实施。</p>
<h2>某区科技创新发展规划</h2>
<p>为深入实施创新驱动发展战略，加快建设科技创新高地，结合我区实际，制定本规划。</p>
<p>到2025年，全区创新体系更加完善，创新能力显著提升，高新技术企业数量实现倍增。</p>
<p>某区管委会</p>
<p>2022年3月15日</p>
</div></div>
<div class="footer">主办：某区管理委员会 湘ICP备05001234号</div>
</body></html>"""


@pytest.mark.parametrize(
    ("beside", "inside"),
    [
        # Beside the title, outside the block that holds the text.
        ('<div class="info">发布日期：2022-03-21 &nbsp; 来源：某区科技局 浏览次数：1873</div>', ""),
        # In a tool bar atop the text, which is dropped as page furniture.
        (
            "",
            '<div class="toolbar"><span>发布时间</span>：<span>2022年03月21日 10:30</span>'
            " 浏览次数：1873 【打印】【关闭】</div>",
        ),
    ],
)
def test_a_web_pages_published_line_is_read_outside_its_text(
    tmp_path: Path, beside: str, inside: str
) -> None:
    page = INFO_LINE_PAGE.format(beside=beside, inside=inside)
    doc = _load(_write(tmp_path, "notice.html", page.encode("utf-8")), tmp_path)
    assert (doc.meta.date, doc.meta.published) == ("2022-03-15", "2022-03-21")
    assert not any(word in doc.text for word in ("发布", "浏览次数", "打印", "ICP"))
