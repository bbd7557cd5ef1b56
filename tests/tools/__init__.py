"""Scripts that CI runs beside the test suite (``.ci/run``)."""
