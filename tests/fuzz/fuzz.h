/*
 * What every libFuzzer harness here shares (tests/fuzz/README.md): the entry point's
 * prototype, and FUZZ_ASSERT for the parser's promises beyond memory safety (ASan and UBSan
 * catch those): a broken promise aborts, which libFuzzer records as a crash with its input.
 */
#ifndef PLINTH_FUZZ_H
#define PLINTH_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* A copy of the input in a buffer of exactly its size (ASan sees any read past it). */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	memcpy(p, data, size);
	return p;
}

#endif
