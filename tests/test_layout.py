"""Tests mirror the source: every package of src/aicall has its tests in tests/<package>.

The exceptions are listed with the reason; a new package without a test folder, or a test
folder that tests nothing, fails here.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "aicall"
TESTS = ROOT / "tests"

# Source package -> the test folder that holds its tests instead of tests/<package>.
TESTED_ELSEWHERE = {
    # The `aicall` command line: its tests run the commands as a user types them.
    "management": "cli",
}
# Test folders that mirror no single package.
CROSS_CUTTING = {
    # The SIPp integration tests of aicall.telephony.sip (and the edge): slow, real SIP.
    "sip": "telephony",
    # The threat model's rules (docs/security.md), across API, website and dialer.
    "security": None,
}


def _packages() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


def _test_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("test_*.py"))


def test_every_package_has_a_test_folder_with_tests():
    missing = []
    for package in _packages():
        folder = TESTS / TESTED_ELSEWHERE.get(package, package)
        if not _test_files(folder):
            missing.append(f"{package}: no tests in {folder.relative_to(ROOT)}")
    assert missing == [], "\n".join(missing)


def test_every_test_folder_mirrors_a_package_or_says_why_not():
    packages = set(_packages())
    mirrored = packages | set(TESTED_ELSEWHERE.values())
    stray = [
        p.name
        for p in TESTS.iterdir()
        if p.is_dir()
        and (p / "__init__.py").is_file()
        and p.name not in mirrored
        and p.name not in CROSS_CUTTING
    ]
    assert stray == []
    for name, package in CROSS_CUTTING.items():
        assert (TESTS / name).is_dir(), name
        assert package is None or package in packages, name


def test_top_level_tests_are_of_top_level_modules():
    """tests/test_x.py tests src/aicall/x.py, or the whole tree (architecture, layout,
    deployment): anything about one package goes in its folder."""
    whole_tree = {"test_architecture", "test_layout", "test_deployment"}
    for path in TESTS.glob("test_*.py"):
        module = path.stem.removeprefix("test_")
        assert path.stem in whole_tree or (PACKAGE / f"{module}.py").is_file(), path.name
