/*
 * What Plinth accepts from a DMAR (vtd_check.c): remapping units whose registers sit where a
 * device can be and read like a VT-d unit's, and reserved memory regions (RMRRs) that are
 * reserved, modest and clear of Plinth. Each refusal is one sentence for the console; the
 * firmware's table is not trusted to describe hardware that is really there. Pure apart from
 * the EPT builder's allocator: unit-tested on the host.
 */
#ifndef X86_VTD_CHECK_H
#define X86_VTD_CHECK_H

#include <plinth/multiboot2.h>
#include <plinth/types.h>
#include <plinth/vm_mem.h>
#include <x86/acpi.h>
#include <x86/ept.h>

/* An RMRR larger than this is taken for a corrupt table: real ones cover legacy USB buffers
 * and integrated graphics' stolen memory, which stay well below it. */
#define VTD_RMRR_MAX_SIZE GIB
/* Highest major version of the VT-d specification a unit may report (4 is current). */
#define VTD_VERSION_MAJOR_MAX 7
#define VTD_ND_MAX 6 /* CAP.ND 7 is reserved (VT-d 11.4.2) */
#define VTD_FRCD_SIZE 16 /* one fault recording register (VT-d 11.4.14) */
#define VTD_IOTLB_REGS_SIZE 16 /* IVA and IOTLB registers (VT-d 11.4.8) */

/* The machine as the checks see it: the firmware's memory map and Plinth's own range. */
struct vtd_check_env {
	const struct mem_range *mmap;
	u32 mmap_count;
	u64 plinth_start, plinth_end;
};

/* Where the unit's registers are: a page-aligned span that wraps nowhere, overlaps no memory
 * map entry other than a reserved one (RAM is not a remapping unit) and not Plinth's range.
 * 0, or -EINVAL with the reason in why. */
int vtd_check_unit_base(const struct acpi_drhd *u, const struct vtd_check_env *env, char *why, size_t n);

/* A unit's identification registers as read, with the CAP and ECAP fields the checks need
 * decoded by the caller (vtd_caps.h is generated, and host builds have no generated headers). */
struct vtd_unit_regs {
	u32 ver, gsts;
	u64 cap, ecap;
	u64 sagaw, nd;	      /* CAP.SAGAW, CAP.ND */
	u64 fro, nfr;	      /* fault recording registers: byte offset, count */
	u64 iro;	      /* IOTLB registers: byte offset */
};

/* What the unit's registers read: VER (reserved bits clear, major 1..VTD_VERSION_MAJOR_MAX),
 * CAP and ECAP neither all zeros nor all ones, SAGAW and ND defined, the fault recording and
 * IOTLB registers inside the unit's span of reg_size bytes, GSTS without reserved bits. An
 * address where nothing answers reads all ones (or zeros). 0, or -EINVAL with the reason in
 * why. */
int vtd_check_unit_regs(const struct vtd_unit_regs *r, u64 reg_size, char *why, size_t n);

/* An RMRR Plinth will map: at most VTD_RMRR_MAX_SIZE, clear of Plinth's range, and reserved in
 * the memory map (VT-d 8.4: the firmware reports RMRR memory as reserved); a range the map
 * does not list is accepted. 0, or -EINVAL with the reason in why. */
int vtd_check_rmrr(const struct acpi_rmrr *r, const struct vtd_check_env *env, char *why, size_t n);

/* Maps an accepted RMRR identity (read/write) into a domain's tables, except where the VM's
 * RAM ranges (ram, count of them) already are, with the largest pages alignment allows;
 * -ERANGE when it reaches iova_limit, -ENOMEM when the allocator runs dry, else ept_map's
 * errors. */
int vtd_map_rmrr(struct ept *pt, const struct acpi_rmrr *r, const struct vm_mem *ram, u32 count, u64 iova_limit);

#endif
