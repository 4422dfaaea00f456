#!/usr/bin/env python3
"""Writes a synthetic YARA rule set with the statistics of public malware rule sets, so the
real-rule benchmark runs where the public sets are not at hand.

What it reproduces (measured on reversinglabs-yara-rules and elastic/protections-artifacts):
- about 4.3 strings per rule (1 to 30), 60 % text and 40 % hex;
- text strings: API and library names, paths, format strings, registry keys, mutex-like
  tokens; a third `wide` (half of them `ascii wide`), 15 % `nocase`, 20 % `fullword`;
- hex strings: x86 code fragments of 6 to 24 bytes, where a quarter of the bytes are `??`,
  some nibble wildcards, short jumps (`[1-4]`) in one string in five and alternatives in one
  in eight, so that atoms are short and made of common opcode bytes (8B, 89, 48, E8, 85 C0);
- conditions: `uint16(0) == 0x5A4D and ...` in half the rules, `all of them`, `N of them`,
  `any of ($a*)`, `filesize < N`, and `#x > N`.
Only constructs specrt compiles are used, so every rule loads on every engine.

Usage: synth.py OUT_DIR [--rules N] [--seed S]   (writes OUT_DIR/synthetic.yar)
"""
import argparse
import os
import random

WORDS = (
    "CreateRemoteThread VirtualAllocEx WriteProcessMemory NtUnmapViewOfSection "
    "GetProcAddress LoadLibraryA InternetOpenUrlA URLDownloadToFileA WinExec ShellExecuteW "
    "RegSetValueExA CryptEncrypt CryptAcquireContextW IsDebuggerPresent SetWindowsHookExA "
    "GetAsyncKeyState OpenProcessToken AdjustTokenPrivileges ZwQuerySystemInformation "
    "kernel32.dll ntdll.dll advapi32.dll ws2_32.dll wininet.dll user32.dll "
    "cmd.exe powershell.exe rundll32.exe regsvr32.exe schtasks vssadmin bcdedit "
    "Software\\Microsoft\\Windows\\CurrentVersion\\Run SYSTEM\\CurrentControlSet\\Services "
    "%s\\%s.exe %APPDATA% %TEMP% Global\\ Mozilla/5.0 User-Agent: Content-Type: "
    "POST GET HTTP/1.1 /gate.php /panel/ admin password keylog screenshot inject "
    "beacon stager payload loader dropper ransom decrypt encrypted .locked README "
    "bitcoin wallet tor onion socks5 proxy mutex sandbox vmware vbox qemu debugger"
).split()

# x86 bytes weighted like real code: common opcodes and ModRM bytes dominate.
COMMON = [0x8B, 0x89, 0x48, 0xE8, 0x85, 0xC0, 0x83, 0xC4, 0x74, 0x75, 0x0F, 0x84, 0x45, 0xFF,
          0x00, 0x24, 0x4C, 0x8D, 0x50, 0x55, 0x56, 0x57, 0x53, 0x5D, 0xC3, 0x33, 0x6A, 0xEB]


def text_string(rng):
    parts = rng.sample(WORDS, rng.choice([1, 1, 1, 2]))
    s = (" " if rng.random() < 0.3 else "").join(parts)
    if rng.random() < 0.2:
        s += "_%d" % rng.randrange(1000)
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    mods = []
    if rng.random() < 0.33:
        mods += ["ascii", "wide"] if rng.random() < 0.5 else ["wide"]
    if rng.random() < 0.15:
        mods.append("nocase")
    if rng.random() < 0.2:
        mods.append("fullword")
    return '"%s"%s' % (s, "".join(" " + m for m in mods))


def hex_byte(rng):
    r = rng.random()
    if r < 0.25:
        return "??"
    if r < 0.30:
        return "%X?" % rng.randrange(16)
    b = rng.choice(COMMON) if rng.random() < 0.7 else rng.randrange(256)
    return "%02X" % b


def hex_string(rng):
    n = rng.randrange(6, 25)
    tokens = [hex_byte(rng) for _ in range(n)]
    # Literal bytes at both ends (yara needs them around jumps; real rules start with one).
    tokens[0] = "%02X" % rng.choice(COMMON)
    tokens[-1] = "%02X" % rng.randrange(256)
    if rng.random() < 0.2 and n > 8:
        at = rng.randrange(3, n - 3)
        tokens.insert(at, "[%d-%d]" % (rng.randrange(0, 2), rng.randrange(2, 5)))
    if rng.random() < 0.125 and n > 8:
        at = rng.randrange(2, n - 4)
        alt = "( %02X %02X | %02X ?? )" % (rng.randrange(256), rng.randrange(256),
                                           rng.randrange(256))
        tokens[at:at + 2] = [alt]
    return "{ %s }" % " ".join(tokens)


def condition(rng, names):
    parts = []
    if rng.random() < 0.5:
        parts.append("uint16(0) == 0x5A4D")
    r = rng.random()
    if r < 0.35 or len(names) == 1:
        parts.append("all of them")
    elif r < 0.7:
        parts.append("%d of them" % rng.randrange(1, len(names) + 1))
    elif r < 0.85:
        parts.append("any of ($s*)")
    else:
        parts.append("#%s > %d and any of them" % (names[0][1:], rng.randrange(0, 3)))
    if rng.random() < 0.2:
        parts.append("filesize < %dKB" % rng.choice([200, 500, 1000, 4000]))
    return " and ".join(parts)


def rule(rng, index):
    count = min(30, max(1, int(rng.expovariate(1 / 4.3)) + 1))
    names, lines = [], []
    for k in range(count):
        name = "$s%d" % k
        names.append(name)
        body = text_string(rng) if rng.random() < 0.6 else hex_string(rng)
        lines.append("        %s = %s" % (name, body))
    return "rule synthetic_%05d\n{\n    strings:\n%s\n    condition:\n        %s\n}\n" % (
        index, "\n".join(lines), condition(rng, names))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--rules", type=int, default=2500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "synthetic.yar"), "w") as f:
        for i in range(args.rules):
            f.write(rule(rng, i) + "\n")


if __name__ == "__main__":
    main()
