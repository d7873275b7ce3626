# The engine's host tests drive the CLI against the fixture disks.
check-fast check: fixtures
check-fast check: $(OUT)/fixtures/large.img
