# Compiler flags for everything built for the host (the engine, fixtures,
# tests). The UEFI stub has its own flags in efi/efi.mk.
CC ?= gcc
PKGS := libntfs-3g libarchive libsodium jansson blkid hivex liblzma libcryptsetup libcrypto zlib libxml-2.0 libcurl
# PID 1 of the recovery image (out/lastgood-init) links without the
# importers' libxml2 (and so without its 31 MB of ICU data). Debian's
# shared libarchive needs libxml2 (for xar, which we never read), so PID 1
# takes libarchive's static archive and drops the unused formats
# (--gc-sections).
INIT_PKGS := $(filter-out libxml-2.0 libarchive,$(PKGS))
# `lastgood serve` only (recovery/serve/, cli/serve_cmd.c): linked into out/lastgood,
# never into anything PID 1 of the recovery image needs on its own.
SERVE_PKGS := libmicrohttpd sqlite3

CSTD     := -std=gnu11
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter -Wvla
ifeq ($(RELEASE),1)
# Release build (what `make install` and the image ship; docs/release.md).
# _FORTIFY_SOURCE=3 needs gcc >= 12 (__builtin_dynamic_object_size) and
# glibc >= 2.34: Debian 12 has both; level 2 otherwise. The options are
# recorded in each binary (-frecord-gcc-switches: .GCC.command.line, kept
# by strip) so that tests/host/92-hardening.sh can check every object.
# No debug info and no -Werror: that is the dev build's job.
FORTIFY_LEVEL := $(shell printf '\043include <features.h>\n\043if __GNUC__ >= 12 && __GLIBC_PREREQ(2, 34)\nlg_fortify3\n\043endif\n' | \
                   $(CC) -E -P -x c - 2>/dev/null | grep -q lg_fortify3 && echo 3 || echo 2)
OPT      := -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(FORTIFY_LEVEL)
HARDEN   := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE -frecord-gcc-switches
# No build-id note: media/mkinitramfs.sh removed it from /init (it hashes
# the build paths), and removing an allocated section with strip/objcopy
# drops the GNU_RELRO segment (found by tests/release/hardening.sh).
HARDEN_LD := -pie -Wl,-z,relro,-z,now -Wl,--build-id=none
else
# dev build: warnings are errors
OPT      := -O1 -g -Werror
endif
ifeq ($(SANITIZE),1)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

# PKG_CFLAGS and PKG_LIBS come from $(OUT)/pkg.mk (see Makefile).

# libntfs-3g's headers test HAVE_* macros that its own config.h defines.
NTFS_DEFS := -DHAVE_STDINT_H -DHAVE_STDLIB_H -DHAVE_STRING_H -DHAVE_ERRNO_H \
             -DHAVE_SYS_TYPES_H -DHAVE_SYS_STAT_H -DHAVE_UNISTD_H -DHAVE_FCNTL_H \
             -DHAVE_STDIO_H -DHAVE_STDARG_H -DHAVE_LIMITS_H -DHAVE_TIME_H

LG_VERSION ?= 0.1.0
LG_CFLAGS   = $(CSTD) $(WARN) $(OPT) $(HARDEN) $(SAN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DLG_VERSION=\"$(LG_VERSION)\" \
              $(NTFS_DEFS) -Irecovery $(PKG_CFLAGS) $(CFLAGS)
LG_LDFLAGS := $(HARDEN_LD) $(SAN) $(LDFLAGS)
LG_LIBS     = $(PKG_LIBS) -lpthread
# PID 1 also links statically the libraries nothing else in the image
# loads: a shared library puts its whole file into the initrd, a static one
# only the objects PID 1 calls (docs/benchmarks.md, image_size: 470 KB of
# zstd'ed .so files against 240 KB more in /init). The others stay shared:
# libntfs-3g (ntfsrecover), libblkid and libcrypto (libcryptsetup).
# liblzma: the xz'ed kernel modules (recovery/boot/modload.c).
INIT_STATIC_LIBS := -larchive -lsodium -ljansson -lhivex -lnettle -llz4 -lbz2 -llzma -lzstd -lz
# The host command (out/lastgood) links the same libraries statically, and
# loads at first use the ones only some commands need, each with dozens of
# shared libraries behind it (recovery/lazy/lazy.h; docs/benchmarks.md,
# scan_path). Its eager shared libraries: libntfs-3g, libblkid,
# libcrypto, libc.
CLI_LAZY := cryptsetup xml2 curl microhttpd sqlite3
LG_CLI_LIBS = -Wl,--gc-sections -Wl,--as-needed -Wl,-Bstatic $(INIT_STATIC_LIBS) -Wl,-Bdynamic \
              $(filter-out $(INIT_STATIC_LIBS) $(CLI_LAZY:%=-l%) -lacl -lpthread,$(PKG_LIBS) $(PKG_ARCHIVE_PRIVATE) $(SERVE_PKG_LIBS)) \
              -ldl -lpthread
# PID 1's libcurl (INIT_CURL): "minimal", Debian's curl source built with
# HTTP(S) over OpenSSL only (build/mincurl.sh, linked statically: 25
# shared libraries and about 3.7 MB less in the initramfs), or "system",
# Debian's libcurl.so.4 with everything it needs. One cache for every
# build tree (the release build is a second make: exported).
INIT_CURL   ?= minimal
MINCURL_DIR ?= $(abspath $(OUT)/cache/mincurl)
export MINCURL_DIR
ifeq ($(INIT_CURL),minimal)
INIT_CURL_A    = $(MINCURL_DIR)/$(CURL_DEB_VERSION)/libcurl.a
INIT_CURL_LIBS = -lssl
INIT_CURL_DROP = -lcurl
else ifneq ($(INIT_CURL),system)
$(error INIT_CURL=$(INIT_CURL): minimal or system)
endif
LG_INIT_LIBS = -Wl,--gc-sections -Wl,--as-needed -Wl,-Bstatic $(INIT_STATIC_LIBS) -Wl,-Bdynamic $(INIT_CURL_LIBS) \
               $(filter-out $(INIT_STATIC_LIBS) $(INIT_CURL_DROP) -lxml2 -lacl -lpthread,$(PKG_INIT_LIBS) $(PKG_ARCHIVE_PRIVATE)) -lpthread
