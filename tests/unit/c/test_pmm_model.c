// sources: hypervisor/core/pmm.c
/*
 * A randomized cross-check of the page range allocator against the simplest possible model: one
 * bool per page. Thousands of adds, removes, allocations and frees (a fixed seed, so a failure
 * reproduces) over a small address space, and after every step the free set, pmm_free_bytes
 * and the range table's invariants (sorted, page aligned, non-empty, neither overlapping nor
 * adjacent) must match the model exactly.
 *
 * The model stays clear of the degenerate arguments test_pmm_limits.c covers (empty or reversed
 * ranges, sizes near 2^64, unaligned free sizes), so this test speaks for ordinary use.
 */
#include <plinth/errno.h>

#include "pmm_check.h"
#include "test.h"

#define NPAGES 96
#define BASE 0x40000000ULL /* 1 GiB aligned, so every alignment tried is absolute */
#define STEPS 5000
#define ADDR(page) (BASE + (u64)(page) * PG)

static struct pmm pmm;
static bool model[NPAGES];
static u64 rng = 0x9e3779b97f4a7c15ULL;

struct alloc {
	u64 addr, size;
};
static struct alloc live[64];
static u32 nlive;

static u64 rnd(u64 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* A random address at or near a page boundary in [BASE, BASE + NPAGES pages]. */
static u64 rnd_addr(void)
{
	u64 a = ADDR(rnd(NPAGES + 1));

	if (rnd(3) == 0 && a > BASE)
		a -= 1 + rnd(PG - 1); /* inside the page below */
	return a;
}

static void model_set(u64 first, u64 end_page, bool v)
{
	for (; first < end_page; first++)
		model[first] = v;
}

static u64 page_of(u64 addr)
{
	return (addr - BASE) / PG;
}

static void op_add(char *what, size_t n)
{
	u64 s = rnd_addr(), e = rnd_addr(), t;

	if (s > e) {
		t = s;
		s = e;
		e = t;
	}
	snprintf(what, n, "pmm_add(0x%llx, 0x%llx)", (unsigned long long)s, (unsigned long long)e);
	test_eq_int(pmm_add(&pmm, s, e), 0, what, "0", __FILE__, __LINE__);
	model_set(page_of(ALIGN_UP(s, PG)), page_of(ALIGN_DOWN(e, PG)), true);
}

static void op_remove(char *what, size_t n)
{
	u64 s = rnd_addr(), e = rnd_addr(), t;

	if (s > e) {
		t = s;
		s = e;
		e = t;
	}
	if (s == e)
		e += 1 + rnd(2 * PG); /* never empty: see test_pmm_limits.c */
	snprintf(what, n, "pmm_remove(0x%llx, 0x%llx)", (unsigned long long)s,
		 (unsigned long long)e);
	test_eq_int(pmm_remove(&pmm, s, e), 0, what, "0", __FILE__, __LINE__);
	model_set(page_of(ALIGN_DOWN(s, PG)), MIN(page_of(ALIGN_UP(e, PG)), NPAGES), false);
}

/* The lowest aligned start of pages free pages in a row, or -1. */
static long model_find(u64 pages, u64 align)
{
	u64 step = align / PG, p, i;

	for (p = 0; p + pages <= NPAGES; p += step) {
		for (i = 0; i < pages && model[p + i]; i++)
			;
		if (i == pages)
			return (long)p;
	}
	return -1;
}

static void op_alloc(char *what, size_t n)
{
	u64 pages = 1 + rnd(8), size = pages * PG - (rnd(2) ? rnd(PG) : 0);
	u64 align = PG << rnd(5), out = 0x77;
	long want = model_find(pages, align);
	int rc;

	snprintf(what, n, "pmm_alloc(0x%llx, 0x%llx)", (unsigned long long)size,
		 (unsigned long long)align);
	rc = pmm_alloc(&pmm, size, align, &out);
	if (want < 0) {
		test_eq_int(rc, -ENOMEM, what, "-ENOMEM", __FILE__, __LINE__);
		test_eq_u64(out, 0x77, "out", "untouched", __FILE__, __LINE__);
		return;
	}
	if (!test_eq_int(rc, 0, what, "0", __FILE__, __LINE__) ||
	    !test_eq_u64(out, ADDR(want), "out", "lowest fitting address", __FILE__, __LINE__))
		return;
	model_set((u64)want, (u64)want + pages, false);
	if (nlive < ARRAY_SIZE(live))
		live[nlive++] = (struct alloc){ out, pages * PG };
}

static void op_free(char *what, size_t n)
{
	u64 s, size, p, bad = 0;
	int want;

	if (nlive && rnd(3)) {
		/* Give back an earlier allocation (it may have been re-added since). */
		u32 i = (u32)rnd(nlive);

		s = live[i].addr;
		size = live[i].size;
		live[i] = live[--nlive];
	} else {
		s = ADDR(rnd(NPAGES));
		size = (1 + rnd(MIN(4, NPAGES - page_of(s)))) * PG;
		if (rnd(8) == 0)
			s += 1 + rnd(PG - 1); /* unaligned: rejected */
	}
	for (p = page_of(s); p < page_of(s) + size / PG && p < NPAGES; p++)
		bad |= model[p];
	want = (bad || s % PG) ? -EINVAL : 0;
	snprintf(what, n, "pmm_free(0x%llx, 0x%llx)", (unsigned long long)s,
		 (unsigned long long)size);
	test_eq_int(pmm_free(&pmm, s, size), want, what, want ? "-EINVAL" : "0", __FILE__,
		    __LINE__);
	if (!want)
		model_set(page_of(s), page_of(s) + size / PG, true);
}

/* The allocator agrees with the model page by page, and its table is well formed. */
static bool matches_model(const char *step)
{
	u64 p, free_pages = 0, runs = 0;
	u32 i;

	for (p = 0; p < NPAGES; p++) {
		free_pages += model[p];
		runs += model[p] && (p == 0 || !model[p - 1]);
		if (pmm_is_free(&pmm, ADDR(p)) != model[p] ||
		    pmm_is_free(&pmm, ADDR(p) + PG - 1) != model[p])
			return test_check(false, __FILE__, __LINE__,
					  "after %s: page 0x%llx is %s, the model says %s", step,
					  (unsigned long long)ADDR(p), model[p] ? "used" : "free",
					  model[p] ? "free" : "used");
	}
	if (!test_check(!pmm_is_free(&pmm, BASE - 1) && !pmm_is_free(&pmm, ADDR(NPAGES)),
			__FILE__, __LINE__, "after %s: memory outside the space is free", step))
		return false;
	if (!test_check(pmm_free_bytes(&pmm) == free_pages * PG, __FILE__, __LINE__,
			"after %s: pmm_free_bytes 0x%llx, the model has 0x%llx", step,
			(unsigned long long)pmm_free_bytes(&pmm),
			(unsigned long long)(free_pages * PG)))
		return false;
	/* Maximal runs of free pages are exactly the ranges when none touch. */
	if (!test_check(pmm.count == runs, __FILE__, __LINE__,
			"after %s: %u ranges for %llu runs of free pages", step, pmm.count,
			(unsigned long long)runs))
		return false;
	for (i = 0; i < pmm.count; i++) {
		const struct pmm_range *r = &pmm.free[i];

		if (!test_check(r->start < r->end && IS_ALIGNED(r->start, PG) &&
					IS_ALIGNED(r->end, PG) &&
					(i == 0 || pmm.free[i - 1].end < r->start),
				__FILE__, __LINE__, "after %s: bad range %u [0x%llx, 0x%llx)", step,
				i, (unsigned long long)r->start, (unsigned long long)r->end))
			return false;
	}
	return true;
}

TEST(random_ops_match_page_bitmap)
{
	static void (*const ops[])(char *, size_t) = { op_add, op_remove, op_alloc, op_alloc,
						       op_free, op_free };
	unsigned long counts[ARRAY_SIZE(ops)] = { 0 }, step;
	char what[96];
	u32 k;

	pmm_init(&pmm);
	for (step = 0; step < STEPS; step++) {
		k = (u32)rnd(ARRAY_SIZE(ops));
		ops[k](what, sizeof(what));
		counts[k]++;
		if (test_case_failures || !matches_model(what)) {
			test_check(false, __FILE__, __LINE__, "diverged at step %lu of %d (seed fixed)",
				   step, STEPS);
			return;
		}
	}
	/* Every kind of step ran, so none of them was silently skipped. */
	for (k = 0; k < ARRAY_SIZE(ops); k++)
		CHECK(counts[k] > STEPS / 10);
}
