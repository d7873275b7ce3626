// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lastgood keys export --tree DIR KEYFILE...: the static alternative to a
 * key server (docs/pxe.md, docs/fleet-api.md). Writes one file per
 * protector, DIR/v1/keys/<GUID upper case>, with exactly what a fleet
 * server answers for GET /v1/keys/<GUID>: the recovery password as
 * {"protector_id": "<GUID>", "recovery_password": "<password>"} and a
 * newline, or a .BEK file's bytes. Any HTTPS server with directory
 * listing off can then serve the tree.
 */
#include "cli/commands.h"
#include "formats/keys.h"
#include "lib/util.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: lastgood keys export --tree DIR KEYFILE...\n\n"
		   "Writes DIR/v1/keys/<protector GUID> for every key in the key files (CSV\n"
		   "exports from AD, Entra ID or Intune; .BEK startup keys; folders of them),\n"
		   "the files a web server serves to recovery images on the network\n"
		   "(docs/fleet-api.md). Files are created mode 0640, folders 0750: let only\n"
		   "the web server's group read them, and turn directory listing off.\n");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Written under a temporary name, then renamed: a server never serves a
 * half-written key. */
static int write_key(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4200], tmp[4300];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	int r = 0;
	const char *p = data;
	while (len && r == 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			p += w, len -= (size_t)w;
	}
	if (r == 0 && fchmod(fd, 0640) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int keys_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tree", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *tree = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			tree = optarg;
			break;
		case 'h':
			usage(stdout);
			return LG_EXIT_OK;
		default:
			usage(stderr);
			return LG_EXIT_USAGE;
		}
	}
	if (!tree || optind >= argc) {
		fprintf(stderr, "lastgood keys export: %s\n", !tree ? "--tree DIR is required" : "no key file given");
		usage(stderr);
		return LG_EXIT_USAGE;
	}
	struct lg_keyring *kr = lg_keyring_new();
	if (!kr)
		return LG_EXIT_ERROR;
	int rc = LG_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct lg_err err = { "" };
		int r = lg_keyring_load(kr, argv[i], &err);
		if (r < 0) {
			fprintf(stderr, "lastgood keys export: %s\n", err.msg[0] ? err.msg : strerror(-r));
			rc = LG_EXIT_ERROR;
			goto out;
		}
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/v1/keys", tree);
	int r = mkdir_p(dir, 0750);
	if (r < 0) {
		fprintf(stderr, "lastgood keys export: cannot create %s: %s\n", dir, strerror(-r));
		rc = LG_EXIT_ERROR;
		goto out;
	}
	size_t pw = 0, bek = 0;
	for (size_t i = 0; i < kr->n; i++) {
		const struct lg_key *k = &kr->keys[i];
		char id[37];
		for (size_t j = 0; j < 37; j++)
			id[j] = (char)toupper((unsigned char)k->id[j]);
		if (k->type == LG_KEY_RECOVERY_PASSWORD) {
			char body[160];
			int n = snprintf(body, sizeof(body),
					 "{\"protector_id\": \"%s\", \"recovery_password\": \"%s\"}\n", id, k->password);
			r = write_key(dir, id, body, (size_t)n);
			lg_wipe(body, sizeof(body));
			pw++;
		} else {
			r = write_key(dir, id, k->bek, k->bek_len);
			bek++;
		}
		if (r < 0) {
			fprintf(stderr, "lastgood keys export: cannot write %s/%s: %s\n", dir, id, strerror(-r));
			rc = LG_EXIT_ERROR;
			goto out;
		}
	}
	printf("keys export: %zu key%s written to %s (%zu recovery password%s, %zu startup key%s)", pw + bek,
	       pw + bek == 1 ? "" : "s", dir, pw, pw == 1 ? "" : "s", bek, bek == 1 ? "" : "s");
	if (kr->skipped)
		printf("; %zu row%s without a recovery password skipped", kr->skipped, kr->skipped == 1 ? "" : "s");
	printf("\n");
out:
	lg_keyring_free(kr);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? LG_EXIT_USAGE : LG_EXIT_OK;
	}
	if (!strcmp(argv[1], "export"))
		return keys_export(argc - 1, argv + 1);
	fprintf(stderr, "lastgood keys: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return LG_EXIT_USAGE;
}
