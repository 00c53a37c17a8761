/*
 * timing: this VM's clock and work while another VM misbehaves (issue 15, test 4). Rounds of a
 * fixed piece of work that exits to Plinth (CPUID, test-device reads and writes), timed by the
 * TSC alone (no PIT: a partition has none), run until a line arrives on COM1 (the harness
 * sends it once the other VM is done). The TSC only goes up, no round costs more than SPREAD
 * times the fastest (Plinth never held this VM's CPU while serving the other), and the test
 * device's scratch register keeps what this VM wrote into it.
 */
#include "checks.h"
#include "plinth_abi.h"
#include "x86.h"

#define COM1_LSR 0x3fd
#define COM1_RBR 0x3f8
#define LSR_DR 0x01
#define WORK 16
#define SPREAD 10
#define MIN_ROUNDS 100

static void work(u32 round)
{
	u32 i;

	for (i = 0; i < WORK; i++) {
		(void)cpuid_leaf(0);
		(void)inl(PLINTH_TEST_PORT_ID);
	}
	outl(PLINTH_TEST_PORT_SCRATCH, round);
}

void check_timing(void)
{
	u64 first = rdtsc(), last = first, fastest = ~0ull, slowest = 0, rounds = 0, backwards = 0;
	u32 wrong = 0;
	bool line = false;

	check_info("timing: rounds until a line on COM1");
	while (!line) {
		u64 t0 = rdtsc(), t1;

		work((u32)rounds);
		if (inl(PLINTH_TEST_PORT_SCRATCH) != (u32)rounds)
			wrong++;
		t1 = rdtsc();
		if (t0 < last || t1 < t0)
			backwards++;
		fastest = MIN(fastest, t1 - t0);
		slowest = MAX(slowest, t1 - t0);
		last = t1;
		rounds++;
		while (inb(COM1_LSR) & LSR_DR)
			line |= inb(COM1_RBR) == '\r';
	}
	check_info("timing: %lu rounds in %lu TSC ticks, fastest %lu, slowest %lu ticks", rounds, last - first, fastest,
		   slowest);
	check_expect(rounds >= MIN_ROUNDS, "only %lu rounds before the line came", rounds);
	check_expect(!backwards, "the TSC went backwards %lu times", backwards);
	check_expect(!wrong, "the test device's scratch register lost this VM's value %u times", wrong);
	check_expect(slowest <= SPREAD * fastest, "a round took %lu ticks, over %u times the fastest (%lu)", slowest,
		     SPREAD, fastest);
}
