/*
 * The console monitor: when the boot CPU has no guest to run (its VM stopped), Plinth answers
 * on the serial console instead of going silent. Commands are deliberately few.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/console_input.h>
#include <plinth/memory.h>
#include <plinth/launch.h>
#include <plinth/monitor.h>
#include <plinth/partition.h>
#include <plinth/string.h>
#include <plinth/vm.h>

#define LINE_MAX 64
#define PROMPT "plinth> "

static void help(void)
{
	/* In partition mode the VMs' life-cycle commands follow the common ones. */
	printk(CONSOLE_MONITOR_HELP "%s\n", vm_count && vms[0].partition ? ", stop NAME, restart NAME" : "");
}

static const char *state(const struct vm *vm)
{
	return vm->partition && !vm->built ? "not built" : vm->stopped ? "stopped" : "running";
}

static void list_vms(void)
{
	u64 exits, dropped;
	u32 i;

	for (i = 0; i < vm_count; i++) {
		const struct vm *vm = &vms[i];

		exits = arch_vm_exits(vm, &dropped);
		printk(CONSOLE_FMT_MONITOR_VM "\n", vm->name, state(vm), vm->vcpu_count, vm->cpu_mask, vm->mem_count,
		       vm->mem_count ? vm->mem[0].hpa : 0, exits, dropped);
	}
}

/* The partition a command names, or NULL after saying why. */
static struct vm *named(const char *cmd, const char *name)
{
	struct vm *vm = partition_by_name(name);

	if (!vm)
		printk("%s: no VM of the configuration is called '%s' (see vms)\n", cmd, name);
	else if (!vm->built)
		printk("%s: %s was never built (its reason is in the boot log)\n", cmd, name), vm = NULL;
	return vm;
}

static void stop(const char *name)
{
	struct vm *vm = named("stop", name);

	if (vm && !vm_stop(vm, "stop from the monitor"))
		printk("stop: %s is already stopped\n", name);
}

static void restart(const char *name)
{
	struct vm *vm = named("restart", name);

	if (!vm)
		return;
	vm_stop(vm, "restart from the monitor");
	partition_restart(vm); /* says why when it cannot */
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
	else if (!strncmp(line, "stop ", 5))
		stop(line + 5);
	else if (!strncmp(line, "restart ", 8))
		restart(line + 8);
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
		len = 0; /* first: `restart` of the boot CPU's own VM does not come back here */
		printk("\n");
		run(line);
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
		arch_console_idle_poll();
		arch_cpu_relax();
	}
}
