// SPDX-License-Identifier: GPL-2.0-or-later
#include "lib/hashpool.h"
#include "lib/util.h"

#include <pthread.h>
#include <sched.h>

#define HASHPOOL_THREADS_MAX 8u

struct lg_hashpool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct lg_hashjob *head, *tail;  /* submitted, not yet taken */
	bool stop;
	unsigned n;
	pthread_t th[HASHPOOL_THREADS_MAX];
};

unsigned lg_hashpool_auto(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	if (n < 2)
		return 0;
	return (unsigned)n < HASHPOOL_THREADS_MAX ? (unsigned)n : HASHPOOL_THREADS_MAX;
}

static void *worker(void *arg)
{
	struct lg_hashpool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->head)
			break; /* stop, and nothing left */
		struct lg_hashjob *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		int r = lg_hash_buf(j->data, j->len, j->sha256, NULL);
		pthread_mutex_lock(&p->lock);
		j->error = r;
		j->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void stop_all(struct lg_hashpool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int lg_hashpool_new(unsigned threads, struct lg_hashpool **out)
{
	*out = NULL;
	if (!threads)
		return 0;
	if (threads > HASHPOOL_THREADS_MAX)
		threads = HASHPOOL_THREADS_MAX;
	struct lg_hashpool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (; p->n < threads; p->n++)
		if (pthread_create(&p->th[p->n], NULL, worker, p) != 0)
			break;
	if (!p->n) {
		stop_all(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
}

unsigned lg_hashpool_threads(const struct lg_hashpool *p)
{
	return p ? p->n : 0;
}

void lg_hashpool_submit(struct lg_hashpool *p, struct lg_hashjob *j)
{
	j->done = false;
	j->error = 0;
	j->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void lg_hashpool_wait(struct lg_hashpool *p, struct lg_hashjob *j)
{
	pthread_mutex_lock(&p->lock);
	while (!j->done)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void lg_hashpool_free(struct lg_hashpool *p)
{
	if (p)
		stop_all(p);
}
