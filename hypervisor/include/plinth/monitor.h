/* Plinth's console monitor (core/monitor.c): once no VM needs the boot CPU, it answers simple
 * commands on the serial console, so a stopped VM leaves a hypervisor that still responds. */
#ifndef PLINTH_MONITOR_H
#define PLINTH_MONITOR_H

#include <plinth/types.h>

__noreturn void monitor_run(void);
/* Reads what was typed for the monitor and runs the commands it completes: the monitor loop's
 * step, and what the boot CPU does from its vCPU's exits when it runs a partition. */
void monitor_poll(void);

#endif
