/*
 * manager/state_int.h: the write of the manager's state. Only manager/fsm.c commits (every
 * change is a command entry it applies with its index, fsm.h), state.c implements it, and
 * unit tests use it to lay out a state as an older release left it. A file that includes
 * this header to write the state opens a side door around the log: add a kind of entry
 * (manager/cmd.h) instead. The guard below makes the rule a build error.
 */
#ifndef CAIRN_MANAGER_STATE_INT_H
#define CAIRN_MANAGER_STATE_INT_H

#ifndef MGR_STATE_WRITER
#error "only manager/fsm.c writes the manager's state: propose a command entry (manager/fsm.h)"
#endif

#include "manager/state.h"

/** Applies and frees b (also on failure), synced. 0 or CN_EIO. */
int mgr_batch_commit(mgr_state_t *st, mgr_batch_t *b);

#endif
