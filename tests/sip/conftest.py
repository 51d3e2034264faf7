import shutil

import pytest

from tests.sip.harness import Sipp

pytestmark = pytest.mark.sip


@pytest.fixture
def sipp(tmp_path):
    if shutil.which("sipp") is None:
        pytest.fail("sipp is not installed: run scripts/setup.sh (Debian package sip-tester)")
    started: list[Sipp] = []

    def start(scenario: str, **kwargs) -> Sipp:
        callee = Sipp(scenario, tmp_path, **kwargs)
        started.append(callee)
        return callee

    yield start
    for callee in started:
        callee.stop()
