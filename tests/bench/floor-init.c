// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /init of the boot_to_done and memory_floor baselines: powers off at
 * once. With the same firmware, stub, kernel and command line as the
 * recovery image, a boot of this initramfs is the floor any recovery
 * image pays before it can do anything (tests/bench/boot.sh).
 * Linked statically: the initramfs holds nothing else.
 */
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* PID 1 must not exit (the kernel would panic). */
	for (;;)
		pause();
}
