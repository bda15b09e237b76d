#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The module graph of rust_tcp, checked: `make check` runs this.

Rules (issue 12):
  - no `unsafe` outside rust_tcp/sys/ (the crate's `deny(unsafe_code)`
    holds it at build time; this is the same rule as a quick grep);
  - sys/ imports nothing from the crate above it (no `crate::<x>` but
    `crate::sys`);
  - proto/ imports nothing outside proto/;
  - the kernel-side modules, and separately proto/'s modules, form a DAG:
    no two modules import each other, directly or through others.

A module's imports are the `crate::<name>` paths (and `super::<name>` in
proto/, whose files are siblings) that its non-test code names. `--graph`
prints the edges; `--dot` prints Graphviz.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rust_tcp")


def strip(src):
    """The code without comments, string literals and `#[cfg(test)]` mods."""
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r'b?"(\\.|[^"\\])*"', '""', src)
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", src)
    if m:
        src = src[: m.start()]
    return src


def modules(d):
    # bindings_generated.rs is bindgen's output, which sys/bindings.rs
    # includes: it belongs to sys/.
    return sorted(f[:-3] for f in os.listdir(d) if f.endswith(".rs") and f != "bindings_generated.rs")


def edges(d, names, pat):
    out = {}
    for n in names:
        path = os.path.join(d, n + ".rs")
        if not os.path.exists(path):
            continue
        src = strip(open(path).read())
        deps = set()
        for m in re.finditer(pat, src):
            dep = m.group(1)
            if dep in names and dep != n:
                deps.add(dep)
        # `use crate::{a, b::c}` / `use super::{a, b}` groups.
        for g in re.finditer(r"(?:crate|super)::\{([^}]*)\}", src):
            for part in re.split(r"[,\s]+", g.group(1)):
                head = part.split("::")[0]
                if head in names and head != n:
                    deps.add(head)
        out[n] = deps
    return out


def cycles(g):
    """Strongly connected components with more than one module (Tarjan)."""
    idx, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        idx[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in idx:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in idx:
            visit(v)
    return comps


def main():
    errors = []
    kdir, sdir, pdir = ROOT, os.path.join(ROOT, "sys"), os.path.join(ROOT, "proto")

    # unsafe only under sys/.
    for d in (kdir, pdir):
        for n in modules(d):
            src = strip(open(os.path.join(d, n + ".rs")).read())
            if re.search(r"\bunsafe\b", src):
                errors.append(f"unsafe outside sys/: {os.path.relpath(os.path.join(d, n + '.rs'), ROOT)}")

    # sys/ names nothing above it.
    knames = set(modules(kdir)) | {"proto"}
    for n in modules(sdir):
        src = strip(open(os.path.join(sdir, n + ".rs")).read())
        for m in re.finditer(r"\bcrate::(\w+)", src):
            if m.group(1) != "sys":
                errors.append(f"sys/{n}.rs imports crate::{m.group(1)}")
        for g in re.finditer(r"\bcrate::\{([^}]*)\}", src):
            errors.append(f"sys/{n}.rs imports crate::{{{g.group(1)}}}")

    # proto/ names nothing outside proto/.
    pnames = set(modules(pdir)) - {"lib", "mod"}
    for n in sorted(pnames):
        src = strip(open(os.path.join(pdir, n + ".rs")).read())
        for m in re.finditer(r"\bcrate::(\w+)", src):
            if m.group(1) not in pnames:
                errors.append(f"proto/{n}.rs imports crate::{m.group(1)}")
        if "super::super" in src:
            errors.append(f"proto/{n}.rs reaches above proto/ (super::super)")

    # DAGs.
    kmods = set(modules(kdir)) - {"rust_tcp"}
    kg = edges(kdir, kmods | {"sys", "proto"}, r"\bcrate::(\w+)")
    kg = {k: v - {"sys", "proto"} for k, v in kg.items() if k in kmods}
    pg = edges(pdir, pnames, r"\b(?:super|crate)::(\w+)")
    for label, g in (("kernel side", kg), ("proto", pg)):
        for c in cycles(g):
            errors.append(f"{label}: import cycle among {', '.join(c)}")

    if "--graph" in sys.argv or "--dot" in sys.argv:
        dot = "--dot" in sys.argv
        for label, g in (("kernel", kg), ("proto", pg)):
            if dot:
                print(f"digraph {label} {{")
            for k in sorted(g):
                for v in sorted(g[k]):
                    print(f'  "{k}" -> "{v}";' if dot else f"{label}: {k} -> {v}")
            if dot:
                print("}")
    for e in errors:
        print("layers: " + e)
    if errors:
        print(f"layers: {len(errors)} violation(s)")
        return 1
    print("layers: sys/ and proto/ self-contained, unsafe only in sys/, no import cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
