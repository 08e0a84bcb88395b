/*
 * test_pktop.c: pktop's formatting and data side, without a terminal or
 * a server.
 *
 * Checks the number formatting, the sanitizing of server text against
 * hostile bytes, the reading of pkt_stats()/pkt_status()/pkt_flows_live()
 * rows given as the strings libpq returns, the rates charted between two
 * snapshots (counters that go back or wrap, a capture that disappears, a
 * failed refresh), the conversations' names and rates, and the plain-text
 * view.  Every expected value is worked out by hand, the arithmetic in a
 * comment where it is not obvious; none is the code's own output.
 *
 * Prints "ok - WHAT" or "not ok - WHAT" per check, a failure followed by
 * what it expected and what it got, then "test_pktop: N passed, M
 * failed"; exits 1 when a check failed.
 * make -C client check runs it, plain and under ASan and UBSan.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pktop_format.h"
#include "pktop_model.h"
#include "pktop_plain.h"
#include "pktop_snap.h"

static int	passed;
static int	failed;

/*
 * Prints s for a failure report: each line after "#   |", every byte
 * outside printable ASCII as \xNN.
 */
static void
report(const char *label, const char *s)
{
	printf("#   %s:\n#   |", label);
	if (s == NULL)
		printf("(null)");
	for (; s && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '\n')
			printf(s[1] ? "\n#   |" : "\\n");
		else if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("\n");
}

static void
check(const char *what, bool ok)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passed++;
	else
		failed++;
}

static void
check_str(const char *what, const char *got, const char *want)
{
	if (got != NULL && strcmp(got, want) == 0)
	{
		check(what, true);
		return;
	}
	check(what, false);
	report("expected", want);
	report("got", got);
}

static void
check_ll(const char *what, long long got, long long want)
{
	check(what, got == want);
	if (got != want)
		printf("#   expected %lld, got %lld\n", want, got);
}

/* Equal within a relative 1e-12, or both NaN. */
static void
check_dbl(const char *what, double got, double want)
{
	bool		ok = isnan(want) ? isnan(got) :
		fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));

	check(what, ok);
	if (!ok)
		printf("#   expected %.17g, got %.17g\n", want, got);
}

/*
 * A formatting call that writes into buf, against its expected text;
 * buf starts as garbage so a function that writes nothing fails.
 */
#define FMT(call, want) \
	do { \
		char		buf[64]; \
		memset(buf, 'X', sizeof(buf) - 1); \
		buf[sizeof(buf) - 1] = '\0'; \
		call; \
		check_str(#call, buf, want); \
	} while (0)

/* ------------------------------------------------------------------ */
/* numbers                                                            */
/* ------------------------------------------------------------------ */

static void
test_counts(void)
{
	/* SI prefixes, powers of 1000; one decimal below 99.95 */
	FMT(fmt_si(buf, sizeof(buf), 0, ""), "0");
	FMT(fmt_si(buf, sizeof(buf), 999, ""), "999");
	FMT(fmt_si(buf, sizeof(buf), 999.4, "B"), "999 B");
	FMT(fmt_si(buf, sizeof(buf), 999.5, ""), "1.0 k");	/* 0.9995 k */
	FMT(fmt_si(buf, sizeof(buf), 1234, ""), "1.2 k");
	FMT(fmt_si(buf, sizeof(buf), 99949, ""), "99.9 k");
	FMT(fmt_si(buf, sizeof(buf), 99950, ""), "100 k");	/* 99.95: no decimal */
	FMT(fmt_si(buf, sizeof(buf), 123456789, "bit/s"), "123 Mbit/s");
	FMT(fmt_si(buf, sizeof(buf), -1500, "B"), "-1.5 kB");
	FMT(fmt_si(buf, sizeof(buf), 1e30, ""), "1000000 Y");	/* no prefix past Y */
	FMT(fmt_si(buf, sizeof(buf), NAN, "B"), "?");
	FMT(fmt_si(buf, sizeof(buf), INFINITY, ""), "?");

	FMT(fmt_exact(buf, sizeof(buf), 0), "0");
	FMT(fmt_exact(buf, sizeof(buf), 999), "999");
	FMT(fmt_exact(buf, sizeof(buf), 1000), "1,000");
	FMT(fmt_exact(buf, sizeof(buf), 1234567), "1,234,567");
	FMT(fmt_exact(buf, sizeof(buf), -1234), "-1,234");
	FMT(fmt_exact(buf, sizeof(buf), LLONG_MAX), "9,223,372,036,854,775,807");
	FMT(fmt_exact(buf, sizeof(buf), LLONG_MIN), "-9,223,372,036,854,775,808");
	FMT(fmt_exact(buf, 6, 1234567), "1,234");	/* cut to the buffer */

	/* exact up to 13 characters: 9,999,999,999 */
	FMT(fmt_total(buf, sizeof(buf), 9999999999LL), "9,999,999,999");
	FMT(fmt_total(buf, sizeof(buf), 10000000000LL), "10.0 G");
	FMT(fmt_total(buf, sizeof(buf), -999999999LL), "-999,999,999");
	FMT(fmt_total(buf, sizeof(buf), -9999999999LL), "-10.0 G");	/* 14 chars */
	FMT(fmt_total(buf, sizeof(buf), LLONG_MAX), "9.2 E");

	/* exact below 100,000 */
	FMT(fmt_count(buf, sizeof(buf), 99999), "99,999");
	FMT(fmt_count(buf, sizeof(buf), 100000), "100 k");
	FMT(fmt_count(buf, sizeof(buf), -99999), "-99,999");
	FMT(fmt_count(buf, sizeof(buf), -100000), "-100 k");
	FMT(fmt_count(buf, sizeof(buf), 1234567), "1.2 M");

	FMT(fmt_bytes(buf, sizeof(buf), 0), "0 B");
	FMT(fmt_bytes(buf, sizeof(buf), 999), "999 B");
	FMT(fmt_bytes(buf, sizeof(buf), 1000), "1.0 kB");
	FMT(fmt_bytes(buf, sizeof(buf), 3100000), "3.1 MB");
}

static void
test_rates_shares_durations(void)
{
	/* bytes per second as bits: x 8 */
	FMT(fmt_bits_rate(buf, sizeof(buf), 125000), "1.0 Mbit/s");
	FMT(fmt_bits_rate(buf, sizeof(buf), 437500), "3.5 Mbit/s");
	FMT(fmt_bits_rate(buf, sizeof(buf), -5), "-40 bit/s");
	/* 9223372036854775807 x 8 = 7.38e19 = 73.8 E */
	FMT(fmt_bits_rate(buf, sizeof(buf), LLONG_MAX), "73.8 Ebit/s");

	FMT(fmt_pkt_rate(buf, sizeof(buf), 0), "0 pkt/s");
	FMT(fmt_pkt_rate(buf, sizeof(buf), 1900), "1.9 k pkt/s");
	FMT(fmt_pkt_rate(buf, sizeof(buf), NAN), "? pkt/s");

	FMT(fmt_share(buf, sizeof(buf), false, 50), "-");
	FMT(fmt_share(buf, sizeof(buf), true, NAN), "-");
	FMT(fmt_share(buf, sizeof(buf), true, INFINITY), "-");
	FMT(fmt_share(buf, sizeof(buf), true, 0), "0.0%");
	FMT(fmt_share(buf, sizeof(buf), true, 43.46), "43.5%");
	FMT(fmt_share(buf, sizeof(buf), true, 99.94), "99.9%");
	FMT(fmt_share(buf, sizeof(buf), true, 99.95), "100%");
	FMT(fmt_share(buf, sizeof(buf), true, 100), "100%");
	FMT(fmt_share(buf, sizeof(buf), true, 100.04), "100.0%");
	FMT(fmt_share(buf, sizeof(buf), true, -3), "-3.0%");
	FMT(fmt_share(buf, sizeof(buf), true, 999), "999.0%");
	FMT(fmt_share(buf, sizeof(buf), true, 999.01), "?");
	FMT(fmt_share(buf, sizeof(buf), true, -999.5), "?");
	FMT(fmt_share(buf, sizeof(buf), true, 1e308), "?");

	FMT(fmt_duration(buf, sizeof(buf), true, 0), "0:00:00");
	FMT(fmt_duration(buf, sizeof(buf), true, 59.9), "0:00:59");
	FMT(fmt_duration(buf, sizeof(buf), true, 3661), "1:01:01");
	FMT(fmt_duration(buf, sizeof(buf), true, 86399), "23:59:59");
	FMT(fmt_duration(buf, sizeof(buf), true, 86400), "1d 00:00:00");
	FMT(fmt_duration(buf, sizeof(buf), true, 90061), "1d 01:01:01");
	FMT(fmt_duration(buf, sizeof(buf), true, 400 * 86400.0), "400d 00:00:00");
	FMT(fmt_duration(buf, sizeof(buf), true, -5), "0:00:00");
	/* held at 1e11 s = 1157407 d + 35200 s, and 35200 s = 9:46:40 */
	FMT(fmt_duration(buf, sizeof(buf), true, 1e300), "1157407d 09:46:40");
	FMT(fmt_duration(buf, sizeof(buf), true, 5e11), "1157407d 09:46:40");
	FMT(fmt_duration(buf, sizeof(buf), false, 5), "-");
	FMT(fmt_duration(buf, sizeof(buf), true, NAN), "-");

	FMT(fmt_or_dash(buf, sizeof(buf), false, 1234, fmt_exact), "-");
	FMT(fmt_or_dash(buf, sizeof(buf), true, 1234, fmt_exact), "1,234");
	FMT(fmt_or_dash(buf, sizeof(buf), true, 1234, fmt_bytes), "1.2 kB");
}

/* ------------------------------------------------------------------ */
/* text                                                               */
/* ------------------------------------------------------------------ */

/* fmt_sanitize into a heap buffer of exactly len bytes (ASan sees past). */
static void
sanitized(const char *what, const char *src, size_t len, bool utf8, const char *want)
{
	char	   *dst = malloc(len);

	fmt_sanitize(dst, len, src, utf8);
	check_str(what, dst, want);
	free(dst);
}

/*
 * Whether s is well-formed UTF-8 with no control character (C0, DEL,
 * C1), by the byte ranges of the Unicode standard's table 3-7, not by
 * decoding as the code under test does.
 */
static bool
printable_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *) str;

	while (*s)
	{
		unsigned char lo = 0x80,
					hi = 0xbf;
		int			n;

		if (*s < 0x80)
		{
			if (*s < 0x20 || *s == 0x7f)
				return false;
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s == 0xe0)
			n = 3, lo = 0xa0;
		else if ((*s >= 0xe1 && *s <= 0xec) || *s == 0xee || *s == 0xef)
			n = 3;
		else if (*s == 0xed)
			n = 3, hi = 0x9f;
		else if (*s == 0xf0)
			n = 4, lo = 0x90;
		else if (*s >= 0xf1 && *s <= 0xf3)
			n = 4;
		else if (*s == 0xf4)
			n = 4, hi = 0x8f;
		else
			return false;
		if (s[1] < lo || s[1] > hi)
			return false;
		for (int i = 2; i < n; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return false;
		if (*s == 0xc2 && s[1] <= 0x9f)
			return false;		/* U+0080..U+009F */
		s += n;
	}
	return true;
}

static bool
printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static unsigned long long
next_random(unsigned long long *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/*
 * 20,000 random strings, weighted towards the bytes that matter (lead
 * and continuation bytes, C0 and C1): whatever comes in, what comes out
 * fits the buffer and is printable text.
 */
static void
test_sanitize_random(void)
{
	static const unsigned char pick[] = {
		0x01, 0x07, 0x09, 0x0a, 0x1b, 0x1f, 0x7f, 'a', '[', ' ',
		0x80, 0x85, 0x9b, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
		0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff
	};
	unsigned long long x = 88172645463325252ULL;
	int			bad_utf8 = 0,
				bad_ascii = 0,
				too_long = 0;

	for (int t = 0; t < 20000; t++)
	{
		char		src[48];
		int			n = (int) (next_random(&x) % 40);
		size_t		len = 1 + next_random(&x) % 32;
		char	   *dst = malloc(len);

		for (int i = 0; i < n; i++)
		{
			unsigned long long r = next_random(&x);

			src[i] = (char) (r % 3 ? pick[(r >> 8) % sizeof(pick)] : 1 + (r >> 8) % 255);
		}
		src[n] = '\0';
		fmt_sanitize(dst, len, src, true);
		bad_utf8 += !printable_utf8(dst);
		too_long += strlen(dst) >= len;
		fmt_sanitize(dst, len, src, false);
		bad_ascii += !printable_ascii(dst);
		too_long += strlen(dst) >= len;
		free(dst);
	}
	check_ll("random bytes: UTF-8 mode leaves printable, well-formed UTF-8", bad_utf8, 0);
	check_ll("random bytes: other charsets leave printable ASCII", bad_ascii, 0);
	check_ll("random bytes: the text fits the buffer, NUL included", too_long, 0);
}

static void
test_sanitize(void)
{
	sanitized("plain ASCII is kept", "eth0", 64, true, "eth0");
	sanitized("NULL is the empty string", NULL, 64, true, "");
	/* C0 controls, ESC among them, and DEL become spaces */
	sanitized("C0 controls: tab, newline, CR, ESC, BEL", "a\tb\nc\rd\x1b[31me\x07",
			  64, true, "a b c d [31me ");
	sanitized("DEL", "x\x7fy", 64, true, "x y");
	/* C1 controls written in UTF-8: two bytes, one space */
	sanitized("C1 CSI (U+009B) in UTF-8", "a\xc2\x9b" "31m", 64, true, "a 31m");
	sanitized("C1 NEL (U+0085) and U+0080, U+009F", "a\xc2\x85" "b\xc2\x80\xc2\x9f",
			  64, true, "a b  ");
	sanitized("no-break space (U+00A0) is printable", "a\xc2\xa0" "b", 64, true, "a\xc2\xa0" "b");
	sanitized("a lone C1 byte is not UTF-8", "a\x9b" "b", 64, true, "a?b");
	sanitized("bytes that start nothing", "\xff\xfe\x80", 64, true, "???");
	/* overlong forms of '/' (0x2f): each byte a '?' */
	sanitized("overlong 2 bytes (C0 AF)", "\xc0\xaf", 64, true, "??");
	sanitized("overlong 2 bytes (C1 BF)", "\xc1\xbf", 64, true, "??");
	sanitized("overlong 3 bytes (E0 80 AF)", "\xe0\x80\xaf", 64, true, "???");
	sanitized("overlong 4 bytes (F0 80 80 AF)", "\xf0\x80\x80\xaf", 64, true, "????");
	sanitized("surrogate U+D800 (ED A0 80)", "\xed\xa0\x80", 64, true, "???");
	sanitized("past U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80", 64, true, "????");
	sanitized("F5 leads nothing", "\xf5\x80\x80\x80", 64, true, "????");
	sanitized("a sequence cut by the end of the text", "ab\xe2\x82", 64, true, "ab??");
	sanitized("a sequence cut by an ASCII byte", "\xe2\x82x", 64, true, "??x");
	/* é (2 bytes), 漢 (3), 😀 (4) */
	sanitized("valid 2-, 3- and 4-byte characters are kept",
			  "\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80", 64, true,
			  "\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80");
	/* € is E2 82 AC: with "abc" it needs 6 bytes and the NUL */
	sanitized("a 3-byte character that does not fit is left out, not cut",
			  "abc\xe2\x82\xac", 6, true, "abc");
	sanitized("... and kept when it fits", "abc\xe2\x82\xac", 7, true, "abc\xe2\x82\xac");
	sanitized("a 4-byte character that does not fit", "a\xf0\x9f\x98\x80", 5, true, "a");
	sanitized("... and that fits", "a\xf0\x9f\x98\x80", 6, true, "a\xf0\x9f\x98\x80");
	sanitized("a control at the end of the buffer", "\x1b\x1b", 2, true, " ");
	sanitized("a buffer of one byte", "abc", 1, true, "");
	sanitized("long text is cut to the buffer",
			  "0123456789012345678901234567890123456789", 11, true, "0123456789");
	/* another character set: every byte above ASCII is unknown */
	sanitized("not UTF-8: é is two unknown bytes", "caf\xc3\xa9", 64, false, "caf??");
	sanitized("not UTF-8: C1 in UTF-8 is two unknown bytes", "\xc2\x9b", 64, false, "??");
	sanitized("not UTF-8: ESC", "a\x1b" "b", 64, false, "a b");
	test_sanitize_random();
}

static void
test_text(void)
{
	char		s[32];

	/* 39 bytes to 15: head 7, "…", tail 7 */
	FMT(fmt_shorten(buf, sizeof(buf), "2001:0db8:0000:0000:0000:0000:0000:0001", 15, "\xe2\x80\xa6"),
		"2001:0d\xe2\x80\xa6" "00:0001");
	FMT(fmt_shorten(buf, sizeof(buf), "2001:0db8:0000:0000:0000:0000:0000:0001", 15, "~"),
		"2001:0d~00:0001");
	FMT(fmt_shorten(buf, sizeof(buf), "abcdef", 5, "~"), "ab~ef");	/* head 2, tail 2 */
	FMT(fmt_shorten(buf, sizeof(buf), "abcdefgh", 6, "~"), "abc~gh");	/* head 3, tail 2 */
	FMT(fmt_shorten(buf, sizeof(buf), "10.0.0.1", 15, "~"), "10.0.0.1");
	FMT(fmt_shorten(buf, sizeof(buf), "123456789012345", 15, "~"), "123456789012345");
	FMT(fmt_shorten(buf, sizeof(buf), "abcdefgh", 4, "~"), "abcd");	/* below 5: cut */
	FMT(fmt_shorten(buf, sizeof(buf), "abcdefgh", -1, "~"), "");

	snprintf(s, sizeof(s), "abc  ");
	fmt_rstrip(s);
	check_str("fmt_rstrip(\"abc  \")", s, "abc");
	snprintf(s, sizeof(s), "   ");
	fmt_rstrip(s);
	check_str("fmt_rstrip(\"   \")", s, "");
	snprintf(s, sizeof(s), "a b");
	fmt_rstrip(s);
	check_str("fmt_rstrip(\"a b\")", s, "a b");

	/* display widths in C.UTF-8 */
	check_ll("fmt_width(\"abc\")", fmt_width("abc"), 3);
	check_ll("fmt_width(\"é\"): one column", fmt_width("\xc3\xa9"), 1);
	check_ll("fmt_width(\"漢字\"): wide, two columns each", fmt_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);
	check_ll("fmt_width(\"…\")", fmt_width("\xe2\x80\xa6"), 1);
	check_ll("fmt_width: an invalid byte is one column", fmt_width("a\xff" "b"), 3);
	check_ll("fmt_width: a cut sequence, one column a byte", fmt_width("a\xe2\x82"), 3);
	check_ll("fmt_width: a control character is one column", fmt_width("a\tb"), 3);
}

/* ------------------------------------------------------------------ */
/* rows as libpq returns them                                         */
/* ------------------------------------------------------------------ */

/* One pkt_stats row: section, item, packets, bytes, share, note. */
static void
stats(Snap *s, const char *sec, const char *item, const char *packets,
	  const char *bytes, const char *share, const char *note)
{
	const char *f[STATS_NCOLS] = {sec, item, packets, bytes, share, note};

	snap_add_stats_row(s, f, true);
}

/*
 * A pkt_status row (state, kind, filter, error, pid, started, stopped,
 * uptime, last batch ms) with the state, filter and uptime given.
 */
static void
status(Snap *s, const char *state, const char *filter, const char *uptime)
{
	const char *f[STATUS_NCOLS] = {state, "live", filter, NULL, "4242", "03:00:00",
	NULL, uptime, "1.25"};

	snap_set_status(s, f, true);
}

static void
test_parse_numbers(void)
{
	long long	v = 0;
	double		d = 0;

	check("bigint \"42\"", snap_parse_ll("42", &v) && v == 42);
	check("bigint \"-7\"", snap_parse_ll("-7", &v) && v == -7);
	check("bigint NULL is no value", !snap_parse_ll(NULL, &v));
	check("bigint \"\" is no value", !snap_parse_ll("", &v));
	check("bigint \"abc\" is no value", !snap_parse_ll("abc", &v));
	check("bigint \"12abc\" reads 12", snap_parse_ll("12abc", &v) && v == 12);
	check("bigint \"010\" is decimal", snap_parse_ll("010", &v) && v == 10);
	check("bigint max", snap_parse_ll("9223372036854775807", &v) && v == LLONG_MAX);
	check("bigint min", snap_parse_ll("-9223372036854775808", &v) && v == LLONG_MIN);
	check("past bigint max holds at the max",
		  snap_parse_ll("99999999999999999999", &v) && v == LLONG_MAX);
	check("past bigint min holds at the min",
		  snap_parse_ll("-9223372036854775809", &v) && v == LLONG_MIN);

	check("float8 \"43.5\"", snap_parse_double("43.5", &d) && d == 43.5);
	check("float8 \"0\"", snap_parse_double("0", &d) && d == 0);
	check("float8 \"1e+308\" (as PostgreSQL prints it)", snap_parse_double("1e+308", &d) && d == 1e308);
	check("float8 \"NaN\" is no value", !snap_parse_double("NaN", &d));
	check("float8 \"Infinity\" is no value", !snap_parse_double("Infinity", &d));
	check("float8 \"-Infinity\" is no value", !snap_parse_double("-Infinity", &d));
	check("float8 \"1e309\" overflows: no value", !snap_parse_double("1e309", &d));
	check("float8 NULL is no value", !snap_parse_double(NULL, &d));
	check("float8 \"abc\" is no value", !snap_parse_double("abc", &d));
}

/* A snapshot as a running capture's rows give it. */
static void
test_parse_rows(void)
{
	static Snap s;
	long long	maxerr = -1;

	snap_clear(&s);
	stats(&s, "total", "IP packets", "13560", "3100000", NULL, NULL);
	stats(&s, "rate", "last 5 s", "2000", "468750", NULL, "per second");
	stats(&s, "rate", "since start", "1900", "437500", NULL, NULL);
	stats(&s, "rate", "last hour", "1", "1", NULL, NULL);	/* unknown: skipped */
	stats(&s, "protocol", "UDP", "12000", "2800000", "88.5", NULL);
	stats(&s, "protocol", "TCP", "1560", "300000", "11.5", NULL);
	stats(&s, "top_source", "127.77.1.2", "5899", "1400000", "43.5", NULL);
	stats(&s, "top_source", "10.0.0.4", "100", "20000", "0.7",
		  "approximate: at most 12 packets too many");
	stats(&s, "top_destination", "127.77.2.2", "5896", "1400000", "43.5", NULL);
	stats(&s, "capture", "frames seen", "13560", NULL, NULL, NULL);
	stats(&s, "loss", "kernel dropped", "0", NULL, NULL, NULL);
	stats(&s, "loss", "truncated", "3", NULL, NULL, NULL);
	stats(&s, "conversation", "a new section", "1", "1", "1", NULL);	/* skipped */
	status(&s, "running", "udp", "62.5");

	check("rows: there are statistics", s.has_stats);
	check("rows: the total", s.has_total && s.total.has_packets && s.total.packets == 13560 &&
		  s.total.has_bytes && s.total.bytes == 3100000 && !s.total.has_share);
	check("rows: the 5 s rate, with its note", s.has_rate5 && s.rate5.packets == 2000 &&
		  s.rate5.bytes == 468750 && strcmp(s.rate5.note, "per second") == 0);
	check("rows: the rate since start", s.has_rate_all && s.rate_all.packets == 1900 &&
		  s.rate_all.bytes == 437500);
	check_ll("rows: two protocols", s.nproto, 2);
	check("rows: the first protocol", strcmp(s.proto[0].item, "UDP") == 0 &&
		  s.proto[0].packets == 12000 && s.proto[0].has_share && s.proto[0].share == 88.5);
	check_ll("rows: two sources", s.nsrc, 2);
	check_str("rows: the second source's note", s.src[1].note,
			  "approximate: at most 12 packets too many");
	check_ll("rows: one destination", s.ndst, 1);
	check("rows: a capture counter without bytes", s.ncapture == 1 &&
		  s.capture[0].packets == 13560 && !s.capture[0].has_bytes);
	check_ll("rows: two loss counters", s.nloss, 2);
	check("rows: loss, since truncated is 3", snap_any_loss(&s));
	check("rows: approximate top talkers...", snap_top_approx(&s, &maxerr));
	check_ll("rows: ... off by at most 12", maxerr, 12);
	check("status: running is active", s.has_status && snap_active(&s));
	check_str("status: the filter", s.filter, "udp");
	check("status: pid, uptime, last batch", s.has_pid && s.pid == 4242 &&
		  s.has_uptime && s.uptime == 62.5 && s.has_batch_ms && s.batch_ms == 1.25);
	check("status: no stop time, no error", s.stopped[0] == '\0' && s.error[0] == '\0');
	check("status: no spool from a server before 1.8", !s.has_spool);
	{
		const char *f[STATUS_NCOLS] = {"running", "live", NULL, NULL, "4242", "03:00:00",
		NULL, "62.5", "1.25", "2.5", "150000", "19500000"};

		snap_set_status(&s, f, true);
		check("status: the spool's lag, frames and bytes", s.has_spool && s.lag == 2.5 &&
			  s.spool_frames == 150000 && s.spool_bytes == 19500000);
	}
}

static void
test_parse_odd_rows(void)
{
	static Snap s;

	/* a new capture of the same name: the rows after the last total */
	snap_clear(&s);
	stats(&s, "total", "IP packets", "100", "1000", NULL, NULL);
	stats(&s, "protocol", "old", "100", "1000", "100", NULL);
	stats(&s, "total", "IP packets", "200", "2000", NULL, NULL);
	stats(&s, "protocol", "new", "200", "2000", "100", NULL);
	check("two totals: the last one counts", s.total.packets == 200 && s.nproto == 1 &&
		  strcmp(s.proto[0].item, "new") == 0);

	/* NULLs where numbers and names belong */
	snap_clear(&s);
	stats(&s, "total", NULL, NULL, "-5", "NaN", NULL);
	stats(&s, NULL, "no section", "1", "1", "1", NULL);
	check("NULL total packets: none, bytes -5 kept", s.has_total && !s.total.has_packets &&
		  s.total.has_bytes && s.total.bytes == -5 && !s.total.has_share);
	check_str("NULL item: empty", s.total.item, "");
	check("a row of no known section still makes statistics", s.has_stats);

	/* only a section this version does not know */
	snap_clear(&s);
	stats(&s, "future", "something new", "1", "1", "1", "ignored");
	check("an unknown section alone: statistics, nothing else",
		  s.has_stats && !s.has_total && s.nproto == 0 && s.nloss == 0);
}

/* More rows than fit: the first ones are kept. */
static void
test_parse_too_many_rows(void)
{
	static Snap s;
	char		item[32];

	snap_clear(&s);
	for (int i = 0; i < 300; i++)
	{
		snprintf(item, sizeof(item), "p%d", i);
		stats(&s, "protocol", item, "1", "1", "0.3", NULL);
		stats(&s, "top_source", item, "1", "1", "0.3", NULL);
		stats(&s, "loss", item, "1", NULL, NULL, NULL);
	}
	check_ll("300 protocols: 256 kept", s.nproto, SNAP_MAX_PROTO);
	check_str("... the first 256", s.proto[255].item, "p255");
	check_ll("300 sources: 16 kept", s.nsrc, SNAP_MAX_TOP);
	check_ll("300 loss counters: 16 kept", s.nloss, SNAP_MAX_MISC);
}

static void
test_parse_hostile_names(void)
{
	static Snap s;

	snap_clear(&s);
	stats(&s, "top_source", "bad\tname\nwith\x01" "controls\x1b[2J", "1", "1", "1", NULL);
	stats(&s, "top_source", "0123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789", "1", "1", "1", NULL);
	check_str("controls in a name become spaces", s.src[0].item, "bad name with controls [2J");
	check_ll("a name of 80 bytes: 63 kept", (long long) strlen(s.src[1].item), SNAP_ITEM_LEN - 1);
	{
		const char *f[STATS_NCOLS] = {"top_source", "caf\xc3\xa9", "1", "1", "1", NULL};

		snap_add_stats_row(&s, f, false);
		check_str("not UTF-8: a name's bytes above ASCII are '?'", s.src[2].item, "caf??");
	}
}

/* Approximate talkers: the notes of the 5 shown, and their bounds. */
static void
test_top_approx(void)
{
	static Snap s;
	char		item[32];
	long long	maxerr = -1;

	snap_clear(&s);
	for (int i = 0; i < 6; i++)
	{
		snprintf(item, sizeof(item), "10.0.0.%d", i);
		stats(&s, "top_source", item, "1", "1", "1", i == 5 ? "at most 7" : NULL);
	}
	check("a note on the 6th talker, not shown: not approximate", !snap_top_approx(&s, &maxerr));
	check_ll("... and no error bound", maxerr, 0);
	stats(&s, "top_destination", "10.0.1.1", "1", "1", "1", "approximate");
	check("a note without a bound: approximate...", snap_top_approx(&s, &maxerr));
	check_ll("... bound 0", maxerr, 0);
	stats(&s, "top_destination", "10.0.1.2", "1", "1", "1", "approximate: at most 99999999999 packets");
	stats(&s, "top_destination", "10.0.1.3", "1", "1", "1", "at most -5");
	snap_top_approx(&s, &maxerr);
	check_ll("the largest bound of the notes", maxerr, 99999999999LL);
}

static void
test_states(void)
{
	static Snap s;

	snap_clear(&s);
	status(&s, "starting", "", NULL);
	check("starting is active", snap_active(&s));
	status(&s, "stopping", "", NULL);
	check("stopping is active", snap_active(&s));
	status(&s, "stopped", "", NULL);
	check("stopped is not active", !snap_active(&s));
	status(&s, "failed", "", NULL);
	check("failed is not active", !snap_active(&s));
	status(&s, NULL, "", "NaN");
	check("a NULL state is not active, a NaN uptime none", !snap_active(&s) && !s.has_uptime);
	snap_clear(&s);
	check("no status row: not active", !snap_active(&s));
}

static void
test_proto_rest(void)
{
	static Snap s;
	long long	packets,
				bytes;
	double		share;

	snap_clear(&s);
	stats(&s, "protocol", "A", "1000", "5000", "50", NULL);
	stats(&s, "protocol", "B", "10", "100", "1.5", NULL);
	stats(&s, "protocol", "C", NULL, "-7", NULL, NULL);
	stats(&s, "protocol", "D", "-5", NULL, "2.5", NULL);
	stats(&s, "protocol", "E", "20", "300", "-1", NULL);
	snap_proto_rest(&s, 1, &packets, &bytes, &share);
	/* B + E: negative and unknown counts count 0, shares add up */
	check_ll("the rest from B: packets 10 + 20", packets, 30);
	check_ll("the rest from B: bytes 100 + 300", bytes, 400);
	check_dbl("the rest from B: share 1.5 + 2.5 - 1", share, 3.0);
	snap_proto_rest(&s, 5, &packets, &bytes, &share);
	check("nothing left: zeros", packets == 0 && bytes == 0 && share == 0);

	/* counts near 2^63 from a server gone wrong: the sum holds at the max */
	snap_clear(&s);
	stats(&s, "protocol", "A", "1", "1", "1", NULL);
	stats(&s, "protocol", "B", "9223372036854775807", "9223372036854775807", NULL, NULL);
	stats(&s, "protocol", "C", "9223372036854775807", "1", NULL, NULL);
	snap_proto_rest(&s, 1, &packets, &bytes, &share);
	check_ll("2 x (2^63 - 1) packets: 2^63 - 1", packets, LLONG_MAX);
	check_ll("(2^63 - 1) + 1 bytes: 2^63 - 1", bytes, LLONG_MAX);
}

/* ------------------------------------------------------------------ */
/* live conversations                                                 */
/* ------------------------------------------------------------------ */

/*
 * One pkt_flows_live row of the interval at epoch (shown as 09:08:00):
 * UDP from src:40000 to 10.0.0.9:53, packets and bytes each way.
 */
static void
conv(Snap *s, const char *epoch, const char *src, long long p0, long long b0,
	 long long p1, long long b1)
{
	char		n[4][32];
	const char *f[FLOWS_NCOLS] = {"09:08:00", epoch, src, "10.0.0.9", "UDP", "40000", "53",
	n[0], n[1], n[2], n[3]};

	snprintf(n[0], sizeof(n[0]), "%lld", p0);
	snprintf(n[1], sizeof(n[1]), "%lld", b0);
	snprintf(n[2], sizeof(n[2]), "%lld", p1);
	snprintf(n[3], sizeof(n[3]), "%lld", b1);
	snap_add_flow_row(s, f, true);
}

static void
test_parse_flows(void)
{
	static Snap s;
	const char *tcp[FLOWS_NCOLS] = {"09:08:00", "1000", "10.0.0.1", "10.0.0.2", "TCP",
	"40000", "443", "12", "1400", "10", "5200"};
	const char *odd[FLOWS_NCOLS] = {NULL, "NaN", "bad\x1b[2J", NULL, NULL, NULL, "99999",
	NULL, "-5", "x", NULL};
	char		src[32];

	snap_clear(&s);
	check("a new snapshot: conversations not read", s.flows_state == SNAP_FLOWS_UNREAD &&
		  s.nflows == 0);
	snap_set_flows(&s, SNAP_FLOWS_READ, NULL, true);
	snap_add_flow_row(&s, tcp, true);
	snap_add_flow_row(&s, odd, true);
	check("flows: read, two rows", s.flows_state == SNAP_FLOWS_READ && s.nflows == 2);
	check_str("flows: the interval's start as shown", s.flows_from, "09:08:00");
	check("flows: the interval in seconds", s.has_flows_interval && s.flows_interval == 1000);
	check("flows: a TCP conversation", strcmp(s.flows[0].src, "10.0.0.1") == 0 &&
		  strcmp(s.flows[0].dst, "10.0.0.2") == 0 && strcmp(s.flows[0].proto, "TCP") == 0 &&
		  s.flows[0].has_src_port && s.flows[0].src_port == 40000 &&
		  s.flows[0].has_dst_port && s.flows[0].dst_port == 443);
	check("flows: its counts each way", s.flows[0].packets[0] == 12 && s.flows[0].bytes[0] == 1400 &&
		  s.flows[0].packets[1] == 10 && s.flows[0].bytes[1] == 5200 &&
		  s.flows[0].has_packets[0] && s.flows[0].has_bytes[1]);
	check_str("flows: controls in an address become spaces", s.flows[1].src, "bad [2J");
	check("flows: NULLs and words where numbers belong are none",
		  !s.flows[1].has_src_port && !s.flows[1].has_packets[0] && !s.flows[1].has_packets[1] &&
		  !s.flows[1].has_bytes[1] && s.flows[1].has_bytes[0] && s.flows[1].bytes[0] == -5 &&
		  s.flows[1].dst[0] == '\0' && s.flows[1].proto[0] == '\0');

	/* more rows than fit: the busiest 16 kept */
	snap_set_flows(&s, SNAP_FLOWS_READ, NULL, true);
	for (int i = 0; i < 40; i++)
	{
		snprintf(src, sizeof(src), "10.0.0.%d", i);
		conv(&s, i == 0 ? "NaN" : "1000", src, 1, 1, 0, 0);
	}
	check_ll("40 conversations: 16 kept", s.nflows, SNAP_MAX_FLOWS);
	check_str("... the first 16", s.flows[15].src, "10.0.0.15");
	check("a NaN interval on the first row: no interval", !s.has_flows_interval);

	snap_set_flows(&s, SNAP_FLOWS_MISSING, "1.5", true);
	check("missing: no conversations, the version kept", s.nflows == 0 &&
		  strcmp(s.flows_note, "1.5") == 0 && s.flows_from[0] == '\0');
	snap_set_flows(&s, SNAP_FLOWS_FAILED, "permission denied\n", true);
	check_str("failed: why, on one line", s.flows_note, "permission denied ");
}

/* A Flow from its text: ports given as numbers, -1 for none. */
static Flow
flow_of(const char *src, long long sport, const char *dst, long long dport, const char *proto)
{
	Flow		f;

	memset(&f, 0, sizeof(f));
	snprintf(f.src, sizeof(f.src), "%s", src);
	snprintf(f.dst, sizeof(f.dst), "%s", dst);
	snprintf(f.proto, sizeof(f.proto), "%s", proto);
	f.has_src_port = sport >= 0;
	f.src_port = sport;
	f.has_dst_port = dport >= 0;
	f.dst_port = dport;
	return f;
}

static void
test_flow_names(void)
{
	const char *v6a = "2001:0db8:0000:0000:0000:0000:0000:0002";
	const char *v6b = "2001:0db8:0000:0000:0000:0000:0000:0001";
	Flow		f;

	f = flow_of("10.0.0.1", 40000, "10.0.0.2", 443, "TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, INT_MAX, "~"), "10.0.0.1:40000 -> 10.0.0.2:443 TCP");
	/* 34 bytes in 34 columns: whole */
	FMT(snap_flow_name(buf, sizeof(buf), &f, 34, "~"), "10.0.0.1:40000 -> 10.0.0.2:443 TCP");
	f = flow_of("2001:db8::2", 55000, "2001:db8::1", 443, "TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, INT_MAX, "~"),
		"[2001:db8::2]:55000 -> [2001:db8::1]:443 TCP");
	f = flow_of("2001:db8::2", -1, "2001:db8::1", -1, "58");
	FMT(snap_flow_name(buf, sizeof(buf), &f, INT_MAX, "~"), "2001:db8::2 -> 2001:db8::1 58");
	f = flow_of("10.0.0.1", -1, "10.0.0.2", 53, "UDP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, INT_MAX, "~"), "10.0.0.1 -> 10.0.0.2:53 UDP");

	/*
	 * 100 bytes to 40: 22 are brackets, ports, arrow and protocol; the
	 * addresses 9 each: head 4, "~", tail 4
	 */
	f = flow_of(v6a, 55000, v6b, 443, "TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, 40, "~"), "[2001~0002]:55000 -> [2001~0001]:443 TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, 40, "\xe2\x80\xa6"),
		"[2001\xe2\x80\xa6" "0002]:55000 -> [2001\xe2\x80\xa6" "0001]:443 TCP");
	/* 67 bytes to 40: 20 fixed, the IPv4 address whole (8), the other 12 */
	f = flow_of("10.0.0.1", 40000, v6b, 443, "TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, 40, "~"), "10.0.0.1:40000 -> [2001:0~:0001]:443 TCP");
	f = flow_of(v6a, 40000, "10.0.0.2", 443, "TCP");
	FMT(snap_flow_name(buf, sizeof(buf), &f, 40, "~"), "[2001:0~:0002]:40000 -> 10.0.0.2:443 TCP");
	/* no room for the addresses: the rest as it is, the screen clips it */
	FMT(snap_flow_name(buf, sizeof(buf), &f, 10, "~"), "[]:40000 -> :443 TCP");
}

static void
test_flows_note(void)
{
	static Snap s;
	char		note[256];

	snap_clear(&s);
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: not read", note, "not read");
	status(&s, "running", "", "10");
	snap_set_flows(&s, SNAP_FLOWS_READ, NULL, true);
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: a running capture without conversations", note, "none yet");
	status(&s, "stopped", "", "10");
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: a capture that ended", note,
			  "none: only a running capture has live conversations");
	snap_set_flows(&s, SNAP_FLOWS_MISSING, "1.5", true);
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: pktcapture 1.5", note,
			  "conversations need pktcapture 1.6 (pkt_flows_live); this database has 1.5");
	snap_set_flows(&s, SNAP_FLOWS_MISSING, NULL, true);
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: no pktcapture at all", note,
			  "conversations need pktcapture 1.6 (pkt_flows_live)");
	snap_set_flows(&s, SNAP_FLOWS_FAILED, "permission denied for function pkt_flows_live", true);
	snap_flows_note(&s, note, sizeof(note));
	check_str("note: a failure", note,
			  "pkt_flows_live failed: permission denied for function pkt_flows_live");
}

/* ------------------------------------------------------------------ */
/* the model: rates between snapshots                                 */
/* ------------------------------------------------------------------ */

/* A running capture's snapshot with totals, and a 5 s rate if rate5. */
static const Snap *
totals(long long packets, long long bytes, const char *rate5_packets, const char *rate5_bytes)
{
	static Snap s;
	char		p[32],
				b[32];

	snprintf(p, sizeof(p), "%lld", packets);
	snprintf(b, sizeof(b), "%lld", bytes);
	snap_clear(&s);
	stats(&s, "total", "IP packets", p, b, NULL, NULL);
	if (rate5_packets)
		stats(&s, "rate", "last 5 s", rate5_packets, rate5_bytes, NULL, NULL);
	status(&s, "running", "", "10");
	return &s;
}

static double
last_pps(const Model *m)
{
	return m->hist_pps[MODEL_HISTORY - 1];
}

static double
last_bps(const Model *m)
{
	return m->hist_bps[MODEL_HISTORY - 1];
}

static void
test_model_rates(void)
{
	static Model m;
	static Snap s;

	model_init(&m, "lo");
	check("a new model: no snapshot, no samples, all NaN",
		  !m.have_snap && !m.stale && m.hist_n == 0 && isnan(m.hist_pps[0]) &&
		  isnan(last_bps(&m)) && strcmp(m.iface, "lo") == 0);

	/* the server's 5 s rate when it gives one: bits = bytes x 8 */
	model_update(&m, totals(1000, 20000, "2000", "468750"), 10.0, 0);
	check_dbl("the 5 s rate: 2000 pkt/s", last_pps(&m), 2000);
	check_dbl("the 5 s rate: 468750 B/s = 3750000 bit/s", last_bps(&m), 3750000);
	check_ll("one sample", m.hist_n, 1);
	check("a snapshot, not stale", m.have_snap && !m.stale && m.snap.total.packets == 1000);

	/* a capture that ended: nothing to chart, even with a rate */
	model_init(&m, "lo");
	snap_clear(&s);
	stats(&s, "rate", "last 5 s", "2000", "1000", NULL, NULL);
	status(&s, "stopped", "", "10");
	model_update(&m, &s, 1.0, 0);
	check("a stopped capture: NaN in the history", isnan(last_pps(&m)) && isnan(last_bps(&m)));
}

/* No rate from the server: the difference of the totals of two refreshes. */
static void
test_model_totals(void)
{
	static Model m;

	model_init(&m, "lo");
	model_update(&m, totals(1000, 200000, NULL, NULL), 10.0, 0);
	check("totals, first refresh: no rate yet", isnan(last_pps(&m)) && isnan(last_bps(&m)));
	model_update(&m, totals(3000, 600000, NULL, NULL), 12.0, 0);
	/* 2000 packets in 2 s; 400000 B x 8 / 2 s */
	check_dbl("totals 2 s apart: 1000 pkt/s", last_pps(&m), 1000);
	check_dbl("totals 2 s apart: 1600000 bit/s", last_bps(&m), 1600000);
	model_update(&m, totals(100, 1000, NULL, NULL), 13.0, 0);
	check("counters that went back (a new capture): no rate",
		  isnan(last_pps(&m)) && isnan(last_bps(&m)));
	model_update(&m, totals(400, 4000, NULL, NULL), 14.5, 0);
	/* 300 packets in 1.5 s; 3000 B x 8 / 1.5 s */
	check_dbl("then from the new counter: 200 pkt/s", last_pps(&m), 200);
	check_dbl("then from the new counter: 16000 bit/s", last_bps(&m), 16000);
	model_update(&m, totals(500, 5000, NULL, NULL), 14.5, 0);
	check("no time between two refreshes: no rate", isnan(last_pps(&m)));
	model_update(&m, totals(600, 6000, "7", NULL), 15.5, 0);
	/* a 5 s rate without bytes is no rate: 100 packets in 1 s */
	check_dbl("a 5 s rate without bytes: totals instead", last_pps(&m), 100);
	model_update(&m, totals(50, 7000, NULL, NULL), 16.0, 0);
	check("packets that went back, bytes that did not: no rate", isnan(last_pps(&m)));
	model_update(&m, totals(100, 100, NULL, NULL), 17.0, 0);
	check("bytes that went back, packets that did not: no rate", isnan(last_pps(&m)));
	check_ll("eight samples", m.hist_n, 8);
}

/* Counters past the bigint range, or negative, from a server gone wrong */
static void
test_model_wrap(void)
{
	static Model m;

	model_init(&m, "lo");
	model_update(&m, totals(LLONG_MAX - 10, LLONG_MAX - 10, NULL, NULL), 1.0, 0);
	model_update(&m, totals(LLONG_MIN + 5, LLONG_MIN + 5, NULL, NULL), 2.0, 0);
	check("a counter that wrapped: no rate", isnan(last_pps(&m)) && isnan(last_bps(&m)));
	model_update(&m, totals(-5, 0, NULL, NULL), 3.0, 0);
	model_update(&m, totals(10, 10, NULL, NULL), 4.0, 0);
	check("after a negative count: no rate", isnan(last_pps(&m)));
	model_init(&m, "lo");
	model_update(&m, totals(0, LLONG_MIN, NULL, NULL), 1.0, 0);
	model_update(&m, totals(10, LLONG_MAX, NULL, NULL), 2.0, 0);
	/* 2^64 - 1 bytes in 1 s: 2^64 as a double, x 8 bits = 2^67 */
	check_dbl("bytes from -2^63 to 2^63 - 1 in 1 s: 2^67 bit/s", last_bps(&m), ldexp(1, 67));
	check_dbl("... and 10 pkt/s", last_pps(&m), 10);
}

static void
test_model_history(void)
{
	static Model m;
	char		r[32];

	model_init(&m, "lo");
	for (int i = 0; i < MODEL_HISTORY + 3; i++)
	{
		snprintf(r, sizeof(r), "%d", i);
		model_update(&m, totals(0, 0, r, "1"), i, 0);
	}
	/* 515 samples 0..514 in 512 places: 3..514 */
	check_ll("the history holds 512 samples", m.hist_n, MODEL_HISTORY);
	check_dbl("the newest last", last_pps(&m), MODEL_HISTORY + 2);
	check_dbl("the oldest kept first", m.hist_pps[0], 3);
}

static void
test_model_failures(void)
{
	static Model m;
	static Snap gone;
	char		long_why[1000];

	model_init(&m, "lo");
	/* 1700000000 is 2023-11-14 22:13:20 UTC */
	model_update(&m, totals(1000, 2000, NULL, NULL), 10.0, 1700000000);
	check_str("the time of the last good refresh", m.fetched_at, "22:13:20");

	model_fail(&m, "lost the server: gone", 1700000005);
	check("a failed refresh: stale, the last snapshot kept",
		  m.stale && m.have_snap && m.snap.total.packets == 1000);
	check_str("... and why", m.errmsg, "lost the server: gone");
	check_ll("... since when", (long long) m.err_since, 1700000005);
	check("... a NaN sample", m.hist_n == 2 && isnan(last_pps(&m)));
	model_fail(&m, "cannot reach the server: refused", 1700000006);
	check_ll("a second failure keeps the first one's time", (long long) m.err_since, 1700000005);
	check_str("... with the newest reason", m.errmsg, "cannot reach the server: refused");

	model_update(&m, totals(3000, 4000, NULL, NULL), 13.0, 1700000008);
	check("back: not stale, no message", !m.stale && m.errmsg[0] == '\0');
	check("back: no rate across the gap", isnan(last_pps(&m)));
	model_update(&m, totals(3500, 4500, NULL, NULL), 14.0, 1700000009);
	check_dbl("back: a rate at the next refresh, 500 pkt/s", last_pps(&m), 500);

	/* the capture disappears: pkt_stats and pkt_status return no row */
	snap_clear(&gone);
	model_update(&m, &gone, 15.0, 1700000010);
	check("a capture that disappeared: a snapshot without statistics",
		  m.have_snap && !m.stale && !m.snap.has_stats && !m.snap.has_status);
	check("... nothing to chart", isnan(last_pps(&m)));

	memset(long_why, 'x', sizeof(long_why) - 1);
	long_why[sizeof(long_why) - 1] = '\0';
	model_fail(&m, long_why, 1700000011);
	check_ll("a long reason is cut to the message", (long long) strlen(m.errmsg), MODEL_ERR_LEN - 1);
}

/* A running capture's snapshot whose conversations are read, none yet. */
static Snap *
live_flows(void)
{
	static Snap s;

	snap_clear(&s);
	stats(&s, "total", "IP packets", "1346", "297000", NULL, NULL);
	status(&s, "running", "", "10");
	snap_set_flows(&s, SNAP_FLOWS_READ, NULL, true);
	return &s;
}

/* Conversation a's counts at t: p packets of 100 bytes, none back. */
static void
conv_at(Model *m, double t, const char *epoch, const char *a, long long p)
{
	Snap	   *s = live_flows();

	conv(s, epoch, a, p, p * 100, 0, 0);
	model_update(m, s, t, 0);
}

static void
test_model_flow_rates(void)
{
	static Model m;
	Snap	   *s;
	const long long p[] = {0, 10, 20, 30, 40, 50};

	model_init(&m, "lo");
	conv_at(&m, 10.0, "1000", "10.0.0.1", 100);
	check("a conversation's first refresh: no rate", !m.flow_rate[0].has);
	s = live_flows();
	conv(s, "1000", "10.0.0.1", 300, 30000, 150, 15000);
	model_update(&m, s, 11.0, 0);
	/* each way: 200 and 150 packets, 20000 and 15000 B, in 1 s */
	check("1 s later: a rate", m.flow_rate[0].has);
	check_dbl("... 200 + 150 packets in 1 s: 350 pkt/s", m.flow_rate[0].pps, 350);
	check_dbl("... (20000 + 15000) B x 8 in 1 s: 280000 bit/s", m.flow_rate[0].bps, 280000);

	/* the oldest refresh at most 5.5 s old is the base */
	model_init(&m, "lo");
	for (int i = 0; i < 6; i++)
		conv_at(&m, 10.0 + i, "1000", "10.0.0.1", p[i]);
	conv_at(&m, 16.0, "1000", "10.0.0.1", 1000);
	/* the refresh at 10 is 6 s old: from 11 on, 990 packets in 5 s */
	check_dbl("5 s back: 990 packets in 5 s, 198 pkt/s", m.flow_rate[0].pps, 198);
	check_dbl("... 99000 B x 8 / 5 s = 158400 bit/s", m.flow_rate[0].bps, 158400);

	/* a new interval starts from 0: no rate until its second refresh */
	conv_at(&m, 17.0, "1060", "10.0.0.1", 5);
	check("a new interval: no rate", !m.flow_rate[0].has);
	conv_at(&m, 18.0, "1060", "10.0.0.1", 25);
	check_dbl("its second refresh: 20 pkt/s", m.flow_rate[0].pps, 20);
	conv_at(&m, 19.0, "1060", "10.0.0.1", 3);
	check("counts that went back (a new capture): no rate", !m.flow_rate[0].has);
	conv_at(&m, 20.0, "1060", "10.0.0.1", 4);
	check_dbl("then from the new counts: 1 pkt/s", m.flow_rate[0].pps, 1);
	conv_at(&m, 20.0, "1060", "10.0.0.1", 8);
	/* not from 5 at 17 s: the counts went back at 19 s */
	check_dbl("no time since the last refresh: from 3 at 19 s, 5 pkt/s",
			  m.flow_rate[0].pps, 5);

	/* another order, a newcomer, two alike, a count unknown */
	s = live_flows();
	conv(s, "1060", "10.0.0.2", 1, 1, 0, 0);
	conv(s, "1060", "10.0.0.1", 10, 1000, 0, 0);
	model_update(&m, s, 21.0, 0);
	check("a newcomer: no rate", !m.flow_rate[0].has);
	check_dbl("the one before, second now: from 3 at 19 s, 3.5 pkt/s", m.flow_rate[1].pps, 3.5);
	s = live_flows();
	conv(s, "1060", "10.0.0.1", 20, 2000, 0, 0);
	conv(s, "1060", "10.0.0.1", 30, 3000, 0, 0);
	model_update(&m, s, 22.0, 0);
	check("two alike (two VLANs): no rate for either",
		  !m.flow_rate[0].has && !m.flow_rate[1].has);
	s = live_flows();
	{
		const char *f[FLOWS_NCOLS] = {"09:08:00", "1060", "10.0.0.2", "10.0.0.9", "UDP",
		"40000", "53", "5", "500", NULL, "0"};

		snap_add_flow_row(s, f, true);
	}
	model_update(&m, s, 23.0, 0);
	check("a count the server did not give: no rate", !m.flow_rate[0].has);

	/* a failed pkt_flows_live: no rates; a long pause: none either */
	s = live_flows();
	snap_set_flows(s, SNAP_FLOWS_FAILED, "permission denied", true);
	model_update(&m, s, 24.0, 0);
	check("conversations not read: no rate", !m.flow_rate[0].has && !m.flow_rate[1].has);
	conv_at(&m, 40.0, "1060", "10.0.0.1", 100);
	check("16 s after the last refresh that had it: no rate", !m.flow_rate[0].has);
	check_ll("8 refreshes kept", m.flow_past_n, MODEL_FLOW_PAST);
}

/* ------------------------------------------------------------------ */
/* the plain view                                                     */
/* ------------------------------------------------------------------ */

/* What a view function printed, read back from a temporary file. */
static const char *
printed(void (*print) (FILE *f, const Model *m), const Model *m)
{
	static char out[8192];
	FILE	   *f = tmpfile();
	size_t		n;

	if (f == NULL)
		return "(no temporary file)";
	print(f, m);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static void
print_final(FILE *f, const Model *m)
{
	plain_final(f, m, "Final statistics");
}

static void
print_snapshot(FILE *f, const Model *m)
{
	plain_snapshot(f, m, 3661);	/* 01:01:01 UTC */
}

/* A stopped capture with a little of everything. */
static void
stopped_capture(Model *m)
{
	static Snap s;
	const char *st[STATUS_NCOLS] = {"stopped", "live", "udp", NULL, NULL, "03:00:00",
	"03:01:02", "62", NULL};

	snap_clear(&s);
	stats(&s, "total", "IP packets", "13560", "3100000", NULL, NULL);
	stats(&s, "rate", "last 5 s", "2000", "125000", NULL, NULL);
	stats(&s, "rate", "since start", "1900", "437500", NULL, NULL);
	stats(&s, "protocol", "UDP", "12000", "2800000", "88.5", NULL);
	stats(&s, "protocol", "TCP", "1560", "300000", "11.5", NULL);
	stats(&s, "top_source", "127.77.1.2", "5899", "1400000", "43.5", NULL);
	stats(&s, "top_source", "10.0.0.4", "100", "20000", "0.7",
		  "approximate: at most 12 packets too many");
	stats(&s, "capture", "frames seen", "13560", NULL, NULL, NULL);
	stats(&s, "loss", "kernel dropped", "0", NULL, NULL, NULL);
	stats(&s, "loss", "truncated", "3", NULL, NULL, NULL);
	snap_set_status(&s, st, true);
	model_init(m, "lo");
	model_update(m, &s, 1.0, 0);
}

static void
test_plain(void)
{
	static Model m;

	stopped_capture(&m);
	/*
	 * Columns: two spaces, the item padded to 22, then packets, bytes and
	 * share right-aligned in 13, 16 and 7 after a space each.
	 */
	check_str("the final statistics", printed(print_final, &m),
			  "\n"
			  "Final statistics for lo (stopped, ran 0:01:02, filter \"udp\"):\n"
			  "\n"
			  "  total                        packets            bytes   share\n"
			  "  IP packets                    13,560        3,100,000\n"
			  "  rate since start         1.9 k pkt/s       3.5 Mbit/s\n"
			  "  rate last 5 s            2.0 k pkt/s       1.0 Mbit/s\n"
			  "\n"
			  "  protocol\n"
			  "  UDP                           12,000        2,800,000   88.5%\n"
			  "  TCP                            1,560          300,000   11.5%\n"
			  "\n"
			  "  top sources\n"
			  "  127.77.1.2                     5,899        1,400,000   43.5%\n"
			  "  10.0.0.4                         100           20,000    0.7%"
			  "  approximate: at most 12 packets too many\n"
			  "\n"
			  "  top destinations\n"
			  "\n"
			  "  capture\n"
			  "  frames seen                   13,560\n"
			  "\n"
			  "  loss (NOT ZERO)\n"
			  "  kernel dropped                     0\n"
			  "  truncated                          3\n");
	check_str("a snapshot", printed(print_snapshot, &m),
			  "-- 01:01:01  lo  stopped  up 0:01:02 --\n"
			  "   total      13,560 packets, 3.1 MB\n"
			  "   rate       last 5 s 2.0 k pkt/s, 1.0 Mbit/s; since start 1.9 k pkt/s, 3.5 Mbit/s\n"
			  "   protocol   UDP 12,000 (88.5%), TCP 1,560 (11.5%)\n"
			  "   top src    127.77.1.2 5,899, 10.0.0.4 ~100\n"
			  "   top dst    -\n"
			  "   capture    frames seen 13,560\n"
			  "   loss       truncated 3\n");

}

/* A name of 47 bytes widens the item column to 39, not more. */
static void
test_plain_long_names(void)
{
	static Model m;
	static Snap s;
	char		name[64];

	snap_clear(&s);
	stats(&s, "total", "IP packets", "6", NULL, NULL, NULL);
	stats(&s, "rate", "since start", "1", "10", NULL, NULL);
	stats(&s, "top_source", "host-1.example.with.a.rather.very.long.name.org", "1", "10", "16.7", NULL);
	for (int i = 2; i <= 6; i++)
	{
		snprintf(name, sizeof(name), "host-%d.example.with.a.long.name.org", i);
		stats(&s, "top_source", name, "1", "10", "16.7", NULL);
	}
	model_init(&m, "lo");
	model_update(&m, &s, 1.0, 0);
	check_str("a long name widens the final table to 39 columns", printed(print_final, &m),
			  "\nFinal statistics for lo:\n\n"
			  "  total                                         packets            bytes   share\n"
			  "  IP packets                                          6\n"
			  "  rate since start                              1 pkt/s         80 bit/s\n"
			  "\n  protocol\n"
			  "  (no IP packets)\n"
			  "\n  top sources\n"
			  "  host-1.example.with.a.rather.very.long.name.org             1               10   16.7%\n"
			  "  host-2.example.with.a.long.name.org                 1               10   16.7%\n"
			  "  host-3.example.with.a.long.name.org                 1               10   16.7%\n"
			  "  host-4.example.with.a.long.name.org                 1               10   16.7%\n"
			  "  host-5.example.with.a.long.name.org                 1               10   16.7%\n"
			  "  host-6.example.with.a.long.name.org                 1               10   16.7%\n"
			  "\n  top destinations\n"
			  "\n  capture\n"
			  "\n  loss\n");
	check_str("a snapshot: the rate since start alone, 5 of 6 sources", printed(print_snapshot, &m),
			  "-- 01:01:01  lo  no capture  up - --\n"
			  "   total      6 packets, 0 B\n"
			  "   rate       since start 1 pkt/s, 80 bit/s\n"
			  "   protocol   -\n"
			  "   top src    host-1.example.with.a.rather.very.long.name.org 1,"
			  " host-2.example.with.a.long.name.org 1,"
			  " host-3.example.with.a.long.name.org 1,"
			  " host-4.example.with.a.long.name.org 1,"
			  " host-5.example.with.a.long.name.org 1\n"
			  "   top dst    -\n"
			  "   capture   \n"
			  "   loss       none\n");
}

/* The server away, the capture gone */
static void
test_plain_no_statistics(void)
{
	static Model m;

	stopped_capture(&m);
	model_fail(&m, "lost the server: terminated", 0);
	check_str("a snapshot while the server is away", printed(print_snapshot, &m),
			  "01:01:01 lo: lost the server: terminated\n");

	model_init(&m, "eth9");
	{
		static Snap none;

		snap_clear(&none);
		model_update(&m, &none, 1.0, 0);
	}
	check_str("a snapshot of no capture", printed(print_snapshot, &m),
			  "-- 01:01:01  eth9  no capture  up - --\n"
			  "   no statistics for \"eth9\"\n");
	check_str("the final statistics of no capture", printed(print_final, &m),
			  "\nFinal statistics for eth9:\n\n"
			  "  no statistics for \"eth9\" on this server\n");
}

/* A snapshot of live_flows() whose conversations print as conv. */
static void
check_flows_snapshot(const char *what, const Model *m, const char *conv_lines)
{
	char		want[2048];

	snprintf(want, sizeof(want),
			 "-- 01:01:01  lo  running  up 0:00:10 --\n"
			 "   total      1,346 packets, 297 kB\n"
			 "   protocol   -\n"
			 "   top src    -\n"
			 "   top dst    -\n"
			 "%s"
			 "   capture   \n"
			 "   loss       none\n", conv_lines);
	check_str(what, printed(print_snapshot, m), want);
}

/* The live conversations in a snapshot, with a rate from the one before. */
static void
test_plain_flows(void)
{
	static Model m;
	Snap	   *s;
	const char *v6[FLOWS_NCOLS] = {"09:08:00", "1000", "2001:db8::2", "2001:db8::1", "TCP",
	"55000", "443", "12", "1400", "10", "5200"};
	const char *icmp[FLOWS_NCOLS] = {"09:08:00", "1000", "10.0.0.1", "10.0.0.2", "1",
	NULL, NULL, "100", "8400", NULL, "0"};
	const char *udp[FLOWS_NCOLS] = {"09:08:00", "1000", "127.77.1.2", "127.77.2.2", "UDP",
	"40001", "45220", "100", "20000", "0", "0"};

	model_init(&m, "lo");
	s = live_flows();
	snap_add_flow_row(s, udp, true);
	model_update(&m, s, 1.0, 0);
	s = live_flows();
	udp[FLOWS_PACKETS] = "1234";
	udp[FLOWS_BYTES] = "290000";
	snap_add_flow_row(s, udp, true);
	snap_add_flow_row(s, v6, true);
	snap_add_flow_row(s, icmp, true);
	model_update(&m, s, 2.0, 0);
	/*
	 * 1134 packets and 270000 B in 1 s: 1.1 k pkt/s, 2160000 bit/s; the
	 * others are new: no rate
	 */
	check_flows_snapshot("a snapshot with conversations", &m,
						 "   top conv    interval from 09:08:00\n"
						 "               127.77.1.2:40001 -> 127.77.2.2:45220 UDP"
						 "  -> 1,234 pkt 290 kB  <- 0 pkt 0 B  1.1 k pkt/s, 2.2 Mbit/s\n"
						 "               [2001:db8::2]:55000 -> [2001:db8::1]:443 TCP"
						 "  -> 12 pkt 1.4 kB  <- 10 pkt 5.2 kB\n"
						 "               10.0.0.1 -> 10.0.0.2 1  -> 100 pkt 8.4 kB  <- - pkt 0 B\n");

	model_update(&m, live_flows(), 3.0, 0);
	check_flows_snapshot("a running capture without conversations yet", &m,
						 "   top conv    none yet\n");
	s = live_flows();
	snap_set_flows(s, SNAP_FLOWS_MISSING, "1.5", true);
	model_update(&m, s, 4.0, 0);
	check_flows_snapshot("pktcapture 1.5: the rest, and what conversations need", &m,
						 "   top conv    conversations need pktcapture 1.6 (pkt_flows_live);"
						 " this database has 1.5\n");
	s = live_flows();
	snap_set_flows(s, SNAP_FLOWS_FAILED, "permission denied for function pkt_flows_live", true);
	model_update(&m, s, 5.0, 0);
	check_flows_snapshot("pkt_flows_live failed: the rest, and why", &m,
						 "   top conv    pkt_flows_live failed:"
						 " permission denied for function pkt_flows_live\n");
}

int
main(void)
{
	/* in order with a sanitizer's report, which goes to stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("TZ", "UTC", 1);		/* for the times the model and the views print */
	tzset();
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		check("the C.UTF-8 locale (for display widths)", false);
	test_counts();
	test_rates_shares_durations();
	test_sanitize();
	test_text();
	test_parse_numbers();
	test_parse_rows();
	test_parse_odd_rows();
	test_parse_too_many_rows();
	test_parse_hostile_names();
	test_top_approx();
	test_states();
	test_proto_rest();
	test_parse_flows();
	test_flow_names();
	test_flows_note();
	test_model_rates();
	test_model_totals();
	test_model_wrap();
	test_model_history();
	test_model_failures();
	test_model_flow_rates();
	test_plain();
	test_plain_long_names();
	test_plain_no_statistics();
	test_plain_flows();
	printf("test_pktop: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
