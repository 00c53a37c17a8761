/* Plinth's boot options, parsed once from the command line (core/options.c) into
 * boot_options; every part of Plinth reads them there. */
#ifndef PLINTH_OPTIONS_H
#define PLINTH_OPTIONS_H

#include <plinth/types.h>

#define OPTIONS_FAULT_LEN 8

struct boot_options {
	/* console=com1..com4|ttyS0..ttyS3|0xPORT[,BAUD]; com1,115200 when absent or invalid */
	u16 console_port;
	u32 console_baud;
	bool console_invalid; /* the option was given but not understood: warn once it prints */
	bool quiet;	      /* quiet: ordinary log lines are dropped */
	/* fault=KIND: raise that exception on purpose (the arch knows the kinds) */
	bool fault_given;
	char fault[OPTIONS_FAULT_LEN];
	/* fault_all_cpus: with fault=, every CPU raises it at the same moment once all are up */
	bool fault_all_cpus;
	bool debug_hypercalls;		 /* allow the hypercalls that break a VM on purpose */
	/* debug_pool_left=KIB: before VMs are built, all but KIB of the page pool is set aside */
	bool pool_left_given;
	u64 pool_left_kib;
	bool iommu_optional;		 /* iommu=optional: run guests even without DMA isolation */
	bool iommu_selftest;		 /* run the DMA self-test instead of guests */
	bool vtd_register_invalidation; /* never use VT-d's invalidation queue */
};

extern struct boot_options boot_options;

/* Fills boot_options from cmdline (NULL: the defaults). Prints nothing: it runs before the
 * console exists, which is itself configured from the result. */
void options_parse(const char *cmdline);

#endif
