/* VMs from a configuration (core/partition.c): the blob in module 0 checked against this
 * machine, then each VM built on its own CPUs and RAM; one that cannot be built stays down
 * alone. Restart reloads a VM's kernel from the module Plinth kept. */
#ifndef PLINTH_PARTITION_H
#define PLINTH_PARTITION_H

#include <plinth/boot_info.h>
#include <plinth/vm.h>

/* The boot information the VMs were built from (their modules stay where they are). */
extern struct boot_info *partition_boot;

/* Whether module 0 is a configuration blob (good or bad: it has the magic). */
bool partition_configured(const struct boot_info *bi);
/* Checks the blob and builds its VMs; how many are ready to launch (0 after one line saying
 * why when the blob is refused: then no VM starts). */
u32 partition_create(struct boot_info *bi, u32 ncpus);
/* The VM named name, or NULL. */
struct vm *partition_by_name(const char *name);
/* Reloads a stopped VM's kernel and marks it ready to start again: 0, or an error after one
 * line saying why. The caller (core/launch.c) starts its CPUs. */
int partition_reload(struct vm *vm);
/* Restarts a stopped VM (the monitor's `restart`, or the guest's own reset request from one of
 * its vCPUs): waits until its other vCPUs are out of guest mode, reloads it and starts its
 * CPUs; when the calling CPU is one of them, runs its vCPU and does not return. Otherwise 0,
 * or an error after one line: -EBUSY when a restart of it is already under way, -EAGAIN when
 * a vCPU would not leave guest mode. Safe while other VMs run. */
int partition_restart(struct vm *vm);

#endif
