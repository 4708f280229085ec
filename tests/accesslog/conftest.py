from tests.mbe.conftest import mbe_app  # noqa: F401 - the MBE cases of the access log tests
