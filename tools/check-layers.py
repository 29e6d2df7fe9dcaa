#!/usr/bin/env python3
"""The backend's folders by level (docs/ARCHITECTURE.md §1): a file may include its own folder and the folders below
it, never one above. Run from anywhere: python3 tools/check-layers.py; exit 1 and one line per upward include."""
import glob
import os
import re
import sys

# Bottom first. core: device, plausibility, error text, version, hashes, safe writes, tensor files, c10d.
LEVELS = ["core", "data", "models", "diffusion", "io", "training", "metrics", "runtime"]
# Public headers (include/dg) whose implementation is not a same-named .cpp: the folder they belong to.
HEADER_FOLDER = {
    "CancelToken": "core",
    "Error": "core",
    "Progress": "core",
    "Image": "io",
    "Models": "models",
    "Toys": "models",
    "Sampling": "diffusion",
    "Training": "training",
}


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backend")
    sources = glob.glob(os.path.join(root, "src", "*", "*.cpp")) + glob.glob(os.path.join(root, "src", "*", "*.h"))
    folder_of = dict(HEADER_FOLDER)
    for f in sources:
        folder = os.path.basename(os.path.dirname(f))
        if folder not in LEVELS:
            print(f"{os.path.relpath(f, root)}: folder '{folder}' has no level in tools/check-layers.py")
            return 1
        if f.endswith(".cpp"):
            folder_of.setdefault(os.path.splitext(os.path.basename(f))[0], folder)

    def folder_of_include(name):
        if name.startswith("dg/"):
            return folder_of.get(os.path.splitext(name[3:])[0])
        head = name.split("/")[0]
        return head if head in LEVELS else None

    bad = 0
    unplaced = set()
    files = sources + glob.glob(os.path.join(root, "include", "dg", "*.h"))
    for f in sorted(files):
        if f.endswith(".h") and os.sep + "include" + os.sep in f:
            stem = os.path.splitext(os.path.basename(f))[0]
            own = folder_of.get(stem)
            if own is None:
                unplaced.add(f"dg/{stem}.h")
                continue
        else:
            own = os.path.basename(os.path.dirname(f))
        with open(f, encoding="utf-8") as text:
            for number, line in enumerate(text, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                target = folder_of_include(m.group(1))
                if target is None and m.group(1).startswith("dg/"):
                    unplaced.add(m.group(1))
                    continue
                if target and LEVELS.index(target) > LEVELS.index(own):
                    print(f"{os.path.relpath(f, root)}:{number}: {own}/ includes {m.group(1)} ({target}/, a level above)")
                    bad += 1
    for h in sorted(unplaced):
        print(f"{h}: no same-named .cpp and no entry in HEADER_FOLDER (tools/check-layers.py): which level is it?")
    if bad or unplaced:
        return 1
    print(f"backend layers: {len(files)} files, no include runs upward ({' < '.join(LEVELS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
