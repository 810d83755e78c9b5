#!/usr/bin/env python3
"""bench/xlsx_same.py A.xlsx B.xlsx — do two workbooks show the same thing?

Compares what a reader sees, not the bytes: per sheet, every cell's value and type and its
resolved style (number format code, font, fill, border, alignment), plus the sheet XML outside
the cell data (column widths, panes, filters, print setup) and the workbook's sheet names and
defined names. Used to check that a speed change in the writer left the output unchanged when
the zip compression or the order of styles differs. Standard library only.
Exit code 0 = same, 1 = differences (the first ones are printed).
"""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
BUILTIN_FMT = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}


def canon(el):
    return ET.tostring(el, encoding="unicode") if el is not None else ""


def styles(z):
    root = ET.fromstring(z.read("xl/styles.xml"))
    fmts = dict(BUILTIN_FMT)
    for f in root.iterfind("m:numFmts/m:numFmt", NS):
        fmts[int(f.get("numFmtId"))] = f.get("formatCode")
    fonts = [canon(f) for f in root.iterfind("m:fonts/m:font", NS)]
    fills = [canon(f) for f in root.iterfind("m:fills/m:fill", NS)]
    borders = [canon(b) for b in root.iterfind("m:borders/m:border", NS)]
    out = []
    for xf in root.iterfind("m:cellXfs/m:xf", NS):
        out.append(
            (
                fmts.get(int(xf.get("numFmtId", 0)), xf.get("numFmtId")),
                fonts[int(xf.get("fontId", 0))],
                fills[int(xf.get("fillId", 0))],
                borders[int(xf.get("borderId", 0))],
                canon(xf.find("m:alignment", NS)),
                canon(xf.find("m:protection", NS)),
            )
        )
    return out


def shared(z):
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    root = ET.fromstring(z.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])) for si in root]


def sheets(z):
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    names = [(s.get("name"), "xl/" + target[s.get(REL)].lstrip("/").removeprefix("xl/"))
             for s in wb.iterfind("m:sheets/m:sheet", NS)]
    defined = [canon(d) for d in wb.iterfind("m:definedNames/m:definedName", NS)]
    return names, defined


def cells(z, path, xfs, strings):
    root = ET.fromstring(z.read(path))
    data = root.find("m:sheetData", NS)
    out = {}
    for row in data.iterfind("m:row", NS):
        row_style = (row.get("ht"), row.get("customHeight"), row.get("s"))
        out["row " + row.get("r")] = row_style
        for c in row.iterfind("m:c", NS):
            t = c.get("t", "n")
            v = c.find("m:v", NS)
            value = v.text if v is not None else None
            if t == "s" and value is not None:
                t, value = "str", strings[int(value)]
            elif t == "inlineStr":
                t, value = "str", "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
            elif t == "n" and value is not None:
                value = repr(float(value))
            f = c.find("m:f", NS)
            out[c.get("r")] = (t, value, canon(f), xfs[int(c.get("s", 0))])
    root.remove(data)
    rest = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", canon(root))
    return out, rest


def main(a, b):
    za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
    (na, da), (nb, db) = sheets(za), sheets(zb)
    problems = []
    if [n for n, _ in na] != [n for n, _ in nb]:
        problems.append(f"sheet names differ: {[n for n, _ in na]} vs {[n for n, _ in nb]}")
    if da != db:
        problems.append("defined names differ")
    xa, xb = styles(za), styles(zb)
    sa, sb = shared(za), shared(zb)
    for (name, pa), (_, pb) in zip(na, nb):
        ca, ra = cells(za, pa, xa, sa)
        cb, rb = cells(zb, pb, xb, sb)
        if ra != rb:
            problems.append(f"{name}: sheet settings differ\n  A: {ra[:400]}\n  B: {rb[:400]}")
        for ref in sorted(set(ca) | set(cb)):
            if ca.get(ref) != cb.get(ref):
                problems.append(f"{name}!{ref}: {ca.get(ref)} vs {cb.get(ref)}")
                if len(problems) > 20:
                    break
        print(f"{name}: {len(ca)} cells/rows compared")
    for p in problems[:20]:
        print(p)
    print("same" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
