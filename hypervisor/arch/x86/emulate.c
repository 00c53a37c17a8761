/*
 * Decoding the MOV instructions guests use to write device registers (SDM Vol. 2, MOV:
 * 88/89 /r and C6/C7 /0), after fetching them through the guest's page tables (SDM Vol. 3A,
 * 4.3-4.5). The EPT violation already gives the address; decoding yields the value and the
 * length to skip. Anything else is refused, and the caller stops the VM with a clear reason.
 */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/emulate.h>
#include <x86/processor.h>
#include <x86/vmx.h>

#define MAX_INSN 15
#define AR_L BIT(13)  /* CS.L: 64-bit code (VMCS access rights, SDM 25.4.1) */
#define AR_DB BIT(14) /* CS.D: 32-bit default operand size */

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
			if (read_guest(v, table + ((lin >> shift) & 0x3ff) * 4, &e32, 4) || !(e32 & X86_PTE_P))
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

		if (read_guest(v, table + index * 8, &e, 8) || !(e & X86_PTE_P))
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

static int fetch(struct vcpu *v, u8 *buf)
{
	u64 lin = vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	u32 i;

	/* Byte by byte: the instruction may cross a page boundary. */
	for (i = 0; i < MAX_INSN; i++) {
		gpa_t gpa;

		if (emulate_linear_to_phys(v, lin + i, &gpa) || read_guest(v, gpa, &buf[i], 1))
			return i ? (int)i : -EFAULT;
	}
	return MAX_INSN;
}

/* Bytes of ModRM, SIB and displacement for 32/64-bit addressing (SDM Vol. 2, 2.1.5). */
static u32 modrm_length(const u8 *p, u32 avail)
{
	u8 modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
	u32 len = 1;

	if (mod == 3)
		return 0; /* a register operand: not a store to memory */
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

int emulate_decode_store(struct vcpu *v, struct store *st)
{
	u8 insn[MAX_INSN];
	u64 ar = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);
	bool long_mode = (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & AR_L);
	bool opsize = false, addr16;
	u8 rex = 0, op;
	int n = fetch(v, insn);
	u32 i = 0, mlen;

	if (n < 0)
		return n;
	for (; i < (u32)n; i++) {
		if (insn[i] == 0x66)
			opsize = true;
		else if (insn[i] == 0x67 || insn[i] == 0x2e || insn[i] == 0x3e || insn[i] == 0x26 ||
			 insn[i] == 0x36 || insn[i] == 0x64 || insn[i] == 0x65)
			continue; /* address-size and segment prefixes do not change the value */
		else
			break;
	}
	if (long_mode && i < (u32)n && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (i >= (u32)n)
		return -EINVAL;
	/* 16-bit addressing has another ModRM layout; guests do not write devices that way. */
	addr16 = !long_mode && !(ar & AR_DB);
	if (addr16)
		return -EINVAL;
	op = insn[i++];
	if (op != 0x88 && op != 0x89 && op != 0xc6 && op != 0xc7)
		return -EINVAL;
	mlen = modrm_length(&insn[i], (u32)n - i);
	if (!mlen || ((op == 0xc6 || op == 0xc7) && ((insn[i] >> 3) & 7)))
		return -EINVAL;
	st->size = (op & 1) ? ((rex & 8) ? 8 : opsize ? 2 : 4) : 1;
	if (op == 0x88 || op == 0x89) {
		u32 reg = ((insn[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);

		/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
		st->value = (op == 0x88 && !rex && reg >= 4) ? vcpu_gpr(v, reg - 4) >> 8 : vcpu_gpr(v, reg);
		st->length = i + mlen;
	} else {
		u32 imm = st->size == 1 ? 1 : st->size == 2 ? 2 : 4, k;

		if (i + mlen + imm > (u32)n)
			return -EINVAL;
		st->value = 0;
		for (k = 0; k < imm; k++)
			st->value |= (u64)insn[i + mlen + k] << (8 * k);
		if (st->size == 8 && (st->value & BIT(31)))
			st->value |= 0xffffffff00000000ULL; /* imm32 sign-extended to 64 bits */
		st->length = i + mlen + imm;
	}
	if (st->size < 8)
		st->value &= (1ULL << (8 * st->size)) - 1;
	return 0;
}
