/* Basic types shared by every part of Plinth (and by the host-compiled unit tests). */
#ifndef PLINTH_TYPES_H
#define PLINTH_TYPES_H

/* Assembly sees BIT() only (x86/processor.h's constants use it): no casts there. */
#ifdef __ASSEMBLY__
#define BIT(n) (1 << (n))
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef u64 hpa_t; /* host-physical address */
typedef u64 gpa_t; /* guest-physical address */

#define BIT(n) ((u64)1 << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (u64)(a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KIB ((u64)1 << 10)
#define MIB ((u64)1 << 20)
#define GIB ((u64)1 << 30)

#define __noreturn __attribute__((noreturn))
#define __noinline __attribute__((noinline))
#define __packed __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __printf(f, a) __attribute__((format(printf, f, a)))
#endif

#endif
