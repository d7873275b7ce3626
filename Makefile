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
$(OUT)/pkg.mk: $(DEPS_STAMP) build/flags.mk
	@echo 'PKG_CFLAGS := '"$$(pkg-config --cflags $(PKGS))" > $@.tmp
	@echo 'PKG_LIBS := '"$$(pkg-config --libs $(PKGS))" >> $@.tmp
	@echo 'SERVE_PKG_CFLAGS := '"$$(pkg-config --cflags $(SERVE_PKGS))" >> $@.tmp
	@echo 'SERVE_PKG_LIBS := '"$$(pkg-config --libs $(SERVE_PKGS))" >> $@.tmp
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
# host command; boot/: PID 1 of the recovery image) sit on import/ (host
# only: deny-list importers) and on the engine library, which is built from
# the lower folders only: a file there that calls a front end does not link.
ENGINE_DIRS := lib formats storage engine
ENGINE_SRC  := $(foreach d,$(ENGINE_DIRS),$(wildcard recovery/$(d)/*.c))
ENGINE_OBJ  := $(ENGINE_SRC:%.c=$(OBJDIR)/%.o)
LIBENGINE   := $(OBJDIR)/libengine.a
IMPORT_OBJ  := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard recovery/import/*.c))
LIBIMPORT   := $(OBJDIR)/libimport.a
# net/: the fleet HTTPS client (libcurl), for PID 1 and its tests.
NET_OBJ     := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard recovery/net/*.c))
LIBNET      := $(OBJDIR)/libnet.a
# recovery/serve/ (host only: `lastgood serve`, libmicrohttpd and SQLite).
SERVE_OBJ   := $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard recovery/serve/*.c))
LIBSERVE    := $(OBJDIR)/libserve.a
FRONT_OBJ   := $(patsubst %.c,$(OBJDIR)/%.o,$(filter-out recovery/cli/main.c,$(wildcard recovery/cli/*.c recovery/boot/*.c recovery/term/*.c)))
LIBFRONT    := $(OBJDIR)/libfront.a
MAIN_OBJ    := $(OBJDIR)/recovery/cli/main.o

$(OBJDIR)/%.o: %.c $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LG_CFLAGS) -MMD -MP -c $< -o $@

$(LIBENGINE): $(ENGINE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBIMPORT): $(IMPORT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBNET): $(NET_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBSERVE): $(SERVE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SERVE_OBJ) $(OBJDIR)/recovery/cli/serve_cmd.o: LG_CFLAGS += $(SERVE_PKG_CFLAGS)

$(LIBFRONT): $(FRONT_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Everything a test program may link, top layer first.
LIBALL := $(LIBFRONT) $(LIBIMPORT) $(LIBNET) $(LIBENGINE)

# Only the CLI links the server (and its libraries).
$(OUT)/lastgood: $(MAIN_OBJ) $(LIBFRONT) $(LIBSERVE) $(LIBIMPORT) $(LIBNET) $(LIBENGINE)
	$(CC) $(LG_LDFLAGS) -o $@ $^ $(LG_LIBS) $(SERVE_PKG_LIBS)

-include $(wildcard $(OBJDIR)/*/*/*.d $(OBJDIR)/*/*/*/*.d)

all: $(OUT)/lastgood

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
	rm -rf $(OBJDIR) $(OUT_REL) $(OUT)/lastgood $(OUT)/tests $(OUT)/fixtures $(OUT)/test-logs $(OUT)/media $(OUT)/efi $(OUT)/e2e $(OUT)/fuzz $(OUT)/bench \
	       $(OUT)/lastgood.efi $(OUT)/lastgood-usb.img $(OUT)/lastgood.iso $(OUT)/pxe $(OUT)/manifest.json \
	       $(OUT)/lastgood-shim-usb.img $(OUT)/lastgood-shim.iso

.PHONY: all install clean FORCE
