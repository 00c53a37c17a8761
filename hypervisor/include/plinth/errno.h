/* Error codes for recoverable failures: functions return 0 or a negative code; the caller
 * decides what to do. Values follow Linux so logs read familiar. */
#ifndef PLINTH_ERRNO_H
#define PLINTH_ERRNO_H

#define ENOENT 2
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENODEV 19

#endif
