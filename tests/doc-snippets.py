#!/usr/bin/env python3
"""doc-snippets.py SOURCE_DIR DOC...: every code block that a guide marks with
<!-- snippet: PATH --> must appear, byte for byte, in PATH (relative to SOURCE_DIR), so that the
adapters shown in docs/ are the ones CI builds and checks with curl."""
import os
import re
import sys

src = sys.argv[1]
checked = 0
for doc in sys.argv[2:]:
    text = open(doc).read()
    marks = list(re.finditer(r"<!-- snippet: (\S+) -->\n```c\n(.*?)\n```", text, re.S))
    if not marks:
        print(f"FAIL: {doc}: no snippet marks")
        sys.exit(1)
    for m in marks:
        path, block = m.group(1), m.group(2)
        if block not in open(os.path.join(src, path)).read():
            print(f"FAIL: {doc}: the block marked {path} is not in {path} as written")
            sys.exit(1)
        checked += 1
        print(f"ok: {doc}: {len(block.splitlines())} lines are {path}'s")
print(f"doc-snippets: {checked} blocks match their sources")
