/*
 * Checks and how they report (check.c). Each check is a void function that states its
 * expectations with check_expect*(); every failed expectation adds a reason to the check's
 * fail detail, and a check with none passes. check_run() prints exactly one line per check in
 * the formats of build/generated/plinth_abi.h (GUEST_FMT_*, defined in tools/hvabi.py).
 */
#ifndef GUEST_CHECKS_H
#define GUEST_CHECKS_H

#include <plinth/types.h>
#include "guarded.h"
#include "multiboot.h"

/* Runs one check and prints its pass or fail line. */
void check_run(const char *name, void (*fn)(void));
/* Prints a fail line for a check name nobody knows. */
void check_unknown(const char *name);
/* Prints the summary line and halts forever. */
__noreturn void checks_finish(void);
/* Fails the running check (or "startup" outside one) with why, prints the summary, halts. */
__noreturn void checks_abort(const char *why);

/* Records a failure of the running check unless ok; returns ok. */
bool check_expect(bool ok, const char *fmt, ...) __printf(2, 3);
/* Expects what to have raised exactly this exception and error code. */
bool check_expect_fault(struct fault got, int vector, u64 error_code, const char *what);
/* Expects what to have completed without an exception. */
bool check_expect_no_fault(struct fault got, const char *what);
/* Prints "guest: info ..." at once: measurements and notes that are not pass/fail. */
void check_info(const char *fmt, ...) __printf(1, 2);

/* The checks, one file each (checks_<name>.c). */
void check_cpuid(void);
/* Single-step checks (checks_cpuid.c): DR6 cleared and the guard armed before an instruction
 * run under TF with a GUARDED nop right after it; then whether its #DB came there, with BS. */
void single_step_arm(void);
void single_step_expect(const char *what, struct fault f);
void check_vmcall(void);
void check_cr4(void);
void check_msr(void);
void check_xsetbv(void);
void check_io(void);
void check_vmxon(void);
void check_ap(void);
void check_boot_info(void);
void check_bench(void);
/* Sorts the n samples in v and prints their minimum and median as a bench line (checks_bench.c). */
void bench_report(const char *name, u64 *v, u32 n);
void check_bench_irq(void); /* checks_bench_irq.c: a partition owning the e1000 */
/* The hostile guest's (checks_hostile_*.c). */
void check_smm(void);
void check_apic_base(void);
void check_mtrr(void);
void check_mtrr_ept(void);
void check_invd(void);
void check_osxsave(void);
void check_rf(void);
void check_cr0(void);
void check_cr_legacy(void);
void check_cpuid_wrap(void);
void check_task_switch(void);
void check_io_wrap(void);
void check_io_string(void);
void check_console_forge(void);
void check_apic_forms(void);
void check_exc_mode(void);
void check_ipi_logical(void);
void check_ipi_running(void);
void check_nmi_storm(void);
void check_x2apic_nmi(void);
void check_stop_nmi_blocked(void);
void check_stop_x2apic(void);
void check_stop_bsp_nmi(void);
void check_console_reprogram(void);
void check_apic_event_delivery(void);
void check_plinth_write(void);
void check_triple_fault(void);
void check_corrupt_state(void);
void check_poweroff(void);
/* A guest in a partition (checks_partition.c). */
void check_partition(void);
void check_echo(void);
void check_wait(void);
void check_apic_cross_page(void);
void check_ioapic(void); /* checks_ioapic.c */
void check_ioapic_hostile(void);
void check_isolation(void);
void check_write_past_ram(void);
void check_legacy_ports(void);
void check_reset_paths(void);
void check_timing(void);
/* A line from COM1, polled; NUL-terminated, without its end of line (checks_partition.c). */
void guest_read_line(char *buf, u32 max);
/* PCI functions of a partition (checks_pci.c). */
void check_pci(void);
void check_pci_intact(void);
void check_pci_hostile(void);
void check_pci_master_stop(void);

/* AP side of check_ap (checks_ap.c), and its INIT-SIPI-SIPI to all but this CPU (false with
 * a failure recorded); the next free AP stack slot (entry.S). */
void ap_main(u32 index);
bool start_aps(u64 apic);
extern u32 ap_next_index;
void ap_record_exception(u64 vector, u64 error_code, u64 rip);
/* Whether the AP trampoline page is usable RAM per the boot memory map (main.c):
 * 1 yes, 0 no, -1 no map. Recorded at start, before anything overwrites the map. */
extern int ap_trampoline_in_ram;
/* The multiboot information the loader handed over (main.c). */
extern const struct mb1_info *boot_mbi;
/* The command line, copied at start (main.c). */
extern const char *const guest_cmdline;
/* Under Plinth the guest's RAM at Plinth's own addresses lives in a host chunk elsewhere,
 * which the memory map shows reserved: the first reserved entry above 1 MiB whose start and
 * end are 2 MiB aligned (firmware ranges are not). Its start, or 0 (checks_bootinfo.c). */
u64 plinth_backing(void);

#endif
