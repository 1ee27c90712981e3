// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_queue.c - the hand-off between ibvmigd's SA thread and channel
 * thread: a locked FIFO of items, and a byte on a pipe per push for the side
 * that can poll one (the channel thread; the SA thread cannot, see agent.h).
 */
#include "agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int agent_queue_init(struct agent_queue *q, int wake_fd)
{
	memset(q, 0, sizeof(*q));
	q->wake_fd = wake_fd;
	return -pthread_mutex_init(&q->lock, NULL);
}

void agent_queue_destroy(struct agent_queue *q)
{
	agent_items_free(agent_queue_take(q));
	pthread_mutex_destroy(&q->lock);
}

void agent_queue_push(struct agent_queue *q, struct agent_item *it)
{
	static const char byte = 1;
	ssize_t n;

	it->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_mutex_unlock(&q->lock);
	if (q->wake_fd < 0)
		return;
	/*
	 * A full pipe (EAGAIN: the write end is non-blocking) already holds
	 * wake-ups enough: the reader drains the whole queue per wake-up.
	 */
	do
		n = write(q->wake_fd, &byte, 1);
	while (n < 0 && errno == EINTR);
}

struct agent_item *agent_queue_take(struct agent_queue *q)
{
	struct agent_item *list;

	pthread_mutex_lock(&q->lock);
	list = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return list;
}

struct agent_item *agent_item_new(enum agent_item_kind kind)
{
	struct agent_item *it = calloc(1, sizeof(*it));

	if (!it) {
		util_log(UTIL_LOG_ERROR, "ERR EB01: out of memory: a request or a notice is lost");
		return NULL;
	}
	it->kind = kind;
	return it;
}

void agent_items_free(struct agent_item *list)
{
	struct agent_item *next;

	for (; list; list = next) {
		next = list->next;
		free(list);
	}
}
