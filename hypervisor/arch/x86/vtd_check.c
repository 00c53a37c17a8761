/* What Plinth accepts from a DMAR; see x86/vtd_check.h. */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/pmm.h>
#include <x86/vtd_check.h>

#define VER_RESERVED 0xffffff00u
#define VER_MAJOR(v) (((v) >> 4) & 0xf)
/* GSTS bits 22:0 are reserved and read 0 (VT-d 11.4.5). */
#define GSTS_RESERVED 0x007fffffu

static int refuse(char *why, size_t n, const char *fmt, ...) __printf(3, 4);

static int refuse(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The first memory map entry of a type other than reserved that [start, end) overlaps. */
static const struct mem_range *overlapped_ram(const struct vtd_check_env *env, u64 start, u64 end)
{
	u32 i;

	for (i = 0; i < env->mmap_count; i++) {
		const struct mem_range *m = &env->mmap[i];

		if (m->type != MB2_MEM_RESERVED && start < m->end && m->start < end)
			return m;
	}
	return NULL;
}

static bool overlaps_plinth(const struct vtd_check_env *env, u64 start, u64 end)
{
	return start < env->plinth_end && env->plinth_start < end;
}

int vtd_check_unit_base(const struct acpi_drhd *u, const struct vtd_check_env *env, char *why, size_t n)
{
	u64 start = u->reg_base, end = u->reg_base + u->reg_size;
	const struct mem_range *m;

	if (!start || !IS_ALIGNED(start, PMM_PAGE_SIZE) || end < start)
		return refuse(why, n, "register base 0x%lx of %lu bytes is not a page-aligned span of the address space",
			      start, u->reg_size);
	if (overlaps_plinth(env, start, end))
		return refuse(why, n, "its registers 0x%lx-0x%lx overlap Plinth's range 0x%lx-0x%lx", start, end,
			      env->plinth_start, env->plinth_end);
	m = overlapped_ram(env, start, end);
	if (m)
		return refuse(why, n, "its registers 0x%lx-0x%lx lie in %s memory (memory map 0x%lx-0x%lx), not in device space",
			      start, end, mb2_mem_type_name(m->type), m->start, m->end);
	return 0;
}

int vtd_check_unit_regs(const struct vtd_unit_regs *r, u64 reg_size, char *why, size_t n)
{
	u64 frcd_end = r->fro + r->nfr * VTD_FRCD_SIZE, iotlb_end = r->iro + VTD_IOTLB_REGS_SIZE;

	if (r->ver == ~0u || !r->ver)
		return refuse(why, n, "its version register reads 0x%x: no device answers at that address", r->ver);
	if ((r->ver & VER_RESERVED) || VER_MAJOR(r->ver) < 1 || VER_MAJOR(r->ver) > VTD_VERSION_MAJOR_MAX)
		return refuse(why, n, "its version register reads 0x%x, not a VT-d version 1.0 to %u.x", r->ver,
			      VTD_VERSION_MAJOR_MAX);
	if (!r->cap || r->cap == ~0ULL || !r->ecap || r->ecap == ~0ULL)
		return refuse(why, n, "its capability registers read CAP 0x%lx ECAP 0x%lx (all zeros or all ones)",
			      r->cap, r->ecap);
	if (!r->sagaw)
		return refuse(why, n, "CAP 0x%lx offers no second-level page-table depth (SAGAW 0)", r->cap);
	if (r->nd > VTD_ND_MAX)
		return refuse(why, n, "CAP 0x%lx has the reserved domain count ND %lu", r->cap, r->nd);
	if (!r->fro || frcd_end > reg_size)
		return refuse(why, n, "CAP 0x%lx puts %lu fault recording registers at 0x%lx-0x%lx, outside its %lu-byte register span",
			      r->cap, r->nfr, r->fro, frcd_end, reg_size);
	if (!r->iro || iotlb_end > reg_size)
		return refuse(why, n, "ECAP 0x%lx puts the IOTLB registers at 0x%lx, outside its %lu-byte register span",
			      r->ecap, r->iro, reg_size);
	if (r->gsts & GSTS_RESERVED)
		return refuse(why, n, "its global status register reads 0x%x, with reserved bits set", r->gsts);
	return 0;
}

int vtd_check_rmrr(const struct acpi_rmrr *r, const struct vtd_check_env *env, char *why, size_t n)
{
	u64 start = r->base, end = r->limit + 1;
	const struct mem_range *m;

	/* The parser guarantees base <= limit and 4 KiB alignment; a limit of 2^64 - 1 wraps. */
	if (!end || end - start > VTD_RMRR_MAX_SIZE)
		return refuse(why, n, "it spans %lu MiB, more than the %lu MiB a real one needs", (end - start) / MIB,
			      VTD_RMRR_MAX_SIZE / MIB);
	if (overlaps_plinth(env, start, end))
		return refuse(why, n, "it overlaps Plinth's range 0x%lx-0x%lx", env->plinth_start, env->plinth_end);
	m = overlapped_ram(env, start, end);
	if (m)
		return refuse(why, n, "it covers %s memory (memory map 0x%lx-0x%lx) that the firmware did not reserve",
			      mb2_mem_type_name(m->type), m->start, m->end);
	return 0;
}

int vtd_map_rmrr(struct ept *pt, const struct acpi_rmrr *r, const struct vm_mem *ram, u32 count, u64 iova_limit)
{
	/* The RMRR less the VM's RAM, as a sorted set of ranges (the allocator's structure);
	 * static for its 4 KiB: domains are built by the boot CPU alone, before the launch. */
	static struct pmm runs;
	u32 i;
	int rc = 0;

	if (r->limit >= iova_limit)
		return -ERANGE;
	pmm_init(&runs);
	pmm_add(&runs, r->base, r->limit + 1);
	for (i = 0; i < count; i++)
		if (ram[i].kind == VM_MEM_RAM)
			pmm_remove(&runs, ram[i].gpa, ram[i].gpa + ram[i].size);
	for (i = 0; i < runs.count && !rc; i++)
		rc = ept_map(pt, runs.free[i].start, runs.free[i].start, runs.free[i].end - runs.free[i].start,
			     EPT_READ | EPT_WRITE);
	return rc;
}
