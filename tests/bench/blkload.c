// SPDX-License-Identifier: GPL-2.0
/*
 * blkload: the load generator of the virtio-blk benchmark (make bench, see
 * tests/harness/virtio_bench.sh). A static user-space program: busybox has
 * dd, which times one sequential stream, but nothing that reads at random
 * offsets, nor several requests at a time.
 *
 * Every access is O_DIRECT, so that each read() or write() is a request of
 * the block layer, of the size asked, and the page cache measures nothing:
 *
 *   blkload DEVICE seqread  OFFSET_MIB SIZE_MIB BLOCK_KIB
 *   blkload DEVICE seqwrite OFFSET_MIB SIZE_MIB BLOCK_KIB
 *       one stream of BLOCK_KIB requests over SIZE_MIB from OFFSET_MIB;
 *       prints "blkload: seqread bytes=N ns=N mbs=X.X"
 *   blkload DEVICE randread SPAN_MIB COUNT THREADS
 *       COUNT reads of 4 KiB at offsets spread over the first SPAN_MIB,
 *       shared out to THREADS threads (THREADS requests in flight at most);
 *       the offsets are the same at every run (a fixed seed per thread);
 *       prints "blkload: randread ios=N ns=N iops=X"
 *
 * Times come from CLOCK_MONOTONIC around the whole run.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ULL * 1024)
#define RAND_BLOCK 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *aligned(size_t size)
{
	void *buf;

	if (posix_memalign(&buf, 4096, size)) {
		fprintf(stderr, "blkload: cannot allocate %zu bytes\n", size);
		exit(1);
	}
	memset(buf, 0x5a, size);
	return buf;
}

static int open_device(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0) {
		fprintf(stderr, "blkload: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int sequential(const char *path, int write, uint64_t offset, uint64_t size,
		      uint64_t block)
{
	int fd = open_device(path, write ? O_WRONLY : O_RDONLY);
	char *buf = aligned(block);
	uint64_t done, start, ns;

	start = now_ns();
	for (done = 0; done < size; done += block) {
		ssize_t n = write ? pwrite(fd, buf, block, offset + done) :
				    pread(fd, buf, block, offset + done);

		if (n != (ssize_t)block) {
			fprintf(stderr, "blkload: %s at %" PRIu64 ": %zd: %s\n",
				write ? "write" : "read", offset + done, n, strerror(errno));
			return 1;
		}
	}
	if (write && fdatasync(fd)) {
		fprintf(stderr, "blkload: fdatasync: %s\n", strerror(errno));
		return 1;
	}
	ns = now_ns() - start;
	printf("blkload: %s bytes=%" PRIu64 " ns=%" PRIu64 " mbs=%.1f\n",
	       write ? "seqwrite" : "seqread", size, ns, (double)size * 1000.0 / ns);
	close(fd);
	return 0;
}

struct worker {
	pthread_t thread;
	const char *path;
	uint64_t span_blocks;
	uint64_t count;
	uint64_t seed;
	int failed;
};

static void *random_reads(void *arg)
{
	struct worker *w = arg;
	int fd = open_device(w->path, O_RDONLY);
	char *buf = aligned(RAND_BLOCK);
	uint64_t x = w->seed, i;

	for (i = 0; i < w->count; i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, RAND_BLOCK, (x % w->span_blocks) * RAND_BLOCK) != RAND_BLOCK) {
			fprintf(stderr, "blkload: random read: %s\n", strerror(errno));
			w->failed = 1;
			break;
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

static int randread(const char *path, uint64_t span, uint64_t count, unsigned int threads)
{
	struct worker *workers = calloc(threads, sizeof(*workers));
	uint64_t start, ns;
	unsigned int i;
	int failed = 0;

	if (!workers || !threads)
		return 1;
	start = now_ns();
	for (i = 0; i < threads; i++) {
		workers[i] = (struct worker){
			.path = path,
			.span_blocks = span / RAND_BLOCK,
			.count = count / threads,
			.seed = 0x9e3779b97f4a7c15ULL * (i + 1),
		};
		if (pthread_create(&workers[i].thread, NULL, random_reads, &workers[i]))
			return 1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].failed;
	}
	ns = now_ns() - start;
	if (failed)
		return 1;
	count = count / threads * threads;
	printf("blkload: randread ios=%" PRIu64 " ns=%" PRIu64 " iops=%.0f\n", count, ns,
	       (double)count * 1e9 / ns);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[2], "seqread"))
		return sequential(argv[1], 0, strtoull(argv[3], NULL, 0) * MIB,
				  strtoull(argv[4], NULL, 0) * MIB, strtoull(argv[5], NULL, 0) * 1024);
	if (argc == 6 && !strcmp(argv[2], "seqwrite"))
		return sequential(argv[1], 1, strtoull(argv[3], NULL, 0) * MIB,
				  strtoull(argv[4], NULL, 0) * MIB, strtoull(argv[5], NULL, 0) * 1024);
	if (argc == 6 && !strcmp(argv[2], "randread"))
		return randread(argv[1], strtoull(argv[3], NULL, 0) * MIB,
				strtoull(argv[4], NULL, 0), strtoul(argv[5], NULL, 0));
	fprintf(stderr, "usage: blkload DEVICE seqread|seqwrite OFFSET_MIB SIZE_MIB BLOCK_KIB\n"
			"       blkload DEVICE randread SPAN_MIB COUNT THREADS\n");
	return 2;
}
