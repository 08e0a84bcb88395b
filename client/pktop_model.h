/*
 * pktop_model.h: what the views draw: the last good snapshot, whether the
 * last refresh failed and why, a packets/s and bits/s history, and the
 * rates of the live conversations.  No clock is read here: callers pass
 * the times, so tests choose them.
 */
#ifndef PKTOP_MODEL_H
#define PKTOP_MODEL_H

#include <stdbool.h>
#include <time.h>

#include "pktop_snap.h"

#define MODEL_HISTORY	512
#define MODEL_ERR_LEN	512

/*
 * A conversation's rate is taken over the last 5 s or so (a refresh of
 * that age, or the oldest kept): the worker publishes its counts 4 times
 * a second, so a rate over 1 s would jitter by up to a quarter.
 */
#define MODEL_FLOW_WINDOW	5.5 /* seconds */
#define MODEL_FLOW_PAST		8	/* refreshes kept */

/* A conversation's rate, both ways together; has: known */
typedef struct FlowRate
{
	bool		has;
	double		pps;
	double		bps;
} FlowRate;

/* The conversations of one refresh, kept for the rates of later ones */
typedef struct FlowPast
{
	double		t;
	double		interval;		/* Snap.flows_interval */
	int			n;
	Flow		flows[SNAP_MAX_FLOWS];
} FlowPast;

typedef struct Model
{
	const char *iface;			/* the capture shown */
	Snap		snap;			/* last good snapshot */
	bool		have_snap;
	bool		stale;			/* the last refresh failed */
	char		errmsg[MODEL_ERR_LEN];	/* why, for the message line */
	time_t		err_since;
	char		fetched_at[16];	/* local time of the last good refresh */

	/* one sample a refresh, oldest first, NAN where unknown */
	double		hist_pps[MODEL_HISTORY];
	double		hist_bps[MODEL_HISTORY];
	int			hist_n;			/* samples taken, at most MODEL_HISTORY */

	/* the totals of the last refresh, for a rate when the server gives none */
	long long	prev_packets;	/* -1: none to compare with */
	long long	prev_bytes;
	double		prev_t;

	/* the rates of snap.flows, index by index */
	FlowRate	flow_rate[SNAP_MAX_FLOWS];
	FlowPast	flow_past[MODEL_FLOW_PAST]; /* oldest first */
	int			flow_past_n;
} Model;

extern void model_init(Model *m, const char *iface);
extern void model_update(Model *m, const Snap *fresh, double t, time_t now);
extern void model_fail(Model *m, const char *why, time_t now);

#endif							/* PKTOP_MODEL_H */
