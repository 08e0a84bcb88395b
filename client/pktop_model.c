/*
 * pktop_model.c: one refresh folded into what the views draw.
 *
 * t is a monotonic clock in seconds (for rates), now the wall clock (for
 * the times shown).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pktop_model.h"

void
model_init(Model *m, const char *iface)
{
	memset(m, 0, sizeof(*m));
	m->iface = iface;
	for (int i = 0; i < MODEL_HISTORY; i++)
		m->hist_pps[i] = m->hist_bps[i] = NAN;
	m->prev_packets = -1;
	m->prev_bytes = -1;
}

static void
hist_push(Model *m, double pps, double bps)
{
	memmove(m->hist_pps, m->hist_pps + 1, sizeof(double) * (MODEL_HISTORY - 1));
	memmove(m->hist_bps, m->hist_bps + 1, sizeof(double) * (MODEL_HISTORY - 1));
	m->hist_pps[MODEL_HISTORY - 1] = pps;
	m->hist_bps[MODEL_HISTORY - 1] = bps;
	if (m->hist_n < MODEL_HISTORY)
		m->hist_n++;
}

/*
 * now - before, for now >= before, computed in unsigned: with a negative
 * before (a server gone wrong) it may be past LLONG_MAX.
 */
static double
difference(long long now, long long before)
{
	return (double) ((unsigned long long) now - (unsigned long long) before);
}

/*
 * The rates to chart for a fresh snapshot taken at t: the server's 5 s
 * rate, as in the table (the counters move 4 times a second, so a 1 s
 * difference of totals would jitter); the difference of totals since the
 * last refresh only when the server gives no rate, and none across a
 * counter that went back (a new capture of the same name).  NAN when
 * unknown, and once the capture has ended: nothing to chart then.
 */
static void
chart_rates(Model *m, const Snap *fresh, double t, double *pps, double *bps)
{
	*pps = *bps = NAN;
	if (fresh->has_rate5 && fresh->rate5.has_packets && fresh->rate5.has_bytes)
	{
		*pps = (double) fresh->rate5.packets;
		*bps = (double) fresh->rate5.bytes * 8.0;
	}
	if (fresh->has_total && fresh->total.has_packets && fresh->total.has_bytes)
	{
		long long	p = fresh->total.packets,
					b = fresh->total.bytes;

		if (isnan(*pps) && m->prev_packets >= 0 && p >= m->prev_packets &&
			b >= m->prev_bytes && t > m->prev_t)
		{
			*pps = difference(p, m->prev_packets) / (t - m->prev_t);
			*bps = difference(b, m->prev_bytes) * 8.0 / (t - m->prev_t);
		}
		m->prev_packets = p;
		m->prev_bytes = b;
		m->prev_t = t;
	}
	if (!snap_active(fresh))
		*pps = *bps = NAN;
}

/* A refresh that read fresh at t (monotonic) and now (wall clock). */
void
model_update(Model *m, const Snap *fresh, double t, time_t now)
{
	double		pps,
				bps;
	struct tm	tm;

	chart_rates(m, fresh, t, &pps, &bps);
	hist_push(m, pps, bps);
	m->snap = *fresh;
	m->have_snap = true;
	m->stale = false;
	m->errmsg[0] = '\0';
	localtime_r(&now, &tm);
	strftime(m->fetched_at, sizeof(m->fetched_at), "%H:%M:%S", &tm);
}

/* A refresh that failed: keep the last snapshot, mark it stale, say why. */
void
model_fail(Model *m, const char *why, time_t now)
{
	if (!m->stale)
		m->err_since = now;
	m->stale = true;
	snprintf(m->errmsg, sizeof(m->errmsg), "%s", why);
	hist_push(m, NAN, NAN);
	m->prev_packets = -1;
}
