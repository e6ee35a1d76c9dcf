#!/usr/bin/env python3
"""Gives the page's WebAssembly imports short names, in the .wasm and in its JavaScript glue.

Called by scripts/post-build.sh as `short_imports.py STAGING_DIR`, after terser and before the
wasm is packed. wasm-bindgen names each import after the Rust binding and a 16-digit hash
(`__wbg_setitem_4f1baf9a00be3c74`); the names appear twice, in the wasm's import section and as
keys of the glue's import object, and the hashes do not compress at all. About 150 imports make
that several KB of the page's 210 KB download budget (BENCHMARKS.md). Each import of the glue's
module is renamed to a short one (`a`, `b`, … `aa`, …) in both files, consistently; nothing else
changes. When the two files do not match what this script expects (a wasm-bindgen that writes
the glue another way), it leaves both untouched and says so, so the page still works.
"""
import pathlib
import re
import sys


def leb(data: bytes, at: int) -> tuple[int, int]:
    """Reads an unsigned LEB128 number; returns it and the offset after it."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def to_leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def short_name(index: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    name = ""
    index += 1
    while index:
        index -= 1
        name = letters[index % len(letters)] + name
        index //= len(letters)
    return name


def skip_import_description(data: bytes, at: int) -> int:
    kind = data[at]
    at += 1
    if kind == 0:  # function: type index
        _, at = leb(data, at)
    elif kind == 1:  # table: reference type, limits
        at += 1
        flags, at = leb(data, at)
        _, at = leb(data, at)
        if flags & 1:
            _, at = leb(data, at)
    elif kind == 2:  # memory: limits
        flags, at = leb(data, at)
        _, at = leb(data, at)
        if flags & 1:
            _, at = leb(data, at)
    elif kind == 3:  # global: value type, mutability
        at += 2
    elif kind == 4:  # tag: attribute, type index
        at += 1
        _, at = leb(data, at)
    else:
        raise ValueError(f"unknown import kind {kind}")
    return at


def rename_imports(wasm: bytes, module: str, renames: dict[str, str]) -> tuple[bytes, list[str]]:
    """The wasm with the imports of `module` renamed as `renames` says, and the names of every
    import of `module` in order (call it with no renames to list them)."""
    if wasm[:8] != b"\0asm\x01\0\0\0":
        raise ValueError("not a WebAssembly 1.0 module")
    at = 8
    while at < len(wasm):
        section_start = at
        section_id = wasm[at]
        size, body = leb(wasm, at + 1)
        end = body + size
        if section_id != 2:
            at = end
            continue
        count, cursor = leb(wasm, body)
        out = bytearray(to_leb(count))
        names: list[str] = []
        for _ in range(count):
            length, cursor = leb(wasm, cursor)
            module_name = wasm[cursor : cursor + length].decode()
            cursor += length
            length, cursor = leb(wasm, cursor)
            field = wasm[cursor : cursor + length].decode()
            cursor += length
            described = cursor
            cursor = skip_import_description(wasm, cursor)
            if module_name == module:
                names.append(field)
                field = renames.get(field, field)
            for text in (module_name, field):
                encoded = text.encode()
                out += to_leb(len(encoded)) + encoded
            out += wasm[described:cursor]
        if cursor != end:
            raise ValueError("the import section did not end where its size said")
        section = bytes([2]) + to_leb(len(out)) + bytes(out)
        return wasm[:section_start] + section + wasm[end:], names
    return wasm, []


def main() -> int:
    staging = pathlib.Path(sys.argv[1])
    for wasm_path in staging.glob("*_bg.wasm"):
        glue_path = staging / wasm_path.name.replace("_bg.wasm", ".js")
        if not glue_path.is_file():
            print(f"short_imports: no glue for {wasm_path.name}; left as it is", file=sys.stderr)
            continue
        glue = glue_path.read_text()
        # The glue hands its import object to the wasm under the module name it imports from.
        modules = set(re.findall(r'"(\./[^"]+_bg\.js)"\s*:', glue)) or {"wbg"}
        if len(modules) != 1:
            print(f"short_imports: the glue names several modules {sorted(modules)}; left as it is", file=sys.stderr)
            continue
        module = modules.pop()
        try:
            wasm = wasm_path.read_bytes()
            _, names = rename_imports(wasm, module, {})
            # A short name starts with `$`, so it can never meet an identifier terser made.
            renames = {old: "$" + short_name(index) for index, old in enumerate(dict.fromkeys(names))}
            renamed, _ = rename_imports(wasm, module, renames)
        except (ValueError, IndexError, UnicodeDecodeError) as error:
            print(f"short_imports: {wasm_path.name}: {error}; left as it is", file=sys.stderr)
            continue
        missing = [old for old in renames if not re.search(r"(?<![\w$])" + re.escape(old) + r"\s*:", glue)]
        if missing or not renames:
            print(f"short_imports: the glue lacks {missing[:3]}; left as it is", file=sys.stderr)
            continue
        # Keys of the import object (`__wbg_x_1234:function`), whole identifiers only.
        alternatives = "|".join(map(re.escape, sorted(renames, key=len, reverse=True)))
        pattern = re.compile(r"(?<![\w$])(" + alternatives + r")(?![\w$])")
        glue, count = pattern.subn(lambda match: renames[match.group(1)], glue)
        wasm_path.write_bytes(renamed)
        glue_path.write_text(glue)
        print(f"short_imports: {len(renames)} imports renamed ({count} places in the glue)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
