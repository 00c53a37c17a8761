/* Boot command line option look-up; see plinth/cmdline.h. */
#include <plinth/cmdline.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t n)
{
	const char *p = cmdline;

	if (!p || !key || !*key)
		return false;
	while (*p) {
		const char *word, *k;

		while (is_space(*p))
			p++;
		word = p;
		while (*p && !is_space(*p))
			p++;
		if (p - word == 2 && word[0] == '-' && word[1] == '-')
			return false; /* the rest is the guest's */
		for (k = key; *k && word < p && *word == *k; k++, word++)
			;
		if (*k || (word < p && *word != '='))
			continue;
		if (val && n) {
			size_t i = 0;

			if (word < p)
				word++; /* skip '=' */
			while (word < p && i + 1 < n)
				val[i++] = *word++;
			val[i] = '\0';
		}
		return true;
	}
	return false;
}

bool cmdline_parse_u64(const char *s, u64 *out)
{
	unsigned base = 10;
	u64 v = 0;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
