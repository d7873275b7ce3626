# The engine's host tests drive the CLI against the fixture disks.
check-fast check check-release: fixtures
check-fast check check-release: $(OUT)/fixtures/large.img
