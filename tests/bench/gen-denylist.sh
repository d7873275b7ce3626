#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The deny-list of the scan_hash benchmark: 2,000 sha256 rules and 20 path
# rules, signed with the test key, plus the same rules in the two plain
# files the community-script baseline reads.
#
# usage: tests/bench/gen-denylist.sh DEVICE OUTDIR
#   DEVICE   the bench volume's NTFS partition (loop device or partition
#            image): the hashes of ten real drivers are read from it with
#            ntfscat (not with lastgood), so that ten sha256 rules match
#   OUTDIR   writes hash.json + hash.json.minisig (for lastgood),
#            hashes.tsv (sha256 TAB folder TAB rule id) and
#            paths.tsv (rule id TAB regex TAB header hex TAB header offset
#            TAB size min TAB size max TAB modified after TAB before, epoch
#            seconds, "-" for none) for tests/bench/community-scan.sh,
#            real.tsv (the ten drivers and their sha256s)
#
# Every rule stays inside Windows/System32/drivers and
# Windows/System32/DriverStore and names *.sys files: the baseline walks
# exactly that (find -iname '*.sys'), so both sides do the same work.
set -eu

die() { echo "gen-denylist: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 DEVICE OUTDIR"
dev=$1 out=$2
key=tests/fixtures/keys/test.key
[ -f "$key" ] || die "$key is missing"
mkdir -p "$out"

D=Windows/System32/drivers
R=Windows/System32/DriverStore/FileRepository
# Ten drivers of the bench volume (tests/bench/scan-volume.txt: per-dir=4
# in FileRepository, so file i is in folder D(i/4)), across the size tiers.
real_drivers="$D/A0000007.sys $D/B0000050.sys $D/C0000020.sys $D/E0000003.sys $D/CrowdStrike/CSAgent.sys
$R/D0250/A0001001.sys $R/D0194/B0000777.sys $R/D0027/C0000111.sys $R/D0002/E0000009.sys $R/D0674/A0002699.sys"

: >"$out/real.tsv"
for p in $real_drivers; do
	h=$(ntfscat "$dev" "$p" | sha256sum | cut -d' ' -f1)
	[ "$h" != e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ] ||
		die "ntfscat read nothing for $p on $dev (is it the bench volume?)"
	printf '%s\t%s\n' "$h" "$p" >>"$out/real.tsv"
done

# 2,000 sha256 rules, one hash each (as a LOLDrivers export gives them):
# 1,000 under drivers, 1,000 under DriverStore. Rule 200*k+17 carries the
# hash of real driver k (k < 5: drivers, else DriverStore); the others get
# pseudo-random hashes (MINSTD: exact in any awk's doubles).
awk -v D="$D" -v S=Windows/System32/DriverStore -v out="$out" '
BEGIN { FS = "\t"; x = 20240719 }
{ real[NR - 1] = $1 }
function word() { x = (x * 48271) % 2147483647; return sprintf("%08x", x) }
function rnd(  s, j) { s = ""; for (j = 0; j < 8; j++) s = s word(); return s }
END {
	for (i = 0; i < 2000; i++) {
		h = (i % 200 == 17) ? real[int(i / 200)] : rnd()
		dir = i < 1000 ? D : S
		printf "    {\"id\": \"hash-%04d\", \"path\": \"%s/**/*.sys\", \"sha256\": [\"%s\"], \"action\": \"report\"},\n", i, dir, h > (out "/hashrules.json")
		printf "%s\t%s/\thash-%04d\n", h, dir, i > (out "/hashes.tsv")
	}
}' "$out/real.tsv"

# 20 path rules: the CrowdStrike rule, absent vendor drivers by exact path,
# present drivers by exact path, wildcards with a header or a size.
cat >"$out/pathrules.tsv" <<EOF
cs-channel-291-bad	$D/CrowdStrike/C-00000291*.sys	AAAAAAAA01002301	0	-	-	2024-07-19T04:09:00Z	2024-07-19T05:27:00Z	quarantine
cs-channel-290	$D/CrowdStrike/C-00000290*.sys	AAAAAAAA01002201	0	-	-	-	-	report
cs-zero-channel	$D/CrowdStrike/C-*.sys	00000000	0	-	-	-	-	report
acme-01	$D/acmeflt.sys	-	-	-	-	-	-	quarantine
acme-02	$D/acmestor.sys	-	-	-	-	-	-	quarantine
acme-03	$D/acmenet.sys	-	-	-	-	-	-	quarantine
acme-04	$D/acmekbd.sys	-	-	-	-	-	-	quarantine
acme-05	$D/acmeusb.sys	-	-	-	-	-	-	quarantine
acme-06	$R/D0100/acmeflt.sys	-	-	-	-	-	-	quarantine
acme-07	$R/D0200/acmestor.sys	-	-	-	-	-	-	quarantine
acme-08	$R/D0300/acmenet.sys	-	-	-	-	-	-	quarantine
present-01	$D/B0000123.sys	-	-	-	-	-	-	report
present-02	$R/D0100/A0000400.sys	-	-	-	-	-	-	report
present-03	$R/D0511/B0001044.sys	-	-	-	-	-	-	report
vuln-01	$D/vuln*.sys	4D5A	0	-	-	-	-	report
vuln-02	$R/*/oem*.sys	4D5A	0	-	-	-	-	report
big-01	$D/E*.sys	-	-	3000000	-	-	-	report
big-02	$R/*/E*.sys	-	-	3500000	-	-	-	report
tiny-01	$D/CrowdStrike/*.sys	-	-	-	0	-	-	report
tiny-02	$R/*/A*.sys	-	-	-	4096	-	-	report
EOF

# The JSON rules of the path rules.
awk 'BEGIN { FS = "\t" }
{
	s = "    {\"id\": \"" $1 "\", \"path\": \"" $2 "\""
	if ($3 != "-") s = s ", \"header\": {\"hex\": \"" $3 "\", \"offset\": " $4 "}"
	if ($5 != "-" && $6 != "-") s = s ", \"size\": {\"min\": " $5 ", \"max\": " $6 "}"
	else if ($5 != "-") s = s ", \"size\": {\"min\": " $5 "}"
	else if ($6 != "-") s = s ", \"size\": {\"max\": " $6 "}"
	if ($7 != "-") s = s ", \"modified\": {\"after\": \"" $7 "\", \"before\": \"" $8 "\"}"
	print s ", \"action\": \"" $9 "\"}" (NR < 20 ? "," : "")
}' "$out/pathrules.tsv" >"$out/pathrules.json"

{
	printf '{\n  "schema": 1,\n  "serial": 1,\n'
	printf '  "issued": "2024-07-19T07:00:00Z",\n  "expires": "2036-07-19T00:00:00Z",\n'
	printf '  "publisher": "lastgood benchmark list (TEST key, not for production)",\n'
	printf '  "rules": [\n'
	cat "$out/hashrules.json" "$out/pathrules.json"
	printf '  ]\n}\n'
} >"$out/hash.json"
rm -f "$out/hashrules.json" "$out/pathrules.json" "$out/hash.json.minisig"
minisign -S -s "$key" -m "$out/hash.json" -t "lastgood benchmark list" >/dev/null </dev/null ||
	die "minisign cannot sign $out/hash.json"

# For the baseline: each glob as an anchored, case-insensitive regex over
# lowercase paths (`*` within a name, `?` one character), times as epoch
# seconds (GNU date).
awk 'BEGIN { FS = OFS = "\t" }
function rx(g,  i, c, s) {
	g = tolower(g); s = "^"
	for (i = 1; i <= length(g); i++) {
		c = substr(g, i, 1)
		if (c == "*") s = s "[^/]*"
		else if (c == "?") s = s "[^/]"
		else if (c ~ /[.\[\]()+^$|{}\\]/) s = s "\\" c
		else s = s c
	}
	return s "$"
}
{ print $1, rx($2), tolower($3), $4, $5, $6, $7, $8 }' "$out/pathrules.tsv" |
	while IFS="$(printf '\t')" read -r id re hx off mn mx af bf; do
		[ "$af" = - ] || af=$(date -u -d "$af" +%s)
		[ "$bf" = - ] || bf=$(date -u -d "$bf" +%s)
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$re" "$hx" "$off" "$mn" "$mx" "$af" "$bf"
	done >"$out/paths.tsv"
rm -f "$out/pathrules.tsv"
