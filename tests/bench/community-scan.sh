#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The baseline of scan_hash and scan_path: what a community recovery script
# does with a deny-list on Linux. Mount the Windows volume read-only with
# ntfs-3g (FUSE), `find` the driver folders, `sha256sum` every driver and
# look the hashes up; for path rules, `stat` and `head -c` the candidates.
# Mount and unmount are part of the run, as they are part of the script.
#
# usage: tests/bench/community-scan.sh DEVICE MOUNTPOINT PATHS.tsv HASHES.tsv|- DIR...
#   PATHS.tsv, HASHES.tsv: written by tests/bench/gen-denylist.sh ("-": no
#   hash rules: only `find` + `stat` + `head`)
#   DIR: folders to walk, relative to the volume root
# Prints "rule-id TAB path" for each match; exit 0.
set -eu

die() { echo "community-scan: $*" >&2; exit 1; }

[ $# -ge 5 ] || die "usage: $0 DEVICE MOUNTPOINT PATHS.tsv HASHES.tsv|- DIR..."
dev=$1 mnt=$2 paths=$(realpath "$3") hashes=$4
[ "$hashes" = - ] || hashes=$(realpath "$hashes")
shift 4
tmp=$(mktemp -d)
ntfs-3g -o ro "$dev" "$mnt" || die "ntfs-3g cannot mount $dev"
cleanup() {
	cd /
	umount "$mnt" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cd "$mnt"

# One line per driver: size, last write, path (find does the stat).
find "$@" -type f -iname '*.sys' -printf '%s\t%T@\t%p\n' >"$tmp/meta"
# Every driver hashed: "HASH  PATH" (sha256sum's format).
if [ "$hashes" != - ]; then
	cut -f3 "$tmp/meta" | tr '\n' '\0' | xargs -0 -r sha256sum >"$tmp/sums"
else
	: >"$tmp/sums"
fi

# Hash matches (the rule's folder must hold the file); path rules: name,
# size and time here, the header below for the candidates left.
awk -v hashes="$hashes" -v paths="$paths" -v sums="$tmp/sums" -v cand="$tmp/cand" '
BEGIN {
	FS = "\t"
	if (hashes != "-")
		while ((getline l < hashes) > 0) { split(l, f, "\t"); H[f[1]] = H[f[1]] f[2] "\t" f[3] "\n" }
	while ((getline l < sums) > 0) S[substr(l, 67)] = substr(l, 1, 64)
	n = 0
	while ((getline l < paths) > 0) {
		n++; split(l, f, "\t")
		id[n] = f[1]; re[n] = f[2]; hx[n] = f[3]; off[n] = f[4]
		mn[n] = f[5]; mx[n] = f[6]; af[n] = f[7]; bf[n] = f[8]
	}
}
{
	size = $1 + 0; mtime = int($2); p = $3
	if (p in S && S[p] in H) {
		m = split(H[S[p]], rs, "\n")
		for (i = 1; i < m; i++) {
			split(rs[i], f, "\t")
			if (index(p, f[1]) == 1) print f[2] "\t" p
		}
	}
	lp = tolower(p)
	for (i = 1; i <= n; i++) {
		if (lp !~ re[i]) continue
		if (mn[i] != "-" && size < mn[i] + 0) continue
		if (mx[i] != "-" && size > mx[i] + 0) continue
		if (af[i] != "-" && mtime < af[i] + 0) continue
		if (bf[i] != "-" && mtime >= bf[i] + 0) continue
		if (hx[i] == "-") print id[i] "\t" p
		else print id[i] "\t" hx[i] "\t" off[i] "\t" p > cand
	}
}' "$tmp/meta"

# Header bytes of the candidates of rules with a header.
[ -f "$tmp/cand" ] || exit 0
while IFS="$(printf '\t')" read -r id hx off p; do
	len=$((${#hx} / 2))
	got=$(head -c $((off + len)) "$p" | tail -c "$len" | od -An -v -tx1 | tr -d ' \n')
	[ "$got" = "$hx" ] && printf '%s\t%s\n' "$id" "$p"
done <"$tmp/cand"
exit 0
