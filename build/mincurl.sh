#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libcurl for PID 1 of the recovery image: Debian's own curl source (the
# version of the libcurl4-openssl-dev installed here, with Debian's
# patches), configured with only what the fleet client uses (HTTP and
# HTTPS over OpenSSL, which the image carries anyway for libcryptsetup),
# built as a static archive that /init links.
#
# Why not Debian's libcurl.so.4: it needs 25 more shared libraries
# (Kerberos, LDAP, SASL, RTMP with GnuTLS, nettle and GMP, libssh2,
# libidn2 with libunistring, p11-kit, libpsl, brotli, nghttp2, zstd), 9.6 MB
# unpacked and about 3.7 MB of the initramfs for protocols a recovery boot
# never speaks; this archive adds about 0.3 MB to /init
# (docs/benchmarks.md, image_size). The host command keeps Debian's
# libcurl.so.4.
#
# The source comes through apt, verified like any package: a private apt
# configuration under CACHE_DIR (its own deb-src list of the host's Debian
# release, signed by the Debian archive keyring; the host's apt is left
# alone), then `apt-get source`, which checks the files against the signed
# index and applies Debian's patches.
#
# usage: build/mincurl.sh CACHE_DIR VERSION
#   writes CACHE_DIR/VERSION/libcurl.a (and features.txt: what it speaks)
# Knobs: MINCURL_MIRROR (default http://deb.debian.org), MINCURL_SUITE
#   (default: VERSION_CODENAME of /etc/os-release), MINCURL_CFLAGS.
set -eu

die() { echo "mincurl: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 CACHE_DIR VERSION"
mkdir -p "$1"
cache=$(cd "$1" && pwd)
ver=$2
out=$cache/$ver
case $ver in
*/* | *..* | '') die "'$ver' is not a Debian version" ;;
esac

# Only HTTP(S); everything else off, so that nothing but libssl, libcrypto
# and libc is needed. The proxy code stays: the client clears it
# explicitly (recovery/net/http.c, CURLOPT_PROXY ""). --without-pic:
# libtool would otherwise append -fPIC after CFLAGS; the objects are
# built -fPIE like /init's own (tests/release/hardening.sh checks every
# compilation unit's recorded flags).
cflags=${MINCURL_CFLAGS:--O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE -frecord-gcc-switches}
args="--disable-shared --enable-static --without-pic --with-openssl \
	--without-zlib --without-brotli --without-zstd --without-libidn2 --without-librtmp \
	--without-libssh2 --without-libssh --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
	--without-libpsl --without-gssapi --without-libgsasl \
	--without-ca-bundle --without-ca-path --without-ca-fallback \
	--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
	--disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
	--disable-ftp --disable-file --disable-manual --disable-ntlm --disable-ntlm-wb \
	--disable-alt-svc --disable-hsts --disable-cookies --disable-netrc --disable-unix-sockets \
	--disable-doh --disable-mime --disable-progress-meter --disable-websockets --disable-verbose \
	--enable-threaded-resolver"
config="$args CFLAGS=$cflags"
# An archive built with other options is built again.
fresh() {
	[ -f "$out/libcurl.a" ] && [ "$(cat "$out/config" 2>/dev/null)" = "$config" ] && touch "$out/libcurl.a"
}
fresh && exit 0

# One build at a time (the dev and release trees may both ask).
exec 9>"$cache/.lock"
flock 9
fresh && exit 0

suite=${MINCURL_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
mirror=${MINCURL_MIRROR:-http://deb.debian.org}
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
{
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s/debian %s main\n' "$mirror" "$suite"
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s/debian %s-updates main\n' "$mirror" "$suite"
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s/debian-security %s-security main\n' "$mirror" "$suite"
} >"$apt/sources.list"
set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::Archives="$apt/archives" \
	-o Dir::State::status=/var/lib/dpkg/status -o APT::Get::List-Cleanup=0 \
	-o APT::Sandbox::User=root -q
log=$cache/build-$ver.log
: >"$log"
echo "mincurl: building libcurl $ver for /init from Debian's source (about 2 minutes, once; log: $log)"
apt-get "$@" update >>"$log" 2>&1 ||
	die "cannot read Debian's source index from $mirror ($log); build with INIT_CURL=system to use Debian's libcurl.so.4 (a larger image)"
src=$cache/src-$ver
rm -rf "$src"
mkdir -p "$src"
(cd "$src" && apt-get "$@" source "curl=$ver") >>"$log" 2>&1 ||
	die "apt-get source curl=$ver failed ($log); build with INIT_CURL=system to use Debian's libcurl.so.4"
tree=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -n 1)
[ -n "$tree" ] && [ -x "$tree/configure" ] || die "no unpacked curl source in $src"

# shellcheck disable=SC2086 # $args: one word per option
(cd "$tree" && ./configure $args CFLAGS="$cflags") >>"$log" 2>&1 ||
	die "curl's configure failed ($log)"
make -C "$tree/lib" -j"$(nproc)" libcurl.la >>"$log" 2>&1 || die "building libcurl failed ($log)"
protocols=$(sh "$tree/curl-config" --protocols | tr '\n' ' ')
features=$(sh "$tree/curl-config" --features | tr '\n' ' ')
case " $protocols " in *" HTTPS "*) ;; *) die "the build speaks no HTTPS ($protocols)" ;; esac
mkdir -p "$out.tmp"
cp "$tree/lib/.libs/libcurl.a" "$out.tmp/libcurl.a"
printf 'curl %s (Debian source), static, for /init\nprotocols: %s\nfeatures: %s\n' "$ver" "$protocols" "$features" \
	>"$out.tmp/features.txt"
printf '%s' "$config" >"$out.tmp/config"
rm -rf "$out" "$src"
mv "$out.tmp" "$out"
echo "mincurl: $out/libcurl.a ($(wc -c <"$out/libcurl.a") bytes): $protocols"
