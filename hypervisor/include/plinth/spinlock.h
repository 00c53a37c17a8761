/*
 * A test-and-test-and-set spinlock for state that every CPU may touch at the same moment
 * (the page pool, the console). Plinth's critical sections are short and never sleep, and no
 * NMI handler takes a lock, so nothing fancier is needed.
 */
#ifndef PLINTH_SPINLOCK_H
#define PLINTH_SPINLOCK_H

#include <plinth/arch.h>
#include <plinth/types.h>

struct spinlock {
	volatile u32 taken;
};

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->taken, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	/* Spin on a plain read: the exchange's cache-line write only when the lock looks free. */
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->taken, __ATOMIC_RELAXED))
			arch_cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->taken, 0, __ATOMIC_RELEASE);
}

#endif
