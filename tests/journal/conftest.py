"""Journal test fixtures: the MBE model fixture of tests/mbe (a startable, confidential mbe_beratung)."""

from tests.mbe.conftest import mbe_app  # noqa: F401 - a fixture used by the MBE journal tests
