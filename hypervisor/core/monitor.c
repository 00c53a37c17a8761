/*
 * The console monitor: when the boot CPU has no guest to run (its VM stopped), Plinth answers
 * on the serial console instead of going silent. Commands are deliberately few.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/console_input.h>
#include <plinth/memory.h>
#include <plinth/monitor.h>
#include <plinth/string.h>
#include <plinth/vm.h>

#define LINE_MAX 64
#define PROMPT "plinth> "

static void help(void)
{
	printk("commands: help, vms, stats, mem\n");
}

static void list_vms(void)
{
	u32 i;

	for (i = 0; i < vm_count; i++)
		printk("  %s: %s, %u vCPUs, %u memory ranges\n", vms[i].name, vms[i].stopped ? "stopped" : "running",
		       vms[i].vcpu_count, vms[i].mem_count);
}

static void stats(void)
{
	u32 i;

	for (i = 0; i < vm_count; i++)
		arch_vm_print_exit_stats(&vms[i]);
}

static void mem(void)
{
	printk("  reserved 0x%lx-0x%lx, page pool %lu KiB free\n", plinth_reserved.start, plinth_reserved.end,
	       pool_free_bytes() / KIB);
	printk(CONSOLE_FMT_MONITOR_MEMORY_TYPE "\n", arch_memory_type_name(plinth_reserved.start));
}

static void run(const char *line)
{
	if (!strcmp(line, "help") || !*line)
		help();
	else if (!strcmp(line, "vms"))
		list_vms();
	else if (!strcmp(line, "stats"))
		stats();
	else if (!strcmp(line, "mem"))
		mem();
	else {
		printk("unknown command '%s'; ", line);
		help();
	}
}

/* Line editing: one byte typed. */
static void feed(int c)
{
	static char line[LINE_MAX];
	static u32 len;

	if (c == '\r' || c == '\n') {
		line[len] = '\0';
		printk("\n");
		run(line);
		len = 0;
		printk(PROMPT);
	} else if ((c == 0x7f || c == '\b') && len) {
		len--;
		printk("\b \b");
	} else if (c >= ' ' && c < 0x7f && len + 1 < LINE_MAX) {
		line[len++] = (char)c;
		printk("%c", c);
	}
}

void monitor_poll(void)
{
	int c;

	while ((c = console_input_take()) >= 0)
		feed(c);
}

void monitor_run(void)
{
	log_info("monitor: Plinth is listening on this console; type 'help'");
	printk(PROMPT);
	for (;;) {
		monitor_poll();
		__builtin_ia32_pause();
	}
}
