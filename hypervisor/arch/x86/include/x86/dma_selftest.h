/* The platform's DMA self-test with QEMU's edu device (dma_selftest.c): proves that VT-d lets a
 * device reach its VM's RAM and blocks it from Plinth's range. */
#ifndef X86_DMA_SELFTEST_H
#define X86_DMA_SELFTEST_H

#include <plinth/vm.h>

/* Attaches edu to vm's DMA domain, turns translation on, then DMAs into the VM's RAM (must
 * arrive) and into Plinth's page pool (must fault and leave the page unchanged). One line per
 * step and a "N passed, N failed" summary. 0 when everything passed; -ENODEV without an edu
 * device or without DMA remapping hardware, -EFAULT when a check failed. */
int dma_selftest(struct vm *vm);

#endif
