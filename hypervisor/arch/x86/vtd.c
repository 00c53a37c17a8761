/*
 * Intel VT-d DMA remapping (VT-d specification 3.x, chapters 3, 6, 9, 10, 11).
 *
 * Every remapping unit gets the same root table: context entries exist only for the devices
 * Plinth hands to a VM, and point at that VM's domain. A domain's second-level tables come
 * from the EPT builder (x86/ept.h): the formats agree on what Plinth uses (read, write, page
 * size, address). Invalidation is register-based and global: Plinth changes mappings only
 * while building VMs, never on a hot path. Faults: vtd_fault.c.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <plinth/options.h>
#include <plinth/string.h>
#include <x86/ept.h>
#include <x86/vtd.h>
#include <x86/vtd_check.h>
#include <x86/vtd_qi.h>
#include <x86/vtd_regs.h>

#define VTD_DOMAINS VM_MAX

struct vtd_domain {
	struct ept pt;
	u16 did;
	bool used;
};

struct vtd_unit vtd_units[ACPI_DMAR_MAX_DRHDS];
u32 vtd_unit_count;
static struct vtd_domain domains[VTD_DOMAINS];
static u64 *root_table;	 /* 256 root entries, shared by every unit */
static bool four_level;	 /* 48-bit, 4-level tables; else 39-bit, 3-level */
static bool allow_2m, allow_1g, coherent = true;
static bool enabled;
static u32 context_pages;
static const struct acpi_info *vtd_acpi;
static bool rmrr_refused[ACPI_DMAR_MAX_RMRRS];

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void report(u32 i, const struct vtd_unit *u)
{
	u64 cap = u->cap, ecap = u->ecap;

	log_info("vtd: unit %u at 0x%lx: version %u.%u%s", i, u->base, (u->ver >> 4) & 0xf, u->ver & 0xf,
		 u->include_all ? ", all devices not named by another unit" : "");
	log_info("vtd: unit %u: SAGAW 0x%lx (%s%s), MGAW %lu, ND %lu (%lu domains), CM %s, RWBF %s, SLLPS 0x%lx (%s%s), PSI %s",
		 i, CAP_SAGAW(cap), CAP_SAGAW(cap) & SAGAW_39 ? "39-bit 3-level " : "",
		 CAP_SAGAW(cap) & SAGAW_48 ? "48-bit 4-level" : "", CAP_MGAW(cap), CAP_ND(cap),
		 1UL << (4 + 2 * CAP_ND(cap)), yes(cap & CAP_CM), yes(cap & CAP_RWBF), CAP_SLLPS(cap),
		 CAP_SLLPS(cap) & SLLPS_2M ? "2M " : "", CAP_SLLPS(cap) & SLLPS_1G ? "1G" : "", yes(cap & CAP_PSI));
	log_info("vtd: unit %u: fault records %lu at 0x%lx, IOTLB registers at 0x%lx, C %s, QI %s, IR %s, EIM %s, PT %s, SC %s",
		 i, CAP_NFR(cap), CAP_FRO(cap), ECAP_IRO(ecap), yes(ecap & ECAP_C), yes(ecap & ECAP_QI),
		 yes(ecap & ECAP_IR), yes(ecap & ECAP_EIM), yes(ecap & ECAP_PT), yes(ecap & ECAP_SC));
}

/* Reads and checks the unit the DMAR describes as drhd (vtd_check.h); false after one line
 * saying why it is refused: Plinth goes on without it. */
static bool accept_unit(u32 i, const struct acpi_drhd *drhd, const struct vtd_check_env *env, struct vtd_unit *u)
{
	struct vtd_unit_regs regs;
	char why[160];

	if (drhd->reg_base + drhd->reg_size > 4 * GIB) {
		log_warn("vtd: unit %u at 0x%lx lies above 4 GiB, outside Plinth's map: skipped", i, drhd->reg_base);
		return false;
	}
	if (vtd_check_unit_base(drhd, env, why, sizeof(why)))
		goto refused;
	u->base = drhd->reg_base;
	u->include_all = drhd->flags & ACPI_DRHD_INCLUDE_PCI_ALL;
	u->ver = vtd_read32(u, VTD_VER);
	u->cap = vtd_read64(u, VTD_CAP);
	u->ecap = vtd_read64(u, VTD_ECAP);
	regs = (struct vtd_unit_regs){ .ver = u->ver, .gsts = vtd_read32(u, VTD_GSTS), .cap = u->cap, .ecap = u->ecap,
				       .sagaw = CAP_SAGAW(u->cap), .nd = CAP_ND(u->cap), .fro = CAP_FRO(u->cap),
				       .nfr = CAP_NFR(u->cap), .iro = ECAP_IRO(u->ecap) };
	if (!vtd_check_unit_regs(&regs, drhd->reg_size, why, sizeof(why)))
		return true;
refused:
	log_warn(CONSOLE_FMT_VTD_UNIT_REFUSED, i, drhd->reg_base, why);
	return false;
}

/* RMRRs Plinth will not map (vtd_check.h), each said once. */
static void check_rmrrs(const struct acpi_info *acpi, const struct vtd_check_env *env)
{
	char why[160];
	u32 i;

	for (i = 0; i < acpi->rmrr_count && i < ACPI_DMAR_MAX_RMRRS; i++) {
		rmrr_refused[i] = vtd_check_rmrr(&acpi->rmrrs[i], env, why, sizeof(why)) != 0;
		if (rmrr_refused[i])
			log_warn(CONSOLE_FMT_VTD_RMRR_REFUSED, acpi->rmrrs[i].base, acpi->rmrrs[i].limit, why);
	}
}

bool vtd_init(const struct acpi_info *acpi, const struct boot_info *bi)
{
	const struct vtd_check_env env = { bi->mmap, bi->mmap_count, plinth_reserved.start, plinth_reserved.end };
	bool sagaw39 = true, sagaw48 = true;
	u32 i;

	vtd_acpi = acpi;
	if (!acpi->has_dmar) {
		log_info("vtd: no DMAR table: no DMA remapping hardware (or the firmware hides it)");
		return false;
	}
	check_rmrrs(acpi, &env);
	for (i = 0; i < acpi->drhd_count && i < ACPI_DMAR_MAX_DRHDS; i++) {
		struct vtd_unit *u = &vtd_units[vtd_unit_count];

		if (!accept_unit(i, &acpi->drhds[i], &env, u))
			continue;
		report(vtd_unit_count, u);
		sagaw39 &= (CAP_SAGAW(u->cap) & SAGAW_39) != 0;
		sagaw48 &= (CAP_SAGAW(u->cap) & SAGAW_48) != 0;
		coherent &= (u->ecap & ECAP_C) != 0;
		vtd_unit_count++;
	}
	if (!vtd_unit_count && acpi->drhd_count)
		log_warn(CONSOLE_FMT_VTD_NO_UNIT, acpi->drhd_count);
	if (!vtd_unit_count)
		return false;
	if (!sagaw39 && !sagaw48) {
		log_warn("vtd: the units share neither 3-level nor 4-level second-level tables: DMA remapping off");
		vtd_unit_count = 0;
		return false;
	}
	four_level = sagaw48;
	allow_2m = allow_1g = true;
	for (i = 0; i < vtd_unit_count; i++) {
		allow_2m &= (CAP_SLLPS(vtd_units[i].cap) & SLLPS_2M) != 0;
		allow_1g &= (CAP_SLLPS(vtd_units[i].cap) & SLLPS_1G) != 0;
	}
	root_table = page_alloc();
	log_info("vtd: %u unit%s; domains use %s tables with %s pages", vtd_unit_count, vtd_unit_count == 1 ? "" : "s",
		 four_level ? "4-level (48-bit)" : "3-level (39-bit)",
		 allow_1g ? "1G, 2M and 4K" : allow_2m ? "2M and 4K" : "4K");
	return true;
}

bool vtd_present(void)
{
	return vtd_unit_count != 0;
}

u32 vtd_table_pages(void)
{
	u32 pages = root_table ? 1 : 0, i;

	for (i = 0; i < VTD_DOMAINS; i++)
		if (domains[i].used)
			pages += domains[i].pt.table_pages;
	return pages + context_pages;
}

static void *table_page(void)
{
	return page_try_alloc();
}

/* Units that do not snoop their page walks (ECAP.C = 0) need the tables written back. */
static void sync_tables(void)
{
	if (!coherent)
		asm volatile("wbinvd" ::: "memory");
}

int vtd_domain_map(struct vtd_domain *d, u64 iova, hpa_t hpa, u64 size)
{
	/* A 3-level walk stops at 512 GiB. */
	if (!four_level && iova + size > (1ULL << 39))
		return -ERANGE;
	return ept_map(&d->pt, iova, hpa, size, EPT_READ | EPT_WRITE);
}

/* Gives a domain that could not be built back to the pool. */
static struct vtd_domain *domain_failed(struct vtd_domain *d, struct vm *vm, const char *what, int rc)
{
	ept_destroy(&d->pt, page_free);
	d->used = false;
	if (rc == -ENOMEM)
		log_warn(CONSOLE_FMT_VTD_POOL_EXHAUSTED, vm->name, pool_size_bytes() / KIB, what, pool_free_bytes() / KIB);
	else
		log_warn("vtd: %s: cannot build its DMA domain: mapping %s failed (error %d)", vm->name, what, rc);
	return NULL;
}

struct vtd_domain *vtd_domain_for_vm(struct vm *vm)
{
	struct vtd_domain *d = &domains[vm->id % VTD_DOMAINS];
	u64 iova_limit = four_level ? 1ULL << 48 : 1ULL << 39;
	u32 i;
	int rc;

	if (d->used)
		return d;
	rc = ept_init(&d->pt, table_page, allow_2m, allow_1g);
	if (rc)
		return domain_failed(d, vm, "its top-level table", rc);
	d->did = (u16)(vm->id + 1); /* domain id 0 is reserved when CAP.CM is set */
	d->used = true;
	for (i = 0; i < vm->mem_count; i++) {
		const struct vm_mem *m = &vm->mem[i];

		if (m->kind != VM_MEM_RAM)
			continue;
		rc = vtd_domain_map(d, m->gpa, m->hpa, m->size);
		if (rc == -ERANGE)
			log_warn("vtd: %s: RAM 0x%lx-0x%lx does not fit the domain's address width", vm->name,
				 m->gpa, m->gpa + m->size);
		else if (rc)
			return domain_failed(d, vm, "the tables of its RAM", rc);
	}
	for (i = 0; i < vtd_acpi->rmrr_count && i < ACPI_DMAR_MAX_RMRRS; i++) {
		const struct acpi_rmrr *r = &vtd_acpi->rmrrs[i];

		if (rmrr_refused[i])
			continue;
		rc = vtd_map_rmrr(&d->pt, r, vm->mem, vm->mem_count, iova_limit);
		if (rc == -ENOMEM)
			return domain_failed(d, vm, "the tables of an RMRR", rc);
		if (rc)
			log_warn("vtd: %s: RMRR 0x%lx-0x%lx not mapped (error %d): its devices may fault", vm->name,
				 r->base, r->limit, rc);
	}
	sync_tables();
	log_info("vtd: %s: domain %u maps its RAM with %lu x 1G + %lu x 2M + %lu x 4K pages (%u table pages)",
		 vm->name, d->did, d->pt.leaves_1g, d->pt.leaves_2m, d->pt.leaves_4k, d->pt.table_pages);
	return d;
}

static bool wait_clear64(const struct vtd_unit *u, u32 reg, u64 bit)
{
	u32 spins = VTD_POLL_SPINS;

	while ((vtd_read64(u, reg) & bit) && --spins)
		__builtin_ia32_pause();
	return spins != 0;
}

/* GCMD takes the persistent enables and one command at a time (VT-d 11.4.4.1). */
static bool command(const struct vtd_unit *u, u32 cmd, u32 status, bool until_clear)
{
	u32 keep = vtd_read32(u, VTD_GSTS) & (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);

	vtd_write32(u, VTD_GCMD, keep | cmd);
	return vtd_wait_status(u, status, !until_clear);
}

static void invalidate(struct vtd_unit *u)
{
	u32 iotlb = (u32)ECAP_IRO(u->ecap) + 8;

	/* With queued invalidation on, the registers must not be used (VT-d 6.5.2). */
	if (u->qi) {
		if (!vtd_qi_invalidate_all(u))
			log_warn("vtd: unit at 0x%lx: queued invalidation did not complete", u->base);
		if ((u->cap & CAP_RWBF) && !command(u, GCMD_WBF, GSTS_WBFS, true))
			log_warn("vtd: unit at 0x%lx: write-buffer flush did not complete", u->base);
		return;
	}
	vtd_write64(u, VTD_CCMD, CCMD_ICC | CCMD_GLOBAL);
	if (!wait_clear64(u, VTD_CCMD, CCMD_ICC))
		log_warn("vtd: unit at 0x%lx: context-cache invalidation did not complete", u->base);
	vtd_write64(u, iotlb, IOTLB_IVT | IOTLB_GLOBAL | IOTLB_DR | IOTLB_DW);
	if (!wait_clear64(u, iotlb, IOTLB_IVT))
		log_warn("vtd: unit at 0x%lx: IOTLB invalidation did not complete", u->base);
	if ((u->cap & CAP_RWBF) && !command(u, GCMD_WBF, GSTS_WBFS, true))
		log_warn("vtd: unit at 0x%lx: write-buffer flush did not complete", u->base);
}

int vtd_attach(u16 sid, struct vtd_domain *d)
{
	u64 *root = &root_table[sid >> 8 << 1], *ctx, slptptr;
	u32 i;

	if (!d || !d->pt.pml4)
		return -EINVAL;
	if (!(root[0] & ROOT_PRESENT)) {
		u64 *table = page_try_alloc();

		if (!table)
			return -ENOMEM;
		root[0] = (u64)(uintptr_t)table | ROOT_PRESENT;
		context_pages++;
		root[1] = 0;
	}
	ctx = (u64 *)(uintptr_t)(root[0] & ~0xfffULL) + 2 * (sid & 0xff);
	/* A 3-level walk starts at what is the PDPT of the 4-level tables. */
	slptptr = four_level ? (u64)(uintptr_t)d->pt.pml4 : (d->pt.pml4[0] & EPT_ADDR_MASK);
	if (!slptptr)
		return -EINVAL;
	ctx[1] = (four_level ? CTX_AW_48 : CTX_AW_39) | ((u64)d->did << 8);
	ctx[0] = slptptr | CTX_TT_UNTRANSLATED | CTX_PRESENT;
	sync_tables();
	if (enabled)
		for (i = 0; i < vtd_unit_count; i++)
			invalidate(&vtd_units[i]);
	return 0;
}

int vtd_enable(void)
{
	u32 i;

	for (i = 0; i < vtd_unit_count; i++) {
		struct vtd_unit *u = &vtd_units[i];

		if (vtd_read32(u, VTD_GSTS) & GSTS_TES) {
			invalidate(u); /* already on (a second call): just make new entries visible */
			continue;
		}
		vtd_write64(u, VTD_RTADDR, (u64)(uintptr_t)root_table);
		if (!command(u, GCMD_SRTP, GSTS_RTPS, false)) {
			log_warn("vtd: unit %u: the root table pointer was not latched", i);
			return -EBUSY;
		}
		/* Queued invalidation where the unit has it (units that also remap interrupts
		 * accept only that); registers otherwise, or when the boot option
		 * vtd_register_invalidation asks (the tests take both ways). */
		if (!u->qi && (u->ecap & ECAP_QI) && !boot_options.vtd_register_invalidation && !vtd_qi_enable(u))
			return -EBUSY;
		invalidate(u);
		if (!command(u, GCMD_TE, GSTS_TES, false)) {
			log_warn("vtd: unit %u: translation did not turn on", i);
			return -EBUSY;
		}
		log_info("vtd: unit %u: DMA remapping enabled (%s invalidation)", i, u->qi ? "queued" : "register-based");
	}
	enabled = vtd_unit_count != 0;
	return 0;
}
