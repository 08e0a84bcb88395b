/*
 * pktop_format.c: numbers as pktop prints them (SI prefixes, powers of
 * 1000, thousands separators) and the sanitizing of whatever text the
 * server sends before it reaches the screen.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pktop_format.h"

static const char *si_prefix[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};

/* v with an SI prefix: 999, 1.2 k, 12.3 M, 123 G; unit appended. */
void
fmt_si(char *buf, size_t len, double v, const char *unit)
{
	const char *sign = v < 0 ? "-" : "";
	double		a = fabs(v);
	int			i = 0;

	if (!isfinite(v))
	{
		snprintf(buf, len, "?");
		return;
	}
	while (a >= 999.5 && i < 8)
	{
		a /= 1000.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%s%.0f%s%s", sign, a, *unit ? " " : "", unit);
	else
		snprintf(buf, len, "%s%.*f %s%s", sign, a < 99.95 ? 1 : 0, a, si_prefix[i], unit);
}

/* An exact count with thousands separators: 1,234,567. */
void
fmt_exact(char *buf, size_t len, long long v)
{
	char		digits[32];
	char		out[48];
	int			n,
				o = 0;
	unsigned long long u;

	/* -LLONG_MIN does not fit: negate one more than v */
	u = v < 0 ? (unsigned long long) (-(v + 1)) + 1 : (unsigned long long) v;
	n = snprintf(digits, sizeof(digits), "%llu", u);
	if (v < 0)
		out[o++] = '-';
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, len, "%s", out);
}

/* A total for a wide column: exact up to 9,999,999,999, then 10.0 G. */
void
fmt_total(char *buf, size_t len, long long v)
{
	char		exact[48];

	fmt_exact(exact, sizeof(exact), v);
	if (strlen(exact) > 13)
		fmt_si(buf, len, (double) v, "");
	else
		snprintf(buf, len, "%s", exact);
}

/* A count for a table column: exact below 100,000, then 123 k, 1.2 M. */
void
fmt_count(char *buf, size_t len, long long v)
{
	if (v > -100000 && v < 100000)
		fmt_exact(buf, len, v);
	else
		fmt_si(buf, len, (double) v, "");
}

void
fmt_bytes(char *buf, size_t len, long long v)
{
	fmt_si(buf, len, (double) v, "B");
}

void
fmt_bits_rate(char *buf, size_t len, long long bytes_per_s)
{
	fmt_si(buf, len, (double) bytes_per_s * 8.0, "bit/s");
}

void
fmt_pkt_rate(char *buf, size_t len, double pps)
{
	char		n[32];

	fmt_si(n, sizeof(n), pps, "");
	snprintf(buf, len, "%s pkt/s", n);
}

/* A share in percent; "-" when the server gave none. */
void
fmt_share(char *buf, size_t len, bool has, double share)
{
	if (!has || !isfinite(share))
		snprintf(buf, len, "-");
	else if (share >= 99.95 && share <= 100.0)
		snprintf(buf, len, "100%%");
	else if (share < -999 || share > 999)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%.1f%%", share);
}

/* v as fmt writes it when the server gave it (has), "-" when not. */
void
fmt_or_dash(char *buf, size_t len, bool has, long long v, FmtInt fmt)
{
	if (has)
		fmt(buf, len, v);
	else
		snprintf(buf, len, "-");
}

/* H:MM:SS, or Nd HH:MM:SS from a day on; "-" when unknown. */
void
fmt_duration(char *buf, size_t len, bool has, double secs)
{
	long long	s;

	if (!has || !isfinite(secs))
	{
		snprintf(buf, len, "-");
		return;
	}
	if (secs < 0)
		secs = 0;
	if (secs > 1e11)
		secs = 1e11;
	s = (long long) secs;
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", s / 86400, s / 3600 % 24,
				 s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

/*
 * Length of the UTF-8 sequence at s (a whole, valid one), or 0; its code
 * point in *cp.  Overlong forms, surrogates and code points past U+10FFFF
 * are not valid.  Stops at the first byte that does not continue the
 * sequence, so never reads past a NUL.
 */
static int
utf8_sequence(const unsigned char *s, unsigned int *cp)
{
	int			n;
	unsigned int c;

	if (s[0] < 0x80)
		n = 1, c = s[0];
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
		(c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Printable text only, whatever the server sends: the screen is ours.  C0
 * and C1 control characters (a C1 CSI starts an escape sequence as ESC [
 * does) become spaces; in UTF-8, a byte that starts no valid sequence
 * becomes '?'; elsewhere every byte above ASCII does, as its meaning
 * depends on a character set we do not know.  A character that does not
 * fit in len ends the text: none is cut in half.  src may be NULL.
 */
void
fmt_sanitize(char *dst, size_t len, const char *src, bool utf8)
{
	const unsigned char *s = (const unsigned char *) src;
	size_t		n = 0;

	while (s && *s && n + 1 < len)
	{
		unsigned int cp = 0;
		int			k = utf8 ? utf8_sequence(s, &cp) : (*s < 0x80 ? 1 : 0);

		if (k == 0)
		{
			dst[n++] = '?';
			s++;
			continue;
		}
		if (k == 1)
			cp = *s;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			dst[n++] = ' ';
		else if (n + k < len)
		{
			memcpy(dst + n, s, k);
			n += k;
		}
		else
			break;
		s += k;
	}
	dst[n] = '\0';
}

/* Drops trailing spaces (what fmt_sanitize leaves of final newlines). */
void
fmt_rstrip(char *s)
{
	for (size_t n = strlen(s); n > 0 && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
}

/*
 * Shortens src to w bytes, keeping both ends around mark (one column,
 * "…" or "~"): 2001:db8…:1, for addresses.  Below 5 bytes, cuts the end.
 */
void
fmt_shorten(char *dst, size_t len, const char *src, int w, const char *mark)
{
	int			n = (int) strlen(src);
	int			tail,
				head;

	if (n <= w || w < 5)
	{
		snprintf(dst, len, "%.*s", w < 0 ? 0 : w, src);
		return;
	}
	tail = (w - 1) / 2;
	head = w - 1 - tail;
	snprintf(dst, len, "%.*s%s%s", head, src, mark, src + n - tail);
}

/*
 * Display width of a string in the current locale: an invalid byte or a
 * character of no known width counts one column, as the screen draws it.
 */
int
fmt_width(const char *s)
{
	mbstate_t	st;
	int			w = 0;
	size_t		n;
	wchar_t		wc;

	memset(&st, 0, sizeof(st));
	while (*s)
	{
		int			cw;

		n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t) -1 || n == (size_t) -2)
		{
			memset(&st, 0, sizeof(st));
			s++;
			w++;
			continue;
		}
		if (n == 0)
			break;
		cw = wcwidth(wc);
		w += cw < 0 ? 1 : cw;
		s += n;
	}
	return w;
}
