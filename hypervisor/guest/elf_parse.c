/*
 * ELF executables as multiboot kernels, loaded the way GRUB loads them (grub-core/loader/
 * multiboot_elfxx.c): every PT_LOAD segment at its physical address p_paddr, p_filesz bytes
 * from the file and the rest of p_memsz zeroed; the entry point e_entry, when it is a virtual
 * address inside a segment, moved by that segment's p_paddr - p_vaddr. ELF32 (EM_386) and
 * ELF64 (EM_X86_64) alike; the kernel starts in 32-bit mode, so all of it lies below 4 GiB.
 * Pure: every field is the image's word and is checked (System V ABI, ELF chapter 4 and 5).
 */
#include <plinth/errno.h>
#include <plinth/load_plan.h>
#include <plinth/string.h>

#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF_PHNUM_MAX 64

/* The header and program header fields Plinth needs, whichever the class. */
struct elf_info {
	u64 entry, phoff;
	u32 phentsize, phnum;
};

struct elf_phdr {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz;
};

static u64 rd(const u8 *p, u32 bytes)
{
	u64 v = 0;

	memcpy(&v, p, bytes); /* little-endian, as x86 and ELFDATA2LSB are */
	return v;
}

/* Offsets of e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum by class (ELF 4.1). */
static int header(const u8 *img, u64 size, bool is64, struct elf_info *e, struct load_plan *plan)
{
	u32 w = is64 ? 8 : 4, ehsize = is64 ? 64 : 52, phent = is64 ? 56 : 32;
	u32 machine = is64 ? EM_X86_64 : EM_386;

	if (size < ehsize)
		return plan_fail(plan, "the ELF header is cut off (%lu bytes)", size);
	if (rd(img + 16, 2) != ET_EXEC || rd(img + 18, 2) != machine)
		return plan_fail(plan, "not an x86 executable (ELF type %lu, machine %lu; wanted %u, %u)", rd(img + 16, 2),
				 rd(img + 18, 2), ET_EXEC, machine);
	e->entry = rd(img + 24, w);
	e->phoff = rd(img + 24 + w, w);
	e->phentsize = (u32)rd(img + 24 + 3 * w + 6, 2);
	e->phnum = (u32)rd(img + 24 + 3 * w + 8, 2);
	if (e->phentsize < phent || !e->phnum || e->phnum > ELF_PHNUM_MAX)
		return plan_fail(plan, "program headers of %u bytes, %u of them: not a loadable ELF", e->phentsize, e->phnum);
	if (e->phoff > size || (u64)e->phentsize * e->phnum > size - e->phoff)
		return plan_fail(plan, "the program headers at 0x%lx (%u x %u bytes) lie beyond the file's %lu bytes", e->phoff,
				 e->phnum, e->phentsize, size);
	return 0;
}

static void phdr(const u8 *p, bool is64, struct elf_phdr *ph)
{
	ph->type = (u32)rd(p, 4);
	if (is64) {
		ph->offset = rd(p + 8, 8);
		ph->vaddr = rd(p + 16, 8);
		ph->paddr = rd(p + 24, 8);
		ph->filesz = rd(p + 32, 8);
		ph->memsz = rd(p + 40, 8);
	} else {
		ph->offset = rd(p + 4, 4);
		ph->vaddr = rd(p + 8, 4);
		ph->paddr = rd(p + 12, 4);
		ph->filesz = rd(p + 16, 4);
		ph->memsz = rd(p + 20, 4);
	}
}

int elf_parse(const u8 *img, u64 size, struct load_plan *plan)
{
	struct elf_info e = { 0 };
	struct elf_phdr ph;
	bool is64, entry_found = false;
	u32 i;
	int rc;

	if (size < 16 || memcmp(img, "\177ELF", 4))
		return plan_fail(plan, "no a.out kludge addresses (header flag 16) and not an ELF file");
	if ((img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64) || img[EI_DATA] != ELFDATA2LSB ||
	    img[EI_VERSION] != 1)
		return plan_fail(plan, "an ELF file of class %u, data %u, version %u: not 32/64-bit little-endian version 1",
				 img[EI_CLASS], img[EI_DATA], img[EI_VERSION]);
	is64 = img[EI_CLASS] == ELFCLASS64;
	rc = header(img, size, is64, &e, plan);
	if (rc)
		return rc;
	plan->format = is64 ? "ELF64" : "ELF32";
	for (i = 0; i < e.phnum; i++) {
		phdr(img + e.phoff + (u64)i * e.phentsize, is64, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz)
			return plan_fail(plan, "segment %u: p_filesz 0x%lx exceeds p_memsz 0x%lx", i, ph.filesz, ph.memsz);
		rc = plan_add(plan, size, ph.offset, ph.paddr, ph.filesz, ph.memsz - ph.filesz, LOAD_LIMIT_32);
		if (rc)
			return rc;
		/* The entry may be virtual (a higher-half kernel): GRUB moves it with its segment. */
		if (!entry_found && e.entry >= ph.vaddr && e.entry - ph.vaddr < ph.memsz) {
			plan->entry = e.entry - ph.vaddr + ph.paddr;
			entry_found = true;
		}
	}
	if (!plan->count)
		return plan_fail(plan, "no loadable segment (PT_LOAD) in the ELF file");
	if (!entry_found)
		return plan_fail(plan, "the entry point 0x%lx lies in no loadable segment", e.entry);
	return 0;
}
