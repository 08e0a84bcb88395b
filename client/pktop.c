/*
 * pktop: the live terminal view of a pktcapture capture.
 *
 *   pktop [-i INTERFACE] [-n] [--no-stop] [--duration SECONDS]
 *         [--start INTERFACE [--filter BPF]]
 *
 * Connects with the standard libpq environment (PGHOST, PGPORT,
 * PGDATABASE, PGUSER, PGPASSWORD, ...), reads pkt_stats() and pkt_status()
 * once a second and draws them full screen with ncurses: totals and rates,
 * protocols with bars, the top 5 sources and destinations, the capture and
 * loss counters (highlighted when non-zero), and a packets/s history when
 * the terminal has room.  q or Ctrl+C stops the capture (pkt_stop), leaves
 * the full screen and prints the final statistics on stdout.
 *
 * When stdout is not a terminal, or with -n, it prints a plain-text
 * snapshot every second instead, for logs and CI.
 *
 * This file holds the command line and the loop.  The queries are in
 * pktop_db.c, what they return is read by pktop_snap.c into the Model of
 * pktop_model.c; pktop_tui.c (its panels in pktop_panels.c, curses in
 * pktop_screen.c) and pktop_plain.c draw it, with the numbers and text
 * of pktop_format.c.
 */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktop_db.h"
#include "pktop_model.h"
#include "pktop_plain.h"
#include "pktop_tui.h"

#define PKTOP_VERSION "1.0"

typedef struct Options
{
	const char *iface;
	const char *start;
	const char *filter;
	bool		plain;
	bool		no_stop;
	double		duration;		/* 0: until q or a signal */
} Options;

static Options opt;
static volatile sig_atomic_t got_signal;
static bool utf8;
static bool tui;				/* the full-screen view, not plain text */
static PGconn *conn;
static Model model;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: pktop [OPTION]...\n"
			"The live terminal view of a pktcapture capture.\n\n"
			"  -i, --interface NAME   the capture to show (default: the one running)\n"
			"      --start NAME       start a capture on NAME first (pkt_start)\n"
			"      --filter BPF       its BPF filter, with --start\n"
			"  -n, --plain            plain text, one snapshot a second (the default\n"
			"                         when stdout is not a terminal)\n"
			"      --no-stop          leave the capture running when quitting\n"
			"      --duration SECS    quit by itself after SECS seconds, as q does\n"
			"  -h, --help             this help\n"
			"      --version          the version\n\n"
			"Connects as libpq does: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD...\n"
			"Keys: q (or Ctrl+C) stops the capture, prints the final statistics and\n"
			"quits; d quits and leaves the capture running; space refreshes now.\n"
			"NO_COLOR=1 turns colors off.\n");
}

static void
die(const char *fmt,...)
	__attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt,...)
{
	va_list		ap;

	if (tui)
		tui_end();
	fprintf(stderr, "pktop: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (conn)
		PQfinish(conn);
	exit(1);
}

static double
parse_duration(const char *arg)
{
	char	   *end;
	double		d = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(d > 0) || d > 1e9)
		die("--duration wants a positive number of seconds, not \"%s\"", arg);
	return d;
}

/* The options into opt; exits for --help, --version and usage errors. */
static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"plain", no_argument, NULL, 'n'},
		{"no-stop", no_argument, NULL, 'S'},
		{"duration", required_argument, NULL, 'D'},
		{"start", required_argument, NULL, 's'},
		{"filter", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	while ((c = getopt_long(argc, argv, "i:nh", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'i':
				opt.iface = optarg;
				break;
			case 'n':
				opt.plain = true;
				break;
			case 'S':
				opt.no_stop = true;
				break;
			case 'D':
				opt.duration = parse_duration(optarg);
				break;
			case 's':
				opt.start = optarg;
				break;
			case 'f':
				opt.filter = optarg;
				break;
			case 'h':
				usage(stdout);
				exit(0);
			case 'V':
				printf("pktop %s\n", PKTOP_VERSION);
				exit(0);
			default:
				usage(stderr);
				exit(2);
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "pktop: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (opt.filter && !opt.start)
		die("--filter goes with --start INTERFACE");
}

/* The capture to show: -i, --start's, or the single running one. */
static const char *
choose_capture(void)
{
	static LiveCaptures live;
	char		err[4096];

	if (opt.iface)
		return opt.iface;
	if (opt.start)
		return opt.start;
	if (!db_live_captures(conn, &live, err, sizeof(err)))
		die("%s", err);
	if (live.nlive == 0)
		die("no capture is running: start one with pktop --start IFACE [--filter BPF]\n"
			"       or SELECT pkt_start('IFACE'); -i IFACE shows one that ended");
	if (live.nlive > 1)
		die("%d captures are running (%s): choose one with -i", live.nlive, live.names);
	return live.first;
}

/* Connects, starts the capture if asked to, and picks the one to show. */
static const char *
connect_and_start(void)
{
	char		err[4096];

	conn = db_connect(err, sizeof(err));
	if (conn == NULL)
		die("cannot connect to the database: %s", err);
	if (opt.start)
	{
		if (!db_start(conn, opt.start, opt.filter, err, sizeof(err)))
			die("%s", err);
		fprintf(stderr, "pktop: capture started on %s%s%s\n", opt.start,
				opt.filter ? " with filter " : "", opt.filter ? opt.filter : "");
	}
	return choose_capture();
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* no SA_RESTART: wake up the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Full screen unless asked for plain text or not on a usable terminal. */
static bool
want_tui(void)
{
	const char *term = getenv("TERM");

	if (opt.plain || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return false;
	return term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

/* One refresh: read the server into the model, or note why not. */
static void
refresh_model(void)
{
	static Snap fresh;
	char		why[MODEL_ERR_LEN];
	double		t = now_mono();

	if (db_fetch(conn, model.iface, utf8, &fresh, why, sizeof(why)))
		model_update(&model, &fresh, t, time(NULL));
	else
		model_fail(&model, why, time(NULL));
}

static void
show(void)
{
	if (tui)
		tui_draw(&model);
	else
		plain_snapshot(stdout, &model, time(NULL));
}

/* How long to wait at t for the next refresh at next, or the end. */
static int
wait_ms(double t, double next, double t0)
{
	int			ms = (int) ((next - t) * 1000) + 1;

	if (opt.duration > 0 && (t0 + opt.duration - t) * 1000 < ms)
		ms = (int) ((t0 + opt.duration - t) * 1000) + 1;
	if (ms > 200)
		ms = 200;				/* signals are seen within 200 ms */
	return ms;
}

/*
 * Waits up to ms for a key (or, in plain text, just waits).  False when
 * it is time to quit; *detach when the capture is to keep running.
 */
static bool
wait_key(int ms, double t, double *next, bool *detach)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	if (!tui)
	{
		nanosleep(&ts, NULL);
		return true;
	}
	switch (tui_wait_key(ms))
	{
		case TUI_QUIT:
			return false;
		case TUI_DETACH:
			if (opt.no_stop)
				break;			/* q leaves the capture running already */
			*detach = true;
			return false;
		case TUI_REFRESH:
			*next = t;
			break;
		case TUI_RESIZE:
			tui_draw(&model);
			break;
		case TUI_NONE:
			break;
	}
	return true;
}

/*
 * Refreshes once a second until q, d, a signal or --duration.  True
 * when the user detached (d).
 */
static bool
run(void)
{
	double		t0 = now_mono(),
				next = t0;
	bool		detach = false;

	while (!got_signal)
	{
		double		t = now_mono();

		if (opt.duration > 0 && t - t0 >= opt.duration)
			break;
		if (t >= next)
		{
			refresh_model();
			show();
			next += 1.0;
			if (next <= t)
				next = t + 1.0;
			continue;
		}
		if (!wait_key(wait_ms(t, next, t0), t, &next, &detach))
			break;
	}
	return detach;
}

/*
 * The end: stop the capture unless it is to keep running, read the
 * statistics once more and print them.  The exit status.
 */
static int
finish(bool detach)
{
	bool		ok = true;
	char		err[4096];

	if (opt.no_stop || detach)
	{
		refresh_model();
		if (model.stale)
		{
			fprintf(stderr, "pktop: %s\n", model.errmsg);
			ok = false;
		}
		plain_final(stdout, &model, "Statistics (the capture keeps running)");
		fprintf(stderr, "pktop: the capture on %s keeps running: SELECT pkt_stop('%s') stops it\n",
				model.iface, model.iface);
		return ok ? 0 : 1;
	}
	fprintf(stderr, "pktop: stopping the capture on %s (every remaining row is written first)\n",
			model.iface);
	if (!db_stop(conn, model.iface, utf8, err, sizeof(err)))
	{
		fprintf(stderr, "pktop: %s\n", err);
		ok = false;
	}
	refresh_model();
	if (model.stale)
	{
		fprintf(stderr, "pktop: %s\n", model.errmsg);
		ok = false;
	}
	plain_final(stdout, &model,
				ok ? "Final statistics" : "Last statistics read (the capture may not be stopped)");
	return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	bool		detach;
	int			status;

	setlocale(LC_ALL, "");
	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	parse_options(argc, argv);
	model_init(&model, connect_and_start());
	catch_signals();

	tui = want_tui();
	if (tui && !tui_start(utf8, opt.no_stop))
		die("cannot initialize the terminal");
	detach = run();
	if (tui)
		tui_end();

	/* a second Ctrl+C does not wait for pkt_stop */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (got_signal == SIGHUP)
		signal(SIGHUP, SIG_IGN);

	status = finish(detach);
	PQfinish(conn);
	return status;
}
