// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for what a run reads from \$LastGood, driven through
 * crash completion (issue 16): the input is split at the first NUL into a
 * journal and a state.json, written with lastgood's own descriptor into
 * \$LastGood of a small NTFS volume made by mkntfs, and a fix's reading of
 * them (lg_trust_read_state, lg_trust_pending: parse, invariants, the
 * pre-completion check and the completion itself) runs on it. Besides not
 * crashing: no error without a message; hal.dll keeps its bytes and its
 * name (no journal can name its sha256); victim.sys, which a valid
 * journal may quarantine (the seeds `complete-*` do), is never lost: its
 * content is at its path or at the run's quarantine path.
 *
 * Speed: the volume lives in memory (a memfd, opened by its /proc path
 * like any target, commit groups and all), mapped here; after each input
 * the pristine image kept at start-up is copied back over it in memory.
 * No file is copied and nothing is synced to a disk.
 */
#include "engine/trust.h"
#include "storage/fsops.h"

#include <sys/mman.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VOL_SIZE (4u << 20)
#define VICTIM "Windows/System32/drivers/victim.sys"

static char target[64];
static unsigned char *vol_map, *pristine;

/* A volume made by mkntfs in a temporary file, read into memory. */
static void make_pristine(void)
{
	char tmp[] = "/tmp/lg-fuzz-trust-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0 || ftruncate(fd, VOL_SIZE) < 0)
		abort();
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin mkntfs -F -Q -q -T %s >/dev/null 2>&1", tmp);
	struct lg_volume *v = NULL;
	if (system(cmd) != 0 || lg_volume_open(tmp, 0, VOL_SIZE, LG_VOL_RW | LG_VOL_DIRECT, &v, NULL) < 0 ||
	    lg_fs_create(v, "Windows/System32/hal.dll", "the real hal", 12) < 0 ||
	    lg_fs_create(v, VICTIM, "victim driver", 13) < 0 || lg_volume_close(v) < 0)
		abort();
	char *buf = NULL;
	size_t len = 0;
	if (lg_read_file(tmp, VOL_SIZE, &buf, &len) < 0 || len != VOL_SIZE)
		abort();
	unlink(tmp);
	pristine = (unsigned char *)buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_pristine();
	int fd = memfd_create("lg-fuzz-trust", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, VOL_SIZE) < 0)
		abort();
	vol_map = mmap(NULL, VOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (vol_map == MAP_FAILED)
		abort();
	memcpy(vol_map, pristine, VOL_SIZE);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	return 0;
}

static bool holds(struct lg_volume *v, const char *path, const char *want)
{
	char *b = NULL;
	size_t n = 0;
	bool ok = lg_fs_read(v, path, 64, &b, &n) == 0 && n == strlen(want) && !memcmp(b, want, n);
	free(b);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	struct lg_volume *v = NULL;
	if (lg_volume_open(target, 0, VOL_SIZE, LG_VOL_RW, &v, NULL) < 0 || !v->atomic)
		abort(); /* the real path: commit groups, as on a Windows volume */
	lg_fs_create(v, LG_DIR "/journal/fuzz", data, jlen);
	if (nul)
		lg_fs_create(v, LG_DIR "/state.json", nul + 1, size - jlen - 1);
	json_t *vr = json_object();
	struct lg_err err = { "" };
	int64_t serial = -1;
	int r = lg_trust_read_state(v, true, "run1", vr, &serial, &err);
	if (r < 0 && !err.msg[0])
		abort();
	err.msg[0] = 0;
	r = lg_trust_pending(v, true, "run1", vr, &err);
	if (r < 0 && !err.msg[0])
		abort();
	if (!holds(v, "Windows/System32/hal.dll", "the real hal") ||
	    !(holds(v, VICTIM, "victim driver") || holds(v, LG_DIR "/quarantine/fuzz/" VICTIM, "victim driver")))
		abort();
	json_decref(vr);
	lg_volume_close(v);
	memcpy(vol_map, pristine, VOL_SIZE); /* 4 MiB in memory: well under 1 ms */
	return 0;
}
