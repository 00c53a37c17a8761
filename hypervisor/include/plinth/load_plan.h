/*
 * The guest loaders' pure half (hypervisor/guest/): an image's bytes become a load plan without
 * touching hardware or guest memory, so it is unit-tested and fuzzed on the host; the loaders
 * (guest/multiboot.c, guest/linux.c) then check the plan against the VM's RAM and copy it
 * through vm_mem. Every size and address from an image is checked for wrap-around here.
 */
#ifndef PLINTH_LOAD_PLAN_H
#define PLINTH_LOAD_PLAN_H

#include <plinth/pmm.h>
#include <plinth/types.h>

#define LOAD_SEGMENTS_MAX 16
#define LOAD_ERROR_LEN 160
/* Multiboot 1 kernels start in 32-bit protected mode with paging off: everything they are
 * given, and everything they load, lies below 4 GiB. */
#define LOAD_LIMIT_32 (4 * GIB)

/* Bytes [offset, offset + copy) of the image go to guest-physical gpa; zero bytes after them
 * are cleared (an ELF segment's memsz beyond filesz, an a.out kludge's bss). */
struct load_segment {
	u64 offset;
	gpa_t gpa;
	u64 copy, zero;
};

struct load_plan {
	struct load_segment seg[LOAD_SEGMENTS_MAX];
	u32 count;
	gpa_t entry;
	const char *format; /* for the log: "a.out kludge", "ELF32", "ELF64" */
	char error[LOAD_ERROR_LEN]; /* why the image was refused, one line */
};

/* Adds a segment after checking it: its bytes lie inside the image (image_size), its guest
 * range [gpa, gpa + copy + zero) neither wraps nor passes limit nor overlaps another segment.
 * 0, or -EINVAL with plan->error saying which check failed. */
int plan_add(struct load_plan *plan, u64 image_size, u64 offset, gpa_t gpa, u64 copy, u64 zero, u64 limit);
/* Whether guest-physical [start, end) overlaps a segment of the plan. */
bool plan_overlaps(const struct load_plan *plan, u64 start, u64 end);
/* Sets plan->error (printf-style) and returns -EINVAL. */
int plan_fail(struct load_plan *plan, const char *fmt, ...) __printf(2, 3);

/*
 * Multiboot version 1 kernels (guest/mb1_parse.c): the header in the first 8 KiB, then the
 * a.out kludge addresses (header flag 16) or, without them, the ELF program headers. 0 with
 * the plan, -ENOENT when the image has no multiboot header, -EINVAL with plan->error.
 */
int mb1_parse(const u8 *image, u64 size, struct load_plan *plan);
/* ELF32 (EM_386) and ELF64 (EM_X86_64) executables loaded as GRUB loads multiboot kernels
 * (guest/elf_parse.c): each PT_LOAD at its physical address, the entry point translated from
 * its virtual address through the segment that holds it, all below 4 GiB. 0 or -EINVAL. */
int elf_parse(const u8 *image, u64 size, struct load_plan *plan);

/*
 * Guest RAM still free while a loader places things (guest/plan.c): a set of guest-physical
 * ranges, from which the loader takes what the image and its hand-over data occupy.
 */
struct vm;
/* All RAM of the VM, by guest-physical address (adjacent ranges merge). 0 or -ENOSPC. */
int guest_free_init(struct pmm *free, const struct vm *vm);
/* Takes [start, start + size) (start page aligned) when it is all free. 0 or -ENOMEM. */
int guest_free_take_at(struct pmm *free, u64 start, u64 size);
/* Takes size bytes aligned to align from the free set: at prefer when that range is free
 * (prefer 0: no preference), else the lowest fit in [floor, limit). 0 and *out, or -ENOMEM. */
int guest_free_take(struct pmm *free, u64 size, u64 align, u64 floor, u64 limit, u64 prefer, u64 *out);

#endif
