/*
 * pktop_plain.h: a Model as plain text: one line group a second when
 * stdout is not a terminal (or with -n), and the final statistics.
 */
#ifndef PKTOP_PLAIN_H
#define PKTOP_PLAIN_H

#include <stdio.h>
#include <time.h>

#include "pktop_model.h"

extern void plain_snapshot(FILE *f, const Model *m, time_t now);
extern void plain_final(FILE *f, const Model *m, const char *title);

#endif							/* PKTOP_PLAIN_H */
