"""BENCHMARKS.md's sections that scripts write: `<!-- begin NAME -->` ... `<!-- end NAME -->`,
replaced in place or added at the end, which `sweep bench` keeps when it rewrites the rest."""
import os
import sys


def write_section(path, name, text):
    document = open(path).read() if os.path.exists(path) else ""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in document and end in document:
        document = document[:document.index(begin)] + block + document[document.index(end) + len(end):]
    else:
        document = document.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(document)
    print(f"wrote the {name} section of {path}", file=sys.stderr)
