# lastgood: top-level build. See README.md for the targets a newcomer runs.
# SPDX-License-Identifier: GPL-2.0-or-later

OUT      ?= out
# The release build's tree (build/release.mk): what install and the image use.
OUT_REL  ?= $(OUT)/rel
PREFIX   ?= /usr/local
DESTDIR  ?=

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

# Every target that needs a Debian package depends on this stamp; the
# installer only installs what dpkg-query says is missing.
DEPS_STAMP := $(OUT)/.deps-installed
$(DEPS_STAMP): build/packages.txt build/install-deps
	@mkdir -p $(OUT)
	build/install-deps
	@touch $@

# pkg-config can only answer once the packages are there: its answers are
# written to a generated fragment that depends on the stamp, which make
# builds (running the installer) and then re-reads.
$(OUT)/pkg.mk: $(DEPS_STAMP) build/flags.mk build/lazy-sonames
	@echo 'PKG_CFLAGS := '"$$(pkg-config --cflags $(PKGS))" > $@.tmp
	@echo 'PKG_LIBS := '"$$(pkg-config --libs $(PKGS))" >> $@.tmp
	@echo 'PKG_INIT_LIBS := '"$$(pkg-config --libs $(INIT_PKGS))" >> $@.tmp
	@echo 'PKG_ARCHIVE_PRIVATE := '"$$(pkg-config --static --libs-only-l libarchive)" >> $@.tmp
	@echo 'SERVE_PKG_CFLAGS := '"$$(pkg-config --cflags $(SERVE_PKGS))" >> $@.tmp
	@echo 'SERVE_PKG_LIBS := '"$$(pkg-config --libs $(SERVE_PKGS))" >> $@.tmp
	@echo 'LAZY_SONAME_DEFS := '"$$(build/lazy-sonames $(CC) $(CLI_LAZY))" >> $@.tmp
	@echo 'CURL_DEB_VERSION := '"$$(dpkg-query -W -f='$${source:Version}' libcurl4-openssl-dev)" >> $@.tmp
	@mv $@.tmp $@
include build/flags.mk
include $(OUT)/pkg.mk

OBJDIR := $(OUT)/obj
# Objects are rebuilt when the flags change (SANITIZE=1, RELEASE=1, CFLAGS).
FLAGS_STAMP := $(OBJDIR)/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(OBJDIR)
	@echo '$(LG_CFLAGS) $(LG_LDFLAGS)' | cmp -s - $@ || echo '$(LG_CFLAGS) $(LG_LDFLAGS)' > $@

# recovery/ is layered (docs/architecture.md): the front ends (cli/: the
# host command; boot/: PID 1 of the recovery image; term/: what both show)
# sit on import/ (host only: deny-list importers) and on the engine
# library, which is built from the lower folders only: a file there that
# calls a front end does not link.
ENGINE_DIRS := lib formats storage engine
ENGINE_SRC  := $(foreach d,$(ENGINE_DIRS),$(wildcard recovery/$(d)/*.c))
ENGINE_OBJ  := $(ENGINE_SRC:%.c=$(OBJDIR)/%.o)
LIBENGINE   := $(OBJDIR)/libengine.a
objs_of      = $(patsubst %.c,$(OBJDIR)/%.o,$(filter-out $(2),$(wildcard recovery/$(1)/*.c)))
LIBIMPORT   := $(OBJDIR)/libimport.a
LIBTERM     := $(OBJDIR)/libterm.a
LIBCLI      := $(OBJDIR)/libcli.a
LIBBOOT     := $(OBJDIR)/libboot.a
CLI_MAIN    := recovery/cli/main.c
INIT_MAIN   := recovery/boot/init.c
# net/: the fleet HTTPS client (libcurl), for PID 1 and its tests.
LIBNET      := $(OBJDIR)/libnet.a
# recovery/serve/ (host only: `lastgood serve`, libmicrohttpd and SQLite).
LIBSERVE    := $(OBJDIR)/libserve.a
# recovery/lazy/: stand-ins for the libraries out/lastgood loads at first
# use (lazy.h). They sit below every folder (storage/, import/, serve/
# call them under the libraries' own names) but are linked into
# out/lastgood alone: libengine.a, PID 1 and the unit tests link the
# libraries themselves.
LIBLAZY     := $(OBJDIR)/liblazy.a

$(OBJDIR)/%.o: %.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -MMD -MP -c $< -o $@

$(LIBENGINE): $(ENGINE_OBJ)
$(LIBIMPORT): $(call objs_of,import)
$(LIBTERM): $(call objs_of,term)
$(LIBCLI): $(call objs_of,cli,$(CLI_MAIN))
$(LIBBOOT): $(call objs_of,boot,$(INIT_MAIN))
$(LIBNET): $(call objs_of,net)
$(LIBSERVE): $(call objs_of,serve)
$(LIBLAZY): $(call objs_of,lazy)
$(LIBENGINE) $(LIBIMPORT) $(LIBTERM) $(LIBCLI) $(LIBBOOT) $(LIBNET) $(LIBSERVE) $(LIBLAZY):
	@rm -f $@
	ar rcs $@ $^

$(call objs_of,serve) $(OBJDIR)/recovery/cli/serve_cmd.o: LG_CFLAGS += $(SERVE_PKG_CFLAGS)
$(call objs_of,lazy): LG_CFLAGS += $(SERVE_PKG_CFLAGS) $(LAZY_SONAME_DEFS)

# Two programs from the one library: the host command, with the
# importers (libxml2) and the fleet server, and PID 1 of the recovery
# image, without them.
$(OUT)/lastgood: $(OBJDIR)/$(CLI_MAIN:.c=.o) $(LIBCLI) $(LIBSERVE) $(LIBTERM) $(LIBIMPORT) $(LIBNET) $(LIBENGINE) \
		$(LIBLAZY) $(OUT)/pkg.mk
	$(CC) $(LG_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LG_CLI_LIBS)

$(OUT)/lastgood-init: $(OBJDIR)/$(INIT_MAIN:.c=.o) $(LIBBOOT) $(LIBTERM) $(LIBNET) $(LIBENGINE) $(INIT_CURL_A) $(OUT)/pkg.mk
	$(CC) $(LG_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LG_INIT_LIBS)

# PID 1's libcurl: HTTP(S) only, built once from Debian's source
# (build/mincurl.sh; INIT_CURL=system links Debian's libcurl.so.4 instead).
$(MINCURL_DIR)/%/libcurl.a: build/mincurl.sh | $(DEPS_STAMP)
	build/mincurl.sh $(MINCURL_DIR) $*

# Everything a test program may link, top layer first.
LIBALL := $(LIBCLI) $(LIBBOOT) $(LIBTERM) $(LIBIMPORT) $(LIBNET) $(LIBENGINE)

-include $(wildcard $(OBJDIR)/*/*/*.d $(OBJDIR)/*/*/*/*.d)

all: $(OUT)/lastgood $(OUT)/lastgood-init

# Fragments of the other parts (fixtures, tests, media, fuzzing, benches).
include $(sort $(filter-out build/flags.mk,$(wildcard build/*.mk)))

# The release build (build/release.mk), stripped; the man pages (man/).
install: $(OUT_REL)/lastgood
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 -s $(OUT_REL)/lastgood $(DESTDIR)$(PREFIX)/bin/lastgood
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 man/lastgood.1 $(DESTDIR)$(PREFIX)/share/man/man1/lastgood.1
	install -m 0644 man/lastgood-denylist.5 $(DESTDIR)$(PREFIX)/share/man/man5/lastgood-denylist.5
	install -d $(DESTDIR)$(PREFIX)/share/doc/lastgood
	install -m 0644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/lastgood/

clean:
	rm -rf $(OBJDIR) $(OUT_REL) $(OUT)/lastgood $(OUT)/lastgood-init $(OUT)/tests $(OUT)/fixtures $(OUT)/test-logs $(OUT)/media $(OUT)/efi $(OUT)/e2e $(OUT)/fuzz $(OUT)/bench \
	       $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe $(OUT)/manifest.json \
	       $(OUT)/lastgood-shim-usb.img $(OUT)/lastgood-shim.iso

.PHONY: all install clean FORCE
