# SPDX-License-Identifier: GPL-2.0-or-later
# Importers (recovery/import/importer.c, `lastgood denylist import`, docs/importers.md):
# the PE drivers of the `vulndriver` fixture scenario, built by mkpe
# (build/pe.mk). tests/fixtures/importers/*.json|xml name these files by
# their hashes; tests/host/45-importers.sh checks that they still do.

PE_FIXTURES := $(OUT)/fixtures/pe
VULNDRIVER_PE := $(addprefix $(PE_FIXTURES)/,vulnhw.sys vulnhw-signed.sys vulnsha.sys vulnodd.sys \
	acmeio-3.1.sys acmeio-3.2.sys sipol256.sys sipol1.sys pageonly.sys signerdep.sys goodnew.sys)

# What each driver is (strings go into its VERSIONINFO; sections and
# trailing bytes make the contents, so the hashes, differ).
$(PE_FIXTURES)/vulnhw.sys:        MKPE_ARGS = --version --sections 3 --file-version 1.4.0.2 \
	--string "CompanyName=Vulnerable Hardware Inc." --string OriginalFilename=vulnhw.sys
$(PE_FIXTURES)/vulnhw-signed.sys: MKPE_ARGS = --version --sections 3 --file-version 1.4.0.2 \
	--string "CompanyName=Vulnerable Hardware Inc." --string OriginalFilename=vulnhw.sys --cert 64
$(PE_FIXTURES)/vulnsha.sys:       MKPE_ARGS = --version --sections 4 --file-version 2.0.0.7 \
	--string "CompanyName=Shady Tools" --string OriginalFilename=shady.sys
$(PE_FIXTURES)/vulnodd.sys:       MKPE_ARGS = --version --sections 2 --trailing 13 --file-version 5.1.0.0 \
	--string "CompanyName=Odd Size Ltd" --string OriginalFilename=oddio.sys
$(PE_FIXTURES)/acmeio-3.1.sys:    MKPE_ARGS = --version --sections 1 --file-version 3.1.0.36 \
	--string "CompanyName=Acme Corp" --string OriginalFilename=AcmeIO.sys \
	--string "FileVersion=3.1.0.36 built by: WinDDK"
$(PE_FIXTURES)/acmeio-3.2.sys:    MKPE_ARGS = --version --sections 1 --file-version 3.2.0.0 \
	--string "CompanyName=Acme Corp" --string OriginalFilename=AcmeIO.sys --string FileVersion=3.2.0.0
$(PE_FIXTURES)/sipol256.sys:      MKPE_ARGS = --version --sections 5 --file-version 7.0.0.1 \
	--string "CompanyName=Blocked One" --string OriginalFilename=blocked1.sys
$(PE_FIXTURES)/sipol1.sys:        MKPE_ARGS = --pe32 --version --sections 2 --file-version 1.0.0.0 \
	--string "CompanyName=Blocked Two" --string OriginalFilename=blocked2.sys
$(PE_FIXTURES)/pageonly.sys:      MKPE_ARGS = --version --sections 6 --file-version 1.0.0.0 \
	--string "CompanyName=Page Hash Only" --string OriginalFilename=pageonly.sys
$(PE_FIXTURES)/signerdep.sys:     MKPE_ARGS = --version --sections 2 --section-size 0x400 --file-version 1.0.0.0 \
	--string "CompanyName=Signer Bound" --string OriginalFilename=sgnbound.sys
$(PE_FIXTURES)/goodnew.sys:       MKPE_ARGS = --version --sections 3 --section-size 0x600 --file-version 1.5.0.0 \
	--string "CompanyName=Vulnerable Hardware Inc." --string OriginalFilename=vulnhw.sys

# mkpe's rule is in build/pe.mk, read after this file: name it in full.
IMPORTERS_MKPE := $(OUT)/tests/fixtures/mkpe

$(VULNDRIVER_PE): $(IMPORTERS_MKPE) build/importers.mk
	@mkdir -p $(dir $@)
	$(IMPORTERS_MKPE) $(MKPE_ARGS) $@

# The scenario takes the drivers with data=file:${OUT}/fixtures/pe/...
$(OUT)/fixtures/vulndriver.img: $(VULNDRIVER_PE)

vulndriver-pe: $(VULNDRIVER_PE)

.PHONY: vulndriver-pe
