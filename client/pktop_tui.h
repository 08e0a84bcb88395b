/*
 * pktop_tui.h: the full-screen view of a Model, and its keys.
 */
#ifndef PKTOP_TUI_H
#define PKTOP_TUI_H

#include <stdbool.h>

#include "pktop_model.h"

/* What a key asks for */
typedef enum TuiKey
{
	TUI_NONE,					/* no key in time, or one that means nothing */
	TUI_QUIT,					/* q, Ctrl+C: quit (and stop the capture) */
	TUI_DETACH,					/* d: quit, leave the capture running */
	TUI_REFRESH,				/* space, r, Ctrl+L (which also redraws all) */
	TUI_RESIZE,					/* the terminal changed size */
} TuiKey;

extern bool tui_start(bool utf8, bool no_stop);
extern void tui_end(void);
extern void tui_draw(const Model *m);
extern TuiKey tui_wait_key(int wait_ms);

#endif							/* PKTOP_TUI_H */
