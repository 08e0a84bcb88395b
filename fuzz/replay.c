/*-------------------------------------------------------------------------
 * replay.c
 *		Run a libFuzzer harness without libFuzzer: call
 *		LLVMFuzzerTestOneInput() once per file named on the command line,
 *		or per regular file under a named directory (recursively), so the
 *		corpus and fuzz/regressions/ run in CI with ASan + UBSan only.
 *		In the spirit of libpcap's testprogs/fuzz/onefile.c.
 *
 * Each input is read into a heap block of exactly its size, as libFuzzer
 * does, so over-reads are caught.  A file that runs longer than
 * REPLAY_TIMEOUT seconds (environment, default 20) aborts the run: a
 * hang is a failure too.  Exit status: 0 when every input ran, 1 on an
 * unreadable argument; a sanitizer report or invariant violation aborts
 * with a non-zero status before that.
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int			LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char *current_file;
static unsigned timeout_secs = 20;
static long nfiles;
static int	verbose;

static void
on_alarm(int sig)
{
	static const char msg[] = "replay: TIMEOUT (hang) on input: ";

	(void) sig;
	(void) !write(2, msg, sizeof(msg) - 1);
	if (current_file)
		(void) !write(2, current_file, strlen(current_file));
	(void) !write(2, "\n", 1);
	_exit(70);
}

static int
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		len;
	uint8_t    *buf;

	if (f == NULL)
	{
		perror(path);
		return 1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
	{
		perror(path);
		fclose(f);
		return 1;
	}
	buf = malloc(len ? (size_t) len : 1);
	if (buf == NULL || (len && fread(buf, 1, (size_t) len, f) != (size_t) len))
	{
		fprintf(stderr, "%s: read failed\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);

	if (verbose)
		fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
	current_file = path;
	alarm(timeout_secs);
	LLVMFuzzerTestOneInput(buf, (size_t) len);
	alarm(0);
	current_file = NULL;
	free(buf);
	nfiles++;
	return 0;
}

static int
run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
	{
		perror(path);
		return 1;
	}
	if (S_ISDIR(st.st_mode))
	{
		struct dirent **names;
		int			n = scandir(path, &names, NULL, alphasort);
		int			rc = 0;

		if (n < 0)
		{
			perror(path);
			return 1;
		}
		for (int i = 0; i < n; i++)
		{
			char	   *sub;

			if (names[i]->d_name[0] != '.' &&
				asprintf(&sub, "%s/%s", path, names[i]->d_name) >= 0)
			{
				rc |= run_path(sub);
				free(sub);
			}
			free(names[i]);
		}
		free(names);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	return run_file(path);
}

int
main(int argc, char **argv)
{
	const char *t = getenv("REPLAY_TIMEOUT");
	int			rc = 0;

	if (t && atoi(t) > 0)
		timeout_secs = (unsigned) atoi(t);
	verbose = getenv("REPLAY_VERBOSE") != NULL;
	signal(SIGALRM, on_alarm);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i]);
	fprintf(stderr, "%s: %ld inputs run%s\n", argv[0], nfiles,
			rc ? ", some arguments unreadable" : ", no failure");
	return rc;
}
