/*
 * pktop_format.h: numbers, rates, durations and server text made fit for
 * a terminal cell.  No curses, no libpq: test_pktop.c checks all of it.
 */
#ifndef PKTOP_FORMAT_H
#define PKTOP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/* Numbers: every function writes at most len bytes, NUL included. */
typedef void (*FmtInt) (char *buf, size_t len, long long v);

extern void fmt_si(char *buf, size_t len, double v, const char *unit);
extern void fmt_exact(char *buf, size_t len, long long v);
extern void fmt_total(char *buf, size_t len, long long v);
extern void fmt_count(char *buf, size_t len, long long v);
extern void fmt_bytes(char *buf, size_t len, long long v);
extern void fmt_bits_rate(char *buf, size_t len, long long bytes_per_s);
extern void fmt_pkt_rate(char *buf, size_t len, double pps);
extern void fmt_share(char *buf, size_t len, bool has, double share);
extern void fmt_duration(char *buf, size_t len, bool has, double secs);
extern void fmt_or_dash(char *buf, size_t len, bool has, long long v, FmtInt fmt);

/* Text */
extern void fmt_sanitize(char *dst, size_t len, const char *src, bool utf8);
extern void fmt_rstrip(char *s);
extern void fmt_shorten(char *dst, size_t len, const char *src, int w, const char *mark);
extern int	fmt_width(const char *s);

#endif							/* PKTOP_FORMAT_H */
