// sources: @loader-parse
/*
 * The multiboot 1 loader's parse step (guest/mb1_parse.c, guest/elf_parse.c) on any image: an
 * a.out-kludge header or ELF32/ELF64 program headers. Promises of every plan it accepts: each
 * segment's file bytes lie inside the image; each guest range [gpa, gpa + copy + zero) neither
 * wraps nor passes 4 GiB; no two overlap; the entry lies in a loaded segment. A refusal says
 * why in one line. (The loader's apply step relies on exactly these.)
 */
#include <plinth/errno.h>
#include <plinth/load_plan.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct load_plan plan;
	uint8_t *img = fuzz_copy(data, size);
	int rc = mb1_parse(img, size, &plan);
	bool entry_loaded = false;
	u32 i, j;

	FUZZ_ASSERT(rc == 0 || rc == -ENOENT || rc == -EINVAL);
	FUZZ_ASSERT(strnlen(plan.error, sizeof(plan.error)) < sizeof(plan.error) && !strchr(plan.error, '\n'));
	FUZZ_ASSERT(rc != -EINVAL || plan.error[0]);
	if (!rc) {
		FUZZ_ASSERT(plan.count >= 1 && plan.count <= LOAD_SEGMENTS_MAX);
		for (i = 0; i < plan.count; i++) {
			const struct load_segment *s = &plan.seg[i];
			u64 len = s->copy + s->zero;

			FUZZ_ASSERT(!s->copy || (s->offset <= size && s->copy <= size - s->offset));
			FUZZ_ASSERT(len >= s->copy && s->gpa + len >= s->gpa && s->gpa + len <= LOAD_LIMIT_32);
			for (j = 0; j < i; j++)
				FUZZ_ASSERT(s->gpa + len <= plan.seg[j].gpa ||
					    plan.seg[j].gpa + plan.seg[j].copy + plan.seg[j].zero <= s->gpa);
			entry_loaded |= plan.entry >= s->gpa && plan.entry < s->gpa + len;
		}
		FUZZ_ASSERT(entry_loaded);
	}
	free(img);
	return 0;
}
