/* Checks of a struct pmm's free set for the allocator tests. */
#ifndef PLINTH_TEST_PMM_CHECK_H
#define PLINTH_TEST_PMM_CHECK_H

#include <plinth/pmm.h>

#include "test.h"

#define PG PMM_PAGE_SIZE

/*
 * The free set is exactly the given [start, end) pairs, pmm_free_bytes is their total, and
 * pmm_is_free agrees at each range's edges.
 */
static inline bool check_ranges(const struct pmm *pmm, const char *file, int line,
				const u64 *want, size_t n)
{
	char got[400];
	size_t o = 0, i;
	u64 total = 0;
	bool same = pmm->count == n;

	for (i = 0; i < pmm->count && o < sizeof(got) - 48; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, " [0x%llx, 0x%llx)",
				      (unsigned long long)pmm->free[i].start,
				      (unsigned long long)pmm->free[i].end);
	if (!pmm->count)
		snprintf(got, sizeof(got), " (none)");
	for (i = 0; same && i < n; i++)
		same = pmm->free[i].start == want[2 * i] && pmm->free[i].end == want[2 * i + 1];
	if (!test_check(same, file, line, "free ranges:%s, expected %zu range(s)", got, n))
		return false;
	for (i = 0; i < n; i++) {
		total += want[2 * i + 1] - want[2 * i];
		if (!test_check(pmm_is_free(pmm, want[2 * i]) &&
					pmm_is_free(pmm, want[2 * i + 1] - 1) &&
					!pmm_is_free(pmm, want[2 * i + 1]) &&
					(!want[2 * i] || !pmm_is_free(pmm, want[2 * i] - 1)),
				file, line, "pmm_is_free disagrees at the edges of [0x%llx, 0x%llx)",
				(unsigned long long)want[2 * i], (unsigned long long)want[2 * i + 1]))
			return false;
	}
	return test_eq_u64(pmm_free_bytes(pmm), total, "pmm_free_bytes", "sum of ranges", file,
			   line);
}

#define CHECK_RANGES(pmm, ...)                                                          \
	check_ranges(pmm, __FILE__, __LINE__, (const u64[]){ __VA_ARGS__ },             \
		     sizeof((const u64[]){ __VA_ARGS__ }) / sizeof(u64) / 2)
#define CHECK_EMPTY(pmm)                              \
	do {                                          \
		CHECK_EQ_U64((pmm)->count, 0);        \
		CHECK_EQ_U64(pmm_free_bytes(pmm), 0); \
	} while (0)

#endif
