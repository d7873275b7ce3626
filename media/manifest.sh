#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# out/manifest.json: what went into the image (kernel package and its
# sha256, initrd, keys, deny-list, command line) and what came out.
#
# usage: media/manifest.sh -k KERNEL_ENV -m MEDIA_DIR -c CMDLINE -z COMPRESSION -v VERSION -o OUT FILE...
set -eu

die() { echo "manifest: $*" >&2; exit 1; }

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

# path<TAB>bytes<TAB>reason lines as a JSON list (empty when missing)
reasons() {
	printf '['
	[ -f "$1" ] && awk -F '\t' '
		function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
		{ printf "%s\n      { \"path\": %s, \"bytes\": %s, \"reason\": %s }", (NR > 1 ? "," : ""), js($1), $2 + 0, js($3) }' "$1"
	printf '\n    ]'
}

file_entry() {
	printf '{ "path": %s, "bytes": %s, "sha256": "%s" }' "$(json_str "$1")" "$(size "$1")" "$(sha "$1")"
}

main() {
	KENV="" MEDIA="" CMDLINE="" COMP="" VERSION="" OUTFILE=""
	while getopts k:m:c:z:v:o: opt; do
		case $opt in
		k) KENV=$OPTARG ;;
		m) MEDIA=$OPTARG ;;
		c) CMDLINE=$OPTARG ;;
		z) COMP=$OPTARG ;;
		v) VERSION=$OPTARG ;;
		o) OUTFILE=$OPTARG ;;
		*) die "bad option (see the header of $0)" ;;
		esac
	done
	shift $((OPTIND - 1))
	[ -f "$KENV" ] && [ -d "$MEDIA" ] && [ -n "$OUTFILE" ] || die "missing option (see the header of $0)"
	# shellcheck disable=SC1090
	. "$KENV"
	demo=false
	[ -f "$MEDIA/DEMO" ] && demo=true
	{
		echo "{"
		echo "  \"lastgood_version\": $(json_str "$VERSION"),"
		echo "  \"source_date_epoch\": ${SOURCE_DATE_EPOCH:-0},"
		echo "  \"kernel\": {"
		echo "    \"package\": $(json_str "$KPKG"), \"version\": $(json_str "$KDEB_VERSION"), \"release\": $(json_str "$KVER"),"
		echo "    \"deb_sha256\": \"$KDEB_SHA256\","
		echo "    \"vmlinuz\": $(file_entry "$VMLINUZ")"
		echo "  },"
		echo "  \"initrd\": {"
		echo "    \"compression\": $(json_str "$COMP"), \"files\": $(wc -l <"$MEDIA/initrd.img.files" | tr -d ' '),"
		echo "    \"contents_sha256\": \"$(sha "$MEDIA/initrd.img.files")\","
		echo "    \"image\": $(file_entry "$MEDIA/initrd.img"),"
		# every kernel module and firmware file, with why it is there
		# (media/modules.list; "needed by" a listed module)
		echo "    \"modules\": $(reasons "$MEDIA/initrd.img.modules"),"
		echo "    \"firmware\": $(reasons "$MEDIA/initrd.img.firmware")"
		echo "  },"
		echo "  \"cmdline\": $(json_str "$CMDLINE"),"
		echo "  \"demo_key\": $demo,"
		printf '  "trusted_keys": ['
		sep=""
		for k in "$MEDIA"/trusted/*.pub; do
			printf '%s\n    %s' "$sep" "$(file_entry "$k")"
			sep=","
		done
		printf '\n  ],\n'
		echo "  \"denylist\": $(file_entry "$MEDIA/denylist.json"),"
		echo "  \"denylist_signature\": $(file_entry "$MEDIA/denylist.json.minisig"),"
		printf '  "outputs": ['
		sep=""
		for f in "$@"; do
			printf '%s\n    %s' "$sep" "$(file_entry "$f")"
			sep=","
		done
		printf '\n  ]\n}\n'
	} >"$OUTFILE.tmp"
	mv "$OUTFILE.tmp" "$OUTFILE"
}

main "$@"
