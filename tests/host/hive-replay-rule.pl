#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
# hive-replay-rule.pl HIVE [LOG...]: would Windows apply anything from
# these transaction logs over this hive at its next boot? Written from the
# rule of the public format description (msuhanov/regf, "Dirty state of a
# hive", "Format of transaction log files"), independently of lastgood's C
# replay code, as a second opinion for the tests:
#   - a hive is dirty when its base block checksum (XOR of the first 127
#     words, 0 -> 1, ~0 -> ~0 - 1) is wrong or its two sequence numbers
#     differ; a hive that is not dirty gets nothing from any log;
#   - and, stricter (so that no stale entry could ever apply, even if the
#     hive became dirty again before Windows rewrote its logs): every
#     new-format log (type 6) and every HvLE entry in it carries a sequence
#     number below the hive's; every old-format log (type 1 or 2) has a
#     last-written time other than the hive's.
# Prints one line per finding; exits 0 when nothing would be applied.
use strict;
use warnings;

sub slurp { my ($p) = @_; open(my $f, '<:raw', $p) or return undef; local $/; my $d = <$f>; close $f; return $d; }
sub u32 { my ($d, $o) = @_; return unpack('V', substr($d, $o, 4)); }

my ($hive, @logs) = @ARGV;
die "usage: hive-replay-rule.pl HIVE [LOG...]\n" unless defined $hive;
my $h = slurp($hive);
die "cannot read $hive\n" unless defined $h && length($h) >= 4096 && substr($h, 0, 4) eq 'regf';
my $x = 0;
$x ^= u32($h, $_ * 4) for 0 .. 126;
$x = 1 if $x == 0;
$x = 0xFFFFFFFE if $x == 0xFFFFFFFF;
my ($s1, $s2) = (u32($h, 4), u32($h, 8));
my $bad = 0;
if ($x != u32($h, 508)) { print "hive: checksum wrong: DIRTY\n"; $bad++; }
if ($s1 != $s2) { print "hive: sequence numbers $s1 and $s2 differ: DIRTY\n"; $bad++; }
print "hive: clean, sequence number $s1\n" unless $bad;
my $stamp = substr($h, 12, 8);
for my $lp (@logs) {
	my $l = slurp($lp);
	if (!defined $l || length($l) < 512 || substr($l, 0, 4) ne 'regf') { print "$lp: empty or no log\n"; next; }
	my $type = u32($l, 28);
	if ($type == 6) {
		my $ls = u32($l, 4);
		if ($ls >= $s1) { print "$lp: base block sequence number $ls is not below the hive's $s1\n"; $bad++; }
		my $n = 0;
		for (my $p = 512; $p + 40 <= length($l); $p += 512) {
			next unless substr($l, $p, 4) eq 'HvLE';
			my $es = u32($l, $p + 12);
			$n++;
			if ($es >= $s1) { print "$lp: entry at $p has sequence number $es, not below the hive's $s1\n"; $bad++; }
		}
		print "$lp: new format, sequence number $ls, $n entr" . ($n == 1 ? 'y' : 'ies') . ", all older than the hive\n";
	} elsif ($type == 1 || $type == 2) {
		if (substr($l, 12, 8) eq $stamp) { print "$lp: old format, written at the hive's own time\n"; $bad++; }
		else { print "$lp: old format, written at another time than the hive\n"; }
	} else {
		print "$lp: file type $type, not a log\n";
	}
}
exit($bad ? 1 : 0);
