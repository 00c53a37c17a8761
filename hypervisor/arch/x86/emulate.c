/*
 * Decoding the MOV instructions guests use to write and read device registers (SDM Vol. 2,
 * MOV: 88/89 /r and C6/C7 /0, 8A/8B /r; MOVZX), after fetching them through the guest's page
 * tables (SDM Vol. 3A, 4.3-4.5). The EPT violation already gives the address; decoding yields
 * the value (or the register to load) and the length to skip. Anything else is refused, and
 * the caller stops the VM with a clear reason.
 */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/emulate.h>
#include <x86/processor.h>
#include <x86/vmx.h>

#define MAX_INSN 15
#define FETCH_PAGE 4096u /* the smallest page a walk can end in */

static int read_guest(struct vcpu *v, gpa_t gpa, void *out, u32 size)
{
	const void *p = vm_mem_ptr(v->vm, gpa, size);

	if (!p)
		return -EFAULT;
	memcpy(out, p, size);
	return 0;
}

int emulate_linear_to_phys(struct vcpu *v, u64 lin, gpa_t *gpa)
{
	return emulate_linear_to_phys_access(v, lin, false, false, gpa);
}

/* Which accesses a walk allows: every level must grant them (SDM Vol. 3A, 4.6). */
static bool grants(u64 entry, bool write, bool user)
{
	return (!write || (entry & X86_PTE_RW)) && (!user || (entry & X86_PTE_US));
}

int emulate_linear_to_phys_access(struct vcpu *v, u64 lin, bool write, bool user, gpa_t *gpa)
{
	u64 cr0 = vmcs_read(VMCS_GUEST_CR0), cr4 = vmcs_read(VMCS_GUEST_CR4), efer = vmcs_read(VMCS_GUEST_IA32_EFER);
	u64 table = vmcs_read(VMCS_GUEST_CR3), e = 0;
	int level, top, shift;

	if (!(cr0 & X86_CR0_PG)) {
		*gpa = lin & 0xffffffffULL;
		return 0;
	}
	if (!(cr4 & X86_CR4_PAE)) {
		/* 32-bit paging: two levels of 4-byte entries, 4 MiB pages with CR4.PSE. */
		u32 e32;

		table &= 0xfffff000ULL;
		for (level = 1; level >= 0; level--) {
			shift = 12 + 10 * level;
			if (read_guest(v, table + ((lin >> shift) & 0x3ff) * 4, &e32, 4) || !(e32 & X86_PTE_P) ||
			    !grants(e32, write, user))
				return -EFAULT;
			if (level == 1 && (e32 & X86_PTE_PS) && (cr4 & X86_CR4_PSE)) {
				*gpa = (e32 & 0xffc00000ULL) | (lin & 0x3fffff);
				return 0;
			}
			table = e32 & 0xfffff000ULL;
		}
		*gpa = table | (lin & 0xfff);
		return 0;
	}
	/* PAE (3 levels, 32-byte-aligned CR3) or 4-level paging, 8-byte entries. */
	top = (efer & EFER_LMA) ? 3 : 2;
	table &= (efer & EFER_LMA) ? X86_PTE_ADDR_MASK : 0xffffffe0ULL;
	for (level = top; level >= 0; level--) {
		u64 index = (lin >> (12 + 9 * level)) & (level == 2 && top == 2 ? 3 : 511);

		/* PAE PDPTEs carry no access rights (SDM Vol. 3A, 4.4.1). */
		if (read_guest(v, table + index * 8, &e, 8) || !(e & X86_PTE_P) ||
		    (!(level == 2 && top == 2) && !grants(e, write, user)))
			return -EFAULT;
		if (level && level < 3 && (e & X86_PTE_PS) && !(level == 2 && top == 2)) {
			u64 span = 1ULL << (12 + 9 * level);

			*gpa = (e & X86_PTE_ADDR_MASK & ~(span - 1)) | (lin & (span - 1));
			return 0;
		}
		table = e & X86_PTE_ADDR_MASK;
	}
	*gpa = table | (lin & 0xfff);
	return 0;
}

/* Up to MAX_INSN bytes at the guest's RIP (an EPT violation gives no instruction length): one
 * walk of its page tables for each page they lie on, the first and, when the bytes cross a page
 * boundary, the next. A walk per byte made every emulated store thousands of instructions (a
 * partition's EOI: 5800). The bytes that could be fetched, or -EFAULT for none. */
static int fetch(struct vcpu *v, u8 *buf)
{
	u64 lin = vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	u32 n = 0;

	while (n < MAX_INSN) {
		u32 chunk = MIN(MAX_INSN - n, FETCH_PAGE - (u32)((lin + n) & (FETCH_PAGE - 1)));
		gpa_t gpa;

		if (emulate_linear_to_phys(v, lin + n, &gpa) || read_guest(v, gpa, &buf[n], chunk))
			return n ? (int)n : -EFAULT;
		n += chunk;
	}
	return MAX_INSN;
}

/* Bytes of ModRM, SIB and displacement (SDM Vol. 2, 2.1.5): 16-bit addressing has no SIB and
 * 16-bit displacements. 0 for a register operand (no store) or too few bytes. */
static u32 modrm_length(const u8 *p, u32 avail, u32 addr_size)
{
	u8 modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
	u32 len = 1;

	if (mod == 3)
		return 0;
	if (addr_size == 2) {
		if (mod == 0 && rm == 6)
			len += 2;
		else if (mod == 1)
			len += 1;
		else if (mod == 2)
			len += 2;
		return len <= avail ? len : 0;
	}
	if (rm == 4) {
		if (avail < 2)
			return 0;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4; /* disp32, or RIP-relative in 64-bit mode */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len <= avail ? len : 0;
}

static bool is_segment_prefix(u8 b)
{
	return b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65;
}

/* The register operand of a ModRM store, as the store's size reads it. */
static u64 reg_value(struct vcpu *v, u32 reg, u32 size, bool rex)
{
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (size == 1 && !rex && reg >= 4)
		return vcpu_gpr(v, reg - 4) >> 8;
	return vcpu_gpr(v, reg);
}

static u64 immediate(const u8 *p, u32 bytes)
{
	u64 v = 0;
	u32 k;

	for (k = 0; k < bytes; k++)
		v |= (u64)p[k] << (8 * k);
	return v;
}

/* An instruction's bytes and what its prefixes say (SDM Vol. 2, 2.1-2.2). */
struct insn {
	u8 b[MAX_INSN];
	u32 n, i; /* bytes fetched; the opcode's index */
	u8 rex;
	bool rep;
	u32 asize, osize; /* address and operand size in bytes */
};

static int decode_prefixes(struct vcpu *v, struct insn *d)
{
	u64 ar = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);
	bool long_mode = (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & AR_L);
	bool code32 = long_mode || (ar & AR_DB), opsize = false, addrsize = false;
	int n = fetch(v, d->b);
	u32 i = 0;

	if (n < 0)
		return n;
	d->n = (u32)n;
	d->rep = false;
	d->rex = 0;
	for (; i < d->n; i++) {
		if (d->b[i] == 0x66)
			opsize = true;
		else if (d->b[i] == 0x67)
			addrsize = true;
		else if (d->b[i] == 0xf3 || d->b[i] == 0xf2)
			d->rep = true;
		else if (!is_segment_prefix(d->b[i]) && d->b[i] != 0xf0)
			break; /* segment and LOCK prefixes do not change the value */
	}
	if (long_mode && i < d->n && (d->b[i] & 0xf0) == 0x40)
		d->rex = d->b[i++];
	if (i >= d->n)
		return -EINVAL;
	/* Default sizes by the code segment, flipped by 66 and 67, widened by REX.W (SDM Vol. 1,
	 * 3.6 and Vol. 2, 2.2.1.2). */
	d->asize = long_mode ? (addrsize ? 4 : 8) : code32 != addrsize ? 4 : 2;
	d->osize = (d->rex & 8) ? 8 : code32 != opsize ? 4 : 2;
	d->i = i;
	return 0;
}

int emulate_decode_store(struct vcpu *v, struct store *st)
{
	struct insn d;
	u8 *insn = d.b, rex, op;
	u32 i, n, mlen = 0, asize, osize, imm = 0;
	bool rep;
	int rc = decode_prefixes(v, &d);

	if (rc)
		return rc;
	i = d.i;
	n = d.n;
	rex = d.rex;
	rep = d.rep;
	asize = d.asize;
	osize = d.osize;
	op = insn[i++];
	*st = (struct store){ .kind = STORE_MOV, .addr_size = asize };
	switch (op) {
	case 0x88: case 0x89: case 0x86: case 0x87:
		st->size = (op & 1) ? osize : 1;
		mlen = modrm_length(&insn[i], n - i, asize);
		if (!mlen)
			return -EINVAL;
		st->reg = ((insn[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
		st->value = reg_value(v, st->reg, st->size, rex);
		st->kind = op >= 0x88 ? STORE_MOV : STORE_XCHG;
		break;
	case 0xc6: case 0xc7:
		st->size = (op & 1) ? osize : 1;
		mlen = modrm_length(&insn[i], n - i, asize);
		if (!mlen || ((insn[i] >> 3) & 7))
			return -EINVAL;
		imm = st->size == 8 ? 4 : st->size; /* imm32 sign-extended to 64 bits */
		if (i + mlen + imm > n)
			return -EINVAL;
		st->value = immediate(&insn[i + mlen], imm);
		if (st->size == 8 && (st->value & BIT(31)))
			st->value |= 0xffffffff00000000ULL;
		break;
	case 0xa2: case 0xa3:
		/* The memory offset is as wide as the address size (SDM Vol. 2, MOV: moffs). */
		st->size = (op & 1) ? osize : 1;
		st->value = reg_value(v, 0, st->size, true);
		imm = asize;
		if (i + imm > n)
			return -EINVAL;
		break;
	case 0xaa: case 0xab:
		if (rep)
			return -EINVAL; /* REP STOS to a device register: not emulated */
		st->size = (op & 1) ? osize : 1;
		st->value = reg_value(v, 0, st->size, true);
		st->kind = STORE_STOS;
		break;
	case 0x0f:
		if (i >= n || insn[i] != 0xc3)
			return -EINVAL;
		i++;
		st->size = (rex & 8) ? 8 : 4; /* MOVNTI: 32 or 64 bits, never 16 */
		mlen = modrm_length(&insn[i], n - i, asize);
		if (!mlen)
			return -EINVAL;
		st->reg = ((insn[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
		st->value = vcpu_gpr(v, st->reg);
		break;
	default:
		return -EINVAL;
	}
	st->length = i + mlen + imm;
	if (st->size < 8)
		st->value &= (1ULL << (8 * st->size)) - 1;
	return 0;
}

/* A register written with a value of size bytes: 32-bit writes zero-extend, narrower ones keep
 * the upper bits (SDM Vol. 1, 3.4.1.1). */
static void set_reg(struct vcpu *v, u32 reg, u64 value, u32 size)
{
	u64 keep = size >= 4 ? 0 : ~((1ULL << (8 * size)) - 1);

	vcpu_set_gpr(v, reg, (vcpu_gpr(v, reg) & keep) | (value & ~keep & (size == 8 ? ~0ULL : 0xffffffffULL)));
}

void emulate_complete_store(struct vcpu *v, const struct store *st, u64 old)
{
	if (st->kind == STORE_XCHG) {
		set_reg(v, st->reg, old, st->size);
	} else if (st->kind == STORE_STOS) {
		u64 rdi = vcpu_gpr(v, GPR_RDI);
		u64 step = vmcs_read(VMCS_GUEST_RFLAGS) & X86_RFLAGS_DF ? -(u64)st->size : st->size;

		set_reg(v, GPR_RDI, rdi + step, st->addr_size);
	}
	vcpu_skip_instruction_len(st->length);
}

int emulate_decode_load(struct vcpu *v, struct load *ld)
{
	struct insn d;
	u32 i, mlen = 0, imm = 0;
	u8 op;
	int rc = decode_prefixes(v, &d);

	if (rc)
		return rc;
	i = d.i;
	op = d.b[i++];
	*ld = (struct load){ 0 };
	switch (op) {
	case 0x8a: case 0x8b:
		ld->size = (op & 1) ? d.osize : 1;
		ld->dest_size = ld->size;
		mlen = modrm_length(&d.b[i], d.n - i, d.asize);
		if (!mlen)
			return -EINVAL;
		ld->reg = ((d.b[i] >> 3) & 7) | ((d.rex & 4) ? 8 : 0);
		break;
	case 0xa0: case 0xa1:
		ld->size = (op & 1) ? d.osize : 1;
		ld->dest_size = ld->size;
		imm = d.asize; /* the memory offset */
		if (i + imm > d.n)
			return -EINVAL;
		break;
	case 0x0f:
		/* MOVZX r, r/m8 (0F B6) and r/m16 (0F B7). */
		if (i >= d.n || (d.b[i] != 0xb6 && d.b[i] != 0xb7))
			return -EINVAL;
		ld->size = d.b[i++] == 0xb6 ? 1 : 2;
		ld->dest_size = d.osize;
		mlen = modrm_length(&d.b[i], d.n - i, d.asize);
		if (!mlen)
			return -EINVAL;
		ld->reg = ((d.b[i] >> 3) & 7) | ((d.rex & 4) ? 8 : 0);
		break;
	default:
		return -EINVAL;
	}
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (ld->dest_size == 1 && !d.rex && ld->reg >= 4) {
		ld->reg -= 4;
		ld->high_byte = true;
	}
	ld->length = i + mlen + imm;
	return 0;
}

void emulate_complete_load(struct vcpu *v, const struct load *ld, u64 value)
{
	if (ld->size < 8)
		value &= (1ULL << (8 * ld->size)) - 1;
	if (ld->high_byte)
		vcpu_set_gpr(v, ld->reg, (vcpu_gpr(v, ld->reg) & ~0xff00ULL) | value << 8);
	else
		set_reg(v, ld->reg, value, ld->dest_size);
	vcpu_skip_instruction_len(ld->length);
}
