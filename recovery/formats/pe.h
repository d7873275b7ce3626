/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PE/COFF identity of a file: machine, PE32 or PE32+, the Authenticode
 * image hash (what Microsoft's driver block list and the LOLDrivers
 * catalogue call the "Authentihash") and the VERSIONINFO resource
 * (OriginalFilename, CompanyName, file version...).
 *
 * Everything works on a buffer the caller already holds (the matcher
 * reads a file once and feeds the same bytes to a plain SHA-256 and to
 * this parser). The buffer is hostile: every offset and size read from it
 * is checked against len before use, counts are capped, nothing recurses.
 * Nothing here allocates except the hash contexts; no struct needs freeing.
 *
 * Errors (negative errno, with a message for people in the lg_err):
 *   -ENOEXEC  not a PE file at all (no MZ header, no "PE\0\0" signature,
 *             an object file without an optional header)
 *   -EBADMSG  a PE file whose headers, sections, certificate table or
 *             version resource are inconsistent or cut short
 *   -ENOENT   (lg_pe_version only) the file has no RT_VERSION resource
 *   -ENOMEM, -EIO (libcrypto failures) from the hashing
 *   -EINVAL   bad arguments, or a buffer that is not the one parsed
 */
#ifndef LG_PE_H
#define LG_PE_H

#include "lib/hash.h"
#include "lib/util.h"

/* The Windows loader refuses images with more sections than this (PE
 * format spec, "Section Table"), so no driver that loads has more. */
#define LG_PE_MAX_SECTIONS 96

#define LG_PE_MACHINE_I386 0x014c
#define LG_PE_MACHINE_AMD64 0x8664
#define LG_PE_MACHINE_ARM64 0xaa64

struct lg_pe_section {
	char name[9];             /* NUL-terminated; "/4"-style long names kept as written */
	uint32_t virtual_size;
	uint32_t virtual_address;
	uint32_t raw_size;        /* SizeOfRawData */
	uint32_t raw_offset;      /* PointerToRawData */
	uint32_t characteristics;
};

struct lg_pe_info {
	uint16_t machine;         /* IMAGE_FILE_MACHINE_*, see lg_pe_machine_name() */
	bool pe32plus;            /* optional header magic 0x20b (else 0x10b, PE32) */
	uint16_t subsystem;       /* see lg_pe_subsystem_name() */
	uint16_t characteristics; /* COFF header Characteristics */
	uint32_t timestamp;       /* COFF TimeDateStamp (often a build hash, not a time) */
	uint32_t size_of_headers;
	uint32_t checksum;        /* the CheckSum field's value */

	/* File offsets of the fields Authenticode leaves out of the hash. */
	size_t checksum_offset;   /* 4 bytes */
	size_t cert_dir_offset;   /* 8 bytes: data directory 4; 0 when the file has none */

	/* The attribute certificate table (its directory "address" is a file
	 * offset). cert_size 0: unsigned. Checked to lie inside the file. */
	uint32_t cert_offset;
	uint32_t cert_size;

	/* Zero bytes Windows appends to an unsigned file whose size is not a
	 * multiple of 8 before hashing it (what signing would add): 0..7. */
	unsigned pad_bytes;

	/* Resource directory (data directory 2), an RVA; size 0 when absent. */
	uint32_t resource_rva;
	uint32_t resource_size;

	unsigned n_sections;
	struct lg_pe_section sections[LG_PE_MAX_SECTIONS];
};

/* Parse and check the headers and section table of a PE32 or PE32+ image
 * in buf[0, len). Fills info on success; on failure info is unspecified
 * and err says what was wrong, with the offset where it matters. */
int lg_pe_parse(const unsigned char *buf, size_t len, struct lg_pe_info *info,
		struct lg_err *err);

/* The Authenticode image hash of a parsed image (Microsoft's "Windows
 * Authenticode Portable Executable Signature Format", "Calculating the PE
 * Image Hash"): the headers up to SizeOfHeaders without the CheckSum field
 * and the Certificate Table directory entry, every section with raw data
 * in PointerToRawData order, then the bytes after SUM_OF_BYTES_HASHED up
 * to the file size less the certificate table.
 *
 * An unsigned file whose size is not a multiple of 8 is hashed as if
 * info->pad_bytes zero bytes followed it, as Windows does (ConfigCI and
 * AppLocker hash rules, catalog signing) and as the file will hash once
 * signed (signers pad it). Tools that skip the padding (pesign -h,
 * VirusTotal) give the value of lg_pe_authentihash_unpadded(); the two are
 * equal whenever info->pad_bytes is 0, so every signed file has one value.
 *
 * Either output may be NULL to skip that digest (not both); both are
 * computed in one pass. buf and len must be the ones given to
 * lg_pe_parse() (a shorter buffer gives -EINVAL). */
int lg_pe_authentihash(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
		       unsigned char sha256[LG_SHA256_LEN], unsigned char sha1[LG_SHA1_LEN]);
int lg_pe_authentihash_unpadded(const unsigned char *buf, size_t len,
				const struct lg_pe_info *info,
				unsigned char sha256[LG_SHA256_LEN],
				unsigned char sha1[LG_SHA1_LEN]);

/* StringFileInfo keys read from the version resource. */
enum lg_pe_str {
	LG_PE_STR_ORIGINAL_FILENAME,
	LG_PE_STR_COMPANY_NAME,
	LG_PE_STR_FILE_DESCRIPTION,
	LG_PE_STR_FILE_VERSION,
	LG_PE_STR_PRODUCT_NAME,
	LG_PE_STR_PRODUCT_VERSION,
	LG_PE_STR_INTERNAL_NAME,
	LG_PE_STR_COUNT,
};

/* Longest string kept, in UTF-8 bytes with the NUL; longer values are cut
 * at a character boundary and flagged in truncated. */
#define LG_PE_STR_MAX 512

struct lg_pe_version {
	bool has_fixed;            /* a VS_FIXEDFILEINFO with the right signature */
	uint16_t file_version[4];  /* major, minor, build, revision */
	uint16_t product_version[4];
	uint32_t file_flags;       /* dwFileFlags & dwFileFlagsMask (debug, prerelease...) */
	uint32_t file_os, file_type;

	/* UTF-8, "" when absent; has_str tells absent from empty. When a file
	 * carries several string tables (languages), each key comes from the
	 * first table, in file order, that has it. */
	bool has_str[LG_PE_STR_COUNT];
	bool truncated[LG_PE_STR_COUNT];
	char str[LG_PE_STR_COUNT][LG_PE_STR_MAX];
};

/* Find RT_VERSION (resource type 16; name 1 if present, else the first;
 * first language) and read VS_FIXEDFILEINFO and the StringFileInfo strings.
 * Returns 0, -ENOENT when there is no version resource, -EBADMSG when the
 * resource tree or the VS_VERSIONINFO blocks are broken. */
int lg_pe_version(const unsigned char *buf, size_t len, const struct lg_pe_info *info,
		  struct lg_pe_version *ver, struct lg_err *err);

/* The StringFileInfo key, as in the file ("OriginalFilename"). */
const char *lg_pe_str_key(enum lg_pe_str s);
/* "x86_64", "i386", "arm64"...; NULL for a value this table lacks. */
const char *lg_pe_machine_name(uint16_t machine);
/* "native", "windows_gui", "efi_application"...; NULL when unknown. */
const char *lg_pe_subsystem_name(uint16_t subsystem);

#endif
