/* The multiboot 1 definitions the guest uses come from Plinth's shared header: the guest is
 * exactly the kind of kernel Plinth's multiboot loader starts. */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <plinth/multiboot1.h>

#endif
