/* Plinth's console monitor (core/monitor.c): once no VM needs the boot CPU, it answers simple
 * commands on the serial console, so a stopped VM leaves a hypervisor that still responds. */
#ifndef PLINTH_MONITOR_H
#define PLINTH_MONITOR_H

#include <plinth/types.h>

__noreturn void monitor_run(void);

#endif
