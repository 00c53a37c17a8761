/* printf-style formatting into a bounded buffer; see plinth/format.h for what it supports. */
#include <limits.h>
#include <plinth/format.h>
#include <plinth/string.h>

#define FORMAT_WIDTH_MAX 1024

struct out {
	char *buf;
	size_t size, len; /* len counts every byte, also those past size */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* Emits an already-converted field (digits or a string) with sign, width and justification. */
static void field(struct out *o, const char *s, size_t n, const char *sign, int width, bool left,
		  bool zero)
{
	int fill = width - (int)n - (int)(sign ? 1 : 0);

	if (!left && !zero)
		pad(o, ' ', fill);
	if (sign)
		put(o, *sign);
	if (!left && zero)
		pad(o, '0', fill);
	while (n--)
		put(o, *s++);
	if (left)
		pad(o, ' ', fill);
}

static size_t utoa(char *tmp, u64 v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, i;

	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

int vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		const char *start = fmt;
		bool left = false, zero = false;
		int width = 0, prec = -1, lng = 0;
		char tmp[24];
		const char *sign = NULL;
		u64 u;
		s64 v;
		size_t n;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				zero = true;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = width == INT_MIN ? INT_MAX : -width;
			}
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = MIN(width * 10 + (*fmt - '0'), FORMAT_WIDTH_MAX);
		/* No console line is wider; a huge width is a bug, not a request for gigabytes. */
		width = MIN(width, FORMAT_WIDTH_MAX);
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		if (left)
			zero = false;

		switch (*fmt) {
		case 'd':
		case 'i':
			v = lng ? va_arg(ap, s64) : va_arg(ap, int);
			if (v < 0) {
				sign = "-";
				u = (u64)0 - (u64)v;
			} else {
				u = (u64)v;
			}
			n = utoa(tmp, u, 10, false);
			field(&o, tmp, n, sign, width, left, zero);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			n = utoa(tmp, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			field(&o, tmp, n, NULL, width, left, zero);
			break;
		case 'p':
			/* Always 0x and 16 digits, then width and '-' like any field. */
			u = (u64)(uintptr_t)va_arg(ap, void *);
			n = utoa(tmp + 2, u, 16, false);
			memmove(tmp + 2 + 16 - n, tmp + 2, n);
			memset(tmp + 2, '0', 16 - n);
			tmp[0] = '0';
			tmp[1] = 'x';
			field(&o, tmp, 18, NULL, width, left, false);
			break;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			field(&o, tmp, 1, NULL, width, left, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			for (n = 0; (prec < 0 || n < (size_t)prec) && s[n]; n++)
				;
			field(&o, s, n, NULL, width, left, false);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown or truncated conversion: show it as written. */
			for (; start <= fmt && *start; start++)
				put(&o, *start);
			if (!*fmt)
				fmt--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
