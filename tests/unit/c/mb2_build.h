/*
 * Builds multiboot2 information structures (specification section 3.6) for the parser tests:
 * the fixed header {u32 total_size, u32 reserved}, then tags {u32 type, u32 size, payload},
 * each starting 8-byte aligned. The finished structure is copied into a heap block of exactly
 * its length, so AddressSanitizer reports any read past its end.
 */
#ifndef PLINTH_TEST_MB2_BUILD_H
#define PLINTH_TEST_MB2_BUILD_H

#include <stdlib.h>
#include <string.h>
#include <plinth/multiboot2.h>

#define MBB_CAP (64 * 1024)

struct mbb {
	u8 buf[MBB_CAP] __aligned(8);
	u32 len;
	void *mbi; /* the exact-size copy handed to the parser */
};

/* An e820-style memory map entry as the test writes it. */
struct mbb_mem {
	u64 base, len;
	u32 type;
};

static inline void mbb_init(struct mbb *b)
{
	memset(b->buf, 0, sizeof(b->buf));
	b->len = 8;
	b->mbi = NULL;
}

static inline void mbb_put32(struct mbb *b, u32 off, u32 v)
{
	memcpy(b->buf + off, &v, sizeof(v));
}

/* Appends a tag whose size field says size (possibly a lie) and whose payload is p[0..n).
 * The next tag starts at the 8-byte boundary after the payload. Returns the tag's offset. */
static inline u32 mbb_raw(struct mbb *b, u32 type, u32 size, const void *p, u32 n)
{
	u32 off = b->len;

	if (off + 8 + n > MBB_CAP)
		abort(); /* a test asked for more than the builder holds */
	mbb_put32(b, off, type);
	mbb_put32(b, off + 4, size);
	if (n)
		memcpy(b->buf + off + 8, p, n);
	b->len = (u32)ALIGN_UP(off + 8 + n, 8);
	return off;
}

static inline u32 mbb_tag(struct mbb *b, u32 type, const void *p, u32 n)
{
	return mbb_raw(b, type, 8 + n, p, n);
}

/* A string tag (command line, loader name) including its NUL. */
static inline u32 mbb_string(struct mbb *b, u32 type, const char *s)
{
	return mbb_tag(b, type, s, (u32)strlen(s) + 1);
}

static inline u32 mbb_module(struct mbb *b, u32 start, u32 end, const char *cmdline)
{
	u8 p[256];
	u32 n = (u32)strlen(cmdline) + 1;

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, cmdline, n);
	return mbb_tag(b, MB2_TAG_MODULE, p, 8 + n);
}

static inline u32 mbb_meminfo(struct mbb *b, u32 lower_kib, u32 upper_kib)
{
	u32 p[2] = { lower_kib, upper_kib };

	return mbb_tag(b, MB2_TAG_BASIC_MEMINFO, p, sizeof(p));
}

/* A memory map tag with entries of entry_size bytes (24 in practice; larger is allowed). */
static inline u32 mbb_mmap(struct mbb *b, u32 entry_size, const struct mbb_mem *e, u32 count)
{
	static u8 p[8 + 512 * 64];
	u32 i, hdr[2] = { entry_size, 0 };

	if (8 + count * entry_size > sizeof(p) || entry_size < 20)
		abort();
	memset(p, 0xa5, sizeof(p)); /* bytes past the 20 used ones must be ignored */
	memcpy(p, hdr, sizeof(hdr));
	for (i = 0; i < count; i++) {
		u8 *q = p + 8 + i * entry_size;

		memcpy(q, &e[i].base, 8);
		memcpy(q + 8, &e[i].len, 8);
		memcpy(q + 16, &e[i].type, 4);
	}
	return mbb_tag(b, MB2_TAG_MMAP, p, 8 + count * entry_size);
}

/* An ACPI RSDP tag (type 14 or 15) carrying len bytes that start with the RSDP signature;
 * byte 8 is set to mark which copy the parser picked. */
static inline u32 mbb_acpi(struct mbb *b, u32 type, u32 len, u8 mark)
{
	u8 p[64] = "RSD PTR ";

	if (len > sizeof(p))
		abort();
	if (len > 8)
		p[8] = mark;
	return mbb_tag(b, type, p, len);
}

static inline u32 mbb_end(struct mbb *b)
{
	return mbb_raw(b, MB2_TAG_END, 8, NULL, 0);
}

/* Writes total_size into the header and returns an exact-size copy of the bytes built. */
static inline const void *mbb_done_total(struct mbb *b, u32 total)
{
	mbb_put32(b, 0, total);
	b->mbi = malloc(b->len);
	if (!b->mbi)
		abort();
	memcpy(b->mbi, b->buf, b->len);
	return b->mbi;
}

static inline const void *mbb_done(struct mbb *b)
{
	return mbb_done_total(b, b->len);
}

static inline void mbb_free(struct mbb *b)
{
	free(b->mbi);
	b->mbi = NULL;
}

/* Is p inside the structure handed to the parser (a pointer the parser returned)? */
static inline bool mbb_contains(const struct mbb *b, const void *p)
{
	return (const u8 *)p >= (const u8 *)b->mbi && (const u8 *)p < (const u8 *)b->mbi + b->len;
}

#endif
