/* Guest images for the loader tests and the fuzzers' seeds: multiboot 1 a.out-kludge and ELF
 * kernels, built in a caller's buffer. */
#ifndef PLINTH_TEST_IMAGE_BUILD_H
#define PLINTH_TEST_IMAGE_BUILD_H

#include <string.h>

#include <plinth/multiboot1.h>

#define IMG_MAX 0x8000

struct img {
	u8 b[IMG_MAX];
	u64 size;
};

static inline void img_put(struct img *im, u64 off, u64 v, u32 bytes)
{
	memcpy(im->b + off, &v, bytes);
}

/* A multiboot 1 header at off with flags; a.out-kludge fields when flag 16 is set. */
__attribute__((unused)) static void img_mb1(struct img *im, u64 off, u32 flags, u32 header_addr, u32 load,
					    u32 load_end, u32 bss_end, u32 entry)
{
	img_put(im, off, MB1_HEADER_MAGIC, 4);
	img_put(im, off + 4, flags, 4);
	img_put(im, off + 8, (u32)-(MB1_HEADER_MAGIC + flags), 4);
	if (flags & MB1_HEADER_AOUT_KLUDGE) {
		img_put(im, off + 12, header_addr, 4);
		img_put(im, off + 16, load, 4);
		img_put(im, off + 20, load_end, 4);
		img_put(im, off + 24, bss_end, 4);
		img_put(im, off + 28, entry, 4);
	}
}

/* A kludge kernel as the test guest is: header at offset 0, loaded at load, size bytes. */
__attribute__((unused)) static void img_kludge(struct img *im, u32 load, u64 size, u32 bss)
{
	memset(im, 0, sizeof(*im));
	im->size = size;
	img_mb1(im, 0, MB1_HEADER_AOUT_KLUDGE | MB1_HEADER_PAGE_ALIGN, load, load, load + (u32)size,
		load + (u32)size + bss, load + 0x20);
}

struct img_phdr {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz;
};

/* An ELF executable (class 64 or 32) with its program headers right after the ELF header
 * and a multiboot header without flag 16 at 0x400; file size size. */
__attribute__((unused)) static void img_elf(struct img *im, bool is64, u64 entry, const struct img_phdr *ph, u32 n,
					    u64 size)
{
	u32 ehsize = is64 ? 64 : 52, phent = is64 ? 56 : 32, w = is64 ? 8 : 4, i;

	memset(im, 0, sizeof(*im));
	im->size = size;
	memcpy(im->b, "\177ELF", 4);
	im->b[4] = is64 ? 2 : 1;
	im->b[5] = 1;
	im->b[6] = 1;
	img_put(im, 16, 2, 2);		    /* ET_EXEC */
	img_put(im, 18, is64 ? 62 : 3, 2); /* EM_X86_64, EM_386 */
	img_put(im, 20, 1, 4);
	img_put(im, 24, entry, w);
	img_put(im, 24 + w, ehsize, w); /* e_phoff */
	img_put(im, 24 + 3 * w + 4, ehsize, 2);
	img_put(im, 24 + 3 * w + 6, phent, 2);
	img_put(im, 24 + 3 * w + 8, n, 2);
	for (i = 0; i < n; i++) {
		u64 p = ehsize + (u64)i * phent;

		img_put(im, p, ph[i].type, 4);
		if (is64) {
			img_put(im, p + 8, ph[i].offset, 8);
			img_put(im, p + 16, ph[i].vaddr, 8);
			img_put(im, p + 24, ph[i].paddr, 8);
			img_put(im, p + 32, ph[i].filesz, 8);
			img_put(im, p + 40, ph[i].memsz, 8);
		} else {
			img_put(im, p + 4, ph[i].offset, 4);
			img_put(im, p + 8, ph[i].vaddr, 4);
			img_put(im, p + 12, ph[i].paddr, 4);
			img_put(im, p + 16, ph[i].filesz, 4);
			img_put(im, p + 20, ph[i].memsz, 4);
		}
	}
	img_mb1(im, 0x400, MB1_HEADER_PAGE_ALIGN | MB1_HEADER_MEMORY_INFO, 0, 0, 0, 0, 0);
}

#endif
