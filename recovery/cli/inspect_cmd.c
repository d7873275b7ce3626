// SPDX-License-Identifier: GPL-2.0-or-later
/* `lastgood inspect`: the facts of engine/inspect.c, for people or as JSON. */
#include "cli/commands.h"
#include "engine/inspect.h"
#include "storage/bitlocker.h"

#include <getopt.h>

/* One line per protector, each starting with indent; recovery-password
 * protectors show their recovery key id. */
static void bitlocker_print(FILE *f, const struct lg_bitlocker_info *info, const char *indent)
{
	if (!info->metadata_version)
		return;
	const char *enc = lg_bl_encryption_name(info->encryption);
	fprintf(f, "%s%s%s%s%s\n", indent, enc ? enc : "unknown encryption",
		info->description[0] ? ", \"" : "", info->description, info->description[0] ? "\"" : "");
	for (size_t i = 0; i < info->n_protectors; i++) {
		const struct lg_bl_protector *p = &info->protectors[i];
		char kid[9];
		lg_guid_recovery_key_id(p->guid, kid);
		if (p->kind == LG_BL_PROT_RECOVERY_PASSWORD)
			fprintf(f, "%sprotector %s  recovery password, recovery key ID %s\n", indent, p->id, kid);
		else if (p->kind == LG_BL_PROT_UNKNOWN)
			fprintf(f, "%sprotector %s  unknown type 0x%04x\n", indent, p->id, p->protection);
		else
			fprintf(f, "%sprotector %s  %s\n", indent, p->id, lg_bl_kind_words(p->kind));
	}
	if (info->protectors_truncated)
		fprintf(f, "%s(more protectors than %d: not listed)\n", indent, LG_BL_MAX_PROTECTORS);
	const char *why = lg_bl_unsupported_reason(info);
	if (why)
		fprintf(f, "%scannot be unlocked here: %s\n", indent, why);
}

static void human_size(uint64_t n, char *out, size_t len)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t i = 0;
	while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void print_human(const struct lg_inventory *inv)
{
	for (size_t i = 0; i < inv->n_disks; i++) {
		const struct lg_disk *d = inv->disks[i];
		char sz[32];
		human_size(d->size, sz, sizeof(sz));
		printf("%s: %s, partition table %s\n", d->path, sz, d->pttype);
		for (size_t p = 0; p < d->n_parts; p++) {
			const struct lg_partition *pt = &d->parts[p];
			human_size(pt->size, sz, sizeof(sz));
			printf("  part %d  offset %llu  %s  %s%s%s%s\n", pt->number,
			       (unsigned long long)pt->offset, sz,
			       pt->fstype ? pt->fstype : (pt->container ? "extended" : "-"),
			       pt->label ? "  label " : "", pt->label ? pt->label : "",
			       pt->esp ? "  (EFI system)" : pt->msr ? "  (Microsoft reserved)" :
			       pt->truncated ? "  (extends past the end of the target)" : "");
		}
	}
	size_t nwin = 0;
	for (size_t i = 0; i < inv->n_vols; i++) {
		const struct lg_volinfo *v = &inv->vols[i];
		const char *where = v->disk->path;
		if (v->bitlocker) {
			printf("BitLocker volume on %s part %d: volume GUID %s%s (locked; not inspected)\n",
			       where, v->part->number, v->bl.volume_guid[0] ? v->bl.volume_guid : "unknown",
			       v->bl.to_go ? ", To Go" : "");
			bitlocker_print(stdout, &v->bl, "    ");
			continue;
		}
		if (v->error) {
			printf("NTFS on %s part %d: cannot open: %s\n", where, v->part->number, v->error);
			continue;
		}
		if (!v->windows) {
			printf("NTFS on %s part %d: label \"%s\", no Windows installation\n", where,
			       v->part->number, v->label ? v->label : "");
			continue;
		}
		nwin++;
		printf("Windows on %s part %d: \\%s, label \"%s\", serial %016llX, NTFS %d.%d%s%s\n",
		       where, v->part->number, v->windows_dir, v->label ? v->label : "",
		       (unsigned long long)v->serial, v->ntfs_major, v->ntfs_minor,
		       v->dirty ? ", DIRTY (unclean shutdown)" : ", clean",
		       v->hiber == LG_HIBER_ACTIVE ? ", HIBERNATED (Fast Startup or hibernation)" :
		       v->hiber == LG_HIBER_WAKE ? ", HIBERNATED (resuming)" : "");
		/* hive_note is lastgood's own text (log names, what did not check out). */
		if (v->hive == LG_HIVE_DIRTY_REPLAYABLE)
			printf("  SYSTEM hive: dirty; its logs replay as Windows will: %u entr%s from %s\n",
			       v->hive_log_entries, v->hive_log_entries == 1 ? "y" : "ies",
			       v->hive_note ? v->hive_note : "?");
		else
			printf("  SYSTEM hive: %s%s%s\n", lg_hive_state_name(v->hive), v->hive_note ? ": " : "",
			       v->hive_note ? v->hive_note : "");
	}
	printf("%zu Windows installation%s found\n", nwin, nwin == 1 ? "" : "s");
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h':
			printf("usage: lastgood inspect [--json] TARGET...\n"
			       "TARGET: a whole-disk image, a partition image or a block device.\n"
			       "Lists partitions, NTFS volumes, Windows installations (dirty, hibernated)\n"
			       "and BitLocker volumes. Writes nothing.\n");
			return LG_EXIT_OK;
		default:
			return LG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lastgood inspect: no target given (a disk image, partition image or block device)\n");
		return LG_EXIT_USAGE;
	}
	struct lg_err err = { "" };
	struct lg_inventory *inv = NULL;
	int r = lg_inventory_build(argv + optind, (size_t)(argc - optind), &inv, &err);
	if (r < 0) {
		fprintf(stderr, "lastgood inspect: %s\n", err.msg[0] ? err.msg : strerror(-r));
		return LG_EXIT_ERROR;
	}
	if (json) {
		json_t *o = lg_inventory_json(inv);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		print_human(inv);
	}
	/* Something that could not be read is an error even though the rest
	 * was reported: scripts must not take a damaged disk for a clean one. */
	int rc = LG_EXIT_OK;
	for (size_t i = 0; i < inv->n_vols; i++)
		if (inv->vols[i].error) {
			fprintf(stderr, "lastgood inspect: %s\n", inv->vols[i].error);
			rc = LG_EXIT_ERROR;
		}
	for (size_t i = 0; i < inv->n_problems; i++) {
		fprintf(stderr, "lastgood inspect: %s\n", inv->problems[i]);
		rc = LG_EXIT_ERROR;
	}
	lg_inventory_free(inv);
	return rc;
}
