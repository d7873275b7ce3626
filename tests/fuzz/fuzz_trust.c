// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for what a run reads from \$LastGood, driven through
 * crash completion (issue 16): the input is split at the first NUL into a
 * journal and a state.json, written with lastgood's own descriptor into
 * \$LastGood of a small NTFS volume made by mkntfs, and a fix's reading of
 * them (lg_trust_read_state, lg_trust_pending: parse, invariants, the
 * pre-completion check and the completion itself) runs on it. Besides not
 * crashing: no error without a message, and nothing outside \$LastGood
 * changes (the volume's one user file keeps its bytes and its name).
 */
#include "engine/trust.h"
#include "storage/fsops.h"

#include <sys/wait.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char pristine[] = "/tmp/lg-fuzz-trust-XXXXXX";
static char work[64];
static uint64_t vol_size = 8u << 20;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = mkstemp(pristine);
	if (fd < 0 || ftruncate(fd, (off_t)vol_size) < 0)
		abort();
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin mkntfs -F -Q -q -T %s >/dev/null 2>&1", pristine);
	if (system(cmd) != 0)
		abort();
	struct lg_volume *v = NULL;
	if (lg_volume_open(pristine, 0, vol_size, LG_VOL_RW | LG_VOL_DIRECT, &v, NULL) < 0 ||
	    lg_fs_create(v, "Windows/System32/hal.dll", "the real hal", 12) < 0 || lg_volume_close(v) < 0)
		abort();
	snprintf(work, sizeof(work), "%s.work", pristine);
	return 0;
}

static void copy_pristine(void)
{
	char *buf = NULL;
	size_t len = 0;
	if (lg_read_file(pristine, vol_size, &buf, &len) < 0 || lg_write_file_atomic(work, buf, len) < 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	copy_pristine();
	struct lg_volume *v = NULL;
	if (lg_volume_open(work, 0, vol_size, LG_VOL_RW, &v, NULL) < 0)
		abort();
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
	char *hal = NULL;
	size_t hl = 0;
	if (lg_fs_read(v, "Windows/System32/hal.dll", 64, &hal, &hl) < 0 || hl != 12 || memcmp(hal, "the real hal", 12))
		abort();
	free(hal);
	json_decref(vr);
	lg_volume_close(v);
	return 0;
}
