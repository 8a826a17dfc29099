"""What the scripts that compare this build with an older one share: the repository and this
build's sweep binary, and BENCHMARKS.md's sections they write (`<!-- begin NAME -->` ...
`<!-- end NAME -->`, replaced in place or added at the end, which `sweep bench` keeps when it
rewrites the rest)."""
import os
import subprocess
import sys


def repository_and_build():
    """The repository's root and its release build of sweep; exits when it is not built."""
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
    binary = os.path.join(root, ".build", "release", "sweep")
    if not os.access(binary, os.X_OK):
        sys.exit("build this one first: swift build -c release")
    return root, binary


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
