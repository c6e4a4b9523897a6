"""The man pages in man/: clean under mandoc's linter, named after their files, and complete where that
can be checked mechanically (every key of example/*.toml, every drbd-reactorctl subcommand and option,
every drbd-reactor option)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, built_binary

MAN = ROOT / "man"
EXAMPLE = ROOT / "example"
PAGES = ["drbd-reactor.1", "drbd-reactorctl.1", "drbd-reactor.toml.5", "drbd-reactor.promoter.5",
         "drbd-reactor.umh.5", "drbd-reactor.prometheus.5", "drbd-reactor.agentx.5", "drbd-reactor.debugger.5"]

needs_mandoc = pytest.mark.skipif(shutil.which("mandoc") is None, reason="mandoc is not installed (scripts/setup)")


def rendered(page: str) -> str:
    """The page as text, without overstrike and wide enough that no word is broken across lines."""
    out = subprocess.run(["mandoc", "-Tascii", "-Owidth=400", str(MAN / page)],
                         capture_output=True, text=True, check=True).stdout
    return re.sub(r".\x08", "", out)


def test_all_pages_present():
    assert sorted(p.name for p in MAN.iterdir()) == sorted(PAGES)


@needs_mandoc
@pytest.mark.parametrize("page", PAGES)
def test_lint_clean(page):
    r = subprocess.run(["mandoc", "-Tlint", "-Wwarning", str(MAN / page)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


@pytest.mark.parametrize("page", PAGES)
def test_name_and_section_match_file(page):
    name, section = page.rsplit(".", 1)
    src = (MAN / page).read_text()
    dt = re.search(r"^\.Dt\s+(\S+)\s+(\S+)", src, re.M)
    assert dt, "no .Dt line"
    assert dt.group(1).lower() == name and dt.group(2) == section
    nm = re.search(r"^\.Sh NAME\n\.Nm\s+(\S+)", src, re.M)
    assert nm and nm.group(1) == name, "NAME section does not start with .Nm " + name


# A key line of an example: `key = ...` live, or `# key = ...` commented out (one space after '#', so the
# indented illustrations inside comments count as well only when they are written like keys).
KEY_LINE = re.compile(r"^(?:#\s?)?\s*([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*)\s*=\s")


def example_keys(path: Path) -> set:
    keys = set()
    for line in path.read_text().splitlines():
        m = KEY_LINE.match(line)
        if m:
            keys.add(m.group(1))
    return keys


def page_for(example: Path) -> str:
    stem = example.stem
    return "drbd-reactor.toml.5" if stem == "drbd-reactor" else f"drbd-reactor.{stem}.5"


EXAMPLES = sorted(EXAMPLE.glob("*.toml"))


def test_every_example_has_a_page():
    assert EXAMPLES
    for e in EXAMPLES:
        assert page_for(e) in PAGES, e.name


@needs_mandoc
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_keys_documented(example):
    text = rendered(page_for(example))
    words = set(re.findall(r"[A-Za-z0-9_.-]+", text)) | set(re.findall(r"[A-Za-z0-9_-]+", text))
    keys = example_keys(example)
    tables = set(re.findall(r"^#?\s?(\[\[[a-z.]+\]\])", example.read_text(), re.M))
    assert keys or tables, f"no keys or tables found in {example.name}"
    assert all(t in text for t in tables), f"{page_for(example)} does not mention all of {sorted(tables)}"
    # Dotted keys (umh's old.role.operator, ...) are documented by their parts.
    missing = sorted(k for k in keys if k not in words and not all(part in words for part in k.split(".")))
    assert not missing, f"{page_for(example)} does not mention {missing} (from {example.name})"


def ctl_help(*args) -> str:
    ctl = built_binary("drbd-reactorctl", "REACTORCTL_BIN")
    return subprocess.run([str(ctl), *args, "--help"], capture_output=True, text=True, check=True).stdout


def ctl_subcommands() -> list:
    lines = ctl_help().splitlines()
    start = lines.index("SUBCOMMANDS:") + 1
    subs = []
    for line in lines[start:]:
        m = re.match(r"^  ([a-z][a-z-]*)(?: \(default\))?\s", line + " ")
        if m and not line.lstrip().startswith("See "):
            subs.append(m.group(1))
    return subs


def long_options(help_text: str) -> set:
    return set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", help_text))


def test_every_ctl_subcommand_documented():
    src = (MAN / "drbd-reactorctl.1").read_text()
    subs = ctl_subcommands()
    assert "status" in subs and "evict" in subs, subs
    missing = [s for s in subs if not re.search(rf"^\.It Cm {re.escape(s)}(\s|$)", src, re.M)]
    assert not missing, f"drbd-reactorctl(1) has no entry for {missing}"


@needs_mandoc
def test_every_ctl_option_documented():
    text = rendered("drbd-reactorctl.1")
    missing = {}
    for sub in [None] + ctl_subcommands():
        opts = long_options(ctl_help(*([sub] if sub else [])))
        gone = sorted(o for o in opts if f"--{o}" not in text)
        if gone:
            missing[sub or "(global)"] = gone
    assert not missing, f"drbd-reactorctl(1) does not mention {missing}"


@needs_mandoc
def test_every_daemon_option_documented():
    reactor = built_binary("drbd-reactor", "REACTOR_BIN")
    out = subprocess.run([str(reactor), "--help"], capture_output=True, text=True, check=True).stdout
    text = rendered("drbd-reactor.1")
    opts = long_options(out.split("OPTIONS:", 1)[1])
    assert {"config", "allow-tty", "version", "help"} <= opts
    missing = sorted(o for o in opts if f"--{o}" not in text)
    assert not missing, f"drbd-reactor(1) does not mention {missing}"
