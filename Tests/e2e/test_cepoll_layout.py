"""CEpoll's epoll_event mirror is checked at compile time (CEpoll.c's _Static_asserts against the C
library's <sys/epoll.h>). The build only checks the machine it runs on; this compiles CEpoll.c for the
other Linux architecture we ship for, against Debian's cross headers, so a layout that is right on x86_64
and wrong on aarch64 (epoll_event is packed only on x86_64) fails here instead of on an arm64 machine.
"""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "Sources" / "CEpoll" / "CEpoll.c"
INCLUDE = ROOT / "Sources" / "CEpoll" / "include"
# Debian's libc6-dev-<arch>-cross and linux-libc-dev-<arch>-cross (scripts/setup installs them).
TARGETS = {"x86_64": Path("/usr/x86_64-linux-gnu/include"), "aarch64": Path("/usr/aarch64-linux-gnu/include")}


def compile_for(arch: str, packed: str | None = None) -> subprocess.CompletedProcess:
    """clang -fsyntax-only of CEpoll.c for `arch`; `packed` overrides the mirror's packing attribute."""
    clang = shutil.which("clang")
    assert clang, "clang (from the Swift toolchain) is not on PATH"
    resource = subprocess.run([clang, "-print-resource-dir"], capture_output=True, text=True, check=True).stdout.strip()
    native = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
    headers = [f"/usr/include/{arch}-linux-gnu", "/usr/include"] if arch == native else [str(TARGETS[arch])]
    if arch != native and not TARGETS[arch].is_dir():
        pytest.fail(f"no {arch} cross headers in {TARGETS[arch]}: run scripts/setup")
    argv = [clang, f"--target={arch}-linux-gnu", "-nostdinc", "-isystem", f"{resource}/include"]
    for h in headers:
        argv += ["-isystem", h]
    if packed is not None:
        argv.append(f"-DREACTOR_EPOLL_PACKED={packed}")
    argv += ["-I", str(INCLUDE), "-D_GNU_SOURCE", "-Wall", "-Werror", "-fsyntax-only", str(SOURCE)]
    return subprocess.run(argv, capture_output=True, text=True)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_cepoll_compiles_with_its_layout_checks(arch):
    result = compile_for(arch)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_the_checks_refuse_a_mirror_packed_the_wrong_way(arch):
    # Packed on aarch64 (what the mirror was before), natural alignment on x86_64: both must not compile.
    wrong = "" if arch == "x86_64" else "__attribute__((packed))"
    result = compile_for(arch, packed=wrong)
    assert result.returncode != 0 and "epoll_event size" in result.stderr, result.stderr
